/**
 * Finding the CMS object of an `application/pkcs7-mime` entity. The CMS
 * content type decides what the layer is, never the `smime-type` parameter
 * (.NET's EnvelopedCms labels enveloped data `signed-data`). Which entities
 * are S/MIME is decided by `classifyEntity` (layers.ts), the one classifier.
 */
import { FormatError } from '../errors.js';
import { toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { parseContentInfo, type ContentInfo } from '../cms/content-info.js';
import { decodedBody, type MimeEntity, type MimeParseOptions } from '../mime/entity.js';
import type { MimeHeader } from '../mime/headers.js';
import { looksLikeMessage } from '../mime/canonical.js';
import { classifyEntity, LAYER_SELECTION, rawCms } from './classify.js';
import { parseLayerMime } from './layers.js';

/** The CMS object carried by a message, with what the MIME layer said about it. */
export interface SmimeCms {
  cms: ContentInfo;
  /** The `smime-type` parameter, when present (informational only). */
  declaredSmimeType?: string;
  /** The entity's media type (`application/pkcs7-mime`, ...); `undefined` for raw CMS input. */
  mediaType?: string;
  /** Outer (non-Content-*) headers of a whole message; empty for an entity or raw CMS. */
  outerHeaders: MimeHeader[];
}

/**
 * True when the entity is an S/MIME CMS body (pkcs7-mime, or octet-stream named *.p7m/*.p7z/*.p7c).
 *
 * @deprecated Use `classifyEntity(e)?.form === 'pkcs7-mime'`: one classifier for every S/MIME entity.
 */
export function isPkcs7MimeEntity(e: MimeEntity): boolean {
  return classifyEntity(e)?.form === 'pkcs7-mime';
}

/** The CMS object of an already parsed pkcs7-mime entity. */
export function cmsOfEntity(e: MimeEntity): ContentInfo {
  const body = decodedBody(e);
  return parseContentInfo(body);
}

/** `not-smime`: the input carries no CMS body. */
export function notSmime(mediaType: string): FormatError {
  return new FormatError('not-smime', `the message is ${mediaType}, not application/pkcs7-mime`, {
    details: { mediaType },
  });
}

/** Outer (non-Content-*) headers when `e` is a whole message, else none. */
function outerHeadersOf(e: MimeEntity): MimeHeader[] {
  return looksLikeMessage(e)
    ? e.headers.filter((h) => h.name !== '' && !h.name.toLowerCase().startsWith('content-'))
    : [];
}

/** The CMS object of an entity `decryptMessage` accepts (a CMS body, or a lone signature part). */
export function smimeCmsOfEntity(entity: MimeEntity): SmimeCms {
  const type = classifyEntity(entity);
  // A detached-signature part fed to a decryptor is reported by its CMS type (`not-enveloped`), not as "not S/MIME".
  if (!type || !LAYER_SELECTION.decrypt(type)) throw notSmime(entity.contentType.mediaType);
  const out: SmimeCms = {
    cms: cmsOfEntity(entity),
    mediaType: entity.contentType.mediaType,
    outerHeaders: outerHeadersOf(entity),
  };
  const declared = entity.contentType.params['smime-type'];
  if (declared !== undefined) out.declaredSmimeType = declared;
  return out;
}

/**
 * Reads the CMS object of a message, an entity, or raw CMS bytes.
 *
 * @throws FormatError `not-smime` when the input carries no pkcs7-mime body, `malformed-cms`; LimitError `mime-limit-exceeded`.
 */
export function readSmimeCms(input: BytesLike | string, options: { limits?: MimeParseOptions } = {}): SmimeCms {
  const bytes = typeof input === 'string' ? utf8(input) : toBytes(input, 'message');
  const raw = rawCms(bytes);
  if (raw) return { cms: raw, outerHeaders: [] };
  return smimeCmsOfEntity(parseLayerMime(bytes, options.limits));
}
