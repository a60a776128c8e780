/**
 * Issue #10, defect 2: an attachment survives sign → verify → extract and encrypt → decrypt byte for byte, for every
 * transfer encoding and for raw 8-bit data without one — through smimekit, OpenSSL and the CLI. Non-text parts move
 * to base64 before canonicalisation and are never line-end converted.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encryptMessage,
  loadIdentity,
  readMessage,
  signMessage,
  TrustList,
  verifyMessage,
  type Identity,
} from '../../src/index.js';
import { decodedBody, parseMime, walkEntities } from '../../src/mime/index.js';
import { AT, chainFile, openssl } from '../cms/fixtures.js';
import { cli, tempDir } from '../helpers/cli.js';

const ENCODINGS = ['7bit', '8bit', 'binary', 'quoted-printable', 'base64', 'none'] as const;
type Encoding = (typeof ENCODINGS)[number];

/** 3,000 bytes that exercise CR, LF, CRLF, NUL and 8-bit values (7-bit only for `7bit`). */
function attachmentData(encoding: Encoding): Uint8Array {
  const data = new Uint8Array(randomBytes(3000));
  data.set([13, 10, 10, 13, 0, 13, 13, 10], 100);
  return encoding === '7bit' ? data.map((b) => b & 0x7f) : data;
}

function encodedBody(encoding: Encoding, data: Uint8Array): Uint8Array {
  if (encoding === 'base64')
    return new TextEncoder().encode(Buffer.from(data).toString('base64').replace(/.{76}/g, '$&\r\n'));
  if (encoding === 'quoted-printable') {
    // Every byte as =XX, 24 per line with soft breaks; no hard break at the end.
    const text = [...data].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    return new TextEncoder().encode(text.replace(/.{72}/g, '$&=\r\n'));
  }
  return data;
}

function message(encoding: Encoding, data: Uint8Array): Uint8Array {
  const cte = encoding === 'none' ? '' : `Content-Transfer-Encoding: ${encoding}\r\n`;
  const head =
    'From: rsa.user@example.test\r\nTo: rsa.user@example.test\r\nSubject: attachment\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: multipart/mixed; boundary="part-boundary"\r\n\r\n' +
    '--part-boundary\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the attachment.\r\n' +
    `--part-boundary\r\nContent-Type: application/octet-stream; name="data.bin"\r\n${cte}\r\n`;
  return Buffer.concat([
    Buffer.from(head, 'latin1'),
    encodedBody(encoding, data),
    Buffer.from('\r\n--part-boundary--\r\n', 'latin1'),
  ]);
}

function attachmentOf(mime: Uint8Array): Uint8Array | undefined {
  for (const e of walkEntities(parseMime(mime)))
    if (e.contentType.mediaType === 'application/octet-stream') return decodedBody(e);
  return undefined;
}

const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

let me: Identity;
let trust: TrustList;
const dir = tempDir('smimekit-binary-');
beforeAll(async () => {
  me = await loadIdentity(readFileSync(chainFile('ee-rsa.p12')), 'test');
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')), readFileSync(chainFile('intermediate.pem')));
});

describe.each(ENCODINGS)('an attachment with Content-Transfer-Encoding %s', (encoding) => {
  const data = attachmentData(encoding);
  const input = message(encoding, data);

  it('survives sign (detached and opaque) → verify → extract, with smimekit and OpenSSL', async () => {
    for (const detached of [true, false]) {
      const signed = await signMessage(input, { signer: me, detached });
      const report = await verifyMessage(signed, { trust, at: AT });
      expect(report.ok, report.problems.map((p) => p.code).join()).toBe(true);
      expect(same(attachmentOf(report.content), data), `detached=${detached}`).toBe(true);
      const file = join(dir, `signed-${encoding}-${detached}.eml`);
      writeFileSync(file, signed);
      const verified = openssl([
        'cms',
        '-verify',
        '-in',
        file,
        '-CAfile',
        chainFile('root.pem'),
        '-certfile',
        chainFile('intermediate.pem'),
        '-attime',
        String(AT.getTime() / 1000),
      ]);
      expect(verified.status, verified.stderr).toBe(0);
      expect(same(attachmentOf(new Uint8Array(verified.stdout)), data), `openssl, detached=${detached}`).toBe(true);
    }
  });

  it('survives encrypt → decrypt, with smimekit and OpenSSL', async () => {
    const encrypted = await encryptMessage(input, { recipients: [], sender: me.certificate, trust, at: AT });
    const read = await readMessage(encrypted.message, { identities: [me], trust, at: AT });
    expect(same(attachmentOf(read.content), data)).toBe(true);
    const file = join(dir, `encrypted-${encoding}.eml`);
    writeFileSync(file, encrypted.message);
    const decrypted = openssl([
      'cms',
      '-decrypt',
      '-in',
      file,
      '-recip',
      chainFile('ee-rsa.pem'),
      '-inkey',
      chainFile('ee-rsa.key'),
    ]);
    expect(decrypted.status, decrypted.stderr).toBe(0);
    expect(same(attachmentOf(new Uint8Array(decrypted.stdout)), data)).toBe(true);
  });
});

it('the CLI keeps a binary attachment byte for byte: smimekit sign | verify, encrypt | decrypt', async () => {
  const data = attachmentData('binary');
  const file = join(dir, 'cli-in.eml');
  writeFileSync(file, message('binary', data));
  const identity = ['--p12', chainFile('ee-rsa.p12'), '--password', 'test'];
  const trustFlags = [
    '--trust',
    chainFile('root.pem'),
    '--certs',
    chainFile('intermediate.pem'),
    '--at',
    AT.toISOString(),
  ];
  const signed = await cli(['sign', '--in', file, ...identity]);
  expect(signed.code, signed.stderr).toBe(0);
  const verified = await cli(['verify', ...trustFlags, '--out', '-'], signed.stdoutBytes);
  expect(verified.code, verified.stderr).toBe(0);
  expect(same(attachmentOf(verified.stdoutBytes), data)).toBe(true);
  const encrypted = await cli([
    'encrypt',
    '--in',
    file,
    '--to',
    chainFile('ee-p256.pem'),
    '--from',
    chainFile('ee-rsa.pem'),
    '--trust',
    chainFile('root.pem'),
    '--certs',
    chainFile('intermediate.pem'),
    '--at',
    AT.toISOString(),
  ]);
  expect(encrypted.code, encrypted.stderr).toBe(0);
  const decrypted = await cli(['decrypt', ...identity], encrypted.stdoutBytes);
  expect(decrypted.code, decrypted.stderr).toBe(0);
  expect(same(attachmentOf(decrypted.stdoutBytes), data)).toBe(true);
});
