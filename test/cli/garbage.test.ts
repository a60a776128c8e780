/**
 * The CLI contract under hostile input: whatever bytes arrive, every command
 * exits 1 or 2 with exactly one `error CODE: message` line and never a stack trace.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { projectVectorPath } from '../helpers/vectors.js';

const c = (name: string) => projectVectorPath('chains', name);
const dir = tempDir('smimekit-garbage-');
const garbageFile = join(dir, 'garbage.bin');

const commands: Array<{ name: string; argv: (input: string) => string[] }> = [
  { name: 'sst list', argv: (f) => ['sst', 'list', f] },
  { name: 'sst export', argv: (f) => ['sst', 'export', f] },
  { name: 'sst create', argv: (f) => ['sst', 'create', '--out', join(dir, 'o.sst'), f] },
  { name: 'validate (cert)', argv: (f) => ['validate', '--trust', c('root.pem'), '--cert', f] },
  { name: 'validate (trust)', argv: (f) => ['validate', '--trust', f, '--cert', c('ee-rsa.pem')] },
  { name: 'verify', argv: (f) => ['verify', '--trust', c('root.pem'), '--in', f] },
  { name: 'sign (key)', argv: (f) => ['sign', '--cert', c('ee-rsa.pem'), '--key', f, '--in', c('ee-rsa.pem')] },
  { name: 'sign (p12)', argv: (f) => ['sign', '--p12', f, '--password', 'test', '--in', c('ee-rsa.pem')] },
  {
    name: 'encrypt (cert)',
    argv: (f) => ['encrypt', '--to', f, '--from', c('ee-rsa.pem'), '--no-validate', '--in', c('ee-rsa.pem')],
  },
  { name: 'decrypt', argv: (f) => ['decrypt', '--cert', c('ee-rsa.pem'), '--key', c('ee-rsa.key'), '--in', f] },
  {
    name: 'read',
    argv: (f) => ['read', '--trust', c('root.pem'), '--cert', c('ee-rsa.pem'), '--key', c('ee-rsa.key'), '--in', f],
  },
];

const samples: Uint8Array[] = [
  new Uint8Array(),
  Uint8Array.of(0x30, 0x82, 0xff, 0xff, 0x01),
  new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n'),
  new TextEncoder().encode(
    'Content-Type: multipart/signed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x\r\nContent-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--x--\r\n',
  ),
  new TextEncoder().encode(
    'Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIB\r\n',
  ),
  Uint8Array.of(0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54, 32, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0x30, 0x03, 0x02, 0x01),
];

async function check(name: string, argv: string[]) {
  const r = await cli(argv);
  expect([1, 2], `${name}: exit ${r.code}, stderr ${r.stderr}`).toContain(r.code);
  expect(errorCode(r), `${name}: ${r.stderr}`).toMatch(/^[a-z0-9-]+$/);
  expect(r.stderr, name).not.toMatch(/\n\s+at |TypeError|RangeError|internal/);
}

describe('CLI under garbage input', () => {
  for (const cmd of commands) {
    it(`${cmd.name}: fixed garbage samples`, async () => {
      for (const [i, sample] of samples.entries()) {
        writeFileSync(garbageFile, sample);
        await check(`${cmd.name} #${i}`, cmd.argv(garbageFile));
      }
    });
  }

  it('random bytes to every command', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...commands), async (bytes, cmd) => {
        writeFileSync(garbageFile, bytes);
        await check(cmd.name, cmd.argv(garbageFile));
      }),
      { numRuns: 150 },
    );
  });
});
