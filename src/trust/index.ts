/** Trust layer: trust lists, path building, RFC 5280 / RFC 8550 validation with an explaining report. */
export { validateCertificate } from './validate.js';
export { TrustList, anchorOptionsFromSst, type TrustAnchor, type TrustAnchorOptions } from './trust-list.js';
export {
  parseCertificate,
  isSelfIssued,
  isCa,
  describeCertificate,
  KeyUsage,
  ANY_POLICY,
  EKU_EMAIL_PROTECTION,
  EKU_ANY,
  type Certificate,
  type Extension,
  type DistributionPoint,
  type PolicyInformation,
  type NameConstraints,
} from '../x509/index.js';
export { parseCrl, CrlReason, reasonName, type Crl, type CrlEntry, type IssuingDistributionPoint } from '../x509/index.js';
export { namesEqual, type DistinguishedName, type GeneralName } from '../x509/index.js';
export { certificateEmails, emailsMatch } from './smime-rules.js';
export {
  TRUST_PROBLEM_CODES,
  validationReportToJson,
  type TrustProblemCode,
  type TrustProblem,
  type ProblemCertificate,
  type PathElement,
  type ValidationReport,
} from './report.js';
export type {
  ValidationOptions,
  TrustPurpose,
  RevocationMode,
  RevocationStatus,
  RevocationChecker,
  CertificateFetcher,
  PathBuildingLimits,
} from './options.js';
