/**
 * Path building and validation on third-party material: RFC 4134 (DSA with
 * inherited parameters, CRLs), RFC 9216 (Ed25519, cross-signed CAs), Bouncy
 * Castle's certpath / validator / circular sets, and real SST trust lists.
 */
import { describe, expect, it } from 'vitest';
import { loadCertificates } from '../../src/sst/load.js';
import { parseSst } from '../../src/sst/parse.js';
import { sstDisallowedAfter, sstEnhancedKeyUsage } from '../../src/sst/properties.js';
import { TrustList, parseCertificate, validateCertificate, type ValidationReport } from '../../src/index.js';
import { fromBase64, latin1 } from '../../src/util/bytes.js';
import { readFileSync } from 'node:fs';
import { describeVectors, projectVectorPath, readShared } from '../helpers/vectors.js';

const codes = (r: ValidationReport) => [...new Set(r.problems.map((p) => p.code))].sort();
const NOW_2025 = new Date('2025-01-01T00:00:00Z');

/** Certificates carried in the first pkcs7-signature part of a message. */
function certsFromEml(bytes: Uint8Array): Uint8Array[] {
  const text = latin1(bytes);
  const at = text.search(/^Content-Type:\s*application\/(x-)?pkcs7-signature/im);
  const bodyStart = text.slice(at).search(/\r?\n\r?\n/) + at;
  const lines: string[] = [];
  for (const line of text.slice(bodyStart).split(/\r?\n/)) {
    if (line.startsWith('--')) break;
    lines.push(line.trim());
  }
  return loadCertificates(fromBase64(lines.join(''))).certificates;
}

describeVectors('RFC 4134 certificates', () => {
  const f = (n: string) => readShared('rfc4134', n);

  it('DSA with parameters inherited from CarlDSS (RFC 3279 §2.3.2) validates with allowWeak', async () => {
    const trust = TrustList.fromCertificates([f('CarlDSSSelf.cer')]);
    for (const ee of ['DianeDSSSignByCarlInherit.cer', 'AliceDSSSignByCarlNoInherit.cer']) {
      const r = await validateCertificate(f(ee), { trust, at: NOW_2025, allowWeak: true, purpose: 'any' });
      expect(r.problems, ee).toEqual([]);
      expect(r.path).toHaveLength(2);
    }
    const strict = await validateCertificate(f('DianeDSSSignByCarlInherit.cer'), {
      trust,
      at: NOW_2025,
      purpose: 'any',
    });
    expect(codes(strict)).toEqual(['weak-algorithm']);
  });

  it('a tampered DSA signature fails', async () => {
    const der = f('DianeDSSSignByCarlInherit.cer').slice();
    der[der.length - 5] = der[der.length - 5]! ^ 1;
    const r = await validateCertificate(der, {
      trust: TrustList.fromCertificates([f('CarlDSSSelf.cer')]),
      at: NOW_2025,
      allowWeak: true,
      purpose: 'any',
    });
    expect(codes(r)).toEqual(['bad-signature']);
  });

  it('CarlRSA CRLs: revoked for all, good with the empty CRL', async () => {
    const trust = TrustList.fromCertificates([f('CarlRSASelf.cer')]);
    const opts = { trust, at: NOW_2025, allowWeak: true, purpose: 'any' as const, revocation: 'require' as const };
    const revoked = await validateCertificate(f('AliceRSASignByCarl.cer'), {
      ...opts,
      crls: [f('CarlRSACRLForAll.crl')],
    });
    expect(codes(revoked)).toEqual(['revoked']);
    const good = await validateCertificate(f('AliceRSASignByCarl.cer'), { ...opts, crls: [f('CarlRSACRLEmpty.crl')] });
    expect(good.valid).toBe(true);
    // A DSA CRL cannot vouch for an RSA-issued certificate.
    const wrong = await validateCertificate(f('AliceRSASignByCarl.cer'), { ...opts, crls: [f('CarlDSSCRLEmpty.crl')] });
    expect(codes(wrong)).toEqual(['revocation-unknown']);
  });
});

describeVectors('RFC 9216 example PKI (Ed25519, X25519, cross-signed CAs)', () => {
  const pem = (n: string) => loadCertificates(readShared('rfc9216', n)).certificates;
  const rsaRoot = pem('Sample_LAMPS_RSA_Certification_Authority.selfsigned.pem');
  const edRoot = pem('Sample_LAMPS_Ed25519_Certification_Authority.selfsigned.pem');
  const rsaCross = pem('Sample_LAMPS_RSA_Certification_Authority.crosssigned.pem');
  const edCross = pem('Sample_LAMPS_Ed25519_Certification_Authority.crosssigned.pem');
  const pool = [...rsaCross, ...edCross];

  it('Dana (Ed25519) chains to the RSA root through the cross-certificate', async () => {
    const r = await validateCertificate(pem('dana@smime.example.sig.pem')[0]!, {
      trust: TrustList.fromCertificates(rsaRoot),
      intermediates: pool,
      at: NOW_2025,
      email: 'dana@smime.example',
    });
    expect(r.problems).toEqual([]);
    expect(r.path.map((p) => p.subject)).toHaveLength(3);
    expect(r.path[1]!.subject).toMatch(/Ed25519/);
    expect(r.path[2]!.subject).toMatch(/RSA/);
  });

  it('Bob (RSA) chains to the Ed25519 root through the other cross-certificate', async () => {
    const r = await validateCertificate(pem('bob@smime.example.sig.pem')[0]!, {
      trust: TrustList.fromCertificates(edRoot),
      intermediates: pool,
      at: NOW_2025,
    });
    expect(r.problems).toEqual([]);
    expect(r.path).toHaveLength(3);
  });

  it('with both roots trusted the direct path is taken', async () => {
    const r = await validateCertificate(pem('carlos@smime.example.sig.pem')[0]!, {
      trust: TrustList.fromCertificates([...rsaRoot, ...edRoot]),
      intermediates: pool,
      at: NOW_2025,
      email: 'carlos@smime.example',
    });
    expect(r.valid).toBe(true);
    expect(r.path).toHaveLength(2);
  });

  it('purpose rules: X25519 encryption cert encrypts but cannot sign, the signing cert cannot encrypt', async () => {
    const trust = TrustList.fromCertificates([...rsaRoot, ...edRoot]);
    const enc = pem('carlos@smime.example.enc.pem')[0]!;
    expect((await validateCertificate(enc, { trust, at: NOW_2025, purpose: 'encrypt' })).valid).toBe(true);
    expect(codes(await validateCertificate(enc, { trust, at: NOW_2025, purpose: 'sign' }))).toEqual(['bad-key-usage']);
    const aliceSig = pem('alice@smime.example.sig.pem')[0]!;
    expect(
      (await validateCertificate(aliceSig, { trust, at: NOW_2025, purpose: 'sign', email: 'alice@smime.example' }))
        .valid,
    ).toBe(true);
    expect(codes(await validateCertificate(aliceSig, { trust, at: NOW_2025, purpose: 'encrypt' }))).toEqual([
      'bad-key-usage',
    ]);
    expect(codes(await validateCertificate(aliceSig, { trust, at: NOW_2025, email: 'bob@smime.example' }))).toEqual([
      'email-mismatch',
    ]);
  });
});

describeVectors('Bouncy Castle path building sets', () => {
  const f = (n: string) => readShared('bouncycastle', 'bc-java-mail-smime', n);
  const one = (n: string) => loadCertificates(f(n)).certificates[0]!;
  const at = new Date('2020-01-01T00:00:00Z');

  it('certpath: two intermediates with the same name, the right one is chosen by key', async () => {
    const trust = TrustList.fromCertificates([one('certpath_root.crt')]);
    const intermediates = [one('certpath_inter2.crt'), one('certpath_inter1.crt')];
    for (const ee of ['certpath_end1.crt', 'certpath_end2.crt']) {
      const r = await validateCertificate(one(ee), { trust, intermediates, at, allowWeak: true, purpose: 'any' });
      expect(r.problems, ee).toEqual([]);
      expect(r.pathsTried).toBe(1); // the link whose signature verifies is tried first
    }
    const wrong = await validateCertificate(one('certpath_end1.crt'), {
      trust,
      intermediates: [one('certpath_inter2.crt')],
      at,
      allowWeak: true,
      purpose: 'any',
    });
    expect(codes(wrong)).toEqual(['bad-signature']);
  });

  it('circular.eml: a cycle of intermediates terminates without a path', async () => {
    const certs = certsFromEml(f('circular.eml'));
    expect(certs.length).toBe(5);
    const trust = TrustList.fromCertificates([one('validator.root.crt')]);
    for (const c of certs) {
      const started = Date.now();
      const r = await validateCertificate(c, {
        trust,
        intermediates: certs,
        at: new Date('2007-06-01T00:00:00Z'),
        allowWeak: true,
        purpose: 'any',
      });
      expect(r.valid).toBe(false);
      expect(codes(r)).toEqual(['untrusted-root']);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  const validator = async (name: string, unix: number, extra: Record<string, unknown> = {}) => {
    const certs = certsFromEml(f(name));
    const signer = certs.map((c) => parseCertificate(c)).find((c) => !c.basicConstraints?.ca)!;
    return validateCertificate(signer.der, {
      trust: TrustList.fromCertificates([one('validator.root.crt')]),
      intermediates: certs,
      at: new Date(unix * 1000),
      allowWeak: true,
      ...extra,
    });
  };

  it('validator.*: one outcome per message', async () => {
    expect((await validator('validator.validMail.eml', 1157362574)).problems).toEqual([]);
    expect(codes(await validator('validator.validMail.eml', 1157362574, { allowWeak: false }))).toEqual([
      'weak-algorithm',
    ]);
    expect(codes(await validator('validator.expired.eml', 1157101715))).toEqual(['expired']);
    expect(codes(await validator('validator.notYetValid.eml', 1156777441))).toEqual(['not-yet-valid']);
    expect(codes(await validator('validator.keyUsage.eml', 1156769558, { purpose: 'sign' }))).toEqual([
      'bad-key-usage',
    ]);
    expect((await validator('validator.keyUsage.eml', 1156769558, { purpose: 'any' })).valid).toBe(true);
    expect(codes(await validator('validator.extKeyUsage.eml', 1156777297))).toEqual(['bad-eku']);
    expect(codes(await validator('validator.noEmail.eml', 1156777376, { email: 'someone@example.com' }))).toEqual([
      'email-mismatch',
    ]);
    expect(codes(await validator('validator.shortKey.eml', 1156777526, { allowWeak: false }))).toEqual([
      'weak-algorithm',
    ]);
    expect((await validator('validator.longValidity.eml', 1157112083)).valid).toBe(true);
    expect((await validator('validator.revoked.eml', 1157107745)).valid).toBe(true);
    expect(codes(await validator('validator.revoked.eml', 1157107745, { crls: [f('validator.revoked.crl')] }))).toEqual(
      ['revoked'],
    );
  });

  it('validator.fakeRoot: same name, other key -> not trusted', async () => {
    const certs = certsFromEml(f('validator.validMail.eml'));
    const signer = certs.map((c) => parseCertificate(c)).find((c) => !c.basicConstraints?.ca)!;
    const r = await validateCertificate(signer.der, {
      trust: TrustList.fromCertificates([one('validator.fakeRoot.crt')]),
      intermediates: certs.filter((c) => !parseCertificate(c).basicConstraints?.ca),
      at: new Date(1157362574 * 1000),
      allowWeak: true,
    });
    expect(r.valid).toBe(false);
    // The signer's authority key identifier names another key than the fake root's: not issued by anything trusted.
    expect(codes(r)).toEqual(['untrusted-root']);
  });
});

describeVectors('SST trust lists', () => {
  const store = parseSst(readShared('sst', 'certutil-generateSSTFromWU-root.sst'));
  const trust = TrustList.fromSst(store);

  it('loads every certificate of the Windows Update root store with its properties', () => {
    expect(trust.size + trust.skipped.length).toBe(507);
    expect(trust.anchors.filter((a) => a.allowedPurposes).length).toBeGreaterThan(400);
    expect(trust.anchors.filter((a) => a.disallowedAfter).length).toBeGreaterThan(100);
  });

  it('a root trusted for secure e-mail is valid for S/MIME; one that is not is anchor-not-trusted-for-purpose', async () => {
    const at = new Date('2025-06-01T00:00:00Z');
    const current = store.certificates.filter((e) => {
      const c = parseCertificate(e.der);
      const after = sstDisallowedAfter(e);
      return c.notBefore < at && c.notAfter > at && (!after || after > at);
    });
    const email = current.find((e) => sstEnhancedKeyUsage(e)?.includes('1.3.6.1.5.5.7.3.4'))!;
    const noEmail = current.find((e) => {
      const eku = sstEnhancedKeyUsage(e);
      return eku !== undefined && !eku.includes('1.3.6.1.5.5.7.3.4');
    })!;
    const good = await validateCertificate(email.der, { trust, at });
    expect(good.problems).toEqual([]);
    const bad = await validateCertificate(noEmail.der, { trust, at });
    // (A root used as an end-entity may also fail the S/MIME key-usage rule.)
    expect(codes(bad)).toContain('anchor-not-trusted-for-purpose');
    expect(bad.problems.find((p) => p.code === 'anchor-not-trusted-for-purpose')!.message).toMatch(/not secure e-mail/);
    expect((await validateCertificate(noEmail.der, { trust, at, purpose: 'any' })).valid).toBe(true);
  });

  it('a root past its disallowed-after date is untrusted-root', async () => {
    const limited = store.certificates.find((e) => {
      const after = sstDisallowedAfter(e);
      const c = parseCertificate(e.der);
      return after && after > c.notBefore && after < new Date('2025-01-01') && c.notAfter > new Date('2025-06-01');
    });
    expect(limited).toBeDefined();
    const r = await validateCertificate(limited!.der, { trust, at: new Date('2025-06-01T00:00:00Z'), purpose: 'any' });
    expect(codes(r)).toEqual(['untrusted-root']);
  });

  it('not-before and disallowed-EKU properties are read from the store', () => {
    const certSign = trust.anchors.find(
      (a) => a.certificate.subject.text.includes('certSIGN ROOT CA') && !a.certificate.subject.text.includes('G2'),
    );
    expect(certSign?.notBeforeDistrust?.date.toISOString()).toBe('2025-09-15T00:00:00.000Z');
    expect(certSign?.notBeforeDistrust?.purposes).toEqual(['1.3.6.1.5.5.7.3.3', '1.3.6.1.5.5.7.3.4']);
    const trustCor = trust.anchors.find((a) => a.certificate.subject.text.startsWith('CN=TrustCor RootCert CA-1'));
    expect(trustCor?.disallowedPurposes).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(trustCor?.disallowedAfter?.toISOString()).toBe('2025-09-15T00:00:00.000Z');
  });

  it('a certificate the store does not cover is untrusted-root', async () => {
    const alice = loadCertificates(readShared('rfc9216', 'alice@smime.example.sig.pem')).certificates[0]!;
    const r = await validateCertificate(alice, { trust, at: NOW_2025 });
    expect(codes(r)).toEqual(['untrusted-root']);
  });

  for (const file of ['certutil-generateSSTFromWU-root.sst', 'wu-disallowedcert.sst', 'wu-pinrules.sst']) {
    it(`${file}: a certificate of the store validates against it, one it does not cover does not`, async () => {
      const list = TrustList.fromBytes(readShared('sst', file));
      const anchor = list.anchors.find((a) => !a.disallowedAfter && !a.notBeforeDistrust)!;
      const c = anchor.certificate;
      const at = new Date((c.notBefore.getTime() + c.notAfter.getTime()) / 2);
      const own = await validateCertificate(c.der, { trust: list, at, purpose: 'any' });
      expect(own.problems).toEqual([]);
      expect(own.path).toHaveLength(1);
      const alice = loadCertificates(readShared('rfc9216', 'alice@smime.example.sig.pem')).certificates[0]!;
      expect(codes(await validateCertificate(alice, { trust: list, at: NOW_2025 }))).toEqual(['untrusted-root']);
    });
  }

  it('other stores load (disallowed list with a non-DER entry, synthetic mixed store with a CRL)', () => {
    const disallowed = TrustList.fromBytes(readShared('sst', 'wu-disallowedcert.sst'));
    expect(disallowed.size + disallowed.skipped.length).toBe(95);
    const mixed = TrustList.fromBytes(readShared('sst', 'synthetic-mixed.sst'));
    expect(mixed.size).toBe(2);
    expect(mixed.crls).toHaveLength(1);
    expect(TrustList.fromBytes(readShared('sst', 'synthetic-empty.sst')).size).toBe(0);
  });
});

describe('TrustList', () => {
  it('indexes anchors by subject and key identifier and ignores duplicates', () => {
    const der = loadCertificates(readFileSync(projectVectorPath('chains', 'root.pem'))).certificates[0]!;
    const t = TrustList.fromCertificates([der, der]);
    expect(t.size).toBe(1);
    const c = parseCertificate(der);
    expect(t.bySubject(c.subject.key)).toHaveLength(1);
    if (c.subjectKeyIdentifier) expect(t.byKeyIdentifier(c.subjectKeyIdentifier)).toHaveLength(1);
  });
});
