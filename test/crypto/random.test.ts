/** `randomBytes` serves small requests from a batch: no byte may be handed out twice, whatever the request sizes. */
import { expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/engine.js';
import { toHex } from '../../src/util/bytes.js';

it('small and large requests are all different, of the asked length, and never overlap across batches', () => {
  const seen = new Set<string>();
  const sizes = [16, 32, 12, 64, 1, 65, 16, 4096, 33];
  for (let i = 0; i < 3000; i++) {
    const n = sizes[i % sizes.length]!;
    const r = randomBytes(n);
    expect(r.length).toBe(n);
    expect(r.constructor).toBe(Uint8Array);
    if (n >= 12) {
      const hex = toHex(r);
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
  }
  // An answer is the caller's own: changing it changes nothing handed out later.
  const a = randomBytes(32);
  a.fill(0);
  expect(toHex(randomBytes(32))).not.toBe('00'.repeat(32));
  expect(randomBytes(0).length).toBe(0);
});
