/**
 * Path building under adversarial pools: bounded work, cycles, several
 * candidate paths (the valid one must win), cross-certificates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { TrustList, parseCertificate, parseCrl, validateCertificate } from '../../src/index.js';
import { NOW, issue, x509, type Issued } from './helpers/pki.js';
import { tlv, encodeOid } from '../../src/asn1/index.js';

const codes = (r: { problems: { code: string }[] }) => [...new Set(r.problems.map((p) => p.code))].sort();

describe('path building', () => {
  it('a pool of many same-named, mutually issued CAs does not blow up', async () => {
    // 8 CAs all named "CN=Loop", each signed by another one's key: 8^depth candidate paths without bounds.
    const keys: Issued[] = [];
    for (let i = 0; i < 8; i++) keys.push(await issue({ name: 'CN=Loop', key: 'p256', keySlot: 100 + i, ca: true }));
    const pool: Issued[] = [];
    for (let i = 0; i < 8; i++)
      pool.push(await issue({ name: 'CN=Loop', key: 'p256', keySlot: 100 + i, issuer: keys[(i + 1) % 8]!, ca: true }));
    const ee = await issue({ name: 'CN=Victim', key: 'p256', keySlot: 120, issuer: keys[0]! });
    const root = await issue({ name: 'CN=Unrelated Root', key: 'p256', keySlot: 121, ca: true });
    const started = Date.now();
    const r = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [...keys, ...pool].map((c) => c.der),
      at: NOW,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(codes(r)).toEqual(['untrusted-root']);
    const tight = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [...keys, ...pool].map((c) => c.der),
      at: NOW,
      limits: { maxWork: 20 },
    });
    expect(tight.problems[0]!.message).toMatch(/limit/);
  });

  it('two CAs cross-certifying each other (a cycle) terminate', async () => {
    const aKey = await issue({ name: 'CN=A', key: 'p256', keySlot: 130, ca: true });
    const bKey = await issue({ name: 'CN=B', key: 'p256', keySlot: 131, ca: true });
    const aByB = await issue({ name: 'CN=A', key: 'p256', keySlot: 130, issuer: bKey, ca: true });
    const bByA = await issue({ name: 'CN=B', key: 'p256', keySlot: 131, issuer: aKey, ca: true });
    const ee = await issue({ name: 'CN=Leaf', key: 'p256', keySlot: 132, issuer: aKey });
    const r = await validateCertificate(ee.der, {
      trust: new TrustList(),
      intermediates: [aByB.der, bByA.der],
      at: NOW,
    });
    expect(codes(r)).toEqual(['untrusted-root']);
    // Trusting B makes the path Leaf <- A (by B) <- B.
    const ok = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([bKey.der]),
      intermediates: [aByB.der, bByA.der],
      at: NOW,
    });
    expect(ok.valid).toBe(true);
    expect(ok.path.map((p) => p.subject)).toEqual(['CN=Leaf', 'CN=A', 'CN=B']);
  });

  it('when the first candidate path is invalid, the next one is tried', async () => {
    const root = await issue({ name: 'CN=Root', key: 'p256', keySlot: 140, ca: true });
    // Same CA key certified twice: once expired, once current.
    const expiredCa = await issue({
      name: 'CN=CA',
      key: 'p256',
      keySlot: 141,
      issuer: root,
      ca: true,
      notAfter: new Date(NOW.getTime() - 86_400_000),
    });
    const goodCa = await issue({ name: 'CN=CA', key: 'p256', keySlot: 141, issuer: root, ca: true });
    const ee = await issue({ name: 'CN=User', key: 'p256', keySlot: 142, issuer: goodCa });
    const r = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [expiredCa.der, goodCa.der],
      at: NOW,
    });
    expect(r.valid).toBe(true);
    expect(r.path[1]!.notAfter.getTime()).toBe(goodCa.cert.notAfter.getTime());
    // Only the expired one: its problem is reported.
    const bad = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [expiredCa.der],
      at: NOW,
    });
    expect(codes(bad)).toEqual(['expired']);
    expect(bad.problems[0]!.certificate?.index).toBe(1);
  });
});

describe('policy processing under hostile mappings', () => {
  const seq = (...parts: Uint8Array[]) => tlv(0x30, Uint8Array.from(parts.flatMap((p) => [...p])));
  const oids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}.${i + 1}`);
  const policies = (list: string[]) =>
    new x509.Extension('2.5.29.32', false, seq(...list.map((o) => seq(encodeOid(o)))).slice().buffer);
  const mappings = (from: string[], to: string[]) =>
    new x509.Extension(
      '2.5.29.33',
      false,
      seq(...from.flatMap((a) => to.map((b) => seq(encodeOid(a), encodeOid(b))))).slice().buffer,
    );

  it('a mapping explosion stops at the node budget with code policy', async () => {
    const root = await issue({ name: 'CN=Policy Root', key: 'p256', keySlot: 160, ca: true });
    const a = oids('1.2.3.1', 15);
    const b = oids('1.2.3.2', 15);
    const c = oids('1.2.3.3', 15);
    const ca1 = await issue({
      name: 'CN=P1',
      key: 'p256',
      keySlot: 161,
      issuer: root,
      ca: true,
      extensions: [policies(a), mappings(a, b)],
    });
    const ca2 = await issue({
      name: 'CN=P2',
      key: 'p256',
      keySlot: 162,
      issuer: ca1,
      ca: true,
      extensions: [policies(b), mappings(b, c)],
    });
    const ee = await issue({ name: 'CN=P3', key: 'p256', keySlot: 163, issuer: ca2, extensions: [policies(c)] });
    const started = Date.now();
    const r = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [ca1.der, ca2.der],
      at: NOW,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(codes(r)).toEqual(['policy']);
    expect(r.problems[0]!.message).toMatch(/gave up/);
  });
});

describe('parsers on hostile bytes', () => {
  it('parseCertificate and parseCrl only ever throw FormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const parse of [parseCertificate, parseCrl]) {
          try {
            parse(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(FormatError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('mutated real certificates never crash validation', async () => {
    const root = await issue({ name: 'CN=Fuzz Root', key: 'p256', keySlot: 150, ca: true });
    const ee = await issue({ name: 'CN=Fuzz EE', key: 'p256', keySlot: 151, issuer: root, emails: ['f@example.com'] });
    const trust = TrustList.fromCertificates([root.der]);
    await fc.assert(
      fc.asyncProperty(fc.nat(ee.der.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, xor) => {
        const der = ee.der.slice();
        der[pos] = der[pos]! ^ xor;
        try {
          const r = await validateCertificate(der, { trust, at: NOW });
          expect(typeof r.valid).toBe('boolean');
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 150 },
    );
  });
});
