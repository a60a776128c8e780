/** Content-Transfer-Encoding (RFC 2045 §6): decoding as receivers must, encoding as 7-bit-safe senders should. */
import { FormatError } from '../errors.js';
import { latin1, toBase64Lines } from '../util/bytes.js';

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
  const state = decodeBase64Into(bytes, out);
  if (state % 8 === 6)
    throw new FormatError('malformed-mime', 'base64 body is truncated (a single leftover character)');
  return out.slice(0, Math.floor(state / 8));
}

/**
 * The decoding loop, apart: with the checks after it in the same function, V8 deoptimized the function on every
 * call (once per message). Returns bytes written * 8 + leftover bits.
 */
function decodeBase64Into(bytes: Uint8Array, out: Uint8Array): number {
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
  return n * 8 + bits;
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
  return latin1(encodeQuotedPrintableBytes(bytes));
}

const HEX_DIGITS = Uint8Array.from('0123456789ABCDEF', (c) => c.charCodeAt(0));

/** Per byte: 1 = written as is anywhere in a line, 2 = space or tab (escaped at the end of a line), 0 = escaped. */
const QP_LITERAL = Uint8Array.from({ length: 256 }, (_, c) =>
  c === 0x20 || c === 0x09 ? 2 : c >= 0x21 && c <= 0x7e && c !== 0x3d ? 1 : 0,
);

/** The longest encoded line before a soft break: 76 characters with the `=` of the break. */
const QP_WIDTH = 75;

/**
 * `encodeQuotedPrintable` into bytes, written into one buffer (a megabyte of binary data escapes to three; building
 * it as strings cost seconds in garbage collection). The buffer grows as needed rather than being sized for the
 * worst case, so text (the usual input) costs about its own size.
 */
export function encodeQuotedPrintableBytes(bytes: Uint8Array): Uint8Array {
  // One function with local state (no closure over a reassigned buffer): V8 keeps the loop in registers.
  let out = new Uint8Array(bytes.length + (bytes.length >> 5) + 64);
  let o = 0;
  for (let start = 0; ;) {
    const lf = bytes.indexOf(0x0a, start);
    const end = lf < 0 ? bytes.length : lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    // Worst case for the line: every byte escaped, a soft break per 25 bytes, and the CRLF after it.
    const need = o + (end - start) * 4 + 8;
    if (need > out.length) {
      const grown = new Uint8Array(Math.max(need, out.length * 2));
      grown.set(out.subarray(0, o));
      out = grown;
    }
    const last = end - 1;
    let width = 0;
    for (let i = start; i < end; i++) {
      if (width !== 0) {
        // A run of bytes written as they are, up to the line's last byte and the encoded line's width: the
        // common case for text, in a loop with nothing else in it.
        const stop = Math.min(last, i + (QP_WIDTH - width));
        const from = i;
        while (i < stop && QP_LITERAL[bytes[i]!] !== 0) out[o++] = bytes[i++]!;
        width += i - from;
      }
      const c = bytes[i]!;
      const kind = QP_LITERAL[c]!;
      // Where an encoded line begins: the original line's start, or after a soft line break.
      const startsLine = width === 0 || width + 1 > QP_WIDTH;
      const escape =
        kind === 0 ||
        (kind === 2 && i === last) ||
        (startsLine && c === 0x2e) ||
        (startsLine &&
          c === 0x46 &&
          i + 4 < end &&
          bytes[i + 1] === 0x72 &&
          bytes[i + 2] === 0x6f &&
          bytes[i + 3] === 0x6d &&
          bytes[i + 4] === 0x20);
      const size = escape ? 3 : 1;
      if (width + size > QP_WIDTH) {
        out[o++] = 0x3d;
        out[o++] = 0x0d;
        out[o++] = 0x0a;
        width = 0;
      }
      if (escape) {
        out[o++] = 0x3d;
        out[o++] = HEX_DIGITS[c >> 4]!;
        out[o++] = HEX_DIGITS[c & 15]!;
      } else out[o++] = c;
      width += size;
    }
    if (lf < 0) return out.subarray(0, o);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
    start = lf + 1;
  }
}
