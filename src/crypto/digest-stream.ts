/**
 * Incremental message digests for streamed content. WebCrypto can only digest a whole buffer, so content of any
 * size goes through Node's native hashes when the runtime has them (reached without a static `node:` import, so the
 * browser build stays clean) and through @noble/hashes elsewhere.
 */
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { AlgorithmError } from '../errors.js';
import { nativeCrypto } from './native.js';

/** Digests the streaming paths compute. */
export type StreamDigestName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** An incremental digest: `update` any number of times, then `digest` once. */
export interface StreamDigest {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
  /** An independent digest that has seen the same bytes so far (before `digest`). */
  copy(): StreamDigest;
}

const NOBLE = { 'SHA-1': sha1, 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;
const NODE_NAMES = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

/**
 * A new incremental digest.
 *
 * @throws AlgorithmError `unsupported-algorithm` for other names.
 */
export function createStreamDigest(name: StreamDigestName): StreamDigest {
  if (!Object.prototype.hasOwnProperty.call(NOBLE, name))
    throw new AlgorithmError('unsupported-algorithm', `digest ${String(name)} cannot be streamed`);
  const native = nativeCrypto();
  if (native) return nodeDigest(native.createHash(NODE_NAMES[name]));
  return nobleDigest(NOBLE[name].create());
}

/** Types only: nothing from `node:crypto` is imported at run time. */
type NodeHash = import('node:crypto').Hash;

function nodeDigest(hash: NodeHash): StreamDigest {
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => new Uint8Array(hash.digest()),
    copy: () => nodeDigest(hash.copy()),
  };
}

type NobleHash = ReturnType<(typeof NOBLE)[StreamDigestName]['create']>;

function nobleDigest(hash: NobleHash): StreamDigest {
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => hash.digest(),
    copy: () => nobleDigest(hash.clone() as NobleHash),
  };
}
