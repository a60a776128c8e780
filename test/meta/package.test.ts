/** The published shape: `import { parseSst } from 'smimekit'` resolves through the exports map to the built files. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

// The runtime-agnostic entries (everything but smimekit/ldap, smimekit/nodemailer, smimekit/node and the CLI).
const BROWSER_ENTRIES = ['index', 'cms', 'x509', 'asn1', 'mime', 'sst', 'trust', 'directory'];

/** What an ES module run from the repository (so `smimekit` resolves through its own exports map) prints. */
const runModule = (code: string): string =>
  execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: repoRoot, encoding: 'utf8' }).trim();

describe('package', () => {
  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'dist', 'index.js')))
      execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'ignore' });
  });

  it('resolves by name with types and named exports', () => {
    const out = runModule(
      "import { parseSst, serializeSst, SmimeError } from 'smimekit'; console.log(typeof parseSst, typeof serializeSst, new SmimeError('x','y').code)",
    );
    expect(out).toBe('function function x');
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(existsSync(join(repoRoot, pkg.exports['.'].import.types))).toBe(true);
    expect(existsSync(join(repoRoot, pkg.exports['.'].require.types))).toBe(true);
    expect(existsSync(join(repoRoot, pkg.bin.smimekit))).toBe(true);
    expect(readFileSync(join(repoRoot, pkg.bin.smimekit), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('the library bundle imports no Node built-ins and no LDAP client, through any chunk (it must run in browsers)', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(join(repoRoot, 'dist', file), 'utf8');
      expect(code, file).not.toMatch(/from ['"](node:|ldapts)|require\(['"]/);
      // Static imports and dynamic ones (`await import('./chunk.js')`: the online revocation code loads on first use).
      for (const m of code.matchAll(/(?:from|import) ?\(?['"]\.\/([^'"]+)['"]/g)) visit(m[1]!);
    };
    for (const entry of BROWSER_ENTRIES) visit(`${entry}.js`);
    expect(seen.size).toBeGreaterThan(BROWSER_ENTRIES.length);
  });

  it('every sub-path export resolves by name, with its types, and the building blocks are not in the root', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    for (const entry of BROWSER_ENTRIES.filter((e) => e !== 'index')) {
      const conditions = pkg.exports[`./${entry}`];
      for (const kind of ['browser', 'import', 'require'])
        expect(existsSync(join(repoRoot, conditions[kind].types)), `${entry} ${kind}`).toBe(true);
    }
    // Node-only entries have no browser condition: a browser bundler fails to resolve them instead of
    // shipping an LDAP client that cannot run.
    expect(Object.keys(pkg.exports['./ldap'])).toEqual(['node']);
    expect(Object.keys(pkg.exports['./nodemailer'])).toEqual(['node']);
    expect(Object.keys(pkg.exports['./node'])).toEqual(['node']);
    const probe = [
      "import * as root from 'smimekit'; import * as cms from 'smimekit/cms'; import * as x509 from 'smimekit/x509';",
      "import * as asn1 from 'smimekit/asn1'; import * as mime from 'smimekit/mime'; import * as sst from 'smimekit/sst';",
      "import * as directory from 'smimekit/directory'; import * as trust from 'smimekit/trust';",
      'console.log(JSON.stringify({ root: Object.keys(root).length, cms: typeof cms.parseSignedData, x509: typeof x509.parseGeneralNames,',
      ' asn1: typeof asn1.derParse, mime: typeof mime.parseMime, sst: typeof sst.sstFriendlyName, directory: typeof directory.parseLdif, trust: typeof trust.anchorOptionsFromSst,',
      ' sameClass: root.Certificate === x509.Certificate, lowLevelInRoot: ["parseSignedData", "derParse", "parseMime", "verifySignature"].filter((n) => n in root) }));',
    ].join('\n');
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: repoRoot, encoding: 'utf8' }),
    );
    expect(out).toMatchObject({
      cms: 'function',
      x509: 'function',
      asn1: 'function',
      mime: 'function',
      sst: 'function',
      directory: 'function',
      trust: 'function',
      sameClass: true,
      lowLevelInRoot: [],
    });
    // A small front door: what an application needs (see docs/architecture.md).
    expect(out.root).toBeLessThan(80);
  });

  it('smimekit/ldap resolves by name to the Node-only LDAP address book', () => {
    const out = runModule(
      "import { LdapDirectory, escapeFilterValue } from 'smimekit/ldap'; import { DirectoryError } from 'smimekit'; console.log(typeof LdapDirectory, escapeFilterValue('*'), typeof DirectoryError)",
    );
    expect(out).toBe('function \\2a function');
  });

  it('the online revocation code, loaded on first use, runs from both the ES module and the CommonJS build', () => {
    // With online sources on, the message for a certificate without URLs comes from that code; off, it does not.
    const validate = (online: boolean) =>
      `validateCertificate(r('ee-rsa.pem'), { trust: TrustList.fromBytes(r('root.pem')), intermediates: [r('intermediate.pem')], ` +
      `revocation: ${online ? "{ mode: 'prefer', online: true, fetch: async () => { throw new Error('no network') } }" : "'prefer'"} })` +
      `.then((report) => console.log(report.valid, report.revocation[0].message.includes('names no OCSP responder')))`;
    const prelude = "const r = (f) => readFileSync(join('vectors', 'chains', f));";
    const esm = (online: boolean) =>
      runModule(
        `import { readFileSync } from 'node:fs'; import { join } from 'node:path'; import { validateCertificate, TrustList } from 'smimekit'; ${prelude} ${validate(online)}`,
      );
    const cjs = (online: boolean) =>
      execFileSync(
        process.execPath,
        [
          '-e',
          `const { readFileSync } = require('node:fs'); const { join } = require('node:path'); const { validateCertificate, TrustList } = require('smimekit'); ${prelude} ${validate(online)}`,
        ],
        { cwd: repoRoot, encoding: 'utf8' },
      ).trim();
    expect([esm(true), esm(false), cjs(true), cjs(false)]).toEqual([
      'true true',
      'true false',
      'true true',
      'true false',
    ]);
  });

  it('smimekit/node resolves by name to the Node-only file streams', () => {
    const out = runModule(
      "import { openFileStream, writeStreamToFile, stageFile, gcPacer } from 'smimekit/node'; console.log([openFileStream, writeStreamToFile, stageFile, gcPacer].map((f) => typeof f).join(' '))",
    );
    expect(out).toBe('function function function function');
  });
});
