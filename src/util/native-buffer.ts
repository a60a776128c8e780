/**
 * Node's `Buffer` where there is one (feature-detected, so browsers never load `node:buffer`): its native search,
 * latin1 and base64 code is many times faster than loops over a Uint8Array, and every user here has a portable
 * fallback that gives the same result.
 */

/** The part of Node's `Buffer` used here. */
export interface NativeBuffer {
  from(
    data: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): {
    toString(encoding: 'base64' | 'latin1', start?: number, end?: number): string;
    write(text: string, offset: number, length: number, encoding: 'base64'): number;
    indexOf(value: number | Uint8Array, byteOffset?: number): number;
  };
  from(text: string, encoding: 'base64'): Uint8Array & { toString(encoding: 'base64'): string };
  allocUnsafe(size: number): Uint8Array & { write(text: string, offset: number, encoding: 'latin1'): number };
  compare?(a: Uint8Array, b: Uint8Array): number;
}
export const nativeBuffer = (globalThis as unknown as { Buffer?: NativeBuffer }).Buffer;

/**
 * A MIME base64 body (RFC 2045 §6.8: characters outside the alphabet skipped, decoding stops at the first `=`)
 * through Node's decoder, which follows the same rules and is several times faster than a loop here. Undefined
 * where there is no `Buffer`, where the body holds the url alphabet's `-` or `_`, or where it might end with a
 * single character left over (an error for MIME, which the portable decoder reports).
 */
export function nativeBase64Body(bytes: Uint8Array): Uint8Array | undefined {
  if (!nativeBuffer || typeof nativeBuffer.allocUnsafe !== 'function') return undefined;
  // Buffer's search is native memchr; a Uint8Array's indexOf is a loop 15 times slower on a large body.
  const view = nativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const stop = view.indexOf(0x3d);
  const end = stop < 0 ? bytes.length : stop;
  // Node's decoder also takes the url alphabet's '-' and '_', which MIME skips.
  const url = view.indexOf(0x2d);
  const underscore = view.indexOf(0x5f);
  if ((url >= 0 && url < end) || (underscore >= 0 && underscore < end)) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4) + 3);
  const text = view.toString('latin1', 0, end);
  const written = nativeBuffer.from(out.buffer, 0, out.length).write(text, 0, out.length, 'base64');
  // Node skips what MIME skips, but drops a single character left over where MIME refuses it. Only a count of the
  // characters tells, and only when the bytes end on a whole group: 3 bytes come from 4 characters, or from 5.
  if (written % 3 !== 0) return out.subarray(0, written);
  const characters = end - countLineEnds(bytes.subarray(0, end));
  // Characters other than line ends were skipped too: one more than 4 per 3 bytes could be one of them, or the
  // leftover; the portable decoder counts what only it can.
  return characters % 4 !== 1 && written === Math.floor((characters * 3) / 4) ? out.subarray(0, written) : undefined;
}

/**
 * `bytes.indexOf(value)`, by Node's native search where there is one: a Uint8Array's own indexOf is a loop about 15
 * times slower on large data.
 */
export function findByte(bytes: Uint8Array, value: number): number {
  if (!nativeBuffer || bytes.length < 4096) return bytes.indexOf(value);
  return nativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(value);
}

/**
 * What single bytes (line ends) are searched in, one search per line: Node's Buffer over the same memory where
 * there is one (2–3 times faster than a Uint8Array's own search, measured on 4 KB and 25 MB of text), else the bytes
 * themselves. Indexes are the same in both.
 */
export function lineSearch(bytes: Uint8Array): Pick<Uint8Array, 'indexOf'> {
  return nativeBuffer && bytes.length >= 256 ? nativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
}

/** Lines shorter than this on average are cheaper to find by looking at every byte than by a search per line. */
const SHORT_LINE = 32;
const LINES_PER_CHECK = 64;

/**
 * Calls `onLf(i)` for every LF in `b`, in order, until it returns true. Finds them by a search per line
 * ({@link lineSearch}) while lines are long; where they average under 32 bytes (a file of empty lines, say) the rest
 * is scanned eight bytes at a time, so short lines cost no more than a scan of every byte.
 */
export function forEachLf(b: Uint8Array, onLf: (i: number) => boolean | void): void {
  const search = lineSearch(b);
  let checkpoint = 0;
  let lines = 0;
  let i = search.indexOf(0x0a);
  for (; i >= 0; i = search.indexOf(0x0a, i + 1)) {
    if (onLf(i)) return;
    if (++lines < LINES_PER_CHECK) continue;
    if (i - checkpoint < LINES_PER_CHECK * SHORT_LINE) break;
    lines = 0;
    checkpoint = i;
  }
  if (i < 0) return;
  const from = i + 1;
  const rest = b.subarray(from);
  let stop = false;
  visitControlBytes(rest, rest.length, (start, end) => {
    for (let k = start; k < end && !stop; k++) if (rest[k] === 0x0a && onLf(from + k)) stop = true;
  });
}

/** Where a sequence {@link byteSearch} made for it starts in `src[from, end)`, or -1. */
export type ByteSearch = (src: Uint8Array, from: number, end: number) => number;

/** Below this many bytes to search, the loop here beats making a Buffer view for the native search. */
const NATIVE_SEARCH_MIN = 2048;

/**
 * A search for `needle`, prepared once for many calls: Node's native search on long stretches, Boyer-Moore-Horspool
 * (its table built here, once) on short ones and without `Buffer`, so that a body full of the needle's first byte
 * (a `-` for MIME delimiters) never costs a step per byte.
 */
export function byteSearch(needle: Uint8Array): ByteSearch {
  const n = needle.length;
  const last = n - 1;
  const skip = new Int32Array(256).fill(n);
  for (let j = 0; j < last; j++) skip[needle[j]!] = last - j;
  const loop: ByteSearch = (src, from, end) => {
    for (let i = from; i + n <= end; i += skip[src[i + last]!]!) {
      let j = last;
      while (j >= 0 && src[i + j] === needle[j]) j--;
      if (j < 0) return i;
    }
    return -1;
  };
  if (!nativeBuffer || n === 0) return loop;
  const native = nativeBuffer;
  return (src, from, end) =>
    end - from < NATIVE_SEARCH_MIN
      ? loop(src, from, end)
      : native.from(src.buffer, src.byteOffset, end).indexOf(needle, from);
}

/**
 * Decodes `text`, whole groups of four base64 characters (either alphabet) with CR and LF between them and
 * `characters` of them, through Node's decoder into `out` at `at`. Undefined without `Buffer`, or when the text held
 * anything else, which Node skips where the caller must refuse it: fewer bytes come out than the characters make.
 */
export function nativeBase64Groups(
  text: Uint8Array,
  characters: number,
  out: Uint8Array,
  at: number,
): number | undefined {
  if (!nativeBuffer || characters % 4 !== 0) return undefined;
  const latin = nativeBuffer.from(text.buffer, text.byteOffset, text.length).toString('latin1');
  const room = out.length - at;
  const written = nativeBuffer.from(out.buffer, out.byteOffset + at, room).write(latin, 0, room, 'base64');
  return written === (characters / 4) * 3 ? written : undefined;
}

/** CR and LF bytes in `b`. */
export function countLineEnds(b: Uint8Array): number {
  let count = 0;
  visitControlBytes(b, b.length, (from, to) => {
    for (let i = from; i < to; i++) if (b[i] === 0x0a || b[i] === 0x0d) count++;
  });
  return count;
}

/**
 * Calls `visit(from, to)` for stretches of `b[0, end)` that cover every byte below 0x0e (line ends, NUL and a few
 * rare controls), found eight bytes at a time: in text, about one stretch of eight bytes per line, where a native
 * search per line costs several times more. Returns the OR of every byte, so `& 0x80` tells whether any is 8-bit.
 */
export function visitControlBytes(b: Uint8Array, end: number, visit: (from: number, to: number) => void): number {
  const head = Math.min(end, (4 - (b.byteOffset & 3)) & 3);
  const pairs = ((end - head) >> 3) << 1;
  let high = 0;
  for (let i = 0; i < head; i++) high |= b[i]!;
  if (head > 0) visit(0, head);
  if (pairs > 0) {
    const words = new Int32Array(b.buffer, b.byteOffset + head, pairs);
    for (let k = 0; k < pairs; k += 2) {
      const w0 = words[k]!;
      const w1 = words[k + 1]!;
      high |= w0 | w1;
      // (v - 0x0e..) & ~v & 0x80.. is non-zero when v has a byte below 0x0e (and sometimes for one of 0x80 or more).
      if ((((w0 - 0x0e0e0e0e) & ~w0) | ((w1 - 0x0e0e0e0e) & ~w1)) & 0x80808080) visit(head + k * 4, head + k * 4 + 8);
    }
  }
  for (let i = head + pairs * 4; i < end; i++) high |= b[i]!;
  if (head + pairs * 4 < end) visit(head + pairs * 4, end);
  return (high | (high >>> 8) | (high >>> 16) | (high >>> 24)) & 0xff;
}
