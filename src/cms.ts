/**
 * `smimekit/cms`: the CMS building blocks under the S/MIME facade (SignedData,
 * EnvelopedData, RecipientInfos, content ciphers) and the algorithm tables and
 * signature primitive they use. Most applications need only the root export.
 *
 * @module smimekit/cms
 */
export * from './cms/index.js';
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
export {
  signatureAlgorithmWeakness,
  publicKeyWeakness,
  DEFAULT_MIN_RSA_BITS,
  type AlgorithmPolicy,
} from './crypto/policy.js';
export { verifySignature, type VerifySignatureInput } from './crypto/verify-signature.js';
export { summarizePublicKey, type PublicKeySummary } from './crypto/public-key-summary.js';
