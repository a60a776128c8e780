/**
 * Writing EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083/5084)
 * to any number of recipients. AES-GCM is only ever written as
 * AuthEnvelopedData, never RC2/DES/3DES.
 */
import { certificateDer } from '../util/certificate-input.js';
import { ArgumentError } from '../errors.js';
import { toBytes, type BytesLike } from '../util/bytes.js';
import { CONTENT_TYPE } from './content-info.js';
import { CONTENT_CIPHERS, encryptContentPieces, generateCek, type ContentCipherName } from './content-cipher.js';
import { encodeRecipientInfo, type EnvelopeRecipient, type RecipientSummary } from './recipient-encode.js';
import { tlv, draft, encodeOid, encodeInt, type DerPart } from '../asn1/index.js';

/** Options of `createEnvelope`. */
export interface CreateEnvelopeOptions {
  /** Content cipher; GCM ciphers produce AuthEnvelopedData. Default `aes-256-cbc`. */
  cipher?: ContentCipherName;
  /** eContentType of the encrypted content (default id-data). */
  contentType?: string;
}

/** A new EnvelopedData / AuthEnvelopedData. */
export interface CreatedEnvelope {
  /** DER ContentInfo. */
  der: Uint8Array;
  contentType: 'envelopedData' | 'authEnvelopedData';
  cipher: ContentCipherName;
  recipients: RecipientSummary[];
}

/**
 * Encrypts `content` to every recipient: RSA key transport (PKCS#1 v1.5 or
 * OAEP) or ECDH-ES key agreement per recipient, AES-CBC in EnvelopedData or
 * AES-GCM in AuthEnvelopedData. Never RC2/DES/3DES.
 *
 * @throws ArgumentError `bad-argument` (no recipients, unknown cipher),
 *   AlgorithmError `unsupported-algorithm` (a key that cannot encrypt).
 */
export async function createEnvelope(
  content: BytesLike,
  recipients: readonly EnvelopeRecipient[],
  options: CreateEnvelopeOptions = {},
): Promise<CreatedEnvelope> {
  return createEnvelopeOfPieces([toBytes(content, 'content')], recipients, options);
}

/** `createEnvelope` of content in pieces (concatenated, the content): a large body is not joined to its headers first. */
export async function createEnvelopeOfPieces(
  data: readonly Uint8Array[],
  recipients: readonly EnvelopeRecipient[],
  options: CreateEnvelopeOptions = {},
): Promise<CreatedEnvelope> {
  if (!recipients.length) throw new ArgumentError('bad-argument', 'at least one recipient is needed');
  const cipher = options.cipher ?? 'aes-256-cbc';
  const info = CONTENT_CIPHERS[cipher];
  if (!info) throw new ArgumentError('bad-argument', `unknown content cipher "${String(cipher)}"`);
  const cek = generateCek(cipher);
  try {
    const { ris, summaries, maxVersion } = await encodeRecipientInfos(recipients, cek);
    const contentType = options.contentType ?? CONTENT_TYPE.data;
    const parts = await encryptContentPieces(cipher, cek, data);
    // Recipient order is kept (SET OF need not be sorted in BER; OpenSSL keeps insertion order too).
    const recipientInfos = draft(0x31, ...ris);
    const eContentType = encodeOid(contentType);
    if (info.mode === 'gcm') {
      // RFC 5083: AuthEnvelopedData { version 0, recipientInfos, authEncryptedContentInfo, mac } (no attributes).
      const der = envelopeContentInfo(
        CONTENT_TYPE.authEnvelopedData,
        [encodeInt(0), recipientInfos],
        eContentType,
        parts.algorithm,
        parts.ciphertext,
        [draft(0x04, parts.tag!)],
      );
      return { der, contentType: 'authEnvelopedData', cipher, recipients: summaries };
    }
    // RFC 5652 §6.1: version 2 when any RecipientInfo is not v0 (SKI KTRI, KARI).
    const version = maxVersion === 0 ? 0 : 2;
    const der = envelopeContentInfo(
      CONTENT_TYPE.envelopedData,
      [encodeInt(version), recipientInfos],
      eContentType,
      parts.algorithm,
      parts.ciphertext,
    );
    return { der, contentType: 'envelopedData', cipher, recipients: summaries };
  } finally {
    cek.fill(0);
  }
}

/**
 * ContentInfo { type, [0] SEQUENCE { ...before, SEQUENCE { contentType, algorithm, [0] ciphertext }, ...after } }:
 * EnvelopedData (`before`: version and RecipientInfos) and AuthEnvelopedData (`after`: the mac), written by one
 * `tlv` from drafts: the ciphertext (the bulk) is copied once, from its pieces, instead of once per level.
 */
function envelopeContentInfo(
  type: string,
  before: readonly DerPart[],
  contentType: Uint8Array,
  algorithm: Uint8Array,
  ciphertextPieces: readonly Uint8Array[],
  after: readonly DerPart[] = [],
): Uint8Array {
  const encryptedContentInfo = draft(0x30, contentType, algorithm, draft(0x80, ...ciphertextPieces));
  return tlv(0x30, encodeOid(type), draft(0xa0, draft(0x30, ...before, encryptedContentInfo, ...after)));
}

/** Every recipient's RecipientInfo for `cek`, in order, with the highest RecipientInfo version (for the envelope's). */
export async function encodeRecipientInfos(
  recipients: readonly EnvelopeRecipient[],
  cek: Uint8Array,
): Promise<{ ris: Uint8Array[]; summaries: RecipientSummary[]; maxVersion: number }> {
  const ris: Uint8Array[] = [];
  const summaries: RecipientSummary[] = [];
  let maxVersion = 0;
  for (const r of recipients) {
    const ri = await encodeRecipientInfo(
      { ...r, certificate: certificateDer(r.certificate, 'recipient certificate') },
      cek,
    );
    ris.push(ri.der);
    summaries.push(ri.summary);
    maxVersion = Math.max(maxVersion, ri.version);
  }
  return { ris, summaries, maxVersion };
}
