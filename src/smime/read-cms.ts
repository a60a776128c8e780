/**
 * Finding the CMS object of an `application/pkcs7-mime` entity. The CMS
 * content type decides what the layer is, never the `smime-type` parameter
 * (.NET's EnvelopedCms labels enveloped data `signed-data`).
 */
import { FormatError } from '../errors.js';
import { toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { parseContentInfo, type ContentInfo } from '../cms/content-info.js';
import { decodedBody, parseMime, type MimeEntity } from '../mime/entity.js';
import type { MimeHeader } from '../mime/headers.js';
import { looksLikeMessage, toCrlf } from '../mime/canonical.js';

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

const PKCS7_MIME = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);
const PKCS7_SIGNATURE = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

/** True when the entity is an S/MIME CMS body (pkcs7-mime, or octet-stream named *.p7m/*.p7z/*.p7c). */
export function isPkcs7MimeEntity(e: MimeEntity): boolean {
  if (PKCS7_MIME.has(e.contentType.mediaType)) return true;
  if (e.contentType.mediaType !== 'application/octet-stream') return false;
  const name = e.contentType.params.name ?? /filename\s*=\s*"?([^";]+)/i.exec(e.headers.find((h) => h.name.toLowerCase() === 'content-disposition')?.value ?? '')?.[1] ?? '';
  return /\.p7[mzc]$/i.test(name.trim());
}

/** Raw CMS (DER/BER or PEM) rather than MIME? A MIME entity never starts with a SEQUENCE tag and a parsable ContentInfo. */
export function looksLikeRawCms(bytes: Uint8Array): boolean {
  return rawCms(bytes) !== undefined;
}

/** The ContentInfo when `bytes` are raw CMS (DER/BER or PEM), else `undefined` (text that merely starts with "0" is MIME). */
export function rawCms(bytes: Uint8Array): ContentInfo | undefined {
  const pem = bytes[0] === 0x2d && /^-----BEGIN (PKCS7|CMS)-----/.test(new TextDecoder().decode(bytes.subarray(0, 64)));
  if (!pem && (bytes[0] !== 0x30 || (bytes[1] ?? 0) > 0x84)) return undefined;
  try {
    return parseContentInfo(bytes);
  } catch {
    return undefined;
  }
}

/** The CMS object of an already parsed pkcs7-mime entity. */
export function cmsOfEntity(e: MimeEntity): ContentInfo {
  const body = decodedBody(e);
  return parseContentInfo(body);
}

/**
 * Reads the CMS object of a message, an entity, or raw CMS bytes.
 *
 * @throws FormatError `not-smime` when the input carries no pkcs7-mime body, `malformed-cms`.
 */
export function readSmimeCms(input: BytesLike | string): SmimeCms {
  const bytes = typeof input === 'string' ? utf8(input) : toBytes(input, 'message');
  const raw = rawCms(bytes);
  if (raw) return { cms: raw, outerHeaders: [] };
  const entity = parseMime(toCrlf(bytes));
  // A detached-signature part fed to a decryptor is reported by its CMS type (`not-enveloped`), not as "not S/MIME".
  if (!isPkcs7MimeEntity(entity) && !PKCS7_SIGNATURE.has(entity.contentType.mediaType)) {
    throw new FormatError('not-smime', `the message is ${entity.contentType.mediaType}, not application/pkcs7-mime`, {
      details: { mediaType: entity.contentType.mediaType },
    });
  }
  const out: SmimeCms = {
    cms: cmsOfEntity(entity),
    mediaType: entity.contentType.mediaType,
    outerHeaders: looksLikeMessage(entity) ? entity.headers.filter((h) => h.name !== '' && !h.name.toLowerCase().startsWith('content-')) : [],
  };
  const declared = entity.contentType.params['smime-type'];
  if (declared !== undefined) out.declaredSmimeType = declared;
  return out;
}
