import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSst, sstEnhancedKeyUsage, sstFriendlyName } from '../../src/sst.js';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { describeVectors, projectVectorPath, repoRoot, sharedPath } from '../helpers/vectors.js';

const root = projectVectorPath('chains', 'root.pem');
const inter = projectVectorPath('chains', 'intermediate.pem');
const crl = projectVectorPath('chains', 'intermediate.crl.pem');

describe('smimekit sst (CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it('create → list → add → remove → export round trip', async () => {
    const store = join(dir, 'trust.sst');
    let r = await cli([
      'sst',
      'create',
      '--out',
      store,
      '--friendly-name',
      'Test Root',
      '--eku',
      '1.3.6.1.5.5.7.3.4',
      root,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const parsed = parseSst(readFileSync(store));
    expect(parsed.certificates).toHaveLength(1);
    expect(sstFriendlyName(parsed.certificates[0]!)).toBe('Test Root');
    expect(sstEnhancedKeyUsage(parsed.certificates[0]!)).toEqual(['1.3.6.1.5.5.7.3.4']);

    r = await cli(['sst', 'add', store, inter, '--crl', crl]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('added 2');
    r = await cli(['sst', 'add', store, inter]);
    expect(r.stderr).toContain('added 0, skipped 1');

    r = await cli(['sst', 'list', store, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout);
    expect(listed.format).toBe('sst');
    expect(listed.certificates.map((c: { subject: string }) => c.subject)).toEqual([
      expect.stringContaining('Root'),
      expect.stringContaining('Intermediate'),
    ]);
    expect(listed.crls).toHaveLength(1);
    expect(listed.certificates[0].sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(listed.certificates[0].sha256).toMatch(/^[0-9a-f]{64}$/);

    r = await cli(['sst', 'list', store]);
    expect(r.stdout).toContain('friendly name: Test Root');
    expect(r.stdout).toMatch(/SHA-256: +[0-9a-f]{64}/);
    expect(r.stdout).toContain('CRL issued by');

    const pem = join(dir, 'out.pem');
    r = await cli(['sst', 'export', store, '--pem', '--out', pem]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(pem, 'utf8');
    expect(text.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(text).toContain('BEGIN X509 CRL');
    // OpenSSL reads what we exported.
    const subject = execFileSync('openssl', ['x509', '-in', pem, '-noout', '-subject'], { encoding: 'utf8' });
    expect(subject).toContain('Root');

    r = await cli(['sst', 'remove', store, '--sha1', listed.certificates[1].sha1]);
    expect(r.code, r.stderr).toBe(0);
    expect(parseSst(readFileSync(store)).certificates).toHaveLength(1);

    r = await cli(['sst', 'export', store, '--der', '--index', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdoutBytes[0]).toBe(0x30);
  });

  it('exit codes and the one-line error contract', async () => {
    const cases: Array<[string[], number, string]> = [
      [['sst', 'list'], 2, 'usage'],
      [['sst', 'list', join(dir, 'missing.sst')], 2, 'unreadable-input'],
      [['sst', 'list', root, '--bogus'], 2, 'usage'],
      [['sst', 'frobnicate'], 2, 'usage'],
      [['sst', 'create', root], 2, 'usage'],
      [['sst', 'create', '--out', join(dir, 'x.sst'), '--eku', 'emailProtection', root], 2, 'usage'],
      [['sst', 'export', root, '--der'], 0, ''],
      [['sst', 'remove', join(dir, 'nothing.sst'), '--index', '0'], 2, 'unreadable-input'],
    ];
    for (const [argv, code, errCode] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(code);
      if (code !== 0) expect(errorCode(r), argv.join(' ')).toBe(errCode);
    }
    const garbage = join(dir, 'garbage.sst');
    writeFileSync(
      garbage,
      Uint8Array.from([0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54, 32, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 255]),
    );
    const r = await cli(['sst', 'list', garbage]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('sst-element-overrun');
    const empty = join(dir, 'empty.sst');
    writeFileSync(empty, Uint8Array.from([0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54, ...new Array(12).fill(0)]));
    const rm = await cli(['sst', 'remove', empty, '--index', '0']);
    expect(rm.code).toBe(2);
    expect(errorCode(rm)).toBe('no-match');
  });

  it('--help prints usage and exits 0', async () => {
    const r = await cli(['sst', 'create', '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('--out FILE');
    const all = await cli(['--help']);
    expect(all.stdout).toContain('sst list');
  });

  it('the built binary runs with a shebang and prints no stack traces', () => {
    const bin = join(repoRoot, 'dist', 'cli', 'main.js');
    if (!existsSync(bin)) execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'ignore' });
    const ok = spawnSync(bin, ['sst', 'list', root], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('1 certificate(s)');
    const bad = spawnSync(bin, ['sst', 'list', '/nonexistent/file.sst'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('error unreadable-input: cannot read /nonexistent/file.sst: no such file\n');
    const stdin = spawnSync(bin, ['sst', 'list', '-'], { encoding: 'utf8', input: readFileSync(root) });
    expect(stdin.status).toBe(0);
  });
});

describeVectors('smimekit sst list on real stores', () => {
  it('lists all 507 AuthRoot certificates with properties, and flags the non-DER entry of disallowedcert', async () => {
    let r = await cli(['sst', 'list', '--json', sharedPath('sst', 'certutil-generateSSTFromWU-root.sst')]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.certificates).toHaveLength(507);
    expect(j.certificates[0].friendlyName).toBe('TrustCor RootCert CA-1');
    r = await cli(['sst', 'list', sharedPath('sst', 'wu-disallowedcert.sst')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[66\][\s\S]*?warning not-der/);
  });
});
