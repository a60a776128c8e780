/**
 * smimekit — S/MIME for TypeScript. The root export holds what an application
 * needs: trust lists, identities, certificates, sign/verify/encrypt/decrypt/
 * read/compose, address books and errors. Building blocks live in sub-path
 * exports: `smimekit/cms`, `smimekit/x509`, `smimekit/asn1`, `smimekit/mime`,
 * `smimekit/sst`, `smimekit/directory` and (Node only) `smimekit/ldap`.
 */
export * from './errors.js';
export { setCryptoBackend, getCrypto } from './crypto/engine.js';
export { decodePem, encodePem, type PemBlock } from './util/pem.js';
export type { BytesLike } from './util/bytes.js';
export type { CertificateInput } from './util/certificate-input.js';

// Trust lists (SST) and certificates.
export { parseSst, serializeSst, isSst } from './sst/index.js';
export { createSst, loadCertificates, type SstCertificateInput, type CreateSstOptions, type CertificateSource } from './sst/index.js';
export type { SstStore, SstEntry, SstProperty } from './sst/index.js';
export { Certificate, parseCertificate, readCertificate, type DistinguishedName, type GeneralName } from './x509/index.js';
export { parseCrl, type Crl } from './x509/index.js';
export { TrustList, validateCertificate, validationReportToJson } from './trust/index.js';
export type { TrustAnchor, TrustAnchorOptions, ValidationOptions, ValidationReport, TrustProblem, TrustProblemCode, TrustPurpose } from './trust/index.js';

// Identities.
export { loadIdentity, loadPrivateKey, parsePkcs12, keyMatchesCertificate, assertKeyMatchesCertificate } from './crypto/index.js';
export type { Identity, LoadedPrivateKey, PrivateKeyType, Pkcs12Contents } from './crypto/index.js';

// Messages.
export { signMessage, type SignMessageOptions, type SmimeSigner } from './smime/index.js';
export { verifyMessage, verifySignedContent, verifyDetached, type VerifyMessageOptions, type VerifyCmsOptions } from './smime/index.js';
export { verifyReportToJson, verifyReportToText, type VerifyReport, type SignerReport, type ReportProblem } from './smime/index.js';
export { encryptMessage, type EncryptMessageOptions, type EncryptMessageResult, type EncryptionParty } from './smime/index.js';
export { decryptMessage, type DecryptMessageOptions, type DecryptMessageResult, type DecryptionIdentity } from './smime/index.js';
export { readMessage, type ReadMessageOptions, type ReadMessageResult, type MessageLayer } from './smime/index.js';
export { composeMessage, type MailEnvelope, type ComposeOptions, type ComposeResult, type ComposedMessage } from './smime/index.js';
export { resolveRecipients, assertAllResolved, type ResolveRecipientsOptions, type ResolveRecipientsResult } from './smime/index.js';
export { policyFromJson, DEFAULT_SMIME_POLICY, type SmimePolicy } from './smime/index.js';

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
