import { execFileSync } from 'node:child_process';
import { decodePem } from '../../src/util/pem.js';
import { generateKeyPairSync, randomBytes as nodeRandom } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertKeyMatchesCertificate, keyMatchesCertificate } from '../../src/crypto/key-match.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { derParse } from '../../src/asn1/index.js';
import { AlgorithmError, PasswordError, SmimeError } from '../../src/errors.js';
import { bytesEqual, toHex } from '../../src/util/bytes.js';
import { describeVectors, readShared } from '../helpers/vectors.js';
import { certDer, fixturePath, makeSelfSigned, openssl, readFixture } from './openssl-fixtures.js';

const u8 = (b: Buffer | string): Uint8Array =>
  typeof b === 'string' ? new TextEncoder().encode(b) : new Uint8Array(b);

beforeAll(() => {
  makeSelfSigned('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
  makeSelfSigned('ec256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  makeSelfSigned('ec521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']);
  makeSelfSigned('ed25519', ['-algorithm', 'ED25519']);
  makeSelfSigned('other', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
  // Encodings of the RSA key.
  openssl('pkey', '-in', 'rsa.key', '-outform', 'DER', '-out', 'rsa.p8.der');
  openssl('rsa', '-in', 'rsa.key', '-traditional', '-out', 'rsa.pkcs1.pem');
  openssl('rsa', '-in', 'rsa.key', '-traditional', '-outform', 'DER', '-out', 'rsa.pkcs1.der');
  openssl('rsa', '-in', 'rsa.key', '-traditional', '-aes256', '-passout', 'pass:secret', '-out', 'rsa.legacy-enc.pem');
  // SEC1 EC keys, named and explicit parameters.
  openssl('ec', '-in', 'ec256.key', '-out', 'ec256.sec1.pem');
  openssl('ec', '-in', 'ec256.key', '-param_enc', 'explicit', '-out', 'ec256.explicit.sec1.pem');
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'ec256.explicit.sec1.pem', '-out', 'ec256.explicit.p8.pem');
  openssl('ec', '-in', 'ec256.key', '-no_public', '-outform', 'DER', '-out', 'ec256.nopub.sec1.der');
});

describe('loadPrivateKey: encodings', () => {
  it('PKCS#8 PEM and DER, PKCS#1 PEM and DER give the same PKCS#8', async () => {
    const ref = await loadPrivateKey(readFixture('rsa.key'));
    expect(ref.type).toBe('rsa');
    expect(ref.bits).toBe(2048);
    for (const f of ['rsa.p8.der', 'rsa.pkcs1.pem', 'rsa.pkcs1.der']) {
      const k = await loadPrivateKey(readFixture(f));
      expect(toHex(k.pkcs8), f).toBe(toHex(ref.pkcs8));
    }
    expect(await keyMatchesCertificate(ref, certDer('rsa.crt'))).toBe(true);
  });

  it('SEC1 EC keys (named, explicit parameters, without public key) normalize to named-curve PKCS#8', async () => {
    const cert = certDer('ec256.crt');
    for (const f of [
      'ec256.key',
      'ec256.sec1.pem',
      'ec256.explicit.sec1.pem',
      'ec256.explicit.p8.pem',
      'ec256.nopub.sec1.der',
    ]) {
      const k = await loadPrivateKey(readFixture(f));
      expect(k.type, f).toBe('ec');
      expect(k.curve, f).toBe('P-256');
      expect(await keyMatchesCertificate(k, cert), f).toBe(true);
      // WebCrypto accepts the normalized key.
      await crypto.subtle.importKey('pkcs8', k.pkcs8.slice().buffer, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
      ]);
    }
    const p521 = await loadPrivateKey(readFixture('ec521.key'));
    expect(p521.curve).toBe('P-521');
    expect(await keyMatchesCertificate(p521, certDer('ec521.crt'))).toBe(true);
  });

  it('Ed25519 keys', async () => {
    const k = await loadPrivateKey(readFixture('ed25519.key'));
    expect(k.type).toBe('ed25519');
    expect(await keyMatchesCertificate(k, certDer('ed25519.crt'))).toBe(true);
    expect(await keyMatchesCertificate(k, certDer('rsa.crt'))).toBe(false);
  });

  it('X25519 key without stored public key (node:crypto PKCS#8)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const k = await loadPrivateKey(u8(privateKey.export({ type: 'pkcs8', format: 'der' })));
    expect(k.type).toBe('x25519');
    const { privateKeyFingerprint } = await import('../../src/crypto/key-match.js');
    const fp = await privateKeyFingerprint(k);
    const spki = u8(publicKey.export({ type: 'spki', format: 'der' }));
    expect(toHex(fp.key)).toBe(toHex(spki.subarray(spki.length - 32)));
  });

  it('OneAsymmetricKey v2 with a stored public key (Ed25519)', async () => {
    const {
      tlv: derEncode,
      derParse: parse,
      derSequence: seq,
      derBytes: bytes,
      seq: mkSeq,
      encodeInt: derEncodeInt,
    } = await import('../../src/asn1/index.js');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const v1 = u8(privateKey.export({ type: 'pkcs8', format: 'der' }));
    const spki = u8(publicKey.export({ type: 'spki', format: 'der' }));
    const raw = spki.subarray(spki.length - 32);
    const kids = seq(parse(v1), 'PrivateKeyInfo');
    const v2 = mkSeq(derEncodeInt(1), bytes(kids[1]!), bytes(kids[2]!), derEncode(0x81, Uint8Array.from([0, ...raw])));
    const k = await loadPrivateKey(v2);
    expect(k.type).toBe('ed25519');
    const { privateKeyFingerprint } = await import('../../src/crypto/key-match.js');
    expect(toHex((await privateKeyFingerprint(k)).key)).toBe(toHex(raw));
  });

  it('key-mismatch: assertKeyMatchesCertificate', async () => {
    const k = await loadPrivateKey(readFixture('rsa.key'));
    await expect(assertKeyMatchesCertificate(k, certDer('other.crt'))).rejects.toMatchObject({ code: 'key-mismatch' });
    await expect(assertKeyMatchesCertificate(k, certDer('ec256.crt'))).rejects.toMatchObject({ code: 'key-mismatch' });
    await assertKeyMatchesCertificate(k.pkcs8, certDer('rsa.crt'));
  });

  it('PKCS#8 attributes are dropped in the normalized key', async () => {
    const {
      tlv: derEncode,
      derParse: parse,
      derSequence: seq,
      derBytes: bytes,
      seq: mkSeq,
    } = await import('../../src/asn1/index.js');
    const ref = await loadPrivateKey(readFixture('rsa.key'));
    const kids = seq(parse(ref.pkcs8), 'PrivateKeyInfo');
    // [0] { Attribute { 2.5.29.15 (keyUsage), SET { BIT STRING } } }
    const attrs = derEncode(0xa0, mkSeq(Uint8Array.of(6, 3, 0x55, 0x1d, 0x0f), Uint8Array.of(0x31, 4, 3, 2, 7, 0x80)));
    const withAttrs = mkSeq(...kids.map((k) => bytes(k)), attrs);
    const k = await loadPrivateKey(withAttrs);
    expect(toHex(k.pkcs8)).toBe(toHex(ref.pkcs8));
  });

  it('PEM with a certificate before the key picks the key', async () => {
    const text = new TextDecoder().decode(readFixture('rsa.crt')) + new TextDecoder().decode(readFixture('rsa.key'));
    const k = await loadPrivateKey(u8(text));
    expect(k.type).toBe('rsa');
    expect(decodePem(text).map((b) => b.label)).toEqual(['CERTIFICATE', 'PRIVATE KEY']);
  });
});

describe('loadPrivateKey: encrypted PKCS#8', () => {
  const variants: [string, string[]][] = [
    ['pbes2-aes256-sha256', ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256']],
    ['pbes2-aes128-sha1', ['-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA1']],
    ['pbes2-aes192-sha512', ['-v2', 'aes-192-cbc', '-v2prf', 'hmacWithSHA512']],
    ['pbes2-3des', ['-v2', 'des3']],
    ['pkcs12-3des', ['-v1', 'PBE-SHA1-3DES']],
    ['pkcs12-2des', ['-v1', 'PBE-SHA1-2DES']],
    ['pkcs12-rc2-128', ['-v1', 'PBE-SHA1-RC2-128', '-provider', 'legacy', '-provider', 'default']],
    ['pkcs12-rc2-40', ['-v1', 'PBE-SHA1-RC2-40', '-provider', 'legacy', '-provider', 'default']],
    ['pbes1-sha1-des', ['-v1', 'PBE-SHA1-DES', '-provider', 'legacy', '-provider', 'default']],
    ['pbes2-rc2', ['-v2', 'rc2-cbc', '-provider', 'legacy', '-provider', 'default']],
  ];
  for (const [name, args] of variants) {
    it(name, async () => {
      openssl('pkcs8', '-topk8', '-in', 'rsa.key', '-passout', 'pass:pässword', ...args, '-out', `${name}.pem`);
      const ref = await loadPrivateKey(readFixture('rsa.key'));
      const k = await loadPrivateKey(readFixture(`${name}.pem`), 'pässword');
      expect(toHex(k.pkcs8)).toBe(toHex(ref.pkcs8));
      await expect(loadPrivateKey(readFixture(`${name}.pem`), 'wrong')).rejects.toBeInstanceOf(PasswordError);
    });
  }

  it('DER encrypted PKCS#8 and missing password', async () => {
    openssl('pkcs8', '-topk8', '-in', 'ec256.key', '-passout', 'pass:pw', '-outform', 'DER', '-out', 'ec.enc.der');
    const k = await loadPrivateKey(readFixture('ec.enc.der'), 'pw');
    expect(k.curve).toBe('P-256');
    await expect(loadPrivateKey(readFixture('ec.enc.der'))).rejects.toMatchObject({ code: 'password-required' });
    await expect(loadPrivateKey(readFixture('ec.enc.der'), 'nope')).rejects.toMatchObject({ code: 'bad-password' });
  });

  it('legacy OpenSSL-encrypted PEM fixture decrypts to the same key as its PKCS#8 twin', async () => {
    const legacy = await loadPrivateKey(readFixture('rsa.legacy-enc.pem'), 'secret');
    expect(legacy.pkcs8).toEqual((await loadPrivateKey(readFixture('rsa.p8.der'))).pkcs8);
  });
  it('legacy PEM with an unknown DEK-Info cipher is unsupported-algorithm', async () => {
    const pem = u8(
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: CAMELLIA-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n',
    );
    await expect(loadPrivateKey(pem, 'x')).rejects.toBeInstanceOf(AlgorithmError);
  });
});

describe('loadPrivateKey: bad input', () => {
  it('garbage, truncation and random corruption give SmimeError only', async () => {
    const der = readFixture('rsa.p8.der');
    await expect(loadPrivateKey(new Uint8Array(0))).rejects.toBeInstanceOf(SmimeError);
    await expect(loadPrivateKey(u8('hello'))).rejects.toBeInstanceOf(SmimeError);
    await expect(
      loadPrivateKey(u8('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')),
    ).rejects.toMatchObject({ code: 'no-private-key' });
    await expect(
      loadPrivateKey(u8('-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n')),
    ).rejects.toBeInstanceOf(SmimeError);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: der.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (pos, xor, truncate) => {
          const bad = truncate ? der.slice(0, pos) : der.slice();
          if (!truncate) bad[pos]! ^= xor;
          try {
            await loadPrivateKey(bad);
          } catch (e) {
            if (!(e instanceof SmimeError)) throw e;
          }
        },
      ),
      { numRuns: 300, seed: 4242 },
    );
  });

  it('DER reader: indefinite lengths and limits', () => {
    const ber = Uint8Array.from([0x30, 0x80, 0x04, 0x01, 0x41, 0x00, 0x00]);
    const node = derParse(ber);
    expect(node.indefinite).toBe(true);
    expect(() => derParse(Uint8Array.from([0x30, 0x05, 0x04]))).toThrow(SmimeError);
    expect(() => derParse(Uint8Array.from([0x30, 0x80, 0x04, 0x01]))).toThrow(SmimeError);
    let deep = Uint8Array.from([0x05, 0x00]);
    for (let i = 0; i < 100; i++) deep = Uint8Array.from([0x30, 0x80, ...deep, 0, 0]);
    expect(() => derParse(deep)).toThrow(SmimeError);
  });
});

describeVectors('loadPrivateKey: shared vectors', () => {
  it('openssl smime-certs: RSA and P-256 load and match their certificates; DSA, X9.42 DH and K-283 are unsupported-algorithm', async () => {
    for (const f of ['smrsa1.pem', 'smrsa2.pem', 'smrsa3.pem', 'smec1.pem', 'smec3.pem']) {
      const pem = readShared('openssl', 'smime-certs', f);
      const key = await loadPrivateKey(pem);
      const cert = decodePem(pem).find((b) => b.label === 'CERTIFICATE')!.der;
      expect(await keyMatchesCertificate(key, cert), f).toBe(true);
    }
    for (const f of ['smdsa1.pem', 'smdsa2.pem', 'smdsa3.pem', 'smdh.pem', 'smec2.pem' /* sect283k1 */]) {
      await expect(loadPrivateKey(readShared('openssl', 'smime-certs', f)), f).rejects.toMatchObject({
        code: 'unsupported-algorithm',
      });
    }
    await expect(loadPrivateKey(readShared('openssl', 'smime-certs', 'smdsap.pem'))).rejects.toMatchObject({
      code: 'no-private-key',
    });
  });

  it('RFC 4134 *.pri PKCS#8 keys: RSA keys match their certificates, DSA keys are unsupported', async () => {
    const pairs: [string, string][] = [
      ['AlicePrivRSASign.pri', 'AliceRSASignByCarl.cer'],
      ['BobPrivRSAEncrypt.pri', 'BobRSASignByCarl.cer'],
      ['CarlPrivRSASign.pri', 'CarlRSASelf.cer'],
      ['DianePrivRSASignEncrypt.pri', 'DianeRSASignByCarl.cer'],
    ];
    for (const [keyFile, certFile] of pairs) {
      const key = await loadPrivateKey(readShared('rfc4134', keyFile));
      expect(key.bits).toBe(1024);
      expect(await keyMatchesCertificate(key, readShared('rfc4134', certFile)), keyFile).toBe(true);
    }
    expect(
      await keyMatchesCertificate(
        await loadPrivateKey(readShared('rfc4134', 'BobPrivRSAEncrypt.pri')),
        readShared('rfc4134', 'AliceRSASignByCarl.cer'),
      ),
    ).toBe(false);
    for (const f of ['AlicePrivDSSSign.pri', 'CarlPrivDSSSign.pri', 'DianePrivDSSSign.pri']) {
      await expect(loadPrivateKey(readShared('rfc4134', f))).rejects.toMatchObject({ code: 'unsupported-algorithm' });
    }
  });

  it('PKCS#1 keys from MimeKit, Bouncy Castle and pyca PKCS#8', async () => {
    for (const parts of [
      ['mimekit', 'rsa', 'smime.key'],
      ['mimekit', 'certificate-authority.key'],
      ['bouncycastle', 'bc-java-mail-smime', 'key.pem'],
      ['cryptography', 'x509-custom-ca', 'rsa_key.pem'],
    ]) {
      const key = await loadPrivateKey(readShared(...parts));
      expect(key.type).toBe('rsa');
    }
    const ca = await loadPrivateKey(readShared('cryptography', 'x509-custom-ca', 'rsa_key.pem'));
    const caCert = decodePem(readShared('cryptography', 'x509-custom-ca', 'rsa_ca.pem'))[0]!.der;
    expect(await keyMatchesCertificate(ca, caCert)).toBe(true);
    const bc = await loadPrivateKey(readShared('bouncycastle', 'bc-java-mail-smime', 'key.pem'));
    const bcCert = decodePem(readShared('bouncycastle', 'bc-java-mail-smime', 'cert.pem'))[0]!.der;
    expect(await keyMatchesCertificate(bc, bcCert)).toBe(true);
  });

  it('RFC 9216 Alice: PEM with certificate followed by PKCS#8 key', async () => {
    const pem = readShared('rfc9216', 'alice@smime.example.sig.pem');
    const key = await loadPrivateKey(pem);
    expect(await keyMatchesCertificate(key, decodePem(pem)[0]!.der)).toBe(true);
    // Her PKCS#8 carries a [0] attribute (RFC 9216 §4), which normalization drops.
    const original = decodePem(pem).find((b) => b.label === 'PRIVATE KEY')!.der;
    expect(bytesEqual(key.pkcs8, original)).toBe(false);
    expect(bytesEqual(key.pkcs8.subarray(4, 1217), original.subarray(4, 1217))).toBe(true);
  });
});

void nodeRandom;
void fixturePath;

describe('legacy OpenSSL-encrypted PEM (Proc-Type: 4,ENCRYPTED)', () => {
  for (const cipher of ['-aes256', '-aes128', '-des3']) {
    it(`reads a traditional RSA key encrypted with ${cipher}, and rejects a wrong password`, async () => {
      const plain = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], {
        encoding: 'utf8',
      });
      const legacy = execFileSync('openssl', ['rsa', cipher, '-traditional', '-passout', 'pass:s3cret'], {
        input: plain,
        encoding: 'utf8',
      });
      expect(legacy).toContain('Proc-Type: 4,ENCRYPTED');
      const key = await loadPrivateKey(new TextEncoder().encode(legacy), 's3cret');
      const expected = execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-outform', 'DER'], { input: plain });
      expect(Buffer.from(key.pkcs8).equals(expected)).toBe(true);
      await expect(loadPrivateKey(new TextEncoder().encode(legacy), 'wrong')).rejects.toMatchObject({
        code: 'bad-password',
      });
      await expect(loadPrivateKey(new TextEncoder().encode(legacy))).rejects.toMatchObject({
        code: 'password-required',
      });
    });
  }
});
