/**
 * Issue #14 defect 5: a PKCS#12 file without a MAC (written so, or with its MAC removed) is refused with
 * `pkcs12-mac-missing` unless the caller passes `allowMissingMac`, which loads it with a warning on the identity;
 * the CLI's `--allow-missing-mac` does the same and prints the warning.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIdentity } from '../../src/crypto/identity.js';
import { parsePkcs12 } from '../../src/crypto/pkcs12.js';
import { FormatError } from '../../src/errors.js';
import { derBytes, derChildren, derParse, seq } from '../../src/asn1/index.js';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { chainFile, certDer, openssl } from '../cms/fixtures.js';

const dir = tempDir();

function exportP12(name: string, ...extra: string[]): Uint8Array {
  const out = join(dir, name);
  const r = openssl([
    'pkcs12',
    '-export',
    '-inkey',
    chainFile('ee-p256.key'),
    '-in',
    chainFile('ee-p256.pem'),
    '-passout',
    'pass:pw',
    ...extra,
    '-out',
    out,
  ]);
  expect(r.status, r.stderr).toBe(0);
  return new Uint8Array(readFileSync(out));
}

/** The PFX with its MacData left out: what an attacker who altered the file would do to hide it. */
function withoutMac(pfx: Uint8Array): Uint8Array {
  const kids = derChildren(derParse(pfx));
  expect(kids.length).toBe(3);
  return seq(derBytes(kids[0]!), derBytes(kids[1]!));
}

const refused = { code: 'pkcs12-mac-missing' };

describe('PKCS#12 without a MAC', () => {
  const nomac = exportP12('nomac.p12', '-nomac');
  const withMac = exportP12('mac.p12');
  const stripped = withoutMac(withMac);

  it('is refused by loadIdentity and parsePkcs12 with pkcs12-mac-missing (a FormatError), written so or stripped', async () => {
    for (const file of [nomac, stripped]) {
      const e = await loadIdentity(file, 'pw').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FormatError);
      expect(e).toMatchObject(refused);
      await expect(parsePkcs12(file, 'pw')).rejects.toMatchObject(refused);
      // Refused before any password work: a wrong password gives the same answer, not bad-password.
      await expect(loadIdentity(file, 'wrong')).rejects.toMatchObject(refused);
    }
  });

  it('loads with allowMissingMac, with the warning on the identity; a MAC-protected file has no warnings', async () => {
    for (const file of [nomac, stripped]) {
      const id = await loadIdentity(file, 'pw', { allowMissingMac: true });
      expect(id.certificate).toEqual(certDer('ee-p256.pem'));
      expect(id.warnings?.map((w) => w.code)).toEqual(['pkcs12-mac-missing']);
      expect((await parsePkcs12(file, 'pw', { allowMissingMac: true })).macVerified).toBe(false);
    }
    const good = await loadIdentity(withMac, 'pw');
    expect(good.warnings).toBeUndefined();
    expect('warnings' in good).toBe(false);
    // allowMissingMac never weakens a file that has a MAC: a wrong password still fails the MAC check.
    await expect(loadIdentity(withMac, 'wrong', { allowMissingMac: true })).rejects.toMatchObject({
      code: 'bad-password',
    });
  });

  it('CLI: exit 2 with error pkcs12-mac-missing; --allow-missing-mac signs and prints the warning', async () => {
    const p12 = join(dir, 'cli-nomac.p12');
    writeFileSync(p12, nomac);
    const msg = 'Content-Type: text/plain\r\n\r\nno mac\r\n';
    const r = await cli(['sign', '--p12', p12, '--password', 'pw'], msg);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('pkcs12-mac-missing');
    expect(r.stdout).toBe('');
    const ok = await cli(['sign', '--p12', p12, '--password', 'pw', '--allow-missing-mac'], msg);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/^warning pkcs12-mac-missing: .*cli-nomac\.p12: /);
    expect(ok.stdout).toContain('multipart/signed');
  });
});
