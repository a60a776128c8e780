/**
 * `--stream` with `--header-protection`: sign and encrypt write header protection while the message streams,
 * verify and read print it from the streamed readers as the buffered paths do (text and --json), and a body the
 * legacy display element cannot be streamed into fails with its own code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, errorCode } from '../helpers/cli.js';
import type { IssuedUser } from '../helpers/pki.js';
import { HP_MESSAGE, setUpHeaderProtectionCli, trustArgs } from '../helpers/hp-cli.js';

const MESSAGE = HP_MESSAGE;

let dir: string;
let alice: IssuedUser;
let bob: IssuedUser;
const text = (file: string) => readFileSync(file, 'latin1');

beforeAll(async () => {
  ({ dir, alice, bob } = await setUpHeaderProtectionCli('smimekit-hp-stream-cli-'));
}, 60_000);

const identity = (who: IssuedUser) => ['--cert', who.certFile, '--key', who.keyFile];

describe('--stream --header-protection on the CLI', () => {
  it('sign --stream --for-encryption, encrypt --stream: Subject [...] outside; read --stream shows the real one', async () => {
    const signed = join(dir, 'signed.eml');
    const encrypted = join(dir, 'encrypted.eml');
    const s = await cli([
      'sign',
      ...identity(alice),
      '--header-protection',
      '--for-encryption',
      '--stream',
      '--in',
      join(dir, 'message.eml'),
      '--out',
      signed,
    ]);
    expect(s.code, s.stderr).toBe(0);
    expect(text(signed)).toMatch(/^Subject: \[\.\.\.\]\r$/m);
    const e = await cli([
      'encrypt',
      '--to',
      bob.certFile,
      '--from',
      alice.certFile,
      ...trustArgs(),
      '--header-protection',
      '--stream',
      '--in',
      signed,
      '--out',
      encrypted,
    ]);
    expect(e.code, e.stderr).toBe(0);
    expect(text(encrypted)).not.toMatch(/Quarterly/);
    const read = await cli(['read', ...trustArgs(), ...identity(bob), '--stream', '--in', encrypted]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stderr).toMatch(/header protection: encrypted \(hp="cipher"\), protected header fields shown/);
    expect(read.stderr).toMatch(/^ {2}Subject: Quarterly figures$/m);
    const json = await cli(['read', ...trustArgs(), ...identity(bob), '--stream', '--json', '--in', encrypted]);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { headerProtection: Record<string, unknown> };
    expect(report.headerProtection).toMatchObject({ hp: 'cipher', trusted: true, confidential: ['Subject'] });
    expect(report.headerProtection.displayHeadLength).toBeGreaterThan(0);
  });

  it('sign --stream --header-protection: verify --stream prints it, and a changed Subject as header-mismatch', async () => {
    const signed = join(dir, 'signed-clear.eml');
    const s = await cli([
      'sign',
      ...identity(alice),
      '--header-protection',
      '--stream',
      '--in',
      join(dir, 'message.eml'),
      '--out',
      signed,
    ]);
    expect(s.code, s.stderr).toBe(0);
    const ok = await cli(['verify', ...trustArgs(), '--stream', '--in', signed]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(
      /header protection: signed-only \(hp="clear"\), the protected header fields are displayed/,
    );
    const tampered = join(dir, 'tampered.eml');
    writeFileSync(tampered, text(signed).replace('Subject: Quarterly figures', 'Subject: Wire the money'), 'latin1');
    const changed = await cli(['verify', ...trustArgs(), '--stream', '--in', tampered]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stderr).toMatch(/warning header-mismatch: .*Subject/);
  });

  it('encrypt --stream --header-protection of an HTML body: legacy-display-unsupported; --no-legacy-display encrypts it', async () => {
    const html = join(dir, 'html.eml');
    writeFileSync(html, MESSAGE.replace('text/plain', 'text/html'), 'latin1');
    const args = ['encrypt', '--to', bob.certFile, '--from', alice.certFile, ...trustArgs(), '--header-protection'];
    const refused = await cli([...args, '--stream', '--in', html, '--out', join(dir, 'html.p7m')]);
    expect(refused.code).not.toBe(0);
    expect(errorCode(refused)).toBe('legacy-display-unsupported');
    const ok = await cli([...args, '--no-legacy-display', '--stream', '--in', html, '--out', join(dir, 'html.p7m')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(text(join(dir, 'html.p7m'))).toMatch(/^Subject: \[\.\.\.\]\r$/m);
  });
});
