/**
 * The Legacy Display Element of RFC 9788: for a reader whose client decrypts but knows nothing of header
 * protection, the header fields an encrypted message hides outside (Subject: [...]) are also written at the top
 * of its main body parts — a block of `Name: value` lines and a blank line in text/plain, a
 * `div.header-protection-legacy-display` in text/html — and the part is marked `hp-legacy-display="1"`.
 * A client that supports header protection shows the protected header fields instead and removes the element.
 */
import { FormatError } from '../errors.js';
import { base64Bytes, concatBytes, fromLatin1, latin1, utf8 } from '../util/bytes.js';
import { decodedBody, parseMime, type MimeEntity } from './entity.js';
import { getHeader, type ContentType } from './headers.js';
import { encodeQuotedPrintableBytes } from './transfer-encoding.js';
import { isSevenBitSafe, rawHeaderText } from './canonical.js';
import type { HeaderField } from './header-policy.js';

/** The Content-Type parameter that marks a part carrying a legacy display element. */
export const LEGACY_DISPLAY_PARAMETER = 'hp-legacy-display';
/** The class of the HTML element that holds a legacy display element. */
export const LEGACY_DISPLAY_CLASS = 'header-protection-legacy-display';

const isText = (e: MimeEntity): boolean =>
  e.children.length === 0 && (e.contentType.mediaType === 'text/plain' || e.contentType.mediaType === 'text/html');

const isAttachment = (e: MimeEntity): boolean =>
  /^\s*attachment\b/i.test(getHeader(e.headers, 'content-disposition') ?? '');

/**
 * The main body parts of an entity that can carry a legacy display element: a text/plain or text/html leaf that
 * is not an attachment; every alternative of a multipart/alternative; the first part of any other multipart.
 */
export function mainBodyParts(e: MimeEntity): MimeEntity[] {
  if (e.children.length > 0) {
    if (e.contentType.mediaType === 'multipart/alternative') return e.children.flatMap(mainBodyParts);
    if (e.contentType.type === 'multipart') return mainBodyParts(e.children[0]!);
  }
  return isText(e) && !isAttachment(e) ? [e] : [];
}

/** `type/subtype; a="b"; ...` with RFC 2231 for non-ASCII values, folded before a parameter past 76 columns. */
function formatContentType(mediaType: string, params: Readonly<Record<string, string>>): string {
  let line = `Content-Type: ${mediaType}`;
  let out = '';
  for (const [name, value] of Object.entries(params)) {
    const piece = /^[\x20-\x7e]*$/.test(value)
      ? `${name}="${value.replace(/[\\"]/g, '\\$&')}"`
      : `${name}*=utf-8''${encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
    if (line.length + piece.length + 2 > 76) {
      out += `${line};\r\n`;
      line = ` ${piece}`;
    } else line += `; ${piece}`;
  }
  return `${out}${line}\r\n`;
}

/** The bytes of `e` between its start and its end, with each listed part replaced (parts must not overlap). */
function splice(e: MimeEntity, replacements: ReadonlyArray<readonly [MimeEntity, Uint8Array]>): Uint8Array {
  const sorted = [...replacements].sort((a, b) => a[0].start - b[0].start);
  const pieces: Uint8Array[] = [];
  let cursor = e.start;
  for (const [part, bytes] of sorted) {
    pieces.push(e.source.subarray(cursor, part.start), bytes);
    cursor = part.end;
  }
  pieces.push(e.source.subarray(cursor, e.end));
  return concatBytes(...pieces);
}

/**
 * A text part rewritten: new decoded body, Content-Type parameters changed, same transfer encoding — but a 7-bit
 * part that now holds 8-bit text (a non-ASCII Subject) becomes quoted-printable.
 */
function rewritePart(part: MimeEntity, body: Uint8Array, params: Record<string, string>): Uint8Array {
  let encoding = (getHeader(part.headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  const relabel = (encoding === '' || encoding === '7bit') && !isSevenBitSafe(body);
  if (relabel) encoding = 'quoted-printable';
  const encoded =
    encoding === 'base64'
      ? base64Bytes(body, 76)
      : encoding === 'quoted-printable'
        ? encodeQuotedPrintableBytes(body)
        : body;
  const fields = part.headers.filter((h) => h.name !== '' && !(relabel && /^content-transfer-encoding$/i.test(h.name)));
  const type = formatContentType(part.contentType.mediaType, params);
  const head = fields.map((h) => (h.name.toLowerCase() === 'content-type' ? type : rawHeaderText(h))).join('');
  const typed = fields.some((h) => h.name.toLowerCase() === 'content-type');
  const cte = relabel ? 'Content-Transfer-Encoding: quoted-printable\r\n' : '';
  return concatBytes(fromLatin1(`${head}${typed ? '' : type}${cte}\r\n`), encoded);
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The inserted text as bytes in the part's charset: ASCII goes into any charset as is; other text needs UTF-8,
 * so a body in another charset is converted and the part relabelled `charset=utf-8`.
 */
function inCharset(
  ct: ContentType,
  body: Uint8Array,
  text: string,
): { body: Uint8Array; text: Uint8Array; charset?: string } {
  if (/^[\x00-\x7f]*$/.test(text)) return { body, text: fromLatin1(text) };
  const charset = (ct.params.charset ?? 'us-ascii').trim().toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') return { body, text: utf8(text) };
  if (body.every((b) => b < 0x80)) return { body, text: utf8(text), charset: 'utf-8' };
  let decoded: string;
  try {
    decoded = new TextDecoder(charset).decode(body);
  } catch {
    decoded = latin1(body);
  }
  return { body: utf8(decoded), text: utf8(text), charset: 'utf-8' };
}

/** One main body part with the legacy display element at its top. */
function decoratePart(part: MimeEntity, fields: readonly HeaderField[]): Uint8Array {
  const html = part.contentType.mediaType === 'text/html';
  const lines = fields.map(([name, value]) => `${name}: ${value}`);
  const text = html
    ? `\r\n<div class="${LEGACY_DISPLAY_CLASS}">\r\n<pre>${escapeHtml(lines.join('\r\n'))}</pre>\r\n</div>\r\n`
    : `${lines.join('\r\n')}\r\n\r\n`;
  const converted = inCharset(part.contentType, decodedBody(part), text);
  let body: Uint8Array;
  if (html) {
    // After the opening <body> tag when there is one, else at the very start.
    const open = /<body\b[^>]*>/i.exec(latin1(converted.body));
    const at = open ? open.index + open[0].length : 0;
    body = concatBytes(converted.body.subarray(0, at), converted.text, converted.body.subarray(at));
  } else body = concatBytes(converted.text, converted.body);
  const params: Record<string, string> = { ...part.contentType.params, [LEGACY_DISPLAY_PARAMETER]: '1' };
  if (converted.charset) params.charset = converted.charset;
  return rewritePart(part, body, params);
}

/**
 * Adds a legacy display element listing `fields` (name and human-readable value) to every main body part of
 * `entity` (RFC 9788: composing an encrypted message whose user-facing header fields the HCP hides).
 *
 * @returns the entity with the element added, and how many parts got one (0: nothing to decorate)
 */
export function addLegacyDisplay(
  entity: Uint8Array,
  fields: readonly HeaderField[],
): { entity: Uint8Array; decorated: number } {
  const root = parseMime(entity);
  const parts = fields.length
    ? mainBodyParts(root).filter((p) => p.contentType.params[LEGACY_DISPLAY_PARAMETER] === undefined)
    : [];
  if (parts.length === 0) return { entity, decorated: 0 };
  return {
    entity: splice(
      root,
      parts.map((p) => [p, decoratePart(p, fields)] as const),
    ),
    decorated: parts.length,
  };
}

/** The decoded text body without its legacy display element: the lines up to and including the first blank one. */
function withoutTextElement(body: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i < body.length;) {
    const nl = body.indexOf(0x0a, i);
    if (nl < 0) return undefined;
    const blank = nl === i || (nl === i + 1 && body[i] === 0x0d);
    if (blank) return body.subarray(nl + 1);
    i = nl + 1;
  }
  return undefined;
}

/** The next `<div` or `</div` tag at or after `from` in lower-cased HTML: its start, end (after `>`), kind. */
function nextDivTag(lower: string, from: number): { start: number; end: number; close: boolean } | undefined {
  for (let i = lower.indexOf('<', from); i >= 0; i = lower.indexOf('<', i + 1)) {
    const close = lower.startsWith('</div', i);
    if (!close && !lower.startsWith('<div', i)) continue;
    const after = lower[i + (close ? 5 : 4)];
    if (after !== undefined && !/[\s>/]/.test(after)) continue;
    const end = lower.indexOf('>', i);
    return end < 0 ? undefined : { start: i, end: end + 1, close };
  }
  return undefined;
}

const CLASS_ATTRIBUTE = /\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/;

/**
 * The decoded HTML body without its `div.header-protection-legacy-display` (the first one, nested divs counted):
 * a composer writes one per part, and scanning tag by tag keeps a hostile part as cheap as reading it.
 */
function withoutHtmlElement(body: Uint8Array): Uint8Array | undefined {
  const text = latin1(body);
  const lower = text.toLowerCase();
  let open: { start: number; end: number } | undefined;
  for (let t = nextDivTag(lower, 0); t && !open; t = nextDivTag(lower, t.end)) {
    const m = t.close ? null : CLASS_ATTRIBUTE.exec(lower.slice(t.start, Math.min(t.end, t.start + 1024)));
    if (m && (m[1] ?? m[2] ?? m[3] ?? '').split(/\s+/).includes(LEGACY_DISPLAY_CLASS)) open = t;
  }
  if (!open) return undefined;
  let depth = 1;
  let end = text.length;
  for (let t = nextDivTag(lower, open.end); t; t = nextDivTag(lower, t.end)) {
    depth += t.close ? -1 : 1;
    if (depth === 0) {
      end = t.end;
      break;
    }
  }
  // The line break written after the element goes with it.
  if (text.startsWith('\r\n', end)) end += 2;
  else if (text[end] === '\n') end += 1;
  return fromLatin1(text.slice(0, open.start) + text.slice(end));
}

/**
 * Removes the legacy display elements of a Cryptographic Payload (RFC 9788: a client that renders the protected
 * header fields must not show them twice): every text/plain or text/html leaf marked `hp-legacy-display="1"`
 * loses its element and the mark. A text/plain part without a blank line is left as it is.
 *
 * @returns the payload, and whether anything was removed
 */
export function removeLegacyDisplay(entity: Uint8Array): { entity: Uint8Array; removed: boolean } {
  const root = parseMime(entity);
  const replacements: Array<readonly [MimeEntity, Uint8Array]> = [];
  const visit = (e: MimeEntity): void => {
    e.children.forEach(visit);
    if (!isText(e) || e.contentType.params[LEGACY_DISPLAY_PARAMETER] !== '1') return;
    let body: Uint8Array;
    try {
      body = decodedBody(e);
    } catch (err) {
      // A body that cannot be decoded is shown as it is.
      if (err instanceof FormatError) return;
      throw err;
    }
    const rest = e.contentType.mediaType === 'text/html' ? withoutHtmlElement(body) : withoutTextElement(body);
    if (!rest) return;
    const params = { ...e.contentType.params };
    delete params[LEGACY_DISPLAY_PARAMETER];
    replacements.push([e, rewritePart(e, rest, params)]);
  };
  visit(root);
  if (replacements.length === 0) return { entity, removed: false };
  return { entity: splice(root, replacements), removed: true };
}
