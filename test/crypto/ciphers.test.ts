import { createCipheriv, createDecipheriv, randomBytes as nodeRandom } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesGcmDecrypt,
  aesGcmEncrypt,
  aesKeyUnwrap,
  aesKeyWrap,
  createDes,
  createRc2,
  desCbcDecrypt,
  desCbcEncrypt,
  desEde3CbcDecrypt,
  desEde3CbcEncrypt,
  pkcs7Unpad,
  rc2CbcDecrypt,
  rc2CbcEncrypt,
  rc2EffectiveBitsToVersion,
  rc2VersionToEffectiveBits,
} from '../../src/crypto/ciphers/index.js';
import { CryptoError, SmimeError } from '../../src/errors.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { tempDir } from '../helpers/temp.js';

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b);

function ecb(cipher: ReturnType<typeof createDes>, hex: string, decrypt = false): string {
  const input = fromHex(hex);
  const out = new Uint8Array(8);
  if (decrypt) cipher.decryptBlock(input, 0, out, 0);
  else cipher.encryptBlock(input, 0, out, 0);
  return toHex(out);
}

describe('DES', () => {
  it('matches known single-DES vectors', () => {
    // Classic worked example (Grabbe) and FIPS 81 / NBS vectors.
    expect(ecb(createDes(fromHex('133457799bbcdff1')), '0123456789abcdef')).toBe('85e813540f0ab405');
    expect(ecb(createDes(fromHex('133457799bbcdff1')), '85e813540f0ab405', true)).toBe('0123456789abcdef');
    expect(ecb(createDes(fromHex('0123456789abcdef')), '4e6f772069732074')).toBe('3fa40e8a984d4815');
    expect(ecb(createDes(fromHex('0101010101010101')), '95f8a5e5dd31d900')).toBe('8000000000000000');
    expect(ecb(createDes(fromHex('0e329232ea6d0d73')), '8787878787878787')).toBe('0000000000000000');
  });

  it('3DES-EDE-CBC interoperates with node:crypto des-ede3-cbc', () => {
    for (const len of [0, 1, 7, 8, 9, 100, 1000]) {
      const key = u8(nodeRandom(24));
      const iv = u8(nodeRandom(8));
      const pt = u8(nodeRandom(len));
      const c = createCipheriv('des-ede3-cbc', key, iv);
      const expected = u8(Buffer.concat([c.update(pt), c.final()]));
      expect(toHex(desEde3CbcEncrypt(key, iv, pt))).toBe(toHex(expected));
      expect(toHex(desEde3CbcDecrypt(key, iv, expected))).toBe(toHex(pt));
    }
  });

  it('two-key 3DES (K3 = K1) matches des-ede-cbc', () => {
    const key = u8(nodeRandom(16));
    const iv = u8(nodeRandom(8));
    const pt = u8(nodeRandom(50));
    const c = createCipheriv('des-ede-cbc', key, iv);
    const expected = u8(Buffer.concat([c.update(pt), c.final()]));
    expect(toHex(desEde3CbcEncrypt(key, iv, pt))).toBe(toHex(expected));
  });

  it('single DES-CBC round-trips and matches 3DES with K1=K2=K3', () => {
    const k = u8(nodeRandom(8));
    const iv = u8(nodeRandom(8));
    const pt = u8(nodeRandom(33));
    const ct = desCbcEncrypt(k, iv, pt);
    expect(toHex(desCbcDecrypt(k, iv, ct))).toBe(toHex(pt));
    const k3 = new Uint8Array(24);
    k3.set(k, 0);
    k3.set(k, 8);
    k3.set(k, 16);
    expect(toHex(desEde3CbcEncrypt(k3, iv, pt))).toBe(toHex(ct));
  });

  it('wrong key gives decryption-failed (bad padding) or garbage, never another error', () => {
    const key = u8(nodeRandom(24));
    const iv = u8(nodeRandom(8));
    const ct = desEde3CbcEncrypt(key, iv, new TextEncoder().encode('hello world'));
    for (let i = 0; i < 20; i++) {
      try {
        desEde3CbcDecrypt(u8(nodeRandom(24)), iv, ct);
      } catch (e) {
        expect(e).toBeInstanceOf(CryptoError);
        expect((e as CryptoError).code).toBe('decryption-failed');
      }
    }
    expect(() => desEde3CbcDecrypt(key, iv, ct.subarray(0, 7))).toThrow(SmimeError);
    expect(() => desEde3CbcDecrypt(new Uint8Array(10), iv, ct)).toThrow(SmimeError);
  });
});

describe('RC2 (RFC 2268)', () => {
  // RFC 2268 §5 test vectors: key, effective bits, plaintext, ciphertext.
  const vectors: [string, number, string, string][] = [
    ['0000000000000000', 63, '0000000000000000', 'ebb773f993278eff'],
    ['ffffffffffffffff', 64, 'ffffffffffffffff', '278b27e42e2f0d49'],
    ['3000000000000000', 64, '1000000000000001', '30649edf9be7d2c2'],
    ['88', 64, '0000000000000000', '61a8a244adacccf0'],
    ['88bca90e90875a', 64, '0000000000000000', '6ccf4308974c267f'],
    ['88bca90e90875a7f0f79c384627bafb2', 64, '0000000000000000', '1a807d272bbe5db1'],
    ['88bca90e90875a7f0f79c384627bafb2', 128, '0000000000000000', '2269552ab0f85ca6'],
    ['88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e', 129, '0000000000000000', '5b78d3a43dfff1f1'],
  ];
  for (const [key, bits, pt, ct] of vectors) {
    it(`key ${key.slice(0, 16)}… / ${bits} bits`, () => {
      const c = createRc2(fromHex(key), bits);
      const out = new Uint8Array(8);
      c.encryptBlock(fromHex(pt), 0, out, 0);
      expect(toHex(out)).toBe(ct);
      const back = new Uint8Array(8);
      c.decryptBlock(out, 0, back, 0);
      expect(toHex(back)).toBe(pt);
    });
  }

  it('parameter version encoding (RFC 8018 B.2.3)', () => {
    expect(rc2EffectiveBitsToVersion(40)).toBe(160);
    expect(rc2EffectiveBitsToVersion(64)).toBe(120);
    expect(rc2EffectiveBitsToVersion(128)).toBe(58);
    expect(rc2EffectiveBitsToVersion(256)).toBe(256);
    expect(rc2VersionToEffectiveBits(160)).toBe(40);
    expect(rc2VersionToEffectiveBits(120)).toBe(64);
    expect(rc2VersionToEffectiveBits(58)).toBe(128);
    expect(rc2VersionToEffectiveBits(300)).toBe(300);
    expect(rc2VersionToEffectiveBits(undefined)).toBe(32);
    for (let b = 1; b < 256; b++) expect(rc2VersionToEffectiveBits(rc2EffectiveBitsToVersion(b))).toBe(b);
  });

  it('RC2-CBC interoperates with openssl enc -provider legacy (40, 64, 128 bits)', () => {
    const dir = tempDir('smimekit-rc2-');
    for (const [name, keyLen, bits] of [
      ['rc2-40-cbc', 5, 40],
      ['rc2-64-cbc', 8, 64],
      ['rc2-cbc', 16, 128],
    ] as const) {
      const key = u8(nodeRandom(keyLen));
      const iv = u8(nodeRandom(8));
      const pt = u8(nodeRandom(77));
      writeFileSync(join(dir, 'pt'), pt);
      execFileSync('openssl', [
        'enc',
        `-${name}`,
        '-provider',
        'legacy',
        '-provider',
        'default',
        '-K',
        toHex(key),
        '-iv',
        toHex(iv),
        '-in',
        join(dir, 'pt'),
        '-out',
        join(dir, 'ct'),
      ]);
      const ct = new Uint8Array(readFileSync(join(dir, 'ct')));
      expect(toHex(rc2CbcEncrypt(key, iv, pt, bits))).toBe(toHex(ct));
      expect(toHex(rc2CbcDecrypt(key, iv, ct, bits))).toBe(toHex(pt));
    }
  });
});

describe('PKCS#7 padding', () => {
  it('rejects bad padding with decryption-failed', () => {
    const block = (last: number[]): Uint8Array => {
      const b = new Uint8Array(8).fill(0x41);
      b.set(last, 8 - last.length);
      return b;
    };
    expect(pkcs7Unpad(block([3, 3, 3]), 8).length).toBe(5);
    expect(pkcs7Unpad(new Uint8Array(8).fill(8), 8).length).toBe(0);
    for (const bad of [block([0]), block([9]), block([2, 3, 3]), block([1, 2]), new Uint8Array(0), new Uint8Array(7)]) {
      expect(() => pkcs7Unpad(bad, 8)).toThrow(expect.objectContaining({ code: 'decryption-failed' }));
    }
  });
});

describe('AES via WebCrypto', () => {
  it('AES-CBC matches node:crypto and reports bad padding as decryption-failed', async () => {
    for (const keyLen of [16, 24, 32]) {
      const key = u8(nodeRandom(keyLen));
      const iv = u8(nodeRandom(16));
      const pt = u8(nodeRandom(45));
      const c = createCipheriv(`aes-${keyLen * 8}-cbc`, key, iv);
      const expected = u8(Buffer.concat([c.update(pt), c.final()]));
      expect(toHex(await aesCbcEncrypt(key, iv, pt))).toBe(toHex(expected));
      expect(toHex(await aesCbcDecrypt(key, iv, expected))).toBe(toHex(pt));
    }
    const key = u8(nodeRandom(16));
    const iv = u8(nodeRandom(16));
    const ct = await aesCbcEncrypt(key, iv, new Uint8Array(5));
    // Changing the IV changes the one block's padding byte from 11 to 10 for certain; changing the ciphertext
    // would leave valid padding by chance about once in 256 runs.
    const badIv = iv.slice();
    badIv[15]! ^= 1;
    await expect(aesCbcDecrypt(key, badIv, ct)).rejects.toMatchObject({ code: 'decryption-failed' });
    await expect(aesCbcDecrypt(key, iv, ct.subarray(1))).rejects.toMatchObject({ code: 'decryption-failed' });
  });

  it('AES-GCM with AAD matches node:crypto; tampering fails', async () => {
    const key = u8(nodeRandom(32));
    const iv = u8(nodeRandom(12));
    const aad = u8(nodeRandom(20));
    const pt = u8(nodeRandom(100));
    const { ciphertext, tag } = await aesGcmEncrypt(key, iv, pt, { aad });
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    expect(toHex(u8(Buffer.concat([d.update(ciphertext), d.final()])))).toBe(toHex(pt));
    expect(toHex(await aesGcmDecrypt(key, iv, ciphertext, tag, { aad }))).toBe(toHex(pt));
    const bad = ciphertext.slice();
    bad[3]! ^= 1;
    await expect(aesGcmDecrypt(key, iv, bad, tag, { aad })).rejects.toMatchObject({ code: 'decryption-failed' });
    await expect(aesGcmDecrypt(key, iv, ciphertext, tag)).rejects.toMatchObject({ code: 'decryption-failed' });
  });

  it('AES key wrap matches RFC 3394 §4.1', async () => {
    const kek = fromHex('000102030405060708090A0B0C0D0E0F');
    const data = fromHex('00112233445566778899AABBCCDDEEFF');
    const wrapped = await aesKeyWrap(kek, data);
    expect(toHex(wrapped)).toBe('1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5');
    expect(toHex(await aesKeyUnwrap(kek, wrapped))).toBe(toHex(data));
    wrapped[0]! ^= 1;
    await expect(aesKeyUnwrap(kek, wrapped)).rejects.toMatchObject({ code: 'decryption-failed' });
  });
});
