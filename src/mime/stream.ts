/**
 * MIME on streams: the header section of a streamed message read into memory (bounded), the body left streaming,
 * line ends brought to CRLF on the fly, and the multipart/signed delimiters found without holding the part.
 */
import { FormatError, LimitError } from '../errors.js';
import { concatBytes, GrowingBytes, latin1 } from '../util/bytes.js';
import { PEM_BEGIN_MAX, pemBeginLength, pemLabelMismatch, pemLineLabel, pemWithoutEnd } from '../util/pem.js';
import { lineSearch } from '../util/native-buffer.js';
import { Base64StreamDecoder } from '../util/streams.js';
import { bareLfCount } from './crlf.js';
import { decodeQuotedPrintable, decodeQuotedPrintablePart, encodeQuotedPrintableBytes } from './transfer-encoding.js';
import { iterateBytes, type ByteSource } from '../util/byte-source.js';
import { SevenBitScanner, type SevenBitFinding } from './seven-bit.js';

export type { SevenBitFinding } from './seven-bit.js';

/** Longest header section read from a stream (a real one is a few KiB; Exchange caps at 256 KiB). */
const MAX_STREAM_HEADER_BYTES = 1024 * 1024;

/** A streamed entity split after its header section. */
export interface StreamedEntity {
  /** The header section including the blank line that ends it; empty when the input has no header section. */
  head: Uint8Array;
  /** The rest, as it arrives. */
  body: AsyncGenerator<Uint8Array>;
}

/** True as soon as the first bytes cannot begin a header field (a byte outside a field name before any colon). */
function cannotBeHeader(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length && i < 1000; i++) {
    const c = bytes[i]!;
    if (c === 0x3a) return i === 0;
    if (c <= 0x20 || c >= 0x7f) return true;
  }
  return false;
}

/** True when `line` (without its end) looks like a header field or a folded continuation. */
function isHeaderLine(line: Uint8Array, first: boolean): boolean {
  if (!first && (line[0] === 0x20 || line[0] === 0x09)) return true;
  const colon = line.indexOf(0x3a);
  if (colon <= 0) return false;
  for (let i = 0; i < colon; i++) if (line[i]! <= 0x20 || line[i]! > 0x7e) return false;
  return true;
}

/**
 * Where a streamed header section ends. `'fields'` (writing: signing, encryption): at the first line that is no
 * header field, so input that does not begin with one is all body, as a bare text file is. `'blank-line'` (reading
 * S/MIME, as `parseMime` reads a buffer): at the first blank line, whatever the lines before it hold; only input
 * that begins like BER-encoded CMS has no header section.
 */
export type HeaderSectionRule = 'fields' | 'blank-line';

/**
 * Bytes enough to tell raw CMS from text: a SEQUENCE, its length (up to 5 bytes), an OBJECT IDENTIFIER; or a PEM
 * line `-----BEGIN PKCS7-----` (21 bytes).
 */
const RAW_CMS_PROBE_BYTES = 21;

const CMS_PEM_BEGIN = /^-----BEGIN (PKCS7|CMS)-----/;

/** True when `b` begins with a PEM BEGIN line of CMS (`PKCS7` or `CMS`), as the buffered readers take raw CMS. */
export function beginsLikeCmsPem(b: Uint8Array): boolean {
  return b[0] === 0x2d && CMS_PEM_BEGIN.test(latin1(b.subarray(0, RAW_CMS_PROBE_BYTES)));
}

/** A SEQUENCE whose first element is an OBJECT IDENTIFIER (a ContentInfo), definite or indefinite length. */
export function beginsLikeBer(b: Uint8Array): boolean {
  if (b[0] !== 0x30 || b.length < 3) return false;
  const l = b[1]!;
  const lengthBytes = l < 0x80 || l === 0x80 ? 0 : l - 0x80;
  return lengthBytes <= 4 && b[2 + lengthBytes] === 0x06;
}

/**
 * Reads the header section of a streamed entity; `rule` says where it ends ({@link HeaderSectionRule}). Without
 * one (`head` empty) the input is all body.
 *
 * @throws LimitError `limit-exceeded` when the header section is longer than `maxHeaderBytes`.
 */
export async function readHeadStream(
  source: ByteSource,
  maxHeaderBytes = MAX_STREAM_HEADER_BYTES,
  rule: HeaderSectionRule = 'fields',
): Promise<StreamedEntity> {
  const input = iterateBytes(source);
  const gathered = new GrowingBytes();
  let buffered: Uint8Array = new Uint8Array(0);
  let lineStart = 0;
  /** Where no LF was found up to (after the current line's start). */
  let searched = 0;
  let first = true;
  let ended = false;
  for (;;) {
    // 'blank-line' decides between BER and text once it has the bytes to (or the input ended before).
    const probed = rule === 'fields' || ended || buffered.length >= RAW_CMS_PROBE_BYTES;
    if (first && probed) {
      // Raw CMS (BER or PEM) — or, for 'fields', text that does not begin with a field name — has no header section.
      const raw = rule === 'fields' ? cannotBeHeader(buffered) : beginsLikeBer(buffered) || beginsLikeCmsPem(buffered);
      if (raw) return split(buffered, 0, input);
    }
    // Examine complete lines of what is buffered (a long line is searched once, not again with every chunk).
    for (
      let nl = probed ? buffered.indexOf(0x0a, Math.max(lineStart, searched)) : -1;
      nl >= 0;
      nl = buffered.indexOf(0x0a, lineStart)
    ) {
      const end = nl > lineStart && buffered[nl - 1] === 0x0d ? nl - 1 : nl;
      const line = buffered.subarray(lineStart, end);
      if (line.length === 0) return split(buffered, nl + 1, input);
      // A line that is no header field ends the header section without a blank line (the body starts there).
      if (rule === 'fields' && !isHeaderLine(line, first)) return split(buffered, lineStart, input);
      first = false;
      lineStart = nl + 1;
    }
    if (probed) searched = buffered.length;
    if (ended) {
      // A stream that ends inside its headers: all header, no body (as parseMime reads it) — unless, for 'fields',
      // its first line is no header field.
      const firstLine = buffered.subarray(0, buffered.indexOf(0x0a) < 0 ? buffered.length : buffered.indexOf(0x0a));
      if (rule === 'fields' && first && !isHeaderLine(firstLine, true)) return split(buffered, 0, input);
      return { head: buffered, body: (async function* () {})() };
    }
    if (buffered.length > maxHeaderBytes)
      throw new LimitError('limit-exceeded', `the header section is longer than ${maxHeaderBytes} bytes`, {
        details: { limit: 'maxHeaderBytes', value: maxHeaderBytes },
      });
    const next = await input.next();
    if (next.done) ended = true;
    else {
      gathered.append(next.value);
      buffered = gathered.view();
    }
  }
}

function split(buffered: Uint8Array, at: number, rest: AsyncGenerator<Uint8Array>): StreamedEntity {
  const head = buffered.subarray(0, at);
  const tail = buffered.subarray(at);
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      if (tail.length) yield tail;
      yield* rest;
    } finally {
      // Closed early, even while handing out the tail: the input is let go too (else what feeds it waits forever).
      await rest.return(undefined);
    }
  }
  return { head, body: body() };
}

/** Bare LF → CRLF as the bytes pass (existing CRLF kept), like `toCrlf` on a buffer. */
export async function* crlfStream(source: ByteSource): AsyncGenerator<Uint8Array> {
  const converter = new CrlfConverter();
  for await (const chunk of iterateBytes(source)) {
    if (chunk.length > 0) yield converter.convert(chunk);
  }
}

/** `crlfStream` one chunk at a time, for a caller that needs each chunk both as it came and converted. */
export class CrlfConverter {
  private lastWasCr = false;

  /** The chunk with its bare LFs made CRLF: the same array when it has none (nothing else ever changes). */
  convert(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk;
    const out = crlfChunk(chunk, this.lastWasCr);
    this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
    return out;
  }
}

/** One chunk with its bare LFs made CRLF (the chunk itself when it has none); `lastWasCr`: the one before ended in CR. */
function crlfChunk(chunk: Uint8Array, lastWasCr: boolean): Uint8Array {
  const bare = bareLfCount(chunk, lastWasCr);
  if (bare === 0) return chunk;
  const out = new Uint8Array(chunk.length + bare);
  let n = 0;
  let from = 0;
  const search = lineSearch(chunk);
  for (let i = search.indexOf(0x0a); i >= 0; i = search.indexOf(0x0a, i + 1)) {
    if (i === 0 ? lastWasCr : chunk[i - 1] === 0x0d) continue;
    out.set(chunk.subarray(from, i), n);
    n += i - from;
    out[n++] = 0x0d;
    from = i;
  }
  out.set(chunk.subarray(from), n);
  return out;
}

/**
 * Passes a body through and calls `onFinding` (once) for the first byte that would not survive a 7-bit relay
 * unchanged or that mbox storage would rewrite: 8-bit data, NUL, a bare CR, a line over 998 octets, a line beginning
 * `From ` (see `SevenBitScanner`). `lineEnds: 'convert'` (text) brings bare LFs to CRLF as they pass, in the same
 * pass; `'finding'` (a body whose bytes are kept exactly) reports one.
 */
export async function* sevenBitCheckStream(
  source: ByteSource,
  onFinding: (finding: SevenBitFinding) => void,
  lineEnds: 'convert' | 'finding' = 'convert',
): AsyncGenerator<Uint8Array> {
  const scanner = new SevenBitScanner(lineEnds);
  let lastWasCr = false;
  for await (const chunk of iterateBytes(source)) {
    const finding = scanner.scan(chunk);
    if (finding) onFinding(finding);
    if (chunk.length === 0) continue;
    yield scanner.bareLf ? crlfChunk(chunk, lastWasCr) : chunk;
    lastWasCr = chunk[chunk.length - 1] === 0x0d;
  }
  const last = scanner.finish();
  if (last) onFinding(last);
}

/** A quoted-printable soft line break. */
const SOFT_BREAK = Uint8Array.of(0x3d, 0x0d, 0x0a);

/**
 * Quoted-printable of text as it passes (LF or CRLF line ends, written as CRLF): whole lines at a time (a very long line is cut with a soft break).
 * Only a line split between chunks is copied; the rest of a chunk is encoded where it lies.
 */
export async function* quotedPrintableStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array = new Uint8Array(0);
  for await (const chunk of source) {
    const lastLf = chunk.lastIndexOf(0x0a);
    if (lastLf < 0) {
      carry = concatBytes(carry, chunk);
      if (carry.length > LONG_LINE_CUT) carry = yield* cutLongLine(carry);
      continue;
    }
    let from = 0;
    if (carry.length) {
      from = chunk.indexOf(0x0a) + 1;
      yield encodeQuotedPrintableBytes(concatBytes(carry, chunk.subarray(0, from)));
    }
    if (lastLf >= from) yield encodeQuotedPrintableBytes(chunk.subarray(from, lastLf + 1));
    carry = chunk.slice(lastLf + 1);
    if (carry.length > LONG_LINE_CUT) carry = yield* cutLongLine(carry);
  }
  if (carry.length) yield encodeQuotedPrintableBytes(carry);
}

/** Where a line with no end in sight is cut with a soft break, so that a huge line does not fill memory. */
const LONG_LINE_CUT = 64 * 1024;

/**
 * Encodes a long partial line with a soft break after it; a CR at its end stays behind (it may be the first half
 * of a CRLF split between chunks, which must stay a line end and not become an escaped `=0D`).
 */
async function* cutLongLine(carry: Uint8Array): AsyncGenerator<Uint8Array, Uint8Array> {
  const keep = carry[carry.length - 1] === 0x0d ? 1 : 0;
  yield concatBytes(encodeQuotedPrintableBytes(carry.subarray(0, carry.length - keep)), SOFT_BREAK);
  return carry.slice(carry.length - keep);
}

/**
 * Quoted-printable decoding on a stream: what `decodeQuotedPrintable` gives for the whole body, chunk by chunk.
 *
 * @throws FormatError `malformed-mime` for more whitespace after a `=` than a line can hold (never in a real body).
 */
export function quotedPrintableDecodeStream(): TransformStream<Uint8Array, Uint8Array> {
  let held: Uint8Array = new Uint8Array(0);
  return new TransformStream({
    transform(chunk, controller) {
      const bytes = held.length > 0 ? concatBytes(held, chunk) : chunk;
      const { decoded, consumed } = decodeQuotedPrintablePart(bytes, false);
      held = bytes.slice(consumed);
      if (decoded.length > 0) controller.enqueue(decoded);
    },
    flush(controller) {
      if (held.length > 0) controller.enqueue(decodeQuotedPrintable(held));
    },
  });
}

/**
 * The DER of a streamed PEM block (RFC 7468): the base64 after its BEGIN line up to its END line, decoded as
 * `decodePem` decodes it. The buffered readers take raw CMS in PEM too.
 *
 * @throws FormatError `malformed-pem` for text that is not base64 (RFC 1421 headers included: CMS has none), when
 *   the input ends before a whole END line, or when the END line names another label, as `decodePem` says.
 */
export function pemDecodeStream(): TransformStream<Uint8Array, Uint8Array> {
  let state: 'begin' | 'body' | 'end' = 'begin';
  let head = '';
  let tail = '';
  const decoder = new Base64StreamDecoder({ pem: true });
  const decode = (text: Uint8Array | undefined): Uint8Array => {
    try {
      if (text) return decoder.push(text);
      decoder.finish();
      return new Uint8Array(0);
    } catch (e) {
      const label = pemLineLabel(head, 'BEGIN');
      throw new FormatError('malformed-pem', `PEM block "${label}" does not contain valid base64`, { cause: e });
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      let from = 0;
      if (state === 'begin') {
        // The body begins right after the BEGIN line's closing dashes, as decodePem reads it (not at a line end).
        const before = head.length;
        head += latin1(chunk.subarray(0, PEM_BEGIN_MAX - before));
        const length = pemBeginLength(head);
        if (length === undefined) {
          if (head.length >= PEM_BEGIN_MAX) throw pemWithoutEnd();
          return;
        }
        head = head.slice(0, length);
        state = 'body';
        from = length - before;
      }
      if (state === 'body') {
        // Base64 has no '-': the first one begins the END line.
        const dash = chunk.indexOf(0x2d, from);
        const der = decode(chunk.subarray(from, dash >= 0 ? dash : chunk.length));
        if (der.length > 0) controller.enqueue(der);
        if (dash < 0) return;
        state = 'end';
        from = dash;
      }
      if (tail.length < PEM_END_MAX) tail += latin1(chunk.subarray(from, from + PEM_END_MAX));
    },
    flush() {
      const begin = pemLineLabel(head, 'BEGIN');
      const end = pemLineLabel(tail, 'END');
      if (end === undefined) throw pemWithoutEnd();
      if (end !== begin) throw pemLabelMismatch(begin, end);
      decode(undefined);
    },
  });
}

/** Enough of an END line to read its label. */
const PEM_END_MAX = 80;
