/**
 * One generated chain per problem code: each broken case must fail with
 * exactly its code, and the unbroken variants must validate.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { TrustList, validateCertificate, type ValidationOptions, type ValidationReport } from '../../src/index.js';
import { EKU, NOW, issue, makeCrl, serialOf, x509, type Issued } from './helpers/pki.js';

const KU = x509.KeyUsageFlags;
const SIGN_ENC = KU.digitalSignature | KU.nonRepudiation | KU.keyEncipherment;

function codes(r: ValidationReport): string[] {
  return [...new Set(r.problems.map((p) => p.code))].sort();
}

/** Minimal DER writer for hand-made extension values. */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  const len = body.length < 128 ? [body.length] : [0x81, body.length];
  return new Uint8Array([tag, ...len, ...body]);
}
const ia5 = (tag: number, s: string) => tlv(tag, new TextEncoder().encode(s));

let root: Issued;
let inter: Issued;
let leaf: Issued;

beforeAll(async () => {
  root = await issue({ name: 'O=smimekit,CN=Test Root', ca: true });
  inter = await issue({ name: 'O=smimekit,CN=Test Intermediate', issuer: root, keySlot: 1, ca: true });
  leaf = await issue({
    name: 'O=smimekit,CN=Alice',
    issuer: inter,
    keySlot: 2,
    keyUsage: SIGN_ENC,
    eku: [EKU.emailProtection],
    emails: ['alice@Example.COM'],
  });
});

function run(
  cert: Issued,
  extra: Partial<ValidationOptions> = {},
  chain: Issued[] = [inter],
): Promise<ValidationReport> {
  return validateCertificate(cert.der, {
    trust: TrustList.fromCertificates([root.der]),
    intermediates: chain.map((c) => c.der),
    at: NOW,
    ...extra,
  });
}

describe('valid chains', () => {
  it('RSA root -> intermediate -> leaf, for signing with the right address', async () => {
    const r = await run(leaf, { purpose: 'sign', email: 'alice@example.com' });
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.path.map((p) => p.subject)).toEqual([
      'CN=Alice,O=smimekit',
      'CN=Test Intermediate,O=smimekit',
      'CN=Test Root,O=smimekit',
    ]);
    expect(r.path[2]!.anchor).toBe(true);
    expect(r.policies).toEqual([]); // no certificatePolicies anywhere: valid, but no policy
  });

  it('is valid for encryption (RSA keyEncipherment)', async () => {
    expect((await run(leaf, { purpose: 'encrypt', email: 'alice@example.com' })).valid).toBe(true);
  });

  for (const kind of ['p256', 'p384', 'ed25519', 'rsa-pss'] as const) {
    it(`${kind} CA and leaf`, async () => {
      const caRoot = await issue({ name: `CN=${kind} Root`, key: kind, ca: true });
      const ca = await issue({ name: `CN=${kind} CA`, key: kind, keySlot: 1, issuer: caRoot, ca: true });
      const ee = await issue({
        name: `CN=${kind} user`,
        key: kind,
        keySlot: 2,
        issuer: ca,
        keyUsage: KU.digitalSignature,
        emails: ['u@example.org'],
      });
      const r = await validateCertificate(ee.der, {
        trust: TrustList.fromCertificates([caRoot.der]),
        intermediates: [ca.der],
        at: NOW,
        email: 'u@example.org',
      });
      expect(r.problems).toEqual([]);
      expect(r.path).toHaveLength(3);
    });
  }

  it('an intermediate in the trust list is an anchor by itself', async () => {
    const r = await validateCertificate(leaf.der, { trust: TrustList.fromCertificates([inter.der]), at: NOW });
    expect(r.valid).toBe(true);
    expect(r.path).toHaveLength(2);
  });

  it('a certificate that is itself in the trust list is valid on its own', async () => {
    const r = await validateCertificate(leaf.der, { trust: TrustList.fromCertificates([leaf.der]), at: NOW });
    expect(r.valid).toBe(true);
    expect(r.path).toHaveLength(1);
  });
});

describe('one code per broken case', () => {
  it('expired', async () => {
    const r = await run(leaf, { at: new Date(NOW.getTime() + 400 * 86_400_000) });
    expect(codes(r)).toEqual(['expired']);
    expect(r.problems.map((p) => p.certificate?.index).sort()).toEqual([0, 1, 2]);
  });

  it('not-yet-valid', async () => {
    const ee = await issue({
      name: 'CN=Future',
      issuer: inter,
      keySlot: 3,
      notBefore: new Date(NOW.getTime() + 86_400_000),
    });
    const r = await run(ee);
    expect(codes(r)).toEqual(['not-yet-valid']);
    expect(r.problems[0]!.certificate).toMatchObject({ index: 0, subject: 'CN=Future' });
  });

  it('untrusted-root', async () => {
    const r = await validateCertificate(leaf.der, {
      trust: TrustList.fromCertificates([]),
      intermediates: [inter.der],
      at: NOW,
    });
    expect(codes(r)).toEqual(['untrusted-root']);
    expect(r.path.map((p) => p.subject)).toEqual(['CN=Alice,O=smimekit', 'CN=Test Intermediate,O=smimekit']);
  });

  it('untrusted-root: a different root with the same name does not help', async () => {
    const fake = await issue({ name: 'O=smimekit,CN=Test Root', keySlot: 9, ca: true });
    const r = await validateCertificate(leaf.der, {
      trust: TrustList.fromCertificates([fake.der]),
      intermediates: [inter.der],
      at: NOW,
    });
    expect(r.valid).toBe(false);
    expect(codes(r)).toEqual(['untrusted-root']);
    expect(r.problems[0]!.message).toMatch(/different key/);
  });

  it('bad-signature', async () => {
    const other = await issue({ name: 'CN=Other', keySlot: 5, ca: true });
    const ee = await issue({ name: 'CN=Forged', issuer: inter, keySlot: 3, signWith: other.keys });
    expect(codes(await run(ee))).toEqual(['bad-signature']);
  });

  it('not-ca', async () => {
    const notCa = await issue({ name: 'CN=Not a CA', issuer: root, keySlot: 4, ca: null, keyUsage: KU.keyCertSign });
    const ee = await issue({ name: 'CN=Below not-a-CA', issuer: notCa, keySlot: 3 });
    const r = await run(ee, {}, [notCa]);
    expect(codes(r)).toEqual(['not-ca']);
    expect(r.problems[0]!.certificate?.index).toBe(1);
  });

  it('path-length', async () => {
    const ca0 = await issue({ name: 'CN=CA pathlen 0', issuer: root, keySlot: 4, ca: { pathLength: 0 } });
    const sub = await issue({ name: 'CN=Sub CA', issuer: ca0, keySlot: 5, ca: true });
    const ee = await issue({ name: 'CN=Deep', issuer: sub, keySlot: 3 });
    expect(codes(await run(ee, {}, [ca0, sub]))).toEqual(['path-length']);
  });

  it('bad-key-usage on a CA without keyCertSign', async () => {
    const ca = await issue({ name: 'CN=CRL only CA', issuer: root, keySlot: 4, ca: true, keyUsage: KU.cRLSign });
    const ee = await issue({ name: 'CN=Below', issuer: ca, keySlot: 3 });
    expect(codes(await run(ee, {}, [ca]))).toEqual(['bad-key-usage']);
  });

  it('bad-key-usage for signing with an encryption-only key', async () => {
    const ee = await issue({ name: 'CN=Enc only', issuer: inter, keySlot: 3, keyUsage: KU.keyEncipherment });
    expect(codes(await run(ee, { purpose: 'sign' }))).toEqual(['bad-key-usage']);
    expect((await run(ee, { purpose: 'encrypt' })).valid).toBe(true);
  });

  it('bad-key-usage for encrypting to a signing-only key; purpose any ignores it', async () => {
    const ee = await issue({ name: 'CN=Sign only', issuer: inter, keySlot: 3, keyUsage: KU.digitalSignature });
    expect(codes(await run(ee, { purpose: 'encrypt' }))).toEqual(['bad-key-usage']);
    expect((await run(ee, { purpose: 'any' })).valid).toBe(true);
  });

  it('bad-eku', async () => {
    const ee = await issue({ name: 'CN=TLS only', issuer: inter, keySlot: 3, eku: [EKU.serverAuth] });
    expect(codes(await run(ee))).toEqual(['bad-eku']);
    const anyEku = await issue({ name: 'CN=Any EKU', issuer: inter, keySlot: 3, eku: [EKU.any] });
    expect((await run(anyEku)).valid).toBe(true);
    expect(codes(await run(anyEku, { eku: { acceptAnyExtendedKeyUsage: false } }))).toEqual(['bad-eku']);
    const noEku = await issue({ name: 'CN=No EKU', issuer: inter, keySlot: 3 });
    expect((await run(noEku)).valid).toBe(true);
    expect(codes(await run(noEku, { eku: { requireExtension: true } }))).toEqual(['bad-eku']);
  });

  it('bad-eku on an intermediate restricted to other purposes (EKU nesting)', async () => {
    const tlsCa = await issue({ name: 'CN=TLS CA', issuer: root, keySlot: 4, ca: true, eku: [EKU.serverAuth] });
    const ee = await issue({ name: 'CN=Under TLS CA', issuer: tlsCa, keySlot: 3, eku: [EKU.emailProtection] });
    const r = await run(ee, {}, [tlsCa]);
    expect(codes(r)).toEqual(['bad-eku']);
    expect(r.problems[0]!.certificate?.index).toBe(1);
    expect((await run(ee, { purpose: 'any' }, [tlsCa])).valid).toBe(true);
    const mailCa = await issue({
      name: 'CN=Mail CA',
      issuer: root,
      keySlot: 4,
      ca: true,
      eku: [EKU.emailProtection, EKU.serverAuth],
    });
    const ok = await issue({ name: 'CN=Under mail CA', issuer: mailCa, keySlot: 3 });
    expect((await run(ok, {}, [mailCa])).valid).toBe(true);
  });

  it('email-mismatch (domain is case-insensitive, local part exact)', async () => {
    expect((await run(leaf, { email: 'alice@EXAMPLE.com' })).valid).toBe(true);
    expect(codes(await run(leaf, { email: 'Alice@example.com' }))).toEqual(['email-mismatch']);
    expect(codes(await run(leaf, { email: 'bob@example.com' }))).toEqual(['email-mismatch']);
  });

  it('email from the subject emailAddress attribute counts', async () => {
    const ee = await issue({ name: 'CN=Old style,E=old@example.net', issuer: inter, keySlot: 3 });
    expect((await run(ee, { email: 'old@example.net' })).valid).toBe(true);
  });

  it('name-constraints (rfc822Name)', async () => {
    // NameConstraints { permittedSubtrees [0] { GeneralSubtree { rfc822Name ".example.com" } } }
    const nc = tlv(0x30, tlv(0xa0, tlv(0x30, ia5(0x81, 'example.com'))));
    const ca = await issue({
      name: 'CN=Constrained CA',
      issuer: root,
      keySlot: 4,
      ca: true,
      extensions: [new x509.Extension('2.5.29.30', true, nc)],
    });
    const ok = await issue({ name: 'CN=In', issuer: ca, keySlot: 3, emails: ['a@example.com'] });
    const bad = await issue({ name: 'CN=Out', issuer: ca, keySlot: 3, emails: ['a@evil.example'] });
    const badDn = await issue({ name: 'CN=Out by DN,E=x@evil.example', issuer: ca, keySlot: 3 });
    expect((await run(ok, {}, [ca])).valid).toBe(true);
    expect(codes(await run(bad, {}, [ca]))).toEqual(['name-constraints']);
    expect(codes(await run(badDn, {}, [ca]))).toEqual(['name-constraints']);
  });

  it('policy', async () => {
    const r = await run(leaf, { requireExplicitPolicy: true });
    expect(codes(r)).toEqual(['policy']);
    const pol = new x509.CertificatePolicyExtension(['1.2.3.4.5'], false);
    const ca = await issue({ name: 'CN=Policy CA', issuer: root, keySlot: 4, ca: true, extensions: [pol] });
    const ee = await issue({ name: 'CN=Policy EE', issuer: ca, keySlot: 3, extensions: [pol] });
    const good = await run(ee, { requireExplicitPolicy: true, initialPolicies: ['1.2.3.4.5'] }, [ca]);
    expect(good.valid).toBe(true);
    expect(good.policies).toEqual(['1.2.3.4.5']);
    expect(codes(await run(ee, { requireExplicitPolicy: true, initialPolicies: ['1.2.3.4.6'] }, [ca]))).toEqual([
      'policy',
    ]);
  });

  it('revoked', async () => {
    const crl = await makeCrl(inter, { revoked: [{ serial: serialOf(leaf) }] });
    const r = await run(leaf, { crls: [crl] });
    expect(codes(r)).toEqual(['revoked']);
    expect(r.problems[0]!.message).toMatch(/keyCompromise/);
    expect((await run(leaf, { crls: [crl], revocation: 'off' })).valid).toBe(true);
  });

  it('revocation-unknown: a problem with require, a warning with prefer', async () => {
    const required = await run(leaf, { revocation: 'require' });
    expect(codes(required)).toEqual(['revocation-unknown']);
    const preferred = await run(leaf, { revocation: 'prefer' });
    expect(preferred.valid).toBe(true);
    expect(preferred.warnings.map((w) => w.code)).toEqual(['revocation-unknown', 'revocation-unknown']);
    const rootCrl = await makeCrl(root);
    const interCrl = await makeCrl(inter);
    expect((await run(leaf, { revocation: 'require', crls: [rootCrl, interCrl] })).valid).toBe(true);
    const forged = await makeCrl(inter, { signWith: root.keys });
    expect(codes(await run(leaf, { revocation: 'require', crls: [rootCrl, forged] }))).toEqual(['revocation-unknown']);
    const stale = await makeCrl(inter, {
      thisUpdate: new Date(NOW.getTime() - 30 * 86_400_000),
      nextUpdate: new Date(NOW.getTime() - 86_400_000),
    });
    expect(codes(await run(leaf, { revocation: 'require', crls: [rootCrl, stale] }))).toEqual(['revocation-unknown']);
  });

  it('a RevocationChecker answers what CRLs cannot', async () => {
    const seen: string[] = [];
    const checker = {
      async check(cert: { subject: { text: string } }) {
        seen.push(cert.subject.text);
        return cert.subject.text.startsWith('CN=Alice')
          ? { status: 'revoked' as const, reason: 1 }
          : { status: 'good' as const };
      },
    };
    const r = await run(leaf, { revocation: 'require', revocationChecker: checker });
    expect(codes(r)).toEqual(['revoked']);
    expect(seen).toContain('CN=Alice,O=smimekit');
  });

  it('weak-algorithm: SHA-1 signature, 1024-bit RSA; allowWeak accepts both', async () => {
    const sha1Ca = await issue({ name: 'CN=SHA1 CA', issuer: root, key: 'rsa-sha1', ca: true });
    const sha1 = await issue({ name: 'CN=SHA1 leaf', issuer: sha1Ca, keySlot: 3 });
    const r = await run(sha1, {}, [sha1Ca]);
    expect(codes(r)).toEqual(['weak-algorithm']);
    expect(r.problems[0]!.message).toMatch(/sha1WithRSAEncryption/);
    expect((await run(sha1, { allowWeak: true }, [sha1Ca])).valid).toBe(true);
    const short = await issue({ name: 'CN=Short key', issuer: inter, key: 'rsa1024' });
    expect(codes(await run(short))).toEqual(['weak-algorithm']);
    expect(codes(await run(short, { purpose: 'any' }))).toEqual(['weak-algorithm']);
    expect((await run(short, { allowWeak: true })).valid).toBe(true);
  });

  it('unknown-critical-extension', async () => {
    const ee = await issue({
      name: 'CN=Odd',
      issuer: inter,
      keySlot: 3,
      extensions: [new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([5, 0]))],
    });
    expect(codes(await run(ee))).toEqual(['unknown-critical-extension']);
    const nonCritical = await issue({
      name: 'CN=Odd ok',
      issuer: inter,
      keySlot: 3,
      extensions: [new x509.Extension('1.3.6.1.4.1.99999.1', false, new Uint8Array([5, 0]))],
    });
    expect((await run(nonCritical)).valid).toBe(true);
  });

  it('anchor-not-trusted-for-purpose (trust-list EKU restriction), fine for purpose any', async () => {
    const trust = new TrustList();
    trust.add(root.der, { allowedPurposes: [EKU.serverAuth] });
    const opts = { trust, intermediates: [inter.der], at: NOW };
    const r = await validateCertificate(leaf.der, opts);
    expect(codes(r)).toEqual(['anchor-not-trusted-for-purpose']);
    expect(r.problems[0]!.certificate?.index).toBe(2);
    expect((await validateCertificate(leaf.der, { ...opts, purpose: 'any' })).valid).toBe(true);
    const email = new TrustList();
    email.add(root.der, { allowedPurposes: [EKU.serverAuth, EKU.emailProtection] });
    expect((await validateCertificate(leaf.der, { ...opts, trust: email })).valid).toBe(true);
  });

  it('anchor disallowed-EKU and not-before distrust (SST properties 122, 126, 127)', async () => {
    const opts = { intermediates: [inter.der], at: NOW };
    const disallowed = new TrustList();
    disallowed.add(root.der, { disallowedPurposes: [EKU.emailProtection] });
    expect(codes(await validateCertificate(leaf.der, { ...opts, trust: disallowed }))).toEqual([
      'anchor-not-trusted-for-purpose',
    ]);
    const issuedAfter = new Date(leaf.cert.notBefore.getTime() - 1000);
    const forEmail = new TrustList();
    forEmail.add(root.der, { notBeforeDistrust: { date: issuedAfter, purposes: [EKU.emailProtection] } });
    expect(codes(await validateCertificate(leaf.der, { ...opts, trust: forEmail }))).toEqual([
      'anchor-not-trusted-for-purpose',
    ]);
    expect((await validateCertificate(leaf.der, { ...opts, trust: forEmail, purpose: 'any' })).valid).toBe(true);
    const forTls = new TrustList();
    forTls.add(root.der, { notBeforeDistrust: { date: issuedAfter, purposes: [EKU.serverAuth] } });
    expect((await validateCertificate(leaf.der, { ...opts, trust: forTls })).valid).toBe(true);
    const forAll = new TrustList();
    forAll.add(root.der, { notBeforeDistrust: { date: issuedAfter } });
    expect(codes(await validateCertificate(leaf.der, { ...opts, trust: forAll, purpose: 'any' }))).toEqual([
      'untrusted-root',
    ]);
    const earlier = new TrustList();
    earlier.add(root.der, { notBeforeDistrust: { date: new Date(leaf.cert.notBefore.getTime() + 1000) } });
    expect((await validateCertificate(leaf.der, { ...opts, trust: earlier })).valid).toBe(true);
  });

  it('untrusted-root after the anchor disallowed-after date', async () => {
    const trust = new TrustList();
    trust.add(root.der, { disallowedAfter: new Date(NOW.getTime() - 86_400_000) });
    const r = await validateCertificate(leaf.der, { trust, intermediates: [inter.der], at: NOW });
    expect(codes(r)).toEqual(['untrusted-root']);
    const before = await validateCertificate(leaf.der, {
      trust,
      intermediates: [inter.der],
      at: new Date(NOW.getTime() - 2 * 86_400_000),
    });
    expect(before.valid).toBe(true);
  });
});

describe('inputs', () => {
  it('garbage certificate bytes throw a FormatError', async () => {
    await expect(validateCertificate(new Uint8Array([1, 2, 3]), { trust: new TrustList() })).rejects.toBeInstanceOf(
      FormatError,
    );
    await expect(
      validateCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), { trust: new TrustList() }),
    ).rejects.toMatchObject({
      code: 'malformed-certificate',
    });
  });

  it('garbage intermediates and CRLs are skipped', async () => {
    const r = await run(leaf, {
      intermediates: [new Uint8Array([0x30, 0]), inter.der],
      crls: [new Uint8Array([9, 9])],
    });
    expect(r.valid).toBe(true);
  });

  it('bad options throw ArgumentError', async () => {
    await expect(
      validateCertificate(leaf.der, { trust: new TrustList(), purpose: 'x' as never }),
    ).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(validateCertificate(leaf.der, {} as never)).rejects.toMatchObject({ code: 'bad-argument' });
  });

  it('fetchers supply missing intermediates', async () => {
    const fetcher = { fetchIssuers: async () => [inter.der] };
    const r = await validateCertificate(leaf.der, {
      trust: TrustList.fromCertificates([root.der]),
      at: NOW,
      fetchers: [fetcher],
    });
    expect(r.valid).toBe(true);
    const failing = { fetchIssuers: async (): Promise<Uint8Array[]> => Promise.reject(new Error('offline')) };
    const r2 = await validateCertificate(leaf.der, {
      trust: TrustList.fromCertificates([root.der]),
      at: NOW,
      fetchers: [failing],
    });
    expect(codes(r2)).toEqual(['untrusted-root']);
  });
});
