/**
 * smimekit — S/MIME for TypeScript. Every public function is a named export
 * of this module; see docs/ for guides.
 */
export * from './errors.js';
export * from './sst/index.js';
export { setCryptoBackend, getCrypto } from './crypto/engine.js';
export { decodePem, encodePem, type PemBlock } from './util/pem.js';
export {
  parseCertificateInfo,
  parseCrlInfo,
  formatName,
  type CertificateInfo,
  type CrlInfo,
  type NameAttribute,
  type ExtensionInfo,
} from './util/x509-lite.js';
