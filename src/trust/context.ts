/**
 * Per-call state of a validation: the certificate pool, CRLs, options and
 * caches (signature checks and CRL-signer validations are shared between
 * candidate paths and nested CRL-issuer validations).
 */
import { AlgorithmError, SmimeError } from '../errors.js';
import { toHex } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { signatureParametersValid, verifySignature } from '../crypto/verify-signature.js';
import type { AlgorithmIdentifier } from '../x509/index.js';
import type { Certificate } from '../x509/index.js';
import type { Crl } from '../x509/index.js';
import type { TrustAnchor, TrustList } from './trust-list.js';
import type { ResolvedOptions } from './options.js';

/** Anything carrying a signature over exact bytes. */
export interface SignedObject {
  fingerprint: string;
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  signatureUnusedBits?: number;
}

export type SignatureResult =
  { ok: true } | { ok: false; code: 'bad-signature' | 'unsupported-algorithm'; message: string };

export interface ValidationContext {
  trust: TrustList;
  options: ResolvedOptions;
  /** Untrusted certificates by subject key (caller pool + fetched). */
  pool: Map<string, Certificate[]>;
  poolFingerprints: Set<string>;
  crls: Crl[];
  signatureCache: Map<string, Promise<SignatureResult>>;
  /** CRL-signer certificate validations, by `fingerprint|anchorFingerprint`. */
  signerCache: Map<string, Promise<boolean>>;
  /** Certificates whose validation is in progress up the stack (cycle guard for CRL issuers). */
  inProgress: Set<string>;
  /** Certificates already handed to the fetchers. */
  fetched: Set<string>;
  /** Where each CRL (by fingerprint) came from, for the report; absent: the trust list. */
  crlOrigins: Map<string, CrlOrigin>;
  /** Downloads left in this validation (online revocation and caIssuers): hostile certificates must not cause many. */
  downloads: { left: number };
  /**
   * Signatures verified only to rank issuer candidates (path building) and to look for a CRL's signer
   * among certificates of the CRL issuer's name, over the whole validation including nested CRL-signer
   * validations. Each is capped at `maxWork`: hostile pools of same-named certificates (and hostile CRLs)
   * would otherwise cost depth × pool, or CRLs × pool, verifications. `nameConstraints` counts the
   * name-constraint comparisons, capped at `maxNameConstraintChecks`.
   */
  work?: { ranking: number; crlSigner: number; nameConstraints: number };
}

/** Where a CRL used for revocation came from. */
interface CrlOrigin {
  origin: 'trust-list' | 'supplied' | 'fetched';
  /** The distribution point it was downloaded from. */
  url?: string;
  /** Taken from the revocation cache rather than downloaded now. */
  cached?: boolean;
}

export function addToPool(ctx: ValidationContext, cert: Certificate): void {
  if (ctx.poolFingerprints.has(cert.fingerprint)) return;
  ctx.poolFingerprints.add(cert.fingerprint);
  const list = ctx.pool.get(cert.subject.key);
  if (list) list.push(cert);
  else ctx.pool.set(cert.subject.key, [cert]);
}

/** Certificates (anchors first, then pool) whose subject is `subjectKey`. */
export function certificatesNamed(
  ctx: ValidationContext,
  subjectKey: string,
): { cert: Certificate; anchor?: TrustAnchor }[] {
  const out: { cert: Certificate; anchor?: TrustAnchor }[] = [];
  const seen = new Set<string>();
  for (const a of ctx.trust.bySubject(subjectKey)) {
    seen.add(a.certificate.fingerprint);
    out.push({ cert: a.certificate, anchor: a });
  }
  for (const c of ctx.pool.get(subjectKey) ?? []) {
    if (!seen.has(c.fingerprint)) {
      seen.add(c.fingerprint);
      out.push({ cert: c });
    }
  }
  return out;
}

/**
 * Checks `signed` against `spki` (with inherited DSA parameters when given),
 * caching the outcome. Never throws: unsupported algorithms and unusable
 * keys are results.
 */
function signatureCacheKey(signed: SignedObject, spki: Uint8Array, dsaParameters?: Uint8Array): string {
  return `${signed.fingerprint}|${toHex(sha256(spki))}|${dsaParameters ? toHex(sha256(dsaParameters)) : ''}`;
}

/** Whether `checkSignature` already has (or is computing) this result, so asking again costs nothing. */
export function isSignatureChecked(
  ctx: ValidationContext,
  signed: SignedObject,
  spki: Uint8Array,
  dsaParameters?: Uint8Array,
): boolean {
  return ctx.signatureCache.has(signatureCacheKey(signed, spki, dsaParameters));
}

export function checkSignature(
  ctx: ValidationContext,
  signed: SignedObject,
  spki: Uint8Array,
  dsaParameters?: Uint8Array,
): Promise<SignatureResult> {
  const key = signatureCacheKey(signed, spki, dsaParameters);
  let result = ctx.signatureCache.get(key);
  if (!result) {
    result = (async (): Promise<SignatureResult> => {
      if (signed.signatureUnusedBits)
        return { ok: false, code: 'bad-signature', message: 'the signature BIT STRING is malformed (unused bits)' };
      if (!signatureParametersValid(signed.signatureAlgorithm)) {
        return {
          ok: false,
          code: 'bad-signature',
          message: 'the signature algorithm identifier carries parameters its algorithm does not allow',
        };
      }
      try {
        const input = {
          algorithm: signed.signatureAlgorithm,
          signature: signed.signature,
          data: signed.tbs,
          publicKey: spki,
        };
        const ok = await verifySignature(dsaParameters ? { ...input, inheritedDsaParameters: dsaParameters } : input);
        return ok
          ? { ok: true }
          : { ok: false, code: 'bad-signature', message: 'the signature does not verify with the issuer key' };
      } catch (e) {
        if (e instanceof AlgorithmError && e.code !== 'key-algorithm-mismatch') {
          return { ok: false, code: 'unsupported-algorithm', message: e.message };
        }
        const message = e instanceof SmimeError ? e.message : String(e);
        return { ok: false, code: 'bad-signature', message: `the signature cannot be checked: ${message}` };
      }
    })();
    ctx.signatureCache.set(key, result);
  }
  return result;
}
