/** S/MIME layer: messages (MIME + CMS + trust). Other modules may append their exports below. */
export { signMessage, prepareEntity, type SignMessageOptions, type SmimeSigner } from './sign.js';
export { verifyMessage, verifySignedContent, verifyDetached, type VerifyMessageOptions, type VerifyCmsOptions } from './verify.js';
export {
  verifyReportToJson,
  verifyReportToText,
  type VerifyReport,
  type SignerReport,
  type SignedLayer,
  type ReportProblem,
  type Coverage,
} from './report.js';

// Encryption (issue 5).
export {
  encryptMessage,
  type EncryptMessageOptions,
  type EncryptMessageResult,
  type EncryptionParty,
  type EncryptionWarning,
  type EncryptedRecipient,
} from './encrypt.js';
export { decryptMessage, type DecryptMessageOptions, type DecryptMessageResult, type DecryptionIdentity } from './decrypt.js';
export {
  readMessage,
  type ReadMessageOptions,
  type ReadMessageResult,
  type MessageLayer,
  type SignedLayerVerifier,
  type SignedLayerVerification,
} from './read.js';
export { readSmimeCms, isPkcs7MimeEntity, type SmimeCms } from './read-cms.js';
export { classifyEntity, type SmimeLayerOptions, type SmimeEntityType, type SmimeLayerKind, type WalkedLayer } from './layers.js';
export {
  CAPABILITY,
  parseSmimeCapabilities,
  capabilityOids,
  encodeSmimeCapabilities,
  chooseContentCipher,
  chooseKeyTransport,
  type SmimeCapability,
  type CapabilitiesInput,
} from './capabilities.js';

// Address books: recipients by address (issue 9).
export {
  resolveRecipients,
  assertAllResolved,
  DEFAULT_GROUP_EXPANSION_TIMEOUT_MS,
  type ResolveRecipientsOptions,
  type GroupResolution,
  type ResolveRecipientsResult,
} from './resolve.js';
export {
  composeMessage,
  planMessageCopies,
  type MailEnvelope,
  type ComposeOptions,
  type ComposedMessage,
  type ComposeResult,
  type MessageCopyPlan,
} from './compose.js';
export { buildHeaders, contentEntity, type MailAddress, type EnvelopeAddresses, type MessageHeaders } from './compose-headers.js';
export {
  policyFromJson,
  resolvePolicy,
  revocationMode,
  smimeConfigMarkdown,
  SMIME_CONFIG_PARAMETERS,
  DEFAULT_SMIME_POLICY,
  type SmimePolicy,
  type ResolvedSmimePolicy,
  type BccForking,
  type CertificateInclusion,
  type SmimeConfigParameter,
  type PolicyJsonOptions,
} from './policy.js';
