/** CMS layer: ContentInfo, SignedData creation and verification (no trust decisions), BER parsing with limits. */
export { DEFAULT_CMS_LIMITS, type CmsLimits } from './limits.js';
export {
  parseContentInfo,
  encodeContentInfo,
  CONTENT_TYPE,
  type ContentInfo,
  type ContentTypeName,
} from './content-info.js';
export {
  ATTRIBUTE,
  CAPABILITY_OID,
  DEFAULT_CAPABILITIES,
  encodeAttribute,
  parseAttributes,
  decodeCapabilities,
  type CmsAttribute,
  type CapabilityEntry,
} from './attributes.js';
export {
  parseSignedData,
  parseSignerInfoDer,
  type SignedData,
  type SignerInfo,
  type SignerIdentifier,
} from './signed-data.js';
export {
  createSignedData,
  micalgName,
  SIGNING_DIGESTS,
  type CmsSigner,
  type CreateSignedDataOptions,
  type SigningDigest,
} from './signer.js';
export { defaultSigningDigest, encodePssParameters } from './signing-schemes.js';
export { findSignerCertificate, describeSid } from './signer-lookup.js';
export {
  verifySignedData,
  effectiveSignatureAlgorithm,
  type SignerCheck,
  type SignerProblem,
  type SignerAlgorithms,
  type VerifySignedDataOptions,
} from './verify-signed-data.js';

// Encryption (issue 5): EnvelopedData, AuthEnvelopedData, RecipientInfos, ECDH, CompressedData.
export { createEnvelope, type CreateEnvelopeOptions, type CreatedEnvelope } from './enveloped-create.js';
export { parseEnvelope, type ParsedEnvelope } from './enveloped-parse.js';
export {
  decryptEnvelope,
  type DecryptEnvelopeOptions,
  type DecryptedEnvelope,
  type DecryptionKey,
} from './enveloped-decrypt.js';
export { decryptEncryptedData } from './encrypted-data.js';
export { encodeAuthEnvelopedData } from './auth-enveloped.js';
export {
  CONTENT_CIPHERS,
  isContentCipherName,
  contentCipherName,
  encryptContent,
  decryptContentWith,
  generateCek,
  type ContentCipherName,
  type ContentCipherInfo,
  type EncryptedContentParts,
} from './content-cipher.js';
export type { GcmParameterPolicy } from '../crypto/ciphers/content.js';
export {
  RSA_ENCRYPTION,
  RSAES_OAEP,
  parseRecipientInfos,
  keyEncryptionName,
  type RecipientIdentifier,
  type ParsedRecipientInfo,
  type ParsedKeyTransRecipient,
  type ParsedKeyAgreeRecipient,
  type ParsedKekRecipient,
  type ParsedOtherRecipient,
} from './recipient-parse.js';
export {
  encodeRecipientInfo,
  recipientKeyInfo,
  type KeyTransport,
  type KeyManagement,
  type RecipientIdentifierType,
  type EnvelopeRecipient,
  type RecipientSummary,
  type RecipientKeyInfo,
} from './recipient-encode.js';
export {
  recipientMatches,
  findRecipients,
  recoverCek,
  recoverCekWithKek,
  type RecipientCandidate,
} from './recipient-recover.js';
export {
  ECDH_SCHEMES,
  AES_WRAP,
  CMS_3DES_WRAP,
  XDH_OIDS,
  ecdhWrap,
  ecdhUnwrap,
  tripleDesKeyUnwrap,
  defaultKdfHash,
  type EcdhCurve,
  type EcdhWrapResult,
  type EcdhUnwrapInput,
} from './ecdh.js';
export {
  ZLIB_COMPRESS,
  DEFAULT_MAX_DECOMPRESSED,
  DECOMPRESSION_RATIO_FLOOR,
  createCompressed,
  decompressCompressed,
  zlibCompress,
  zlibDecompress,
  type DecompressedContent,
  type DecompressOptions,
} from './compressed.js';

// Streaming (issue 11): BER with indefinite lengths out, definite or indefinite in, memory bounded.
export {
  createEnvelopeStream,
  type CreateEnvelopeStreamOptions,
  type EnvelopeStream,
} from './stream/envelope-writer.js';
export {
  openEnvelopeStream,
  type EnvelopeStreamInfo,
  type EnvelopeStreamReader,
  type DecryptedEnvelopeStream,
} from './stream/envelope-reader.js';
export { createSignedDataStream, startDetachedSignature, type DetachedSignature } from './stream/signed-writer.js';
export { openSignedDataStream, type SignedDataStreamReader, type StreamedSignedData } from './stream/signed-reader.js';
export { prepareSignedData, type PreparedSignedData } from './signer.js';
