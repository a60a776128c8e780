/**
 * Synchronous digests for thumbprints, SST properties, key identifiers and KDFs that must not await
 * WebCrypto. Audited implementations from @noble/hashes (bundled into dist so the build runs in a
 * browser without a bundler); on Node (≥ 20.16) inputs past a few hundred bytes go to OpenSSL through
 * `process.getBuiltinModule`, with no import a browser bundler would follow. Loading a 400-certificate
 * trust list in a fresh process hashed every certificate in interpreted JavaScript: about 15 ms of its
 * cold start.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { md5, sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { nodeBuiltinModule } from './node-builtin.js';

export { md5 };

/** Below this many bytes the JavaScript digest costs no more than the call into OpenSSL. */
const NATIVE_MIN = 256;

type Digest = (data: Uint8Array) => Uint8Array;

interface NodeHashing {
  createHash(name: string): { update(data: Uint8Array): { digest(): Uint8Array } };
}

const nodeCrypto = nodeBuiltinModule('node:crypto') as Partial<NodeHashing> | undefined;
const node = typeof nodeCrypto?.createHash === 'function' ? (nodeCrypto as NodeHashing) : undefined;

function withNative(name: string, portable: Digest): Digest {
  if (!node) return portable;
  return (data) => {
    if (data.length < NATIVE_MIN) return portable(data);
    const d = node.createHash(name).update(data).digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  };
}

/** SHA-256 of `data`. */
export const sha256: Digest = withNative('sha256', nobleSha256);
/** SHA-1 of `data` (thumbprints and identifiers only, never signatures). */
export const sha1: Digest = withNative('sha1', nobleSha1);

/** @internal The JavaScript digests, for the differential test. */
export const portableDigests = { sha256: nobleSha256, sha1: nobleSha1 };
