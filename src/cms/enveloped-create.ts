/**
 * Writing EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083/5084)
 * to any number of recipients. AES-GCM is only ever written as
 * AuthEnvelopedData, never RC2/DES/3DES.
 */
import { certificateDer } from '../util/certificate-input.js';
import { ArgumentError } from '../errors.js';
import { concatBytes, toBytes, type BytesLike } from '../util/bytes.js';
import { CONTENT_TYPE, encodeContentInfo } from './content-info.js';
import {
  CONTENT_CIPHERS,
  encryptContent,
  generateCek,
  type ContentCipherName,
  type EncryptedContentParts,
} from './content-cipher.js';
import { encodeRecipientInfo, type EnvelopeRecipient, type RecipientSummary } from './recipient-encode.js';
import { encodeAuthEnvelopedData } from './auth-enveloped.js';
import { tlv, seq, set, encodeOid, encodeInt, berDefiniteHeader } from '../asn1/index.js';

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
  const data = toBytes(content, 'content');
  if (!recipients.length) throw new ArgumentError('bad-argument', 'at least one recipient is needed');
  const cipher = options.cipher ?? 'aes-256-cbc';
  const info = CONTENT_CIPHERS[cipher];
  if (!info) throw new ArgumentError('bad-argument', `unknown content cipher "${String(cipher)}"`);
  const cek = generateCek(cipher);
  try {
    const { ris, summaries, maxVersion } = await encodeRecipientInfos(recipients, cek);
    const contentType = options.contentType ?? CONTENT_TYPE.data;
    const parts = await encryptContent(cipher, cek, data);
    // Recipient order is kept (SET OF need not be sorted in BER; OpenSSL keeps insertion order too).
    const recipientInfos = set(...ris);
    if (info.mode === 'gcm') {
      const eci = seq(encodeOid(contentType), parts.algorithm, tlv(0x80, parts.ciphertext));
      const der = encodeContentInfo(
        CONTENT_TYPE.authEnvelopedData,
        encodeAuthEnvelopedData(recipientInfos, eci, parts.tag!),
      );
      return { der, contentType: 'authEnvelopedData', cipher, recipients: summaries };
    }
    // RFC 5652 §6.1: version 2 when any RecipientInfo is not v0 (SKI KTRI, KARI).
    const version = maxVersion === 0 ? 0 : 2;
    const der = envelopedContentInfo(encodeInt(version), recipientInfos, encodeOid(contentType), parts);
    return { der, contentType: 'envelopedData', cipher, recipients: summaries };
  } finally {
    cek.fill(0);
  }
}

/**
 * ContentInfo { envelopedData, [0] EnvelopedData { version, recipientInfos, EncryptedContentInfo } }, the same bytes
 * as nesting `seq`/`tlv`, but the ciphertext (the bulk) is copied once instead of once per level.
 */
function envelopedContentInfo(
  version: Uint8Array,
  recipientInfos: Uint8Array,
  contentType: Uint8Array,
  parts: EncryptedContentParts,
): Uint8Array {
  const ciphertext = berDefiniteHeader(0x80, parts.ciphertext.length);
  const eciLength = contentType.length + parts.algorithm.length + ciphertext.length + parts.ciphertext.length;
  const eci = berDefiniteHeader(0x30, eciLength);
  const envelopedLength = version.length + recipientInfos.length + eci.length + eciLength;
  const enveloped = berDefiniteHeader(0x30, envelopedLength);
  const explicit = berDefiniteHeader(0xa0, enveloped.length + envelopedLength);
  const oid = encodeOid(CONTENT_TYPE.envelopedData);
  const contentInfo = berDefiniteHeader(0x30, oid.length + explicit.length + enveloped.length + envelopedLength);
  return concatBytes(
    contentInfo,
    oid,
    explicit,
    enveloped,
    version,
    recipientInfos,
    eci,
    contentType,
    parts.algorithm,
    ciphertext,
    parts.ciphertext,
  );
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
