import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSignedData, type SigningDigest } from '../../src/cms/signer.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { verifySignedData } from '../../src/cms/verify-signed-data.js';
import { ATTRIBUTE, CAPABILITY_OID, decodeCapabilities, singleValue } from '../../src/cms/attributes.js';
import { utf8 } from '../../src/util/bytes.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { tempDir } from '../helpers/cli.js';
import { chainFile, identity, makeP521Identity, openssl, opensslEd25519Check, type TestIdentity } from './fixtures.js';

const KEYS = ['ee-rsa', 'ee-rsa-pss', 'ee-p256', 'ee-p384', 'ee-ed25519'];
const DIGESTS: SigningDigest[] = ['sha256', 'sha384', 'sha512'];
const content = utf8('Grüße: signed content\r\n');

describe('CMS SignedData: create and verify', () => {
  const dir = tempDir();
  const ids: Record<string, TestIdentity> = {};
  beforeAll(async () => {
    for (const k of KEYS) ids[k] = await identity(k);
    ids['ee-p521'] = await makeP521Identity(dir);
  }, 60_000);

  for (const k of [...KEYS, 'ee-p521']) {
    // Ed25519 signs with SHA-512 only (RFC 8419; another digest is bad-argument: test/cms/policy-calls.test.ts).
    for (const digest of k === 'ee-ed25519' ? (['sha512'] as SigningDigest[]) : DIGESTS) {
      for (const pss of k === 'ee-rsa' ? [false, true] : [false]) {
        it(`${k} ${digest}${pss ? ' pss' : ''}: verifies here and with openssl (attached + detached)`, async () => {
          const id = ids[k]!;
          for (const detached of [false, true]) {
            const der = await createSignedData(content, {
              signers: [{ certificate: id.certificate, privateKey: id.privateKey, chain: id.chain, digest, pss }],
              detached,
            });
            const sd = parseSignedData(der);
            expect(sd.content === undefined).toBe(detached);
            // signer + intermediate, no root
            expect(sd.certificates.length).toBe(2);
            const [r] = await verifySignedData(sd, { content });
            expect(r!.problems).toEqual([]);
            expect(r!.signatureValid).toBe(true);
            if (k === 'ee-ed25519') expect(r!.algorithms.digest).toBe('SHA-512');
            if (k === 'ee-rsa-pss' || pss)
              expect(r!.algorithms.pss).toEqual({
                hash: r!.algorithms.digest,
                mgfHash: r!.algorithms.digest,
                saltLength: { sha256: 32, sha384: 48, sha512: 64 }[k === 'ee-ed25519' ? 'sha512' : digest],
              });
            const file = join(dir, `${k}-${digest}-${pss}-${detached}.der`);
            const dataFile = join(dir, 'content.bin');
            writeFileSync(file, der);
            writeFileSync(dataFile, content);
            if (k === 'ee-ed25519') {
              // OpenSSL 3.0 cannot process Ed25519 SignedData (fixed in 3.2): check the pieces with its primitives instead.
              expect(opensslEd25519Check(dir, id, sd, content)).toBe(true);
              continue;
            }
            const args = [
              'cms',
              '-verify',
              '-binary',
              '-inform',
              'DER',
              '-in',
              file,
              '-CAfile',
              chainFile('root.pem'),
              '-purpose',
              'smimesign',
            ];
            const res = openssl(detached ? [...args, '-content', dataFile] : args);
            expect(res.stderr).toContain('Verification successful');
            expect(new Uint8Array(res.stdout)).toEqual(content);
          }
        });
      }
    }
  }

  it('writes the S/MIME signed attributes', async () => {
    const id = ids['ee-rsa']!;
    const der = await createSignedData(content, {
      signers: [{ certificate: id.certificate, privateKey: id.privateKey, chain: id.chain }],
      signingTime: new Date('2030-01-02T03:04:05Z'),
    });
    const sd = parseSignedData(der);
    const attrs = sd.signerInfos[0]!.signedAttributes!;
    expect(attrs.map((a) => a.oid).sort()).toEqual(
      [
        ATTRIBUTE.contentType,
        ATTRIBUTE.messageDigest,
        ATTRIBUTE.signingTime,
        ATTRIBUTE.smimeCapabilities,
        ATTRIBUTE.smimeEncryptionKeyPreference,
        ATTRIBUTE.signingCertificateV2,
      ].sort(),
    );
    const caps = decodeCapabilities(singleValue(attrs, ATTRIBUTE.smimeCapabilities)!).map((c) => c.oid);
    expect(caps.slice(0, 5)).toEqual([
      CAPABILITY_OID.aes256Gcm,
      CAPABILITY_OID.aes128Gcm,
      CAPABILITY_OID.aes256Cbc,
      CAPABILITY_OID.aes192Cbc,
      CAPABILITY_OID.aes128Cbc,
    ]);
    expect(caps).toContain(CAPABILITY_OID.rsaesOaep);
    const [r] = await verifySignedData(sd);
    expect(r!.signingTime).toEqual(new Date('2030-01-02T03:04:05Z'));
    expect(r!.encryptionCertificate).toEqual(id.certificate);
    // openssl parses the attributes too
    const file = join(dir, 'attrs.der');
    writeFileSync(file, der);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file]).stdout.toString();
    expect(printed).toContain('id-smime-aa-signingCertificateV2');
    expect(printed).toContain('id-smime-aa-encrypKeyPref');
    expect(printed).toContain('aes-256-gcm');
  });

  it('Ed25519 and RSA-PSS keys announce no encryption key preference', async () => {
    for (const k of ['ee-ed25519', 'ee-rsa-pss']) {
      const id = ids[k]!;
      const sd = parseSignedData(
        await createSignedData(content, { signers: [{ certificate: id.certificate, privateKey: id.privateKey }] }),
      );
      expect(sd.signerInfos[0]!.signedAttributes!.some((a) => a.oid === ATTRIBUTE.smimeEncryptionKeyPreference)).toBe(
        false,
      );
    }
  });

  it('includes the root only when asked, and nothing with none', async () => {
    const id = ids['ee-p256']!;
    const withRoot = parseSignedData(
      await createSignedData(content, {
        signers: [
          {
            certificate: id.certificate,
            privateKey: id.privateKey,
            chain: id.chain,
            includeCertificates: 'chain-with-root',
          },
        ],
      }),
    );
    expect(withRoot.certificates.length).toBe(3);
    const none = parseSignedData(
      await createSignedData(content, {
        signers: [
          { certificate: id.certificate, privateKey: id.privateKey, chain: id.chain, includeCertificates: 'none' },
        ],
      }),
    );
    expect(none.certificates.length).toBe(0);
    const [missing] = await verifySignedData(none);
    expect(missing!.problems[0]!.code).toBe('sender-certificate-missing');
    const [found] = await verifySignedData(none, { certificates: [id.certificate] });
    expect(found!.signatureValid).toBe(true);
  });

  it('several signers, signer identified by subjectKeyIdentifier', async () => {
    const a = ids['ee-rsa']!;
    const b = ids['ee-p384']!;
    const der = await createSignedData(content, {
      signers: [
        { certificate: a.certificate, privateKey: a.privateKey, chain: a.chain },
        {
          certificate: b.certificate,
          privateKey: b.privateKey,
          chain: b.chain,
          digest: 'sha384',
          identifier: 'subjectKeyIdentifier',
        },
      ],
    });
    const sd = parseSignedData(der);
    expect(sd.version).toBe(3);
    expect(sd.signerInfos.map((s) => s.sid.type).sort()).toEqual(['issuerAndSerialNumber', 'subjectKeyIdentifier']);
    const results = await verifySignedData(sd);
    expect(results.map((r) => r.signatureValid)).toEqual([true, true]);
    const file = join(dir, 'two.der');
    writeFileSync(file, der);
    expect(
      openssl([
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        file,
        '-CAfile',
        chainFile('root.pem'),
        '-out',
        '/dev/null',
      ]).stderr,
    ).toContain('Verification successful');
  });

  it('tampering: changed content → digest-mismatch; changed signature → bad-signature', async () => {
    const id = ids['ee-rsa']!;
    const der = await createSignedData(content, {
      signers: [{ certificate: id.certificate, privateKey: id.privateKey }],
      detached: true,
    });
    const sd = parseSignedData(der);
    const [changed] = await verifySignedData(sd, { content: utf8('Grüße: signed content!\r\n') });
    expect(changed!.problems.map((p) => p.code)).toEqual(['digest-mismatch']);
    sd.signerInfos[0]!.signature[10]! ^= 1;
    const [badSig] = await verifySignedData(sd, { content });
    expect(badSig!.problems.map((p) => p.code)).toEqual(['bad-signature']);
    const [none] = await verifySignedData(parseSignedData(der));
    expect(none!.problems.map((p) => p.code)).toEqual(['no-content']);
  });

  it('verifies OpenSSL SignedData with SHA-1 only with allowWeak', async () => {
    const id = ids['ee-rsa']!;
    const dataFile = join(dir, 'c.bin');
    writeFileSync(dataFile, content);
    const r = openssl([
      'cms',
      '-sign',
      '-binary',
      '-md',
      'sha1',
      '-outform',
      'DER',
      '-nodetach',
      '-in',
      dataFile,
      '-signer',
      id.certFile,
      '-inkey',
      id.keyFile,
    ]);
    expect(r.status).toBe(0);
    const sd = parseSignedData(new Uint8Array(r.stdout));
    const [weak] = await verifySignedData(sd);
    expect(weak!.problems.map((p) => p.code)).toEqual(['weak-algorithm']);
    const [ok] = await verifySignedData(sd, { allowWeak: true });
    expect(ok!.signatureValid).toBe(true);
  });

  it('parses BER with a constructed, chunked eContent and checks node limits', async () => {
    const id = ids['ee-p256']!;
    const dataFile = join(dir, 'big.bin');
    const big = new Uint8Array(300_000).map((_, i) => 65 + (i % 26));
    writeFileSync(dataFile, big);
    const r = openssl([
      'cms',
      '-sign',
      '-binary',
      '-stream',
      '-outform',
      'DER',
      '-nodetach',
      '-in',
      dataFile,
      '-signer',
      id.certFile,
      '-inkey',
      id.keyFile,
    ]);
    expect(r.status).toBe(0);
    const der = new Uint8Array(r.stdout);
    const sd = parseSignedData(der);
    expect(sd.content).toEqual(big);
    const [ok] = await verifySignedData(sd);
    expect(ok!.signatureValid).toBe(true);
    expect(() => parseSignedData(der, { maxNodes: 3 })).toThrow(
      expect.objectContaining({ code: 'cms-limit-exceeded' }),
    );
    expect(() => parseSignedData(der, { maxContentLength: 1000 })).toThrow(
      expect.objectContaining({ code: 'cms-limit-exceeded' }),
    );
  });

  it('rejects garbage and non-signed content types with typed errors', () => {
    expect(() => parseSignedData(utf8('not der'))).toThrow(expect.objectContaining({ code: 'malformed-cms' }));
    const data = Uint8Array.of(
      0x30,
      0x0f,
      0x06,
      0x09,
      0x2a,
      0x86,
      0x48,
      0x86,
      0xf7,
      0x0d,
      0x01,
      0x07,
      0x01,
      0xa0,
      0x02,
      0x04,
      0x00,
    );
    expect(() => parseSignedData(data)).toThrow(expect.objectContaining({ code: 'not-signed-data' }));
  });

  it('refuses key types that cannot sign, and a signer list that is empty', async () => {
    // An X25519 (key agreement only) certificate with its key, made with OpenSSL's -force_pubkey.
    const dir = tempDir();
    const key = join(dir, 'x25519.key');
    const pub = join(dir, 'x25519.pub');
    expect(openssl(['genpkey', '-algorithm', 'X25519', '-out', key]).status).toBe(0);
    expect(openssl(['pkey', '-in', key, '-pubout', '-out', pub]).status).toBe(0);
    expect(
      openssl(['req', '-new', '-key', chainFile('ee-rsa.key'), '-subj', '/CN=X25519 user', '-out', join(dir, 'x.csr')])
        .status,
    ).toBe(0);
    const made = openssl([
      'x509',
      '-req',
      '-in',
      join(dir, 'x.csr'),
      '-CA',
      chainFile('root.pem'),
      '-CAkey',
      chainFile('root.key'),
      '-force_pubkey',
      pub,
      '-days',
      '30',
      '-outform',
      'DER',
    ]);
    expect(made.status, made.stderr).toBe(0);
    const signer = {
      certificate: new Uint8Array(made.stdout),
      privateKey: await loadPrivateKey(readFileSync(key)),
      chain: [],
    };
    expect(signer.privateKey.type).toBe('x25519');
    await expect(createSignedData(content, { signers: [signer] })).rejects.toMatchObject({
      code: 'unsupported-algorithm',
    });
    await expect(createSignedData(content, { signers: [] })).rejects.toMatchObject({ code: 'bad-argument' });
  });
});

describe('signing policy', () => {
  it('refuses an RSA key under 2048 bits unless allowWeak', async () => {
    const weak = await identity('bad-weak-rsa1024');
    expect(weak.privateKey.bits).toBe(1024);
    const signer = { certificate: weak.certificate, privateKey: weak.privateKey, chain: [] };
    await expect(createSignedData(content, { signers: [signer] })).rejects.toMatchObject({ code: 'weak-algorithm' });
    const der = await createSignedData(content, { signers: [signer], allowWeak: true });
    expect(der[0]).toBe(0x30);
  });
});
