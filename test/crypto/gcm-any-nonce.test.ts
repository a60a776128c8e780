/**
 * AES-GCM with nonces other than 12 bytes (src/crypto/ciphers/gcm-any-nonce.ts), checked against an independent
 * implementation: Node's OpenSSL-backed `crypto.createCipheriv`, which takes any IV length.
 */
import { createCipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt, aesGcmEncrypt } from '../../src/crypto/ciphers/aes.js';
import { toHex } from '../../src/util/bytes.js';

function nodeGcm(key: Buffer, iv: Buffer, pt: Buffer, aad: Buffer, tagLength: number) {
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, iv, { authTagLength: tagLength });
  c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(pt), c.final()]);
  return { ciphertext, tag: c.getAuthTag() };
}

describe('AES-GCM with any nonce length', () => {
  it('encrypts and decrypts as OpenSSL does for nonces of 1 to 128 bytes, every key size, tags of 4 to 16 bytes', async () => {
    let cases = 0;
    for (const nonce of [1, 7, 8, 11, 12, 13, 16, 17, 32, 60, 128])
      for (const keyLength of [16, 24, 32])
        for (const [plain, tagLength] of [
          [0, 16],
          [5, 12],
          [16, 8],
          [33, 4],
          [1000, 13],
        ] as const) {
          const key = randomBytes(keyLength);
          const iv = randomBytes(nonce);
          const pt = randomBytes(plain);
          const aad = randomBytes((plain % 7) * 5);
          const ref = nodeGcm(key, iv, pt, aad, tagLength);
          const ours = await aesGcmEncrypt(key, iv, pt, { aad, tagLength });
          expect(toHex(ours.ciphertext)).toBe(ref.ciphertext.toString('hex'));
          expect(toHex(ours.tag)).toBe(ref.tag.toString('hex'));
          expect(toHex(await aesGcmDecrypt(key, iv, ref.ciphertext, ref.tag, { aad }))).toBe(pt.toString('hex'));
          cases++;
        }
    expect(cases).toBe(165);
  });

  it('an 8-byte nonce: a changed tag, ciphertext, nonce or AAD is decryption-failed and returns nothing', async () => {
    const key = randomBytes(16);
    const iv = randomBytes(8);
    const aad = Buffer.from('authAttrs');
    const { ciphertext, tag } = nodeGcm(key, iv, Buffer.from('eight-byte nonce'), aad, 16);
    const flip = (b: Uint8Array, i = 0) => {
      const c = Uint8Array.from(b);
      c[i]! ^= 1;
      return c;
    };
    const failed = { code: 'decryption-failed' };
    await expect(aesGcmDecrypt(key, iv, ciphertext, flip(tag, 15), { aad })).rejects.toMatchObject(failed);
    await expect(aesGcmDecrypt(key, iv, flip(ciphertext, 3), tag, { aad })).rejects.toMatchObject(failed);
    await expect(aesGcmDecrypt(key, flip(iv, 7), ciphertext, tag, { aad })).rejects.toMatchObject(failed);
    await expect(aesGcmDecrypt(key, iv, ciphertext, tag)).rejects.toMatchObject(failed);
    expect(new TextDecoder().decode(await aesGcmDecrypt(key, iv, ciphertext, tag, { aad }))).toBe('eight-byte nonce');
  });

  it('an empty nonce and unusable tag lengths are argument errors', async () => {
    const key = randomBytes(16);
    await expect(aesGcmEncrypt(key, new Uint8Array(0), new Uint8Array(1))).rejects.toMatchObject({ code: 'bad-iv' });
    await expect(aesGcmEncrypt(key, randomBytes(8), new Uint8Array(1), { tagLength: 5 })).rejects.toMatchObject({
      code: 'bad-argument',
    });
  });
});
