/**
 * smimekit — S/MIME for TypeScript. Every public function is a named export
 * of this module; see docs/ for guides.
 */
export * from './errors.js';
export * from './sst/index.js';
export { setCryptoBackend, getCrypto } from './crypto/engine.js';
export { decodePem, encodePem, type PemBlock } from './util/pem.js';
export {
  parseCertificateInfo,
  parseCrlInfo,
  formatName,
  type CertificateInfo,
  type CrlInfo,
  type NameAttribute,
  type ExtensionInfo,
} from './util/x509-lite.js';
export * from './trust/index.js';
export {
  OID as ALGORITHM_OIDS,
  NAMED_CURVES,
  digestAlgorithm,
  digestOid,
  signatureAlgorithm,
  publicKeyAlgorithm,
  algorithmName,
  type DigestName,
  type SignatureFamily,
  type DigestAlgorithmInfo,
  type SignatureAlgorithmInfo,
  type PublicKeyAlgorithmInfo,
} from './crypto/algorithms.js';
export { signatureAlgorithmWeakness, publicKeyWeakness, DEFAULT_MIN_RSA_BITS, type AlgorithmPolicy } from './crypto/policy.js';
export {
  verifySignature,
  parseSubjectPublicKeyInfo,
  parseAlgorithmIdentifier,
  summarizePublicKey,
  type VerifySignatureInput,
  type AlgorithmIdentifier,
  type PublicKeyInfo,
  type PublicKeySummary,
} from './crypto/verify-signature.js';
export * from './cms/index.js';
export * from './directory/index.js';
export * from './smime/index.js';
export {
  loadIdentity,
  loadPrivateKey,
  keyMatchesCertificate,
  assertKeyMatchesCertificate,
  parsePkcs12,
  type Identity,
  type LoadedPrivateKey,
  type PrivateKeyType,
  type NamedCurve,
  type Pkcs12Contents,
  type Pkcs12Certificate,
  type Pkcs12Key,
} from './crypto/index.js';
export * from './mime/index.js';
