/**
 * Issue #14, defect 3 — unauthenticated encryption. AES-CBC EnvelopedData without a signature inside is malleable
 * (a flipped ciphertext bit flips the same bit of the next plaintext block: the EFAIL class). readMessage and
 * decryptMessage say `authenticated: true|false` (AES-GCM, or a signature that verifies over the whole decrypted
 * content, makes it true); the CLI prints `warning unauthenticated-encryption` for false, and
 * `requireAuthenticated` / `--require-authenticated` refuses it with `unauthenticated-encryption`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseContentInfo } from '../../src/cms/content-info.js';
import { parseEnvelope } from '../../src/cms/enveloped-parse.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { decryptMessage } from '../../src/smime/decrypt.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { signMessage } from '../../src/smime/sign.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { concatBytes, fromLatin1, latin1, toBase64Lines } from '../../src/util/bytes.js';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';

const dir = tempDir();
const root = chainFile('root.pem');
const P12 = ['--p12', chainFile('ee-rsa.p12'), '--password', 'test'];
const codes = (list: { code: string }[]) => list.map((p) => p.code);

// 8 blocks of 16 bytes of known text, so a block-aligned change is easy to see.
const BODY = 'Pay 100 EUR to the account DE00 1111 2222 3333 4444 00 before Friday. '.repeat(4);
const MESSAGE = `From: rsa.user@example.test\r\nTo: rsa.user@example.test\r\nSubject: payment\r\nContent-Type: text/plain\r\n\r\n${BODY}\r\n`;

/** The message with one bit of its CMS ciphertext flipped (`block` counts 16-byte blocks of encryptedContent). */
function flipCiphertextBit(message: Uint8Array, block: number, bit = 0x01): Uint8Array {
  const root = parseMime(message);
  const der = decodedBody(root).slice();
  const ciphertext = parseEnvelope(parseContentInfo(der)).encryptedContent;
  const at = Buffer.from(der).indexOf(Buffer.from(ciphertext.subarray(0, 32)));
  expect(at).toBeGreaterThan(0);
  der[at + block * 16]! ^= bit;
  return concatBytes(message.subarray(0, root.bodyStart), fromLatin1(`${toBase64Lines(der)}\r\n`));
}

describe('authenticated (issue #14, defect 3)', () => {
  let rsa: TestIdentity;
  let trust: TrustList;
  let cbc: Uint8Array;
  let gcm: Uint8Array;
  let signedCbc: Uint8Array;
  const encrypt = async (mime: BytesLikeText, cipher: 'aes-256-cbc' | 'aes-256-gcm') =>
    (
      await encryptMessage(mime, {
        recipients: [{ address: rsa.email, certificate: rsa.certificate }],
        sender: { address: rsa.email, certificate: rsa.certificate },
        validate: false,
        cipher,
      })
    ).message;
  type BytesLikeText = Uint8Array | string;

  beforeAll(async () => {
    rsa = await identity('ee-rsa');
    trust = TrustList.fromBytes(readFileSync(root));
    cbc = await encrypt(MESSAGE, 'aes-256-cbc');
    gcm = await encrypt(MESSAGE, 'aes-256-gcm');
    signedCbc = await encrypt(await signMessage(MESSAGE, { signer: rsa }), 'aes-256-cbc');
  }, 60_000);

  describe('AES-CBC without a signature', () => {
    it('decryptMessage and readMessage say authenticated: false; read warns unauthenticated-encryption', async () => {
      const dec = await decryptMessage(cbc, { identity: rsa });
      expect(dec.cipher).toBe('aes-256-cbc');
      expect(dec.authenticated).toBe(false);
      const read = await readMessage(cbc, { identities: [rsa], trust });
      expect(read.ok).toBe(true); // decrypted; nothing else was claimed
      expect(read.encrypted).toBe(true);
      expect(read.authenticated).toBe(false);
      expect(read.layers[0]).toMatchObject({ type: 'enveloped', authenticated: false });
      expect(codes(read.warnings)).toEqual(['unauthenticated-encryption']);
    });

    it('a flipped ciphertext bit decrypts without error into predictably changed text (EFAIL), still authenticated: false', async () => {
      const tampered = flipCiphertextBit(cbc, 4, 0x20);
      const original = (await decryptMessage(cbc, { identity: rsa })).content;
      const dec = await decryptMessage(tampered, { identity: rsa });
      expect(dec.authenticated).toBe(false);
      expect(dec.content.length).toBe(original.length);
      const changed = [...dec.content.keys()].filter((i) => dec.content[i] !== original[i]);
      // Block 4 decrypts to garbage; block 5 differs in exactly the flipped bit (0x20: a letter changes case).
      expect(changed.every((i) => i >= 4 * 16 && i < 6 * 16)).toBe(true);
      expect(changed.filter((i) => i >= 5 * 16)).toEqual([5 * 16]);
      expect(dec.content[5 * 16]! ^ original[5 * 16]!).toBe(0x20);
      const read = await readMessage(tampered, { identities: [rsa], trust });
      expect(read.ok).toBe(true);
      expect(read.authenticated).toBe(false);
      expect(codes(read.warnings)).toEqual(['unauthenticated-encryption']);
    });

    it('requireAuthenticated refuses it: decryptMessage throws, readMessage is not ok', async () => {
      const tampered = flipCiphertextBit(cbc, 4, 0x20);
      for (const message of [cbc, tampered]) {
        await expect(decryptMessage(message, { identity: rsa, requireAuthenticated: true })).rejects.toMatchObject({
          name: 'CryptoError',
          code: 'unauthenticated-encryption',
        });
        const read = await readMessage(message, { identities: [rsa], trust, requireAuthenticated: true });
        expect(read.ok).toBe(false);
        expect(codes(read.problems)).toEqual(['unauthenticated-encryption']);
        expect(read.warnings).toEqual([]);
      }
    });
  });

  describe('authenticated: true', () => {
    it('AES-GCM (AuthEnvelopedData); a flipped bit there is decryption-failed', async () => {
      const dec = await decryptMessage(gcm, { identity: rsa, requireAuthenticated: true });
      expect(dec.envelopeType).toBe('authEnvelopedData');
      expect(dec.authenticated).toBe(true);
      const read = await readMessage(gcm, { identities: [rsa], trust, requireAuthenticated: true });
      expect(read.ok).toBe(true);
      expect(read.authenticated).toBe(true);
      expect(read.warnings).toEqual([]);
      await expect(decryptMessage(flipCiphertextBit(gcm, 1), { identity: rsa })).rejects.toMatchObject({
        code: 'decryption-failed',
      });
    });

    it('AES-CBC whose content is signed: the signature covers the whole decrypted content', async () => {
      const dec = await decryptMessage(signedCbc, { identity: rsa, requireAuthenticated: true });
      expect(dec.authenticated).toBe(true);
      const read = await readMessage(signedCbc, { identities: [rsa], trust, requireAuthenticated: true });
      expect(read.ok, JSON.stringify(read.problems)).toBe(true);
      expect(read.authenticated).toBe(true);
      expect(read.layers.map((l) => l.type)).toEqual(['enveloped', 'signed']);
      expect(read.layers[0]).toMatchObject({ authenticated: false }); // the envelope itself is CBC
    });

    it('a signed message tampered through the CBC layer: the signature no longer covers it', async () => {
      // Tamper inside the signed text (a block boundary past its start), not the MIME structure around it.
      const plain = latin1((await decryptMessage(signedCbc, { identity: rsa })).content);
      const tampered = flipCiphertextBit(signedCbc, Math.ceil(plain.indexOf('Pay 100') / 16) + 1, 0x20);
      const dec = await decryptMessage(tampered, { identity: rsa });
      expect(dec.authenticated).toBe(false);
      const read = await readMessage(tampered, { identities: [rsa], trust });
      expect(read.ok).toBe(false);
      expect(read.authenticated).toBe(false);
      expect(codes(read.problems)[0]).toBe('digest-mismatch');
    });

    it('encrypt-then-sign: the signature around the envelope covers the ciphertext', async () => {
      const outer = await signMessage(cbc, { signer: rsa });
      const read = await readMessage(outer, { identities: [rsa], trust, requireAuthenticated: true });
      expect(read.layers.map((l) => l.type)).toEqual(['signed', 'enveloped']);
      expect(read.ok, JSON.stringify(read.problems)).toBe(true);
      expect(read.authenticated).toBe(true);
    });

    it('signed content whose only valid signature is on an attached message does not count', async () => {
      const attached = latin1(await signMessage(MESSAGE, { signer: rsa }));
      const mixed = `Content-Type: multipart/mixed; boundary="M"\r\n\r\n--M\r\nContent-Type: text/plain\r\n\r\nunsigned\r\n--M\r\nContent-Type: message/rfc822\r\n\r\n${attached}\r\n--M--\r\n`;
      const dec = await decryptMessage(await encrypt(mixed, 'aes-256-cbc'), { identity: rsa });
      expect(dec.authenticated).toBe(false);
    });
  });

  describe('messages made by OpenSSL', () => {
    const made = (name: string, args: string[]): Uint8Array => {
      const out = join(dir, name);
      const r = openssl(['cms', '-out', out, ...args]);
      expect(r.status, r.stderr).toBe(0);
      return new Uint8Array(readFileSync(out));
    };
    let plainFile: string;
    beforeAll(() => {
      plainFile = join(dir, 'plain.eml');
      writeFileSync(plainFile, MESSAGE);
    });

    it('openssl cms -encrypt -aes256 (CBC, unsigned): authenticated false, refused with requireAuthenticated', async () => {
      const enc = made('openssl-cbc.eml', ['-encrypt', '-aes256', '-in', plainFile, chainFile('ee-rsa.pem')]);
      expect((await decryptMessage(enc, { identity: rsa })).authenticated).toBe(false);
      await expect(decryptMessage(enc, { identity: rsa, requireAuthenticated: true })).rejects.toMatchObject({
        code: 'unauthenticated-encryption',
      });
      const tampered = flipCiphertextBit(enc, 2);
      expect((await decryptMessage(tampered, { identity: rsa })).authenticated).toBe(false);
    });

    it('openssl cms -encrypt -aes-256-gcm: authenticated true', async () => {
      const enc = made('openssl-gcm.eml', ['-encrypt', '-aes-256-gcm', '-in', plainFile, chainFile('ee-rsa.pem')]);
      const dec = await decryptMessage(enc, { identity: rsa, requireAuthenticated: true });
      expect(dec.envelopeType).toBe('authEnvelopedData');
      expect(dec.authenticated).toBe(true);
    });

    it('openssl cms -sign, then -encrypt -aes256: authenticated true', async () => {
      const signed = join(dir, 'openssl-signed.eml');
      const s = openssl([
        'cms',
        '-sign',
        '-in',
        plainFile,
        '-signer',
        chainFile('ee-rsa.pem'),
        '-inkey',
        chainFile('ee-rsa.key'),
        '-certfile',
        chainFile('intermediate.pem'),
        '-out',
        signed,
      ]);
      expect(s.status, s.stderr).toBe(0);
      const enc = made('openssl-signed-cbc.eml', ['-encrypt', '-aes256', '-in', signed, chainFile('ee-rsa.pem')]);
      expect((await decryptMessage(enc, { identity: rsa, requireAuthenticated: true })).authenticated).toBe(true);
      // OpenSSL signs the whole input, headers included: the From inside the signature is the one compared.
      const read = await readMessage(enc, { identities: [rsa], trust, requireAuthenticated: true });
      expect(read.authenticated).toBe(true);
      expect(read.problems).toEqual([]);
    });
  });

  describe('command line', () => {
    let cbcFile: string;
    let gcmFile: string;
    let signedFile: string;
    beforeAll(() => {
      cbcFile = join(dir, 'cbc.eml');
      gcmFile = join(dir, 'gcm.eml');
      signedFile = join(dir, 'signed-cbc.eml');
      writeFileSync(cbcFile, cbc);
      writeFileSync(gcmFile, gcm);
      writeFileSync(signedFile, signedCbc);
    });

    it('smimekit decrypt warns on standard error for CBC without a signature, and writes the content', async () => {
      const r = await cli(['decrypt', ...P12, '--in', cbcFile]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^warning unauthenticated-encryption: .*aes-256-cbc/);
      expect(r.stdout).toContain('Pay 100 EUR');
      for (const file of [gcmFile, signedFile]) {
        const ok = await cli(['decrypt', ...P12, '--in', file]);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stderr).toBe('');
      }
    });

    it('smimekit decrypt --require-authenticated exits 1 with error unauthenticated-encryption and writes nothing', async () => {
      const out = join(dir, 'never-written.eml');
      const r = await cli(['decrypt', ...P12, '--require-authenticated', '--in', cbcFile, '--out', out]);
      expect(r.code).toBe(1);
      expect(errorCode(r)).toBe('unauthenticated-encryption');
      expect(existsSync(out)).toBe(false);
      const gcmOk = await cli(['decrypt', ...P12, '--require-authenticated', '--in', gcmFile]);
      expect(gcmOk.code, gcmOk.stderr).toBe(0);
    });

    it('smimekit read: the warning line and authenticated in --json; --require-authenticated exits 1', async () => {
      const r = await cli(['read', '--trust', root, ...P12, '--in', cbcFile]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^warning unauthenticated-encryption: /m);
      const json = await cli(['read', '--trust', root, ...P12, '--json', '--in', cbcFile]);
      const parsed = JSON.parse(json.stdout) as { authenticated: boolean; warnings: { code: string }[] };
      expect(parsed.authenticated).toBe(false);
      expect(codes(parsed.warnings)).toEqual(['unauthenticated-encryption']);
      const refused = await cli(['read', '--trust', root, ...P12, '--require-authenticated', '--in', cbcFile]);
      expect(refused.code).toBe(1);
      expect(errorCode(refused)).toBe('unauthenticated-encryption');
      expect(refused.stdout).toBe('');
      const signed = await cli([
        'read',
        '--trust',
        root,
        ...P12,
        '--require-authenticated',
        '--json',
        '--in',
        signedFile,
      ]);
      expect(signed.code, signed.stderr).toBe(0);
      expect(JSON.parse(signed.stdout).authenticated).toBe(true);
    });
  });
});
