/**
 * The validation report: explicit, stable reason codes (after Go's
 * crypto/x509 `CertificateInvalidError` reasons) so callers and users can see
 * *why* a certificate is not trusted. See docs/trust.md for every code.
 */
import type { Certificate } from '../x509/index.js';
import type { OcspUse, OnlineAttempt } from './online/check.js';

/** Stable problem codes. Never renamed once published. */
export type TrustProblemCode =
  | 'expired'
  | 'not-yet-valid'
  | 'untrusted-root'
  | 'bad-signature'
  | 'not-ca'
  | 'path-length'
  | 'bad-key-usage'
  | 'bad-eku'
  | 'email-mismatch'
  | 'name-constraints'
  | 'policy'
  | 'revoked'
  | 'revocation-unknown'
  | 'weak-algorithm'
  | 'unsupported-algorithm'
  | 'unknown-critical-extension'
  | 'anchor-not-trusted-for-purpose'
  | 'key-identifier-mismatch'
  | 'bad-key-identifier'
  | 'bad-basic-constraints'
  | 'empty-subject'
  | 'bad-serial-number'
  | 'bad-crl'
  | 'limit-exceeded';

export const TRUST_PROBLEM_CODES: readonly TrustProblemCode[] = [
  'expired',
  'not-yet-valid',
  'untrusted-root',
  'bad-signature',
  'not-ca',
  'path-length',
  'bad-key-usage',
  'bad-eku',
  'email-mismatch',
  'name-constraints',
  'policy',
  'revoked',
  'revocation-unknown',
  'weak-algorithm',
  'unsupported-algorithm',
  'unknown-critical-extension',
  'anchor-not-trusted-for-purpose',
  'key-identifier-mismatch',
  'bad-key-identifier',
  'bad-basic-constraints',
  'empty-subject',
  'bad-serial-number',
  'bad-crl',
  'limit-exceeded',
];

/** Which certificate a problem is about. */
export interface ProblemCertificate {
  /** Position in `path`: 0 is the end-entity, the last one is the trust anchor. */
  index: number;
  subject: string;
  serialNumber: string;
}

export interface TrustProblem {
  code: TrustProblemCode;
  /** The certificate concerned; absent for problems of the path as a whole. */
  certificate?: ProblemCertificate;
  message: string;
  /** Machine-readable facts: on `limit-exceeded`, the bound crossed and its value (`{ limit, value }`). */
  details?: { limit: string; value: number };
}

/** One certificate of the chosen path. */
export interface PathElement {
  subject: string;
  issuer: string;
  serialNumber: string;
  /** SHA-256 of the DER, lowercase hex. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** True for the trust anchor (last element). */
  anchor: boolean;
  certificate: Certificate;
}

/** A CRL that established a certificate's status. */
export interface RevocationCrlSource {
  /** From the trust list, from the caller (`crls`), or downloaded from a distribution point. */
  origin: 'trust-list' | 'supplied' | 'fetched';
  /** The distribution point URL of a downloaded CRL. */
  url?: string;
  /** Taken from the revocation cache rather than downloaded during this validation. */
  cached?: boolean;
  issuer: string;
  thisUpdate: Date;
  nextUpdate?: Date;
}

/** How the revocation status of one certificate of the path was established. */
export interface CertificateRevocation {
  /** Position in `path` (0 is the end-entity); the trust anchor has none. */
  index: number;
  subject: string;
  serialNumber: string;
  status: 'good' | 'revoked' | 'unknown';
  /** What answered: CRLs, an OCSP responder, the caller's `revocationChecker`, or nothing (`unknown`). */
  source: 'crl' | 'ocsp' | 'checker' | 'none';
  /** The CRLs behind a `crl` answer. */
  crls?: RevocationCrlSource[];
  /** The OCSP answer behind an `ocsp` answer. */
  ocsp?: OcspUse;
  /** Online sources that gave no answer, with the error code of each (`fetch-timeout`, `ocsp-stale`...). */
  attempts?: OnlineAttempt[];
  /** CRLReason code of a revoked certificate. */
  reason?: number;
  revocationDate?: Date;
  /** In words: why the status is what it is. */
  message: string;
}

export interface ValidationReport {
  valid: boolean;
  /** End-entity first, trust anchor last. When no anchor was reached: the longest partial chain found. */
  path: PathElement[];
  /** Why the certificate is not valid; empty when `valid`. */
  problems: TrustProblem[];
  /** Non-fatal findings (e.g. revocation status unknown with `revocation: 'prefer'`). */
  warnings: TrustProblem[];
  /** The validation time used. */
  at: Date;
  /**
   * RFC 5280 user-constrained-policy-set of the chosen path: `['2.5.29.32.0']`
   * means any policy; `[]` means no policy (valid only without explicit-policy).
   */
  policies: string[];
  /** How many candidate paths were examined. */
  pathsTried: number;
  /**
   * For each certificate of the path but the anchor: its revocation status and how it was established. Empty
   * when revocation is `off` or was not reached (the path already had problems).
   */
  revocation: CertificateRevocation[];
}

/** Builds a problem for certificate `index` of `path`. */
export function problemFor(
  code: TrustProblemCode,
  path: readonly Certificate[],
  index: number,
  message: string,
  details?: TrustProblem['details'],
): TrustProblem {
  const cert = path[index];
  const problem: TrustProblem = cert
    ? { code, certificate: { index, subject: cert.subject.text, serialNumber: cert.serialHex }, message }
    : { code, message };
  if (details) problem.details = details;
  return problem;
}

/**
 * The report as plain JSON data: no decoded certificate objects, dates as
 * ISO strings. What `smimekit validate --json` prints.
 */
export function validationReportToJson(report: ValidationReport): Record<string, unknown> {
  return {
    valid: report.valid,
    at: report.at.toISOString(),
    path: report.path.map((p) => ({
      subject: p.subject,
      issuer: p.issuer,
      serialNumber: p.serialNumber,
      fingerprintSha256: p.fingerprint,
      notBefore: p.notBefore.toISOString(),
      notAfter: p.notAfter.toISOString(),
      anchor: p.anchor,
    })),
    problems: report.problems,
    warnings: report.warnings,
    policies: report.policies,
    pathsTried: report.pathsTried,
    revocation: report.revocation.map(revocationToJson),
  };
}

function revocationToJson(r: CertificateRevocation): Record<string, unknown> {
  const iso = (d: Date | undefined) => d?.toISOString();
  return {
    ...r,
    ...(r.revocationDate ? { revocationDate: iso(r.revocationDate) } : {}),
    ...(r.crls
      ? { crls: r.crls.map((c) => ({ ...c, thisUpdate: iso(c.thisUpdate), nextUpdate: iso(c.nextUpdate) })) }
      : {}),
    ...(r.ocsp
      ? {
          ocsp: {
            ...r.ocsp,
            producedAt: iso(r.ocsp.producedAt),
            thisUpdate: iso(r.ocsp.thisUpdate),
            nextUpdate: iso(r.ocsp.nextUpdate),
          },
        }
      : {}),
  };
}
