import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md5, portableDigests, sha1, sha256 } from '../../src/util/hash.js';
import { toHex } from '../../src/util/bytes.js';

const node = (alg: string, d: Uint8Array) => createHash(alg).update(d).digest('hex');

describe('synchronous hashes agree with node:crypto', () => {
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000])('length %i', (n) => {
    const d = new Uint8Array(randomBytes(n));
    expect(toHex(md5(d))).toBe(node('md5', d));
    expect(toHex(sha1(d))).toBe(node('sha1', d));
    expect(toHex(sha256(d))).toBe(node('sha256', d));
  });
  it('random inputs and unaligned views', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (d, skip) => {
        const view = d.subarray(Math.min(skip, d.length));
        expect(toHex(sha1(view))).toBe(node('sha1', view));
        expect(toHex(md5(view))).toBe(node('md5', view));
        expect(toHex(sha256(view))).toBe(node('sha256', view));
      }),
      { numRuns: 200 },
    );
  });
  it('the JavaScript digests (browsers, short inputs) agree too, on both sides of the native threshold', () => {
    for (const n of [0, 64, 255, 256, 257, 5000]) {
      const d = new Uint8Array(randomBytes(n));
      expect(toHex(portableDigests.sha1(d))).toBe(node('sha1', d));
      expect(toHex(portableDigests.sha256(d))).toBe(node('sha256', d));
    }
  });
  it('returns plain Uint8Arrays (results compare like the portable ones)', () => {
    const d = new Uint8Array(1000);
    expect(sha256(d).constructor).toBe(Uint8Array);
    expect(sha1(d)).toEqual(portableDigests.sha1(d));
  });
});
