/** ContentInfo (RFC 5652 §3): the outer wrapper of every CMS message, read with the project's bounds-checked reader. */
import { FormatError } from '../errors.js';
import { toBytes, type BytesLike } from '../util/bytes.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import {
  TAG,
  derParse,
  derChildren,
  derContent,
  derBytes,
  derIsUniversal,
  derIsContext,
  decodeOid,
  tlv,
  draft,
  type DerPart,
  encodeOid,
} from '../asn1/index.js';

export const CONTENT_TYPE = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  digestedData: '1.2.840.113549.1.7.5',
  encryptedData: '1.2.840.113549.1.7.6',
  authenticatedData: '1.2.840.113549.1.9.16.1.2',
  compressedData: '1.2.840.113549.1.9.16.1.9',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
} as const;

export type ContentTypeName = keyof typeof CONTENT_TYPE;

const NAME_BY_OID = new Map<string, ContentTypeName>(
  Object.entries(CONTENT_TYPE).map(([k, v]) => [v, k as ContentTypeName]),
);

export interface ContentInfo {
  /** The contentType OID. */
  contentType: string;
  /** Its name when known (`signedData`, `envelopedData`, ...). */
  name?: ContentTypeName;
  /** The exact bytes of the `[0] EXPLICIT` content's inner TLV (e.g. the SignedData SEQUENCE). */
  content: Uint8Array;
  /** The whole ContentInfo bytes as given (DER, or BER with indefinite lengths). */
  der: Uint8Array;
}

/**
 * Reads a ContentInfo from DER/BER bytes or PEM (`PKCS7`, `CMS`). Only the
 * outer layers are decoded here; nothing is copied.
 *
 * @throws {FormatError} `malformed-cms`
 */
export function parseContentInfo(input: BytesLike | string): ContentInfo {
  let bytes = typeof input === 'string' ? undefined : toBytes(input, 'CMS data');
  if (typeof input === 'string' || looksLikePem(bytes!)) {
    const block = decodePem(input as string | Uint8Array).find((b) =>
      /^(PKCS7|CMS|PKCS #7 SIGNED DATA)$/.test(b.label),
    );
    if (!block) throw new FormatError('malformed-cms', 'PEM input has no PKCS7 or CMS block');
    bytes = block.der;
  }
  try {
    const root = derParse(bytes!);
    const [typeNode, explicit] = derChildren(root);
    if (!derIsUniversal(root, TAG.SEQUENCE) || !typeNode || !derIsUniversal(typeNode, TAG.OID))
      throw new Error('not a ContentInfo SEQUENCE');
    const contentType = decodeOid(derContent(typeNode), typeNode.start);
    if (!explicit || !derIsContext(explicit, 0)) throw new Error('ContentInfo has no content');
    const [inner] = derChildren(explicit);
    if (!inner) throw new Error('ContentInfo content is empty');
    const name = NAME_BY_OID.get(contentType);
    return { contentType, ...(name ? { name } : {}), content: derBytes(inner), der: bytes! };
  } catch (e) {
    if (e instanceof FormatError && e.code !== 'malformed-der') throw e;
    throw new FormatError('malformed-cms', `not a CMS ContentInfo: ${(e as Error).message}`, { cause: e });
  }
}

/** DER ContentInfo around already-encoded (or drafted) content, written into one array. */
export function encodeContentInfo(contentType: string, content: DerPart): Uint8Array {
  return tlv(0x30, encodeOid(contentType), draft(0xa0, content));
}
