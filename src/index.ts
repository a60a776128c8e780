/**
 * smimekit — S/MIME for TypeScript. The root export holds what an application
 * needs: trust lists, identities, certificates, sign/verify/encrypt/decrypt/
 * read/compose, address books and errors. Building blocks live in sub-path
 * exports: `smimekit/cms`, `smimekit/x509`, `smimekit/asn1`, `smimekit/mime`,
 * `smimekit/sst`, `smimekit/trust`, `smimekit/directory` and (Node only) `smimekit/ldap`.
 *
 * @module smimekit
 */
export * from './errors.js';
export { setCryptoBackend, getCrypto } from './crypto/engine.js';
export { decodePem, encodePem, type PemBlock } from './util/pem.js';
export type { BytesLike } from './util/bytes.js';
export type { CertificateInput } from './util/certificate-input.js';

// Trust lists (SST) and certificates.
export { parseSst, serializeSst, isSst } from './sst/index.js';
export {
  createSst,
  loadCertificates,
  type SstCertificateInput,
  type CreateSstOptions,
  type CertificateSource,
} from './sst/index.js';
export type { SstStore, SstEntry, SstProperty } from './sst/index.js';
export {
  Certificate,
  parseCertificate,
  readCertificate,
  type DistinguishedName,
  type GeneralName,
} from './x509/index.js';
export { parseCrl, type Crl } from './x509/index.js';
export { TrustList, type TrustAnchor, type TrustAnchorOptions } from './trust/trust-list.js';
export { validateCertificate } from './trust/validate.js';
export {
  validationReportToJson,
  TRUST_PROBLEM_CODES,
  type ValidationReport,
  type TrustProblem,
  type TrustProblemCode,
  type ProblemCertificate,
  type CertificateRevocation,
  type RevocationCrlSource,
} from './trust/report.js';
export { MemoryRevocationCache, type MemoryRevocationCacheOptions } from './trust/online/cache.js';
export { caIssuersFetcher, type CaIssuersOptions } from './trust/online/ca-issuers.js';
export type { FetchFunction } from './trust/online/http.js';
export type { OcspUse, OnlineAttempt } from './trust/online/check.js';
export { queryOcsp, type OcspQueryOptions, type OcspAnswer } from './trust/online/ocsp.js';
export {
  createOcspRequest,
  ocspGetUrl,
  type OcspRequest,
  type OcspRequestOptions,
  type CertId,
  type OcspHashName,
} from './trust/online/ocsp-request.js';
export {
  parseOcspResponse,
  type OcspResponse,
  type BasicOcspResponse,
  type SingleOcspResponse,
  type ResponseCertId,
  type ResponderId,
} from './trust/online/ocsp-response.js';
export { verifyOcspResponse, type OcspCheckOptions, type OcspVerdict } from './trust/online/ocsp-verify.js';

export type {
  ValidationOptions,
  TrustPurpose,
  RevocationMode,
  RevocationOptions,
  RevocationSetting,
  RevocationCache,
  LdapCrlFetcher,
  RevocationChecker,
  CertificateFetcher,
  PathBuildingLimits,
} from './trust/options.js';

// Identities.
export { loadIdentity, type Identity, type IdentityWarning, type LoadIdentityOptions } from './crypto/identity.js';
export { loadPrivateKey, type LoadedPrivateKey, type PrivateKeyType, type NamedCurve } from './crypto/private-key.js';
export type { KdfHash } from './crypto/kdf.js';
export type { RsaPssParameters } from './crypto/verify-signature.js';
export {
  parsePkcs12,
  type Pkcs12Contents,
  type Pkcs12Certificate,
  type Pkcs12Key,
  type Pkcs12BagAttributes,
  type Pkcs12Options,
} from './crypto/pkcs12.js';
export { keyMatchesCertificate, assertKeyMatchesCertificate } from './crypto/key-match.js';
export {
  exportPkcs12,
  type Pkcs12ExportIdentity,
  type ExportPkcs12Options,
  type Pkcs12MacDigest,
} from './crypto/pkcs12-export.js';

// Messages.
export { signMessage, type SignMessageOptions, type SmimeSigner } from './smime/sign.js';
export {
  verifyMessage,
  verifySignedContent,
  verifyDetached,
  type VerifyMessageOptions,
  type VerifyCmsOptions,
} from './smime/verify.js';
export { verifyReportToJson, verifyReportToText } from './smime/report.js';
export type {
  VerifyReport,
  PrintableVerifyReport,
  SignerReport,
  SignedLayer,
  ReportProblem,
  Coverage,
  CoveragePart,
} from './smime/report.js';
export {
  encryptMessage,
  type EncryptMessageOptions,
  type EncryptMessageResult,
  type EncryptionParty,
} from './smime/encrypt.js';
export type { EncryptedRecipient, EncryptionWarning } from './smime/encrypt.js';
export {
  decryptMessage,
  type DecryptMessageOptions,
  type DecryptMessageResult,
  type DecryptionIdentity,
} from './smime/decrypt.js';
export { readMessage, type ReadMessageOptions, type ReadMessageResult, type MessageLayer } from './smime/read.js';
export type { SignedLayerVerifier, SignedLayerVerification } from './smime/read.js';
export type { SmimeLayerOptions, WalkedLayer } from './smime/layers.js';
export type { SmimeLayerKind } from './smime/classify.js';
export type { SmimeCapability, CapabilitiesInput } from './smime/capabilities.js';
export {
  composeMessage,
  type MailEnvelope,
  type ComposeOptions,
  type ComposeResult,
  type ComposedMessage,
} from './smime/compose.js';
export type { MessageCopyPlan } from './smime/compose.js';
export type { HeaderProtectionOptions, SignHeaderProtectionOptions } from './smime/header-protection.js';
export type { HeaderProtectionResult, HeaderProtectionFinding } from './smime/header-protection-read.js';
export type { StreamHeaderProtectionResult } from './smime/header-protection-stream-read.js';
export type { HeaderMismatch } from './mime/header-protection.js';
export type {
  HeaderConfidentialityPolicy,
  HeaderConfidentialityPolicyName,
  HeaderField,
} from './mime/header-policy.js';
export type { MailAddress, EnvelopeAddresses } from './smime/compose-headers.js';
export { resolveRecipients, assertAllResolved, DEFAULT_GROUP_EXPANSION_TIMEOUT_MS } from './smime/resolve.js';
export type { ResolveRecipientsOptions, ResolveRecipientsResult, GroupResolution } from './smime/resolve.js';
export {
  DEFAULT_SMIME_POLICY,
  type SmimePolicy,
  type ResolvedSmimePolicy,
  type BccForking,
  type CertificateInclusion,
} from './smime/policy.js';
export { policyFromJson, type PolicyJsonOptions } from './smime/policy-json.js';
export type { SignerProblem } from './cms/verify-signed-data.js';

// Messages of any size: the same operations on Web Streams, with memory bounded whatever the size (docs/streaming.md).
export type { ByteSource } from './util/byte-source.js';
export { signMessageStream, type SignMessageStreamOptions } from './smime/sign-stream.js';
export {
  verifyMessageStream,
  type VerifyMessageStream,
  type VerifyMessageStreamReport,
} from './smime/verify-stream.js';
export { encryptMessageStream, type EncryptMessageStreamResult } from './smime/encrypt-stream.js';
export {
  decryptMessageStream,
  type DecryptMessageStream,
  type DecryptMessageStreamResult,
} from './smime/decrypt-stream.js';
export { readMessageStream, type ReadMessageStream, type ReadMessageStreamResult } from './smime/read-stream.js';

// Address books (the LDAP directory is the Node-only `smimekit/ldap` entry).
export { MemoryDirectory, CompositeDirectory, resolveCertificate } from './directory/index.js';
export { parseUserSmimeCertificate, buildUserSmimeCertificate } from './directory/index.js';
export type {
  CertificateDirectory,
  DirectoryEntry,
  CertificateCandidate,
  LookupOptions,
  RecipientCertificate,
  ResolvedCertificate,
  ResolveCertificateOptions,
} from './directory/index.js';
