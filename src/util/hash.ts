/**
 * Synchronous digests for thumbprints, SST properties, key identifiers and KDFs that must not await
 * WebCrypto. Audited implementations from @noble/hashes (bundled into dist so the build runs in a
 * browser without a bundler).
 */
export { sha256 } from '@noble/hashes/sha2.js';
export { md5, sha1 } from '@noble/hashes/legacy.js';
