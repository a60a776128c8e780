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

/**
 * A label (RFC 7468 §3: single hyphens or spaces between other characters; capitals, digits and `#/_.` here). No
 * label holds `--`, so it ends at the first `-----`: whatever follows those dashes is the body.
 */
const LABEL = '[A-Z0-9#/_.]+(?:[- ][A-Z0-9#/_.]+)*';
const BLOCK = new RegExp(`-----BEGIN (${LABEL})-----([\\s\\S]*?)-----END (${LABEL})-----`, 'g');
const LINE = { BEGIN: new RegExp(`^-----BEGIN (${LABEL})-----`), END: new RegExp(`^-----END (${LABEL})-----`) };

/** The label of a BEGIN or END line at the start of `text` (`undefined` when there is no whole one). */
export function pemLineLabel(text: string, kind: 'BEGIN' | 'END'): string | undefined {
  return LINE[kind].exec(text)?.[1];
}

/** Longest BEGIN line a streamed block may have before its label is closed (`-----BEGIN ` and a label). */
export const PEM_BEGIN_MAX = 128;

/**
 * The BEGIN line at the start of `text` up to its closing dashes: where the base64 begins, as `decodePem` reads it
 * (whatever follows the dashes on the line is part of the body). `undefined` while there is no whole one.
 */
export function pemBeginLength(text: string): number | undefined {
  return LINE.BEGIN.exec(text)?.[0].length;
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
    const decoded = decodePemBody(body!);
    if (!decoded) {
      throw new FormatError('malformed-pem', `PEM block "${begin}" does not contain valid base64`, { offset: m.index });
    }
    out.push({ label: begin!, der: decoded.der, headers: decoded.headers, offset: m.index });
  }
  if (out.length === 0 && text.includes('-----BEGIN ')) {
    throw pemWithoutEnd();
  }
  return out;
}

const HEADER_LINE = /^([A-Za-z-]+):\s*(.*)$/;
/** A line of nothing but whitespace (RFC 7468 §3 counts vertical tab and form feed). */
const BLANK_LINE = /^[ \t\v\f]*$/;
/** What `fromBase64` takes and PEM does not: the url alphabet (RFC 7468 uses the standard one). */
const URL_ALPHABET = /[-_]/;

/**
 * The DER and RFC 1421 headers of a block's body; undefined when it is not base64. What the streaming reader
 * (`pemDecodeStream`) accepts too: the standard alphabet, with space, tab, CR, LF, VT and FF skipped anywhere.
 */
function decodePemBody(body: string): { der: Uint8Array; headers: Record<string, string> } | undefined {
  const headers: Record<string, string> = {};
  // Without headers, the base64 decoder skips the line breaks itself: no lines to split and join (a tenth of
  // loading a 400-certificate PEM trust list). Anything it refuses takes the line-by-line path.
  if (!body.includes(':') && !URL_ALPHABET.test(body)) {
    const der = fromBase64OrUndefined(body);
    if (der) return { der, headers };
  }
  const lines = body.split(/\r?\n|\r/);
  let i = 0;
  while (i < lines.length && BLANK_LINE.test(lines[i]!)) i++;
  let j = i;
  const found: [string, string][] = [];
  for (let h; j < lines.length && (h = HEADER_LINE.exec(lines[j]!)); j++) found.push([h[1]!, h[2]!]);
  // Headers end with a blank line (RFC 1421 §4.4); without one, such a line is text and not base64.
  if (found.length > 0 && j < lines.length && BLANK_LINE.test(lines[j]!)) {
    for (const [name, value] of found) headers[name] = value;
    i = j;
  }
  const base64 = lines.slice(i).join('');
  if (URL_ALPHABET.test(base64)) return undefined;
  const der = fromBase64OrUndefined(/[\v\f]/.test(base64) ? base64.replace(/[\v\f]/g, '') : base64);
  return der && { der, headers };
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
