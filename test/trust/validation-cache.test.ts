/**
 * Valid results of validateCertificate are reused per trust list (src/trust/validation-cache.ts) only while nothing
 * they depend on changes: the same inputs and options, a validation time between the dates the result depends on,
 * and no new anchor or CRL in the trust list.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrustList, validateCertificate, type ValidationOptions } from '../../src/index.js';
import type { RevocationChecker } from '../../src/trust.js';
import { projectVectorPath } from '../helpers/vectors.js';

const read = (name: string) => readFileSync(projectVectorPath('chains', name));
const at = new Date('2026-06-01T00:00:00Z');

function setup() {
  const trust = TrustList.fromBytes(read('root.pem'));
  const ee = read('bad-revoked.pem');
  const options: ValidationOptions = {
    trust,
    intermediates: [read('intermediate.pem')],
    at,
    purpose: 'sign',
    email: 'revoked.user@example.test',
  };
  return { trust, ee, options };
}

/** Mean time of `n` calls, in ms. */
async function timed(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t) / n;
}

describe('the validation cache', () => {
  it('returns an equal report when warm, a copy the caller may change, much faster than cold', async () => {
    const { ee, options } = setup();
    const t0 = performance.now();
    const cold = await validateCertificate(ee, options);
    const coldMs = performance.now() - t0;
    expect(cold.valid).toBe(true); // no CRL given yet: revocation unknown is a warning with 'prefer'
    const warm = await validateCertificate(ee, options);
    expect(warm).toEqual(cold);
    expect(warm).not.toBe(cold);
    warm.path.pop();
    warm.warnings.length = 0;
    expect(await validateCertificate(ee, options)).toEqual(cold);
    const warmMs = await timed(50, () => validateCertificate(ee, options));
    expect(warmMs).toBeLessThan(Math.max(coldMs / 5, 0.5));
  });

  it('serves another time inside the window (with that time) and validates again outside it', async () => {
    const { ee, options } = setup();
    const first = await validateCertificate(ee, options);
    const later = new Date('2027-03-01T00:00:00Z');
    const inside = await validateCertificate(ee, { ...options, at: later });
    expect(inside).toEqual({ ...first, at: later });
    // After the end-entity's notAfter: the cached result does not apply.
    const outside = await validateCertificate(ee, { ...options, at: new Date('2099-01-01T00:00:00Z') });
    expect(outside.valid).toBe(false);
    expect(outside.problems.map((p) => p.code)).toContain('expired');
    // Before it: not yet valid.
    const before = await validateCertificate(ee, { ...options, at: new Date('2001-01-01T00:00:00Z') });
    expect(before.valid).toBe(false);
  });

  it('keys on the options that change the result', async () => {
    const { ee, options } = setup();
    expect((await validateCertificate(ee, options)).valid).toBe(true);
    const required = await validateCertificate(ee, { ...options, revocation: 'require' });
    expect(required.valid).toBe(false);
    const otherAddress = await validateCertificate(ee, { ...options, email: 'someone.else@example.test' });
    expect(otherAddress.valid).toBe(false);
    const noIntermediates = await validateCertificate(ee, { ...options, intermediates: [] });
    expect(noIntermediates.valid).toBe(false);
  });

  it('forgets every result when the trust list gains a CRL (here one that revokes the certificate)', async () => {
    const { trust, ee, options } = setup();
    expect((await validateCertificate(ee, options)).valid).toBe(true);
    expect((await validateCertificate(ee, options)).valid).toBe(true);
    trust.addBytes(read('intermediate.crl.pem'));
    const after = await validateCertificate(ee, options);
    expect(after.valid).toBe(false);
    expect(after.problems.map((p) => p.code)).toEqual(['revoked']);
  });

  it('does not cache a validation that asks a caller-supplied revocation checker', async () => {
    const { ee, options } = setup();
    let calls = 0;
    const revocationChecker: RevocationChecker = {
      check: async () => {
        calls++;
        return { status: 'good' };
      },
    };
    await validateCertificate(ee, { ...options, revocationChecker });
    const once = calls;
    expect(once).toBeGreaterThan(0);
    await validateCertificate(ee, { ...options, revocationChecker });
    expect(calls).toBe(2 * once);
  });
});
