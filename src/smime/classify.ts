/**
 * The one S/MIME classifier, shared by every function that walks the layers of a message: what a MIME
 * entity (or raw CMS input) is as an S/MIME layer, which of those each public function opens
 * (`LAYER_SELECTION`), and the walker's `kind` for a CMS content type. The walker is in layers.ts.
 */
import { CONTENT_TYPE, parseContentInfo, type ContentInfo } from '../cms/content-info.js';
import type { MimeEntity } from '../mime/entity.js';
import { getHeader } from '../mime/headers.js';
import { beginsLikeBer, beginsLikeCmsPem } from '../mime/stream.js';

/** What kind of S/MIME layer was opened (the `smime-type` vocabulary of RFC 8551, plus `multipart-signed`). */
export type SmimeLayerKind =
  'multipart-signed' | 'signed-data' | 'enveloped-data' | 'authEnveloped-data' | 'compressed-data' | 'other';

/** What an entity is as an S/MIME layer (see `classifyEntity`). */
export interface SmimeEntityType {
  /**
   * `multipart-signed` (RFC 1847 detached signature), `pkcs7-mime` (a CMS body: application/pkcs7-mime,
   * application/x-pkcs7-mime, application/octet-stream named *.p7m/*.p7z/*.p7c, or raw CMS input) or
   * `pkcs7-signature` (a detached signature part on its own).
   */
  form: 'multipart-signed' | 'pkcs7-mime' | 'pkcs7-signature';
  /** The `smime-type` parameter, lower-cased; `''` when absent. Informational: the CMS content type decides. */
  smimeType: string;
  /** False for a multipart/signed of another protocol (e.g. PGP). */
  smime: boolean;
  /** For application/octet-stream recognised by its file name: the extension. */
  fileExtension?: 'p7m' | 'p7z' | 'p7c';
}

const PKCS7_MIME = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);
const PKCS7_SIGNATURE = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

/** The file name of an entity: the Content-Type `name` parameter, else the Content-Disposition `filename`. */
function fileName(e: MimeEntity): string {
  const disposition = getHeader(e.headers, 'content-disposition') ?? '';
  return (e.contentType.params.name ?? /filename\s*=\s*"?([^";]+)/i.exec(disposition)?.[1] ?? '').trim();
}

/** The one S/MIME classifier: what `e` is as a layer, or `undefined` when it is no S/MIME entity. */
export function classifyEntity(e: MimeEntity): SmimeEntityType | undefined {
  const ct = e.contentType;
  const smimeType = (ct.params['smime-type'] ?? '').toLowerCase();
  if (ct.mediaType === 'multipart/signed') {
    const protocol = (ct.params.protocol ?? '').toLowerCase();
    return { form: 'multipart-signed', smimeType, smime: protocol === '' || PKCS7_SIGNATURE.has(protocol) };
  }
  if (PKCS7_MIME.has(ct.mediaType)) return { form: 'pkcs7-mime', smimeType, smime: true };
  if (PKCS7_SIGNATURE.has(ct.mediaType)) return { form: 'pkcs7-signature', smimeType, smime: true };
  // Some clients send application/octet-stream with a .p7m name.
  if (ct.mediaType !== 'application/octet-stream') return undefined;
  const ext = /\.(p7[mzc])$/i.exec(fileName(e))?.[1]?.toLowerCase() as SmimeEntityType['fileExtension'] | undefined;
  return ext ? { form: 'pkcs7-mime', smimeType, smime: true, fileExtension: ext } : undefined;
}

/** True when `bytes` may be raw CMS (what {@link rawCms} looks at): PEM, or a SEQUENCE whose length can be one. */
function mayBeRawCms(bytes: Uint8Array): boolean {
  return (bytes[0] === 0x30 && (bytes[1] ?? 0) <= 0x84) || beginsLikeCmsPem(bytes);
}

/** The ContentInfo when `bytes` are raw CMS (DER/BER or PEM), else `undefined` (text that merely starts with "0" is MIME). */
export function rawCms(bytes: Uint8Array): ContentInfo | undefined {
  if (!mayBeRawCms(bytes)) return undefined;
  try {
    return parseContentInfo(bytes);
  } catch (e) {
    // What begins like a ContentInfo (SEQUENCE, length, OBJECT IDENTIFIER) or a CMS PEM block is CMS, broken (a cut
    // .p7m): not MIME text, and readMessageStream, which sees only the beginning, says the same.
    if (beginsLikeRawCms(bytes)) throw e;
    return undefined;
  }
}

/**
 * True when `bytes` begin like raw CMS: a ContentInfo's SEQUENCE, length and OBJECT IDENTIFIER, or a CMS PEM block.
 * Exactly the input {@link rawCms} takes as CMS (whole or broken); anything else is MIME, even when it begins "0".
 */
export function beginsLikeRawCms(bytes: Uint8Array): boolean {
  return beginsLikeBer(bytes) || beginsLikeCmsPem(bytes);
}

/** The classification of raw CMS input (DER/BER or PEM, no MIME around it). */
export const RAW_CMS: SmimeEntityType = { form: 'pkcs7-mime', smimeType: '', smime: true };

/** Which classified entities each public function treats as layers. Kept side by side on purpose. */
export const LAYER_SELECTION = {
  /** Signed layers, and pkcs7-mime layers that may hold signatures (not certs-only; octet-stream only as .p7m signed-data). */
  verify: (t: SmimeEntityType): boolean => {
    if (t.form === 'multipart-signed') return t.smime;
    if (t.form !== 'pkcs7-mime' || t.smimeType === 'certs-only') return false;
    return !t.fileExtension || (t.fileExtension === 'p7m' && (t.smimeType === '' || t.smimeType === 'signed-data'));
  },
  /** Every multipart/signed (handed to the signed-layer verifier) and every CMS body. */
  read: (t: SmimeEntityType): boolean => t.form !== 'pkcs7-signature',
  /** CMS bodies, and a lone signature part (reported by its CMS type, `not-enveloped`). */
  decrypt: (t: SmimeEntityType): boolean => t.form !== 'multipart-signed',
} as const;

/** The walker's `kind` for a CMS content type. */
export function layerKindOf(contentType: string): SmimeLayerKind {
  switch (contentType) {
    case CONTENT_TYPE.signedData:
      return 'signed-data';
    case CONTENT_TYPE.envelopedData:
      return 'enveloped-data';
    case CONTENT_TYPE.authEnvelopedData:
      return 'authEnveloped-data';
    case CONTENT_TYPE.compressedData:
      return 'compressed-data';
    default:
      return 'other';
  }
}
