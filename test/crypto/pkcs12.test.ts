import { decodePem } from '../../src/util/pem.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIdentity } from '../../src/crypto/identity.js';
import { keyMatchesCertificate } from '../../src/crypto/key-match.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { parsePkcs12 } from '../../src/crypto/pkcs12.js';
import { PasswordError, SmimeError } from '../../src/errors.js';
import { bytesEqual, toHex } from '../../src/util/bytes.js';
import { describeVectors, readShared } from '../helpers/vectors.js';
import { certDer, makeChain, makeSelfSigned, openssl, readFixture } from './openssl-fixtures.js';
import { derParse, derChildren, tlv, seq, octets, NULL, encodeOid, encodeInt } from '../../src/asn1/index.js';

let leafCert: Uint8Array;
let caCert: Uint8Array;

function exportP12(out: string, password: string, ...extra: string[]): Uint8Array {
  openssl(
    'pkcs12',
    '-export',
    '-inkey',
    'leaf.key',
    '-in',
    'leaf.crt',
    '-certfile',
    'leaf-ca.crt',
    '-name',
    'Leaf Ünicode',
    '-passout',
    `pass:${password}`,
    ...extra,
    '-out',
    out,
  );
  return readFixture(out);
}

beforeAll(() => {
  makeChain('leaf');
  makeSelfSigned('ecleaf', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
  leafCert = certDer('leaf.crt');
  caCert = certDer('leaf-ca.crt');
});

describe('loadIdentity: PKCS#12 files made by openssl pkcs12 -export', () => {
  const variants: [string, string, string[]][] = [
    ['OpenSSL 3 default (PBES2/AES-256-CBC, HMAC-SHA-256)', 'pässword', []],
    ['-legacy (RC2-40 certs, 3DES key, SHA-1 MAC)', 'pässword', ['-legacy']],
    ['3DES for both, SHA-1 MAC', 'pw', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
    ['RC2-128 certs', 'pw', ['-certpbe', 'PBE-SHA1-RC2-128', '-provider', 'legacy', '-provider', 'default']],
    ['SHA-512 MAC, single iteration', 'pw', ['-macalg', 'sha512', '-iter', '1', '-maciter']],
    ['PBES2 AES-128 with explicit -keypbe/-certpbe', 'pw', ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-128-CBC']],
    ['no MAC', 'pw', ['-nomac']],
    ['no encryption (keyBag)', 'pw', ['-keypbe', 'NONE', '-certpbe', 'NONE']],
    ['empty password, default', '', []],
    ['empty password, -legacy', '', ['-legacy']],
  ];
  variants.forEach(([name, password, args], i) => {
    it(name, async () => {
      const p12 = exportP12(`v${i}.p12`, password, ...args);
      // -nomac files are refused by default (pkcs12-mac-missing: test/crypto/pkcs12-mac.test.ts).
      const options = { allowMissingMac: args.includes('-nomac') };
      const id = await loadIdentity(p12, password, options);
      expect(toHex(id.certificate)).toBe(toHex(leafCert));
      expect(id.chain.map(toHex)).toEqual([toHex(caCert)]);
      expect(id.friendlyName).toBe('Leaf Ünicode');
      expect(id.keyType).toBe('rsa');
      expect(await keyMatchesCertificate(id.privateKey, id.certificate)).toBe(true);
      const ref = await loadPrivateKey(readFixture('leaf.key'));
      expect(toHex(id.privateKey)).toBe(toHex(ref.pkcs8));
      if (password !== '') {
        await expect(loadIdentity(p12, password + 'x', options)).rejects.toBeInstanceOf(PasswordError);
        await expect(loadIdentity(p12, '', options)).rejects.toMatchObject({ code: 'bad-password' });
      } else {
        await expect(loadIdentity(p12, 'x', options)).rejects.toMatchObject({ code: 'bad-password' });
      }
    });
  });

  it('EC P-384 identity', async () => {
    openssl('pkcs12', '-export', '-inkey', 'ecleaf.key', '-in', 'ecleaf.crt', '-passout', 'pass:pw', '-out', 'ec.p12');
    const id = await loadIdentity(readFixture('ec.p12'), 'pw');
    expect(id.keyType).toBe('ec');
    expect(id.curve).toBe('P-384');
    expect(id.chain).toEqual([]);
    expect(id.friendlyName).toBeUndefined();
  });

  it('certificate picked by public key when there are no localKeyId attributes (hand-built PFX, CA first)', async () => {
    const key = await loadPrivateKey(readFixture('leaf.key'));
    const ctx0 = (content: Uint8Array): Uint8Array => tlv(0xa0, content);
    const certBag = (der: Uint8Array): Uint8Array =>
      seq(encodeOid('1.2.840.113549.1.12.10.1.3'), ctx0(seq(encodeOid('1.2.840.113549.1.9.22.1'), ctx0(octets(der)))));
    const keyBag = seq(encodeOid('1.2.840.113549.1.12.10.1.1'), ctx0(key.pkcs8));
    const safeContents = seq(certBag(caCert), certBag(leafCert), keyBag);
    const data = (content: Uint8Array): Uint8Array => seq(encodeOid('1.2.840.113549.1.7.1'), ctx0(octets(content)));
    const pfx = seq(encodeInt(3), data(seq(data(safeContents))));
    const id = await loadIdentity(pfx, 'anything', { allowMissingMac: true });
    expect(toHex(id.certificate)).toBe(toHex(leafCert));
    expect(id.chain.map(toHex)).toEqual([toHex(caCert)]);
    expect((await parsePkcs12(pfx, '', { allowMissingMac: true })).macVerified).toBe(false);
  });

  it('BER (indefinite lengths, constructed OCTET STRINGs) as Java/Windows write it', async () => {
    const der = exportP12('ber-src.p12', 'pw', '-legacy');
    // Re-encode every constructed element with indefinite length and split OCTET STRINGs
    // into 7-byte chunks; content octets (and so the MAC) stay the same.
    const toBer = (bytes: Uint8Array, node = derParse(bytes)): Uint8Array => {
      if (node.constructed) {
        const id = bytes[node.start]!;
        const kids = derChildren(node).map((k) => toBer(bytes, k));
        return Uint8Array.from([id, 0x80, ...kids.flatMap((k) => [...k]), 0, 0]);
      }
      if (node.cls === 0 && node.tag === 4 && node.contentEnd - node.contentStart > 7) {
        const c = bytes.subarray(node.contentStart, node.contentEnd);
        const chunks: number[] = [];
        for (let i = 0; i < c.length; i += 7) chunks.push(...octets(c.subarray(i, i + 7)));
        return Uint8Array.from([0x24, 0x80, ...chunks, 0, 0]);
      }
      return bytes.subarray(node.start, node.end);
    };
    const ber = toBer(der);
    expect(ber.length).toBeGreaterThan(der.length);
    const id = await loadIdentity(ber, 'pw');
    expect(toHex(id.certificate)).toBe(toHex(leafCert));
    await expect(loadIdentity(ber, 'px')).rejects.toMatchObject({ code: 'bad-password' });
  });

  it('PBMAC1 (RFC 9579) integrity, checked against node:crypto', async () => {
    const { pbkdf2Sync, createHmac } = await import('node:crypto');
    const key = await loadPrivateKey(readFixture('leaf.key'));
    const ctx0 = (content: Uint8Array): Uint8Array => tlv(0xa0, content);
    const keyBag = seq(encodeOid('1.2.840.113549.1.12.10.1.1'), ctx0(key.pkcs8));
    const certBag = seq(
      encodeOid('1.2.840.113549.1.12.10.1.3'),
      ctx0(seq(encodeOid('1.2.840.113549.1.9.22.1'), ctx0(octets(leafCert)))),
    );
    const data = (content: Uint8Array): Uint8Array => seq(encodeOid('1.2.840.113549.1.7.1'), ctx0(octets(content)));
    const authSafe = seq(data(seq(certBag, keyBag)));
    const salt = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const macKey = pbkdf2Sync('pässword', salt, 1000, 32, 'sha256');
    const mac = createHmac('sha512', macKey).update(authSafe).digest();
    const hmacAlg = (oid: string): Uint8Array => seq(encodeOid(oid), NULL);
    const pbmac1 = seq(
      encodeOid('1.2.840.113549.1.5.14'),
      seq(
        seq(
          encodeOid('1.2.840.113549.1.5.12'),
          seq(octets(salt), encodeInt(1000), encodeInt(32), hmacAlg('1.2.840.113549.2.9')),
        ),
        hmacAlg('1.2.840.113549.2.11'),
      ),
    );
    const macData = seq(seq(pbmac1, octets(new Uint8Array(mac))), octets(Uint8Array.of(0)), encodeInt(1));
    const pfx = seq(encodeInt(3), data(authSafe), macData);
    const id = await loadIdentity(pfx, 'pässword');
    expect(toHex(id.certificate)).toBe(toHex(leafCert));
    expect((await parsePkcs12(pfx, 'pässword')).macVerified).toBe(true);
    await expect(loadIdentity(pfx, 'password')).rejects.toMatchObject({ code: 'bad-password' });
  });

  it('files without key or without certificate give typed errors', async () => {
    openssl('pkcs12', '-export', '-nokeys', '-in', 'leaf.crt', '-passout', 'pass:pw', '-out', 'nokey.p12');
    openssl('pkcs12', '-export', '-nocerts', '-inkey', 'leaf.key', '-passout', 'pass:pw', '-out', 'nocert.p12');
    await expect(loadIdentity(readFixture('nokey.p12'), 'pw')).rejects.toMatchObject({ code: 'no-private-key' });
    await expect(loadPrivateKey(readFixture('nokey.p12'), 'pw')).rejects.toThrow(/loadIdentity/);
    await expect(loadIdentity(readFixture('nocert.p12'), 'pw')).rejects.toMatchObject({ code: 'certificate-missing' });
    const contents = await parsePkcs12(readFixture('nokey.p12'), 'pw');
    expect(contents.certificates.length).toBe(1);
    expect(contents.macVerified).toBe(true);
  });

  it('random corruptions of a .p12 give a SmimeError, never another exception', async () => {
    const p12 = exportP12('fuzz.p12', 'pw', '-legacy', '-noiter', '-nomaciter');
    const p12nomac = exportP12('fuzz-nomac.p12', 'pw', '-legacy', '-noiter', '-nomac');
    const p12aes = exportP12('fuzz-aes.p12', 'pw', '-iter', '1', '-nomac');
    for (const target of [p12, p12nomac, p12aes]) {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: target.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          fc.constantFrom('flip', 'truncate', 'insert'),
          async (pos, value, mode) => {
            let bad: Uint8Array;
            if (mode === 'truncate') bad = target.slice(0, pos);
            else if (mode === 'insert')
              bad = Uint8Array.from([...target.subarray(0, pos), value, ...target.subarray(pos)]);
            else {
              bad = target.slice();
              bad[pos]! ^= value;
            }
            try {
              // allowMissingMac: the corruptions of the MAC-less files must reach the bags.
              await loadIdentity(bad, 'pw', { allowMissingMac: true });
            } catch (e) {
              if (!(e instanceof SmimeError)) throw e;
            }
          },
        ),
        { numRuns: 150, seed: 1234 },
      );
    }
  }, 120_000);
});

describeVectors('loadIdentity: shared vectors', () => {
  it('MimeKit legacy .pfx (RC2-40 certificates, 3DES key, SHA-1 MAC)', async () => {
    const rsa = await loadIdentity(readShared('mimekit', 'rsa', 'smime.pfx'), 'no.secret');
    expect(rsa.keyType).toBe('rsa');
    expect(rsa.bits).toBe(4096);
    expect(rsa.chain.length).toBe(3);
    const pkcs1 = await loadPrivateKey(readShared('mimekit', 'rsa', 'smime.key'));
    expect(await keyMatchesCertificate(pkcs1, rsa.certificate)).toBe(true);

    const nochain = await loadIdentity(readShared('mimekit', 'nochain', 'smime.pfx'), 'no.secret');
    expect(nochain.chain).toEqual([]);
    const dns = await loadIdentity(readShared('mimekit', 'dnsnames', 'smime.pfx'), 'no.secret');
    expect(
      await keyMatchesCertificate(
        await loadPrivateKey(readShared('mimekit', 'dnsnames', 'smime.key')),
        dns.certificate,
      ),
    ).toBe(true);

    for (const name of ['certificate-authority', 'intermediate1', 'intermediate2']) {
      const id = await loadIdentity(readShared('mimekit', `${name}.pfx`), 'no.secret');
      expect(
        await keyMatchesCertificate(await loadPrivateKey(readShared('mimekit', `${name}.key`)), id.certificate),
        name,
      ).toBe(true);
    }
    await expect(loadIdentity(readShared('mimekit', 'rsa', 'smime.pfx'), 'wrong')).rejects.toMatchObject({
      code: 'bad-password',
    });
  });

  it('MimeKit EC P-384 with explicit curve parameters; DSA is unsupported-algorithm', async () => {
    const ec = await loadIdentity(readShared('mimekit', 'ec', 'smime.pfx'), 'no.secret');
    expect(ec.keyType).toBe('ec');
    expect(ec.curve).toBe('P-384');
    await crypto.subtle.importKey(
      'pkcs8',
      ec.privateKey.slice().buffer,
      { name: 'ECDSA', namedCurve: 'P-384' },
      false,
      ['sign'],
    );
    await expect(loadIdentity(readShared('mimekit', 'dsa', 'smime.pfx'), 'no.secret')).rejects.toMatchObject({
      code: 'unsupported-algorithm',
    });
  });

  it('Bouncy Castle johndoe.p12: empty password, RC2-40', async () => {
    const id = await loadIdentity(readShared('bouncycastle', 'bc-java-mail-smime', 'johndoe.p12'), '');
    expect(id.keyType).toBe('rsa');
    expect(id.friendlyName).toBe('John Doe');
    await expect(
      loadIdentity(readShared('bouncycastle', 'bc-java-mail-smime', 'johndoe.p12'), 'x'),
    ).rejects.toMatchObject({ code: 'bad-password' });
  });

  it('Thunderbird/NSS PKCS#12: PBES2/AES with HMAC-SHA-256 MAC, and legacy 3DES', async () => {
    const testCa = decodePem(readShared('thunderbird', 'smime', 'TestCA.pem'))[0]!.der;
    for (const name of ['Alice', 'Bob', 'Dave', 'Eve']) {
      const id = await loadIdentity(readShared('thunderbird', 'smime', `${name}.p12`), 'nss');
      expect(id.keyType, name).toBe('rsa');
      expect(
        id.chain.some((c) => bytesEqual(c, testCa)),
        name,
      ).toBe(true);
    }
    const aliceEc = await loadIdentity(readShared('thunderbird', 'smime', 'Alice-ec.p12'), 'nss');
    expect(aliceEc.curve).toBe('P-384');
    expect(aliceEc.chain.length).toBe(1);
    for (const name of ['Fran', 'Fran-ec']) {
      const id = await loadIdentity(readShared('thunderbird', 'smime-interop', `${name}.p12`), 'nss');
      expect(await keyMatchesCertificate(id.privateKey, id.certificate)).toBe(true);
    }
    await expect(loadIdentity(readShared('thunderbird', 'smime', 'Bob.p12'), 'NSS')).rejects.toMatchObject({
      code: 'bad-password',
    });
  });

  it('notmuch PEM-armoured PKCS#12 (gpgsm export), empty password', async () => {
    const id = await loadIdentity(readShared('notmuch', 'smime', 'bob.p12'), '');
    expect(id.keyType).toBe('rsa');
    expect(await keyMatchesCertificate(id.privateKey, id.certificate)).toBe(true);
  });
});
