/**
 * Streaming content ciphers (src/crypto/ciphers/stream.ts), on both implementations (OpenSSL through node:crypto,
 * and WebCrypto): in random chunkings they give the one-shot functions' output, read what the one-shot functions and
 * OpenSSL write, and fail at final() where the one-shot functions fail.
 */
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes as nodeRandom } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  algorithmId,
  derAlgorithm,
  derParse,
  encodeInt,
  octets,
  seq,
  type ParsedAlgorithm,
} from '../../src/asn1/index.js';
import { aesCbcDecrypt, aesCbcEncrypt, aesGcmDecrypt, aesGcmEncrypt } from '../../src/crypto/ciphers/aes.js';
import { decryptCbcByOid } from '../../src/crypto/ciphers/by-oid.js';
import { gcmDecryptAnyNonce } from '../../src/crypto/ciphers/gcm-any-nonce.js';
import {
  desCbcEncrypt,
  desEde3CbcEncrypt,
  rc2CbcEncrypt,
  rc2EffectiveBitsToVersion,
  createDes,
} from '../../src/crypto/ciphers/index.js';
import { cbcEncrypt } from '../../src/crypto/ciphers/modes.js';
import {
  createContentDecryptor,
  createContentEncryptor,
  setStreamCipherPath,
  streamCipherPath,
  type StreamCipher,
  type StreamCipherPath,
} from '../../src/crypto/ciphers/stream.js';
import { getCrypto, setCryptoBackend } from '../../src/crypto/engine.js';
import { OID } from '../../src/crypto/oids.js';
import { CryptoError } from '../../src/errors.js';
import { concatBytes, toHex } from '../../src/util/bytes.js';

const GCM_OIDS = { 16: '2.16.840.1.101.3.4.1.6', 24: '2.16.840.1.101.3.4.1.26', 32: '2.16.840.1.101.3.4.1.46' };
const CBC_OIDS = { 16: OID.aes128Cbc, 24: OID.aes192Cbc, 32: OID.aes256Cbc };
type KeyLength = 16 | 24 | 32;

const random = (n: number): Uint8Array => new Uint8Array(nodeRandom(n));
const parsed = (der: Uint8Array): ParsedAlgorithm => derAlgorithm(derParse(der));
const cbcAlg = (keyLength: KeyLength, iv: Uint8Array) => parsed(algorithmId(CBC_OIDS[keyLength], octets(iv)));
const gcmAlg = (keyLength: KeyLength, nonce: Uint8Array, tagLength?: number) =>
  parsed(algorithmId(GCM_OIDS[keyLength], seq(octets(nonce), ...(tagLength ? [encodeInt(tagLength)] : []))));
const failed = { name: 'CryptoError', code: 'decryption-failed' };

/** Cuts `data` into chunks of the given sizes (0 allowed), the rest as a last chunk; views, not copies. */
function cut(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    const end = Math.min(data.length, at + size);
    chunks.push(data.subarray(at, end));
    at = end;
  }
  if (at < data.length) chunks.push(data.subarray(at));
  return chunks;
}

/** Feeds the chunks, then `beforeFinal` (setTag), then final(): everything output, and the tag. */
async function run(
  cipher: StreamCipher,
  chunks: Uint8Array[],
  beforeFinal?: () => void,
): Promise<{ output: Uint8Array; tag?: Uint8Array }> {
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) parts.push(await cipher.update(chunk));
  beforeFinal?.();
  const end = await cipher.final();
  parts.push(end.output);
  return { output: concatBytes(...parts), tag: end.tag };
}

const keyLength = fc.constantFrom<KeyLength>(16, 24, 32);
// `size: 'max'`: without it fast-check keeps arrays to a few elements, and every input would fit in one block.
const plaintext = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 5000, size: 'max' }));
const sizes = fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2000 })), {
  maxLength: 12,
  size: 'max',
});

/** Random chunk sizes from 1 byte to `max` from a seeded generator (for the large inputs). */
function seededSizes(seed: number, total: number, max: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let sum = 0; sum < total;) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const size = 1 + (x % max);
    out.push(size);
    sum += size;
  }
  return out;
}

describe.each<StreamCipherPath>(['native', 'portable'])('streaming ciphers, %s path', (path) => {
  beforeAll(() => setStreamCipherPath(path));
  afterAll(() => setStreamCipherPath(undefined));
  const runs = path === 'native' ? 60 : 30;

  it('uses the path asked for', () => {
    expect(streamCipherPath()).toBe(path);
  });

  it('AES-CBC: streaming encryption equals aesCbcEncrypt; streaming decryption of it gives the plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(keyLength, plaintext, sizes, sizes, async (kl, pt, encCuts, decCuts) => {
        const key = random(kl);
        const iv = random(16);
        const expected = await aesCbcEncrypt(key, iv, pt);
        const enc = await run(createContentEncryptor('cbc', key, iv), cut(pt, encCuts));
        expect(toHex(enc.output)).toBe(toHex(expected));
        expect(enc.tag).toBeUndefined();
        const dec = await run(createContentDecryptor(cbcAlg(kl, iv), key), cut(expected, decCuts));
        expect(toHex(dec.output)).toBe(toHex(pt));
      }),
      { numRuns: runs },
    );
  });

  it('AES-GCM: streaming encryption equals aesGcmEncrypt (ciphertext and tag); decryption with a late AAD', async () => {
    await fc.assert(
      fc.asyncProperty(
        keyLength,
        plaintext,
        fc.option(fc.uint8Array({ maxLength: 300, size: 'max' }), { nil: undefined }),
        sizes,
        sizes,
        async (kl, pt, aad, encCuts, decCuts) => {
          const key = random(kl);
          const nonce = random(12);
          const expected = await aesGcmEncrypt(key, nonce, pt, { aad, tagLength: 16 });
          const enc = await run(createContentEncryptor('gcm', key, nonce, aad), cut(pt, encCuts));
          expect(toHex(enc.output)).toBe(toHex(expected.ciphertext));
          expect(toHex(enc.tag!)).toBe(toHex(expected.tag));
          const dec = createContentDecryptor(gcmAlg(kl, nonce, 16), key);
          const out = await run(dec, cut(expected.ciphertext, decCuts), () => dec.setTag(expected.tag, aad));
          expect(toHex(out.output)).toBe(toHex(pt));
        },
      ),
      { numRuns: runs },
    );
  });

  it('a few MiB in random chunks (1 byte to 1 MiB) and in 64 KiB chunks, both modes, both directions', async () => {
    const pt = random(3 * 1024 * 1024 + 13);
    const key = random(32);
    const iv = random(16);
    const nonce = random(12);
    const aad = random(200);
    const cbc = await aesCbcEncrypt(key, iv, pt);
    const gcm = await aesGcmEncrypt(key, nonce, pt, { aad, tagLength: 16 });
    for (const chunking of [seededSizes(7, pt.length, 1 << 20), new Array<number>(60).fill(65536)]) {
      const enc = await run(createContentEncryptor('cbc', key, iv), cut(pt, chunking));
      expect(enc.output.length).toBe(cbc.length);
      expect(Buffer.compare(enc.output, cbc)).toBe(0);
      const dec = await run(createContentDecryptor(cbcAlg(32, iv), key), cut(cbc, chunking));
      expect(Buffer.compare(dec.output, pt)).toBe(0);
      const genc = await run(createContentEncryptor('gcm', key, nonce, aad), cut(pt, chunking));
      expect(Buffer.compare(genc.output, gcm.ciphertext)).toBe(0);
      expect(toHex(genc.tag!)).toBe(toHex(gcm.tag));
      const d = createContentDecryptor(gcmAlg(32, nonce, 16), key);
      const gdec = await run(d, cut(gcm.ciphertext, chunking), () => d.setTag(gcm.tag, aad));
      expect(Buffer.compare(gdec.output, pt)).toBe(0);
    }
  });

  it('keeps no reference to a chunk: a caller may refill one buffer for every update()', async () => {
    const key = random(16);
    const iv = random(16);
    const nonce = random(12);
    const aad = random(20);
    const pt = random(10000);
    const cbc = await aesCbcEncrypt(key, iv, pt);
    const gcm = await aesGcmEncrypt(key, nonce, pt, { aad, tagLength: 16 });
    const buffer = new Uint8Array(997);
    const through = async (cipher: StreamCipher, data: Uint8Array, beforeFinal?: () => void) => {
      const parts: Uint8Array[] = [];
      for (let at = 0; at < data.length; at += buffer.length) {
        const n = Math.min(buffer.length, data.length - at);
        buffer.set(data.subarray(at, at + n));
        parts.push((await cipher.update(buffer.subarray(0, n))).slice());
        buffer.fill(0xee);
      }
      beforeFinal?.();
      parts.push((await cipher.final()).output);
      return concatBytes(...parts);
    };
    expect(toHex(await through(createContentEncryptor('cbc', key, iv), pt))).toBe(toHex(cbc));
    expect(toHex(await through(createContentEncryptor('gcm', key, nonce, aad), pt))).toBe(toHex(gcm.ciphertext));
    expect(toHex(await through(createContentDecryptor(cbcAlg(16, iv), key), cbc))).toBe(toHex(pt));
    const d = createContentDecryptor(gcmAlg(16, nonce, 16), key);
    expect(toHex(await through(d, gcm.ciphertext, () => d.setTag(gcm.tag, aad)))).toBe(toHex(pt));
  });

  it('AES-GCM: a changed tag, ciphertext or AAD, a missing or extra AAD, a tag of another length fail at final()', async () => {
    const key = random(16);
    const nonce = random(12);
    const pt = random(1000);
    const aad = random(77);
    const { ciphertext, tag } = await aesGcmEncrypt(key, nonce, pt, { aad, tagLength: 16 });
    const flip = (b: Uint8Array, i: number) => b.map((v, j) => (j === i ? v ^ 1 : v));
    const attempt = async (c: Uint8Array, t: Uint8Array, a: Uint8Array | undefined, tagLength = 16) => {
      const d = createContentDecryptor(gcmAlg(16, nonce, tagLength), key);
      return run(d, cut(c, [100, 333]), () => d.setTag(t, a));
    };
    await expect(attempt(ciphertext, tag, aad)).resolves.toBeDefined();
    await expect(attempt(ciphertext, flip(tag, 15), aad)).rejects.toMatchObject(failed);
    await expect(attempt(flip(ciphertext, 999), tag, aad)).rejects.toMatchObject(failed);
    await expect(attempt(flip(ciphertext, 0), tag, aad)).rejects.toMatchObject(failed);
    await expect(attempt(ciphertext, tag, flip(aad, 40))).rejects.toMatchObject(failed);
    await expect(attempt(ciphertext, tag, undefined)).rejects.toMatchObject(failed);
    await expect(attempt(ciphertext, tag, aad.subarray(0, 76))).rejects.toMatchObject(failed);
    await expect(attempt(ciphertext, tag.subarray(0, 12), aad)).rejects.toMatchObject({
      ...failed,
      message: 'decryption failed: AES-GCM tag length differs from the parameters',
    });
    await expect(attempt(ciphertext.subarray(0, 999), tag, aad)).rejects.toMatchObject({
      ...failed,
      message: 'decryption failed: authentication tag mismatch',
    });
    // Without AAD, an AAD given at the end fails too.
    const plain = await aesGcmEncrypt(key, nonce, pt, { tagLength: 16 });
    await expect(attempt(plain.ciphertext, plain.tag, undefined)).resolves.toBeDefined();
    await expect(attempt(plain.ciphertext, plain.tag, new Uint8Array(0))).resolves.toBeDefined();
    await expect(attempt(plain.ciphertext, plain.tag, aad)).rejects.toMatchObject(failed);
  });

  it('AES-GCM with other nonce lengths and short tags (allowLegacyGcm) reads what gcmDecryptAnyNonce reads', async () => {
    for (const nonceLength of [1, 8, 11, 13, 16, 60, 128])
      for (const tagLength of [4, 8, 12, 14, 16]) {
        const kl = ([16, 24, 32] as const)[nonceLength % 3]!;
        const key = random(kl);
        const nonce = random(nonceLength);
        const pt = random((nonceLength * 37 + tagLength) % 700);
        const aad = nonceLength % 2 ? random(33) : undefined;
        const { ciphertext, tag } = await aesGcmEncrypt(key, nonce, pt, { aad, tagLength });
        expect(toHex(await gcmDecryptAnyNonce(key, nonce, ciphertext, tag, aad))).toBe(toHex(pt));
        const alg = gcmAlg(kl, nonce, tagLength);
        const d = createContentDecryptor(alg, key, { allowLegacyGcm: true });
        const out = await run(d, cut(ciphertext, [5, 16, 17, 100]), () => d.setTag(tag, aad));
        expect(toHex(out.output)).toBe(toHex(pt));
        const bad = createContentDecryptor(alg, key, { allowLegacyGcm: true });
        const wrong = tag.map((b, i) => (i === 0 ? b ^ 0x80 : b));
        await expect(run(bad, [ciphertext], () => bad.setTag(wrong, aad))).rejects.toMatchObject(failed);
      }
  });

  it('AES-GCM: the ICV length defaults to 12 as RFC 5084 says', async () => {
    const key = random(32);
    const nonce = random(12);
    const { ciphertext, tag } = await aesGcmEncrypt(key, nonce, random(50), { tagLength: 12 });
    const d = createContentDecryptor(gcmAlg(32, nonce), key);
    await expect(run(d, [ciphertext], () => d.setTag(tag))).resolves.toBeDefined();
  });

  it('AES-CBC: bad padding, a truncated or empty ciphertext, a wrong key fail at final() as aesCbcDecrypt does', async () => {
    const key = random(32);
    const iv = random(16);
    const alg = cbcAlg(32, iv);
    const raw = (last: number[]) => {
      const block = random(48);
      block.set(last, 48 - last.length);
      const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
    };
    const badPadding = { ...failed, message: 'decryption failed: bad padding (wrong key or corrupted data)' };
    const badLength = { ...failed, message: 'decryption failed: ciphertext length is not a multiple of 16' };
    for (const last of [[0], [17], [2, 3], [5, 5, 5, 4, 5], [0xff]]) {
      const ct = raw(last);
      await expect(aesCbcDecrypt(key, iv, ct)).rejects.toMatchObject(badPadding);
      await expect(run(createContentDecryptor(alg, key), cut(ct, [7, 20]))).rejects.toMatchObject(badPadding);
    }
    const good = raw(new Array<number>(16).fill(16));
    expect((await run(createContentDecryptor(alg, key), cut(good, [1, 2, 3]))).output.length).toBe(32);
    const ct = await aesCbcEncrypt(key, iv, random(40));
    await expect(run(createContentDecryptor(alg, key), [ct.subarray(0, 47)])).rejects.toMatchObject(badLength);
    await expect(
      run(createContentDecryptor(alg, key), [ct.subarray(0, 40), ct.subarray(40, 47)]),
    ).rejects.toMatchObject(badLength);
    await expect(run(createContentDecryptor(alg, key), [])).rejects.toMatchObject(badLength);
    await expect(run(createContentDecryptor(alg, key), [new Uint8Array(0)])).rejects.toMatchObject(badLength);
    // A wrong key: the same outcome as the one-shot function (almost always bad padding).
    const other = random(32);
    const oneShot = await aesCbcDecrypt(other, iv, ct).catch((e: unknown) => e);
    const streamed = await run(createContentDecryptor(alg, other), [ct]).catch((e: unknown) => e);
    if (oneShot instanceof CryptoError) expect(streamed).toMatchObject(badPadding);
    else expect(toHex((streamed as { output: Uint8Array }).output)).toBe(toHex(oneShot as Uint8Array));
  });

  it('interop: openssl enc -aes-256-cbc output decrypts, and streaming encryption writes the same bytes', async () => {
    const key = random(32);
    const iv = random(16);
    for (const length of [0, 1, 15, 16, 17, 1000, 70000]) {
      const pt = random(length);
      const ct = new Uint8Array(
        execFileSync('openssl', ['enc', '-aes-256-cbc', '-K', toHex(key), '-iv', toHex(iv)], { input: pt }),
      );
      const dec = await run(createContentDecryptor(cbcAlg(32, iv), key), cut(ct, [3, 16, 4096]));
      expect(toHex(dec.output)).toBe(toHex(pt));
      const enc = await run(createContentEncryptor('cbc', key, iv), cut(pt, [1, 31, 5000]));
      expect(toHex(enc.output)).toBe(toHex(ct));
    }
  });

  it('3DES, DES and RC2-CBC: decrypts what the one-shot functions and OpenSSL write, like decryptCbcByOid', async () => {
    type Make = (key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array) => Uint8Array;
    const cases: { oid: string; params: (iv: Uint8Array) => Uint8Array; key: number; openssl: string[]; make: Make }[] =
      [
        { oid: OID.desEde3Cbc, params: octets, key: 24, openssl: ['-des-ede3-cbc'], make: desEde3CbcEncrypt },
        {
          oid: OID.desCbc,
          params: octets,
          key: 8,
          openssl: ['-des-cbc', '-provider', 'legacy', '-provider', 'default'],
          make: desCbcEncrypt,
        },
        ...([40, 64, 128] as const).map((bits) => ({
          oid: OID.rc2Cbc,
          params: (iv: Uint8Array) => seq(encodeInt(rc2EffectiveBitsToVersion(bits)), octets(iv)),
          key: bits / 8,
          openssl: [
            bits === 40 ? '-rc2-40-cbc' : bits === 64 ? '-rc2-64-cbc' : '-rc2-cbc',
            '-provider',
            'legacy',
            '-provider',
            'default',
          ],
          make: (k: Uint8Array, iv: Uint8Array, p: Uint8Array) => rc2CbcEncrypt(k, iv, p, bits),
        })),
      ];
    for (const c of cases)
      for (const length of [0, 1, 7, 8, 9, 100, 3001]) {
        const key = random(c.key);
        const iv = random(8);
        const pt = random(length);
        const alg = parsed(algorithmId(c.oid, c.params(iv)));
        const made = c.make(key, iv, pt);
        const viaOpenssl = new Uint8Array(
          execFileSync('openssl', ['enc', ...c.openssl, '-K', toHex(key), '-iv', toHex(iv)], { input: pt }),
        );
        expect(toHex(viaOpenssl)).toBe(toHex(made));
        expect(toHex(await decryptCbcByOid(c.oid, alg.params, key, made))).toBe(toHex(pt));
        for (const chunks of [[made], cut(made, [1, 7, 8, 9]), cut(made, [0, 3, 0, 500])]) {
          const out = await run(createContentDecryptor(alg, key), chunks);
          expect(toHex(out.output)).toBe(toHex(pt));
        }
      }
    // Bad padding and a truncated ciphertext, as decryptCbcByOid reports them.
    const key = random(24);
    const iv = random(8);
    const alg = parsed(algorithmId(OID.desEde3Cbc, octets(iv)));
    const badPad = cbcEncrypt(createDes(key), iv, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 0), false);
    await expect(decryptCbcByOid(OID.desEde3Cbc, alg.params, key, badPad)).rejects.toMatchObject(failed);
    await expect(run(createContentDecryptor(alg, key), cut(badPad, [3]))).rejects.toMatchObject({
      ...failed,
      message: 'decryption failed: bad padding (wrong key or corrupted data)',
    });
    await expect(run(createContentDecryptor(alg, key), [badPad.subarray(0, 12)])).rejects.toMatchObject({
      ...failed,
      message: 'decryption failed: ciphertext length is not a multiple of the block size',
    });
  });

  it('refuses misuse: calls after final(), overlapping calls, setTag on CBC, final() before setTag()', async () => {
    const key = random(16);
    const enc = createContentEncryptor('cbc', key, random(16));
    await enc.update(random(10));
    await enc.final();
    await expect(enc.update(random(1))).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(enc.final()).rejects.toMatchObject({ code: 'bad-argument' });
    const busy = createContentEncryptor('gcm', key, random(12));
    const pending = busy.update(random(100));
    await expect(busy.update(random(1))).rejects.toMatchObject({ code: 'bad-argument' });
    await pending;
    const cbc = createContentDecryptor(cbcAlg(16, random(16)), key);
    expect(() => cbc.setTag(random(16))).toThrow(expect.objectContaining({ code: 'bad-argument' }));
    const gcm = createContentDecryptor(gcmAlg(16, random(12), 16), key);
    await gcm.update(random(20));
    await expect(gcm.final()).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(createContentEncryptor('cbc', key, random(16)).update('x' as never)).rejects.toMatchObject({
      code: 'bad-argument',
    });
  });
});

describe('creating stream ciphers', () => {
  it('checks keys, IVs and parameters as the one-shot path does', () => {
    expect(() => createContentEncryptor('cbc', random(15), random(16))).toThrow(
      expect.objectContaining({ code: 'bad-key-length' }),
    );
    expect(() => createContentEncryptor('cbc', random(16), random(12))).toThrow(
      expect.objectContaining({ code: 'bad-iv' }),
    );
    expect(() => createContentEncryptor('gcm', random(16), random(16))).toThrow(
      expect.objectContaining({ code: 'bad-iv' }),
    );
    expect(() => createContentEncryptor('cbc', random(16), random(16), random(3))).toThrow(
      expect.objectContaining({ code: 'bad-argument' }),
    );
    expect(() => createContentDecryptor(cbcAlg(16, random(8)), random(16))).toThrow(
      expect.objectContaining({ code: 'malformed-cms' }),
    );
    expect(() => createContentDecryptor(parsed(algorithmId(OID.aes128Cbc)), random(16))).toThrow(
      expect.objectContaining({ code: 'malformed-cms' }),
    );
    expect(() => createContentDecryptor(cbcAlg(16, random(16)), random(32))).toThrow(
      expect.objectContaining({ code: 'decryption-failed' }),
    );
    expect(() => createContentDecryptor(gcmAlg(16, random(8), 16), random(16))).toThrow(
      expect.objectContaining({ code: 'legacy-gcm-parameters' }),
    );
    expect(() => createContentDecryptor(gcmAlg(16, random(12), 8), random(16))).toThrow(
      expect.objectContaining({ code: 'legacy-gcm-parameters' }),
    );
    expect(() => createContentDecryptor(gcmAlg(16, random(12), 11), random(16))).toThrow(
      expect.objectContaining({ code: 'bad-gcm-parameters' }),
    );
    expect(() => createContentDecryptor(parsed(algorithmId('1.2.3.4', octets(random(16)))), random(16))).toThrow(
      expect.objectContaining({ code: 'unsupported-algorithm' }),
    );
  });

  it('takes the native path in Node by default', () => {
    expect(streamCipherPath()).toBe('native');
  });
});

describe('the portable path on another WebCrypto (@peculiar/webcrypto via setCryptoBackend)', () => {
  const original = getCrypto();
  afterEach(() => {
    setCryptoBackend(original);
    setStreamCipherPath(undefined);
  });

  it('gives the same bytes as the native path', async () => {
    const key = random(24);
    const iv = random(16);
    const nonce = random(12);
    const pt = random(5000);
    const aad = random(10);
    const chunks = cut(pt, [1, 100, 1000]);
    const cbc = await run(createContentEncryptor('cbc', key, iv), chunks);
    const gcm = await run(createContentEncryptor('gcm', key, nonce, aad), chunks);
    setCryptoBackend(new PeculiarCrypto() as unknown as globalThis.Crypto);
    setStreamCipherPath('portable');
    expect(toHex((await run(createContentEncryptor('cbc', key, iv), chunks)).output)).toBe(toHex(cbc.output));
    const pgcm = await run(createContentEncryptor('gcm', key, nonce, aad), chunks);
    expect(toHex(pgcm.output) + toHex(pgcm.tag!)).toBe(toHex(gcm.output) + toHex(gcm.tag!));
    const dec = await run(createContentDecryptor(cbcAlg(24, iv), key), cut(cbc.output, [17, 33]));
    expect(toHex(dec.output)).toBe(toHex(pt));
    const d = createContentDecryptor(gcmAlg(24, nonce, 16), key);
    const gdec = await run(d, cut(gcm.output, [17, 33]), () => d.setTag(gcm.tag!, aad));
    expect(toHex(gdec.output)).toBe(toHex(pt));
    await expect(aesGcmDecrypt(key, nonce, gcm.output, gcm.tag!, { aad })).resolves.toBeDefined();
  });
});
