/** PEM armour (RFC 7468): finding, decoding and writing labelled base64 blocks. */
import { FormatError } from '../errors.js';
import { fromBase64, latin1, toBase64Lines } from './bytes.js';

export interface PemBlock {
  /** The label, e.g. `CERTIFICATE`, `X509 CRL`, `PKCS7`. */
  label: string;
  /** Decoded DER bytes. */
  der: Uint8Array;
  /** Offset of the `-----BEGIN` line in the text. */
  offset: number;
}

const BLOCK = /-----BEGIN ([A-Z0-9 #/_.-]+)-----([\s\S]*?)-----END ([A-Z0-9 #/_.-]+)-----/g;

/** True when the bytes look like PEM text (a BEGIN line near the start). */
export function looksLikePem(bytes: Uint8Array): boolean {
  const head = latin1(bytes.subarray(0, 4096));
  return head.includes('-----BEGIN ');
}

/** All PEM blocks in a text, in order. Explanatory text between blocks is ignored (RFC 7468 §2). */
export function decodePem(input: string | Uint8Array): PemBlock[] {
  const text = typeof input === 'string' ? input : latin1(input);
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, begin, body, end] = m;
    if (begin !== end) {
      throw new FormatError('malformed-pem', `PEM block "BEGIN ${begin}" ends with "END ${end}"`, { offset: m.index });
    }
    // Headers (Proc-Type etc., RFC 1421) are not supported: encrypted legacy PEM needs the key loader.
    const lines = body!.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.some((l) => l.includes(':'))) {
      throw new FormatError('unsupported-format', `PEM block "${begin}" has RFC 1421 headers (legacy encrypted PEM), which are not supported`, {
        offset: m.index,
      });
    }
    let der: Uint8Array;
    try {
      der = fromBase64(lines.join(''));
    } catch (e) {
      throw new FormatError('malformed-pem', `PEM block "${begin}" does not contain valid base64`, { offset: m.index, cause: e });
    }
    out.push({ label: begin!, der, offset: m.index! });
  }
  if (out.length === 0 && text.includes('-----BEGIN ')) {
    throw new FormatError('malformed-pem', 'PEM text has a BEGIN line without a matching END line');
  }
  return out;
}

/** PEM text for DER bytes, 64 characters per line, LF line endings. */
export function encodePem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${toBase64Lines(der, 64, '\n')}\n-----END ${label}-----\n`;
}
