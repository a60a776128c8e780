/** CMS-level EnvelopedData / AuthEnvelopedData: structure as written, P-521 ECDH, parsing errors. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SmimeError } from '../../src/errors.js';
import { setCryptoBackend } from '../../src/crypto/engine.js';
import { aesKeyWrap } from '../../src/crypto/ciphers/aes.js';
import { hkdf } from '../../src/crypto/kdf.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo } from '../../src/cms/content-info.js';
import { encryptContent, generateCek } from '../../src/cms/content-cipher.js';
import { createEnvelope } from '../../src/cms/enveloped-create.js';
import { decryptEnvelope, MAX_NAMED_RECIPIENTS } from '../../src/cms/enveloped-decrypt.js';
import { parseEnvelope } from '../../src/cms/enveloped-parse.js';
import { encodeRecipientInfo } from '../../src/cms/recipient-encode.js';
import { keyEncryptionName } from '../../src/cms/recipient-parse.js';
import { fromHex } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { readCertificate } from '../../src/x509/index.js';
import { projectVectorPath } from '../helpers/vectors.js';
import { tlv, seq, set, octets, encodeOid, encodeInt, algorithmId } from '../../src/asn1/index.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-cms-env-');
const chain = (name: string): string => projectVectorPath('chains', name);
const pemCert = (path: string): Uint8Array => decodePem(readFileSync(path)).find((b) => b.label === 'CERTIFICATE')!.der;
const openssl = (...args: string[]): Buffer =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const content = new TextEncoder().encode('CMS content\r\n');

describe('EnvelopedData as written', () => {
  it('version 0 for issuerAndSerialNumber KTRIs only, 2 with SKI or KARI; recipients in order', async () => {
    const v0 = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')) }]);
    expect(parseEnvelope(v0.der).version).toBe(0);
    const ski = await createEnvelope(content, [
      { certificate: pemCert(chain('ee-rsa.pem')), identifier: 'subjectKeyIdentifier' },
    ]);
    expect(parseEnvelope(ski.der).version).toBe(2);
    const mixed = await createEnvelope(content, [
      { certificate: pemCert(chain('ee-rsa.pem')), keyTransport: 'rsa-oaep' },
      { certificate: pemCert(chain('ee-p384.pem')) },
    ]);
    const env = parseEnvelope(mixed.der);
    expect(env.version).toBe(2);
    expect(env.recipientInfos.map((r) => r.kind)).toEqual(['ktri', 'kari']);
    const [ktri, kari] = env.recipientInfos;
    if (ktri?.kind !== 'ktri' || kari?.kind !== 'kari') throw new Error('unexpected recipient kinds');
    expect(keyEncryptionName(ktri.keyEncryptionAlgorithm)).toBe('RSAES-OAEP/SHA-256');
    expect(keyEncryptionName(kari.keyEncryptionAlgorithm)).toBe('dhSinglePass-stdDH-sha384kdf-scheme');
    expect(kari.originatorKey?.publicKey[0]).toBe(4);
    expect(env.cipher).toBe('aes-256-cbc');
    // OpenSSL parses it field by field.
    writeFileSync(join(dir, 'mixed.der'), mixed.der);
    const printed = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'mixed.der').toString();
    expect(printed).toContain('rsaesOaep');
    expect(printed).toContain('dhSinglePass-stdDH-sha384kdf-scheme');
    expect(printed).toContain('id-aes256-wrap');
  });

  it('AuthEnvelopedData: version 0, 12-byte nonce, 16-byte tag written explicitly', async () => {
    const gcm = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')) }], {
      cipher: 'aes-128-gcm',
    });
    expect(parseContentInfo(gcm.der).name).toBe('authEnvelopedData');
    const env = parseEnvelope(gcm.der);
    expect(env.version).toBe(0);
    expect(env.mac).toHaveLength(16);
    expect(env.authAttrs).toBeUndefined();
    writeFileSync(join(dir, 'gcm.der'), gcm.der);
    const printed = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'gcm.der').toString();
    expect(printed).toMatch(/aes-128-gcm/);
    expect(printed).toMatch(/l= {2}12 prim: {2}OCTET STRING[\s\S]*INTEGER +:10/);
  });

  it('P-521 ECDH both ways with OpenSSL', async () => {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-521',
      '-nodes',
      '-keyout',
      'p521.key',
      '-subj',
      '/CN=p521',
      '-days',
      '30',
      '-out',
      'p521.pem',
    );
    const cert = pemCert(join(dir, 'p521.pem'));
    const key = await loadPrivateKey(readFileSync(join(dir, 'p521.key')));
    const mine = await createEnvelope(content, [{ certificate: cert }], { cipher: 'aes-256-gcm' });
    writeFileSync(join(dir, 'p521.der'), mine.der);
    expect(
      new Uint8Array(
        openssl(
          'cms',
          '-decrypt',
          '-binary',
          '-inform',
          'DER',
          '-in',
          'p521.der',
          '-recip',
          'p521.pem',
          '-inkey',
          'p521.key',
        ),
      ),
    ).toEqual(content);
    writeFileSync(join(dir, 'plain.bin'), content);
    const theirs = new Uint8Array(
      openssl(
        'cms',
        '-encrypt',
        '-binary',
        '-outform',
        'DER',
        '-in',
        'plain.bin',
        '-aes-192-cbc',
        '-recip',
        'p521.pem',
      ),
    );
    const out = await decryptEnvelope(theirs, { certificate: cert, privateKey: key });
    expect(out.content).toEqual(content);
    expect(out.cipher).toBe('aes-192-cbc');
  });

  it('X25519 and X448 (RFC 8418, HKDF): round trip; OpenSSL 3.0 parses the structure', async () => {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'xca.key',
      '-subj',
      '/CN=xdh ca',
      '-days',
      '30',
      '-out',
      'xca.pem',
    );
    for (const alg of ['X25519', 'X448']) {
      const n = alg.toLowerCase();
      openssl('genpkey', '-algorithm', alg, '-out', `${n}.key`);
      openssl('pkey', '-in', `${n}.key`, '-pubout', '-out', `${n}.pub`);
      openssl(
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${n}-dummy.key`,
        '-subj',
        `/CN=${n}`,
        '-out',
        `${n}.csr`,
      );
      openssl(
        'x509',
        '-req',
        '-in',
        `${n}.csr`,
        '-CA',
        'xca.pem',
        '-CAkey',
        'xca.key',
        '-force_pubkey',
        `${n}.pub`,
        '-days',
        '30',
        '-out',
        `${n}.pem`,
      );
      const cert = pemCert(join(dir, `${n}.pem`));
      const key = await loadPrivateKey(readFileSync(join(dir, `${n}.key`)));
      for (const cipher of ['aes-128-cbc', 'aes-256-gcm'] as const) {
        const env = await createEnvelope(
          content,
          [{ certificate: cert }, { certificate: pemCert(chain('ee-rsa.pem')) }],
          { cipher },
        );
        expect(env.recipients[0]).toMatchObject({
          keyManagement: 'ecdh',
          algorithm:
            alg === 'X25519' ? 'dhSinglePass-stdDH-hkdf-sha256-scheme' : 'dhSinglePass-stdDH-hkdf-sha512-scheme',
        });
        const out = await decryptEnvelope(env.der, { certificate: cert, privateKey: key });
        expect(out.content).toEqual(content);
        expect(out.recipient.keyManagement).toBe('ecdh');
        writeFileSync(join(dir, `${n}.der`), env.der);
        expect(openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', `${n}.der`).toString()).toContain(alg);
      }
    }
  });

  it('refuses non-enveloped content and detached encrypted content', async () => {
    writeFileSync(join(dir, 'data.txt'), 'x');
    const signed = new Uint8Array(
      openssl(
        'cms',
        '-sign',
        '-binary',
        '-outform',
        'DER',
        '-in',
        'data.txt',
        '-signer',
        chain('ee-rsa.pem'),
        '-inkey',
        chain('ee-rsa.key'),
      ),
    );
    expect(() => parseEnvelope(signed)).toThrow(expect.objectContaining({ code: 'not-enveloped' }));
    expect(() => parseEnvelope(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toThrow(
      expect.objectContaining({ code: 'malformed-cms' }),
    );
    const ok = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')) }]);
    const truncated = ok.der.subarray(0, ok.der.length - 10);
    expect(() => parseEnvelope(truncated)).toThrow(expect.objectContaining({ code: 'malformed-cms' }));
  });
});

/** A WebCrypto whose deriveBits is replaced (to count calls, or to act like a backend without RFC 7748 checks). */
function wrappedBackend(
  deriveBits: (
    real: SubtleCrypto['deriveBits'],
    ...args: Parameters<SubtleCrypto['deriveBits']>
  ) => Promise<ArrayBuffer>,
): Crypto {
  const real = globalThis.crypto;
  const subtle = new Proxy(real.subtle, {
    get(target, prop) {
      if (prop === 'deriveBits')
        return (...args: Parameters<SubtleCrypto['deriveBits']>) => deriveBits(target.deriveBits.bind(target), ...args);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { subtle, getRandomValues: real.getRandomValues.bind(real), randomUUID: real.randomUUID.bind(real) } as Crypto;
}

/** An X25519 certificate (issued by a throw-away RSA CA) for the raw public key `pub`, and the PKCS#8 key when generated. */
function x25519Cert(name: string, pub?: Uint8Array): { cert: Uint8Array; keyPath?: string } {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}-ca.key`,
    '-subj',
    `/CN=${name} ca`,
    '-days',
    '30',
    '-out',
    `${name}-ca.pem`,
  );
  if (pub) {
    const spki = Uint8Array.from([...fromHex('302a300506032b656e032100'), ...pub]);
    writeFileSync(
      join(dir, `${name}.pub`),
      `-----BEGIN PUBLIC KEY-----\n${Buffer.from(spki).toString('base64')}\n-----END PUBLIC KEY-----\n`,
    );
  } else {
    openssl('genpkey', '-algorithm', 'X25519', '-out', `${name}.key`);
    openssl('pkey', '-in', `${name}.key`, '-pubout', '-out', `${name}.pub`);
  }
  openssl(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}-dummy.key`,
    '-subj',
    `/CN=${name}`,
    '-out',
    `${name}.csr`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${name}-ca.pem`,
    '-CAkey',
    `${name}-ca.key`,
    '-force_pubkey',
    `${name}.pub`,
    '-days',
    '30',
    '-out',
    `${name}.pem`,
  );
  return { cert: pemCert(join(dir, `${name}.pem`)), ...(pub ? {} : { keyPath: join(dir, `${name}.key`) }) };
}

describe('key agreement hardening', () => {
  afterEach(() => setCryptoBackend(globalThis.crypto));

  it('a low-order X25519 recipient key is refused with a SmimeError (never a DOMException)', async () => {
    const { cert } = x25519Cert('x25519-zero', new Uint8Array(32));
    const run = createEnvelope(content, [{ certificate: cert }], { cipher: 'aes-128-gcm' });
    await expect(run).rejects.toBeInstanceOf(SmimeError);
    await expect(run).rejects.toMatchObject({ code: 'unsupported-algorithm' });
  });

  it('an all-zero X25519 shared secret is refused even when the WebCrypto backend does not check it (RFC 7748 §6.1)', async () => {
    const { cert, keyPath } = x25519Cert('x25519-ok');
    const key = await loadPrivateKey(readFileSync(keyPath!));
    const info = readCertificate(cert);
    // What a sender using the low-order point u = 0 as its "ephemeral" key writes: the KEK comes from Z = 0...0.
    const cek = generateCek('aes-128-gcm');
    const wrapAlg = algorithmId('2.16.840.1.101.3.4.1.5');
    const sharedInfo = seq(wrapAlg, tlv(0xa2, octets(Uint8Array.of(0, 0, 0, 128))));
    const kek = await hkdf('SHA-256', new Uint8Array(32), new Uint8Array(0), sharedInfo, 16);
    const kari = tlv(
      0xa1,
      encodeInt(3),
      tlv(0xa0, tlv(0xa1, algorithmId('1.3.101.110'), tlv(0x03, new Uint8Array(33)))),
      algorithmId('1.2.840.113549.1.9.16.3.19', wrapAlg),
      seq(seq(seq(info.issuer.der, tlv(0x02, fromHex(info.serialHex))), octets(await aesKeyWrap(kek, cek)))),
    );
    const parts = await encryptContent('aes-128-gcm', cek, content);
    const der = encodeContentInfo(
      CONTENT_TYPE.authEnvelopedData,
      seq(
        encodeInt(0),
        set(kari),
        seq(encodeOid(CONTENT_TYPE.data), parts.algorithm, tlv(0x80, parts.ciphertext)),
        octets(parts.tag!),
      ),
    );
    // Node refuses the low-order point itself.
    await expect(decryptEnvelope(der, { certificate: cert, privateKey: key })).rejects.toMatchObject({
      code: 'decryption-failed',
    });
    // A backend that returns the all-zero secret (as X25519 implementations without the RFC 7748 check do).
    setCryptoBackend(
      wrappedBackend(async (real, alg, key, length) =>
        (alg as Algorithm).name === 'X25519' ? new ArrayBuffer((length ?? 256) / 8) : real(alg, key, length),
      ),
    );
    await expect(decryptEnvelope(der, { certificate: cert, privateKey: key })).rejects.toMatchObject({
      code: 'decryption-failed',
    });
  });

  it(`a message with many RecipientInfos naming the certificate costs at most ${MAX_NAMED_RECIPIENTS} key agreements`, async () => {
    const certificate = pemCert(chain('ee-p256.pem'));
    const key = await loadPrivateKey(readFileSync(chain('ee-p256.key')));
    const cek = generateCek('aes-256-gcm');
    // 100 KARIs to the same certificate, none carrying the real CEK (a hostile message).
    const ris: Uint8Array[] = [];
    for (let i = 0; i < 100; i++)
      ris.push((await encodeRecipientInfo({ certificate }, generateCek('aes-256-gcm'))).der);
    const parts = await encryptContent('aes-256-gcm', cek, content);
    const der = encodeContentInfo(
      CONTENT_TYPE.authEnvelopedData,
      seq(
        encodeInt(0),
        set(...ris),
        seq(encodeOid(CONTENT_TYPE.data), parts.algorithm, tlv(0x80, parts.ciphertext)),
        octets(parts.tag!),
      ),
    );
    let calls = 0;
    setCryptoBackend(
      wrappedBackend((real, ...args) => {
        calls++;
        return real(...args);
      }),
    );
    await expect(decryptEnvelope(der, { certificate, privateKey: key })).rejects.toMatchObject({
      code: 'decryption-failed',
    });
    expect(calls).toBe(MAX_NAMED_RECIPIENTS);
  });
});

describe('content-encryption key length', () => {
  it('an RC2 key too long for the RSA modulus is decryption-failed, not an argument error', async () => {
    const certificate = pemCert(chain('bad-weak-rsa1024.pem'));
    const key = await loadPrivateKey(readFileSync(chain('bad-weak-rsa1024.key')));
    const ri = await encodeRecipientInfo({ certificate, allowWeak: true }, generateCek('aes-128-cbc'));
    // RC2-CBC with rc2ParameterVersion 1024 (effective key bits): a 128-byte CEK cannot be PKCS#1-wrapped by a 1024-bit key.
    const rc2 = algorithmId('1.2.840.113549.3.2', seq(tlv(0x02, Uint8Array.of(4, 0)), octets(new Uint8Array(8))));
    const der = encodeContentInfo(
      CONTENT_TYPE.envelopedData,
      seq(encodeInt(0), set(ri.der), seq(encodeOid(CONTENT_TYPE.data), rc2, tlv(0x80, new Uint8Array(16)))),
    );
    await expect(decryptEnvelope(der, { certificate, privateKey: key })).rejects.toMatchObject({
      code: 'decryption-failed',
    });
  });
});
