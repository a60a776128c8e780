/**
 * The shared crypto pieces the trust layer introduced: algorithm registry,
 * algorithm policy, signature verification (incl. the bigint DSA and the
 * MD5/RSA fallback), checked against OpenSSL-made signatures.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { algorithmName, digestAlgorithm, signatureAlgorithm } from '../../src/crypto/algorithms.js';
import { modInverse, modPow } from '../../src/crypto/bigint.js';
import { publicKeyWeakness, signatureAlgorithmWeakness } from '../../src/crypto/policy.js';
import { parseRsaPssParameters, verifySignature } from '../../src/crypto/verify-signature.js';
import { summarizePublicKey } from '../../src/crypto/public-key-summary.js';
import { AlgorithmError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-trust-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const file = (n: string) => new Uint8Array(readFileSync(join(dir, n)));
const data = new TextEncoder().encode('smimekit signed bytes');
writeFileSync(join(dir, 'data.bin'), data);

describe('algorithm registry and policy', () => {
  it('knows the usual OIDs', () => {
    expect(signatureAlgorithm('1.2.840.113549.1.1.11')).toMatchObject({
      name: 'sha256WithRSAEncryption',
      family: 'rsa-pkcs1',
      hash: 'SHA-256',
    });
    expect(signatureAlgorithm('1.2.840.10045.4.3.3')).toMatchObject({ family: 'ecdsa', hash: 'SHA-384' });
    expect(signatureAlgorithm('1.3.101.112')?.family).toBe('ed25519');
    expect(digestAlgorithm('1.3.14.3.2.26')?.name).toBe('SHA-1');
    expect(algorithmName('1.2.840.10040.4.3')).toBe('dsa-with-sha1');
    expect(algorithmName('1.2.3')).toBe('1.2.3');
  });

  it('refuses SHA-1, MD5, DSA and short RSA unless allowWeak', () => {
    expect(signatureAlgorithmWeakness({ oid: '1.2.840.113549.1.1.5' })).toMatch(/SHA-1/);
    expect(signatureAlgorithmWeakness({ oid: '1.2.840.113549.1.1.4' })).toMatch(/MD5/);
    expect(signatureAlgorithmWeakness({ oid: '2.16.840.1.101.3.4.3.2' })).toMatch(/DSA/);
    expect(signatureAlgorithmWeakness({ oid: '1.2.840.113549.1.1.10' })).toMatch(/SHA-1/); // PSS defaults to SHA-1
    expect(signatureAlgorithmWeakness({ oid: '1.2.840.113549.1.1.11' })).toBeUndefined();
    expect(signatureAlgorithmWeakness({ oid: '1.2.840.113549.1.1.5' }, { allowWeak: true })).toBeUndefined();
    expect(publicKeyWeakness({ kind: 'rsa', bits: 1024 })).toMatch(/1024/);
    expect(publicKeyWeakness({ kind: 'rsa', bits: 2048 })).toBeUndefined();
    expect(publicKeyWeakness({ kind: 'rsa', bits: 2048 }, { minRsaBits: 3072 })).toMatch(/3072/);
    expect(publicKeyWeakness({ kind: 'dsa', bits: 2048 })).toMatch(/DSA/);
    expect(publicKeyWeakness({ kind: 'ec', bits: 256 })).toBeUndefined();
  });

  it('decodes RSA-PSS parameters with defaults', () => {
    expect(parseRsaPssParameters(undefined)).toEqual({ hash: 'SHA-1', mgfHash: 'SHA-1', saltLength: 20 });
  });
});

describe('bigint helpers', () => {
  it('modPow and modInverse', () => {
    expect(modPow(4n, 13n, 497n)).toBe(445n);
    expect(modInverse(3n, 11n)).toBe(4n);
    expect(modInverse(6n, 9n)).toBeUndefined();
  });
});

describe('verifySignature against OpenSSL', () => {
  it('DSA-2048/SHA-256 (bigint verifier)', async () => {
    openssl(
      'genpkey',
      '-genparam',
      '-algorithm',
      'DSA',
      '-pkeyopt',
      'dsa_paramgen_bits:2048',
      '-pkeyopt',
      'dsa_paramgen_q_bits:256',
      '-out',
      'dsa.params',
    );
    openssl('genpkey', '-paramfile', 'dsa.params', '-out', 'dsa.key');
    openssl('pkey', '-in', 'dsa.key', '-pubout', '-outform', 'DER', '-out', 'dsa.spki');
    openssl('dgst', '-sha256', '-sign', 'dsa.key', '-out', 'dsa.sig', 'data.bin');
    const input = {
      algorithm: { oid: '2.16.840.1.101.3.4.3.2' },
      signature: file('dsa.sig'),
      data,
      publicKey: file('dsa.spki'),
    };
    expect(await verifySignature(input)).toBe(true);
    expect(await verifySignature({ ...input, data: new TextEncoder().encode('other') })).toBe(false);
    expect(summarizePublicKey(file('dsa.spki'))).toEqual({ kind: 'dsa', bits: 2048 });
  });

  it('RSA with MD5 (no WebCrypto digest) through the bigint fallback', async () => {
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.key');
    openssl('pkey', '-in', 'rsa.key', '-pubout', '-outform', 'DER', '-out', 'rsa.spki');
    openssl('dgst', '-md5', '-sign', 'rsa.key', '-out', 'rsa-md5.sig', 'data.bin');
    const input = {
      algorithm: { oid: '1.2.840.113549.1.1.4' },
      signature: file('rsa-md5.sig'),
      data,
      publicKey: file('rsa.spki'),
    };
    expect(await verifySignature(input)).toBe(true);
    const bad = file('rsa-md5.sig');
    bad[10] = bad[10]! ^ 1;
    expect(await verifySignature({ ...input, signature: bad })).toBe(false);
    expect(summarizePublicKey(file('rsa.spki'))).toEqual({ kind: 'rsa', bits: 2048 });
  });

  it('RSA-PSS with explicit parameters', async () => {
    openssl(
      'dgst',
      '-sha256',
      '-sign',
      'rsa.key',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:32',
      '-out',
      'rsa-pss.sig',
      'data.bin',
    );
    // RSASSA-PSS-params { [0] sha256, [1] mgf1(sha256), [2] 32 }
    const params = new Uint8Array([
      0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
      0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
      0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20,
    ]);
    expect(parseRsaPssParameters(params)).toEqual({ hash: 'SHA-256', mgfHash: 'SHA-256', saltLength: 32 });
    const ok = await verifySignature({
      algorithm: { oid: '1.2.840.113549.1.1.10', parameters: params },
      signature: file('rsa-pss.sig'),
      data,
      publicKey: file('rsa.spki'),
    });
    expect(ok).toBe(true);
  });

  it('ECDSA with explicitly encoded curve parameters (recognised as P-384)', async () => {
    openssl('ecparam', '-name', 'secp384r1', '-param_enc', 'explicit', '-genkey', '-out', 'ec.key');
    openssl('pkey', '-in', 'ec.key', '-pubout', '-outform', 'DER', '-out', 'ec.spki');
    openssl('dgst', '-sha384', '-sign', 'ec.key', '-out', 'ec.sig', 'data.bin');
    const spki = file('ec.spki');
    expect(spki.length).toBeGreaterThan(200); // explicit parameters, not a curve OID
    expect(summarizePublicKey(spki)).toEqual({ kind: 'ec', bits: 384, curve: 'P-384' });
    const input = { algorithm: { oid: '1.2.840.10045.4.3.3' }, signature: file('ec.sig'), data, publicKey: spki };
    expect(await verifySignature(input)).toBe(true);
    expect(await verifySignature({ ...input, data: new TextEncoder().encode('x') })).toBe(false);
  });

  it('unknown algorithms and mismatched keys throw AlgorithmError', async () => {
    await expect(
      verifySignature({
        algorithm: { oid: '1.2.3.4' },
        signature: new Uint8Array(1),
        data,
        publicKey: file('rsa.spki'),
      }),
    ).rejects.toBeInstanceOf(AlgorithmError);
    await expect(
      verifySignature({
        algorithm: { oid: '1.2.840.10045.4.3.2' },
        signature: new Uint8Array(1),
        data,
        publicKey: file('rsa.spki'),
      }),
    ).rejects.toMatchObject({ code: 'key-algorithm-mismatch' });
  });
});
