/** `smimekit encrypt | decrypt | read`: the CLI conventions (exit 0/1/2, one `error CODE:` line) and round trips. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { projectVectorPath } from '../helpers/vectors.js';

const c = (name: string): string => projectVectorPath('chains', name);
const dir = tempDir('smimekit-cli-enc-');
const MESSAGE =
  'From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: cli\r\n\r\nHello from the CLI.\r\n';
const input = join(dir, 'msg.eml');
writeFileSync(input, MESSAGE);
const trustArgs = ['--trust', c('root.pem'), '--certs', c('intermediate.pem')];

describe('smimekit encrypt', () => {
  it('encrypts to --to and --from, validated against --trust; both can decrypt (and openssl)', async () => {
    const out = join(dir, 'enc.eml');
    const r = await cli([
      'encrypt',
      '--to',
      c('ee-p256.pem'),
      '--from',
      c('ee-rsa.pem'),
      ...trustArgs,
      '--in',
      input,
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning ecdh-recipient-mixed: /);
    const enc = readFileSync(out, 'latin1');
    expect(enc).toContain('smime-type=enveloped-data');
    expect(enc).toContain('Subject: cli');
    for (const [cert, key] of [
      ['ee-p256.pem', 'ee-p256.key'],
      ['ee-rsa.pem', 'ee-rsa.key'],
    ]) {
      const d = await cli(['decrypt', '--cert', c(cert!), '--key', c(key!), '--in', out]);
      expect(d.code).toBe(0);
      expect(d.stdout).toBe('Content-Type: text/plain; charset=us-ascii\r\n\r\nHello from the CLI.\r\n');
    }
    const p12 = await cli(['decrypt', '--p12', c('ee-rsa.p12'), '--password', 'test', '--in', out]);
    expect(p12.code).toBe(0);
    const ossl = execFileSync('openssl', [
      'cms',
      '-decrypt',
      '-in',
      out,
      '-recip',
      c('ee-p256.pem'),
      '-inkey',
      c('ee-p256.key'),
    ]).toString('latin1');
    expect(ossl).toContain('Hello from the CLI.');
  });

  it('--cipher aes-256-gcm writes AuthEnvelopedData; --oaep uses RSA-OAEP', async () => {
    const out = join(dir, 'gcm.eml');
    const r = await cli([
      'encrypt',
      '--to',
      c('ee-rsa.pem'),
      '--from',
      c('ee-rsa.pem'),
      '--no-validate',
      '--cipher',
      'aes-256-gcm',
      '--oaep',
      '--in',
      input,
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'latin1')).toContain('smime-type=authEnveloped-data');
    const print = execFileSync('openssl', ['cms', '-cmsout', '-print', '-in', out]).toString();
    expect(print).toContain('rsaesOaep');
    expect(print).toContain('aes-256-gcm (2.16.840.1.101.3.4.1.46)');
    const d = await cli(['decrypt', '--cert', c('ee-rsa.pem'), '--key', c('ee-rsa.key'), '--in', out]);
    expect(d.code).toBe(0);
  });

  it('usage errors exit 2 with one error line', async () => {
    const cases: string[][] = [
      ['encrypt', '--to', c('ee-rsa.pem'), '--in', input], // no --from
      ['encrypt', '--to', c('ee-rsa.pem'), '--from', c('ee-rsa.pem'), '--in', input], // neither --trust nor --no-validate
      [
        'encrypt',
        '--to',
        c('ee-rsa.pem'),
        '--from',
        c('ee-rsa.pem'),
        '--no-validate',
        '--cipher',
        'des-ede3-cbc',
        '--in',
        input,
      ],
      [
        'encrypt',
        '--to',
        c('ee-rsa.pem'),
        '--from',
        c('ee-rsa.pem'),
        '--no-validate',
        '--oaep',
        '--pkcs1',
        '--in',
        input,
      ],
      ['decrypt', '--in', input],
    ];
    for (const argv of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(errorCode(r)).toBe('usage');
    }
  });

  it('a certificate that fails validation exits 1 with its trust code', async () => {
    const r = await cli([
      'encrypt',
      '--to',
      c('bad-expired.pem'),
      '--from',
      c('ee-rsa.pem'),
      ...trustArgs,
      '--in',
      input,
    ]);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('expired');
    const eku = await cli([
      'encrypt',
      '--to',
      c('ee-ed25519.pem'),
      '--from',
      c('ee-rsa.pem'),
      '--no-validate',
      '--in',
      input,
    ]);
    expect(eku.code).toBe(1);
    expect(errorCode(eku)).toBe('recipient-certificate-missing');
  });
});

describe('smimekit decrypt', () => {
  it('not a recipient → exit 1 not-recipient; --try-all; a key that does not match the certificate → key-mismatch', async () => {
    const out = join(dir, 'to-rsa.eml');
    expect(
      (
        await cli([
          'encrypt',
          '--to',
          c('ee-rsa.pem'),
          '--from',
          c('ee-rsa.pem'),
          '--no-validate',
          '--in',
          input,
          '--out',
          out,
        ])
      ).code,
    ).toBe(0);
    const r = await cli(['decrypt', '--cert', c('ee-p384.pem'), '--key', c('ee-p384.key'), '--in', out]);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('not-recipient');
    const mismatch = await cli(['decrypt', '--cert', c('ee-p384.pem'), '--key', c('ee-rsa.key'), '--in', out]);
    expect(mismatch.code).toBe(2);
    expect(errorCode(mismatch)).toBe('key-mismatch');
    const tamperedFile = join(dir, 'tampered.eml');
    const text = readFileSync(out, 'latin1');
    const bodyAt = text.indexOf('\r\n\r\n') + 4;
    const der = Buffer.from(text.slice(bodyAt), 'base64');
    // The ciphertext ends the DER. Changing the last byte of its next-to-last block changes the CBC padding byte
    // for certain; a change elsewhere (the wrapped key, an earlier block) would pass the padding check by chance
    // about once in 256 runs.
    der[der.length - 17]! ^= 1;
    writeFileSync(tamperedFile, text.slice(0, bodyAt) + der.toString('base64') + '\r\n', 'latin1');
    const t = await cli(['decrypt', '--cert', c('ee-rsa.pem'), '--key', c('ee-rsa.key'), '--in', tamperedFile]);
    expect(t.code).toBe(1);
    expect(errorCode(t)).toBe('decryption-failed');
    const notSmime = await cli(['decrypt', '--cert', c('ee-rsa.pem'), '--key', c('ee-rsa.key'), '--in', input]);
    expect(notSmime.code).toBe(2);
    expect(errorCode(notSmime)).toBe('not-smime');
  });
});

describe('smimekit read', () => {
  it('sign-then-encrypt: writes the innermost verified content, --json reports the layers', async () => {
    const signedFile = join(dir, 'signed.eml');
    const s = await cli([
      'sign',
      '--cert',
      c('ee-rsa.pem'),
      '--key',
      c('ee-rsa.key'),
      '--in',
      input,
      '--out',
      signedFile,
    ]);
    expect(s.code, s.stderr).toBe(0);
    const enc = join(dir, 'signed-enc.eml');
    expect(
      (
        await cli([
          'encrypt',
          '--to',
          c('ee-p256.pem'),
          '--from',
          c('ee-rsa.pem'),
          ...trustArgs,
          '--in',
          signedFile,
          '--out',
          enc,
        ])
      ).code,
    ).toBe(0);
    const at = ['--at', '2026-06-01T00:00:00Z'];
    const r = await cli([
      'read',
      ...trustArgs,
      '--cert',
      c('ee-p256.pem'),
      '--key',
      c('ee-p256.key'),
      ...at,
      '--in',
      enc,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Hello from the CLI.');
    const j = await cli([
      'read',
      ...trustArgs,
      '--p12',
      c('ee-p256.p12'),
      '--password',
      'test',
      ...at,
      '--json',
      '--in',
      enc,
    ]);
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout) as { ok: boolean; layers: { type: string }[] };
    expect(report.ok).toBe(true);
    expect(report.layers.map((l) => l.type)).toEqual(['enveloped', 'signed']);
    const untrusted = await cli([
      'read',
      '--trust',
      c('untrusted-root.pem'),
      '--cert',
      c('ee-p256.pem'),
      '--key',
      c('ee-p256.key'),
      ...at,
      '--json',
      '--in',
      enc,
    ]);
    expect(untrusted.code).toBe(1);
    expect(errorCode(untrusted)).toBe('untrusted-root');
    // Unverified content is never handed on: not to stdout, not to --out.
    const outFile = join(dir, 'unverified.eml');
    const plain = await cli([
      'read',
      '--trust',
      c('untrusted-root.pem'),
      '--cert',
      c('ee-p256.pem'),
      '--key',
      c('ee-p256.key'),
      ...at,
      '--in',
      enc,
      '--out',
      outFile,
    ]);
    expect(plain.code).toBe(1);
    expect(existsSync(outFile)).toBe(false);
    const toStdout = await cli([
      'read',
      '--trust',
      c('untrusted-root.pem'),
      '--cert',
      c('ee-p256.pem'),
      '--key',
      c('ee-p256.key'),
      ...at,
      '--in',
      enc,
    ]);
    expect(toStdout.code).toBe(1);
    // Nothing unverified on stdout; the report (with the reason) is on stderr.
    expect(toStdout.stdout).toBe('');
    expect(toStdout.stderr).toContain('untrusted-root');
  });

  it('read without --trust is a usage error', async () => {
    const r = await cli(['read', '--in', input]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('usage');
  });
});
