/**
 * Canonical form for signing (RFC 8551 §3.1): CRLF line endings and bodies
 * that survive 7-bit transports unchanged. Signing the canonical form is what
 * keeps signatures valid after relays touch the message.
 */
import { base64Bytes, concatBytes, fromLatin1, joinPieces, latin1 } from '../util/bytes.js';
import { visitControlBytes } from '../util/native-buffer.js';
import { bodyBytes, decodedBody, headerSection, parseMime, type MimeEntity } from './entity.js';
import { getHeader, parseHeaderBlock, type MimeHeader } from './headers.js';
import { encodeQuotedPrintableBytes } from './transfer-encoding.js';
import { deferCrlf, hasBareLf, toCrlf, type EntityPiece } from './crlf.js';

export { toCrlf } from './crlf.js';

/** True when every byte is 7-bit, there is no NUL or bare CR, and no line exceeds 998 octets (RFC 5322 §2.1.1). */
export function isSevenBitSafe(bytes: Uint8Array): boolean {
  return scanBody(bytes).sevenBit;
}

/** What signing needs to know of a body before it decides whether to re-encode it, from one pass. */
export interface BodyScan {
  /** `isSevenBitSafe`: no 8-bit byte, no NUL, no bare CR, no line over 998 octets. */
  sevenBit: boolean;
  /** A LF without a CR before it. */
  bareLf: boolean;
  /** A line beginning `From ` (what mbox storage rewrites as `>From `). */
  fromLine: boolean;
}

/** The line-by-line part of a scan, carried across the words that hold a CR or LF. */
interface LineState {
  lineStart: number;
  bareLf: boolean;
  fromLine: boolean;
  /** A bare CR, a line over 998 octets or a NUL. */
  broken: boolean;
}

const startsFrom = (b: Uint8Array, i: number): boolean =>
  b[i] === 0x46 && b[i + 1] === 0x72 && b[i + 2] === 0x6f && b[i + 3] === 0x6d && b[i + 4] === 0x20;

/** Byte by byte over `[from, to)`: line ends, CRs and NUL (8-bit bytes are the caller's). */
function scanBytes(b: Uint8Array, from: number, to: number, s: LineState): void {
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c === 0) s.broken = true;
    else if (c === 0x0d) {
      if (b[i + 1] !== 0x0a) s.broken = true;
    } else if (c === 0x0a) {
      const cr = i > 0 && b[i - 1] === 0x0d;
      if (!cr) s.bareLf = true;
      // The line's octets, its CR (the only place one may be) not counted.
      if (i - s.lineStart - (cr ? 1 : 0) > 998) s.broken = true;
      s.lineStart = i + 1;
      if (startsFrom(b, i + 1)) s.fromLine = true;
    }
  }
}

/**
 * One pass over a body, eight bytes at a time with no branch for ordinary text ({@link visitControlBytes}): only
 * stretches holding a byte below 0x0e (NUL, CR, LF and a few rare controls) are looked at byte by byte — about one
 * per line of text. Three searches of the whole body (line ends, CRs, `From `) cost several times more.
 */
export function scanBody(b: Uint8Array): BodyScan {
  const s: LineState = { lineStart: 0, bareLf: false, fromLine: startsFrom(b, 0), broken: false };
  const high = visitControlBytes(b, b.length, (from, to) => scanBytes(b, from, to, s));
  const sevenBit = !s.broken && (high & 0x80) === 0 && b.length - s.lineStart <= 998;
  return { sevenBit, bareLf: s.bareLf, fromLine: s.fromLine };
}

/** Serializes header fields (name, value) with CRLF; values must already be RFC 5322-safe. */
export function formatHeaders(fields: ReadonlyArray<readonly [string, string]>): string {
  return fields.map(([name, value]) => `${name}: ${value}\r\n`).join('');
}

/** A header field exactly as received, with a CRLF line end. */
export function rawHeaderText(h: MimeHeader): string {
  return latin1(toCrlf(h.raw)).replace(/\r\n$/, '') + '\r\n';
}

const TEXTUAL = /^(text\/|message\/|application\/(?:json|xml|x-sh)\b)/;

/**
 * Makes one entity safe to sign: CRLF line endings in headers and text, and any
 * body that is not 7-bit safe re-encoded (quoted-printable for text, base64
 * otherwise) with its Content-Transfer-Encoding header rewritten. Binary bodies
 * are never line-converted (that would change their bytes): they get base64.
 * Multiparts are processed part by part with their boundaries kept; entities
 * that are already safe come back byte-identical apart from LF → CRLF.
 * A body with a line that begins `From ` is re-encoded too (quoted-printable,
 * `=46rom`; base64 for non-text), so mbox `>From ` escaping cannot change the
 * signed bytes — except `message/*` bodies (RFC 2046 allows them no encoding)
 * and the parts of a `multipart/signed` inside (that would break its signature).
 */
export function canonicalizeEntity(input: Uint8Array, options: CanonicalOptions = {}): Uint8Array {
  return rebuild(parseMime(input), options.sevenBit ?? true);
}

/** Options of {@link canonicalizeEntity}. */
export interface CanonicalOptions {
  /**
   * Re-encode bodies that are not 7-bit safe or have a line beginning `From ` (default true, what signing needs).
   * `false` (for encryption, whose output is base64 anyway) only brings headers, delimiters and text to CRLF and
   * leaves every other body as is.
   */
  sevenBit?: boolean;
}

/** `message/*` bodies may not be quoted-printable or base64 (RFC 2046 §5.2.1): they stay as they are. */
const MESSAGE = /^message\//;

/** The header section to use for the top-level entity instead of its own (a message's Content-* fields only). */
interface HeadOverride {
  head: Uint8Array;
  headers: MimeHeader[];
}

function rebuild(e: MimeEntity, sevenBit: boolean, insideSigned = false, top?: HeadOverride): Uint8Array {
  const pieces: Uint8Array[] = [];
  rebuildInto(pieces, e, sevenBit, insideSigned, top);
  return joinPieces(pieces);
}

/**
 * The canonical entity as pieces, in order: a body that needs no change is a view of the input, not a copy, so a
 * caller that hashes and writes the pieces (signing) never holds the entity twice.
 */
function rebuildInto(
  out: EntityPiece[],
  e: MimeEntity,
  sevenBit: boolean,
  insideSigned = false,
  top?: HeadOverride,
  defer = false,
): void {
  const head = top ? top.head : toCrlf(e.source.subarray(e.start, e.bodyStart));
  if (e.children.length > 0) {
    // Re-encode parts, keep preamble, delimiters and epilogue (as CRLF text). A multipart/signed inside is
    // someone's signature: its parts are not re-encoded for "From " lines (that would break it).
    const signed = insideSigned || e.contentType.mediaType === 'multipart/signed';
    out.push(head);
    let cursor = e.bodyStart;
    for (const child of e.children) {
      out.push(toCrlf(e.source.subarray(cursor, child.start)));
      rebuildInto(out, child, sevenBit, signed, undefined, defer);
      cursor = child.end;
    }
    out.push(toCrlf(e.source.subarray(cursor, e.end)));
    return;
  }
  const body = bodyBytes(e);
  const encoding = (getHeader(e.headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  const textual = TEXTUAL.test(e.contentType.mediaType);
  if (!sevenBit) {
    out.push(head, textual || encoding === 'base64' || encoding === 'quoted-printable' ? toCrlf(body) : body);
    return;
  }
  // A line beginning "From " is rewritten as ">From " by mbox stores, which would break the signature: such a body
  // is re-encoded (quoted-printable writes the F as =46), as RFC 3156 §3 recommends for signed mail.
  const scan = scanBody(body);
  const fromLine = !insideSigned && !MESSAGE.test(e.contentType.mediaType) && scan.fromLine;
  // Encoded bodies and text are line-oriented, so CRLF conversion does not change their meaning.
  if (encoding === 'base64' || encoding === 'quoted-printable' || textual) {
    // CRLF conversion adds only CRs before LFs, so the scan of the body stands for its CRLF form.
    if (scan.sevenBit && !fromLine) {
      out.push(head, !scan.bareLf ? body : defer ? deferCrlf(body) : toCrlf(body));
      return;
    }
  } else if (scan.sevenBit && !scan.bareLf && !fromLine) {
    out.push(head, body);
    return;
  }
  out.push(reencode(e, textual, top?.headers ?? e.headers));
}

/** The entity with its body re-encoded: quoted-printable for text, base64 (from the exact bytes) otherwise. */
function reencode(e: MimeEntity, textual: boolean, ownHeaders: readonly MimeHeader[]): Uint8Array {
  const decoded = decodedBody(e);
  const useQp = textual && !decoded.includes(0);
  const encoded = useQp ? encodeQuotedPrintableBytes(toCrlf(decoded)) : base64Bytes(decoded, 76);
  const headers = ownHeaders
    .filter((h) => h.name.toLowerCase() !== 'content-transfer-encoding')
    .map(rawHeaderText)
    .join('');
  return concatBytes(
    fromLatin1(`${headers}Content-Transfer-Encoding: ${useQp ? 'quoted-printable' : 'base64'}\r\n\r\n`),
    encoded,
  );
}

/** An RFC 5322 message split into the outer (transport) headers and the body entity (Content-* headers + body). */
export interface SplitMessage {
  /** Headers that stay outside the S/MIME layer (From, To, Subject, Date, Message-ID, MIME-Version, ...), raw. */
  outerHeaders: MimeHeader[];
  /** The body entity in CRLF form: Content-* headers, blank line, body. */
  inner: Uint8Array;
}

/**
 * Splits a whole message: `Content-*` headers move into the inner entity that
 * gets signed or encrypted; everything else stays outside. A message without
 * Content-Type gets `text/plain; charset=us-ascii` inside, as RFC 2045 implies.
 */
export function splitMessage(input: Uint8Array): SplitMessage {
  // The body is taken as it is: a binary part must never be line-end converted (canonicalizeEntity decides).
  const e = parseMime(input);
  const { outerHeaders, head } = splitHeaders(e);
  return { outerHeaders, inner: concatBytes(head, input.subarray(e.bodyStart)) };
}

/** A message's outer header fields, and the header section of its body entity (Content-* fields, blank line). */
function splitHeaders(e: MimeEntity): { outerHeaders: MimeHeader[]; head: Uint8Array } {
  return splitHeaderFields(e.headers);
}

function splitHeaderFields(headers: readonly MimeHeader[]): { outerHeaders: MimeHeader[]; head: Uint8Array } {
  const outerHeaders = headers.filter((h) => h.name !== '' && !h.name.toLowerCase().startsWith('content-'));
  const contentHeaders = headers.filter((h) => h.name.toLowerCase().startsWith('content-'));
  const head =
    contentHeaders.length > 0
      ? contentHeaders.map(rawHeaderText).join('')
      : 'Content-Type: text/plain; charset=us-ascii\r\n';
  return { outerHeaders, head: fromLatin1(`${head}\r\n`) };
}

/**
 * `splitMessage`, then `canonicalizeEntity` of the inner entity (options as there), without building the inner
 * entity first: the body of a large message is copied once, not twice, and parsed once.
 */
export function splitCanonicalMessage(
  input: Uint8Array,
  root = parseMime(input),
  options: CanonicalOptions = {},
): SplitMessage {
  const { outerHeaders, pieces } = splitCanonicalMessagePieces(input, root, options);
  return { outerHeaders, inner: pieces.length === 1 ? pieces[0]! : concatBytes(...pieces) };
}

/** `splitCanonicalMessage` with the inner entity as pieces (views of the input where nothing changes). */
export function splitCanonicalMessagePieces(
  input: Uint8Array,
  root = parseMime(input),
  options: CanonicalOptions = {},
): { outerHeaders: MimeHeader[]; pieces: Uint8Array[] } {
  const { outerHeaders, head } = splitHeaders(root);
  const headers = parseHeaderBlock(head).filter((h) => h.name !== '');
  const pieces: Uint8Array[] = [];
  rebuildInto(pieces, root, options.sevenBit ?? true, false, { head, headers });
  return { outerHeaders, pieces };
}

/**
 * `splitCanonicalMessagePieces(input, parseMime(input), { sevenBit: false })` from the header section alone, for a
 * message whose body has no bare LF (every message signed here, and most mail): each part of such a body is already
 * canonical for encryption, so the inner entity is the Content-* fields and the body as it is, neither parsed nor
 * copied. Undefined when that does not hold: no header section, not a whole message, or a bare LF in the body.
 */
export function splitCrlfMessagePieces(
  input: Uint8Array,
): { outerHeaders: MimeHeader[]; pieces: Uint8Array[] } | undefined {
  const section = headerSection(input);
  if (!section) return undefined;
  const body = input.subarray(section.bodyStart);
  if (hasBareLf(body)) return undefined;
  const headers = parseHeaderBlock(input.subarray(0, section.headerEnd));
  if (!isMessageHeaders(headers)) return undefined;
  const { outerHeaders, head } = splitHeaderFields(headers);
  return { outerHeaders, pieces: [head, body] };
}

/**
 * The canonical pieces signing needs (7-bit, as `canonicalizeEntity` makes them), with a text body that has bare
 * LFs left unconverted (a `CrlfBody`): `feedPieces` digests it and `flattenPieces` writes it, each converting
 * as it goes. `message` is set for a whole message, whose header section is split off (`splitCanonicalMessage`).
 */
export function signingPieces(
  root: MimeEntity,
  message: boolean,
): { outerHeaders: MimeHeader[] | undefined; pieces: EntityPiece[] } {
  const pieces: EntityPiece[] = [];
  if (!message) {
    rebuildInto(pieces, root, true, false, undefined, true);
    return { outerHeaders: undefined, pieces };
  }
  const { outerHeaders, head } = splitHeaders(root);
  const headers = parseHeaderBlock(head).filter((h) => h.name !== '');
  rebuildInto(pieces, root, true, false, { head, headers }, true);
  return { outerHeaders, pieces };
}

/** True when the bytes begin with header fields that make them a whole message rather than a bare entity. */
export function looksLikeMessage(e: MimeEntity): boolean {
  return isMessageHeaders(e.headers);
}

function isMessageHeaders(headers: readonly MimeHeader[]): boolean {
  return headers.some((h) => /^(from|to|subject|date|message-id|cc|sender)$/i.test(h.name));
}

/** Joins outer headers and a new body entity (which brings its own Content-* headers). */
export function joinMessage(outerHeaders: readonly MimeHeader[], entity: Uint8Array): Uint8Array {
  const head = outerHeaders.map(rawHeaderText).join('');
  const hasMimeVersion = outerHeaders.some((h) => h.name.toLowerCase() === 'mime-version');
  return concatBytes(fromLatin1(head + (hasMimeVersion ? '' : 'MIME-Version: 1.0\r\n')), entity);
}
