/** Content-Transfer-Encoding (RFC 2045 §6): decoding as receivers must, encoding as 7-bit-safe senders should. */
import { FormatError } from '../errors.js';
import { latin1, toBase64Lines } from '../util/bytes.js';
import { findByte, nativeBase64Body } from '../util/native-buffer.js';

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
  const native = bytes.length >= NATIVE_BASE64_BODY_MIN ? nativeBase64Body(bytes) : undefined;
  if (native) return native;
  const out = new Uint8Array(Math.floor((bytes.length * 3) / 4) + 3);
  const state = decodeBase64Into(bytes, out);
  if (state % 8 === 6)
    throw new FormatError('malformed-mime', 'base64 body is truncated (a single leftover character)');
  const n = Math.floor(state / 8);
  // Line breaks leave a few percent unused: a view then, not a copy of a body that may be 100 MB.
  return out.length - n <= (n >> 4) + 64 ? out.subarray(0, n) : out.slice(0, n);
}

/** Below this, the loop here is as fast as the round trip through a native string. */
const NATIVE_BASE64_BODY_MIN = 4096;

/**
 * The decoding loop, apart: with the checks after it in the same function, V8 deoptimized the function on every
 * call (once per message). Whole groups of four alphabet characters are decoded at once; anything else (line
 * breaks, stray characters, padding) goes through the character-at-a-time path, which leaves `bits` at 0 again
 * after every fourth alphabet character. Returns bytes written * 8 + leftover bits.
 */
function decodeBase64Into(bytes: Uint8Array, out: Uint8Array): number {
  const length = bytes.length;
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < length;) {
    if (bits === 0) {
      while (i + 3 < length) {
        const a = B64[bytes[i]!]!;
        const b = B64[bytes[i + 1]!]!;
        const c = B64[bytes[i + 2]!]!;
        const d = B64[bytes[i + 3]!]!;
        if ((a | b | c | d) < 0) break; // a character outside the alphabet, or '='
        const v = (a << 18) | (b << 12) | (c << 6) | d;
        out[n] = v >>> 16;
        out[n + 1] = (v >>> 8) & 0xff;
        out[n + 2] = v & 0xff;
        n += 3;
        i += 4;
      }
      if (i >= length) break;
    }
    const ch = bytes[i++]!;
    if (ch === 0x3d) break;
    const v = B64[ch]!;
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
  return decodeQuotedPrintablePart(bytes, true).decoded;
}

/** Whitespace after a `=` that a streamed body may hold before it knows whether a line break ends it. */
const MAX_QP_SPACE_RUN = 998;

/**
 * Quoted-printable decoding of the beginning of a body (`final` false: more follows) or of its rest. Stops before a
 * `=` whose meaning the next bytes decide (whitespace then maybe a soft line break, a CR whose LF may be next, an
 * escape's second hex digit): `consumed` says where; decode from there with the next bytes. The same decoding as
 * {@link decodeQuotedPrintable} for the whole body, however it is cut.
 *
 * @throws {FormatError} `malformed-mime`, when not `final`, for more whitespace after a `=` than a line can hold
 *   (what a stream would otherwise have to keep without bound).
 */
export function decodeQuotedPrintablePart(
  bytes: Uint8Array,
  final: boolean,
): { decoded: Uint8Array; consumed: number } {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const c = bytes[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    // Soft line break: '=' followed by optional whitespace then CRLF / LF (or end of input).
    let j = i + 1;
    while (j < length && (bytes[j] === 0x20 || bytes[j] === 0x09)) j++;
    if (!final && j - i > MAX_QP_SPACE_RUN) {
      throw new FormatError('malformed-mime', `quoted-printable body has over ${MAX_QP_SPACE_RUN} spaces after a "="`);
    }
    if (!final && (j >= length || (bytes[j] === 0x0d && j + 1 >= length) || (j === i + 1 && i + 2 >= length))) {
      return { decoded: out.slice(0, n), consumed: i };
    }
    if (j >= length) {
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
  return { decoded: out.slice(0, n), consumed: length };
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
      throw unknownTransferEncoding(encoding);
  }
}

/** The Content-Transfer-Encodings MIME defines, lowercase (an absent header is `7bit`). */
const TRANSFER_ENCODINGS = new Set(['base64', 'quoted-printable', '7bit', '8bit', 'binary', '']);

/** True for an encoding `decodeTransferEncoding` removes or leaves as it is (trimmed, lowercase). */
export function isKnownTransferEncoding(encoding: string): boolean {
  return TRANSFER_ENCODINGS.has(encoding);
}

/** `unsupported-format` for a Content-Transfer-Encoding header MIME does not define, as the header has it. */
export function unknownTransferEncoding(header: string | undefined): FormatError {
  return new FormatError('unsupported-format', `unknown Content-Transfer-Encoding "${header}"`);
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
 * worst case, so text (the usual input) costs about its own size. One pass over the input, four bytes at a time,
 * finds the line ends and the bytes that must be escaped; lines with nothing to escape (most text) are copied in
 * blocks, and only the others are encoded byte by byte.
 */
export function encodeQuotedPrintableBytes(bytes: Uint8Array): Uint8Array {
  const writer = new QpWriter(bytes);
  const length = bytes.length;
  const head = Math.min(length, (4 - (bytes.byteOffset & 3)) & 3);
  const count = (length - head) >> 2;
  for (let j = 0; j < head; j++) writer.visit(j);
  if (count > 0) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + head, count);
    // '=' is found natively; text without one (most of it) then needs the shorter word test.
    if (findByte(bytes, 0x3d) < 0) visitWordsNoEquals(writer, words, head);
    else visitWords(writer, words, head);
  }
  for (let j = head + count * 4; j < length; j++) writer.visit(j);
  return writer.finish();
}

/**
 * Visits the bytes of every word that may hold a byte < 0x20 (line ends among them), >= 0x80, '=' or DEL.
 * (v - 0x01..) & ~v is non-zero exactly when v has a zero byte.
 */
function visitWords(writer: QpWriter, words: Int32Array, head: number): void {
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    const eq = w ^ 0x3d3d3d3d;
    const del = w ^ 0x7f7f7f7f;
    if ((w | ((w - 0x20202020) & ~w) | ((eq - 0x01010101) & ~eq) | ((del - 0x01010101) & ~del)) & 0x80808080)
      writer.visitWord(head + k * 4);
  }
}

/**
 * `visitWords` for input without '=': w + 0x01.. sets the high bit of a DEL byte, and a carry into a byte only
 * ever comes from a 0xff byte, which w itself marks.
 */
function visitWordsNoEquals(writer: QpWriter, words: Int32Array, head: number): void {
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if ((w | (w + 0x01010101) | ((w - 0x20202020) & ~w)) & 0x80808080) writer.visitWord(head + k * 4);
  }
}

/** The state of `encodeQuotedPrintableBytes`: the output, and the line being read. */
class QpWriter {
  private out: Uint8Array;
  private o = 0;
  /** Start of the lines not yet written, which are copied as they are. */
  private verbatim = 0;
  private lineStart = 0;
  /** The current line holds a byte escaped wherever it stands. */
  private dirty = false;

  /** Views for copying four bytes at a time: a native copy per short segment costs more than the copying. */
  private readonly source: DataView;
  private target: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.out = new Uint8Array(bytes.length + (bytes.length >> 4) + 64);
    this.source = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.target = new DataView(this.out.buffer);
  }

  /** A byte the word test flagged: a line end, or maybe a byte to escape (a CR ending a line is not one). */
  visit(j: number): void {
    const c = this.bytes[j]!;
    if (c === 0x0a) {
      this.line(this.lineStart, j);
      this.lineStart = j + 1;
      this.dirty = false;
    } else if (QP_LITERAL[c] === 0 && !(c === 0x0d && this.bytes[j + 1] === 0x0a)) this.dirty = true;
  }

  visitWord(at: number): void {
    this.visit(at);
    this.visit(at + 1);
    this.visit(at + 2);
    this.visit(at + 3);
  }

  finish(): Uint8Array {
    this.line(this.lineStart, -1);
    return this.out.subarray(0, this.o);
  }

  /** The line from `start` to its LF at `lf` (-1: the last line, without one). */
  private line(start: number, lf: number): void {
    const bytes = this.bytes;
    const end = lf < 0 ? bytes.length : lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    const plain = !this.dirty && plainLine(bytes, start, end);
    // A plain line within the width that already ends in CRLF is its own encoding: left for the block copy.
    if (plain && lf === end + 1 && end - start <= QP_WIDTH) return;
    const size = end - start;
    // Worst case: a soft break per full width; escaped, every byte three and a soft break per 25 of them.
    this.reserve(start - this.verbatim + (plain ? size + Math.ceil(size / QP_WIDTH) * 3 : size * 4) + 8);
    const out = this.out;
    let o = this.o;
    if (start > this.verbatim) {
      out.set(bytes.subarray(this.verbatim, start), o);
      o += start - this.verbatim;
    }
    o = plain ? this.writePlainLine(start, end, o) : encodeLine(bytes, start, end, out, o);
    if (lf >= 0) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
    this.o = o;
    this.verbatim = lf < 0 ? bytes.length : lf + 1;
  }

  /** A plain line [start, end) written at `o`: soft breaks every QP_WIDTH bytes and nothing else. */
  private writePlainLine(start: number, end: number, o: number): number {
    const { bytes, out, source, target } = this;
    for (let from = start; ; from += QP_WIDTH) {
      const stop = Math.min(end, from + QP_WIDTH);
      let i = from;
      for (; i + 4 <= stop; i += 4, o += 4) target.setUint32(o, source.getUint32(i, true), true);
      for (; i < stop; i++) out[o++] = bytes[i]!;
      if (stop === end) return o;
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
  }

  private reserve(more: number): void {
    if (this.o + more <= this.out.length) return;
    const grown = new Uint8Array(Math.max(this.o + more, this.out.length * 2));
    grown.set(this.out.subarray(0, this.o));
    this.out = grown;
    this.target = new DataView(grown.buffer);
  }
}

/**
 * True when the line [start, end) of bytes that need no escape also needs none at its edges: no space or tab at its
 * end, and no `.` or `F` (a possible `From `) where an encoded line would begin.
 */
function plainLine(bytes: Uint8Array, start: number, end: number): boolean {
  if (end > start && QP_LITERAL[bytes[end - 1]!] !== 1) return false;
  for (let s = start; s < end; s += QP_WIDTH) if (bytes[s] === 0x2e || bytes[s] === 0x46) return false;
  return true;
}

/** One line [start, end) byte by byte, escaping what the rules say. */
function encodeLine(bytes: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  const last = end - 1;
  let width = 0;
  for (let i = start; i < end; i++) {
    if (width !== 0) {
      // A run of bytes written as they are, up to the line's last byte and the encoded line's width.
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
  return o;
}
