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
} from './trust/report.js';
export { emailsMatch } from './trust/smime-rules.js';
export type {
  ValidationOptions,
  TrustPurpose,
  RevocationMode,
  RevocationStatus,
  RevocationChecker,
  CertificateFetcher,
  PathBuildingLimits,
} from './trust/options.js';
