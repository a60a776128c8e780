/**
 * Issue #14 defect 7 (and the key-identifier item of defect 5): the RFC 5280 profile rules that
 * `openssl verify -x509_strict` enforces, one class at a time, on certificates made with the OpenSSL CLI.
 * Each case states the code smimekit reports by default, what `strictness: 'strict' | 'lenient'` changes, and
 * that OpenSSL (with -x509_strict, or -crl_check for the CRL cases) rejects the same files too.
 * The decisions and their evidence are in docs/trust.md, "Strictness decisions".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TrustList, validateCertificate, validationReportToJson } from '../../src/index.js';
import type { ValidationOptions } from '../../src/trust/options.js';
import type { ValidationReport } from '../../src/trust/report.js';
import { ArgumentError } from '../../src/errors.js';
import { cli, errorCode } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { CA_EXT, EE_EXT, OpensslPki, derArg, tlv, type OsslCert } from './helpers/openssl-pki.js';

let pki: OpensslPki;
let root: OsslCert;
let inter: OsslCert;

interface Run {
  anchors?: readonly OsslCert[];
  pool?: readonly OsslCert[];
  strictness?: ValidationOptions['strictness'];
  extra?: Partial<ValidationOptions>;
}

function validate(leaf: OsslCert, run: Run = {}): Promise<ValidationReport> {
  return validateCertificate(leaf.der, {
    trust: TrustList.fromCertificates((run.anchors ?? [root]).map((c) => c.der)),
    intermediates: (run.pool ?? [inter]).map((c) => c.der),
    purpose: 'any',
    revocation: 'off',
    ...(run.strictness ? { strictness: run.strictness } : {}),
    ...run.extra,
  });
}

/** `code@index` of every problem and every warning. */
function summary(r: ValidationReport): { problems: string[]; warnings: string[] } {
  const list = (l: ValidationReport['problems']) =>
    [...new Set(l.map((p) => `${p.code}@${p.certificate?.index}`))].sort();
  return { problems: list(r.problems), warnings: list(r.warnings) };
}

/** Default: `problems`; lenient: those become warnings (unless `always`); strict: same problems. */
async function expectProfileProblem(leaf: OsslCert, expected: string[], run: Run = {}, always = false) {
  const byDefault = summary(await validate(leaf, run));
  expect(byDefault.problems).toEqual(expected);
  expect(summary(await validate(leaf, { ...run, strictness: 'strict' })).problems).toEqual(expected);
  const lenient = summary(await validate(leaf, { ...run, strictness: 'lenient' }));
  if (always) expect(lenient.problems).toEqual(expected);
  else {
    expect(lenient.problems).toEqual([]);
    expect(lenient.warnings).toEqual(expect.arrayContaining(expected));
  }
}

/** Default and lenient: valid with these warnings; strict: they are the problems. */
async function expectAdvisory(leaf: OsslCert, expected: string[], run: Run = {}) {
  const byDefault = await validate(leaf, run);
  expect(summary(byDefault)).toEqual({ problems: [], warnings: expected });
  expect(byDefault.valid).toBe(true);
  expect(summary(await validate(leaf, { ...run, strictness: 'lenient' }))).toEqual({
    problems: [],
    warnings: expected,
  });
  const strict = await validate(leaf, { ...run, strictness: 'strict' });
  expect(summary(strict)).toEqual({ problems: expected, warnings: [] });
}

function expectOpensslStrictRejects(leaf: OsslCert, trusted: readonly OsslCert[] = [root], pool = [inter]) {
  const r = pki.verify(leaf, trusted, { untrusted: pool, strict: true });
  expect(r.ok, r.output).toBe(false);
  return r.output;
}

const RAW_KEY_ID = Array.from({ length: 20 }, (_, i) => 0xa0 + i);
/** AuthorityKeyIdentifier with keyIdentifier only. */
const akiKeyId = (id: readonly number[]) => derArg(tlv(0x30, tlv(0x80, id)));
const hex = (id: readonly number[]) => id.map((b) => b.toString(16).padStart(2, '0')).join(':');

beforeAll(() => {
  pki = new OpensslPki(tempDir('smimekit-strict-'));
  root = pki.root('root', { subject: '/O=smimekit strict/CN=Root', ext: CA_EXT });
  inter = pki.issue('inter', root, { subject: '/O=smimekit strict/CN=Intermediate', ext: CA_EXT });
});

describe('the control chain', () => {
  it('root -> intermediate -> leaf is valid in every mode, without warnings, and OpenSSL -x509_strict agrees', async () => {
    const leaf = pki.issue('good', inter, { subject: '/CN=Good', ext: EE_EXT });
    for (const strictness of ['default', 'strict', 'lenient'] as const)
      expect(summary(await validate(leaf, { strictness }))).toEqual({ problems: [], warnings: [] });
    const r = pki.verify(leaf, [root], { untrusted: [inter], strict: true });
    expect(r.ok, r.output).toBe(true);
  });

  it('refuses an unknown strictness', async () => {
    const leaf = pki.issue('good2', inter, { subject: '/CN=Good2', ext: EE_EXT });
    await expect(validate(leaf, { strictness: 'pedantic' as never })).rejects.toThrow(ArgumentError);
  });
});

describe('key identifiers', () => {
  it('a critical authorityKeyIdentifier: bad-key-identifier', async () => {
    const leaf = pki.issue('aki-critical', inter, {
      subject: '/CN=AKI critical',
      ext: [...EE_EXT.slice(0, 3), 'authorityKeyIdentifier=critical,keyid'],
    });
    await expectProfileProblem(leaf, ['bad-key-identifier@0']);
    // OpenSSL 3.0 has no handler for a critical AKI at all.
    expect(expectOpensslStrictRejects(leaf)).toMatch(/unhandled critical extension/i);
  });

  it('a critical subjectKeyIdentifier (on the trust anchor): bad-key-identifier', async () => {
    const anchor = pki.root('ski-critical-root', {
      subject: '/CN=SKI critical root',
      ext: [...CA_EXT.slice(0, 2), 'subjectKeyIdentifier=critical,hash'],
    });
    const leaf = pki.issue('ski-critical', anchor, { subject: '/CN=SKI critical leaf', ext: EE_EXT });
    await expectProfileProblem(leaf, ['bad-key-identifier@1'], { anchors: [anchor], pool: [] });
    expect(expectOpensslStrictRejects(leaf, [anchor], [])).toMatch(/unhandled critical extension/i);
  });

  it('no authorityKeyIdentifier on a certificate that is not self-issued: a warning by default', async () => {
    const leaf = pki.issue('no-aki', inter, {
      subject: '/CN=No AKI',
      ext: [...EE_EXT.slice(0, 3), 'authorityKeyIdentifier=none'],
    });
    await expectAdvisory(leaf, ['bad-key-identifier@0']);
    expect(expectOpensslStrictRejects(leaf)).toMatch(/Missing Authority Key Identifier/i);
  });

  it('no subjectKeyIdentifier on a CA certificate: a warning by default', async () => {
    const noSki = pki.issue('no-ski-ca', root, {
      subject: '/CN=No SKI CA',
      ext: [...CA_EXT.slice(0, 2), 'subjectKeyIdentifier=none', 'authorityKeyIdentifier=keyid'],
    });
    const leaf = pki.issue('no-ski-leaf', noSki, {
      subject: '/CN=Under a CA without SKI',
      ext: [...EE_EXT.slice(0, 3), 'authorityKeyIdentifier=issuer:always'],
    });
    // The leaf's AKI can only name the issuer by name and serial: no keyIdentifier either.
    await expectAdvisory(leaf, ['bad-key-identifier@0', 'bad-key-identifier@1'], { pool: [noSki] });
    expect(expectOpensslStrictRejects(leaf, [root], [noSki])).toMatch(/Missing Subject Key Identifier/i);
  });

  it("defect 5: an authorityKeyIdentifier that names another key than the issuer's: key-identifier-mismatch", async () => {
    const leaf = pki.issue('aki-mismatch', inter, {
      subject: '/CN=AKI mismatch',
      ext: [...EE_EXT.slice(0, 3), `2.5.29.35=${akiKeyId(RAW_KEY_ID)}`],
    });
    await expectProfileProblem(leaf, ['key-identifier-mismatch@0'], {}, true);
    // OpenSSL does not accept that issuer even without -x509_strict.
    const r = pki.verify(leaf, [root], { untrusted: [inter] });
    expect(r.ok, r.output).toBe(false);
    expectOpensslStrictRejects(leaf);
  });

  it('path building prefers the issuer certificate whose SKI matches, and a path through the other one fails with its own code', async () => {
    // Two certificates for the same CA name and key, with different subject key identifiers.
    const matching = pki.issue('same-key-a', root, { subject: '/O=smimekit strict/CN=Same Key CA', ext: CA_EXT });
    const other = pki.issue('same-key-b', root, {
      subject: '/O=smimekit strict/CN=Same Key CA',
      keyFile: matching.keyFile,
      ext: [...CA_EXT.slice(0, 2), `subjectKeyIdentifier=${hex(RAW_KEY_ID)}`, 'authorityKeyIdentifier=keyid'],
    });
    const leaf = pki.issue('same-key-leaf', matching, { subject: '/CN=Same key leaf', ext: EE_EXT });
    const both = await validate(leaf, { pool: [other, matching] });
    expect(summary(both)).toEqual({ problems: [], warnings: [] });
    expect(both.path[1]!.fingerprint).toBe((await validate(matching, { pool: [] })).path[0]!.fingerprint);
    expect(summary(await validate(leaf, { pool: [other] })).problems).toEqual(['key-identifier-mismatch@0']);
    expect(pki.verify(leaf, [root], { untrusted: [other] }).ok).toBe(false);
  });

  it('a self-issued trust anchor whose authorityKeyIdentifier disagrees with its own SKI: key-identifier-mismatch', async () => {
    const anchor = pki.root('anchor-aki-ski', {
      subject: '/CN=Anchor AKI differs from SKI',
      ext: [...CA_EXT.slice(0, 3), `2.5.29.35=${akiKeyId(RAW_KEY_ID)}`],
    });
    const leaf = pki.issue('anchor-aki-ski-leaf', anchor, { subject: '/CN=Leaf', ext: EE_EXT });
    await expectProfileProblem(leaf, ['key-identifier-mismatch@1'], { anchors: [anchor], pool: [] }, true);
    expectOpensslStrictRejects(leaf, [anchor], []);
  });

  it('a trust anchor whose authorityCertIssuer/authorityCertSerialNumber name another certificate: key-identifier-mismatch', async () => {
    const cnMyCn = tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, [0x55, 0x04, 0x03]), tlv(0x0c, [0x6d, 0x79, 0x43, 0x4e]))));
    const aki = tlv(0x30, tlv(0x80, RAW_KEY_ID), tlv(0xa1, tlv(0xa4, cnMyCn)), tlv(0x82, [0x04, 0xd2]));
    const anchor = pki.root('anchor-aki-issuer', {
      subject: '/CN=Anchor AKI names myCN 1234',
      serial: 7,
      ext: [...CA_EXT.slice(0, 2), `subjectKeyIdentifier=${hex(RAW_KEY_ID)}`, `2.5.29.35=${derArg(aki)}`],
    });
    const leaf = pki.issue('anchor-aki-issuer-leaf', anchor, { subject: '/CN=Leaf', ext: EE_EXT });
    await expectProfileProblem(leaf, ['key-identifier-mismatch@1'], { anchors: [anchor], pool: [] }, true);
    expectOpensslStrictRejects(leaf, [anchor], []);
  });

  it('a trust anchor whose authorityCertIssuer and serial name itself is valid (32 real roots in the Windows store do this)', async () => {
    const anchor = pki.root('anchor-aki-self', {
      subject: '/CN=Anchor AKI names itself',
      ext: [...CA_EXT.slice(0, 3), 'authorityKeyIdentifier=keyid:always,issuer:always'],
    });
    const leaf = pki.issue('anchor-aki-self-leaf', anchor, { subject: '/CN=Leaf', ext: EE_EXT });
    expect(summary(await validate(leaf, { anchors: [anchor], pool: [], strictness: 'strict' }))).toEqual({
      problems: [],
      warnings: [],
    });
    expect(pki.verify(leaf, [anchor], { strict: true }).ok).toBe(true);
  });
});

describe('basic constraints', () => {
  it('a version 3 trust anchor without basicConstraints that issued a certificate: not-ca', async () => {
    const anchor = pki.root('anchor-no-bc', {
      subject: '/CN=Anchor without basicConstraints',
      ext: ['keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'],
    });
    const leaf = pki.issue('anchor-no-bc-leaf', anchor, { subject: '/CN=Leaf', ext: EE_EXT });
    await expectProfileProblem(leaf, ['not-ca@1'], { anchors: [anchor], pool: [] });
    expectOpensslStrictRejects(leaf, [anchor], []);
  });

  it('a version 1 trust anchor: accepted with a warning (real S/MIME roots are version 1), not-ca when strict', async () => {
    const anchor = pki.root('anchor-v1', { subject: '/CN=Version 1 anchor', serial: 11 });
    const leaf = pki.issue('anchor-v1-leaf', anchor, {
      subject: '/CN=Leaf',
      ext: [...EE_EXT.slice(0, 3), 'authorityKeyIdentifier=issuer:always'],
    });
    await expectAdvisory(leaf, ['bad-key-identifier@0', 'not-ca@1'], { anchors: [anchor], pool: [] });
    expectOpensslStrictRejects(leaf, [anchor], []);
  });

  it('a trust anchor with non-critical basicConstraints: a warning by default (real roots do this)', async () => {
    const anchor = pki.root('anchor-bc-noncrit', {
      subject: '/CN=Anchor BC not critical',
      ext: ['basicConstraints=CA:TRUE', ...CA_EXT.slice(1)],
    });
    const leaf = pki.issue('anchor-bc-noncrit-leaf', anchor, { subject: '/CN=Leaf', ext: EE_EXT });
    await expectAdvisory(leaf, ['bad-basic-constraints@1'], { anchors: [anchor], pool: [] });
    expect(expectOpensslStrictRejects(leaf, [anchor], [])).toMatch(/Basic Constraints of CA cert not marked critical/i);
  });

  it('an intermediate with non-critical basicConstraints: a warning by default (PKITS 4.6.4 is valid)', async () => {
    const ca = pki.issue('inter-bc-noncrit', root, {
      subject: '/CN=Intermediate BC not critical',
      ext: ['basicConstraints=CA:TRUE', ...CA_EXT.slice(1)],
    });
    const leaf = pki.issue('inter-bc-noncrit-leaf', ca, { subject: '/CN=Leaf', ext: EE_EXT });
    await expectAdvisory(leaf, ['bad-basic-constraints@1'], { pool: [ca] });
    expectOpensslStrictRejects(leaf, [root], [ca]);
  });

  it('smimekit validate --strictness: default warns (exit 0), strict fails (exit 1), a bad value is a usage error', async () => {
    const ca = pki.issue('cli-bc-noncrit', root, {
      subject: '/CN=CLI intermediate BC not critical',
      ext: ['basicConstraints=CA:TRUE', ...CA_EXT.slice(1)],
    });
    const leaf = pki.issue('cli-bc-noncrit-leaf', ca, { subject: '/CN=Leaf', ext: EE_EXT });
    const file = (c: OsslCert) => `${pki.dir}/${c.certFile}`;
    const base = ['validate', '--trust', file(root), '--untrusted', file(ca), '--cert', file(leaf)];
    const run = async (...extra: string[]) => cli([...base, '--purpose', 'any', ...extra]);
    const plain = await run();
    expect(plain.code, plain.stderr).toBe(0);
    expect((await run('--strictness', 'lenient')).code).toBe(0);
    const strict = await run('--strictness', 'strict');
    expect([strict.code, errorCode(strict)]).toEqual([1, 'bad-basic-constraints']);
    const bad = await run('--strictness', 'paranoid');
    expect([bad.code, errorCode(bad)]).toEqual([2, 'usage']);
  });

  it('an end-entity certificate asserting keyCertSign: bad-key-usage', async () => {
    const leaf = pki.issue('ee-keycertsign', inter, {
      subject: '/CN=EE with keyCertSign',
      ext: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyCertSign', ...EE_EXT.slice(2)],
    });
    await expectProfileProblem(leaf, ['bad-key-usage@0']);
    expect(expectOpensslStrictRejects(leaf)).toMatch(/keyCertSign/i);
  });

  it('a CA certificate with an empty subject: empty-subject', async () => {
    const ca = pki.issue('ca-empty-subject', root, { subject: '/', ext: CA_EXT });
    const leaf = pki.issue('ca-empty-subject-leaf', ca, { subject: '/CN=Leaf', ext: EE_EXT });
    await expectProfileProblem(leaf, ['empty-subject@1'], { pool: [ca] });
    expectOpensslStrictRejects(leaf, [root], [ca]);
  });
});

describe('names and encoding', () => {
  it('an empty subject whose subjectAltName is not critical: empty-subject (a critical one is valid)', async () => {
    const leaf = pki.issue('empty-subject-san', inter, {
      subject: '/',
      ext: [...EE_EXT, 'subjectAltName=email:nobody@example.com'],
    });
    await expectProfileProblem(leaf, ['empty-subject@0']);
    expect(expectOpensslStrictRejects(leaf)).toMatch(/subjectAltName.*not.*critical|Subject empty/i);
    const ok = pki.issue('empty-subject-critical-san', inter, {
      subject: '/',
      ext: [...EE_EXT, 'subjectAltName=critical,email:nobody@example.com'],
    });
    expect(summary(await validate(ok, { strictness: 'strict' }))).toEqual({ problems: [], warnings: [] });
    expect(pki.verify(ok, [root], { untrusted: [inter], strict: true }).ok).toBe(true);
  });

  it('a negative serial number: bad-serial-number', async () => {
    const leaf = pki.issue('negative-serial', inter, { subject: '/CN=Negative serial', ext: EE_EXT, serial: -42 });
    await expectProfileProblem(leaf, ['bad-serial-number@0']);
    // OpenSSL 3.0 -x509_strict does not check the sign of serial numbers (Go's crypto/x509 refuses them).
    expect(pki.verify(leaf, [root], { untrusted: [inter], strict: true }).ok).toBe(true);
  });

  it('a critical authorityInfoAccess, well-formed or not: unknown-critical-extension', async () => {
    const wellFormed = pki.issue('aia-critical', inter, {
      subject: '/CN=Critical AIA',
      ext: [...EE_EXT, 'authorityInfoAccess=critical,caIssuers;URI:http://ca.example/ca.crt'],
    });
    const garbage = pki.issue('aia-critical-garbage', inter, {
      subject: '/CN=Critical unparseable AIA',
      ext: [...EE_EXT, '1.3.6.1.5.5.7.1.1=critical,DER:05:00'],
    });
    for (const leaf of [wellFormed, garbage]) {
      await expectProfileProblem(leaf, ['unknown-critical-extension@0'], {}, true);
      const r = await validate(leaf);
      expect(r.problems[0]!.message).toMatch(/authorityInfoAccess is critical/);
      // OpenSSL has no handler for a critical AIA either, -x509_strict or not.
      expect(pki.verify(leaf, [root], { untrusted: [inter] }).ok).toBe(false);
    }
  });

  it('explicit EC curve parameters instead of a named curve: unsupported-algorithm', async () => {
    const leaf = pki.issue('explicit-ec', inter, { subject: '/CN=Explicit curve', ext: EE_EXT, key: 'explicit' });
    await expectProfileProblem(leaf, ['unsupported-algorithm@0'], {}, true);
    expect(expectOpensslStrictRejects(leaf)).toMatch(/explicit/i);
    const anchor = pki.root('explicit-ec-root', { subject: '/CN=Explicit curve root', ext: CA_EXT, key: 'explicit' });
    const under = pki.issue('explicit-ec-root-leaf', anchor, { subject: '/CN=Leaf', ext: EE_EXT });
    await expectProfileProblem(under, ['unsupported-algorithm@1'], { anchors: [anchor], pool: [] }, true);
    expectOpensslStrictRejects(under, [anchor], []);
  });
});

describe('CRLs', () => {
  let crlRoot: OsslCert;
  let leaf: OsslCert;
  beforeAll(() => {
    crlRoot = pki.root('crl-root', { subject: '/CN=CRL root', ext: CA_EXT });
    leaf = pki.issue('crl-leaf', crlRoot, { subject: '/CN=CRL leaf', ext: EE_EXT });
  });
  const withCrl = (anchor: OsslCert, cert: OsslCert, crl: Uint8Array, revocation: 'prefer' | 'require' | 'off') =>
    validate(cert, { anchors: [anchor], pool: [], extra: { crls: [crl], revocation } });

  it('the control: an empty CRL with a non-critical cRLNumber makes the status known', async () => {
    const crl = pki.crl('good', crlRoot, ['2.5.29.20=DER:02:01:01']);
    expect(summary(await withCrl(crlRoot, leaf, crl.der, 'require'))).toEqual({ problems: [], warnings: [] });
    expect(pki.verify(leaf, [crlRoot], { crls: [crl.file], strict: true }).ok).toBe(true);
  });

  it('a critical cRLNumber: the CRL is invalid, bad-crl even with revocation "prefer"', async () => {
    const crl = pki.crl('critical-number', crlRoot, ['2.5.29.20=critical,DER:02:01:05']);
    for (const mode of ['prefer', 'require'] as const) {
      const r = await withCrl(crlRoot, leaf, crl.der, mode);
      expect(summary(r).problems).toEqual(['bad-crl@0']);
      expect(r.problems[0]!.message).toMatch(/cRLNumber is critical/);
    }
    expect((await withCrl(crlRoot, leaf, crl.der, 'off')).valid).toBe(true);
    const r = pki.verify(leaf, [crlRoot], { crls: [crl.file] });
    expect(r.ok, r.output).toBe(false);
    expect(r.output).toMatch(/unhandled critical CRL extension/i);
  });

  it('a CRL whose issuer lacks cRLSign: bad-crl even with revocation "prefer"', async () => {
    const noCrlSign = pki.root('no-crlsign-root', {
      subject: '/CN=Root without cRLSign',
      ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign', 'subjectKeyIdentifier=hash'],
    });
    const cert = pki.issue('no-crlsign-leaf', noCrlSign, { subject: '/CN=Leaf', ext: EE_EXT });
    const crl = pki.crl('no-crlsign', noCrlSign, ['2.5.29.20=DER:02:01:01']);
    for (const mode of ['prefer', 'require'] as const) {
      const r = await withCrl(noCrlSign, cert, crl.der, mode);
      expect(summary(r).problems).toEqual(['bad-crl@0']);
      expect(r.problems[0]!.message).toMatch(/no cRLSign/);
    }
    // Without a CRL, the status is just unknown (a warning with "prefer").
    const none = await validate(cert, { anchors: [noCrlSign], pool: [], extra: { revocation: 'prefer' } });
    expect(summary(none)).toEqual({ problems: [], warnings: ['revocation-unknown@0'] });
    const r = pki.verify(cert, [noCrlSign], { crls: [crl.file] });
    expect(r.ok, r.output).toBe(false);
    expect(r.output).toMatch(/CRL signing/i);
  });
});

describe('work: name constraints', () => {
  let constrained: OsslCert;
  let crowded: OsslCert;
  beforeAll(() => {
    const excluded = Array.from({ length: 600 }, (_, i) => `excluded;DNS.${i}=blocked${i}.example.net`);
    constrained = pki.issue('nc-many', root, {
      subject: '/O=smimekit strict/CN=Many constraints',
      ext: [...CA_EXT, 'nameConstraints=critical,@nc'],
      sections: `[nc]\n${excluded.join('\n')}`,
    });
    const names = Array.from({ length: 500 }, (_, i) => `DNS.${i}=host${i}.example.com`);
    crowded = pki.issue('nc-many-leaf', constrained, {
      subject: '/CN=Many names',
      ext: [...EE_EXT, 'subjectAltName=@alt'],
      sections: `[alt]\n${names.join('\n')}`,
    });
  });

  it('names x constraints past maxNameConstraintChecks: limit-exceeded with its detail, quickly', async () => {
    const t0 = performance.now();
    const r = await validate(crowded, { pool: [constrained], strictness: 'lenient' });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(summary(r).problems).toEqual(['limit-exceeded@0']);
    // 501 names (the subject and 500 dNSNames) x 600 subtrees = 300 600 comparisons > 250 000.
    expect(r.problems[0]!.details).toEqual({ limit: 'maxNameConstraintChecks', value: 250_000 });
    expect(r.problems[0]!.message).toMatch(/300600/);
    expect(validationReportToJson(r).problems).toEqual([expect.objectContaining({ details: r.problems[0]!.details })]);
  });

  it('a higher limit lets the same check run to the end (the names are allowed)', async () => {
    const r = await validate(crowded, { pool: [constrained], extra: { limits: { maxNameConstraintChecks: 400_000 } } });
    expect(summary(r)).toEqual({ problems: [], warnings: [] });
  });

  it('a lower limit stops an ordinary constrained path', async () => {
    const r = await validate(crowded, { pool: [constrained], extra: { limits: { maxNameConstraintChecks: 1000 } } });
    expect(r.problems.map((p) => [p.code, p.details])).toEqual([
      ['limit-exceeded', { limit: 'maxNameConstraintChecks', value: 1000 }],
    ]);
  });
});
