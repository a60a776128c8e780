/**
 * `smimekit/trust`: the trust layer on its own — trust lists, RFC 5280 path validation with the explaining report,
 * the S/MIME address rule, and the types of its options (revocation checkers, path-building limits).
 *
 * @module smimekit/trust
 */
export { TrustList, anchorOptionsFromSst, type TrustAnchor, type TrustAnchorOptions } from './trust/trust-list.js';
export { validateCertificate } from './trust/validate.js';
export {
  validationReportToJson,
  TRUST_PROBLEM_CODES,
  type ValidationReport,
  type TrustProblem,
  type TrustProblemCode,
  type ProblemCertificate,
  type PathElement,
  type CertificateRevocation,
  type RevocationCrlSource,
} from './trust/report.js';
export { MemoryRevocationCache, type MemoryRevocationCacheOptions } from './trust/online/cache.js';
export { caIssuersFetcher, downloadIssuers, type CaIssuersOptions } from './trust/online/ca-issuers.js';
export {
  download,
  type FetchFunction,
  type DownloadOptions,
  type DownloadRequest,
  type Downloaded,
} from './trust/online/http.js';
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

export { emailsMatch } from './trust/smime-rules.js';
export type {
  ValidationOptions,
  TrustPurpose,
  RevocationMode,
  RevocationOptions,
  RevocationSetting,
  RevocationCache,
  LdapCrlFetcher,
  RevocationStatus,
  RevocationChecker,
  CertificateFetcher,
  PathBuildingLimits,
} from './trust/options.js';
