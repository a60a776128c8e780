export * from './types.js';
export { parseSst, isSst, DEFAULT_SST_LIMITS } from './parse.js';
export { serializeSst } from './serialize.js';
export { createSst, type SstCertificateInput, type CreateSstOptions } from './create.js';
export {
  loadCertificates,
  extractPkcs7,
  type CertificateSource,
  type LoadedCertificates,
  type TrustMaterialFormat,
} from './load.js';
export {
  decodeSstProperty,
  getSstProperty,
  sstFriendlyName,
  sstEnhancedKeyUsage,
  sstDisallowedAfter,
  sstPropertyName,
  encodeUtf16String,
  decodeUtf16String,
  encodeOidList,
  decodeOidList,
  encodeFiletime,
  decodeFiletime,
  type DecodedSstProperty,
  type DecodedSstValue,
} from './properties.js';
export { describeSstEntry, checkSstEntries, type SstEntryDescription, type SstEntryProblem } from './describe.js';
