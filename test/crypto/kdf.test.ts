import { execFileSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes as nodeRandom } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hkdf, implicitRejectionPrf, pbkdf2, pkcs12Kdf, pkcs12PasswordBytes, x963Kdf } from '../../src/crypto/kdf.js';
import type { KdfHash } from '../../src/crypto/kdf.js';
import { toHex } from '../../src/util/bytes.js';

function opensslPkcs12Kdf(
  hash: string,
  pass: Uint8Array,
  salt: Uint8Array,
  iter: number,
  id: number,
  len: number,
): string {
  const out = execFileSync('openssl', [
    'kdf',
    '-keylen',
    String(len),
    '-kdfopt',
    `digest:${hash}`,
    '-kdfopt',
    `hexpass:${toHex(pass)}`,
    '-kdfopt',
    `hexsalt:${toHex(salt)}`,
    '-kdfopt',
    `iter:${iter}`,
    '-kdfopt',
    `id:${id}`,
    'PKCS12KDF',
  ]).toString();
  return out.trim().replace(/:/g, '').toLowerCase();
}

describe('PKCS#12 KDF (RFC 7292 App. B)', () => {
  it('password encoding is BMPString + NUL terminator', () => {
    expect(toHex(pkcs12PasswordBytes('smeg'))).toBe('0073006d006500670000');
    expect(toHex(pkcs12PasswordBytes(''))).toBe('0000');
    expect(toHex(pkcs12PasswordBytes('é€'))).toBe('00e920ac0000');
  });

  it('matches the classic "smeg" vector', async () => {
    const out = await pkcs12Kdf(
      'SHA-1',
      pkcs12PasswordBytes('smeg'),
      Uint8Array.from([0x0a, 0x58, 0xcf, 0x64, 0x53, 0x0d, 0x82, 0x3f]),
      1,
      1,
      24,
    );
    expect(toHex(out)).toBe('8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3');
  });

  const cases: [KdfHash, string][] = [
    ['SHA-1', 'SHA1'],
    ['SHA-256', 'SHA256'],
    ['SHA-512', 'SHA512'],
  ];
  for (const [hash, name] of cases) {
    it(`agrees with openssl kdf PKCS12KDF (${hash}, ids 1-3, long outputs, empty password)`, async () => {
      const salt = new Uint8Array(nodeRandom(8));
      for (const [pass, iter, id, len] of [
        [pkcs12PasswordBytes('pässwörd'), 3, 1, 24],
        [pkcs12PasswordBytes('x'), 5, 2, 8],
        [pkcs12PasswordBytes('a longer password that spans more than one block of sixty-four bytes'), 2, 3, 70],
        [pkcs12PasswordBytes(''), 1, 1, 16],
      ] as const) {
        expect(toHex(await pkcs12Kdf(hash, pass, salt, iter, id, len))).toBe(
          opensslPkcs12Kdf(name, pass, salt, iter, id, len),
        );
      }
      // The "absent" password (no bytes at all) cannot be passed to the CLI; it must differ from the empty BMPString.
      const absent = await pkcs12Kdf(hash, new Uint8Array(0), salt, 1, 1, 16);
      expect(toHex(absent)).not.toBe(toHex(await pkcs12Kdf(hash, pkcs12PasswordBytes(''), salt, 1, 1, 16)));
    });
  }
});

describe('PBKDF2', () => {
  it('matches node:crypto', async () => {
    for (const hash of ['SHA-1', 'SHA-256', 'SHA-512'] as const) {
      const salt = new Uint8Array(nodeRandom(16));
      const expected = pbkdf2Sync('password', salt, 1000, 32, hash.replace('-', '').toLowerCase());
      expect(toHex(await pbkdf2(new TextEncoder().encode('password'), salt, 1000, 32, hash))).toBe(
        expected.toString('hex'),
      );
    }
  });
});

describe('implicit-rejection PRF', () => {
  it('is HMAC-SHA-256(key, I || label || bitlen) blocks', async () => {
    const { createHmac } = await import('node:crypto');
    const key = new Uint8Array(32).fill(7);
    const out = await implicitRejectionPrf(key, 'length', 40);
    const block = (i: number): Buffer =>
      createHmac('sha256', key)
        .update(Buffer.from([0, i]))
        .update('length')
        .update(Buffer.from([0x01, 0x40]))
        .digest();
    expect(toHex(out)).toBe(
      Buffer.concat([block(0), block(1)])
        .subarray(0, 40)
        .toString('hex'),
    );
  });
});

describe('X9.63 KDF and HKDF', () => {
  it('X9.63 agrees with openssl kdf X963KDF', async () => {
    for (const [hash, name, len] of [
      ['SHA-256', 'SHA256', 16],
      ['SHA-384', 'SHA384', 32],
      ['SHA-512', 'SHA512', 100],
    ] as const) {
      const z = new Uint8Array(nodeRandom(48));
      const info = new Uint8Array(nodeRandom(20));
      const expected = execFileSync('openssl', [
        'kdf',
        '-keylen',
        String(len),
        '-kdfopt',
        `digest:${name}`,
        '-kdfopt',
        `hexsecret:${toHex(z)}`,
        '-kdfopt',
        `hexinfo:${toHex(info)}`,
        'X963KDF',
      ])
        .toString()
        .trim()
        .replace(/:/g, '')
        .toLowerCase();
      expect(toHex(await x963Kdf(hash, z, info, len))).toBe(expected);
    }
  });

  it('HKDF matches node:crypto hkdfSync', async () => {
    const { hkdfSync } = await import('node:crypto');
    const ikm = new Uint8Array(nodeRandom(32));
    const salt = new Uint8Array(nodeRandom(16));
    const info = new Uint8Array(nodeRandom(10));
    expect(toHex(await hkdf('SHA-256', ikm, salt, info, 42))).toBe(
      Buffer.from(hkdfSync('sha256', ikm, salt, info, 42)).toString('hex'),
    );
  });
});
