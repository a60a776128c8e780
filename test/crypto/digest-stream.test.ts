/**
 * Incremental digests: `copy()` forks a digest that then runs on its own, on Node's hashes and on @noble/hashes
 * alike (the streamed verifier forks the canonical digest of a binary signed part at its first bare LF).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamDigest, type StreamDigestName } from '../../src/crypto/digest-stream.js';
import { setPortableOnly } from '../../src/crypto/native.js';

const NODE: Record<StreamDigestName, string> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};
const reference = (name: StreamDigestName, ...parts: Uint8Array[]) => {
  const h = createHash(NODE[name]);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

afterEach(() => setPortableOnly(false));

describe('createStreamDigest().copy()', () => {
  for (const backend of ['node', 'noble'] as const) {
    it(`${backend}: a copy and its original go on independently from the bytes both have seen`, () => {
      setPortableOnly(backend === 'noble');
      fc.assert(
        fc.property(
          fc.constantFrom<StreamDigestName>('SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'),
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }),
          (name, common, a, b) => {
            const original = createStreamDigest(name);
            original.update(common);
            const copy = original.copy();
            original.update(a);
            copy.update(b);
            expect(original.digest()).toEqual(reference(name, common, a));
            expect(copy.digest()).toEqual(reference(name, common, b));
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
