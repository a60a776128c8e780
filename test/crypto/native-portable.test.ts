/**
 * On Node the RSA operations, signatures, digests and AES run on OpenSSL directly (src/crypto/native.ts); browsers
 * and other backends take the portable path (WebCrypto and bigint RSA). Both paths must give the same results:
 * the same bytes where the operation is deterministic, and outputs each path can read where it is randomized.
 * `setPortableOnly(true)` forces the portable path here.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCrypto, setCryptoBackend } from '../../src/crypto/engine.js';
import { nativeCrypto, setPortableOnly } from '../../src/crypto/native.js';
import { rsaPkcs1v15DecryptImplicit, rsaPkcs1v15Encrypt } from '../../src/crypto/rsa.js';
import { rsaOaepDecrypt, rsaOaepEncrypt } from '../../src/crypto/rsa-oaep.js';
import { aesCbcDecrypt, aesCbcEncrypt, aesGcmDecrypt, aesGcmEncrypt } from '../../src/crypto/ciphers/aes.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { createSignedData } from '../../src/cms/signer.js';
import { createEnvelope } from '../../src/cms/enveloped-create.js';
import { decryptEnvelope } from '../../src/cms/enveloped-decrypt.js';
import { verifySignedData } from '../../src/cms/verify-signed-data.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { tempDir } from '../helpers/temp.js';
import { projectVectorPath } from '../helpers/vectors.js';

afterEach(() => setPortableOnly(false));

/** Runs `fn` on the native path, then on the portable one. */
async function both<T>(fn: () => Promise<T>): Promise<{ native: T; portable: T }> {
  setPortableOnly(false);
  expect(nativeCrypto()).toBeDefined();
  const native = await fn();
  setPortableOnly(true);
  expect(nativeCrypto()).toBeUndefined();
  try {
    return { native, portable: await fn() };
  } finally {
    setPortableOnly(false);
  }
}

const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pem = (file: string) => {
  const body = /-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----/.exec(readFileSync(file, 'utf8'))?.[1];
  return new Uint8Array(Buffer.from(body!, 'base64'));
};

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs8 = u8(key.privateKey.export({ format: 'der', type: 'pkcs8' }));
const spki = u8(key.publicKey.export({ format: 'der', type: 'spki' }));

describe('native and portable RSA decryption agree', () => {
  it('implicit rejection: the stored vectors, fresh ciphertexts, bad paddings, short and out-of-range inputs', async () => {
    interface VectorFile {
      keys: {
        key: string;
        cases: { ciphertext: string; checks: { expectedLength: number | null; output: string }[] }[];
      }[];
    }
    const dir = (f: string) => projectVectorPath('implicit-rejection', f);
    const vectors = JSON.parse(readFileSync(dir('vectors.json'), 'utf8')) as VectorFile;
    for (const k of vectors.keys) {
      const der = pem(dir(k.key));
      for (const c of k.cases.slice(0, 12)) {
        const ct = new Uint8Array(Buffer.from(c.ciphertext, 'hex'));
        for (const check of c.checks) {
          const opts = check.expectedLength === null ? {} : { expectedLength: check.expectedLength };
          const r = await both(() => rsaPkcs1v15DecryptImplicit(der, ct, opts));
          expect(hex(r.native)).toBe(check.output);
          expect(hex(r.portable)).toBe(check.output);
        }
      }
    }
    const n = BigInt(`0x${Buffer.from(key.publicKey.export({ format: 'jwk' }).n!, 'base64url').toString('hex')}`);
    const aboveN = Buffer.from((n + 5n).toString(16).padStart(512, '0'), 'hex');
    const cases = [
      await rsaPkcs1v15Encrypt(spki, u8(randomBytes(32))),
      await rsaPkcs1v15Encrypt(spki, u8(randomBytes(16))),
      u8(randomBytes(256)),
      u8(randomBytes(255)),
      u8(randomBytes(10)),
      u8(randomBytes(300)),
      u8(aboveN),
      new Uint8Array(256),
    ];
    for (const ct of cases) {
      for (const opts of [{}, { expectedLength: 32 }, { expectedLength: 16 }]) {
        const r = await both(() => rsaPkcs1v15DecryptImplicit(pkcs8, ct, opts));
        expect(hex(r.native)).toBe(hex(r.portable));
      }
    }
  });

  it('OAEP: each path decrypts what either encrypted (SHA-1, SHA-256, another MGF1 hash, a label); bad input fails alike', async () => {
    const msg = u8(randomBytes(32));
    for (const options of [
      {},
      { hash: 'SHA-256' as const },
      { hash: 'SHA-256' as const, mgfHash: 'SHA-1' as const },
      { hash: 'SHA-384' as const, label: u8(randomBytes(7)) },
    ]) {
      const enc = await both(() => rsaOaepEncrypt(spki, msg, options));
      for (const ct of [enc.native, enc.portable]) {
        const dec = await both(() => rsaOaepDecrypt(pkcs8, ct, options));
        expect(hex(dec.native)).toBe(hex(msg));
        expect(hex(dec.portable)).toBe(hex(msg));
      }
      const bad = enc.native.slice();
      bad[100] = bad[100]! ^ 1;
      for (const portable of [false, true]) {
        setPortableOnly(portable);
        await expect(rsaOaepDecrypt(pkcs8, bad, options)).rejects.toMatchObject({ code: 'decryption-failed' });
      }
    }
  });
});

describe('native and portable signatures, digests and ciphers agree', () => {
  it('RSA PKCS#1 v1.5 and Ed25519 signatures are the same bytes; PSS and ECDSA verify on both paths', async () => {
    for (const [file, pss] of [
      ['ee-rsa.p12', false],
      ['ee-rsa.p12', true],
      ['ee-rsa-pss.p12', false],
      ['ee-p256.p12', false],
      ['ee-p384.p12', false],
      ['ee-ed25519.p12', false],
    ] as const) {
      const id = await loadIdentity(readFileSync(projectVectorPath('chains', file)), 'test');
      const content = u8(randomBytes(1000));
      const signingTime = new Date('2026-06-01T00:00:00Z');
      const signer = { certificate: id.certificate, privateKey: id.privateKey, pss };
      const r = await both(() => createSignedData(content, { signers: [signer], signingTime }));
      const deterministic = !pss && !file.includes('p256') && !file.includes('p384') && !file.includes('rsa-pss');
      if (deterministic) expect(hex(r.native)).toBe(hex(r.portable));
      for (const der of [r.native, r.portable]) {
        const v = await both(() => verifySignedData(parseSignedData(der)));
        expect(v.native.map((s) => s.signatureValid)).toEqual([true]);
        expect(v.portable.map((s) => s.signatureValid)).toEqual([true]);
      }
    }
  });

  it('AES-CBC and AES-GCM give the same ciphertexts; a bad padding or tag fails alike', async () => {
    for (const len of [16, 24, 32]) {
      const k = u8(randomBytes(len));
      const iv = u8(randomBytes(16));
      const nonce = u8(randomBytes(12));
      const data = u8(randomBytes(1000));
      const cbc = await both(() => aesCbcEncrypt(k, iv, data));
      expect(hex(cbc.native)).toBe(hex(cbc.portable));
      expect(hex((await both(() => aesCbcDecrypt(k, iv, cbc.native))).portable)).toBe(hex(data));
      const gcm = await both(() => aesGcmEncrypt(k, nonce, data, { aad: iv, tagLength: 12 }));
      expect(gcm.native).toEqual(gcm.portable);
      const back = await both(() => aesGcmDecrypt(k, nonce, gcm.native.ciphertext, gcm.native.tag, { aad: iv }));
      expect(hex(back.native)).toBe(hex(data));
      const wrongKey = u8(randomBytes(len));
      for (const portable of [false, true]) {
        setPortableOnly(portable);
        const bad = aesCbcDecrypt(wrongKey, iv, cbc.native).then(
          (out) => out, // a wrong key can give valid-looking padding by chance
          (e: unknown) => e,
        );
        const result = await bad;
        if (!(result instanceof Uint8Array)) expect(result).toMatchObject({ code: 'decryption-failed' });
        await expect(
          aesGcmDecrypt(
            k,
            nonce,
            gcm.native.ciphertext,
            gcm.native.tag.map((b) => b ^ 1),
            { aad: iv },
          ),
        ).rejects.toMatchObject({
          code: 'decryption-failed',
          message: 'decryption failed: authentication tag mismatch',
        });
      }
    }
  });

  it('another backend (setCryptoBackend) switches the native path off', () => {
    const original = getCrypto();
    try {
      setCryptoBackend({ subtle: original.subtle, getRandomValues: original.getRandomValues.bind(original) } as Crypto);
      expect(nativeCrypto()).toBeUndefined();
      setCryptoBackend(original);
      expect(nativeCrypto()).toBeDefined();
    } finally {
      setCryptoBackend(original);
    }
  });
});

describe('envelopes interoperate with openssl cms on both paths', () => {
  it('encrypts to OpenSSL and decrypts what OpenSSL wrote (PKCS#1 v1.5 and OAEP)', async () => {
    const work = tempDir('smimekit-native-');
    const chains = (f: string) => projectVectorPath('chains', f);
    const id = await loadIdentity(readFileSync(chains('ee-rsa.p12')), 'test');
    const content = u8(randomBytes(500));
    for (const portable of [false, true]) {
      for (const keyTransport of ['rsa-pkcs1', 'rsa-oaep'] as const) {
        setPortableOnly(portable);
        const env = await createEnvelope(content, [{ certificate: id.certificate, keyTransport }]);
        const inPath = join(work, `env-${portable}-${keyTransport}.der`);
        writeFileSync(inPath, env.der);
        const out = execFileSync('openssl', [
          'cms',
          '-decrypt',
          '-inform',
          'DER',
          '-in',
          inPath,
          '-inkey',
          chains('ee-rsa.key'),
          '-recip',
          chains('ee-rsa.pem'),
        ]);
        expect(hex(u8(out))).toBe(hex(content));
        const dataPath = join(work, 'data.bin');
        writeFileSync(dataPath, content);
        const opts = keyTransport === 'rsa-oaep' ? ['-keyopt', 'rsa_padding_mode:oaep'] : [];
        const fromOpenssl = execFileSync('openssl', [
          'cms',
          '-encrypt',
          '-binary',
          '-aes-256-cbc',
          '-outform',
          'DER',
          '-in',
          dataPath,
          '-recip',
          chains('ee-rsa.pem'),
          ...opts,
        ]);
        const dec = await decryptEnvelope(u8(fromOpenssl), { certificate: id.certificate, privateKey: id.privateKey });
        expect(hex(dec.content)).toBe(hex(content));
      }
    }
  });
});
