/**
 * Base64 decoding of a stream (browser-safe: a standard `TransformStream`), for the body of a streamed
 * `application/pkcs7-mime` entity. (Encoding needs no state across chunks: whole 57-byte lines are encoded with
 * `base64Bytes`, see smime/stream-entity.ts.)
 */
import { FormatError } from '../errors.js';
import { countLineEnds, findByte, nativeBase64Groups } from './native-buffer.js';

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Base64 character → value; -1 invalid, -2 whitespace (skipped), -3 `=`. Accepts the url alphabet like fromBase64. */
const B64_DECODE = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 64; i++) t[B64_ALPHABET.charCodeAt(i)] = i;
  t[0x2d] = 62; // '-'
  t[0x5f] = 63; // '_'
  for (const c of [0x20, 0x09, 0x0a, 0x0d]) t[c] = -2;
  t[0x3d] = -3;
  return t;
})();

/**
 * The same for a MIME body (RFC 2045 §6.8, as `decodeBase64Body` reads one): the standard alphabet only, every other
 * character skipped.
 */
const B64_BODY_DECODE = (() => {
  const t = new Int8Array(256).fill(-2);
  for (let i = 0; i < 64; i++) t[B64_ALPHABET.charCodeAt(i)] = i;
  t[0x3d] = -3;
  return t;
})();

/**
 * The same for the text of a PEM block as `decodePem` reads it (RFC 7468 §3, lax): the standard alphabet, `=`, and
 * whitespace (space, tab, CR, LF, VT, FF) skipped; anything else is invalid.
 */
const B64_PEM_DECODE = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 64; i++) t[B64_ALPHABET.charCodeAt(i)] = i;
  for (const c of [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]) t[c] = -2;
  t[0x3d] = -3;
  return t;
})();

/** Options of {@link Base64StreamDecoder}. */
export interface Base64StreamOptions {
  /**
   * Read a MIME body as `decodeBase64Body` does (RFC 2045 §6.8): characters outside the standard alphabet are
   * skipped, the first `=` ends the data (what follows is ignored), and a single leftover character is
   * `malformed-mime`. The default is strict, as `fromBase64`.
   */
  mimeBody?: boolean;
  /**
   * Read the text of a PEM block as `decodePem` does: strict, but the standard alphabet only (no `-` or `_`), and
   * vertical tab and form feed are whitespace too (RFC 7468 §3).
   */
  pem?: boolean;
}

/** Below this many bytes a chunk is decoded here: a native call costs more than it saves. */
const NATIVE_MIN = 4096;

/**
 * Incremental base64 decoder for streams: CR, LF, space and tab are skipped anywhere; `=` padding may end the data,
 * after which only whitespace and further `=` may follow. Accepts what `fromBase64` accepts (the url alphabet too)
 * and refuses what it refuses, with the same code: `FormatError` `bad-base64` with `offset` (in the whole text) for
 * an invalid character or data after padding, and from `finish` for a dangling single character or more than two
 * `=`.
 */
export class Base64StreamDecoder {
  #acc = 0;
  #bits = 0;
  #padding = 0;
  #offset = 0;
  readonly #mimeBody: boolean;
  readonly #table: Int8Array;

  constructor(options: Base64StreamOptions = {}) {
    this.#mimeBody = options.mimeBody === true;
    this.#table = this.#mimeBody ? B64_BODY_DECODE : options.pem ? B64_PEM_DECODE : B64_DECODE;
  }

  /** Decodes the next piece of text; returns the bytes completed so far (possibly empty). */
  push(chunk: Uint8Array): Uint8Array {
    const n = chunk.length;
    // A MIME body ends at its first `=`: the rest is not data.
    if (this.#mimeBody && this.#padding > 0) {
      this.#offset += n;
      return new Uint8Array(0);
    }
    const out = new Uint8Array(Math.floor(((n + 4) * 3) / 4));
    let o = 0;
    let i = 0;
    // Node's decoder takes the url alphabet too, which a MIME body and PEM do not have: such chunks are decoded here.
    const nativeOk = this.#table === B64_DECODE || (findByte(chunk, 0x2d) < 0 && findByte(chunk, 0x5f) < 0);
    if (n >= NATIVE_MIN && this.#padding === 0 && nativeOk && findByte(chunk, 0x3d) < 0) {
      // The group begun in the last chunk is finished here; whole groups go through Node's decoder where there is
      // one; the characters after the last whole group, and any chunk Node cannot take as it is, come here.
      i = this.#groupStart(chunk);
      o = this.#decode(chunk, 0, i, out, 0);
      const cut = this.#lastGroupEnd(chunk, i);
      const characters = cut.characters;
      const native = characters > 0 ? nativeBase64Groups(chunk.subarray(i, cut.at), characters, out, o) : undefined;
      if (native !== undefined) {
        o += native;
        i = cut.at;
      }
    }
    o = this.#decode(chunk, i, n, out, o);
    this.#offset += n;
    return out.subarray(0, o);
  }

  /** Where the group begun in an earlier chunk is complete: after the data characters it still needs. */
  #groupStart(chunk: Uint8Array): number {
    // After 1, 2 or 3 characters of a group, 6, 4 or 2 bits wait: 3, 2 or 1 characters to go.
    let needed = this.#bits / 2;
    let i = 0;
    while (needed > 0 && i < chunk.length) if (this.#table[chunk[i++]!]! !== -2) needed--;
    return i;
  }

  /**
   * The end of the last whole group of `chunk[from, …)` and the characters before it, counted as the bytes that are
   * not CR or LF (anything else makes Node's count differ, and the chunk is decoded here).
   */
  #lastGroupEnd(chunk: Uint8Array, from: number): { at: number; characters: number } {
    const rest = chunk.subarray(from);
    const all = rest.length - countLineEnds(rest);
    let extra = all % 4;
    let at = chunk.length;
    while (extra > 0 && at > from) {
      const c = chunk[--at]!;
      if (c !== 0x0a && c !== 0x0d) extra--;
    }
    return { at, characters: all - (all % 4) };
  }

  /** `chunk[from, to)` one group or character at a time into `out` at `o`; returns the new `o`. */
  #decode(chunk: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
    const table = this.#table;
    let acc = this.#acc;
    let bits = this.#bits;
    let padding = this.#padding;
    let i = from;
    while (i < to) {
      if (bits === 0 && padding === 0) {
        // Fast path: four data characters at a group boundary.
        while (i + 4 <= to) {
          const a = table[chunk[i]!]!;
          const b = table[chunk[i + 1]!]!;
          const c = table[chunk[i + 2]!]!;
          const d = table[chunk[i + 3]!]!;
          if ((a | b | c | d) < 0) break;
          const v = (a << 18) | (b << 12) | (c << 6) | d;
          out[o] = v >> 16;
          out[o + 1] = (v >> 8) & 0xff;
          out[o + 2] = v & 0xff;
          o += 3;
          i += 4;
        }
        if (i >= to) break;
      }
      const v = table[chunk[i]!]!;
      if (v >= 0) {
        if (padding > 0) {
          const offset = this.#offset + i;
          throw new FormatError('bad-base64', `base64 data after padding at position ${offset}`, { offset });
        }
        acc = ((acc << 6) | v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out[o++] = (acc >> bits) & 0xff;
        }
      } else if (v === -3) {
        padding++;
        if (this.#mimeBody) break;
      } else if (v === -1) {
        const offset = this.#offset + i;
        throw new FormatError('bad-base64', `invalid base64 character at position ${offset}`, { offset });
      }
      i++;
    }
    this.#acc = acc;
    this.#bits = bits;
    this.#padding = padding;
    return o;
  }

  /** Checks the end of the text. */
  finish(): void {
    if (this.#mimeBody) {
      if (this.#bits >= 6)
        throw new FormatError('malformed-mime', 'base64 body is truncated (a single leftover character)', {
          offset: this.#offset,
        });
      return;
    }
    if (this.#bits >= 6 || this.#padding > 2) {
      throw new FormatError('bad-base64', 'truncated base64 data', { offset: this.#offset });
    }
  }
}

/** A stream that decodes base64 text (ASCII bytes) into bytes; see {@link Base64StreamDecoder} for what it accepts. */
export function base64DecodeStream(options: Base64StreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new Base64StreamDecoder(options);
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const out = decoder.push(chunk);
      if (out.length > 0) controller.enqueue(out);
    },
    flush() {
      decoder.finish();
    },
  });
}
