/**
 * The project's OpenSSL-generated chains (vectors/chains/manifest.json): every
 * case validates, or fails with exactly its expected code. Anchor EKU cases
 * go through a real SST (created and re-read) so the SST property path is
 * exercised end to end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSst } from '../../src/sst/create.js';
import { serializeSst } from '../../src/sst/serialize.js';
import { TrustList, validateCertificate, type RevocationMode, type TrustPurpose } from '../../src/index.js';
import { projectVectorPath } from '../helpers/vectors.js';

interface ChainCase {
  name: string;
  ee: string;
  intermediates: string[];
  crls: string[];
  purpose: TrustPurpose;
  email?: string;
  revocation: RevocationMode;
  allowWeak: boolean;
  anchorEku?: string[];
  policy?: {
    initialPolicySet: string[];
    requireExplicitPolicy: boolean;
    inhibitPolicyMapping: boolean;
    inhibitAnyPolicy: boolean;
  };
  expected: string;
  description: string;
}
interface Manifest {
  validationTime: string;
  anchors: string[];
  cases: ChainCase[];
}

const manifestPath = projectVectorPath('chains', 'manifest.json');
const present = existsSync(manifestPath);

(present ? describe : describe.skip)('vectors/chains manifest', () => {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const file = (name: string) => new Uint8Array(readFileSync(projectVectorPath('chains', name)));
  const at = new Date(manifest.validationTime);

  it('has a broken case for every required code', () => {
    const expected = new Set(manifest.cases.map((c) => c.expected));
    for (const code of [
      'expired',
      'not-yet-valid',
      'untrusted-root',
      'bad-signature',
      'not-ca',
      'path-length',
      'bad-key-usage',
      'bad-eku',
      'email-mismatch',
      'name-constraints',
      'policy',
      'revoked',
      'revocation-unknown',
      'weak-algorithm',
      'unknown-critical-extension',
      'anchor-not-trusted-for-purpose',
    ]) {
      expect(expected, code).toContain(code);
    }
  });

  for (const c of manifest.cases) {
    it(`${c.name}: ${c.expected} (${c.description})`, async () => {
      const anchors = manifest.anchors.map(file);
      const trust = c.anchorEku
        ? TrustList.fromBytes(
            serializeSst(createSst(anchors.map((certificate) => ({ certificate, enhancedKeyUsage: c.anchorEku! })))),
          )
        : TrustList.fromBytes(...anchors);
      const report = await validateCertificate(file(c.ee), {
        trust,
        intermediates: c.intermediates.map(file),
        crls: c.crls.map(file),
        at,
        purpose: c.purpose,
        revocation: c.revocation,
        allowWeak: c.allowWeak,
        ...(c.email !== undefined ? { email: c.email } : {}),
        ...(c.policy
          ? {
              initialPolicies: c.policy.initialPolicySet,
              requireExplicitPolicy: c.policy.requireExplicitPolicy,
              inhibitPolicyMapping: c.policy.inhibitPolicyMapping,
              inhibitAnyPolicy: c.policy.inhibitAnyPolicy,
            }
          : {}),
      });
      const codes = [...new Set(report.problems.map((p) => p.code))];
      if (c.expected === 'valid') {
        expect(report.problems).toEqual([]);
        expect(report.valid).toBe(true);
      } else {
        expect(codes, report.problems.map((p) => p.message).join('; ')).toEqual([c.expected]);
        expect(report.valid).toBe(false);
      }
    });
  }
});
