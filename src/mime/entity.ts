/**
 * A MIME entity tree that keeps the original bytes: every entity knows its
 * exact byte range in the source, so signed parts are hashed as received,
 * never re-serialized.
 */
import { FormatError, LimitError } from '../errors.js';
import { fromLatin1, toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { byteSearch } from '../util/native-buffer.js';
import { getHeader, parseContentType, parseHeaderBlock, type ContentType, type MimeHeader } from './headers.js';
import { decodeTransferEncoding } from './transfer-encoding.js';

/**
 * One MIME entity (a message, or a part of a multipart) as `parseMime` returns it: offsets into the input and the
 * parsed header fields. Nothing is copied; {@link entityBytes}, {@link bodyBytes} and {@link decodedBody} read the
 * bytes, {@link walkEntities} visits the parts.
 */
export interface MimeEntity {
  /** The buffer all offsets refer to. */
  source: Uint8Array;
  /** Offset of the first header byte. */
  start: number;
  /** Offset of the first body byte (after the blank line). Equals `start` … if the entity has no header section. */
  bodyStart: number;
  /** Offset after the last byte of the entity (the line break before a boundary delimiter excluded). */
  end: number;
  /** The header fields in order, raw bytes kept (`header(e, name)` reads one). */
  headers: MimeHeader[];
  /** The parsed Content-Type; `text/plain; charset=us-ascii` when the header is absent (RFC 2045 §5.2). */
  contentType: ContentType;
  /** Parts of a multipart entity, in order; empty otherwise (also for `message/rfc822`: parse its body to go inside). */
  children: MimeEntity[];
  /** Nesting depth (0 = the message). */
  depth: number;
}

/** Limits of `parseMime`, against hostile input; past them it throws `LimitError` `mime-limit-exceeded`. */
export interface MimeParseOptions {
  /** Deepest multipart nesting accepted (default 32). */
  maxDepth?: number;
  /** Most parts accepted in the whole tree (default 10 000). */
  maxParts?: number;
}

/** The entity's exact bytes (headers, blank line and body). */
export function entityBytes(e: MimeEntity): Uint8Array {
  return e.source.subarray(e.start, e.end);
}

/** The entity's raw body bytes (still transfer-encoded). */
export function bodyBytes(e: MimeEntity): Uint8Array {
  return e.source.subarray(e.bodyStart, e.end);
}

/**
 * The entity's body with its Content-Transfer-Encoding removed (base64 and quoted-printable decoded; 7bit, 8bit and
 * binary as they are). The bytes are not converted from the part's charset: decode text with
 * `new TextDecoder(e.contentType.params.charset)`.
 *
 * @throws {FormatError} `unsupported-format` (an unknown transfer encoding), `malformed-mime` (truncated base64)
 */
export function decodedBody(e: MimeEntity): Uint8Array {
  return decodeTransferEncoding(bodyBytes(e), getHeader(e.headers, 'content-transfer-encoding'));
}

/** The unfolded value of the entity's first header field called `name` (case-insensitive); undefined when absent. */
export function header(e: MimeEntity, name: string): string | undefined {
  return getHeader(e.headers, name);
}

/**
 * Where the header section of `src` ends (after its last line break) and the body starts, for CRLF or bare-LF
 * input, without parsing the body; undefined when there is no blank line.
 */
export function headerSection(src: Uint8Array): { headerEnd: number; bodyStart: number } | undefined {
  const split = splitHeaders(src, 0, src.length);
  return split && { headerEnd: split[0], bodyStart: split[1] };
}

/** Finds the end of the header section: returns [headerEnd, bodyStart] or undefined when there is no blank line. */
function splitHeaders(src: Uint8Array, start: number, end: number): [number, number] | undefined {
  // An entity that starts with a blank line has no headers (RFC 2045 allows it; RFC 4134 §4.8 does it).
  // Within [start, end) only: an empty part must not take the line break of the delimiter after it.
  if (start < end && src[start] === 0x0a) return [start, start + 1];
  if (start + 1 < end && src[start] === 0x0d && src[start + 1] === 0x0a) return [start, start + 2];
  for (let i = start; i < end; i++) {
    if (src[i] !== 0x0a) continue;
    if (src[i + 1] === 0x0a && i + 1 < end) return [i + 1, i + 2];
    if (src[i + 1] === 0x0d && src[i + 2] === 0x0a && i + 2 < end) return [i + 1, i + 3];
  }
  return undefined;
}

/** Longest boundary searched for (see findDelimiters). */
export const MAX_BOUNDARY_LENGTH = 994;

interface Delimiter {
  /** Start of the line break before the delimiter (that line break belongs to the delimiter). */
  before: number;
  /** Offset after the delimiter line, including its line break. */
  after: number;
  close: boolean;
}

/** Delimiter lines `--boundary` / `--boundary--` inside [from, end), each at the start of a line. */
function findDelimiters(src: Uint8Array, boundary: string, from: number, end: number): Delimiter[] {
  // A delimiter line is at most 998 octets (RFC 5322 §2.1.1; RFC 2046 allows 70-character boundaries): a longer
  // boundary cannot occur, and searching for it would only cost time.
  if (boundary.length > MAX_BOUNDARY_LENGTH) return [];
  const needle = fromLatin1(`--${boundary}`);
  const indexOf = byteSearch(needle);
  const out: Delimiter[] = [];
  let pos = from;
  for (;;) {
    const at = indexOf(src, pos, end);
    if (at < 0) break;
    pos = at + needle.length;
    if (at !== from && src[at - 1] !== 0x0a) continue;
    let i = at + needle.length;
    const close = src[i] === 0x2d && src[i + 1] === 0x2d;
    if (close) i += 2;
    while (i < end && (src[i] === 0x20 || src[i] === 0x09)) i++; // transport padding
    if (i < end && src[i] === 0x0d) i++;
    if (i < end && src[i] !== 0x0a) continue; // boundary text followed by more text: not a delimiter
    const after = i < end ? i + 1 : end;
    let before = at;
    if (before > from && src[before - 1] === 0x0a) before--;
    if (before > from && src[before - 1] === 0x0d) before--;
    out.push({ before, after, close });
    if (close) break;
  }
  return out;
}

function parseEntity(
  src: Uint8Array,
  start: number,
  end: number,
  depth: number,
  opts: Required<MimeParseOptions>,
  count: { parts: number },
): MimeEntity {
  if (depth > opts.maxDepth)
    throw new LimitError('mime-limit-exceeded', `MIME nesting deeper than ${opts.maxDepth} levels`, {
      offset: start,
      details: { limit: 'maxDepth', value: opts.maxDepth },
    });
  if (++count.parts > opts.maxParts)
    throw new LimitError('mime-limit-exceeded', `more than ${opts.maxParts} MIME parts`, {
      offset: start,
      details: { limit: 'maxParts', value: opts.maxParts },
    });
  const split = splitHeaders(src, start, end);
  const [headerEnd, bodyStart] = split ?? [end, end];
  const headers = parseHeaderBlock(src.subarray(start, headerEnd));
  const contentType = parseContentType(getHeader(headers, 'content-type'));
  const entity: MimeEntity = { source: src, start, bodyStart, end, headers, contentType, children: [], depth };
  const boundary = contentType.params.boundary;
  if (contentType.type === 'multipart' && boundary) {
    const delims = findDelimiters(src, boundary, bodyStart, end);
    for (let i = 0; i < delims.length && !delims[i]!.close; i++) {
      const open = delims[i]!;
      // A missing close delimiter: the last part runs to the end of the entity.
      const partEnd = delims[i + 1]?.before ?? end;
      entity.children.push(parseEntity(src, open.after, Math.max(open.after, partEnd), depth + 1, opts, count));
    }
  }
  return entity;
}

/**
 * Parses a MIME message or entity from its raw bytes (CRLF or LF line endings): headers, Content-Type and, for
 * `multipart/*`, every part, recursively. Text input is encoded as UTF-8 first. Every entity keeps its exact byte
 * range in the input, which is never copied or modified. Malformed structure is tolerated as mail clients do: a
 * missing close delimiter ends the last part at the end of the input, and a line that is not a header field is
 * kept with an empty name.
 *
 * @throws {FormatError} `malformed-mime` (empty input)
 * @throws {LimitError} `mime-limit-exceeded` (deeper than `maxDepth` or more than `maxParts` parts)
 * @example
 * ```ts
 * const message = parseMime(await readFile('message.eml'));
 * console.log(message.contentType.mediaType, message.children.length); // multipart/mixed 2
 * ```
 */
export function parseMime(input: BytesLike | string, options: MimeParseOptions = {}): MimeEntity {
  const src = typeof input === 'string' ? utf8(input) : toBytes(input, 'MIME message');
  if (src.length === 0) throw new FormatError('malformed-mime', 'the message is empty');
  const opts = { maxDepth: options.maxDepth ?? 32, maxParts: options.maxParts ?? 10_000 };
  return parseEntity(src, 0, src.length, 0, opts, { parts: 0 });
}

/**
 * Depth-first walk over an entity tree, in document order: the entity itself first, then each part and its parts.
 *
 * @example
 * ```ts
 * for (const part of walkEntities(parseMime(eml))) console.log(part.depth, part.contentType.mediaType);
 * ```
 */
export function* walkEntities(root: MimeEntity): Generator<MimeEntity> {
  yield root;
  for (const c of root.children) yield* walkEntities(c);
}
