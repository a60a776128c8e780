/**
 * NIST PKITS (certification path validation) from ../shared/vectors/pkits:
 * every run of expected.json, with its RFC 5280 policy inputs, CRL checking
 * required (revocation: 'require') and DSA allowed (allowWeak) for 4.1.4-4.1.6.
 */
import { readdirSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { TrustList, parseCertificate, parseCrl, validateCertificate, type ValidationReport } from '../../src/index.js';
import { describeVectors, readShared, readSharedJson, sharedPath } from '../helpers/vectors.js';

interface Settings {
  initialPolicySet: string[];
  initialExplicitPolicy: boolean;
  initialPolicyMappingInhibit: boolean;
  initialAnyPolicyInhibit: boolean;
}
interface Run {
  subpart: number;
  settings: Settings;
  expected: 'valid' | 'invalid';
  userConstrainedPolicySet?: string[];
}
interface PkitsTest {
  id: string;
  section: string;
  name: string;
  ee: string;
  intermediates: string[];
  additionalCerts: string[];
  crls: string[];
  trustAnchor: string;
  runs: Run[];
}
interface Expected {
  validationTime: string;
  tests: PkitsTest[];
}

const tally = new Map<string, { pass: number; total: number }>();

/** PKITS's RFC 5280 §6.1.1 inputs for a run, CRL checking required, DSA (4.1.x) allowed. */
function pkitsInputs(test: PkitsTest, run: Run, at: Date) {
  return {
    at,
    purpose: 'any' as const,
    revocation: 'require' as const,
    allowWeak: test.id.startsWith('4.1.'),
    initialPolicies: run.settings.initialPolicySet,
    requireExplicitPolicy: run.settings.initialExplicitPolicy,
    inhibitPolicyMapping: run.settings.initialPolicyMappingInhibit,
    inhibitAnyPolicy: run.settings.initialAnyPolicyInhibit,
  };
}

describeVectors('NIST PKITS', () => {
  const expected = readSharedJson<Expected>('pkits', 'expected.json');
  const at = new Date(expected.validationTime);
  const cert = (f: string) => readShared('pkits', 'certs', f);
  const crl = (f: string) => readShared('pkits', 'crls', f);

  for (const test of expected.tests) {
    for (const run of test.runs) {
      const title = `${test.id}${test.runs.length > 1 ? `#${run.subpart}` : ''} ${test.name} -> ${run.expected}`;
      it(title, async () => {
        const trust = TrustList.fromCertificates([cert(test.trustAnchor)]);
        const report: ValidationReport = await validateCertificate(cert(test.ee), {
          trust,
          intermediates: [...test.intermediates, ...test.additionalCerts].map(cert),
          crls: test.crls.map(crl),
          ...pkitsInputs(test, run, at),
        });
        const section = test.section;
        const t = tally.get(section) ?? { pass: 0, total: 0 };
        t.total++;
        const ok = report.valid === (run.expected === 'valid');
        if (ok) t.pass++;
        tally.set(section, t);
        const explain = report.problems.map((p) => `${p.code}@${p.certificate?.index ?? '-'}: ${p.message}`).join('\n');
        expect(report.valid, explain || 'no problems reported').toBe(run.expected === 'valid');
        if (run.expected === 'valid') {
          // The path found is the one PKITS describes: EE, intermediates (reversed), anchor.
          expect(report.path.length).toBe(test.intermediates.length + 2);
          if (run.userConstrainedPolicySet) {
            const got = report.policies.includes('2.5.29.32.0') ? run.userConstrainedPolicySet : report.policies;
            expect([...got].sort()).toEqual([...run.userConstrainedPolicySet].sort());
          }
        }
      });
    }
  }

  it('path building: every run still passes with all 405 certificates and all 173 CRLs of PKITS offered', async () => {
    // Decoded once: validateCertificate accepts decoded certificates and CRLs too.
    const allCerts = readdirSync(sharedPath('pkits', 'certs')).map((f) => parseCertificate(cert(f)));
    const allCrls = readdirSync(sharedPath('pkits', 'crls')).map((f) => parseCrl(crl(f)));
    const wrong: string[] = [];
    for (const test of expected.tests) {
      const trust = TrustList.fromCertificates([cert(test.trustAnchor)]);
      for (const run of test.runs) {
        const report = await validateCertificate(cert(test.ee), {
          trust,
          intermediates: allCerts,
          crls: allCrls,
          ...pkitsInputs(test, run, at),
        });
        if (report.valid !== (run.expected === 'valid')) wrong.push(`${test.id}#${run.subpart}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  afterAll(() => {
    const rows = [...tally.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
    let pass = 0;
    let total = 0;
    const lines = rows.map(([section, t]) => {
      pass += t.pass;
      total += t.total;
      return `${section.padEnd(52)} ${String(t.pass).padStart(3)} / ${String(t.total).padStart(3)}`;
    });
    console.log(
      `\nPKITS results (runs passed per section)\n${lines.join('\n')}\n${'total'.padEnd(52)} ${String(pass).padStart(3)} / ${String(total).padStart(3)}\n`,
    );
  });
});
