/**
 * Interoperability with OpenSSL 3.0 (`openssl cms`), both directions:
 * smimekit output for every recipient key type (RSA PKCS#1 v1.5, RSA-OAEP,
 * P-256, P-384) and content cipher decrypts with the recipient's key and,
 * separately, the sender's key; smimekit decrypts OpenSSL's output for the
 * same matrix plus des-ede3-cbc and OAEP via -keyopt. Also the 30 MB case.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import type { ContentCipherName } from '../../src/cms/content-cipher.js';
import { decryptMessage, type DecryptionIdentity } from '../../src/smime/decrypt.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { splitMessage } from '../../src/mime/canonical.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { decodePem } from '../../src/util/pem.js';
import { projectVectorPath } from '../helpers/vectors.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-encrypt-');
const chain = (name: string): string => projectVectorPath('chains', name);
const AT = new Date('2026-06-01T00:00:00Z');

function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}

function certDer(name: string): Uint8Array {
  return decodePem(readFileSync(chain(name))).find((b) => b.label === 'CERTIFICATE')!.der;
}

const USERS = {
  rsa: { cert: 'ee-rsa.pem', key: 'ee-rsa.key', email: 'rsa.user@example.test' },
  p256: { cert: 'ee-p256.pem', key: 'ee-p256.key', email: 'p256.user@example.test' },
  p384: { cert: 'ee-p384.pem', key: 'ee-p384.key', email: 'p384.user@example.test' },
} as const;
type User = keyof typeof USERS;

const identities = {} as Record<User, DecryptionIdentity>;
let trust: TrustList;

beforeAll(async () => {
  for (const u of Object.keys(USERS) as User[]) {
    identities[u] = {
      certificate: certDer(USERS[u].cert),
      privateKey: (await loadPrivateKey(readFileSync(chain(USERS[u].key)))).pkcs8,
    };
  }
  trust = new TrustList();
  trust.addBytes(readFileSync(chain('root.pem')));
});

const MESSAGE =
  'From: Sender <sender@example.test>\r\nTo: someone@example.test\r\nSubject: interop\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n' +
  'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\u00fc\u00dfe \u2014 encrypted by smimekit.\r\n';
const messageBytes = new TextEncoder().encode(MESSAGE);
const innerEntity = splitMessage(messageBytes).inner;

// recipient kind → [recipient user, key transport, sender user]
const RECIPIENTS: Record<string, [User, 'rsa-pkcs1' | 'rsa-oaep' | undefined, User]> = {
  'rsa-pkcs1': ['rsa', 'rsa-pkcs1', 'p256'],
  'rsa-oaep': ['rsa', 'rsa-oaep', 'p384'],
  p256: ['p256', undefined, 'rsa'],
  p384: ['p384', undefined, 'rsa'],
};
const CIPHERS: ContentCipherName[] = ['aes-128-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-256-gcm'];

describe('smimekit encrypts, openssl cms -decrypt reads', () => {
  for (const [kind, [recipient, transport, sender]] of Object.entries(RECIPIENTS)) {
    for (const cipher of CIPHERS) {
      it(`${kind} recipient, ${cipher}: recipient and sender both decrypt`, async () => {
        const result = await encryptMessage(messageBytes, {
          recipients: [{ address: USERS[recipient].email, certificate: certDer(USERS[recipient].cert) }],
          sender: { address: USERS[sender].email, certificate: certDer(USERS[sender].cert) },
          cipher,
          ...(transport ? { keyTransport: transport } : {}),
          trust,
          intermediates: [readFileSync(chain('intermediate.pem'))],
          at: AT,
          revocation: 'off',
        });
        expect(result.contentType).toBe(cipher.endsWith('gcm') ? 'authEnvelopedData' : 'envelopedData');
        expect(result.recipients.map((r) => r.sender)).toEqual([false, true]);
        if (transport) expect(result.recipients[0]!.keyManagement).toBe(transport);
        const file = join(dir, `out-${kind}-${cipher}.eml`);
        writeFileSync(file, result.message);
        for (const u of [recipient, sender]) {
          const out = openssl(
            'cms',
            '-decrypt',
            '-in',
            file,
            '-recip',
            chain(USERS[u].cert),
            '-inkey',
            chain(USERS[u].key),
          );
          expect(new Uint8Array(out)).toEqual(innerEntity);
        }
      });
    }
  }
});

describe('openssl cms -encrypt writes, smimekit decrypts', () => {
  const plain = 'Content-Type: text/plain\r\n\r\nThis message was encrypted by OpenSSL.\r\n';
  const variants: [string, string[], User][] = [
    ['rsa-pkcs1', ['-recip', chain('ee-rsa.pem')], 'rsa'],
    ['rsa-oaep', ['-recip', chain('ee-rsa.pem'), '-keyopt', 'rsa_padding_mode:oaep'], 'rsa'],
    [
      'rsa-oaep-sha256',
      ['-recip', chain('ee-rsa.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'],
      'rsa',
    ],
    ['p256', ['-recip', chain('ee-p256.pem')], 'p256'],
    ['p384', ['-recip', chain('ee-p384.pem')], 'p384'],
  ];
  const ciphers = ['-aes-128-cbc', '-aes-256-cbc', '-des3', '-aes-128-gcm', '-aes-256-gcm'];
  for (const [name, recip, user] of variants) {
    for (const cipher of ciphers) {
      it(`${name}, ${cipher.slice(1)}`, async () => {
        const input = join(dir, 'plain.txt');
        writeFileSync(input, plain);
        const out = new Uint8Array(openssl('cms', '-encrypt', '-in', input, cipher, ...recip));
        const result = await decryptMessage(out, { identity: identities[user] });
        expect(new TextDecoder().decode(result.content)).toBe(plain);
        expect(result.envelopeType).toBe(cipher.endsWith('gcm') ? 'authEnvelopedData' : 'envelopedData');
        expect(result.recipient.keyManagement).toBe(
          name.startsWith('rsa-oaep') ? 'rsa-oaep' : name === 'rsa-pkcs1' ? 'rsa-pkcs1' : 'ecdh',
        );
      });
    }
  }

  it('a message to several recipients (RSA + EC) opens with each key', async () => {
    const input = join(dir, 'plain2.txt');
    writeFileSync(input, plain);
    const out = new Uint8Array(
      openssl(
        'cms',
        '-encrypt',
        '-in',
        input,
        '-aes-256-cbc',
        '-recip',
        chain('ee-rsa.pem'),
        '-recip',
        chain('ee-p256.pem'),
        '-recip',
        chain('ee-p384.pem'),
      ),
    );
    for (const u of ['rsa', 'p256', 'p384'] as User[]) {
      const result = await decryptMessage(out, { identity: identities[u] });
      expect(new TextDecoder().decode(result.content)).toBe(plain);
      expect(result.recipientCount).toBe(3);
    }
  });
});

describe('a 30 MB message', () => {
  // 30 MB of MIME text (base64 lines), built once.
  const big = (() => {
    const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n';
    const head = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
    const count = Math.ceil((30 * 1024 * 1024) / line.length);
    return new TextEncoder().encode(head + line.repeat(count));
  })();

  for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
    it(`smimekit → openssl → smimekit, ${cipher}`, async () => {
      const result = await encryptMessage(big, {
        recipients: [certDer('ee-rsa.pem')],
        sender: certDer('ee-p256.pem'),
        cipher,
        validate: false,
      });
      const file = join(dir, `big-${cipher}.p7m`);
      writeFileSync(file, result.message);
      // OpenSSL reads ours...
      const opened = openssl(
        'cms',
        '-decrypt',
        '-in',
        file,
        '-recip',
        chain('ee-rsa.pem'),
        '-inkey',
        chain('ee-rsa.key'),
        '-binary',
      );
      expect(opened.length).toBe(big.length);
      expect(Buffer.compare(opened, Buffer.from(big))).toBe(0);
      // ...we read ours...
      const back = await decryptMessage(result.message, { identity: identities.p256 });
      expect(back.content.length).toBe(big.length);
      // ...and OpenSSL's own (BER, streamed in chunks).
      const plainFile = join(dir, `big-plain-${cipher}.txt`);
      writeFileSync(plainFile, big);
      const theirs = new Uint8Array(
        openssl('cms', '-encrypt', '-binary', '-stream', '-in', plainFile, `-${cipher}`, '-recip', chain('ee-rsa.pem')),
      );
      const mine = await decryptMessage(theirs, { identity: identities.rsa });
      expect(mine.content.length).toBe(big.length);
      expect(Buffer.compare(Buffer.from(mine.content), Buffer.from(big))).toBe(0);
    }, 240_000);
  }
});
