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
  buildUserSmimeCertificate,
  buildOutlookSecuritySettings,
  OUTLOOK_SETTING,
  MS_ENCRYPTION_KEY_PREFERENCE,
  type UserSmimeCertificate,
  type OutlookSecuritySettings,
  type OutlookSecuritySettingsInit,
  type UserSmimeCertificateVerification,
  type VerifyUserSmimeCertificateOptions,
  type UserSmimeIdentity,
  type BuildUserSmimeCertificateOptions,
} from './user-smime-certificate.js';
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
  formatLdifEntry,
  formatLdifModify,
  userSmimeCertificateLdif,
  ldifText,
  ldifBytes,
  DEFAULT_LDIF_LIMITS,
  type LdifValue,
  type LdifChangeType,
  type LdifModification,
  type LdifRecord,
  type LdifOptions,
  type LdifFormatOptions,
  type LdifAttributes,
  type LdifEntryFormatOptions,
  type LdifChange,
  type CertificateLdifOptions,
} from './ldif.js';
