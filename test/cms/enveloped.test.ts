/** CMS-level EnvelopedData / AuthEnvelopedData: structure as written, P-521 ECDH, parsing errors. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPrivateKey } from '../../src/crypto/keys.js';
import { parseContentInfo } from '../../src/cms/content-info.js';
import { createEnvelope, decryptEnvelope, parseEnvelope } from '../../src/cms/enveloped.js';
import { keyEncryptionName } from '../../src/cms/recipient.js';
import { decodePem } from '../../src/util/pem.js';
import { projectVectorPath } from '../helpers/vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'smimekit-cms-env-'));
const chain = (name: string): string => projectVectorPath('chains', name);
const pemCert = (path: string): Uint8Array => decodePem(readFileSync(path)).find((b) => b.label === 'CERTIFICATE')!.der;
const openssl = (...args: string[]): Buffer => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const content = new TextEncoder().encode('CMS content\r\n');

describe('EnvelopedData as written', () => {
  it('version 0 for issuerAndSerialNumber KTRIs only, 2 with SKI or KARI; recipients in order', async () => {
    const v0 = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')) }]);
    expect(parseEnvelope(v0.der).version).toBe(0);
    const ski = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')), identifier: 'subjectKeyIdentifier' }]);
    expect(parseEnvelope(ski.der).version).toBe(2);
    const mixed = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')), keyTransport: 'rsa-oaep' }, { certificate: pemCert(chain('ee-p384.pem')) }]);
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
    const gcm = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')) }], { cipher: 'aes-128-gcm' });
    expect(parseContentInfo(gcm.der).name).toBe('authEnvelopedData');
    const env = parseEnvelope(gcm.der);
    expect(env.version).toBe(0);
    expect(env.mac).toHaveLength(16);
    expect(env.authAttrs).toBeUndefined();
    writeFileSync(join(dir, 'gcm.der'), gcm.der);
    const printed = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'gcm.der').toString();
    expect(printed).toMatch(/aes-128-gcm/);
    expect(printed).toMatch(/l=  12 prim:  OCTET STRING[\s\S]*INTEGER +:10/);
  });

  it('P-521 ECDH both ways with OpenSSL', async () => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521', '-nodes', '-keyout', 'p521.key', '-subj', '/CN=p521', '-days', '30', '-out', 'p521.pem');
    const cert = pemCert(join(dir, 'p521.pem'));
    const key = await loadPrivateKey(readFileSync(join(dir, 'p521.key')));
    const mine = await createEnvelope(content, [{ certificate: cert }], { cipher: 'aes-256-gcm' });
    writeFileSync(join(dir, 'p521.der'), mine.der);
    expect(new Uint8Array(openssl('cms', '-decrypt', '-binary', '-inform', 'DER', '-in', 'p521.der', '-recip', 'p521.pem', '-inkey', 'p521.key'))).toEqual(content);
    writeFileSync(join(dir, 'plain.bin'), content);
    const theirs = new Uint8Array(openssl('cms', '-encrypt', '-binary', '-outform', 'DER', '-in', 'plain.bin', '-aes-192-cbc', '-recip', 'p521.pem'));
    const out = await decryptEnvelope(theirs, { certificate: cert, privateKey: key });
    expect(out.content).toEqual(content);
    expect(out.cipher).toBe('aes-192-cbc');
  });

  it('X25519 and X448 (RFC 8418, HKDF): round trip; OpenSSL 3.0 parses the structure', async () => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'xca.key', '-subj', '/CN=xdh ca', '-days', '30', '-out', 'xca.pem');
    for (const alg of ['X25519', 'X448']) {
      const n = alg.toLowerCase();
      openssl('genpkey', '-algorithm', alg, '-out', `${n}.key`);
      openssl('pkey', '-in', `${n}.key`, '-pubout', '-out', `${n}.pub`);
      openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${n}-dummy.key`, '-subj', `/CN=${n}`, '-out', `${n}.csr`);
      openssl('x509', '-req', '-in', `${n}.csr`, '-CA', 'xca.pem', '-CAkey', 'xca.key', '-force_pubkey', `${n}.pub`, '-days', '30', '-out', `${n}.pem`);
      const cert = pemCert(join(dir, `${n}.pem`));
      const key = await loadPrivateKey(readFileSync(join(dir, `${n}.key`)));
      for (const cipher of ['aes-128-cbc', 'aes-256-gcm'] as const) {
        const env = await createEnvelope(content, [{ certificate: cert }, { certificate: pemCert(chain('ee-rsa.pem')) }], { cipher });
        expect(env.recipients[0]).toMatchObject({ keyManagement: 'ecdh', algorithm: alg === 'X25519' ? 'dhSinglePass-stdDH-hkdf-sha256-scheme' : 'dhSinglePass-stdDH-hkdf-sha512-scheme' });
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
    const signed = new Uint8Array(openssl('cms', '-sign', '-binary', '-outform', 'DER', '-in', 'data.txt', '-signer', chain('ee-rsa.pem'), '-inkey', chain('ee-rsa.key')));
    expect(() => parseEnvelope(signed)).toThrow(expect.objectContaining({ code: 'not-enveloped' }));
    expect(() => parseEnvelope(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toThrow(expect.objectContaining({ code: 'malformed-cms' }));
    const ok = await createEnvelope(content, [{ certificate: pemCert(chain('ee-rsa.pem')) }]);
    const truncated = ok.der.subarray(0, ok.der.length - 10);
    expect(() => parseEnvelope(truncated)).toThrow(expect.objectContaining({ code: 'malformed-cms' }));
  });
});
