/**
 * The library bundle in a real browser (headless Chromium, Debian's package):
 * SST parsing, path validation, PKCS#12, signing, encryption to an RSA and an
 * EC recipient, and reading back — on the browser's own WebCrypto. What the
 * browser produced is then checked with OpenSSL.
 *
 * Skips with a message when Chromium is not installed, except in CI, where
 * .ci/run installs it and a missing browser is a failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSst, serializeSst } from '../../src/index.js';
import { tempDir } from '../helpers/cli.js';
import { projectVectorPath, repoRoot } from '../helpers/vectors.js';

const CHROMIUM = process.env.SMIMEKIT_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Chromium is required in CI (${CHROMIUM}); .ci/run installs it`);
if (!available) console.warn(`[smimekit] ${CHROMIUM} not found: browser tests are skipped (apt-get install chromium).`);

const chain = (name: string) => readFileSync(projectVectorPath('chains', name));
const bytes = (b: Uint8Array) => Array.from(b);

(available ? describe : describe.skip)('in headless Chromium', () => {
  let browser: import('playwright-core').Browser | undefined;
  let result: Record<string, unknown>;

  beforeAll(async () => {
    const bundle = join(repoRoot, 'dist', 'index.js');
    if (!existsSync(bundle)) execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'ignore' });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage();
    // Everything is served from memory (no server); localhost is a secure context, so WebCrypto is available.
    await page.route(
      'http://localhost:9/**',
      (route: { request(): { url(): string }; fulfill(o: object): Promise<void> }) => {
        const url = new URL(route.request().url());
        if (url.pathname === '/')
          return route.fulfill({
            status: 200,
            contentType: 'text/html',
            body: '<!doctype html><title>smimekit</title>',
          });
        // The scenario is plain JS (not transformed by the test runner); the library is the built bundle.
        const file =
          url.pathname === '/scenario.mjs'
            ? join(repoRoot, 'test', 'browser', 'scenario.mjs')
            : join(repoRoot, 'dist', url.pathname.slice(1));
        if (!/^\/[\w.-]+\.m?js$/.test(url.pathname) || !existsSync(file))
          return route.fulfill({ status: 404, body: '' });
        return route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(file, 'utf8') });
      },
    );
    await page.goto('http://localhost:9/');
    const sst = serializeSst(
      createSst([{ certificate: chain('root.pem'), friendlyName: 'Root', enhancedKeyUsage: ['1.3.6.1.5.5.7.3.4'] }]),
    );
    const input = {
      sst: bytes(sst),
      intermediate: bytes(chain('intermediate.pem')),
      aliceP12: bytes(chain('ee-rsa.p12')),
      bobP12: bytes(chain('ee-p256.p12')),
      expired: bytes(chain('bad-expired.pem')),
      message:
        'From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: from the browser\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus dem Browser ✓\r\n',
    };
    await page.addScriptTag({ url: 'http://localhost:9/scenario.mjs', type: 'module' });
    await page.waitForFunction(() => 'smimekitScenario' in globalThis);
    result = await page.evaluate(
      (i: typeof input) =>
        (globalThis as unknown as { smimekitScenario(x: unknown): Promise<Record<string, unknown>> }).smimekitScenario(
          i,
        ),
      input,
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('runs in Chromium, validates, signs, encrypts to recipient and sender, and reads back', () => {
    expect(result.userAgent).toMatch(/Chrome/);
    expect(result.valid).toBe(true);
    expect(result.expiredCodes).toEqual(['expired']);
    expect(result.verified).toBe(true);
    expect(result.cipher).toBe('aes-256-cbc');
    expect(result.bobOk).toBe(true);
    expect(result.aliceOk).toBe(true); // the sender's RSA PKCS#1 v1.5 copy, decrypted without WebCrypto support for it
    expect(result.bobText).toBe('Grüße aus dem Browser ✓\r\n');
    expect(result.aliceText).toBe(result.bobText);
    expect(result.noSender).toBe('sender-certificate-missing');
  });

  it('what the browser signed verifies with OpenSSL, and what it encrypted decrypts with OpenSSL', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'signed.eml'), Uint8Array.from(result.signed as number[]));
    writeFileSync(join(dir, 'sealed.eml'), Uint8Array.from(result.sealed as number[]));
    const verify = execFileSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-in',
        join(dir, 'signed.eml'),
        '-CAfile',
        projectVectorPath('chains', 'root.pem'),
        '-attime',
        '1780272000',
        '-purpose',
        'any',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(verify).toContain('Gr=C3=BC=C3=9Fe aus dem Browser'); // the 8-bit body was made 7-bit safe (quoted-printable) before signing
    for (const who of ['ee-rsa', 'ee-p256']) {
      const inner = execFileSync('openssl', [
        'cms',
        '-decrypt',
        '-in',
        join(dir, 'sealed.eml'),
        '-recip',
        projectVectorPath('chains', `${who}.pem`),
        '-inkey',
        projectVectorPath('chains', `${who}.key`),
      ]);
      expect(inner.toString('latin1')).toContain('multipart/signed');
    }
  });
});
