/**
 * `npm run demo` (demo/run.mjs on the built library): every step runs and prints its timing, the artefacts are
 * written, and OpenSSL agrees with them — Bob and Alice (with keys from the exported .p12 files) decrypt
 * message.eml and the signature verifies against the test root; the SST lists the tenant's CAs. Then the same
 * flow with `--ldap` against the throwaway slapd the demo starts and stops itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSst } from '../../src/sst/parse.js';
import { readCertificate } from '../../src/x509/index.js';
import { projectVectorPath, repoRoot } from '../helpers/vectors.js';
import { tempDir } from '../helpers/temp.js';

const DEMO = join(repoRoot, 'demo', 'run.mjs');
const DIST = join(repoRoot, 'dist', 'index.js');
const ROOT_PEM = projectVectorPath('chains', 'root.pem');
const ARTEFACTS = ['tenant.sst', 'gal.ldif', 'message.eml', 'alice.p12', 'bob.p12', 'contact.p12', 'README.txt'];
const SLAPD = '/usr/sbin/slapd';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** dist/ is built by `npm test` before vitest; build it only when it is missing (and nobody else is building it). */
async function ensureDist(): Promise<void> {
  for (let i = 0; i < 40 && !existsSync(DIST); i++) await sleep(250); // another tsup may be mid-build (clean: true)
  if (existsSync(DIST)) return;
  const build = spawnSync('npx', ['tsup'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (!existsSync(DIST)) throw new Error(`npx tsup did not produce dist/index.js: ${build.stderr}`);
}

interface DemoRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo; retried when a concurrent `tsup` had dist/ half-written (missing module, exit 2 "not built"). */
async function runDemo(args: string[]): Promise<DemoRun> {
  let last: DemoRun | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    await ensureDist();
    const r = spawnSync(process.execPath, [DEMO, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    last = { status: r.status, stdout: r.stdout, stderr: r.stderr };
    const raced = /ERR_MODULE_NOT_FOUND|dist\/ is not built|Cannot find module .*dist/.test(r.stderr + r.stdout);
    if (!raced) return last;
    await sleep(1_000);
  }
  return last!;
}

function openssl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The text of step N: its progress line and the detail lines under it. */
function stepText(stdout: string, n: number): string {
  const start = stdout.search(new RegExp(`^\\[${n}/6\\] `, 'm'));
  const rest = stdout.slice(start);
  const end = rest.slice(1).search(/^(\[\d\/6\] |Summary: )/m);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

/** Long detail lines are wrapped: compare with runs of white space as one space. */
const flat = (text: string): string => text.replace(/\s+/g, ' ');

/** The passwords README.txt gives for each .p12. */
function passwords(out: string): Record<string, string> {
  const text = readFileSync(join(out, 'README.txt'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^\s*(\S+\.p12)\s+password: (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Decrypts message.eml with the key and certificate of `p12` (via `openssl pkcs12`), then verifies the signature. */
function opensslReads(out: string, p12: string, password: string): string {
  const stem = join(out, `check-${p12}`);
  for (const [flags, file] of [
    [['-nokeys', '-clcerts'], `${stem}.cert.pem`],
    [['-nocerts', '-nodes'], `${stem}.key.pem`],
  ] as const) {
    const r = openssl(['pkcs12', '-in', join(out, p12), '-passin', `pass:${password}`, ...flags, '-out', file]);
    expect(r.status, `openssl pkcs12 ${p12}: ${r.stderr}`).toBe(0);
  }
  const inner = `${stem}.signed.eml`;
  const decrypted = openssl([
    'cms',
    '-decrypt',
    '-in',
    join(out, 'message.eml'),
    '-recip',
    `${stem}.cert.pem`,
    '-inkey',
    `${stem}.key.pem`,
    '-out',
    inner,
  ]);
  expect(decrypted.status, `openssl cms -decrypt with ${p12}: ${decrypted.stderr}`).toBe(0);
  const verified = openssl(['cms', '-verify', '-in', inner, '-CAfile', ROOT_PEM]);
  expect(verified.status, `openssl cms -verify (${p12}): ${verified.stderr}`).toBe(0);
  expect(verified.stderr).toContain('Verification successful');
  return verified.stdout;
}

/** What both runs must show. */
function checkRun(run: DemoRun, out: string): void {
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  for (let n = 1; n <= 6; n++)
    expect(run.stdout).toMatch(new RegExp(`^\\[${n}/6\\] \\S.* \\(\\d+(\\.\\d)? ms\\)$`, 'm'));
  expect(run.stdout).toMatch(/^Summary: 6\/6 steps passed in \d+(\.\d)? ms$/m);

  for (const name of ARTEFACTS) expect(existsSync(join(out, name)), name).toBe(true);
  expect(run.stdout).toContain(out);

  // The refusals, with their codes and the validation report's explanation.
  const untrusted = flat(stepText(run.stdout, 4));
  expect(untrusted).toContain('refused: recipient-certificate-missing');
  expect(untrusted).toContain('untrusted.user@example.test');
  expect(untrusted).toMatch(
    /untrusted-root: the self-signed certificate .*Untrusted Root CA.* is not in the trust list/,
  );
  expect(flat(stepText(run.stdout, 5))).toContain('refused: sender-certificate-missing');
  const read = flat(stepText(run.stdout, 6));
  for (const who of ['Bob with bob.p12', 'Carol with contact.p12', 'Alice (Sent Items) with alice.p12'])
    expect(read).toContain(`${who}: ok — decrypted (envelopedData, aes-256-cbc), signature verified (detached)`);

  // The SST: the tenant's root and intermediate.
  const sst = parseSst(new Uint8Array(readFileSync(join(out, 'tenant.sst'))));
  expect(sst.certificates.map((e) => readCertificate(e.der).subject.text)).toEqual([
    'CN=smimekit Test Root CA,O=smimekit test,C=XX',
    'CN=smimekit Test Intermediate CA,O=smimekit test,C=XX',
  ]);

  // The GAL export names the three GAL users and both publication attributes.
  const ldif = readFileSync(join(out, 'gal.ldif'), 'utf8');
  for (const s of ['rsa.user@example.test', 'p256.user@example.test', 'frank@example.test'])
    expect(ldif).toContain(`mail: ${s}`);
  expect(ldif).toMatch(/^userCertificate;binary:: /m);
  expect(ldif).toMatch(/^userSMIMECertificate:: /m);

  // OpenSSL reads the message as Bob and as Alice (Sent Items), with the keys from the exported PKCS#12 files.
  const pw = passwords(out);
  expect(Object.keys(pw).sort()).toEqual(['alice.p12', 'bob.p12', 'contact.p12']);
  const message = readFileSync(join(out, 'message.eml'), 'latin1');
  expect(message).toMatch(/^Content-Type: application\/pkcs7-mime; smime-type=enveloped-data/im);
  for (const p12 of ['bob.p12', 'alice.p12']) {
    const content = opensslReads(out, p12, pw[p12]!);
    expect(content).toContain('the quarterly figures are attached');
  }
}

describe('npm run demo', () => {
  it('runs the whole flow offline and writes artefacts that OpenSSL accepts', async () => {
    const out = join(tempDir('smimekit-demo-test-'), 'out');
    const run = await runDemo(['--out', out]);
    checkRun(run, out);
    expect(run.stdout).toContain('GAL: gal.ldif loaded as an in-memory export');
  });

  it('refuses an unknown option with exit 2 and the usage', async () => {
    const run = await runDemo(['--frobnicate']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: node demo/run.mjs');
  });

  const haveSlapd = existsSync(SLAPD);
  if (!haveSlapd && !process.env.CI)
    console.warn(`test/demo: skipping the --ldap run: ${SLAPD} is not installed (apt-get install slapd)`);
  it.skipIf(!haveSlapd && !process.env.CI)(
    'runs with --ldap against a throwaway slapd, which it stops and removes',
    async () => {
      if (!haveSlapd) throw new Error(`${SLAPD} is not installed: CI must install slapd (see .ci/run)`);
      const before = new Set(readdirSync(tmpdir()));
      const out = join(tempDir('smimekit-demo-test-ldap-'), 'out');
      const run = await runDemo(['--out', out, '--ldap']);
      checkRun(run, out);
      const started = /GAL: OpenLDAP slapd on ldap:\/\/127\.0\.0\.1:\d+ \(pid (\d+)\)/.exec(run.stdout);
      expect(started, run.stdout).not.toBeNull();
      expect(run.stdout).toMatch(/entries found: GAL 1 \(\d+ ms\)/); // Bob, found over LDAP
      expect(run.stdout).toContain(`slapd (pid ${started![1]}) stopped`);
      // The server is gone and its temp folder removed.
      expect(() => process.kill(Number(started![1]), 0)).toThrow();
      const left = readdirSync(tmpdir()).filter((f) => f.startsWith('smimekit-demo-slapd-') && !before.has(f));
      expect(left).toEqual([]);
    },
  );
});
