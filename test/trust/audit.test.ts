/**
 * Regression tests from the security audit of path validation and trust-list handling: signature
 * encoding strictness, PSS key restrictions, bigint DoS bounds, ranking work under hostile pools,
 * SST property fail-safes and ASCII-only case folding of e-mail domains.
 */
import fc from 'fast-check';
import { webcrypto } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ArgumentError, FormatError } from '../../src/errors.js';
import { md5 } from '../../src/util/hash.js';
import { signatureParametersValid, verifySignature } from '../../src/crypto/verify-signature.js';
import { parseSubjectPublicKeyInfo } from '../../src/x509/index.js';
import { modPow } from '../../src/crypto/bigint.js';
import { SstPropertyId, type SstEntry } from '../../src/sst/types.js';
import { TrustList, parseCertificate, validateCertificate } from '../../src/index.js';
import { anchorOptionsFromSst } from '../../src/trust/trust-list.js';
import { NOW, issue, keyPair, makeCrl, serialOf, x509, type Issued } from './helpers/pki.js';
import { derParse, derChildren, derBytes, tlv, encodeOid } from '../../src/asn1/index.js';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const codes = (r: { problems: { code: string }[] }) => [...new Set(r.problems.map((p) => p.code))].sort();
const cat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const seq = (...parts: (Uint8Array | number[])[]) => tlv(0x30, cat(...parts));
const b64u = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const derInt = (v: bigint) => {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = [...Buffer.from(hex, 'hex')];
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
};

async function spkiOf(keys: CryptoKeyPair): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
}

/** Rebuilds a certificate with a new TBS (fields edited by `edit`) and outer AlgorithmIdentifier, signed by `signer`. */
async function resign(
  cert: Uint8Array,
  edit: (fields: Uint8Array[]) => Uint8Array[],
  outerAlg: Uint8Array,
  sign: (tbs: Uint8Array) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const root = derParse(cert);
  const [tbsNode] = derChildren(root);
  const fields = derChildren(tbsNode!).map((n) => derBytes(n));
  const tbs = seq(...edit(fields));
  const sig = await sign(tbs);
  return seq(tbs, outerAlg, tlv(0x03, cat([0], sig)));
}

describe('signature encoding strictness (verify-signature.ts)', () => {
  it('RSA PKCS#1 v1.5 (bigint path): garbage in the DigestInfo parameters is not accepted (BERserk)', async () => {
    const keys = await keyPair('rsa', 900);
    const jwk = await subtle.exportKey('jwk', keys.privateKey);
    const n = toBig(b64u(jwk.n!));
    const d = toBig(b64u(jwk.d!));
    const k = b64u(jwk.n!).length;
    const data = new TextEncoder().encode('signed bytes');
    const md5Oid = encodeOid('1.2.840.113549.2.5');
    const sign = (digestInfo: Uint8Array) => {
      const em = new Uint8Array(k).fill(0xff);
      em[0] = 0;
      em[1] = 1;
      em[k - digestInfo.length - 1] = 0;
      em.set(digestInfo, k - digestInfo.length);
      const s = modPow(toBig(em), d, n)
        .toString(16)
        .padStart(k * 2, '0');
      return new Uint8Array(Buffer.from(s, 'hex'));
    };
    const publicKey = await spkiOf(keys);
    const check = (digestInfo: Uint8Array) =>
      verifySignature({ algorithm: { oid: '1.2.840.113549.1.1.4' }, signature: sign(digestInfo), data, publicKey });
    const hash = tlv(0x04, md5(data));
    expect(await check(seq(seq(md5Oid, [0x05, 0x00]), hash))).toBe(true);
    expect(await check(seq(seq(md5Oid), hash))).toBe(true);
    // Parameters that are not NULL: room for a forger to absorb the difference of a cube root.
    expect(await check(seq(seq(md5Oid, tlv(0x04, new Uint8Array(40).fill(0x41))), hash))).toBe(false);
    // A third element in the DigestInfo.
    expect(await check(seq(seq(md5Oid, [0x05, 0x00]), hash, tlv(0x04, new Uint8Array(8))))).toBe(false);
  });

  it('ECDSA: only minimal DER is accepted (no leading zero bytes, no long-form lengths)', async () => {
    const keys = await keyPair('p256', 901);
    const data = new TextEncoder().encode('ecdsa data');
    const raw = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, data));
    const int = (v: Uint8Array, pad = 0) => {
      let i = 0;
      while (i < v.length - 1 && v[i] === 0) i++;
      let c = [...v.subarray(i)];
      if (c[0]! & 0x80) c = [0, ...c];
      return tlv(0x02, Uint8Array.from([...new Array<number>(pad).fill(0), ...c]));
    };
    const r = raw.subarray(0, 32);
    const s = raw.subarray(32);
    const publicKey = await spkiOf(keys);
    const check = (signature: Uint8Array) =>
      verifySignature({ algorithm: { oid: '1.2.840.10045.4.3.2' }, signature, data, publicKey });
    expect(await check(seq(int(r), int(s)))).toBe(true);
    expect(await check(seq(int(r, 1), int(s)))).toBe(false);
    const body = cat(int(r), int(s));
    expect(await check(cat([0x30, 0x81, body.length], body))).toBe(false);
  });

  it('signature AlgorithmIdentifier parameters: NULL/absent for RSA, absent for ECDSA, DSA and EdDSA', () => {
    expect(signatureParametersValid({ oid: '1.2.840.113549.1.1.11' })).toBe(true);
    expect(signatureParametersValid({ oid: '1.2.840.113549.1.1.11', parameters: Uint8Array.of(5, 0) })).toBe(true);
    expect(signatureParametersValid({ oid: '1.2.840.113549.1.1.11', parameters: Uint8Array.of(4, 1, 0) })).toBe(false);
    expect(signatureParametersValid({ oid: '1.2.840.10045.4.3.2', parameters: Uint8Array.of(5, 0) })).toBe(false);
    expect(signatureParametersValid({ oid: '1.3.101.112', parameters: Uint8Array.of(5, 0) })).toBe(false);
    expect(signatureParametersValid({ oid: '1.3.101.112' })).toBe(true);
    expect(signatureParametersValid({ oid: '1.2.840.113549.1.1.10' })).toBe(false);
    expect(signatureParametersValid({ oid: '1.2.840.113549.1.1.10', parameters: Uint8Array.of(0x30, 0) })).toBe(true);
  });

  it('an Ed25519-signed certificate whose signature AlgorithmIdentifier has parameters is bad-signature', async () => {
    const root = await issue({ name: 'CN=Ed Root', key: 'ed25519', keySlot: 902, ca: true });
    const ee = await issue({ name: 'CN=Ed EE', key: 'p256', keySlot: 903, issuer: root });
    const withNull = seq(encodeOid('1.3.101.112'), [0x05, 0x00]);
    const sign = async (tbs: Uint8Array) =>
      new Uint8Array(await subtle.sign({ name: 'Ed25519' }, root.keys.privateKey, new Uint8Array(tbs)));
    // Field 2 of a v3 TBSCertificate is the signature AlgorithmIdentifier.
    const bad = await resign(ee.der, (f) => f.map((x, i) => (i === 2 ? withNull : x)), withNull, sign);
    const control = await resign(ee.der, (f) => f, seq(encodeOid('1.3.101.112')), sign);
    const trust = TrustList.fromCertificates([root.der]);
    expect((await validateCertificate(control, { trust, at: NOW })).valid).toBe(true);
    expect(codes(await validateCertificate(bad, { trust, at: NOW }))).toEqual(['bad-signature']);
  });

  it('outer and signed AlgorithmIdentifiers must agree on the parameters too', async () => {
    const root = await issue({ name: 'CN=Alg Root', key: 'rsa', keySlot: 904, ca: true });
    const ee = await issue({ name: 'CN=Alg EE', key: 'p256', keySlot: 905, issuer: root });
    // Swap the (unsigned) outer sha256WithRSAEncryption-with-NULL for the form without parameters.
    const [tbs, , sig] = derChildren(derParse(ee.der)).map((n) => derBytes(n));
    const edited = seq(tbs!, seq(encodeOid('1.2.840.113549.1.1.11')), sig!);
    expect(() => parseCertificate(edited)).toThrow(FormatError);
  });

  it('an id-RSASSA-PSS key with parameters accepts only signatures that use them', async () => {
    const keys = await keyPair('rsa-pss', 906);
    const data = new TextEncoder().encode('pss data');
    const signature = new Uint8Array(await subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, keys.privateKey, data));
    const rsaPublicKey = parseSubjectPublicKeyInfo(await spkiOf(keys)).publicKey;
    const hashAlg = (oid: string) => seq(encodeOid(oid), [0x05, 0x00]);
    const pssParams = (hashOid: string, salt: number) =>
      seq(
        tlv(0xa0, hashAlg(hashOid)),
        tlv(0xa1, seq(encodeOid('1.2.840.113549.1.1.8'), hashAlg(hashOid))),
        tlv(0xa2, derInt(BigInt(salt))),
      );
    const pssKey = (params: Uint8Array) =>
      seq(seq(encodeOid('1.2.840.113549.1.1.10'), params), tlv(0x03, cat([0], rsaPublicKey)));
    const sha256 = '2.16.840.1.101.3.4.2.1';
    const sha384 = '2.16.840.1.101.3.4.2.2';
    const algorithm = { oid: '1.2.840.113549.1.1.10', parameters: pssParams(sha256, 32) };
    expect(await verifySignature({ algorithm, signature, data, publicKey: pssKey(pssParams(sha256, 32)) })).toBe(true);
    expect(await verifySignature({ algorithm, signature, data, publicKey: pssKey(pssParams(sha256, 20)) })).toBe(true);
    await expect(
      verifySignature({ algorithm, signature, data, publicKey: pssKey(pssParams(sha384, 48)) }),
    ).rejects.toMatchObject({ code: 'key-algorithm-mismatch' });
    await expect(
      verifySignature({ algorithm, signature, data, publicKey: pssKey(pssParams(sha256, 64)) }),
    ).rejects.toMatchObject({ code: 'key-algorithm-mismatch' });
  });

  it('DSA domain parameters beyond FIPS 186-4 sizes are refused before any bigint work', async () => {
    const p = (1n << 8191n) | 1n; // 8192 bits: modPow on this would be a denial-of-service lever
    const q = (1n << 159n) | 7n;
    const spki = seq(
      seq(encodeOid('1.2.840.10040.4.1'), seq(derInt(p), derInt(q), derInt(2n))),
      tlv(0x03, cat([0], derInt(5n))),
    );
    const started = Date.now();
    await expect(
      verifySignature({
        algorithm: { oid: '2.16.840.1.101.3.4.3.2' },
        signature: seq(derInt(3n), derInt(5n)),
        data: new Uint8Array(4),
        publicKey: spki,
      }),
    ).rejects.toMatchObject({ code: 'unsupported-algorithm' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('path building under a hostile pool of 200 same-named CAs', () => {
  it('ranking verifies a bounded number of signatures and finishes quickly', async () => {
    const pool: Issued[] = [];
    for (let i = 0; i < 200; i++) {
      pool.push(
        await issue({
          name: 'CN=Same Name CA',
          key: 'p256',
          keySlot: 1000 + i,
          ca: true,
          ...(pool.length ? { issuer: pool[pool.length - 1]! } : {}),
        }),
      );
    }
    const ee = await issue({ name: 'CN=Victim', key: 'p256', keySlot: 1300, issuer: pool[199]! });
    const root = await issue({ name: 'CN=Unrelated Root', key: 'p256', keySlot: 1301, ca: true });
    const spy = vi.spyOn(webcrypto.subtle, 'verify');
    try {
      const started = Date.now();
      const r = await validateCertificate(ee.der, {
        trust: TrustList.fromCertificates([root.der]),
        intermediates: pool.map((c) => c.der),
        at: NOW,
      });
      const elapsed = Date.now() - started;
      expect(codes(r)).toEqual(['untrusted-root']);
      expect(elapsed).toBeLessThan(10_000);
      // Without the ranking budget this grows as depth x pool size (2 600 here; a CMS message may carry thousands).
      expect(spy.mock.calls.length).toBeLessThan(1200);
    } finally {
      spy.mockRestore();
    }
  }, 60_000);
});

describe('revocation under hostile CRLs and a pool of same-named certificates', () => {
  it('looking for CRL signers verifies a bounded number of signatures', async () => {
    const root = await issue({ name: 'CN=CRL DoS Root', key: 'p256', keySlot: 1400, ca: true });
    const ca = await issue({ name: 'CN=CRL DoS CA', key: 'p256', keySlot: 1401, issuer: root, ca: true });
    const ee = await issue({ name: 'CN=CRL DoS EE', key: 'p256', keySlot: 1402, issuer: ca });
    // 150 certificates and 10 CRLs that claim the CA's name, none with its key.
    const impostors: Issued[] = [];
    for (let i = 0; i < 150; i++)
      impostors.push(await issue({ name: 'CN=CRL DoS CA', key: 'p256', keySlot: 1410 + i, ca: true }));
    const crls: Uint8Array[] = [];
    for (let i = 0; i < 10; i++)
      crls.push(
        await makeCrl(impostors[i]!, {
          revoked: [{ serial: serialOf(ee) }],
          thisUpdate: new Date(NOW.getTime() - (i + 2) * 3_600_000),
        }),
      );
    const spy = vi.spyOn(webcrypto.subtle, 'verify');
    try {
      const r = await validateCertificate(ee.der, {
        trust: TrustList.fromCertificates([root.der]),
        intermediates: [ca.der, ...impostors.map((c) => c.der)],
        crls,
        at: NOW,
        purpose: 'any',
        revocation: 'require',
      });
      expect(codes(r)).toEqual(['revocation-unknown']);
      // Unbounded, this is CRLs x same-named certificates (1 500 here).
      expect(spy.mock.calls.length).toBeLessThan(1100);
    } finally {
      spy.mockRestore();
    }
  }, 60_000);
});

describe('S/MIME e-mail matching and name constraints: ASCII-only case folding', () => {
  it('a From domain with U+212A KELVIN SIGN does not match a certificate for "k..."', async () => {
    const root = await issue({ name: 'CN=Mail Root', key: 'p256', keySlot: 910, ca: true });
    const ee = await issue({
      name: 'CN=Alice',
      key: 'p256',
      keySlot: 911,
      issuer: root,
      emails: ['alice@kexample.com'],
    });
    const trust = TrustList.fromCertificates([root.der]);
    expect(
      (await validateCertificate(ee.der, { trust, at: NOW, purpose: 'sign', email: 'alice@KEXAMPLE.com' })).valid,
    ).toBe(true);
    const r = await validateCertificate(ee.der, { trust, at: NOW, purpose: 'sign', email: 'alice@\u212Aexample.com' });
    expect(codes(r)).toEqual(['email-mismatch']);
  });
});

describe('name constraints on SmtpUTF8Mailbox (RFC 9598 §6)', () => {
  const utf8 = (t: string) => tlv(0x0c, new TextEncoder().encode(t));
  const ia5 = (tag: number, t: string) => tlv(tag, new TextEncoder().encode(t));
  const smtpUtf8 = (address: string) => tlv(0xa0, cat(encodeOid('1.3.6.1.5.5.7.8.9'), tlv(0xa0, utf8(address))));
  const san = (...names: Uint8Array[]) => new x509.Extension('2.5.29.17', false, seq(...names).slice().buffer);
  const nc = (permitted: string[], excluded: string[]) =>
    new x509.Extension(
      '2.5.29.30',
      true,
      seq(
        ...(permitted.length ? [tlv(0xa0, cat(...permitted.map((p) => seq(ia5(0x81, p)))))] : []),
        ...(excluded.length ? [tlv(0xa1, cat(...excluded.map((p) => seq(ia5(0x81, p)))))] : []),
      ).slice().buffer,
    );

  it('an SmtpUTF8Mailbox outside the permitted rfc822Name subtrees, or inside an excluded one, violates them', async () => {
    const root = await issue({ name: 'CN=NC Root', key: 'p256', keySlot: 940, ca: true });
    const ca = await issue({
      name: 'CN=NC CA',
      key: 'p256',
      keySlot: 941,
      issuer: root,
      ca: true,
      extensions: [nc(['.example.com'], ['.xn--exmple-cua.com'])],
    });
    const trust = TrustList.fromCertificates([root.der]);
    const excludedOnly = await issue({
      name: 'CN=NC CA2',
      key: 'p256',
      keySlot: 946,
      issuer: root,
      ca: true,
      extensions: [nc([], ['.xn--exmple-cua.com'])],
    });
    const check = async (slot: number, name: Uint8Array, issuer = ca) => {
      const ee = await issue({ name: 'CN=NC EE', key: 'p256', keySlot: slot, issuer, extensions: [san(name)] });
      return codes(await validateCertificate(ee.der, { trust, intermediates: [issuer.der], at: NOW }));
    };
    expect(await check(942, smtpUtf8('bob@mail.example.com'))).toEqual([]);
    expect(await check(943, smtpUtf8('bob@mail.evil.com'))).toEqual(['name-constraints']);
    // The same excluded domain as a U-label (ä) must be caught through its A-label.
    expect(await check(944, smtpUtf8('bob@sub.exämple.com'), excludedOnly)).toEqual(['name-constraints']);
    expect(await check(947, smtpUtf8('bob@sub.exümple.com'), excludedOnly)).toEqual([]);
    expect(await check(945, smtpUtf8('bob@exa/mple.com'), excludedOnly)).toEqual(['name-constraints']);
  });
});

describe('RFC 5280 decoding and option bounds', () => {
  it('an empty BOOLEAN in basicConstraints does not make a certificate a CA', async () => {
    const root = await issue({ name: 'CN=Bool Root', key: 'p256', keySlot: 950, ca: true });
    const emptyBool = new x509.Extension('2.5.29.19', true, Uint8Array.of(0x30, 0x02, 0x01, 0x00).slice().buffer);
    const ca = await issue({
      name: 'CN=Bool CA',
      key: 'p256',
      keySlot: 951,
      issuer: root,
      ca: null,
      keyUsage: x509.KeyUsageFlags.keyCertSign,
      extensions: [emptyBool],
    });
    const ee = await issue({ name: 'CN=Bool EE', key: 'p256', keySlot: 952, issuer: ca });
    expect(() => parseCertificate(ca.der)).toThrow(FormatError);
    const r = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [ca.der],
      at: NOW,
    });
    expect(r.valid).toBe(false);
  });

  it('NaN or infinite limits are refused instead of switching the bounds off', async () => {
    const root = await issue({ name: 'CN=Lim Root', key: 'p256', keySlot: 953, ca: true });
    const trust = TrustList.fromCertificates([root.der]);
    for (const limits of [{ maxWork: Number.NaN }, { maxDepth: Number.POSITIVE_INFINITY }, { maxPaths: Number.NaN }]) {
      await expect(validateCertificate(root.der, { trust, at: NOW, limits })).rejects.toBeInstanceOf(ArgumentError);
    }
    await expect(validateCertificate(root.der, { trust, at: NOW, minRsaBits: Number.NaN })).rejects.toBeInstanceOf(
      ArgumentError,
    );
    expect(
      (await validateCertificate(root.der, { trust, at: NOW, purpose: 'any', limits: { maxWork: 3.7 } })).valid,
    ).toBe(true);
  });
});

describe('S/MIME key usage and validity-time regressions', () => {
  it('encrypting to RSA needs keyEncipherment (dataEncipherment alone is not enough); EC needs keyAgreement', async () => {
    const root = await issue({ name: 'CN=KU Root', key: 'p256', keySlot: 970, ca: true });
    const trust = TrustList.fromCertificates([root.der]);
    const check = async (key: 'rsa' | 'p256', slot: number, keyUsage: number) => {
      const ee = await issue({ name: 'CN=KU EE', key, keySlot: slot, issuer: root, keyUsage });
      return codes(await validateCertificate(ee.der, { trust, at: NOW, purpose: 'encrypt' }));
    };
    expect(await check('rsa', 971, x509.KeyUsageFlags.dataEncipherment)).toEqual(['bad-key-usage']);
    expect(await check('rsa', 971, x509.KeyUsageFlags.keyEncipherment)).toEqual([]);
    expect(await check('p256', 972, x509.KeyUsageFlags.keyEncipherment)).toEqual(['bad-key-usage']);
    expect(await check('p256', 972, x509.KeyUsageFlags.keyAgreement)).toEqual([]);
  });

  it('UTCTime (up to 2049) and GeneralizedTime (from 2050) validity boundaries', async () => {
    const root = await issue({
      name: 'CN=Time Root',
      key: 'p256',
      keySlot: 973,
      ca: true,
      notAfter: new Date('2060-01-01T00:00:00Z'),
    });
    const trust = TrustList.fromCertificates([root.der]);
    const ee2049 = await issue({
      name: 'CN=Time EE 2049',
      key: 'p256',
      keySlot: 974,
      issuer: root,
      notAfter: new Date('2049-12-31T23:59:59Z'),
    });
    const ee2050 = await issue({
      name: 'CN=Time EE 2050',
      key: 'p256',
      keySlot: 975,
      issuer: root,
      notBefore: new Date('2050-01-01T00:00:00Z'),
      notAfter: new Date('2050-06-01T00:00:00Z'),
    });
    expect(parseCertificate(ee2049.der).notAfter.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(parseCertificate(ee2050.der).notBefore.toISOString()).toBe('2050-01-01T00:00:00.000Z');
    const at = (iso: string) => ({ trust, at: new Date(iso), purpose: 'any' as const });
    expect((await validateCertificate(ee2049.der, at('2049-12-31T23:59:59Z'))).valid).toBe(true);
    expect(codes(await validateCertificate(ee2049.der, at('2050-01-01T00:00:00Z')))).toEqual(['expired']);
    expect(codes(await validateCertificate(ee2050.der, at('2049-12-31T23:59:59Z')))).toEqual(['not-yet-valid']);
    expect((await validateCertificate(ee2050.der, at('2050-01-01T00:00:00Z'))).valid).toBe(true);
  });
});

describe('SST trust properties fail safe', () => {
  it('an unreadable DISALLOWED_ENHKEY_USAGE (122) disallows e-mail instead of nothing', async () => {
    const root = await issue({ name: 'CN=Prop Root', key: 'p256', keySlot: 920, ca: true });
    const ee = await issue({ name: 'CN=Prop EE', key: 'p256', keySlot: 921, issuer: root, emails: ['p@example.com'] });
    const entry: SstEntry = {
      kind: 'certificate',
      der: root.der,
      properties: [{ id: SstPropertyId.DISALLOWED_ENHKEY_USAGE, value: Uint8Array.of(0x30, 0x05, 0x06) }],
    };
    const options = anchorOptionsFromSst(entry);
    expect(options.disallowedPurposes).toContain('1.3.6.1.5.5.7.3.4');
    const trust = new TrustList();
    trust.add(root.der, options);
    const r = await validateCertificate(ee.der, { trust, at: NOW, purpose: 'sign' });
    expect(codes(r)).toEqual(['anchor-not-trusted-for-purpose']);
  });
});

describe('robustness: mutated CRLs and intermediates', () => {
  it('an intermediate with an unreadable public key is skipped, validation does not throw', async () => {
    const root = await issue({ name: 'CN=Spki Root', key: 'p256', keySlot: 960, ca: true });
    const ca = await issue({ name: 'CN=Spki CA', key: 'p256', keySlot: 961, issuer: root, ca: true });
    const ee = await issue({ name: 'CN=Spki EE', key: 'p256', keySlot: 962, issuer: ca });
    const der = ca.der.slice();
    const [tbs] = derChildren(derParse(der));
    const spki = derChildren(tbs!)[6]!; // version, serial, signature, issuer, validity, subject, spki
    const bits = derChildren(spki)[1]!;
    der[bits.start] = 0x04; // BIT STRING -> OCTET STRING
    expect(() => parseCertificate(der)).toThrow(FormatError);
    const r = await validateCertificate(ee.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [der],
      at: NOW,
    });
    expect(codes(r)).toEqual(['untrusted-root']);
  });

  it('validation with mutated CRLs and intermediates only returns reports (time-bounded)', async () => {
    const root = await issue({ name: 'CN=Mut Root', key: 'p256', keySlot: 930, ca: true });
    const ca = await issue({ name: 'CN=Mut CA', key: 'p256', keySlot: 931, issuer: root, ca: true });
    const ee = await issue({ name: 'CN=Mut EE', key: 'p256', keySlot: 932, issuer: ca, emails: ['m@example.com'] });
    const other = await issue({ name: 'CN=Mut Other', key: 'p256', keySlot: 933, issuer: ca });
    const crl = await makeCrl(ca, { revoked: [{ serial: serialOf(other), reason: x509.X509CrlReason.keyCompromise }] });
    const rootCrl = await makeCrl(root);
    const trust = TrustList.fromCertificates([root.der]);
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'crl' | 'root-crl' | 'ca'>('crl', 'root-crl', 'ca'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (which, posSeed, xor) => {
          const target = which === 'crl' ? crl : which === 'root-crl' ? rootCrl : ca.der;
          const mutated = target.slice();
          const pos = posSeed % mutated.length;
          mutated[pos] = mutated[pos]! ^ xor;
          const crls = which === 'crl' ? [mutated, rootCrl] : which === 'root-crl' ? [crl, mutated] : [crl, rootCrl];
          const intermediates = which === 'ca' ? [mutated] : [ca.der];
          const r = await validateCertificate(ee.der, {
            trust,
            intermediates,
            crls,
            at: NOW,
            purpose: 'sign',
            revocation: 'require',
          });
          expect(typeof r.valid).toBe('boolean');
          // A damaged CRL or intermediate can never un-revoke a revoked certificate.
          const revoked = await validateCertificate(other.der, {
            trust,
            intermediates,
            crls,
            at: NOW,
            purpose: 'any',
            revocation: 'require',
          });
          expect(revoked.valid).toBe(false);
        },
      ),
      { numRuns: 120 },
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
