/**
 * RFC 9788 header protection for the streaming writers (`signMessageStream`, `encryptMessageStream`). The
 * message's header section comes first in the stream, so the protected header section and the obscured outer
 * header section are made from it by `protectHeaders`, exactly as the buffered functions make them, and the body
 * streams after them untouched. Only the legacy display element edits the body: for a single-part text/plain
 * main part (7bit, 8bit or quoted-printable) its lines are written, encoded as the part, before the streamed
 * body; any other body that would get one is refused (`legacy-display-unsupported`), never sent without it.
 */
import { ArgumentError } from '../errors.js';
import { fromLatin1, latin1 } from '../util/bytes.js';
import { parseMime } from '../mime/entity.js';
import { getHeader, type MimeHeader } from '../mime/headers.js';
import { isUserFacingField } from '../mime/header-policy.js';
import { protectHeaders, type ProtectHeadersOptions } from '../mime/header-protection.js';
import { mainBodyParts } from '../mime/legacy-display.js';
import { quotedPrintableStream } from '../mime/stream.js';
import { classifyEntity } from './classify.js';
import type { StreamedSplit } from './stream-entity.js';

/** An entity on its way to be signed or encrypted: its header section (blank line included) and its body. */
export interface StreamedEntity {
  head: Uint8Array;
  body: AsyncIterable<Uint8Array>;
}

/** What the stream writes: the outer header section and the entity to sign or encrypt. */
export interface StreamedProtection {
  outerHeaders?: MimeHeader[] | undefined;
  entity: StreamedEntity;
}

function legacyUnsupported(why: string): ArgumentError {
  return new ArgumentError(
    'legacy-display-unsupported',
    `the legacy display element (the hidden Subject repeated at the top of the text) cannot be added to ${why} while it streams: pass headerProtection: { legacyDisplay: false } (--no-legacy-display), or use the buffered function`,
  );
}

const TEXT_CHARSETS = new Set(['us-ascii', 'utf-8', 'utf8']);

/**
 * Checks that the legacy display element `protectHeaders` wrote into the (empty) body of `entityHead` is what it
 * would write into the real body, so the streamed body can follow it: a text/plain leaf, encoded 7bit, 8bit or
 * quoted-printable, whose charset needs no conversion. Returns whether the body must become quoted-printable.
 */
function legacyPrefixFits(entityHead: Uint8Array, payload: Uint8Array): boolean {
  const root = parseMime(entityHead);
  if (root.contentType.type === 'multipart') throw legacyUnsupported('a multipart body');
  if (mainBodyParts(root).length === 0) return false;
  if (root.contentType.mediaType !== 'text/plain') throw legacyUnsupported(`a ${root.contentType.mediaType} body`);
  const encoding = (getHeader(root.headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (!['7bit', '8bit', 'binary', 'quoted-printable'].includes(encoding)) throw legacyUnsupported(`a ${encoding} body`);
  const after = parseMime(payload);
  const charset = root.contentType.params.charset?.trim().toLowerCase() ?? 'us-ascii';
  if (!TEXT_CHARSETS.has(charset) && after.contentType.params.charset?.trim().toLowerCase() !== charset)
    throw legacyUnsupported(`text in ${charset} (it would be converted to UTF-8)`);
  const relabelled = (getHeader(after.headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  return encoding === '7bit' && relabelled === 'quoted-printable';
}

/**
 * Header protection of a streamed entity (`settings` from `headerProtectionSettings`; undefined: none). The
 * payload's header section (and a legacy display element) replace `entity.head`; the body is passed on, or
 * quoted-printable encoded when a 7bit part had to be relabelled for a non-ASCII legacy display element.
 *
 * @throws {ArgumentError} `bad-argument` without a whole message; `legacy-display-unsupported`
 */
export function protectStreamedEntity(
  outerHeaders: MimeHeader[] | undefined,
  entity: StreamedEntity,
  settings: ProtectHeadersOptions | undefined,
): StreamedProtection {
  if (!settings) return { outerHeaders, entity };
  if (!outerHeaders)
    throw new ArgumentError(
      'bad-argument',
      'header protection needs a whole message (From, To, Subject, ...), not a bare MIME entity',
    );
  const out = protectHeaders(outerHeaders, entity.head, settings);
  const hidesShown =
    settings.hp === 'cipher' &&
    settings.legacyDisplay !== false &&
    out.confidential.some((name) => isUserFacingField(name) && !/^(resent-)?bcc$/i.test(name));
  const encode = hidesShown && legacyPrefixFits(entity.head, out.payload);
  return {
    outerHeaders: out.outerHeaders,
    entity: { head: out.payload, body: encode ? quotedPrintableStream(entity.body) : entity.body },
  };
}

/** Longest preamble and first-part header section looked at for the `hp` of a streamed multipart/signed. */
const MAX_SIGNED_PEEK = 1024 * 1024;

/**
 * The `hp` parameter of the first part of a streamed multipart/signed body (null: none), read from the beginning
 * of the body, bounded; the body is given back whole.
 */
async function signedPartHp(
  body: AsyncGenerator<Uint8Array>,
  boundary: string,
): Promise<{ hp: string | null; body: AsyncGenerator<Uint8Array> }> {
  const seen: Uint8Array[] = [];
  let text = '';
  let hp: string | null = null;
  const delimiter = new RegExp(`(?:^|\\n)--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*\\r?\\n`);
  for (let next = await body.next(); !next.done; next = await body.next()) {
    seen.push(next.value);
    text += latin1(next.value);
    const start = delimiter.exec(text);
    const end = start ? text.slice(start.index + start[0].length).search(/\r?\n\r?\n/) : -1;
    if (start && end >= 0) {
      const head = text.slice(start.index + start[0].length).slice(0, end + 2);
      hp = parseMime(fromLatin1(`${head}\r\n`)).contentType.params.hp ?? null;
      break;
    }
    if (text.length > MAX_SIGNED_PEEK) break;
  }
  async function* again(): AsyncGenerator<Uint8Array> {
    yield* seen;
    yield* body;
  }
  return { hp, body: again() };
}

/**
 * `encryptMessageStream`'s counterpart of `protectForEncryption`: unsigned content is protected here; signed
 * content is encrypted as it is when its payload says `hp="cipher"` (a multipart/signed is looked into, bounded),
 * and refused otherwise — an opaque signed-data cannot be looked into before it is encrypted.
 *
 * @throws {ArgumentError} `bad-argument`; `legacy-display-unsupported`
 */
export async function protectStreamedForEncryption(
  split: StreamedSplit,
  entity: (body: AsyncGenerator<Uint8Array>) => StreamedEntity,
  settings: ProtectHeadersOptions | undefined,
): Promise<StreamedProtection> {
  const root = settings && split.innerHead.length ? parseMime(split.innerHead) : undefined;
  const type = root && classifyEntity(root);
  const smimeType = (root?.contentType.params['smime-type'] ?? 'signed-data').trim().toLowerCase();
  if (type?.form === 'pkcs7-mime' && smimeType === 'signed-data')
    throw new ArgumentError(
      'bad-argument',
      'an opaque signed message cannot be checked for header protection while it streams: use encryptMessage, or sign it detached with headerProtection: { forEncryption: true }',
    );
  if (type?.form !== 'multipart-signed') return protectStreamedEntity(split.outerHeaders, entity(split.body), settings);
  const peeked = await signedPartHp(split.body, root!.contentType.params.boundary ?? '');
  if (peeked.hp?.trim().toLowerCase() === 'cipher')
    return { outerHeaders: split.outerHeaders, entity: entity(peeked.body) };
  await peeked.body.return(undefined);
  throw new ArgumentError(
    'bad-argument',
    `the message is already signed ${peeked.hp === null ? 'without header protection' : `with hp="${peeked.hp}"`}: its headers can no longer be protected for encryption; sign it with headerProtection: { forEncryption: true } (or use composeMessage)`,
  );
}
