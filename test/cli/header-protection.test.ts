/**
 * `--header-protection` on sign, encrypt and compose, and what verify and read print for it: the Subject of an
 * encrypted message stays out of the clear, read shows the protected one, and a changed outer Subject is reported.
 * The older `protected-headers="v1"` scheme through the built binary, on a real sample (notmuch).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, errorCode } from '../helpers/cli.js';
import type { IssuedUser } from '../helpers/pki.js';
import { setUpHeaderProtectionCli, trustArgs } from '../helpers/hp-cli.js';
import { describeVectors, repoRoot, sharedPath } from '../helpers/vectors.js';

let dir: string;
let alice: IssuedUser;
let bob: IssuedUser;
const text = (file: string) => readFileSync(file, 'latin1');

beforeAll(async () => {
  ({ dir, alice, bob } = await setUpHeaderProtectionCli('smimekit-hp-cli-'));
}, 60_000);

describe('--header-protection on the CLI', () => {
  it('sign --header-protection: verify reports it; an outer Subject changed afterwards is a header-mismatch warning', async () => {
    const signed = join(dir, 'signed.eml');
    const r = await cli([
      'sign',
      '--cert',
      alice.certFile,
      '--key',
      alice.keyFile,
      '--header-protection',
      '--in',
      join(dir, 'message.eml'),
      '--out',
      signed,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(text(signed)).toMatch(/hp="clear"/);
    const ok = await cli(['verify', ...trustArgs(), '--in', signed]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/header protection: signed-only/);
    expect(ok.stderr).not.toMatch(/header-mismatch/);
    const tampered = join(dir, 'tampered.eml');
    writeFileSync(tampered, text(signed).replace('Subject: Quarterly figures', 'Subject: Wire the money'), 'latin1');
    const changed = await cli(['verify', ...trustArgs(), '--in', tampered]);
    expect(changed.code, changed.stderr).toBe(0); // a warning: the signature itself holds
    expect(changed.stderr).toMatch(/warning header-mismatch: .*Subject/);
  });

  it('sign --for-encryption then encrypt --header-protection: Subject out of the clear; read shows the real one', async () => {
    const signed = join(dir, 'signed-for-enc.eml');
    const encrypted = join(dir, 'encrypted.eml');
    const s = await cli([
      'sign',
      '--cert',
      alice.certFile,
      '--key',
      alice.keyFile,
      '--header-protection',
      '--for-encryption',
      '--in',
      join(dir, 'message.eml'),
      '--out',
      signed,
    ]);
    expect(s.code, s.stderr).toBe(0);
    const e = await cli([
      'encrypt',
      '--to',
      bob.certFile,
      '--from',
      alice.certFile,
      ...trustArgs(),
      '--header-protection',
      '--in',
      signed,
      '--out',
      encrypted,
    ]);
    expect(e.code, e.stderr).toBe(0);
    const outside = text(encrypted);
    expect(outside).toMatch(/^Subject: \[\.\.\.\]\r$/m);
    expect(outside).not.toMatch(/Quarterly/);
    const read = await cli(['read', ...trustArgs(), '--cert', bob.certFile, '--key', bob.keyFile, '--in', encrypted]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stderr).toMatch(/header protection: encrypted \(hp="cipher"\), protected header fields shown/);
    expect(read.stderr).toMatch(/^ {2}Subject: Quarterly figures$/m);
    const json = await cli([
      'read',
      ...trustArgs(),
      '--cert',
      bob.certFile,
      '--key',
      bob.keyFile,
      '--in',
      encrypted,
      '--json',
    ]);
    const report = JSON.parse(json.stdout) as {
      headerProtection: { hp: string; trusted: boolean; confidential: string[] };
    };
    expect(report.headerProtection).toMatchObject({ hp: 'cipher', trusted: true });
    expect(report.headerProtection.confidential).toContain('Subject');
  });

  it('encrypt --header-protection --hcp none keeps the Subject outside; bad combinations are usage errors', async () => {
    const encrypted = join(dir, 'encrypted-none.eml');
    const e = await cli([
      'encrypt',
      '--to',
      bob.certFile,
      '--from',
      alice.certFile,
      ...trustArgs(),
      '--header-protection',
      '--hcp',
      'none',
      '--in',
      join(dir, 'message.eml'),
      '--out',
      encrypted,
    ]);
    expect(e.code, e.stderr).toBe(0);
    expect(text(encrypted)).toMatch(/^Subject: Quarterly figures\r$/m);
    for (const argv of [
      ['sign', '--cert', alice.certFile, '--key', alice.keyFile, '--for-encryption', '--in', join(dir, 'message.eml')],
      [
        'encrypt',
        '--to',
        bob.certFile,
        '--from',
        alice.certFile,
        ...trustArgs(),
        '--hcp',
        'shy',
        '--in',
        join(dir, 'message.eml'),
      ],
      [
        'encrypt',
        '--to',
        bob.certFile,
        '--from',
        alice.certFile,
        ...trustArgs(),
        '--header-protection',
        '--hcp',
        'loud',
        '--in',
        join(dir, 'message.eml'),
      ],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(errorCode(r)).toBe('usage');
    }
  });
});

describeVectors('read on a protected-headers="v1" message (the built CLI)', () => {
  it('smime-sign+enc+legacy-disp: the format and the real Subject, in text and in --json', () => {
    const bin = join(repoRoot, 'dist', 'cli', 'main.js');
    if (!existsSync(bin)) throw new Error('dist/cli/main.js is missing: run npm run build (npm test does)');
    const v = (...p: string[]) => sharedPath('notmuch', ...p);
    const args = ['read', '--trust', v('smime', 'ca.crt'), '--p12', v('smime', 'bob.p12'), '--password', ''];
    const message = v('corpora', 'protected-headers', 'smime-sign+enc+legacy-disp.eml');
    const run = (extra: string[]) => spawnSync(process.execPath, [bin, ...args, ...extra], { encoding: 'latin1' });
    const text = run(['--in', message, '--out', join(dir, 'v1-content.eml')]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stderr).toContain(
      '\nheader protection: encrypted (protected-headers="v1", a scheme older than RFC 9788), protected header fields shown\n',
    );
    expect(text.stderr).toMatch(/^ {2}Subject: BarCorp contract signed, let's go!$/m);
    const json = run(['--in', message, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const hp = (JSON.parse(json.stdout) as { headerProtection: Record<string, unknown> }).headerProtection;
    expect([hp.format, hp.hp, hp.trusted, hp.confidential, hp.legacyDisplayRemoved, hp.outerMismatches]).toEqual([
      'protected-headers-v1',
      'cipher',
      true,
      ['Subject'],
      true,
      [],
    ]);
  });
});
