/** exportPkcs12: round trips through loadIdentity, and interop with `openssl pkcs12` (issue #10 item 11). */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdentity } from '../../src/crypto/identity.js';
import { exportPkcs12 } from '../../src/crypto/pkcs12-export.js';
import { parsePkcs12 } from '../../src/crypto/pkcs12.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { ArgumentError, CryptoError } from '../../src/errors.js';
import { toHex } from '../../src/util/bytes.js';
import { sha1 } from '../../src/util/hash.js';
import { decodePem } from '../../src/util/pem.js';
import { readCertificate } from '../../src/x509/index.js';
import { projectVectorPath } from '../helpers/vectors.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-p12-export-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vector = (name: string): Uint8Array => new Uint8Array(readFileSync(projectVectorPath('chains', name)));
const pemDer = (name: string): Uint8Array => decodePem(vector(name))[0]!.der;
const hex = (list: Uint8Array[]): string[] => list.map(toHex);

const inter = pemDer('intermediate.pem');
const root = pemDer('root.pem');
const users = {
  rsa: { cert: pemDer('ee-rsa.pem'), key: vector('ee-rsa.key') },
  ec: { cert: pemDer('ee-p256.pem'), key: vector('ee-p256.key') },
  ed25519: { cert: pemDer('ee-ed25519.pem'), key: vector('ee-ed25519.key') },
};

/** Runs `openssl pkcs12 -in FILE -passin pass:PW ...`; stdout and stderr together (as latin1: -info prints bytes). */
function opensslPkcs12(p12: Uint8Array, password: string, ...args: string[]): string {
  const file = join(dir, `in-${Math.random().toString(36).slice(2)}.p12`);
  writeFileSync(file, p12);
  const r = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${password}`, ...args], {
    encoding: 'latin1',
  });
  rmSync(file);
  if (r.status !== 0) throw new Error(`openssl pkcs12 failed (${r.status}): ${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

/** What `openssl pkcs12 -nodes` recovers: the certificates (in file order) and the key, both DER. */
async function opensslContents(p12: Uint8Array, password: string, ...args: string[]) {
  const text = opensslPkcs12(p12, password, '-nodes', ...args);
  const blocks = decodePem(new TextEncoder().encode(text));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  const keys = blocks.filter((b) => b.label === 'PRIVATE KEY');
  expect(keys).toHaveLength(1);
  return { certs, key: (await loadPrivateKey(keys[0]!.der)).pkcs8, text };
}

describe('exportPkcs12 → loadIdentity', () => {
  it.each(Object.entries(users))('%s identity with its chain, default and legacy', async (_, user) => {
    const expectedKey = (await loadPrivateKey(user.key)).pkcs8;
    for (const algorithm of ['aes-256-cbc', 'legacy'] as const) {
      const p12 = await exportPkcs12({ certificate: user.cert, privateKey: user.key, chain: [inter, root] }, 'pw', {
        algorithm,
        friendlyName: 'Test User',
      });
      const id = await loadIdentity(p12, 'pw');
      expect(toHex(id.certificate)).toBe(toHex(user.cert));
      expect(hex(id.chain)).toEqual(hex([inter, root]));
      expect(toHex(id.privateKey)).toBe(toHex(expectedKey));
      expect(id.friendlyName).toBe('Test User');
      await expect(loadIdentity(p12, 'px')).rejects.toMatchObject({ code: 'bad-password' });
    }
  });

  it('localKeyId (SHA-1 of the certificate) on the key and end-entity certificate only; MAC verified', async () => {
    const p12 = await exportPkcs12({ certificate: users.rsa.cert, privateKey: users.rsa.key, chain: [inter] }, 'pw');
    const contents = await parsePkcs12(p12, 'pw');
    expect(contents.macVerified).toBe(true);
    const id = toHex(sha1(users.rsa.cert));
    expect(contents.keys.map((k) => k.localKeyId && toHex(k.localKeyId))).toEqual([id]);
    expect(contents.certificates.map((c) => c.localKeyId && toHex(c.localKeyId))).toEqual([id, undefined]);
    expect(contents.keys[0]!.friendlyName).toBeUndefined();
  });

  it('accepts every certificate and key form, skips the end-entity certificate and duplicates in the chain', async () => {
    const pemText = new TextDecoder().decode(vector('ee-rsa.pem'));
    const loaded = await loadPrivateKey(users.rsa.key);
    const forms = [
      { certificate: pemText, privateKey: new TextDecoder().decode(users.rsa.key) },
      { certificate: readCertificate(users.rsa.cert), privateKey: loaded },
      { certificate: { der: users.rsa.cert }, privateKey: loaded.pkcs8.slice().buffer },
    ];
    for (const [i, identity] of forms.entries()) {
      const p12 = await exportPkcs12({ ...identity, chain: [users.rsa.cert, inter, vector('intermediate.pem')] }, '');
      const id = await loadIdentity(p12, '');
      expect(toHex(id.certificate), `form ${i}`).toBe(toHex(users.rsa.cert));
      expect(hex(id.chain), `form ${i}`).toEqual(hex([inter]));
      expect(toHex(id.privateKey)).toBe(toHex(loaded.pkcs8));
    }
  });

  it('a loadIdentity result re-exports as it is, keeping its friendly name unless options override it', async () => {
    const first = await exportPkcs12({ certificate: users.ec.cert, privateKey: users.ec.key }, 'a', {
      friendlyName: 'Ëlsa 🔑',
    });
    const id = await loadIdentity(first, 'a');
    expect(id.friendlyName).toBe('Ëlsa 🔑');
    expect((await loadIdentity(await exportPkcs12(id, 'b'), 'b')).friendlyName).toBe('Ëlsa 🔑');
    const renamed = await loadIdentity(await exportPkcs12(id, 'b', { friendlyName: 'Elsa' }), 'b');
    expect(renamed.friendlyName).toBe('Elsa');
  });

  it('a PKCS#1 RSA key (traditional PEM) is accepted', async () => {
    const pkcs1 = spawnSync('openssl', ['rsa', '-traditional'], { input: users.rsa.key }).stdout;
    expect(pkcs1.toString()).toContain('BEGIN RSA PRIVATE KEY');
    const id = await loadIdentity(await exportPkcs12({ certificate: users.rsa.cert, privateKey: pkcs1 }, 'pw'), 'pw');
    expect(toHex(id.privateKey)).toBe(toHex((await loadPrivateKey(users.rsa.key)).pkcs8));
  });

  it('a key that does not belong to the certificate is key-mismatch', async () => {
    const wrong = exportPkcs12({ certificate: users.rsa.cert, privateKey: users.ec.key }, 'pw');
    await expect(wrong).rejects.toBeInstanceOf(CryptoError);
    await expect(wrong).rejects.toMatchObject({ code: 'key-mismatch' });
    const otherRsa = exportPkcs12({ certificate: users.rsa.cert, privateKey: vector('bad-eku.key') }, 'pw');
    await expect(otherRsa).rejects.toMatchObject({ code: 'key-mismatch' });
  });

  it('bad options and inputs are bad-argument (or the loader code), before any work', async () => {
    const identity = { certificate: users.rsa.cert, privateKey: users.rsa.key };
    const bad: (() => Promise<Uint8Array>)[] = [
      () => exportPkcs12(identity, 'pw', { iterations: 0 }),
      () => exportPkcs12(identity, 'pw', { iterations: 1.5 }),
      () => exportPkcs12(identity, 'pw', { algorithm: 'rc2' as never }),
      () => exportPkcs12(identity, 'pw', { mac: { digest: 'md5' as never } }),
      () => exportPkcs12(identity, 'pw', { algorithm: 'legacy', iterations: 2_000_000 }),
      () => exportPkcs12(identity, undefined as never),
      () => exportPkcs12({ ...identity, certificate: 'alice@example.test' }, 'pw'),
    ];
    for (const [i, run] of bad.entries()) await expect(run(), `case ${i}`).rejects.toBeInstanceOf(ArgumentError);
    // Bytes that are no certificate: a format error, before any work.
    await expect(exportPkcs12({ ...identity, chain: [Uint8Array.of(1, 2, 3)] }, 'pw')).rejects.toMatchObject({
      code: 'not-der',
    });
    await expect(exportPkcs12({ ...identity, privateKey: Uint8Array.of(0x30, 0) }, 'pw')).rejects.toMatchObject({
      code: 'bad-key',
    });
  });
});

describe('exportPkcs12 → openssl pkcs12', () => {
  it.each(Object.entries(users))(
    '%s: openssl recovers the same key and certificates; -info shows PBES2/AES-256-CBC and a SHA-256 MAC',
    async (_, user) => {
      const p12 = await exportPkcs12({ certificate: user.cert, privateKey: user.key, chain: [inter, root] }, 'pw', {
        friendlyName: 'Alice',
      });
      const got = await opensslContents(p12, 'pw');
      expect(hex(got.certs)).toEqual(hex([user.cert, inter, root]));
      expect(toHex(got.key)).toBe(toHex((await loadPrivateKey(user.key)).pkcs8));
      expect(got.text).toContain('friendlyName: Alice');
      expect(got.text).toContain(
        `localKeyID: ${toHex(sha1(user.cert))
          .toUpperCase()
          .replace(/(..)(?!$)/g, '$1 ')}`,
      );
      const info = opensslPkcs12(p12, 'pw', '-info', '-noout');
      expect(info).toContain('MAC: sha256, Iteration 2048');
      expect(info).toContain('PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256');
      expect(info).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256');
    },
  );

  it('legacy: 3DES for key and certificates, SHA-1 MAC (read with -legacy)', async () => {
    const p12 = await exportPkcs12(
      { certificate: users.rsa.cert, privateKey: users.rsa.key, chain: [inter] },
      'legacy pw',
      { algorithm: 'legacy', friendlyName: 'Old Windows' },
    );
    const got = await opensslContents(p12, 'legacy pw', '-legacy');
    expect(hex(got.certs)).toEqual(hex([users.rsa.cert, inter]));
    expect(toHex(got.key)).toBe(toHex((await loadPrivateKey(users.rsa.key)).pkcs8));
    expect(got.text).toContain('friendlyName: Old Windows');
    const info = opensslPkcs12(p12, 'legacy pw', '-legacy', '-info', '-noout');
    expect(info).toContain('MAC: sha1, Iteration 2048');
    expect(info).toContain('PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048');
    expect(info).toContain('Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048');
  });

  it('non-ASCII passwords (UTF-8 for PBES2, BMPString for the PKCS#12 KDF) read the same in OpenSSL', async () => {
    for (const password of ['pässwörd', 'パスワード', 'key 🔑']) {
      for (const algorithm of ['aes-256-cbc', 'legacy'] as const) {
        const p12 = await exportPkcs12({ certificate: users.ec.cert, privateKey: users.ec.key }, password, {
          algorithm,
        });
        const got = await opensslContents(p12, password, ...(algorithm === 'legacy' ? ['-legacy'] : []));
        expect(hex(got.certs), `${password} ${algorithm}`).toEqual(hex([users.ec.cert]));
        expect(() => opensslPkcs12(p12, 'passw?rd', '-nodes')).toThrow(/failed/);
      }
    }
  });

  it('an empty password, and custom iteration counts and MAC digest', async () => {
    const empty = await exportPkcs12({ certificate: users.ec.cert, privateKey: users.ec.key }, '');
    expect(hex((await opensslContents(empty, '')).certs)).toEqual(hex([users.ec.cert]));
    const custom = await exportPkcs12({ certificate: users.ec.cert, privateKey: users.ec.key }, 'pw', {
      iterations: 10_000,
      mac: { digest: 'sha512', iterations: 4096 },
    });
    const info = opensslPkcs12(custom, 'pw', '-info', '-noout');
    expect(info).toContain('MAC: sha512, Iteration 4096');
    expect(info).toContain('AES-256-CBC, Iteration 10000, PRF hmacWithSHA256');
    expect((await loadIdentity(custom, 'pw')).keyType).toBe('ec');
  });

  it('openssl re-exports what it read from our file without loss (its own writer agrees)', async () => {
    const p12 = await exportPkcs12({ certificate: users.rsa.cert, privateKey: users.rsa.key, chain: [inter] }, 'pw');
    const pem = opensslPkcs12(p12, 'pw', '-nodes');
    const pemFile = join(dir, 'both.pem');
    writeFileSync(pemFile, pem, 'latin1');
    const back = spawnSync('openssl', ['pkcs12', '-export', '-in', pemFile, '-passout', 'pass:x'], {});
    expect(back.status).toBe(0);
    const id = await loadIdentity(new Uint8Array(back.stdout), 'x');
    expect(toHex(id.certificate)).toBe(toHex(users.rsa.cert));
    expect(hex(id.chain)).toEqual(hex([inter]));
  });
});
