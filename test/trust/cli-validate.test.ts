/** `smimekit validate` on the project chains: exit codes, text and JSON reports. */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { registerCommand } from '../../src/cli/run.js';
import { cli, errorCode } from '../helpers/cli.js';
import { projectVectorPath } from '../helpers/vectors.js';

const v = (n: string) => projectVectorPath('chains', n);
const present = existsSync(v('manifest.json'));
const AT = '2026-06-01T00:00:00Z';

(present ? describe : describe.skip)('smimekit validate (CLI)', () => {
  beforeAll(() => registerCommand('validate', validateCommand));

  it('valid chain: exit 0 and a text report', async () => {
    const r = await cli([
      'validate',
      '--trust',
      v('root.pem'),
      '--untrusted',
      v('intermediate.pem'),
      '--cert',
      v('ee-rsa.pem'),
      '--at',
      AT,
      '--email',
      'rsa.user@example.test',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^VALID: /);
    expect(r.stdout).toContain('(trust anchor)');
    expect(r.stderr).toBe('');
  });

  it('invalid: exit 1, report on stdout, one error line with the first code', async () => {
    const r = await cli([
      'validate',
      '--trust',
      v('root.pem'),
      '--untrusted',
      v('intermediate.pem'),
      '--cert',
      v('bad-expired.pem'),
      '--at',
      AT,
    ]);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('expired');
    expect(r.stdout).toMatch(/^INVALID: /);
    expect(r.stdout).toContain('problems:');
  });

  it('--json report and policy flags', async () => {
    const r = await cli([
      'validate',
      '--trust',
      v('root.pem'),
      '--untrusted',
      v('inter-policy.pem'),
      '--cert',
      v('ee-policy.pem'),
      '--at',
      AT,
      '--policy',
      '1.3.6.1.4.1.55555.1.1',
      '--require-explicit-policy',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.valid).toBe(false);
    expect(report.problems[0].code).toBe('policy');
    expect(report.path[0].subject).toContain('Policy User');
    expect(report.path[2].anchor).toBe(true);
  });

  it('--allow-weak, --purpose any, --crl with --revocation require', async () => {
    expect(
      (
        await cli([
          'validate',
          '--trust',
          v('root.pem'),
          '--untrusted',
          v('intermediate.pem'),
          '--cert',
          v('bad-weak-sha1.pem'),
          '--at',
          AT,
        ])
      ).code,
    ).toBe(1);
    expect(
      (
        await cli([
          'validate',
          '--trust',
          v('root.pem'),
          '--untrusted',
          v('intermediate.pem'),
          '--cert',
          v('bad-weak-sha1.pem'),
          '--at',
          AT,
          '--allow-weak',
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await cli([
          'validate',
          '--trust',
          v('root.pem'),
          '--untrusted',
          v('intermediate.pem'),
          '--cert',
          v('bad-eku.pem'),
          '--at',
          AT,
          '--purpose',
          'any',
        ])
      ).code,
    ).toBe(0);
    const revoked = await cli([
      'validate',
      '--trust',
      v('root.pem'),
      '--untrusted',
      v('intermediate.pem'),
      '--cert',
      v('bad-revoked.pem'),
      '--at',
      AT,
      '--crl',
      v('root.crl.pem'),
      '--crl',
      v('intermediate.crl.pem'),
      '--revocation',
      'require',
    ]);
    expect(revoked.code).toBe(1);
    expect(errorCode(revoked)).toBe('revoked');
  });

  it('usage and input errors exit 2', async () => {
    expect(errorCode(await cli(['validate', '--cert', v('ee-rsa.pem')]))).toBe('usage');
    expect(
      errorCode(await cli(['validate', '--trust', v('root.pem'), '--cert', v('ee-rsa.pem'), '--at', 'yesterday'])),
    ).toBe('usage');
    expect(
      errorCode(await cli(['validate', '--trust', v('root.pem'), '--cert', v('ee-rsa.pem'), '--purpose', 'tls'])),
    ).toBe('usage');
    const missing = await cli(['validate', '--trust', v('nope.pem'), '--cert', v('ee-rsa.pem')]);
    expect(missing.code).toBe(2);
    expect(errorCode(missing)).toBe('unreadable-input');
    const garbage = await cli(['validate', '--trust', v('root.pem'), '--cert', v('make.sh')]);
    expect(garbage.code).toBe(2);
  });
});
