/** Byte helpers that work the same in Node and browsers (no Buffer). */

import { ArgumentError, FormatError } from '../errors.js';
import { nativeBuffer, type NativeBuffer } from './native-buffer.js';

/** Anything byte-like a caller may hand us. */
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView;

/** A Uint8Array view of the input (no copy). */
export function toBytes(input: BytesLike, what = 'input'): Uint8Array {
  // Subclasses (Node's Buffer) become plain views, so results compare and serialize like Uint8Arrays.
  if (input instanceof Uint8Array)
    return input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new ArgumentError('bad-argument', `${what} must be a Uint8Array or ArrayBuffer`);
}

/** A fresh ArrayBuffer holding exactly these bytes (WebCrypto wants ArrayBuffers). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Pieces as one array without a copy where one suffices: a lone non-empty piece is returned as it is. */
export function joinPieces(pieces: readonly Uint8Array[]): Uint8Array {
  const nonEmpty = pieces.filter((p) => p.length > 0);
  return nonEmpty.length === 1 ? nonEmpty[0]! : concatBytes(...nonEmpty);
}

/** Length from which Node's native compare beats the loop (measured). */
const NATIVE_COMPARE_FROM = 48;

/** Same length and bytes (not constant-time: for public data). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Node's native compare costs one call (~80 ns); the loop costs ~2 ns a byte (a certificate is 1.5 µs of loop).
  if (a.length >= NATIVE_COMPARE_FROM && nativeBuffer?.compare) return nativeBuffer.compare(a, b) === 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time comparison for secrets (MACs, tags). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i % (a.length || 1)] ?? 0) ^ (b[i % (b.length || 1)] ?? 0);
  return diff === 0;
}

/** Two hex digits per byte value: one concatenation per byte, and an index loop (an iterator is slow in cold code). */
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_PAIRS[bytes[i]!]!;
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new FormatError('bad-hex', 'not a hexadecimal string');
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_LOOKUP = (() => {
  const t = new Int16Array(256).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  t['-'.charCodeAt(0)] = 62; // base64url
  t['_'.charCodeAt(0)] = 63;
  return t;
})();

const B64_BYTES = Uint8Array.from(B64, (c) => c.charCodeAt(0));

/** Below this, the JavaScript encoder is as fast as the round trip through a native string. */
const NATIVE_BASE64_MIN = 1024;

/**
 * Base64 straight into ASCII bytes, optionally wrapped: `lineLength` characters
 * per line, each line (the last one too) followed by CRLF — the MIME body form.
 * Builds no intermediate strings in browsers; on Node, large inputs go through
 * `Buffer`'s native encoder (the same bytes, about four times faster). The `prefix` pieces (a header section, say)
 * come first in the same buffer, so a message body is not copied again behind its headers.
 */
export function base64Bytes(data: Uint8Array, lineLength = 0, prefix: readonly Uint8Array[] = []): Uint8Array {
  if (nativeBuffer && data.length >= NATIVE_BASE64_MIN && typeof nativeBuffer.allocUnsafe === 'function')
    return nativeBase64Bytes(nativeBuffer, data, lineLength, prefix);
  return portableBase64Bytes(data, lineLength, prefix);
}

/** The output buffer of a base64 encoding that starts with `prefix` (a message's header section, say). */
function base64Output(
  alloc: (n: number) => Uint8Array,
  data: Uint8Array,
  lineLength: number,
  prefix: readonly Uint8Array[],
): { out: Uint8Array; start: number } {
  const chars = Math.ceil(data.length / 3) * 4;
  const lines = lineLength > 0 ? Math.ceil(chars / lineLength) : 0;
  const start = prefix.reduce((n, p) => n + p.length, 0);
  const out = alloc(start + chars + lines * 2);
  let at = 0;
  for (const p of prefix) {
    out.set(p, at);
    at += p.length;
  }
  return { out, start };
}

function nativeBase64Bytes(
  native: NativeBuffer,
  data: Uint8Array,
  lineLength: number,
  prefix: readonly Uint8Array[],
): Uint8Array {
  const { out: bytes, start } = base64Output((n) => native.allocUnsafe(n), data, lineLength, prefix);
  const out = bytes as ReturnType<NativeBuffer['allocUnsafe']>;
  // Blocks of whole lines (and whole 3-byte groups): no string of the whole output, which for a large message
  // costs more than the encoding.
  const lineBytes = lineLength > 0 && lineLength % 4 === 0 ? (lineLength / 4) * 3 : 0;
  const block = lineBytes > 0 ? lineBytes * 1024 : lineLength > 0 ? data.length : 48 * 1024;
  let o = start;
  for (let at = 0; at < data.length; at += block) {
    const end = Math.min(data.length, at + block);
    const text = native.from(data.buffer, data.byteOffset + at, end - at).toString('base64');
    if (lineLength <= 0) {
      o += out.write(text, o, 'latin1');
      continue;
    }
    // The block's text is written once at the end of the space its lines take, then each line is moved down to
    // its place (never past the text still to move) and given its CRLF: one native write instead of one per line.
    const blockLines = Math.ceil(text.length / lineLength);
    let from = o + blockLines * 2;
    out.write(text, from, 'latin1');
    const textEnd = from + text.length;
    for (; from < textEnd; from += lineLength) {
      const lineEnd = Math.min(textEnd, from + lineLength);
      out.copyWithin(o, from, lineEnd);
      o += lineEnd - from;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
  }
  // A plain Uint8Array over the same memory: callers may rely on slice() copying, which Buffer's does not.
  return new Uint8Array(out.buffer, out.byteOffset, o);
}

/** `base64Bytes` in plain JavaScript (browsers, and small inputs everywhere); exported for the differential test. */
export function portableBase64Bytes(data: Uint8Array, lineLength = 0, prefix: readonly Uint8Array[] = []): Uint8Array {
  const { out, start } = base64Output((n) => new Uint8Array(n), data, lineLength, prefix);
  // Whole lines of whole groups are written four characters at a time; anything else goes through `put`.
  const groupsPerLine = lineLength > 0 && lineLength % 4 === 0 ? lineLength / 4 : 0;
  let o = start;
  let i = 0;
  if (lineLength === 0 || groupsPerLine > 0) {
    const lineBytes = groupsPerLine > 0 ? groupsPerLine * 3 : data.length - (data.length % 3);
    while (i + lineBytes <= data.length && lineBytes > 0) {
      for (const end = i + lineBytes; i < end; i += 3) {
        const n = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
        out[o] = B64_BYTES[n >> 18]!;
        out[o + 1] = B64_BYTES[(n >> 12) & 63]!;
        out[o + 2] = B64_BYTES[(n >> 6) & 63]!;
        out[o + 3] = B64_BYTES[n & 63]!;
        o += 4;
      }
      if (groupsPerLine > 0) {
        out[o++] = 0x0d;
        out[o++] = 0x0a;
      } else break;
    }
  }
  let col = 0;
  const put = (c: number) => {
    out[o++] = c;
    if (lineLength > 0 && ++col === lineLength) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      col = 0;
    }
  };
  for (; i + 2 < data.length; i += 3) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    put(B64_BYTES[n >> 18]!);
    put(B64_BYTES[(n >> 12) & 63]!);
    put(B64_BYTES[(n >> 6) & 63]!);
    put(B64_BYTES[n & 63]!);
  }
  const rest = data.length - i;
  if (rest > 0) {
    const n = (data[i]! << 16) | (rest === 2 ? data[i + 1]! << 8 : 0);
    put(B64_BYTES[n >> 18]!);
    put(B64_BYTES[(n >> 12) & 63]!);
    put(rest === 2 ? B64_BYTES[(n >> 6) & 63]! : 0x3d);
    put(0x3d);
  }
  if (col !== 0) {
    out[o++] = 0x0d;
    out[o++] = 0x0a;
  }
  return out.subarray(0, o);
}

/** Base64 without line breaks. */
export function toBase64(bytes: Uint8Array): string {
  return latin1(base64Bytes(bytes));
}

/** Base64 wrapped into lines of `width` characters joined by `eol` (no trailing line break). */
export function toBase64Lines(bytes: Uint8Array, width = 76, eol = '\r\n'): string {
  const flat = toBase64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += width) lines.push(flat.slice(i, i + width));
  return lines.join(eol);
}

/**
 * Decodes base64 (standard or url alphabet), ignoring whitespace; any other
 * character or impossible length is a `bad-base64` error.
 */
export function fromBase64(text: string): Uint8Array {
  if (nativeBuffer && text.length >= NATIVE_BASE64_MIN) {
    const native = nativeFromBase64(nativeBuffer, text);
    if (native) return native;
  }
  return portableFromBase64(text);
}

/** `fromBase64` in plain JavaScript (browsers, short or unusual input); exported for the differential test. */
export function portableFromBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let acc = 0;
  let bits = 0;
  let n = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    if (c === 61 /* = */) {
      padding++;
      continue;
    }
    const v = B64_LOOKUP[c] ?? -1;
    if (v < 0 || padding > 0)
      throw new FormatError('bad-base64', `invalid base64 character at position ${i}`, { offset: i });
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  if (bits >= 6 || padding > 2) throw new FormatError('bad-base64', 'truncated base64 data');
  return out.slice(0, n);
}

/** Up to this length, the native decoding is checked by encoding it back (above it, that would copy a large text). */
const ROUND_TRIP_MAX = 1 << 16;

/** A character outside the standard alphabet and padding (a negated class: four times faster than matching it all). */
const NOT_STANDARD_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * `fromBase64` through Node's decoder, for the input it decodes exactly as `fromBase64` does: the standard alphabet,
 * whitespace (which both skip) aside, padding only at the end, and no single character left over. Anything else
 * returns undefined and takes the strict path, which explains what is wrong.
 */
function nativeFromBase64(native: NativeBuffer, text: string): Uint8Array | undefined {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  let decoded: Uint8Array | undefined;
  if (compact.length <= ROUND_TRIP_MAX) {
    // Canonical base64 (what encoders write) is exactly what its decoding encodes back to: proof enough, and
    // cheaper than a pattern over every character (a fresh process reading 400 PEM certificates spent 2-9 ms in it).
    const bytes = native.from(compact, 'base64');
    if (bytes.toString('base64') === compact) return new Uint8Array(bytes);
    decoded = bytes;
  }
  if (NOT_STANDARD_BASE64.test(compact)) return undefined;
  const firstPad = compact.indexOf('=');
  const padding = firstPad < 0 ? 0 : compact.length - firstPad;
  if (padding > 2 || (padding === 2 && compact.charCodeAt(firstPad + 1) !== 61)) return undefined;
  if ((compact.length - padding) % 4 === 1) return undefined;
  // A copy: small Buffers share Node's pool, and callers may hand `der.buffer` on.
  return new Uint8Array(decoded ?? native.from(compact, 'base64'));
}

const utf8Encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes ASCII natively; ignoreBOM keeps a leading EF BB BF visible (as U+FEFF) instead of dropping it. */
const asciiDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
/** Any character outside ASCII. */
export const NON_ASCII = /[^\x00-\x7f]/;

function hasHighByte(bytes: Uint8Array, end: number): boolean {
  for (let i = 0; i < end; i++) if (bytes[i]! >= 0x80) return true;
  return false;
}

/** Latin-1 view of bytes: one char per byte, reversible (used for raw-byte-preserving text handling). */
export function latin1(bytes: Uint8Array): string {
  // Most mail is ASCII, which the native UTF-8 decoder turns into the same string several times faster. The test
  // for ASCII is a regular expression on the decoded text: native too, where a byte loop runs in the interpreter
  // until it is compiled (80 ms for the first 600 KB of PEM a process reads).
  // Binary data shows an 8-bit byte early: a short look first spares it a decoding that would be thrown away.
  if (bytes.length > 64 && !hasHighByte(bytes, Math.min(bytes.length, 1024))) {
    const text = asciiDecoder.decode(bytes);
    if (!NON_ASCII.test(text)) return text;
  }
  let s = '';
  // `apply` takes the typed array as it is; a spread would go through its iterator (several times slower).
  for (let i = 0; i < bytes.length; i += 8192)
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

export function fromLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/**
 * Bytes gathered chunk by chunk into a buffer whose size doubles, so that gathering from tiny chunks stays linear
 * (joining the whole each time is quadratic: a megabyte in 80-byte chunks copied 6.5 GB). A lone first chunk is
 * kept as it is, without a copy.
 */
export class GrowingBytes {
  private buffer: Uint8Array = new Uint8Array(0);
  private filled = 0;
  private owned = false;

  append(chunk: Uint8Array): void {
    if (this.filled === 0 && !this.owned) {
      this.buffer = chunk;
      this.filled = chunk.length;
      return;
    }
    const needed = this.filled + chunk.length;
    if (!this.owned || needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2, 4096));
      grown.set(this.buffer.subarray(0, this.filled));
      this.buffer = grown;
      this.owned = true;
    }
    this.buffer.set(chunk, this.filled);
    this.filled = needed;
  }

  get length(): number {
    return this.filled;
  }

  /** What was gathered, as a view (valid until the next `append`). */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.filled);
  }
}
