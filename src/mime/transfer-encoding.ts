/** Content-Transfer-Encoding (RFC 2045 §6): decoding as receivers must, encoding as 7-bit-safe senders should. */
import { FormatError } from '../errors.js';
import { toBase64Lines } from '../util/bytes.js';

const B64 = (() => {
  const t = new Int16Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

/**
 * Base64 from bytes, ignoring line breaks and other characters outside the
 * alphabet (RFC 2045 §6.8), stopping at padding. Works on 100 MB bodies without
 * building strings.
 *
 * @throws {FormatError} `malformed-mime` when a single character is left over (truncated input)
 */
export function decodeBase64Body(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((bytes.length * 3) / 4) + 3);
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x3d) break;
    const v = B64[c]!;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  if (bits === 6) throw new FormatError('malformed-mime', 'base64 body is truncated (a single leftover character)');
  return out.slice(0, n);
}

const hexValue = (c: number) =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;

/** Quoted-printable decoding; soft line breaks removed, hard breaks kept as they are. Lenient on bad escapes (kept literally). */
export function decodeQuotedPrintable(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    // Soft line break: '=' followed by optional whitespace then CRLF / LF (or end of input).
    let j = i + 1;
    while (j < bytes.length && (bytes[j] === 0x20 || bytes[j] === 0x09)) j++;
    if (j >= bytes.length) {
      i = j;
      continue;
    }
    if (bytes[j] === 0x0a || (bytes[j] === 0x0d && bytes[j + 1] === 0x0a)) {
      i = bytes[j] === 0x0d ? j + 1 : j;
      continue;
    }
    const h = hexValue(bytes[i + 1] ?? -1);
    const l = hexValue(bytes[i + 2] ?? -1);
    if (h >= 0 && l >= 0) {
      out[n++] = (h << 4) | l;
      i += 2;
    } else out[n++] = c;
  }
  return out.slice(0, n);
}

/**
 * Removes a Content-Transfer-Encoding (`base64`, `quoted-printable`, case-insensitive); identity for 7bit / 8bit /
 * binary / absent.
 *
 * @throws {FormatError} `unsupported-format` (another encoding), `malformed-mime` (truncated base64)
 */
export function decodeTransferEncoding(body: Uint8Array, encoding: string | undefined): Uint8Array {
  switch ((encoding ?? '7bit').trim().toLowerCase()) {
    case 'base64':
      return decodeBase64Body(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case '7bit':
    case '8bit':
    case 'binary':
    case '':
      return body;
    default:
      throw new FormatError('unsupported-format', `unknown Content-Transfer-Encoding "${encoding}"`);
  }
}

/** Base64 in lines of 76 characters with CRLF, the MIME form (no trailing line break). */
export function encodeBase64Body(bytes: Uint8Array): string {
  return toBase64Lines(bytes, 76, '\r\n');
}

/**
 * Quoted-printable for text with CRLF line breaks: lines kept, 8-bit bytes,
 * '=', trailing whitespace and a "From " / "." that would begin an encoded
 * line (also after a soft line break) escaped, so relays and mbox storage
 * cannot change the signed bytes.
 */
export function encodeQuotedPrintable(bytes: Uint8Array): string {
  const out: string[] = [];
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i > start && bytes[i - 1] === 0x0d ? i - 1 : i));
      start = i + 1;
    }
  }
  const last = bytes.subarray(start);
  for (const [index, line] of [...lines, last].entries()) {
    let encoded = '';
    let width = 0;
    const emit = (piece: string) => {
      if (width + piece.length > 75) {
        encoded += '=\r\n';
        width = 0;
      }
      encoded += piece;
      width += piece.length;
    };
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      const atEnd = i === line.length - 1;
      // Where an encoded line begins: the original line's start, or after a soft line break.
      const startsLine = i === 0 || width + 1 > 75;
      const needsEscape =
        c === 0x3d ||
        c > 0x7e ||
        (c < 0x20 && c !== 0x09) ||
        ((c === 0x20 || c === 0x09) && atEnd) ||
        (startsLine && c === 0x2e) ||
        (startsLine &&
          c === 0x46 &&
          line[i + 1] === 0x72 &&
          line[i + 2] === 0x6f &&
          line[i + 3] === 0x6d &&
          line[i + 4] === 0x20);
      emit(needsEscape ? `=${c.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(c));
    }
    out.push(encoded);
    if (index === lines.length && last.length === 0) out.pop();
  }
  return out.join('\r\n') + (last.length === 0 && lines.length > 0 ? '\r\n' : '');
}
