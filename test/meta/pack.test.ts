/**
 * The published tarball, as a user installs it: `npm pack`, unpacked into a throwaway project's
 * node_modules, then loaded with `require` (CommonJS), `import` (ESM) and the TypeScript compiler
 * in both module modes. Checks what the tarball holds, so nothing private or bulky ships.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { repoRoot } from '../helpers/vectors.js';

let work: string;
let files: string[];
let consumer: string;

const node = (args: string[]): string => execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' });

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'index.cjs'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot });
  work = tempDir('smimekit-pack-');
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' }),
  ) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((f) => f.path);
  consumer = join(work, 'consumer');
  const installed = join(consumer, 'node_modules', 'smimekit');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed!.filename), '-C', installed, '--strip-components=1']);
  // The one runtime dependency, from this checkout (the test runs offline).
  symlinkSync(join(repoRoot, 'node_modules', 'ldapts'), join(consumer, 'node_modules', 'ldapts'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the builds, types, docs and licence, and no source maps, sources or tests', () => {
    for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli/main.js'])
      expect(files).toContain(f);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'docs/cli.md']) expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /^(src|test|vectors|bench|demo|examples|\.ci)\//.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: object };
    // @noble/hashes is bundled into dist; the LDAP client is the only runtime dependency.
    expect(Object.keys(pkg.dependencies)).toEqual(['ldapts']);
    expect(readFileSync(join(repoRoot, 'LICENSE'), 'utf8')).toContain('@noble/hashes');
  });

  it("require('smimekit') works, and sub-paths share one error class", () => {
    const out = node([
      '-e',
      [
        "const s = require('smimekit'); const asn1 = require('smimekit/asn1'); const { LdapDirectory } = require('smimekit/ldap');",
        "const { smimeNodemailer } = require('smimekit/nodemailer');",
        'let code, same;',
        'try { asn1.derParse(new Uint8Array([0x30, 5])); } catch (e) { code = e.code; same = e instanceof s.SmimeError; }',
        "console.log(typeof s.signMessage, typeof s.parseSst, typeof LdapDirectory, typeof smimeNodemailer, code, same, require.resolve('smimekit').endsWith('.cjs'));",
      ].join('\n'),
    ]);
    expect(out.trim()).toBe('function function function function malformed-der true true');
  });

  it('import works (ESM), and the bin runs from the tarball', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import { signMessage, TrustList } from 'smimekit'; import { parseMime } from 'smimekit/mime'; console.log(typeof signMessage, typeof TrustList, typeof parseMime, import.meta.resolve('smimekit').endsWith('/dist/index.js'));",
    ]);
    expect(out.trim()).toBe('function function function true');
    const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules', 'smimekit', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(node(['node_modules/smimekit/dist/cli/main.js', '--version']).trim()).toBe(pkg.version);
  });

  it('types resolve for CommonJS and ESM consumers (TypeScript, module node16)', () => {
    writeFileSync(
      join(consumer, 'esm.mts'),
      "import { parseSst, type SmimeErrorCode } from 'smimekit';\nimport { LdapDirectory } from 'smimekit/ldap';\n" +
        "const code: SmimeErrorCode = 'sst-bad-magic';\nexport const probe = [parseSst, LdapDirectory, code];\n",
    );
    writeFileSync(
      join(consumer, 'cjs.cts'),
      "import smime = require('smimekit');\nimport cms = require('smimekit/cms');\n" +
        'export const probe: [typeof smime.signMessage, typeof cms.parseSignedData] = [smime.signMessage, cms.parseSignedData];\n',
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022'];
    // skipLibCheck: the consumer's check is about resolving smimekit's types, not re-checking ldapts'.
    expect(() =>
      node([
        tsc,
        ...args,
        '--skipLibCheck',
        '--types',
        'node',
        '--typeRoots',
        join(repoRoot, 'node_modules/@types'),
        'esm.mts',
        'cjs.cts',
      ]),
    ).not.toThrow();
  }, 60_000);
});
