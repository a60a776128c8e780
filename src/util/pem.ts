/** PEM armour (RFC 7468): finding, decoding and writing labelled base64 blocks. */
import { FormatError } from '../errors.js';
import { fromBase64, latin1, toBase64Lines } from './bytes.js';
import { derRead } from '../asn1/index.js';

export interface PemBlock {
  /** The label, e.g. `CERTIFICATE`, `X509 CRL`, `PKCS7`. */
  label: string;
  /** Decoded DER bytes. */
  der: Uint8Array;
  /** RFC 1421 headers before the base64 (e.g. `Proc-Type` of legacy encrypted keys); usually empty. */
  headers: Record<string, string>;
  /** Offset of the `-----BEGIN` line in the text. */
  offset: number;
}

const BLOCK = /-----BEGIN ([A-Z0-9 #/_.-]+)-----([\s\S]*?)-----END ([A-Z0-9 #/_.-]+)-----/g;

/** The label of a BEGIN or END line at the start of `text` (`undefined` when there is no whole one). */
export function pemLineLabel(text: string, kind: 'BEGIN' | 'END'): string | undefined {
  return new RegExp(`^-----${kind} ([A-Z0-9 #/_.-]+)-----`).exec(text)?.[1];
}

/** `malformed-pem`: a BEGIN line and no END line after it. */
export function pemWithoutEnd(): FormatError {
  return new FormatError('malformed-pem', 'PEM text has a BEGIN line without a matching END line');
}

/** `malformed-pem`: the END line names another label than the BEGIN line. */
export function pemLabelMismatch(begin: string | undefined, end: string, offset?: number): FormatError {
  return new FormatError(
    'malformed-pem',
    `PEM block "BEGIN ${begin}" ends with "END ${end}"`,
    offset === undefined ? undefined : { offset },
  );
}

/** True when the bytes look like PEM text (a BEGIN line near the start). */
export function looksLikePem(bytes: Uint8Array): boolean {
  // DER whose content happens to hold a PEM block (a signed message quoting one) is DER, never the quoted block.
  if (isWholeDerSequence(bytes)) return false;
  // Explanatory text may precede the first block (RFC 7468 §5.2), so look well past the start.
  return latin1(bytes.subarray(0, 65536)).includes('-----BEGIN ');
}

/** True when the bytes are exactly one ASN.1 SEQUENCE (what every DER/BER structure smimekit reads is). */
function isWholeDerSequence(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x30) return false;
  try {
    return derRead(bytes, 0).end === bytes.length;
  } catch {
    return false;
  }
}

/** All PEM blocks in a text, in order. Explanatory text between blocks is ignored (RFC 7468 §2). */
export function decodePem(input: string | Uint8Array): PemBlock[] {
  const text = typeof input === 'string' ? input : latin1(input);
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, begin, body, end] = m;
    if (begin !== end) throw pemLabelMismatch(begin, end!, m.index);
    const headers: Record<string, string> = {};
    // Without headers, the base64 decoder skips the line breaks itself: no lines to split and join (a tenth of
    // loading a 400-certificate PEM trust list). Anything it refuses takes the line-by-line path, as before.
    let der = body!.includes(':') ? undefined : fromBase64OrUndefined(body!);
    try {
      if (der === undefined) {
        const lines: string[] = [];
        for (const line of body!.split(/\r?\n|\r/)) {
          const h = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (h && lines.length === 0) headers[h[1]!] = h[2]!;
          else if (line.trim() !== '') lines.push(line);
        }
        der = fromBase64(lines.join(''));
      }
    } catch (e) {
      throw new FormatError('malformed-pem', `PEM block "${begin}" does not contain valid base64`, {
        offset: m.index,
        cause: e,
      });
    }
    out.push({ label: begin!, der, headers, offset: m.index });
  }
  if (out.length === 0 && text.includes('-----BEGIN ')) {
    throw pemWithoutEnd();
  }
  return out;
}

function fromBase64OrUndefined(text: string): Uint8Array | undefined {
  try {
    return fromBase64(text);
  } catch {
    return undefined;
  }
}

/** PEM text for DER bytes, 64 characters per line, LF line endings. */
export function encodePem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${toBase64Lines(der, 64, '\n')}\n-----END ${label}-----\n`;
}
