/** What verifying one SignerInfo reports (the result shapes of `verifySignedData`), and how a problem is made. */
import type { SmimeErrorCode } from '../error-codes.js';
import type { RsaPssParameters } from '../crypto/verify-signature.js';
import type { CapabilityEntry, CmsAttribute } from './attributes.js';
import type { SignerIdentifier } from './signed-data.js';

/** Why a signer did not verify. Codes are stable. */
export interface SignerProblem {
  /**
   * `digest-mismatch` (content changed), `bad-signature`, `sender-certificate-missing`,
   * `weak-algorithm`, `unsupported-algorithm`, `wrong-digest-algorithm`, `missing-attributes`,
   * `content-type-mismatch`, `signing-certificate-mismatch`, `no-content`, `malformed-cms`.
   */
  code: SmimeErrorCode;
  message: string;
}

/** Algorithms a signer used, by name. */
export interface SignerAlgorithms {
  /** Message digest (`SHA-256`, ...). */
  digest: string;
  /** Signature algorithm name (`sha256WithRSAEncryption`, `RSASSA-PSS`, `ecdsa-with-SHA384`, `Ed25519`, ...). */
  signature: string;
  /** RSA-PSS parameters as stated in the message. */
  pss?: RsaPssParameters;
}

/** The cryptographic result for one SignerInfo. */
export interface SignerCheck {
  /** Position in signerInfos. */
  index: number;
  sid: SignerIdentifier;
  /** The signer certificate (DER), when found. */
  certificate?: Uint8Array;
  /**
   * Message digest and signature value both verify. Algorithm policy is separate: a valid SHA-1 signature
   * without `allowWeak` is `signatureValid: true` with the problem `weak-algorithm`, so check `problems` too.
   */
  signatureValid: boolean;
  problems: SignerProblem[];
  algorithms: SignerAlgorithms;
  /** signingTime attribute (claimed by the signer, not proof). */
  signingTime?: Date;
  /** SMIMECapabilities attribute. */
  capabilities?: CapabilityEntry[];
  /** SMIMEEncryptionKeyPreference: the certificate to encrypt to, when it is in the message. */
  encryptionCertificate?: Uint8Array;
  signedAttributes?: CmsAttribute[];
  /** Countersignatures found in the unsigned attributes (RFC 5652 §11.4), checked over this signature value. */
  countersignatures?: SignerCheck[];
}

/** A problem with its stable `code`. */
export function problem(code: SmimeErrorCode, message: string): SignerProblem {
  return { code, message };
}
