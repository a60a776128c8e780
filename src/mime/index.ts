export {
  parseMime,
  entityBytes,
  bodyBytes,
  decodedBody,
  header,
  walkEntities,
  type MimeEntity,
  type MimeParseOptions,
} from './entity.js';
export {
  parseHeaderBlock,
  getHeader,
  parseContentType,
  parseParameterized,
  decodeEncodedWords,
  parseAddresses,
  type MimeHeader,
  type ContentType,
} from './headers.js';
export {
  decodeTransferEncoding,
  decodeBase64Body,
  decodeQuotedPrintable,
  encodeBase64Body,
  encodeQuotedPrintable,
} from './transfer-encoding.js';
export {
  toCrlf,
  isSevenBitSafe,
  canonicalizeEntity,
  type CanonicalOptions,
  splitMessage,
  joinMessage,
  looksLikeMessage,
  formatHeaders,
  type SplitMessage,
} from './canonical.js';
export {
  hcpBaseline,
  hcpShy,
  hcpNoConfidentiality,
  headerConfidentialityPolicy,
  isStructuralField,
  isUserFacingField,
  USER_FACING_FIELDS,
  OBSCURED_SUBJECT,
  type HeaderConfidentialityPolicy,
  type HeaderConfidentialityPolicyName,
  type HeaderField,
} from './header-policy.js';
export {
  protectHeaders,
  protectedHeaderSection,
  outerHeaderMismatches,
  confidentialFields,
  payloadAsMessage,
  displayFields,
  HP_OUTER,
  type ProtectHeadersOptions,
  type ProtectedMessage,
  type ProtectedHeaderSection,
  type HeaderMismatch,
} from './header-protection.js';
export {
  addLegacyDisplay,
  removeLegacyDisplay,
  mainBodyParts,
  LEGACY_DISPLAY_PARAMETER,
  LEGACY_DISPLAY_CLASS,
} from './legacy-display.js';
