/** Address books (browser-safe part; the LDAP directory is the Node-only `smimekit/ldap` entry). */
export type {
  CertificateDirectory,
  CertificateAttribute,
  CertificateValueFormat,
  CertificateCandidate,
  DirectoryEntry,
  GroupMember,
  LookupOptions,
  DirectorySourceResult,
  CandidateVerdict,
  RecipientCertificate,
} from './types.js';
export { normalizeAddress, sameAddress, parseProxyAddress, entryAddresses } from './address.js';
export { candidatesFromAttributes, type CertificateAttributeValues } from './candidates.js';
export {
  CompositeDirectory,
  DEFAULT_DIRECTORY_TIMEOUT_MS,
  type CompositeMember,
  type CompositeDirectoryOptions,
  type CompositeSearchResult,
} from './composite.js';
export {
  resolveCertificate,
  selectCertificate,
  missingReason,
  type CertificateFallback,
  type ValidationCache,
  type DirectoryInput,
  type SelectCertificateOptions,
  type ResolveCertificateOptions,
  type ResolvedCertificate,
} from './select.js';
export {
  parseUserSmimeCertificate,
  verifyUserSmimeCertificate,
  type UserSmimeCertificate,
  type UserSmimeCertificateVerification,
  type VerifyUserSmimeCertificateOptions,
} from './user-smime-certificate.js';
export { MS_ENCRYPTION_KEY_PREFERENCE } from './user-smime-signed-data.js';
export { OUTLOOK_SETTING, type OutlookSecuritySettings } from './outlook-security-settings.js';
export {
  buildUserSmimeCertificate,
  buildOutlookSecuritySettings,
  type OutlookSecuritySettingsInit,
  type UserSmimeIdentity,
  type BuildUserSmimeCertificateOptions,
} from './user-smime-certificate-build.js';
export {
  MemoryDirectory,
  type MemoryPerson,
  type MemoryGroup,
  type MemoryLoadFormat,
  type MemoryLoadOptions,
  type MemoryLoadSkip,
  type MemoryLoadSkipCode,
  type MemoryLoadResult,
  type MemberExpansion,
} from './memory.js';
export {
  parseLdif,
  ldifText,
  ldifBytes,
  DEFAULT_LDIF_LIMITS,
  type LdifValue,
  type LdifChangeType,
  type LdifModification,
  type LdifRecord,
  type LdifOptions,
} from './ldif.js';
export {
  formatLdifEntry,
  formatLdifModify,
  userSmimeCertificateLdif,
  type LdifFormatOptions,
  type LdifAttributes,
  type LdifEntryFormatOptions,
  type LdifChange,
  type CertificateLdifOptions,
} from './ldif-write.js';
