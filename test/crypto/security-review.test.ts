/**
 * Regression tests from the security review of src/crypto (RSA, PKCS#12,
 * private keys, KDFs). Each test failed before its fix.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes as nodeRandom } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pkcs12Kdf } from '../../src/crypto/kdf.js';
import { desCbcEncrypt } from '../../src/crypto/ciphers/index.js';
import { OID } from '../../src/crypto/oids.js';
import { decryptCbcByOid } from '../../src/crypto/ciphers/by-oid.js';
import { ecCurveOid, loadPrivateKey, parseRsaPrivateKeyPkcs1 } from '../../src/crypto/private-key.js';
import { keyMatchesCertificate } from '../../src/crypto/key-match.js';
import { PBE_WORK_BUDGET, pbeDecrypt, pbePassword, pbeWorkBudget } from '../../src/crypto/password-based.js';
import { parsePkcs12 } from '../../src/crypto/pkcs12.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { rsaOaepDecrypt, rsaOaepEncrypt } from '../../src/crypto/rsa-oaep.js';
import { rsaPkcs1v15DecryptImplicit, rsaPkcs1v15Encrypt } from '../../src/crypto/rsa.js';
import { LimitError, SmimeError } from '../../src/errors.js';
import { certDer, makeSelfSigned, openssl, readFixture } from './openssl-fixtures.js';
import { derParse, tlv, seq, octets, NULL, encodeOid, encodeInt } from '../../src/asn1/index.js';

const u8 = (b: Buffer | string): Uint8Array => new Uint8Array(typeof b === 'string' ? Buffer.from(b) : b);
const ctx = (n: number, ...content: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...content);

/** A DER INTEGER with raw two's-complement content (for negative values). */
const rawInt = (...content: number[]): Uint8Array => Uint8Array.of(2, content.length, ...content);

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const rsaPkcs1 = u8(rsa.privateKey.export({ type: 'pkcs1', format: 'der' }));

/** RSAPrivateKey with one field replaced by raw INTEGER bytes. */
function rsaWithField(index: number, intTlv: Uint8Array): Uint8Array {
  const n = parseRsaPrivateKeyPkcs1(rsaPkcs1);
  const fields = [0n, n.n, n.e, n.d, n.p, n.q, n.dp, n.dq, n.qi].map((v) => encodeInt(v));
  fields[index] = intTlv;
  return seq(...fields);
}

describe('RSA PKCS#1 v1.5 implicit rejection: hostile inputs', () => {
  it('an over-long ciphertext is rejected with a synthetic message quickly (no quadratic bigint conversion)', async () => {
    const started = Date.now();
    const out = await rsaPkcs1v15DecryptImplicit(rsaPkcs1, new Uint8Array(300_000).fill(0x41), { expectedLength: 16 });
    expect(out.length).toBe(16);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Deterministic: the same over-long ciphertext gives the same synthetic message.
    expect(
      await rsaPkcs1v15DecryptImplicit(rsaPkcs1, new Uint8Array(300_000).fill(0x41), { expectedLength: 16 }),
    ).toEqual(out);
  }, 30_000);

  it('a key with negative CRT values is FormatError bad-key, not a TypeError from modPow', async () => {
    for (const index of [6, 7, 8]) {
      const bad = rsaWithField(index, rawInt(0xff));
      expect(() => parseRsaPrivateKeyPkcs1(bad), `field ${index}`).toThrow(
        expect.objectContaining({ code: 'bad-key' }),
      );
      await expect(
        rsaPkcs1v15DecryptImplicit(bad, new Uint8Array(128).fill(1)),
        `field ${index}`,
      ).rejects.toMatchObject({ code: 'bad-key' });
      await expect(rsaOaepDecrypt(bad, new Uint8Array(128).fill(1)), `field ${index}`).rejects.toBeInstanceOf(
        SmimeError,
      );
    }
  });
});

describe('RSA key size and exponent bounds', () => {
  it('a public key with e >= n or a modulus above 16384 bits is bad-key at once (no minutes-long modPow)', async () => {
    const n = parseRsaPrivateKeyPkcs1(rsaPkcs1).n;
    const hugeE = (1n << 80_000n) + 1n;
    const started = Date.now();
    await expect(rsaPkcs1v15Encrypt(seq(encodeInt(n), encodeInt(hugeE)), new Uint8Array(16))).rejects.toMatchObject({
      code: 'bad-key',
    });
    const hugeN = (1n << 40_000n) + 1n;
    await expect(
      rsaPkcs1v15Encrypt(seq(encodeInt(hugeN), encodeInt(65537n)), new Uint8Array(16)),
    ).rejects.toMatchObject({ code: 'bad-key' });
    await expect(rsaOaepEncrypt(seq(encodeInt(hugeN), encodeInt(65537n)), new Uint8Array(16))).rejects.toMatchObject({
      code: 'bad-key',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a private key with d >= n is bad-key', () => {
    const n = parseRsaPrivateKeyPkcs1(rsaPkcs1).n;
    expect(() => parseRsaPrivateKeyPkcs1(rsaWithField(3, encodeInt(n + 2n)))).toThrow(
      expect.objectContaining({ code: 'bad-key' }),
    );
  });
});

describe('password-based key derivation: iteration bounds and work budget', () => {
  it('the PKCS#12 KDF refuses counts that would run for minutes (SHA-1 > 1M, SHA-512 > 100k)', async () => {
    const started = Date.now();
    await expect(pkcs12Kdf('SHA-1', new Uint8Array(2), new Uint8Array(8), 1_000_001, 1, 24)).rejects.toMatchObject({
      code: 'unsupported-algorithm',
    });
    await expect(pkcs12Kdf('SHA-512', new Uint8Array(2), new Uint8Array(8), 100_001, 1, 24)).rejects.toMatchObject({
      code: 'unsupported-algorithm',
    });
    await expect(pkcs12Kdf('SHA-256', new Uint8Array(2), new Uint8Array(8), 2 ** 31, 3, 32)).rejects.toMatchObject({
      code: 'unsupported-algorithm',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('PBES1 and PKCS#12 PBE refuse more than 1M iterations without deriving', async () => {
    for (const oid of [OID.pbeSha1Des, OID.pkcs12Pbe3Des]) {
      const alg = derParse(seq(encodeOid(oid), seq(octets(new Uint8Array(8)), encodeInt(2_000_000))));
      const started = Date.now();
      await expect(pbeDecrypt(alg, new Uint8Array(16), pbePassword('pw'))).rejects.toMatchObject({
        code: 'unsupported-algorithm',
      });
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('a shared work budget stops a run of derivations before it does the work', async () => {
    const alg = derParse(seq(encodeOid(OID.pkcs12Pbe3Des), seq(octets(new Uint8Array(8)), encodeInt(50))));
    const pw = { ...pbePassword('pw'), budget: { remaining: 2_500 } };
    // Each derivation is 2 key blocks + 1 IV block of 50 SHA-1 steps (cost 450), charged at least 1,000 (the fixed
    // cost of a derivation): the third exceeds 2,500.
    for (let i = 0; i < 2; i++)
      await expect(pbeDecrypt(alg, new Uint8Array(16), pw)).rejects.toMatchObject({ code: 'decryption-failed' });
    const third = pbeDecrypt(alg, new Uint8Array(16), pw);
    await expect(third).rejects.toBeInstanceOf(LimitError);
    await expect(third).rejects.toMatchObject({ code: 'limit-exceeded', details: { limit: 'pbe-work' } });
  });

  it('thousands of cheap derivations (one iteration each) exhaust the budget: each costs at least its fixed part', async () => {
    const alg = derParse(seq(encodeOid(OID.pkcs12Pbe3Des), seq(octets(new Uint8Array(8)), encodeInt(1))));
    const pw = { ...pbePassword('pw'), budget: pbeWorkBudget() };
    let done = 0;
    const t0 = performance.now();
    const error = await (async () => {
      for (;;) {
        await pbeDecrypt(alg, new Uint8Array(16), pw).catch((e: unknown) => {
          if (e instanceof LimitError) throw e;
        });
        done++;
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'limit-exceeded', details: { limit: 'pbe-work' } });
    expect(done).toBe(PBE_WORK_BUDGET / 1_000);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('a PKCS#12 bag whose PBKDF2 work exceeds the per-file budget fails at once with limit-exceeded (not bad-password)', async () => {
    // PBES2: PBKDF2-HMAC-SHA-1 at 10M iterations with a 128-byte RC2 key = 7 PBKDF2 blocks = 70M HMACs.
    const pbes2 = seq(
      encodeOid(OID.pbes2),
      seq(
        seq(
          encodeOid(OID.pbkdf2),
          seq(octets(new Uint8Array(8)), encodeInt(10_000_000), encodeInt(128), seq(encodeOid(OID.hmacSha1), NULL)),
        ),
        seq(encodeOid(OID.rc2Cbc), seq(encodeInt(58), octets(new Uint8Array(8)))),
      ),
    );
    const shrouded = seq(pbes2, octets(new Uint8Array(16)));
    const bag = seq(encodeOid('1.2.840.113549.1.12.10.1.2'), ctx(0, shrouded));
    const safeContents = seq(bag);
    const authSafe = seq(seq(encodeOid('1.2.840.113549.1.7.1'), ctx(0, octets(safeContents))));
    const pfx = seq(encodeInt(3), seq(encodeOid('1.2.840.113549.1.7.1'), ctx(0, octets(authSafe))));
    const started = Date.now();
    // Hand-built without a MAC: refused as such by default (pkcs12-mac-missing), so the budget is tested past it.
    await expect(parsePkcs12(pfx, 'pw', { allowMissingMac: true })).rejects.toMatchObject({
      code: 'limit-exceeded',
      details: { limit: 'pbe-work' },
    });
    await expect(loadIdentity(pfx, 'pw', { allowMissingMac: true })).rejects.toBeInstanceOf(LimitError);
    // The same EncryptedPrivateKeyInfo handed to loadPrivateKey.
    await expect(loadPrivateKey(shrouded, 'pw')).rejects.toMatchObject({
      code: 'limit-exceeded',
      details: { limit: 'pbe-work' },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('key/certificate matching computes the public key from the private key', () => {
  beforeAll(() => {
    makeSelfSigned('review-ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    makeSelfSigned('review-ed', ['-algorithm', 'ED25519']);
    makeSelfSigned('review-rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
  });

  it('an EC private key carrying the certificate public key in SEC1 [1] does not match', async () => {
    const certKey = createPrivateKey(Buffer.from(readFixture('review-ec.key')));
    const jwk = certKey.export({ format: 'jwk' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const certPoint = Uint8Array.from([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
    // ECPrivateKey { 1, other's scalar, [1] the certificate's public key }.
    const sec1 = seq(
      encodeInt(1),
      octets(u8(Buffer.from(other.d!, 'base64url'))),
      ctx(1, tlv(0x03, Uint8Array.of(0), certPoint)),
    );
    const pkcs8 = seq(encodeInt(0), seq(encodeOid(OID.ecPublicKey), encodeOid(OID.p256)), octets(sec1));
    const cert = certDer('review-ec.crt');
    const key = await loadPrivateKey(pkcs8);
    expect(await keyMatchesCertificate(key, cert)).toBe(false);
    // The genuine key still matches.
    expect(await keyMatchesCertificate(await loadPrivateKey(readFixture('review-ec.key')), cert)).toBe(true);
  });

  it('an Ed25519 OneAsymmetricKey v2 carrying the certificate public key does not match', async () => {
    const certKey = createPrivateKey(Buffer.from(readFixture('review-ed.key')));
    const pub = Buffer.from(certKey.export({ format: 'jwk' }).x!, 'base64url');
    const seed = nodeRandom(32);
    const pkcs8 = seq(
      encodeInt(1),
      seq(encodeOid(OID.ed25519)),
      octets(octets(u8(seed))),
      tlv(0x81, Uint8Array.of(0), u8(pub)),
    );
    const cert = certDer('review-ed.crt');
    expect(await keyMatchesCertificate(await loadPrivateKey(pkcs8), cert)).toBe(false);
    expect(await keyMatchesCertificate(await loadPrivateKey(readFixture('review-ed.key')), cert)).toBe(true);
  });

  it('an RSA key whose p * q is not its modulus is bad-key', async () => {
    const n = parseRsaPrivateKeyPkcs1(rsaPkcs1);
    const bad = rsaWithField(4, encodeInt(n.p + 2n));
    await expect(keyMatchesCertificate(await loadPrivateKey(bad), certDer('review-rsa.crt'))).rejects.toMatchObject({
      code: 'bad-key',
    });
  });
});

describe('explicit EC domain parameters must be exactly a named curve', () => {
  const explicit = (): Uint8Array =>
    u8(openssl('ecparam', '-name', 'prime256v1', '-param_enc', 'explicit', '-outform', 'DER'));

  it('P-256 parameters map to P-256; another b, generator, order or cofactor is unsupported', () => {
    const good = explicit();
    expect(ecCurveOid(derParse(good))).toBe(OID.p256);
    const b = Buffer.from('5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b', 'hex');
    const gx = Buffer.from('6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296', 'hex');
    const order = Buffer.from('bce6faada7179e84f3b9cac2fc632551', 'hex');
    const mutate = (needle: Buffer): Uint8Array => {
      const out = good.slice();
      const at = Buffer.from(out).indexOf(needle);
      expect(at).toBeGreaterThan(0);
      out[at + needle.length - 1]! ^= 1;
      return out;
    };
    for (const bad of [mutate(b), mutate(gx), mutate(order)]) {
      expect(() => ecCurveOid(derParse(bad))).toThrow(expect.objectContaining({ code: 'unsupported-algorithm' }));
    }
    const cofactor4 = good.slice();
    expect(cofactor4[cofactor4.length - 1]).toBe(1);
    cofactor4[cofactor4.length - 1] = 4;
    expect(() => ecCurveOid(derParse(cofactor4))).toThrow(expect.objectContaining({ code: 'unsupported-algorithm' }));
    // Compressed base point (openssl -conv_form compressed) is accepted.
    const compressed = u8(
      openssl(
        'ecparam',
        '-name',
        'prime256v1',
        '-param_enc',
        'explicit',
        '-conv_form',
        'compressed',
        '-outform',
        'DER',
      ),
    );
    expect(ecCurveOid(derParse(compressed))).toBe(OID.p256);
  });
});

describe('loadIdentity: certificate selection', () => {
  it('an undecodable extra certificate before the matching one does not prevent loading', async () => {
    makeSelfSigned('review-id', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const keyDer = u8(openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'review-id.key', '-outform', 'DER'));
    const certBag = (der: Uint8Array): Uint8Array =>
      seq(
        encodeOid('1.2.840.113549.1.12.10.1.3'),
        ctx(0, seq(encodeOid('1.2.840.113549.1.9.22.1'), ctx(0, octets(der)))),
      );
    // A SEQUENCE of three elements passes the bag check but has no usable TBSCertificate.
    const junk = seq(seq(encodeInt(1)), seq(encodeOid('1.2.840.10045.4.3.2')), tlv(0x03, Uint8Array.of(0, 1)));
    const keyBag = seq(encodeOid('1.2.840.113549.1.12.10.1.1'), ctx(0, keyDer));
    const safeContents = seq(certBag(junk), certBag(certDer('review-id.crt')), keyBag);
    const authSafe = seq(seq(encodeOid('1.2.840.113549.1.7.1'), ctx(0, octets(safeContents))));
    const pfx = seq(encodeInt(3), seq(encodeOid('1.2.840.113549.1.7.1'), ctx(0, octets(authSafe))));
    const id = await loadIdentity(pfx, '', { allowMissingMac: true });
    expect(id.certificate).toEqual(certDer('review-id.crt'));
    expect(id.chain).toEqual([junk]);
  });
});

describe('CBC decryption by OID', () => {
  it('des-ede3-cbc refuses an 8-byte key instead of silently running single DES; des-cbc refuses 24 bytes', async () => {
    const iv = derParse(octets(new Uint8Array(8)));
    const single = desCbcEncrypt(new Uint8Array(8).fill(0x13), new Uint8Array(8), u8('secret'));
    await expect(decryptCbcByOid(OID.desEde3Cbc, iv, new Uint8Array(8).fill(0x13), single)).rejects.toMatchObject({
      code: 'bad-key-length',
    });
    await expect(decryptCbcByOid(OID.desCbc, iv, new Uint8Array(24), single)).rejects.toMatchObject({
      code: 'bad-key-length',
    });
    expect(await decryptCbcByOid(OID.desCbc, iv, new Uint8Array(8).fill(0x13), single)).toEqual(u8('secret'));
  });
});

describe('EC private keys naming two curves', () => {
  it('PKCS#8 with P-256 in the AlgorithmIdentifier but P-384 inside the ECPrivateKey is bad-key', async () => {
    const d = new Uint8Array(32).fill(1);
    const sec1 = seq(encodeInt(1), octets(d), ctx(0, encodeOid(OID.p384)));
    const pkcs8 = seq(encodeInt(0), seq(encodeOid(OID.ecPublicKey), encodeOid(OID.p256)), octets(sec1));
    await expect(loadPrivateKey(pkcs8)).rejects.toMatchObject({ code: 'bad-key' });
    // The same curve in both places is fine.
    const same = seq(
      encodeInt(0),
      seq(encodeOid(OID.ecPublicKey), encodeOid(OID.p256)),
      octets(seq(encodeInt(1), octets(d), ctx(0, encodeOid(OID.p256)))),
    );
    expect((await loadPrivateKey(same)).curve).toBe('P-256');
  });
});

describe('malformed keys and PKCS#12 files: only SmimeError, bounded time (property)', () => {
  const TIME_LIMIT_MS = 3_000;

  async function exercise(bytes: Uint8Array, password: string | undefined, cert: Uint8Array): Promise<void> {
    const key = await loadPrivateKey(bytes, password);
    await keyMatchesCertificate(key, cert);
    if (key.type === 'rsa' || key.type === 'rsa-pss') {
      await rsaPkcs1v15DecryptImplicit(key.pkcs8, new Uint8Array(key.bits >> 3).fill(3), { expectedLength: 16 });
      await rsaOaepDecrypt(key.pkcs8, new Uint8Array(key.bits >> 3).fill(3)).catch((e: unknown) => {
        if (!(e instanceof SmimeError)) throw e;
      });
    }
  }

  async function onlySmimeErrors(run: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    try {
      await run();
    } catch (e) {
      if (!(e instanceof SmimeError)) throw e;
    }
    expect(Date.now() - started).toBeLessThan(TIME_LIMIT_MS);
  }

  const mutation = (
    length: number,
  ): fc.Arbitrary<{ pos: number; value: number; mode: 'flip' | 'set' | 'truncate' | 'insert' | 'sign' }> =>
    fc.record({
      pos: fc.integer({ min: 0, max: length - 1 }),
      value: fc.integer({ min: 0, max: 255 }),
      mode: fc.constantFrom('flip' as const, 'set' as const, 'truncate' as const, 'insert' as const, 'sign' as const),
    });

  function mutate(bytes: Uint8Array, m: { pos: number; value: number; mode: string }): Uint8Array {
    switch (m.mode) {
      case 'truncate':
        return bytes.slice(0, m.pos);
      case 'insert':
        return Uint8Array.from([...bytes.subarray(0, m.pos), m.value, ...bytes.subarray(m.pos)]);
      case 'sign': {
        // Set the top bit of the byte after an INTEGER header: negative values.
        const out = bytes.slice();
        for (let i = m.pos; i + 2 < out.length; i++) {
          if (out[i] === 2 && out[i + 1]! < 0x80 && out[i + 1]! > 0) {
            out[i + 2]! |= 0x80;
            break;
          }
        }
        return out;
      }
      case 'set': {
        const out = bytes.slice();
        out[m.pos] = m.value;
        return out;
      }
      default: {
        const out = bytes.slice();
        out[m.pos]! ^= m.value || 1;
        return out;
      }
    }
  }

  it('key encodings: PKCS#8, PKCS#1, SEC1 with explicit parameters, OneAsymmetricKey v2, encrypted PKCS#8, PKCS#8 with attributes', async () => {
    makeSelfSigned('fuzz-rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    makeSelfSigned('fuzz-ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    makeSelfSigned('fuzz-ed', ['-algorithm', 'ED25519']);
    const rsaCert = certDer('fuzz-rsa.crt');
    const ecCert = certDer('fuzz-ec.crt');
    const edCert = certDer('fuzz-ed.crt');
    const rsaP8 = u8(openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'fuzz-rsa.key', '-outform', 'DER'));
    const rsaP1 = u8(openssl('rsa', '-in', 'fuzz-rsa.key', '-traditional', '-outform', 'DER'));
    const ecExplicit = u8(openssl('ec', '-in', 'fuzz-ec.key', '-param_enc', 'explicit', '-outform', 'DER'));
    const edKey = createPrivateKey(Buffer.from(readFixture('fuzz-ed.key')));
    const edPub = Buffer.from(edKey.export({ format: 'jwk' }).x!, 'base64url');
    const edSeed = Buffer.from(edKey.export({ format: 'jwk' }).d!, 'base64url');
    const edV2 = seq(
      encodeInt(1),
      seq(encodeOid(OID.ed25519)),
      octets(octets(u8(edSeed))),
      tlv(0x81, Uint8Array.of(0), u8(edPub)),
    );
    const encrypted = u8(
      openssl(
        'pkcs8',
        '-topk8',
        '-in',
        'fuzz-rsa.key',
        '-v2',
        'aes-128-cbc',
        '-iter',
        '1',
        '-passout',
        'pass:pw',
        '-outform',
        'DER',
      ),
    );
    const withAttributes = (() => {
      const n = derParse(rsaP8);
      const c = n.buf.subarray(n.contentStart, n.contentEnd);
      const attrs = ctx(0, seq(encodeOid('2.5.29.15'), tlv(0x31, tlv(0x03, Uint8Array.of(7, 0x80)))));
      return seq(c, attrs);
    })();
    const targets: [string, Uint8Array, string | undefined, Uint8Array][] = [
      ['rsa pkcs8', rsaP8, undefined, rsaCert],
      ['rsa pkcs1', rsaP1, undefined, rsaCert],
      ['ec sec1 explicit', ecExplicit, undefined, ecCert],
      ['ed25519 v2', edV2, undefined, edCert],
      ['encrypted pkcs8', encrypted, 'pw', rsaCert],
      ['pkcs8 with attributes', withAttributes, undefined, rsaCert],
    ];
    for (const [name, der, password, cert] of targets) {
      await exercise(der, password, cert); // the unmodified encoding works
      await fc.assert(
        fc.asyncProperty(mutation(der.length), async (m) =>
          onlySmimeErrors(() => exercise(mutate(der, m), password, cert)),
        ),
        { numRuns: 120, seed: 77, interruptAfterTimeLimit: 60_000 },
      );
      expect(name).toBeTruthy();
    }
  }, 240_000);

  it('a .p12 file (PBES2/AES, MAC) under random mutation', async () => {
    const p12 = u8(
      openssl(
        'pkcs12',
        '-export',
        '-inkey',
        'fuzz-ec.key',
        '-in',
        'fuzz-ec.crt',
        '-iter',
        '1',
        '-maciter',
        '-passout',
        'pass:pw',
      ),
    );
    const p12nomac = u8(
      openssl(
        'pkcs12',
        '-export',
        '-inkey',
        'fuzz-rsa.key',
        '-in',
        'fuzz-rsa.crt',
        '-iter',
        '1',
        '-nomac',
        '-passout',
        'pass:pw',
      ),
    );
    // The MAC-less file is read with allowMissingMac, so the mutations reach the bags behind the missing MAC.
    const options = { allowMissingMac: true };
    for (const target of [p12, p12nomac]) {
      await loadIdentity(target, 'pw', options);
      await fc.assert(
        fc.asyncProperty(mutation(target.length), async (m) =>
          onlySmimeErrors(() => loadIdentity(mutate(target, m), 'pw', options)),
        ),
        { numRuns: 150, seed: 99, interruptAfterTimeLimit: 60_000 },
      );
    }
  }, 240_000);
});
