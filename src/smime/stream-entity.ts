/**
 * The MIME side of the streaming S/MIME functions: a streamed message split into outer headers and the inner
 * entity (as `splitMessage` does on a buffer), the inner body brought to canonical form as it passes, and base64
 * bodies written as they are produced.
 */
import { FormatError } from '../errors.js';
import { generatorStream, iterateBytes, type ByteSource } from '../util/byte-source.js';
import { base64DecodeStream } from '../util/streams.js';
import { base64Bytes } from '../util/bytes.js';
import { joinMessage, looksLikeMessage, splitMessage, toCrlf } from '../mime/canonical.js';
import { parseMime, type MimeEntity } from '../mime/entity.js';
import { isKnownTransferEncoding, unknownTransferEncoding } from '../mime/transfer-encoding.js';
import { classifyEntity, RAW_CMS, type SmimeEntityType } from './classify.js';
import { notSmime } from './read-cms.js';
import { getHeader, type MimeHeader } from '../mime/headers.js';
import {
  beginsLikeCmsPem,
  crlfStream,
  pemDecodeStream,
  quotedPrintableDecodeStream,
  readHeadStream,
} from '../mime/stream.js';

/** A streamed message split for signing or encryption. */
export interface StreamedSplit {
  /** Transport headers that stay outside (undefined for a bare entity). */
  outerHeaders?: MimeHeader[];
  /** The inner entity's header section, CRLF, ending with the blank line (empty for headerless text). */
  innerHead: Uint8Array;
  /** Media type and transfer encoding of the inner entity (lower case). */
  mediaType: string;
  transferEncoding: string;
  /** The inner body, as it arrives (not yet canonicalized). */
  body: AsyncGenerator<Uint8Array>;
}

/**
 * Reads a streamed message's header section and splits it: a whole message's `Content-*` headers move into the
 * inner entity, the rest stay outside; a bare entity is the inner entity; input without headers is text.
 */
export async function splitStreamedMessage(input: ByteSource): Promise<StreamedSplit> {
  const { head, body } = await readHeadStream(input);
  if (head.length === 0) return { innerHead: head, mediaType: 'text/plain', transferEncoding: '7bit', body };
  const canonicalHead = toCrlf(head);
  const parsed = parseMime(canonicalHead);
  let outerHeaders: MimeHeader[] | undefined;
  let innerHead = canonicalHead;
  let headers = parsed.headers;
  if (looksLikeMessage(parsed)) {
    const split = splitMessage(canonicalHead);
    outerHeaders = split.outerHeaders;
    innerHead = split.inner;
    headers = parseMime(innerHead).headers;
  }
  const mediaType = parseMime(innerHead).contentType.mediaType;
  const transferEncoding = (getHeader(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  return { ...(outerHeaders ? { outerHeaders } : {}), innerHead, mediaType, transferEncoding, body };
}

/**
 * The inner body in the form S/MIME protects (RFC 8551 §3.1): line-oriented bodies (text, multipart, base64 and
 * quoted-printable) get CRLF; any other body keeps its exact bytes.
 */
export function canonicalBody(split: StreamedSplit): AsyncGenerator<Uint8Array> {
  return isLineOriented(split) ? crlfStream(split.body) : split.body;
}

/** Text, multipart, base64 and quoted-printable bodies are lines, whose ends S/MIME protects as CRLF. */
export function isLineOriented(split: StreamedSplit): boolean {
  return (
    split.innerHead.length === 0 ||
    /^(text|multipart)\//.test(split.mediaType) ||
    split.transferEncoding === 'base64' ||
    split.transferEncoding === 'quoted-printable'
  );
}

/** Base64 in 76-character CRLF lines, as `base64Bytes(data, 76)` writes it, from a stream. */
export async function* base64LinesStream(source: ByteSource): AsyncGenerator<Uint8Array> {
  // 57 input bytes make one 76-character line, so whole lines encode independently: each chunk's whole lines are
  // encoded where they lie, and only a line split between chunks is gathered (no copy of every chunk into blocks).
  const line = new Uint8Array(LINE_BYTES);
  let held = 0;
  for await (const chunk of iterateBytes(source)) {
    let offset = 0;
    if (held > 0) {
      offset = Math.min(LINE_BYTES - held, chunk.length);
      line.set(chunk.subarray(0, offset), held);
      held += offset;
      if (held < LINE_BYTES) continue;
      yield base64Bytes(line, 76);
    }
    const whole = offset + (chunk.length - offset - ((chunk.length - offset) % LINE_BYTES));
    if (whole > offset) yield base64Bytes(chunk.subarray(offset, whole), 76);
    line.set(chunk.subarray(whole), 0);
    held = chunk.length - whole;
  }
  if (held > 0) yield base64Bytes(line.subarray(0, held), 76);
}

/** Input bytes of one 76-character base64 line. */
const LINE_BYTES = 57;

/** The outer headers (with MIME-Version, as `joinMessage` writes them) followed by `entityHead`. */
export function outerPrefix(outerHeaders: readonly MimeHeader[] | undefined, entityHead: Uint8Array): Uint8Array {
  return outerHeaders ? joinMessage(outerHeaders, entityHead) : entityHead;
}

/** A streamed S/MIME message whose header section has been read and classified. */
export interface StreamedSmime {
  /** Outer (non-Content-*) headers of a whole message; empty for an entity or raw CMS. */
  outerHeaders: MimeHeader[];
  /** Every header of the top-level entity (for the sender check). */
  headers: MimeHeader[];
  /** How the top-level entity is S/MIME (RAW_CMS for BER input without MIME headers). */
  type: SmimeEntityType;
  /** The top-level entity's parsed header section (body empty). */
  entity?: MimeEntity;
  /** The body as it arrives: raw, undecoded. */
  body: AsyncGenerator<Uint8Array>;
  /** How the body is encoded: `base64`, `quoted-printable`, none (`7bit`, `binary`…), or PEM for raw CMS. */
  transferEncoding: string;
}

/** `transferEncoding` of raw CMS in PEM (no MIME header says it). */
const PEM = 'pem (raw CMS)';

/**
 * Reads and classifies the top level of a streamed S/MIME message: a MIME message or entity, or raw CMS (BER,
 * starting with a SEQUENCE).
 *
 * @throws FormatError `not-smime` when the top level is not an S/MIME entity, `malformed-mime` when the input is
 *   empty.
 */
export async function openSmimeStream(input: ByteSource): Promise<StreamedSmime> {
  // The header section as the buffered readers take it: up to the first blank line, whatever the lines hold.
  const { head, body } = await readHeadStream(input, undefined, 'blank-line');
  if (head.length === 0) {
    // No header section: raw CMS, BER or PEM (readHeadStream saw its first bytes, all in this first chunk).
    let first = await body.next();
    while (!first.done && first.value.length === 0) first = await body.next();
    // Nothing at all: the buffered readers' error for it, not "not S/MIME".
    if (first.done) throw new FormatError('malformed-mime', 'the message is empty');
    const pem = beginsLikeCmsPem(first.value);
    if (!pem && first.value[0] !== 0x30) {
      await body.return(undefined);
      throw notSmime('not S/MIME (no MIME headers, and not BER-encoded CMS)');
    }
    async function* all(): AsyncGenerator<Uint8Array> {
      yield first.value as Uint8Array;
      yield* body;
    }
    return { outerHeaders: [], headers: [], type: RAW_CMS, body: all(), transferEncoding: pem ? PEM : 'binary' };
  }
  const entity = parseMime(toCrlf(head));
  const type = classifyEntity(entity);
  if (!type) {
    await body.return(undefined);
    throw notSmime(entity.contentType.mediaType);
  }
  const outerHeaders = looksLikeMessage(entity)
    ? entity.headers.filter((h) => h.name !== '' && !h.name.toLowerCase().startsWith('content-'))
    : [];
  const transferEncoding = (getHeader(entity.headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  return { outerHeaders, headers: entity.headers, type, entity, body, transferEncoding };
}

/**
 * The CMS bytes of a streamed pkcs7-mime body, its Content-Transfer-Encoding removed as `decodeTransferEncoding`
 * removes it.
 *
 * @throws FormatError `unsupported-format` for an encoding MIME does not define.
 */
export function cmsBytes(smime: StreamedSmime): ReadableStream<Uint8Array> {
  const raw = generatorStream(smime.body);
  if (smime.transferEncoding === PEM) return raw.pipeThrough(pemDecodeStream());
  if (!isKnownTransferEncoding(smime.transferEncoding)) {
    // As decodeTransferEncoding refuses it for the buffered readers (not read as binary: that would be malformed-cms).
    void raw.cancel();
    throw unknownTransferEncoding(getHeader(smime.headers, 'content-transfer-encoding'));
  }
  if (smime.transferEncoding === 'base64') return raw.pipeThrough(base64DecodeStream({ mimeBody: true }));
  if (smime.transferEncoding === 'quoted-printable') return raw.pipeThrough(quotedPrintableDecodeStream());
  return raw;
}
