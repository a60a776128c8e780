/**
 * The password prompt: asked on a terminal (CliIo.promptSecret) when a PKCS#12, an encrypted key or an LDAP bind
 * needs a password and no password flag gave one, and only while standard input carries no data. Elsewhere
 * (scripts, pipes) a missing password stays the error it was. One test drives the built binary on a real
 * pseudo-terminal with util-linux `script`, when it is installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { chainFile } from '../cms/fixtures.js';
import { repoRoot } from '../helpers/vectors.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const msg = join(dir, 'msg.eml');
writeFileSync(msg, 'Content-Type: text/plain\r\n\r\nprompted\r\n');
const p12 = chainFile('ee-rsa.p12'); // password "test"
const encryptedKey = join(dir, 'ee-rsa.enc.key');
writeFileSync(
  encryptedKey,
  createPrivateKey(readFileSync(chainFile('ee-rsa.key'))).export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'secret',
  }),
);

/** A terminal that answers every prompt with `answer` and remembers the questions. */
function terminal(answer: string): { questions: string[]; promptSecret: (q: string) => Promise<string> } {
  const questions: string[] = [];
  return {
    questions,
    promptSecret: async (q) => {
      questions.push(q);
      return answer;
    },
  };
}

describe('password prompt', () => {
  it('a PKCS#12 without a password flag: asked for once on a terminal, then used', async () => {
    const tty = terminal('test');
    const r = await cli(['sign', '--p12', p12, '--in', msg], undefined, tty);
    expect(r.code, r.stderr).toBe(0);
    expect(tty.questions).toEqual([`Password for ${p12}: `]);
    expect(r.stdout).toContain('multipart/signed');
  });

  it('a wrong answer is bad-password; a password flag, or no terminal, means no prompt', async () => {
    const wrong = terminal('nope');
    const bad = await cli(['sign', '--p12', p12, '--in', msg], undefined, wrong);
    expect(bad.code).toBe(2);
    expect(errorCode(bad)).toBe('bad-password');
    expect(wrong.questions).toHaveLength(1);

    const unused = terminal('test');
    const flag = await cli(['sign', '--p12', p12, '--password', 'test', '--in', msg], undefined, unused);
    expect(flag.code, flag.stderr).toBe(0);
    const flagged = await cli(['sign', '--p12', p12, '--password', 'nope', '--in', msg], undefined, unused);
    expect(errorCode(flagged)).toBe('bad-password');
    expect(unused.questions).toEqual([]);

    // Not interactive (a script, a pipe): as before, the empty password is tried and refused.
    const script = await cli(['sign', '--p12', p12, '--in', msg]);
    expect(script.code).toBe(2);
    expect(errorCode(script)).toBe('bad-password');
  });

  it('standard input carrying the message (no --in, or "-") is never read for a password', async () => {
    const tty = terminal('test');
    const viaStdin = await cli(['sign', '--p12', p12], readFileSync(msg), tty);
    expect(errorCode(viaStdin)).toBe('bad-password');
    const dash = await cli(['sign', '--p12', p12, '--in', '-'], readFileSync(msg), tty);
    expect(errorCode(dash)).toBe('bad-password');
    expect(tty.questions).toEqual([]);
  });

  it('an encrypted --key is asked for; an unencrypted one never', async () => {
    const tty = terminal('secret');
    const r = await cli(
      ['sign', '--cert', chainFile('ee-rsa.pem'), '--key', encryptedKey, '--in', msg],
      undefined,
      tty,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(tty.questions).toEqual([`Password for ${encryptedKey}: `]);
    const plain = await cli(
      ['sign', '--cert', chainFile('ee-rsa.pem'), '--key', chainFile('ee-rsa.key'), '--in', msg],
      undefined,
      tty,
    );
    expect(plain.code, plain.stderr).toBe(0);
    expect(tty.questions).toHaveLength(1);
    // No terminal: password-required, as before.
    const script = await cli(['sign', '--cert', chainFile('ee-rsa.pem'), '--key', encryptedKey, '--in', msg]);
    expect(script.code).toBe(2);
    expect(errorCode(script)).toBe('password-required');
  });

  it('publish, which reads no standard input, asks too', async () => {
    const tty = terminal('test');
    const r = await cli(['publish', '--p12', p12], undefined, tty);
    expect(r.code, r.stderr).toBe(0);
    expect(tty.questions).toEqual([`Password for ${p12}: `]);
  });

  const ldap = ['--ldap', 'ldap://127.0.0.1:1', '--base', 'dc=x', '--bind', 'cn=admin,dc=x', '--timeout', '3000'];
  const lookup = ['lookup', 'rsa.user@example.test', ...ldap, '--trust', chainFile('root.pem'), '--json'];

  it('--bind without a password flag: asked for on a terminal, a usage error elsewhere', async () => {
    const tty = terminal('admin-secret');
    const r = await cli(lookup, undefined, tty);
    expect(tty.questions).toEqual(['Password for cn=admin,dc=x: ']);
    // Asked, then the (unreachable) server answers in the report: nobody found, exit 1.
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).recipients[0].sources[0].status).toBe('error');

    const script = await cli(lookup);
    expect(script.code).toBe(2);
    expect(errorCode(script)).toBe('usage');
    expect(script.stderr).toContain('--bind needs --bind-password-file FILE or --bind-password-env NAME');

    // An address book read from standard input keeps it busy: no prompt there either.
    const busy = terminal('admin-secret');
    const dash = await cli([...lookup, '--dir', '-'], readFileSync(chainFile('ee-rsa.pem')), busy);
    expect(errorCode(dash)).toBe('usage');
    expect(busy.questions).toEqual([]);
  });

  it('an empty answer for a bind is refused (it would bind anonymously)', async () => {
    const r = await cli(lookup, undefined, terminal(''));
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('usage');
    expect(r.stderr).toContain('the bind password for cn=admin,dc=x is empty');
  });
});

const bin = join(repoRoot, 'dist', 'cli', 'main.js');
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux') === true;

describe.skipIf(!hasScript || !existsSync(bin))('password prompt on a real terminal (util-linux script)', () => {
  it('asks on stderr, reads without echo, and signs', async () => {
    const out = join(dir, 'signed-on-tty.eml');
    const command = `node ${JSON.stringify(bin)} sign --p12 ${JSON.stringify(p12)} --in ${JSON.stringify(msg)} --out ${JSON.stringify(out)}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let seen = '';
    let answered = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      seen += chunk;
      // Type the password only once the prompt is up (raw mode, echo off): it must not come back.
      if (!answered && seen.includes('Password for')) {
        answered = true;
        setTimeout(() => child.stdin.write('test\r'), 100);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const prompt = `Password for ${p12}: `;
    expect(seen).toContain(prompt);
    expect(seen.slice(seen.indexOf(prompt) + prompt.length)).not.toContain('test');
    expect(code, seen).toBe(0);
    expect(readFileSync(out, 'latin1')).toContain('multipart/signed');
  });
});
