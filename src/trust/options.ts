/** Options of `validateCertificate` and their defaults. */
import { ArgumentError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import type { Certificate } from '../x509/index.js';
import { ANY_POLICY } from '../x509/index.js';
import type { Crl } from '../x509/index.js';
import { TrustList } from './trust-list.js';
import type { FetchFunction } from './online/http.js';
import { sharedRevocationCache } from './online/cache.js';

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

/**
 * Revocation with its online sources. The network is used only with `online: true`: then a certificate whose
 * status the local CRLs (trust list, caller) cannot tell is asked about at its OCSP responders (authorityInfoAccess),
 * then its CRL distribution points are downloaded (HTTP; LDAP through `ldap`), and missing intermediates are
 * fetched from caIssuers URLs. Answers are cached (by responder and certificate, by CRL URL) until their nextUpdate.
 * See docs/revocation.md.
 */
export interface RevocationOptions {
  /** Default `prefer`. */
  mode?: RevocationMode;
  /** Use the network (default false). */
  online?: boolean;
  /** HTTP transport (default: the platform `fetch`). */
  fetch?: FetchFunction;
  /** Time limit of each download (default 5 000 ms). */
  timeoutMs?: number;
  /** Ask OCSP responders (default true when online). */
  ocsp?: boolean;
  /** Download CRLs from distribution points (default true when online). */
  crl?: boolean;
  /** Download missing intermediates from caIssuers URLs (default true when online). */
  caIssuers?: boolean;
  /** Send a nonce in OCSP requests (default false: most responders serve pre-signed answers, RFC 5019). */
  nonce?: boolean;
  /** Hash of the OCSP CertID (default `sha1`, which every responder indexes). */
  ocspHash?: 'sha1' | 'sha256';
  /** OCSP over HTTP POST (default) or GET (RFC 5019; cache-friendly). */
  ocspMethod?: 'post' | 'get';
  /** Largest CRL downloaded (default 10 MiB). */
  maxCrlBytes?: number;
  /** Most downloads in one validation, nested CRL-signer validations included (default 24). */
  maxDownloads?: number;
  /**
   * A source that could not be reached (refused, timed out, too big) is not asked again for this long, so a dead
   * responder does not cost every validation its timeout (default 60 000 ms; 0 asks every time). Kept in `cache`.
   */
  retryAfterMs?: number;
  /** Clock-skew allowance for OCSP thisUpdate/nextUpdate (default 5 minutes). */
  clockSkewMs?: number;
  /** Oldest OCSP response without nextUpdate accepted (default 7 days). */
  maxOcspAgeMs?: number;
  /** Where answers are kept between validations (default: one shared in-memory cache). */
  cache?: RevocationCache;
  /** Reads `ldap://` distribution points (e.g. `ldapCrlFetcher()` from `smimekit/ldap`); without it they are skipped. */
  ldap?: LdapCrlFetcher;
  /** The current time, for OCSP freshness and cache expiry (default: the system clock). Not the validation time. */
  now?: () => Date;
}

/** Either a mode, or a mode with online sources. */
export type RevocationSetting = RevocationMode | RevocationOptions;

/** Fetches the CRLs an `ldap://` distribution point URL names (RFC 4516), as DER. */
export type LdapCrlFetcher = (url: string, options: { timeoutMs: number; maxBytes: number }) => Promise<Uint8Array[]>;

/** Storage for downloaded revocation answers (OCSP responses, CRLs), re-verified whenever they are used. */
export interface RevocationCache {
  get(key: string): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** Keep `value` until `expires` (its nextUpdate). */
  set(key: string, value: Uint8Array, expires: Date): Promise<void> | void;
}

/** Outcome of a revocation check. */
export interface RevocationStatus {
  status: 'good' | 'revoked' | 'unknown';
  /** CRLReason code when revoked. */
  reason?: number;
  revocationDate?: Date;
  message?: string;
}

/**
 * Pluggable revocation source, asked for a certificate whose status neither the CRLs nor the online sources
 * (`revocation: { online: true }`) could determine: a company's own status service, a test double.
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
  /** Default `prefer`; an object turns on online sources (OCSP, CRL distribution points, caIssuers). */
  revocation?: RevocationSetting;
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
  /** Present only when the caller turned the network on. */
  online?: OnlineRevocation;
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
  const setting = options.revocation ?? 'prefer';
  const revocation = typeof setting === 'object' && setting !== null ? (setting.mode ?? 'prefer') : setting;
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
  if (typeof setting === 'object' && setting !== null && setting.online === true && revocation !== 'off') {
    resolved.online = resolveOnline(setting, count);
  }
  return resolved;
}

/** Online sources with every default filled in. */
export interface OnlineRevocation {
  fetch?: FetchFunction;
  timeoutMs: number;
  ocsp: boolean;
  crl: boolean;
  caIssuers: boolean;
  nonce: boolean;
  ocspHash: 'sha1' | 'sha256';
  ocspMethod: 'post' | 'get';
  maxCrlBytes: number;
  maxDownloads: number;
  retryAfterMs: number;
  clockSkewMs: number;
  maxOcspAgeMs: number;
  cache: RevocationCache;
  ldap?: LdapCrlFetcher;
  now: () => Date;
}

const DEFAULT_ONLINE_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_CRL_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_DOWNLOADS = 24;
const DEFAULT_RETRY_AFTER_MS = 60_000;
const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;
const DEFAULT_MAX_OCSP_AGE_MS = 7 * 24 * 3_600_000;

function resolveOnline(
  o: RevocationOptions,
  count: (name: string, v: number | undefined, fallback: number, min: number) => number,
): OnlineRevocation {
  if (o.fetch !== undefined && typeof o.fetch !== 'function')
    throw new ArgumentError('bad-argument', 'revocation.fetch must be a function');
  if (o.ocspHash !== undefined && o.ocspHash !== 'sha1' && o.ocspHash !== 'sha256')
    throw new ArgumentError('bad-argument', `revocation.ocspHash must be "sha1" or "sha256"`);
  if (o.ocspMethod !== undefined && o.ocspMethod !== 'post' && o.ocspMethod !== 'get')
    throw new ArgumentError('bad-argument', `revocation.ocspMethod must be "post" or "get"`);
  const online: OnlineRevocation = {
    timeoutMs: count('revocation.timeoutMs', o.timeoutMs, DEFAULT_ONLINE_TIMEOUT_MS, 1),
    ocsp: o.ocsp ?? true,
    crl: o.crl ?? true,
    caIssuers: o.caIssuers ?? true,
    nonce: o.nonce ?? false,
    ocspHash: o.ocspHash ?? 'sha1',
    ocspMethod: o.ocspMethod ?? 'post',
    maxCrlBytes: count('revocation.maxCrlBytes', o.maxCrlBytes, DEFAULT_MAX_CRL_BYTES, 1),
    maxDownloads: count('revocation.maxDownloads', o.maxDownloads, DEFAULT_MAX_DOWNLOADS, 0),
    retryAfterMs: count('revocation.retryAfterMs', o.retryAfterMs, DEFAULT_RETRY_AFTER_MS, 0),
    clockSkewMs: count('revocation.clockSkewMs', o.clockSkewMs, DEFAULT_CLOCK_SKEW_MS, 0),
    maxOcspAgeMs: count('revocation.maxOcspAgeMs', o.maxOcspAgeMs, DEFAULT_MAX_OCSP_AGE_MS, 0),
    cache: o.cache ?? sharedRevocationCache(),
    now: o.now ?? (() => new Date()),
  };
  if (o.fetch) online.fetch = o.fetch;
  if (o.ldap) online.ldap = o.ldap;
  return online;
}
