/**
 * The predecessor of RFC 9788 that Thunderbird, Enigmail, mutt, notmuch and Delta Chat write
 * (draft-autocrypt-lamps-protected-headers): the Cryptographic Payload's root Content-Type says
 * `protected-headers="v1"` and its header section copies From, To, Subject, ...; an encrypted message shows an
 * obscured Subject outside (`...`) and may start with a "legacy display" part repeating it. There are no HP-Outer
 * records, so what was confidential is inferred from the outer section. RFC 8551 §3.1's `message/rfc822;
 * forwarded="no"` wrapper is read the same way. Reading only: smimekit writes RFC 9788.
 */
import { FormatError } from '../errors.js';
import { concatBytes, fromLatin1, latin1 } from '../util/bytes.js';
import { rawHeaderText } from './canonical.js';
import { decodedBody, parseMime, type MimeEntity, type MimeParseOptions } from './entity.js';
import { getHeader, parseHeaderBlock, type MimeHeader } from './headers.js';
import { isStructuralField, isUserFacingField } from './header-policy.js';
import { displayFields, HP_OUTER, outerHeaderMismatches, type HeaderMismatch } from './header-protection.js';

const isMessageField = (h: MimeHeader): boolean =>
  h.name !== '' && !isStructuralField(h.name) && h.name.toLowerCase() !== HP_OUTER.toLowerCase();

const isV1 = (e: MimeEntity): boolean => e.contentType.params['protected-headers']?.trim().toLowerCase() === 'v1';

/** A payload protected by a scheme older than RFC 9788: its protected fields, and the entity they head. */
export interface OlderProtectedPayload {
  /** `protected-headers-v1`, or `rfc8551-wrapped` (RFC 8551 §3.1: `message/rfc822; forwarded="no"`). */
  format: 'protected-headers-v1' | 'rfc8551-wrapped';
  /** The message the protected fields head: the payload itself (v1), or the wrapped message. */
  entity: MimeEntity;
  /** The protected header fields (non-structural), in order. */
  fields: MimeHeader[];
}

/**
 * The older header protection of a payload without RFC 9788 `hp`: its root Content-Type says
 * `protected-headers="v1"` (case-insensitive), or it is `message/rfc822; forwarded="no"` (a plain forwarded
 * message, without that parameter, is not). Undefined otherwise, or when no field was protected.
 *
 * @throws {FormatError} a wrapped message that cannot be parsed
 */
export function olderProtectedPayload(
  payload: MimeEntity,
  limits?: MimeParseOptions,
): OlderProtectedPayload | undefined {
  const params = payload.contentType.params;
  const hp = params.hp?.trim().toLowerCase();
  if (hp === 'clear' || hp === 'cipher') return undefined;
  let found: OlderProtectedPayload | undefined;
  if (isV1(payload)) found = { format: 'protected-headers-v1', entity: payload, fields: [] };
  else if (payload.contentType.mediaType === 'message/rfc822' && params.forwarded?.trim().toLowerCase() === 'no')
    found = { format: 'rfc8551-wrapped', entity: parseMime(decodedBody(payload), limits), fields: [] };
  const fields = found?.entity.headers.filter(isMessageField) ?? [];
  return found && fields.length > 0 ? { ...found, fields } : undefined;
}

/** Whitespace runs as one space, trimmed (as RFC 9788 comparisons do). */
const normalized = (value: string): string => value.replace(/\s+/g, ' ').trim();

/** What the scheme's senders write outside in place of a confidential value (Thunderbird: `...`). */
const PLACEHOLDERS = new Set(['...', '[...]', '…', 'encrypted message']);
const isPlaceholder = (value: string): boolean => PLACEHOLDERS.has(normalized(value).toLowerCase());

function valuesByName(fields: readonly MimeHeader[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const h of fields) {
    const lower = h.name.toLowerCase();
    const list = out.get(lower);
    if (list) list.push(normalized(h.value));
    else out.set(lower, [normalized(h.value)]);
  }
  return out;
}

/**
 * The protected fields an encrypted v1 message kept confidential: absent outside, or outside only as a
 * placeholder (`...`, `[...]`, `Encrypted Message`) that differs from the protected value. Names, first occurrence.
 */
export function confidentialFieldsV1(outer: readonly MimeHeader[], fields: readonly MimeHeader[]): string[] {
  const outside = valuesByName(outer.filter(isMessageField));
  const inside = valuesByName(fields);
  const names = new Map<string, string>();
  for (const h of fields) {
    const lower = h.name.toLowerCase();
    const got = outside.get(lower) ?? [];
    const hidden = got.length === 0 || (got.every(isPlaceholder) && got.join('\n') !== inside.get(lower)!.join('\n'));
    if (hidden && !names.has(lower)) names.set(lower, h.name);
  }
  return [...names.values()];
}

/**
 * Outer fields that differ from their protected copy. The v1 scheme never asked senders to copy every field
 * (mutt copies only Subject), so only fields protected inside are compared, and not the confidential ones.
 */
export function outerMismatchesV1(
  outer: readonly MimeHeader[],
  fields: readonly MimeHeader[],
  confidential: readonly string[],
): HeaderMismatch[] {
  const skip = new Set(confidential.map((n) => n.toLowerCase()));
  const names = new Set(fields.map((h) => h.name.toLowerCase()));
  const compared = outer.filter((h) => names.has(h.name.toLowerCase()) && !skip.has(h.name.toLowerCase()));
  return outerHeaderMismatches(compared, { hp: 'clear', fields: [...fields], hpOuter: [] });
}

const THREADING = new Set(['message-id', 'in-reply-to', 'references']);

/**
 * Outer user-facing and threading fields of names the payload does not protect: still shown, since a v1 sender
 * may have copied only some (trace fields such as Received are not shown, as with RFC 9788).
 */
export function unprotectedOuterFields(outer: readonly MimeHeader[], fields: readonly MimeHeader[]): MimeHeader[] {
  const names = new Set(fields.map((h) => h.name.toLowerCase()));
  const shown = (h: MimeHeader) => isUserFacingField(h.name) || THREADING.has(h.name.toLowerCase());
  return outer.filter((h) => isMessageField(h) && shown(h) && !names.has(h.name.toLowerCase()));
}

/** True when `part` only lists protected fields (those of `allowed`) with their protected values. */
function onlyRepeatsFields(part: MimeEntity, fields: readonly MimeHeader[], allowed: ReadonlySet<string>): boolean {
  let lines: MimeHeader[];
  try {
    lines = parseHeaderBlock(decodedBody(part));
  } catch (e) {
    if (e instanceof FormatError) return false;
    throw e;
  }
  // Name and value as written and as displayed (encoded words, UTF-8), in one set: one pass over hostile input.
  const key = ([name, value]: readonly [string, string]) => `${name.toLowerCase()}\n${normalized(value)}`;
  const forms = (list: readonly MimeHeader[]) => [
    ...list.map((h) => [h.name, h.value] as const),
    ...displayFields(list),
  ];
  const known = new Set(forms(fields).map(key));
  return (
    lines.length > 0 &&
    lines.every((l) => l.name !== '' && allowed.has(l.name.toLowerCase()) && forms([l]).some((f) => known.has(key(f))))
  );
}

/** The start of the boundary delimiter line right before `child` (checked), or -1. */
function delimiterStart(root: MimeEntity, child: MimeEntity): number {
  const at = root.source.lastIndexOf(0x0a, child.start - 2) + 1;
  const boundary = root.contentType.params.boundary ?? '';
  return boundary !== '' && latin1(root.source.subarray(at, at + boundary.length + 2)) === `--${boundary}` ? at : -1;
}

/**
 * The payload without its v1 legacy display part: the first part of a multipart/mixed payload, marked
 * `protected-headers="v1"`, not an attachment, `text/rfc822-headers` repeating protected fields, or `text/plain`
 * repeating only confidential ones — never a part with text of its own. When one part is left, it becomes the body.
 *
 * @returns the payload's bytes without the part, or undefined when there is none
 */
export function removeLegacyDisplayPartV1(
  root: MimeEntity,
  fields: readonly MimeHeader[],
  confidential: readonly string[],
): Uint8Array | undefined {
  if (root.contentType.mediaType !== 'multipart/mixed' || root.children.length < 2) return undefined;
  const [first, second] = [root.children[0]!, root.children[1]!];
  const type = first.contentType.mediaType;
  const attachment = /^\s*attachment\b/i.test(getHeader(first.headers, 'content-disposition') ?? '');
  if (first.children.length > 0 || !isV1(first) || attachment) return undefined;
  const names = (list: readonly string[]) => new Set(list.map((n) => n.toLowerCase()));
  const allowed =
    type === 'text/rfc822-headers'
      ? names(fields.map((h) => h.name))
      : type === 'text/plain'
        ? names(confidential)
        : undefined;
  if (!allowed || !onlyRepeatsFields(first, fields, allowed)) return undefined;
  if (root.children.length === 2) {
    // What is left is the body: the payload's own fields over the remaining part's Content-* and body.
    const own = root.headers.filter((h) => h.name !== '' && !isStructuralField(h.name));
    const typed = second.headers.filter((h) => h.name !== '' && isStructuralField(h.name));
    const head = [...own, ...typed].map(rawHeaderText).join('');
    return concatBytes(fromLatin1(`${head}\r\n`), second.source.subarray(second.bodyStart, second.end));
  }
  const [from, to] = [delimiterStart(root, first), delimiterStart(root, second)];
  if (from < 0 || to < 0) return undefined;
  return concatBytes(root.source.subarray(root.start, from), root.source.subarray(to, root.end));
}
