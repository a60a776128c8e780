/**
 * The CLI contract of docs/cli.md, held against the built binary (`node dist/cli/main.js`, built by `npm test`;
 * built here only when missing): for every registered command, `--help` exits 0 with its text on stdout and
 * nothing on stderr; an unknown flag exits 2 with nothing on stdout and the one line `error usage: ...` on stderr;
 * and one success and one failure per command keep the streams apart — content on stdout, reports on stderr (or
 * on stdout where the report is the output), exit 1 for a failed check, 2 for bad input, and the `error CODE:`
 * line always last and alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAllCommands } from '../../src/cli/run.js';
import { cli, tempDir } from '../helpers/cli.js';
import { chainFile } from '../cms/fixtures.js';
import { repoRoot } from '../helpers/vectors.js';

const bin = join(repoRoot, 'dist', 'cli', 'main.js');
const registry = await loadAllCommands();
const names = [...registry.keys()];
const dir = tempDir('smimekit-contract-');
const tmp = (name: string) => join(dir, name);
const c = chainFile;
const AT = '2026-06-01T00:00:00Z';
const TRUST = ['--trust', c('root.pem'), '--certs', c('intermediate.pem'), '--at', AT];
const P12 = ['--p12', c('ee-rsa.p12'), '--password', 'test'];
const BODY = 'contract body';

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** `node dist/cli/main.js ARGV` with `input` on standard input (closed at once without). */
function run(argv: readonly string[], input: Uint8Array | string = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.on('error', () => undefined); // a command that exits before reading its input
    child.stdin.end(input);
  });
}

/** What a case must show. `stdout`: the content or report it prints, or nothing; `stderr`: a pattern, or nothing. */
interface Outcome {
  code: 0 | 1 | 2;
  stdout: 'output' | 'empty';
  /** The report or notes before any `error` line; '' for none. */
  stderr: RegExp | '';
  /** The `error CODE:` code of a failure (checked when given). */
  error?: string;
  /** Text stdout must contain. */
  contains?: string;
  /** A file that must not exist afterwards (`--out` of a failure). */
  absent?: string;
}

interface Case {
  argv: string[];
  stdin?: Uint8Array | string;
  expect: Outcome;
}

let signed: Uint8Array;
let tampered: Uint8Array;
let encrypted: string;
let store: string;

/** One success and one failure per command: inputs come from vectors/chains and what beforeAll made. */
function cases(): Record<string, { ok: Case; fail: Case }> {
  const ok = (argv: string[], expected: Omit<Outcome, 'code'>, stdin?: Uint8Array | string): Case => ({
    argv,
    expect: { code: 0, ...expected },
    ...(stdin !== undefined ? { stdin } : {}),
  });
  const fail = (argv: string[], expected: Outcome, stdin?: Uint8Array | string): Case => ({
    argv,
    expect: expected,
    ...(stdin !== undefined ? { stdin } : {}),
  });
  const missing = tmp('no-such-file');
  return {
    'sst list': {
      ok: ok(['sst', 'list', store], { stdout: 'output', stderr: '' }),
      fail: fail(['sst', 'list', missing], { code: 2, stdout: 'empty', stderr: '', error: 'unreadable-input' }),
    },
    'sst create': {
      ok: ok(['sst', 'create', '--out', tmp('created.sst'), c('root.pem')], { stdout: 'empty', stderr: /^wrote / }),
      fail: fail(['sst', 'create', '--out', tmp('never.sst'), tmp('msg.eml')], {
        code: 2,
        stdout: 'empty',
        stderr: '',
        error: 'unsupported-format',
      }),
    },
    'sst add': {
      ok: ok(['sst', 'add', store, '--out', tmp('added.sst'), c('ee-rsa.pem')], {
        stdout: 'empty',
        stderr: /^added 1, /,
      }),
      fail: fail(['sst', 'add', tmp('msg.eml'), c('root.pem')], { code: 2, stdout: 'empty', stderr: '' }),
    },
    'sst remove': {
      ok: ok(['sst', 'remove', store, '--index', '1', '--out', tmp('removed.sst')], {
        stdout: 'empty',
        stderr: /^removed 1 entry/,
      }),
      fail: fail(['sst', 'remove', store, '--sha1', '00'.repeat(20), '--out', tmp('never.sst')], {
        code: 2,
        stdout: 'empty',
        stderr: '',
        error: 'no-match',
      }),
    },
    'sst export': {
      ok: ok(['sst', 'export', store, '--pem'], { stdout: 'output', stderr: '' }),
      fail: fail(['sst', 'export', store, '--subject', 'nobody'], {
        code: 2,
        stdout: 'empty',
        stderr: '',
        error: 'no-match',
      }),
    },
    validate: {
      // The validation report is the output, also when the certificate is invalid.
      ok: ok(['validate', ...TRUST.map((a) => (a === '--certs' ? '--untrusted' : a)), '--cert', c('ee-rsa.pem')], {
        stdout: 'output',
        stderr: '',
      }),
      fail: fail(
        ['validate', ...TRUST.map((a) => (a === '--certs' ? '--untrusted' : a)), '--cert', c('bad-expired.pem')],
        { code: 1, stdout: 'output', stderr: '', error: 'expired' },
      ),
    },
    sign: {
      ok: ok(['sign', ...P12, '--in', tmp('msg.eml')], { stdout: 'output', stderr: '' }),
      fail: fail(['sign', '--p12', c('ee-rsa.p12'), '--password', 'nope', '--in', tmp('msg.eml')], {
        code: 2,
        stdout: 'empty',
        stderr: '',
        error: 'bad-password',
      }),
    },
    verify: {
      // Content on stdout (here from standard input), the report on stderr.
      ok: ok(['verify', ...TRUST], { stdout: 'output', stderr: /^VERIFIED/, contains: BODY }, signed),
      // Nothing unverified is written: not to stdout, not to --out.
      fail: fail(
        ['verify', ...TRUST, '--out', tmp('never-verified.eml')],
        { code: 1, stdout: 'empty', stderr: /\S/, error: 'digest-mismatch', absent: tmp('never-verified.eml') },
        tampered,
      ),
    },
    encrypt: {
      ok: ok(['encrypt', '--to', c('ee-rsa.pem'), '--from', c('ee-rsa.pem'), ...TRUST, '--in', tmp('msg.eml')], {
        stdout: 'output',
        stderr: /^(warning [a-z0-9-]+: .*\n)*$/,
      }),
      fail: fail(
        ['encrypt', '--to', c('bad-expired.pem'), '--from', c('ee-rsa.pem'), ...TRUST, '--in', tmp('msg.eml')],
        {
          code: 1,
          stdout: 'empty',
          stderr: '',
          error: 'expired',
        },
      ),
    },
    decrypt: {
      // AES-CBC without a signature inside: decrypted, with the advisory line (issue #14; exit 0).
      ok: ok(['decrypt', ...P12, '--in', encrypted], {
        stdout: 'output',
        stderr: /^warning unauthenticated-encryption: .*\n$/,
        contains: BODY,
      }),
      fail: fail(['decrypt', '--cert', c('ee-p384.pem'), '--key', c('ee-p384.key'), '--in', encrypted], {
        code: 1,
        stdout: 'empty',
        stderr: '',
        error: 'not-recipient',
      }),
    },
    read: {
      ok: ok(['read', ...TRUST, ...P12, '--in', tmp('signed.eml')], {
        stdout: 'output',
        stderr: /^OK: /,
        contains: BODY,
      }),
      fail: fail(['read', ...TRUST, ...P12, '--in', tmp('tampered.eml')], {
        code: 1,
        stdout: 'empty',
        stderr: /^NOT OK: /,
        error: 'digest-mismatch',
      }),
    },
    lookup: {
      // The lookup report is the output, also when an address has no certificate.
      ok: ok(['lookup', 'rsa.user@example.test', '--dir', c('ee-rsa.pem'), ...TRUST], { stdout: 'output', stderr: '' }),
      fail: fail(['lookup', 'nobody@example.test', '--dir', c('ee-rsa.pem'), ...TRUST], {
        code: 1,
        stdout: 'output',
        stderr: '',
        error: 'recipient-certificate-missing',
      }),
    },
    compose: {
      ok: ok(['compose', '--from', 'rsa.user@example.test', '--to', 'bob@example.test', '--in', tmp('body.txt')], {
        stdout: 'output',
        stderr: /^envelope -: from rsa.user@example.test to bob@example.test/,
      }),
      fail: fail(
        ['compose', '--from', 'rsa.user@example.test', '--to', 'nobody@example.test', '--encrypt'].concat([
          '--dir',
          c('ee-rsa.pem'),
          ...TRUST,
          ...P12,
          '--in',
          tmp('body.txt'),
        ]),
        { code: 1, stdout: 'empty', stderr: '', error: 'recipient-certificate-missing' },
      ),
    },
    publish: {
      ok: ok(['publish', ...P12], { stdout: 'output', stderr: '' }),
      fail: fail(['publish', '--p12', c('ee-rsa.p12'), '--password', 'nope'], {
        code: 2,
        stdout: 'empty',
        stderr: '',
        error: 'bad-password',
      }),
    },
    p12: {
      ok: ok(['p12', '--cert', c('ee-rsa.pem'), '--key', c('ee-rsa.key'), '--password', 'x', '--out', tmp('new.p12')], {
        stdout: 'empty',
        stderr: '',
      }),
      fail: fail(['p12', '--cert', missing, '--key', c('ee-rsa.key'), '--password', 'x', '--out', tmp('never.p12')], {
        code: 2,
        stdout: 'empty',
        stderr: '',
        error: 'unreadable-input',
      }),
    },
  };
}

/** The stderr contract: a failure ends with exactly one `error CODE: message` line; a success has none. */
function checkOutcome(r: Run, outcome: Outcome, what: string): void {
  expect(r.code, `${what}\n${r.stderr}`).toBe(outcome.code);
  if (outcome.stdout === 'empty') expect(r.stdout.length, what).toBe(0);
  else expect(r.stdout.length, what).toBeGreaterThan(0);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error '));
  let report = r.stderr;
  if (outcome.code === 0) expect(errorLines, what).toEqual([]);
  else {
    expect(errorLines, what).toHaveLength(1);
    expect(r.stderr.endsWith(`${errorLines[0]}\n`), what).toBe(true);
    if (outcome.error) expect(errorLines[0], what).toMatch(new RegExp(`^error ${outcome.error}: \\S`));
    report = r.stderr.slice(0, -(errorLines[0]!.length + 1));
  }
  if (outcome.contains !== undefined) expect(r.stdout.toString('latin1'), what).toContain(outcome.contains);
  if (outcome.absent !== undefined) expect(existsSync(outcome.absent), what).toBe(false);
  if (outcome.stderr === '') expect(report, what).toBe('');
  else expect(report, what).toMatch(outcome.stderr);
}

beforeAll(async () => {
  if (!existsSync(bin)) execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'ignore' });
  writeFileSync(tmp('msg.eml'), `Content-Type: text/plain; charset=us-ascii\r\n\r\n${BODY}\r\n`);
  writeFileSync(tmp('body.txt'), `${BODY}\n`);
  // Inputs made in-process (quicker); what is under test is the binary's handling of them.
  signed = (await cli(['sign', ...P12, '--in', tmp('msg.eml')])).stdoutBytes;
  writeFileSync(tmp('signed.eml'), signed);
  tampered = Buffer.from(Buffer.from(signed).toString('latin1').replace(BODY, BODY.toUpperCase()), 'latin1');
  writeFileSync(tmp('tampered.eml'), tampered);
  encrypted = tmp('encrypted.eml');
  const enc = await cli(
    ['encrypt', '--to', c('ee-rsa.pem'), '--from', c('ee-rsa.pem'), '--no-validate'].concat([
      '--in',
      tmp('msg.eml'),
      '--out',
      encrypted,
    ]),
  );
  expect(enc.code, enc.stderr).toBe(0);
  store = tmp('store.sst');
  const made = await cli(['sst', 'create', '--out', store, c('root.pem'), c('intermediate.pem')]);
  expect(made.code, made.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent('the built binary keeps the CLI contract', () => {
  it('every registered command has a success and a failure case here', ({ expect }) => {
    expect(Object.keys(cases()).sort()).toEqual([...names].sort());
  });

  it('--help lists the commands on stdout (exit 0); bare smimekit fails with the list on stderr (exit 2)', async ({
    expect,
  }) => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    for (const name of names) expect(help.stdout.toString()).toContain(`smimekit ${name}`);
    const bare = await run([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout.length).toBe(0);
    expect(bare.stderr).toMatch(/smimekit sign[\s\S]*\nerror usage: no command given[^\n]*\n$/);
  });

  it.for(names)('%s --help: exit 0, usage and options on stdout, nothing on stderr', async (name, { expect }) => {
    const r = await run([...name.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toMatch(
      new RegExp(`^Usage: smimekit ${name} [\\s\\S]*\\nOptions:\\n[\\s\\S]*--help, -h`),
    );
  });

  it.for(names)('%s --no-such-flag: exit 2, nothing on stdout, one usage line on stderr', async (name, { expect }) => {
    const r = await run([...name.split(' '), '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe('error usage: unknown option --no-such-flag\n');
  });

  it.for(names)('%s: a success and a failure, with the streams documented', async (name) => {
    const own = cases()[name];
    expect(own, `no contract case for ${name}`).toBeDefined();
    const [ok, bad] = await Promise.all([run(own!.ok.argv, own!.ok.stdin), run(own!.fail.argv, own!.fail.stdin)]);
    checkOutcome(ok, own!.ok.expect, `${name} (success): ${own!.ok.argv.join(' ')}`);
    checkOutcome(bad, own!.fail.expect, `${name} (failure): ${own!.fail.argv.join(' ')}`);
  });
});
