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
