import { decodePem } from '../../src/util/pem.js';
/**
 * End-to-end use of the primitives on real EnvelopedData (RFC 4134, pyca,
 * Thunderbird/OpenSSL): key transport with PKCS#1 v1.5 implicit rejection or
 * OAEP, then content decryption (3DES, RC2-128, AES-CBC). A minimal
 * EnvelopedData reader lives here; the real one belongs to the CMS layer.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentKeyLength, decryptContent } from '../../src/crypto/ciphers/index.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { parseOaepParams, rsaOaepDecrypt } from '../../src/crypto/rsa-oaep.js';
import { rsaPkcs1v15DecryptImplicit } from '../../src/crypto/rsa.js';
import { SmimeError } from '../../src/errors.js';
import { fromBase64, latin1, toHex } from '../../src/util/bytes.js';
import { describeVectors, readShared, sharedPath } from '../helpers/vectors.js';
import {
  derParse,
  derChildren,
  derContent,
  derBytes,
  derIsContext,
  derSequence,
  derSet,
  derOid,
  derOctets,
  derAlgorithm,
} from '../../src/asn1/index.js';
import { tempDir } from '../helpers/temp.js';

interface Ktri {
  keyEncryptionOid: string;
  keyEncryptionParams: Uint8Array | undefined;
  encryptedKey: Uint8Array;
}

function readEnveloped(der: Uint8Array): { ktris: Ktri[]; contentAlg: Uint8Array; encryptedContent: Uint8Array } {
  const ci = derSequence(derParse(der, { allowTrailing: true }), 'ContentInfo', 2);
  expect(derOid(ci[0])).toBe('1.2.840.113549.1.7.3');
  const ed = derSequence(derChildren(ci[1]!)[0], 'EnvelopedData', 3);
  let i = 1;
  if (derIsContext(ed[i]!, 0)) i++; // originatorInfo
  const ktris: Ktri[] = [];
  for (const ri of derSet(ed[i], 'RecipientInfos')) {
    if (ri.cls !== 0) continue; // KARI/KEKRI/... are [n]-tagged
    const k = derSequence(ri, 'KeyTransRecipientInfo', 4);
    const alg = derAlgorithm(k[2]);
    ktris.push({
      keyEncryptionOid: alg.oid,
      keyEncryptionParams: alg.params ? derBytes(alg.params) : undefined,
      encryptedKey: derOctets(k[3]),
    });
  }
  const eci = derSequence(ed[i + 1], 'EncryptedContentInfo', 3);
  return {
    ktris,
    contentAlg: derBytes(eci[1]!),
    encryptedContent: derOctets(eci[2], 'encryptedContent', { implicitTag: 0 }),
  };
}

async function decryptWith(der: Uint8Array, privateKey: Uint8Array): Promise<Uint8Array> {
  const env = readEnveloped(der);
  const cekLength = contentKeyLength(env.contentAlg);
  let lastError: unknown;
  for (const ktri of env.ktris) {
    const cek =
      ktri.keyEncryptionOid === '1.2.840.113549.1.1.7'
        ? await rsaOaepDecrypt(privateKey, ktri.encryptedKey, parseOaepParams(ktri.keyEncryptionParams)).catch(
            (e: unknown) => {
              lastError = e;
              return undefined;
            },
          )
        : await rsaPkcs1v15DecryptImplicit(privateKey, ktri.encryptedKey, { expectedLength: cekLength });
    if (!cek) continue;
    try {
      return await decryptContent(env.contentAlg, cek, env.encryptedContent);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

function mimeBody(bytes: Uint8Array): Uint8Array {
  const text = latin1(bytes);
  const split = text.search(/\r?\n\r?\n/);
  return fromBase64(text.slice(split).trim());
}

describeVectors('EnvelopedData from the shared vectors, decrypted with the crypto primitives', () => {
  const content = 'This is some sample content.';

  it("RFC 4134 5.1 (PKCS#1 v1.5 + 3DES) and 5.2 (RC2, content version 160 = 40 bits; 58 is the KEK wrap) with Bob's key", async () => {
    const bob = await loadPrivateKey(readShared('rfc4134', 'BobPrivRSAEncrypt.pri'));
    for (const f of ['5.1.bin', '5.2.bin']) {
      const der = readShared('rfc4134', f);
      expect(new TextDecoder().decode(await decryptWith(der, bob.pkcs8)), f).toBe(content);
    }
    expect(contentKeyLength(readEnveloped(readShared('rfc4134', '5.2.bin')).contentAlg)).toBe(5);
  });

  it('RFC 4134 5.1 with the wrong key: a synthetic CEK, then decryption-failed or garbage — never the content, never another error', async () => {
    const alice = await loadPrivateKey(readShared('rfc4134', 'AlicePrivRSASign.pri'));
    try {
      const out = await decryptWith(readShared('rfc4134', '5.1.bin'), alice.pkcs8);
      expect(new TextDecoder().decode(out)).not.toBe(content);
    } catch (e) {
      expect(e).toBeInstanceOf(SmimeError);
      expect((e as SmimeError).code).toBe('decryption-failed');
    }
  });

  it('pyca/cryptography: PKCS#1 v1.5 with AES-192/256-CBC and 3DES, and RSA-OAEP (default params)', async () => {
    const key = await loadPrivateKey(readShared('cryptography', 'x509-custom-ca', 'rsa_key.pem'));
    const expected: Record<string, string> = {
      'enveloped-aes-192-cbc.pem': 'Hello world!\r\n',
      'enveloped-aes-256-cbc.pem': 'Hello world!\r\n',
      'enveloped-triple-des.pem': 'Hello, World!\r\n',
      'enveloped-rsa-oaep.pem': 'Hello, world!',
    };
    for (const [f, text] of Object.entries(expected)) {
      const der = decodePem(readShared('cryptography', 'pkcs7', f))[0]!.der;
      expect(new TextDecoder().decode(await decryptWith(der, key.pkcs8)), f).toBe(text);
    }
  });

  it('Thunderbird interop: OpenSSL-made RSA-OAEP (SHA-1, SHA-256, SHA-256 MGF, label) for Fran.p12', async () => {
    const fran = await loadIdentity(readShared('thunderbird', 'smime-interop', 'Fran.p12'), 'nss');
    const keyPath = join(tempDir('smimekit-env-'), 'fran.pem');
    writeFileSync(
      keyPath,
      `-----BEGIN PRIVATE KEY-----\n${Buffer.from(fran.privateKey).toString('base64')}\n-----END PRIVATE KEY-----\n`,
    );
    for (const f of [
      'fran-oaep_ossl.env',
      'fran-oaep-label_ossl.env',
      'fran-oaep-sha256hash_ossl.env',
      'fran-oaep-sha256hash-sha256mgf_ossl.env',
    ]) {
      const der = mimeBody(readShared('thunderbird', 'smime-interop', f));
      const ours = await decryptWith(der, fran.privateKey);
      const oracle = execFileSync('openssl', [
        'cms',
        '-decrypt',
        '-in',
        sharedPath('thunderbird', 'smime-interop', f),
        '-inkey',
        keyPath,
      ]);
      expect(toHex(ours), f).toBe(toHex(new Uint8Array(oracle)));
    }
  });

  it('Thunderbird: enveloped message to Bob (PKCS#1 v1.5 + AES-128-CBC)', async () => {
    const bob = await loadIdentity(readShared('thunderbird', 'smime', 'Bob.p12'), 'nss');
    const der = mimeBody(readShared('thunderbird', 'smime', 'alice.env.eml'));
    const out = new TextDecoder().decode(await decryptWith(der, bob.privateKey));
    expect(out).toContain('This is a test message from Alice to Bob.');
  });
});

describe('contentKeyLength', () => {
  it('knows the CEK sizes', () => {
    const alg = (oidHex: string, params = ''): Uint8Array => {
      const body = oidHex + params;
      return Uint8Array.from(Buffer.from(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`, 'hex'));
    };
    expect(contentKeyLength(alg('06082a864886f70d030704080102030405060708'))).toBe(24); // des-ede3-cbc
    expect(contentKeyLength(alg('0609608648016503040102', '04100102030405060708090a0b0c0d0e0f10'))).toBe(16);
    expect(contentKeyLength(alg('060960864801650304012a', '04100102030405060708090a0b0c0d0e0f10'))).toBe(32);
    // rc2-cbc with version 160 (40 bits)
    expect(contentKeyLength(alg('06082a864886f70d0302', '300e020200a004080102030405060708'))).toBe(5);
    expect(() => contentKeyLength(alg('06032a0304'))).toThrow(
      expect.objectContaining({ code: 'unsupported-algorithm' }),
    );
    void derContent;
  });
});
