/** `smimekit p12`: a PKCS#12 file from --cert/--key/--chain, the password flags, --legacy, the error contract. */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdentity } from '../../src/crypto/identity.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { toHex } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { projectVectorPath } from '../helpers/vectors.js';

const dir = tempDir('smimekit-p12-cli-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chainFile = (name: string): string => projectVectorPath('chains', name);
const der = (name: string): string => toHex(decodePem(new Uint8Array(readFileSync(chainFile(name))))[0]!.der);
const keyOf = async (name: string): Promise<string> =>
  toHex((await loadPrivateKey(new Uint8Array(readFileSync(chainFile(name))))).pkcs8);

function opensslInfo(file: string, password: string, ...args: string[]): string {
  const r = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${password}`, '-info', '-noout', ...args], {
    encoding: 'latin1',
  });
  expect(r.status, r.stderr).toBe(0);
  return `${r.stdout}${r.stderr}`;
}

describe('smimekit p12', () => {
  it('--cert --key --chain --password --friendly-name → --out FILE, read back by loadIdentity and OpenSSL', async () => {
    const out = join(dir, 'alice.p12');
    const r = await cli([
      'p12',
      '--cert',
      chainFile('ee-rsa.pem'),
      '--key',
      chainFile('ee-rsa.key'),
      '--chain',
      chainFile('intermediate.pem'),
      '--chain',
      chainFile('root.pem'),
      '--password',
      'pässwörd',
      '--friendly-name',
      'Alice',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    const id = await loadIdentity(new Uint8Array(readFileSync(out)), 'pässwörd');
    expect(toHex(id.certificate)).toBe(der('ee-rsa.pem'));
    expect(id.chain.map(toHex)).toEqual([der('intermediate.pem'), der('root.pem')]);
    expect(toHex(id.privateKey)).toBe(await keyOf('ee-rsa.key'));
    expect(id.friendlyName).toBe('Alice');
    const info = opensslInfo(out, 'pässwörd');
    expect(info).toContain('MAC: sha256, Iteration 2048');
    expect(info).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC');
  });

  it('--legacy with --password-file, a PEM bundle as --cert, --out - (standard output)', async () => {
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(
      bundle,
      readFileSync(chainFile('ee-p256.pem'), 'latin1') + readFileSync(chainFile('intermediate.pem'), 'latin1'),
    );
    const pwFile = join(dir, 'pw.txt');
    writeFileSync(pwFile, '\uFEFFfrom a file\nsecond line ignored\n');
    const r = await cli([
      'p12',
      '--cert',
      bundle,
      '--key',
      chainFile('ee-p256.key'),
      '--password-file',
      pwFile,
      '--legacy',
      '--out',
      '-',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const id = await loadIdentity(r.stdoutBytes, 'from a file');
    expect(toHex(id.certificate)).toBe(der('ee-p256.pem'));
    expect(id.chain.map(toHex)).toEqual([der('intermediate.pem')]);
    const file = join(dir, 'legacy.p12');
    writeFileSync(file, r.stdoutBytes);
    const info = opensslInfo(file, 'from a file', '-legacy');
    expect(info).toContain('MAC: sha1, Iteration 2048');
    expect(info).toContain('Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048');
  });

  it('--password-env', async () => {
    const out = join(dir, 'env.p12');
    process.env.SMIMEKIT_TEST_P12_PW = 'from the environment';
    try {
      const r = await cli([
        'p12',
        '--cert',
        chainFile('ee-p384.pem'),
        '--key',
        chainFile('ee-p384.key'),
        '--password-env',
        'SMIMEKIT_TEST_P12_PW',
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      delete process.env.SMIMEKIT_TEST_P12_PW;
    }
    expect((await loadIdentity(new Uint8Array(readFileSync(out)), 'from the environment')).curve).toBe('P-384');
  });

  it('an encrypted --key is opened with the same password; another password is bad-password', async () => {
    const encrypted = join(dir, 'encrypted.key');
    const r0 = spawnSync('openssl', [
      'pkcs8',
      '-topk8',
      '-v2',
      'aes-256-cbc',
      '-in',
      chainFile('ee-rsa.key'),
      '-passout',
      'pass:same',
      '-out',
      encrypted,
    ]);
    expect(r0.status, String(r0.stderr)).toBe(0);
    const out = join(dir, 'from-encrypted.p12');
    const argv = ['p12', '--cert', chainFile('ee-rsa.pem'), '--key', encrypted, '--out', out];
    const ok = await cli([...argv, '--password', 'same']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(toHex((await loadIdentity(new Uint8Array(readFileSync(out)), 'same')).privateKey)).toBe(
      await keyOf('ee-rsa.key'),
    );
    const wrong = await cli([...argv, '--password', 'other']);
    expect(wrong.code).toBe(2);
    expect(errorCode(wrong)).toBe('bad-password');
  });

  it('on a terminal without a password flag: asks twice; a mismatch or an empty answer writes nothing', async () => {
    const base = ['p12', '--cert', chainFile('ee-rsa.pem'), '--key', chainFile('ee-rsa.key'), '--out'];
    const answers = (...list: string[]) => {
      const questions: string[] = [];
      return { questions, promptSecret: async (q: string) => (questions.push(q), list.shift() ?? '') };
    };
    const ok = join(dir, 'prompted.p12');
    const tty = answers('s3cret', 's3cret');
    const r = await cli([...base, ok], undefined, tty);
    expect(r.code, r.stderr).toBe(0);
    expect(tty.questions).toEqual([`Password for ${ok}: `, 'Repeat the password: ']);
    expect(toHex((await loadIdentity(new Uint8Array(readFileSync(ok)), 's3cret')).privateKey)).toBe(
      await keyOf('ee-rsa.key'),
    );
    for (const [list, text] of [
      [['one', 'two'], 'differ'],
      [[''], 'empty password'],
    ] as const) {
      const target = join(dir, `refused-${text.length}.p12`);
      const refused = await cli([...base, target], undefined, answers(...list));
      expect([refused.code, errorCode(refused)]).toEqual([2, 'usage']);
      expect(refused.stderr).toContain(text);
      expect(() => readFileSync(target)).toThrow();
    }
  });

  it('usage errors exit 2 with one error line and write nothing', async () => {
    const base = ['p12', '--cert', chainFile('ee-rsa.pem'), '--key', chainFile('ee-rsa.key')];
    const out = join(dir, 'never.p12');
    const cases: [string[], string][] = [
      [[...base, '--out', out], 'password'],
      [[...base, '--password', 'a', '--password-env', 'X', '--out', out], 'only one of'],
      [[...base, '--password', 'a'], '--out'],
      [['p12', '--key', chainFile('ee-rsa.key'), '--password', 'a', '--out', out], '--cert'],
      [[...base, '--password', 'a', '--out', out, 'extra.pem'], 'unexpected argument'],
      [[...base, '--password', 'a', '--out', out, '--iterations', '5'], 'unknown option'],
      [[...base, '--password-env', 'SMIMEKIT_TEST_UNSET_VARIABLE', '--out', out], 'not set'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(errorCode(r), argv.join(' ')).toBe('usage');
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
    expect(() => readFileSync(out)).toThrow();
  });

  it('a key that does not belong to the certificate is key-mismatch (exit 2); a missing file is unreadable-input', async () => {
    const out = join(dir, 'mismatch.p12');
    const r = await cli([
      'p12',
      '--cert',
      chainFile('ee-rsa.pem'),
      '--key',
      chainFile('ee-p256.key'),
      '--password',
      'a',
      '--out',
      out,
    ]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('key-mismatch');
    expect(() => readFileSync(out)).toThrow();
    const missing = await cli([
      'p12',
      '--cert',
      join(dir, 'nope.pem'),
      '--key',
      chainFile('ee-rsa.key'),
      '--password',
      'a',
      '--out',
      out,
    ]);
    expect(missing.code).toBe(2);
    expect(errorCode(missing)).toBe('unreadable-input');
  });

  it('--help shows the usage, the example and is listed in the overview', async () => {
    const help = await cli(['p12', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: smimekit p12 --cert FILE --key FILE/);
    expect(help.stdout).toContain('smimekit p12 --cert alice.pem');
    expect((await cli(['--help'])).stdout).toContain('smimekit p12');
  });
});
