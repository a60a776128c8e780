/** Options of `validateCertificate` and their defaults. */
import { ArgumentError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import type { Certificate } from '../x509/index.js';
import { ANY_POLICY } from '../x509/index.js';
import type { Crl } from '../x509/index.js';
import { TrustList } from './trust-list.js';

/** What the certificate will be used for. `any` applies RFC 5280 only (no S/MIME rules). */
export type TrustPurpose = 'sign' | 'encrypt' | 'any';

/**
 * Revocation policy.
 * - `off`: no revocation checking.
 * - `prefer` (default): CRLs (and the checker) are used when available; a revoked
 *   certificate is invalid, an undeterminable status is only a warning.
 * - `require`: every certificate of the path must have a determinable status
 *   (what PKITS expects); otherwise `revocation-unknown`.
 */
export type RevocationMode = 'off' | 'prefer' | 'require';

/** Outcome of a revocation check. */
export interface RevocationStatus {
  status: 'good' | 'revoked' | 'unknown';
  /** CRLReason code when revoked. */
  reason?: number;
  revocationDate?: Date;
  message?: string;
}

/**
 * Pluggable revocation source (OCSP, CRL download, a cache...). It is asked
 * for a certificate whose status the supplied CRLs could not determine.
 * smimekit ships no network implementation.
 */
export interface RevocationChecker {
  check(certificate: Certificate, issuer: Certificate, options: { at: Date }): Promise<RevocationStatus>;
}

/** Pluggable source of issuer certificates (e.g. AIA caIssuers download, a directory). */
export interface CertificateFetcher {
  fetchIssuers(certificate: Certificate): Promise<Iterable<BytesLike | Certificate>>;
}

/** Bounds on path building (hostile pools must not cause exponential work). */
export interface PathBuildingLimits {
  /** Most certificates in a path, anchor included (default 12). */
  maxDepth?: number;
  /** Most complete candidate paths validated (default 16). */
  maxPaths?: number;
  /** Most issuer candidates examined in total (default 500). */
  maxWork?: number;
  /**
   * Most name-constraint comparisons (names of a certificate × subtrees that apply to them) in one validation,
   * nested CRL-signer validations included (default 250 000). Crossing it is the problem `limit-exceeded`.
   */
  maxNameConstraintChecks?: number;
}

export interface ValidationOptions {
  trust: TrustList;
  /** Untrusted certificates that may complete the path (e.g. those inside a CMS message). */
  intermediates?: Iterable<BytesLike | string | Certificate>;
  /** CRLs in addition to those in the trust list (DER, PEM or decoded). */
  crls?: Iterable<BytesLike | string | Crl>;
  fetchers?: CertificateFetcher[];
  /** Validation time (default: now). Never take it from the message being checked. */
  at?: Date;
  /** Default `sign`. */
  purpose?: TrustPurpose;
  /** The e-mail address the certificate is used for (From address, recipient); checked for sign/encrypt. */
  email?: string;
  /** RFC 5280 user-initial-policy-set (default [anyPolicy]). */
  initialPolicies?: readonly string[];
  /** RFC 5280 initial-explicit-policy (default false). */
  requireExplicitPolicy?: boolean;
  /** RFC 5280 initial-policy-mapping-inhibit (default false). */
  inhibitPolicyMapping?: boolean;
  /** RFC 5280 initial-any-policy-inhibit (default false). */
  inhibitAnyPolicy?: boolean;
  /** Accept SHA-1/MD5 signatures, DSA and short RSA keys (default false). */
  allowWeak?: boolean;
  /** Smallest RSA key accepted without `allowWeak` (default 2048). */
  minRsaBits?: number;
  /** Default `prefer`. */
  revocation?: RevocationMode;
  revocationChecker?: RevocationChecker;
  /** End-entity EKU rules for sign/encrypt. */
  eku?: {
    /** A certificate without extendedKeyUsage is rejected (`bad-eku`). Default false (RFC 8550 allows it). */
    requireExtension?: boolean;
    /** anyExtendedKeyUsage counts as emailProtection. Default true. */
    acceptAnyExtendedKeyUsage?: boolean;
  };
  limits?: PathBuildingLimits;
  /**
   * How RFC 5280 certificate-profile violations count (docs/trust.md, "Strictness decisions"):
   * - `default`: they are problems, except the classes that real mail and real trust lists break (no
   *   authority or subject key identifier, non-critical basicConstraints, version 1 trust anchors): warnings;
   * - `strict`: those are problems too (what `openssl verify -x509_strict` rejects);
   * - `lenient`: every profile violation is only a warning (for archives of old mail).
   *
   * Key identifiers that disagree with the issuer, explicit EC parameters, critical extensions smimekit does not
   * process and `limit-exceeded` are problems in every mode.
   */
  strictness?: 'default' | 'strict' | 'lenient';
}

export interface ResolvedOptions {
  at: Date;
  purpose: TrustPurpose;
  email?: string;
  initialPolicies: readonly string[];
  requireExplicitPolicy: boolean;
  inhibitPolicyMapping: boolean;
  inhibitAnyPolicy: boolean;
  allowWeak: boolean;
  minRsaBits: number;
  revocation: RevocationMode;
  revocationChecker?: RevocationChecker;
  fetchers: CertificateFetcher[];
  requireEku: boolean;
  acceptAnyEku: boolean;
  maxDepth: number;
  maxPaths: number;
  maxWork: number;
  maxNameConstraintChecks: number;
  strictness: 'default' | 'strict' | 'lenient';
}

/** Go's crypto/x509 allows 250 000 comparisons per certificate; here it is the budget of a whole validation. */
const DEFAULT_MAX_NAME_CONSTRAINT_CHECKS = 250_000;

export function resolveOptions(options: ValidationOptions): ResolvedOptions {
  if (!options || typeof options !== 'object' || !(options.trust instanceof TrustList)) {
    throw new ArgumentError('bad-argument', 'validateCertificate needs options.trust (a TrustList)');
  }
  const at = options.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw new ArgumentError('bad-argument', 'options.at must be a valid Date');
  const purpose = options.purpose ?? 'sign';
  if (purpose !== 'sign' && purpose !== 'encrypt' && purpose !== 'any')
    throw new ArgumentError('bad-argument', `unknown purpose "${String(purpose)}"`);
  const revocation = options.revocation ?? 'prefer';
  if (revocation !== 'off' && revocation !== 'prefer' && revocation !== 'require') {
    throw new ArgumentError('bad-argument', `unknown revocation mode "${String(revocation)}"`);
  }
  const strictness = options.strictness ?? 'default';
  if (strictness !== 'default' && strictness !== 'strict' && strictness !== 'lenient')
    throw new ArgumentError('bad-argument', `unknown strictness "${String(strictness)}"`);
  const initialPolicies =
    options.initialPolicies && options.initialPolicies.length > 0 ? [...options.initialPolicies] : [ANY_POLICY];
  for (const p of initialPolicies)
    if (!/^\d+(\.\d+)+$/.test(p)) throw new ArgumentError('bad-argument', `"${p}" is not a policy OID`);
  // NaN or infinite bounds would silently switch the limits (or the RSA key-size policy) off.
  const count = (name: string, v: number | undefined, fallback: number, min: number) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ArgumentError('bad-argument', `${name} must be a finite number`);
    return Math.max(min, Math.floor(v));
  };
  const resolved: ResolvedOptions = {
    at,
    purpose,
    initialPolicies,
    requireExplicitPolicy: options.requireExplicitPolicy ?? false,
    inhibitPolicyMapping: options.inhibitPolicyMapping ?? false,
    inhibitAnyPolicy: options.inhibitAnyPolicy ?? false,
    allowWeak: options.allowWeak ?? false,
    minRsaBits: count('minRsaBits', options.minRsaBits, 2048, 0),
    revocation,
    fetchers: options.fetchers ?? [],
    requireEku: options.eku?.requireExtension ?? false,
    acceptAnyEku: options.eku?.acceptAnyExtendedKeyUsage ?? true,
    maxDepth: count('limits.maxDepth', options.limits?.maxDepth, 12, 1),
    maxPaths: count('limits.maxPaths', options.limits?.maxPaths, 16, 1),
    maxWork: count('limits.maxWork', options.limits?.maxWork, 500, 1),
    maxNameConstraintChecks: count(
      'limits.maxNameConstraintChecks',
      options.limits?.maxNameConstraintChecks,
      DEFAULT_MAX_NAME_CONSTRAINT_CHECKS,
      1,
    ),
    strictness,
  };
  if (options.email !== undefined) resolved.email = options.email;
  if (options.revocationChecker) resolved.revocationChecker = options.revocationChecker;
  return resolved;
}
