/**
 * NIST PKITS as S/MIME: each of the suite's signed messages (../shared/vectors/pkits/smime) carries its signer's
 * path and CRLs inside the CMS SignedData. verifyMessage must verify the signature and reach PKITS's expected
 * path-validation result from what the message carries (plus PKITS's extra CRL-signing certificates), with CRL
 * checking required and each test's RFC 5280 policy inputs.
 */
import { afterAll, expect, it } from 'vitest';
import { TrustList, verifyMessage } from '../../src/index.js';
import { describeVectors, readShared, readSharedJson } from '../helpers/vectors.js';

interface Settings {
  initialPolicySet: string[];
  initialExplicitPolicy: boolean;
  initialPolicyMappingInhibit: boolean;
  initialAnyPolicyInhibit: boolean;
}
interface PkitsTest {
  id: string;
  section: string;
  name: string;
  smime: string;
  additionalCerts: string[];
  trustAnchor: string;
  expected: 'valid' | 'invalid';
  settings: Settings;
}

const tally = new Map<string, { pass: number; total: number }>();

describeVectors('NIST PKITS signed messages', () => {
  const suite = readSharedJson<{ validationTime: string; tests: PkitsTest[] }>('pkits', 'expected.json');
  const at = new Date(suite.validationTime);
  for (const test of suite.tests.filter((t) => t.smime)) {
    it(`${test.id} ${test.smime} -> ${test.expected}`, async () => {
      const report = await verifyMessage(readShared('pkits', 'smime', test.smime), {
        trust: TrustList.fromCertificates([readShared('pkits', 'certs', test.trustAnchor)]),
        at,
        certificates: test.additionalCerts.map((f) => readShared('pkits', 'certs', f)),
        useMessageCrls: true,
        revocation: 'require',
        // PKITS tests path validation: its end-entity certificates carry no e-mail address, and every message says
        // From: sender@testcertificates.gov. The sender check (sender-mismatch, issue #14) is not what it tests.
        allowSenderMismatch: true,
        allowWeak: test.id.startsWith('4.1.'),
        validation: {
          initialPolicies: test.settings.initialPolicySet,
          requireExplicitPolicy: test.settings.initialExplicitPolicy,
          inhibitPolicyMapping: test.settings.initialPolicyMappingInhibit,
          inhibitAnyPolicy: test.settings.initialAnyPolicyInhibit,
        },
      });
      const t = tally.get(test.section) ?? { pass: 0, total: 0 };
      t.total++;
      const signer = report.signers[0];
      const pass = signer?.signatureValid === true && report.ok === (test.expected === 'valid');
      if (pass) t.pass++;
      tally.set(test.section, t);
      const explain = [...report.problems, ...(signer?.chain?.problems ?? [])]
        .map((p) => `${p.code}: ${p.message}`)
        .join('\n');
      expect(signer?.signatureValid, explain).toBe(true);
      expect(report.ok, explain || 'no problems').toBe(test.expected === 'valid');
    });
  }

  afterAll(() => {
    const rows = [...tally.entries()].map(
      ([s, t]) => `${s.padEnd(50)} ${String(t.pass).padStart(3)} / ${String(t.total).padStart(3)}`,
    );
    const pass = [...tally.values()].reduce((n, t) => n + t.pass, 0);
    const total = [...tally.values()].reduce((n, t) => n + t.total, 0);
    console.log(
      `PKITS as S/MIME messages (verifyMessage):\n${rows.join('\n')}\n${'total'.padEnd(50)} ${String(pass).padStart(3)} / ${String(total).padStart(3)}`,
    );
  });
});
