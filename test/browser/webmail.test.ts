/**
 * The webmail example (examples/webmail/) in a real browser (headless Chromium, Debian's package), served by its
 * own static server (serve.mjs, on a free port): messages made here with the library and with OpenSSL are
 * opened through the page's file inputs, and what the page shows is checked — status, headers, body,
 * attachments, the certificate chain with each certificate's trust source, problem codes with advice. A reply
 * composed in the page is decrypted and verified with OpenSSL. The page must talk to nothing but its server.
 *
 * Skips with a message when Chromium is not installed, except in CI, where .ci/run installs it and a missing
 * browser is a failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSst,
  decodePem,
  encryptMessage,
  loadIdentity,
  loadPrivateKey,
  serializeSst,
  signMessage,
  TrustList,
} from '../../src/index.js';
import { tempDir } from '../helpers/cli.js';
import { projectVectorPath, repoRoot } from '../helpers/vectors.js';

const CHROMIUM = process.env.SMIMEKIT_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Chromium is required in CI (${CHROMIUM}); .ci/run installs it`);
if (!available) console.warn(`[smimekit] ${CHROMIUM} not found: browser tests are skipped (apt-get install chromium).`);

const chain = (name: string) => projectVectorPath('chains', name);
const der = (pemFile: string) => decodePem(readFileSync(chain(pemFile), 'utf8'))[0]!.der;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

const ALICE = 'rsa.user@example.test';
const BOB = 'p256.user@example.test';
const CSV = 'quarter,revenue\r\nQ1,100\r\nQ2,120\r\n';

/** Waits for the server's "… http://127.0.0.1:PORT/" line. */
function serverUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve.mjs printed no URL: ${out}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code}): ${out}`)));
  });
}

(available ? describe : describe.skip)('the webmail example in headless Chromium', () => {
  let browser: Browser | undefined;
  let server: ChildProcess | undefined;
  let page: Page;
  let url: string;
  let dir: string;
  const requests: string[] = [];
  const pageErrors: string[] = [];
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist', 'index.js')))
      execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'ignore' });
    dir = tempDir('smimekit-webmail-');

    // The tenant trust list: the root, enabled for secure e-mail.
    const sst = createSst([
      {
        certificate: readFileSync(chain('root.pem')),
        friendlyName: 'Tenant Root',
        enhancedKeyUsage: ['1.3.6.1.5.5.7.3.4'],
      },
    ]);
    writeFileSync(file('tenant.sst'), serializeSst(sst));
    const trust = TrustList.fromSst(sst);
    const alice = await loadIdentity(readFileSync(chain('ee-rsa.p12')), 'test');

    // Alice to Bob: multipart/mixed with an attachment, signed, then encrypted to Bob and to Alice.
    const mail =
      `From: RSA User <${ALICE}>\r\nTo: P-256 User <${BOB}>\r\n` +
      'Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe_from_Alice?=\r\nDate: Mon, 01 Jun 2026 09:00:00 +0000\r\n' +
      'Message-ID: <q2-numbers@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      'Hello Bob,\r\nthe numbers are attached. Grüße!\r\n' +
      '--b1\r\nContent-Type: text/csv; name="numbers.csv"\r\nContent-Disposition: attachment; filename="numbers.csv"\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from(CSV).toString('base64')}\r\n--b1--\r\n`;
    const sealed = await encryptMessage(await signMessage(mail, { signer: alice }), {
      recipients: [{ address: BOB, certificate: readFileSync(chain('ee-p256.pem')) }],
      sender: { address: ALICE, certificate: alice.certificate },
      trust,
      intermediates: alice.chain,
    });
    writeFileSync(file('sealed.eml'), sealed.message);

    // The same kind of message made by OpenSSL: signed by Alice, encrypted to Bob.
    writeFileSync(file('body.txt'), 'Hello from OpenSSL.\r\n');
    writeFileSync(
      file('openssl-signed.eml'),
      openssl([
        'cms',
        '-sign',
        '-in',
        file('body.txt'),
        '-text',
        '-signer',
        chain('ee-rsa.pem'),
        '-inkey',
        chain('ee-rsa.key'),
        '-certfile',
        chain('intermediate.pem'),
      ]),
    );
    writeFileSync(
      file('openssl.eml'),
      openssl([
        'cms',
        '-encrypt',
        '-in',
        file('openssl-signed.eml'),
        '-aes256',
        '-from',
        ALICE,
        '-to',
        BOB,
        '-subject',
        'Sent by OpenSSL',
        chain('ee-p256.pem'),
      ]),
    );

    // Clear-signed by Alice, then changed on the way.
    const lunch = `From: ${ALICE}\r\nTo: ${BOB}\r\nSubject: Lunch\r\nContent-Type: text/plain\r\n\r\nLet us meet at noon.\r\n`;
    const signed = new TextDecoder().decode(await signMessage(lunch, { signer: alice }));
    expect(signed).toContain('meet at noon');
    writeFileSync(file('tampered.eml'), signed.replace('meet at noon', 'meet at ten!'));

    // Plain mail.
    writeFileSync(
      file('plain.eml'),
      `From: ${ALICE}\r\nTo: ${BOB}\r\nSubject: Plain\r\nContent-Type: text/plain\r\n\r\nNothing to see here.\r\n`,
    );

    // Signed by a certificate from another PKI, whose root is not in the SST.
    const stranger = {
      certificate: der('bad-untrusted-root.pem'),
      privateKey: await loadPrivateKey(readFileSync(chain('bad-untrusted-root.key'))),
      chain: [der('untrusted-intermediate.pem')],
    };
    writeFileSync(
      file('stranger.eml'),
      await signMessage(
        `From: untrusted.user@example.test\r\nTo: ${BOB}\r\nSubject: Trust me\r\nContent-Type: text/plain\r\n\r\nHi.\r\n`,
        { signer: stranger },
      ),
    );

    // The page's own server, on a free port.
    server = spawn(process.execPath, [join(repoRoot, 'examples', 'webmail', 'serve.mjs'), '--port', '0'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await serverUrl(server);

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
    page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Fills the open form and waits until the page has finished with it. */
  async function open(message: string, options: { trust?: boolean; identity?: string; password?: string } = {}) {
    await page.setInputFiles('#message', file(message));
    await page.setInputFiles('#trust', options.trust === false ? [] : file('tenant.sst'));
    await page.setInputFiles('#identity', options.identity ? chain(options.identity) : []);
    await page.fill('#password', options.password ?? 'test');
    await submit('#open-button', 'opened');
  }

  /** Clicks a form's button and waits for the page to count the action as finished (<body data-…>). */
  async function submit(button: string, action: 'opened' | 'replied') {
    const before = await page.evaluate((a) => Number(document.body.dataset[a] ?? 0), action);
    await page.click(button);
    await page.waitForFunction(([a, n]) => Number(document.body.dataset[a] ?? 0) > n, [action, before] as const, {
      timeout: 60_000,
    });
  }

  const text = (selector: string) => page.locator(selector).innerText();
  const codes = (selector: string) =>
    page.locator(`${selector} .problem`).evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));

  it('decrypts and verifies a signed and encrypted message, and draws the chain with trust sources', async () => {
    await open('sealed.eml', { identity: 'ee-p256.p12' });
    expect(await text('#open-error')).toBe('');
    expect(await text('#status-headline')).toBe('Signed and verified, and decrypted');
    expect(await page.locator('#status').getAttribute('class')).toContain('ok');
    const status = await text('#status-details');
    expect(status).toContain('aes-256-cbc');
    expect(status).toContain(`authenticated as ${ALICE}`);
    expect(await text('#loaded')).toContain('1 trust anchor (Tenant Root)');
    expect(await text('#loaded')).toContain(`P-256 User <${BOB}>`);

    expect(await text('[data-header="subject"]')).toBe('Grüße from Alice');
    expect(await text('[data-header="from"]')).toContain(ALICE);
    expect(await text('[data-header="to"]')).toContain(BOB);
    expect(await text('[data-header="date"]')).toBe('Mon, 01 Jun 2026 09:00:00 +0000');
    expect(await text('#body')).toContain('Hello Bob,\nthe numbers are attached. Grüße!');

    const link = page.locator('#attachments a');
    expect(await link.innerText()).toBe('numbers.csv');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('numbers.csv');
    await download.saveAs(file('numbers.csv'));
    expect(readFileSync(file('numbers.csv'), 'utf8')).toBe(CSV);

    const layers = await page.locator('#layers li').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
    expect(layers).toEqual(['enveloped', 'signed']);
    expect(await text('#problems')).toBe('None.');

    // The chain: signer and intermediate from the message, the root from the SST.
    const certs = page.locator('#report .cert');
    expect(await certs.evaluateAll((els) => els.map((e) => e.getAttribute('data-source')))).toEqual([
      'message',
      'message',
      'sst',
    ]);
    expect(await certs.nth(0).innerText()).toContain('CN=RSA User');
    expect(await certs.nth(1).innerText()).toContain('CN=smimekit Test Intermediate CA');
    expect(await certs.nth(2).innerText()).toContain('Tenant Root');
    expect(await certs.nth(0).locator('[data-fingerprint]').getAttribute('data-fingerprint')).toBe(
      sha256(der('ee-rsa.pem')),
    );
    expect(await certs.nth(2).locator('[data-fingerprint]').getAttribute('data-fingerprint')).toBe(
      sha256(der('root.pem')),
    );
    expect(await certs.nth(0).innerText()).toContain('2025-01-01 00:00:00 UTC to 2045-01-01 00:00:00 UTC');
    expect(await codes('#report')).toEqual([]);

    mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, '.tmp', 'webmail.png'), fullPage: true });
  });

  it('reads a message OpenSSL signed and encrypted', async () => {
    await open('openssl.eml', { identity: 'ee-p256.p12' });
    expect(await text('#status-headline')).toBe('Signed and verified, and decrypted');
    expect(await text('[data-header="subject"]')).toBe('Sent by OpenSSL');
    expect(await text('#body')).toContain('Hello from OpenSSL.');
    expect(await page.locator('#report .cert').count()).toBe(3);
  });

  it('reports a message changed after signing, with the code and advice', async () => {
    await open('tampered.eml');
    expect(await text('#status-headline')).toBe('Signature NOT verified');
    expect(await page.locator('#status').getAttribute('class')).toContain('bad');
    expect(await text('#status-details')).toContain('Sender: not authenticated');
    expect(await codes('#problems')).toEqual(['digest-mismatch']);
    expect(await text('#problems')).toContain('What to do: The content was changed after it was signed');
    expect(await text('#body')).toContain('meet at ten!');
    // The certificate itself is fine: only the signature fails.
    expect(await codes('#report .chain')).toEqual([]);
    expect(await codes('#report .signer > .problems')).toEqual(['digest-mismatch']);
  });

  it('shows plain mail as not protected', async () => {
    await open('plain.eml');
    expect(await text('#status-headline')).toBe('Not protected: neither signed nor encrypted');
    expect(await page.locator('#status').getAttribute('class')).toContain('warn');
    expect(await codes('#problems')).toEqual(['not-smime']);
    expect(await text('#body')).toContain('Nothing to see here.');
    expect(await page.locator('#report-view').isHidden()).toBe(true);
  });

  it('shows a signer outside the trust list: the chain ends without an anchor', async () => {
    await open('stranger.eml');
    expect(await text('#status-headline')).toBe('Signature NOT verified');
    expect(await codes('#problems')).toContain('untrusted-root');
    const certs = page.locator('#report .cert');
    expect(await certs.evaluateAll((els) => els.map((e) => e.getAttribute('data-source')))).toEqual([
      'message',
      'message',
      'missing',
    ]);
    expect(await certs.nth(2).innerText()).toContain('Issuer not found: CN=smimekit Untrusted Root CA');
    expect(await codes('#report')).toContain('untrusted-root');
    expect(await text('#report')).toContain('What to do: The chain does not reach the trust list');
  });

  it('explains a wrong password and an encrypted message without a key', async () => {
    await open('sealed.eml', { identity: 'ee-p256.p12', password: 'wrong' });
    expect(await codes('#open-error')).toEqual(['bad-password']);
    expect(await text('#open-error')).toContain('Your .p12 could not be opened');
    expect(await page.locator('#message-view').isHidden()).toBe(true);

    await open('sealed.eml');
    expect(await text('#open-error')).toContain('This message is encrypted: add your .p12');
  });

  it('composes a signed and encrypted reply that OpenSSL decrypts and verifies, and the page reads back', async () => {
    await open('sealed.eml', { identity: 'ee-p256.p12' });
    expect(await page.inputValue('#reply-subject')).toBe('Re: Grüße from Alice');
    await page.setInputFiles('#recipients', chain('ee-rsa.pem'));
    await page.fill('#reply-text', 'Thanks Alice, the numbers look good. Grüße, Bob');
    await submit('#reply-button', 'replied');
    expect(await text('#reply-error')).toBe('');
    expect(await text('#reply-output')).toContain(`encrypted to ${ALICE}, ${BOB}`);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#reply-output a').click()]);
    expect(download.suggestedFilename()).toBe('reply.eml');
    await download.saveAs(file('reply.eml'));
    const reply = readFileSync(file('reply.eml'), 'latin1');
    expect(reply).toMatch(new RegExp(`^From: P-256 User <${BOB}>\\r$`, 'm'));
    expect(reply).toMatch(new RegExp(`^To: ${ALICE}\\r$`, 'm'));
    expect(reply).toMatch(/^In-Reply-To: <q2-numbers@example\.test>\r$/m);
    expect(reply).toContain('application/pkcs7-mime');

    // Alice decrypts it with OpenSSL and verifies Bob's signature against the root; Bob can read his own copy.
    for (const who of ['ee-rsa', 'ee-p256']) {
      const inner = openssl([
        'cms',
        '-decrypt',
        '-in',
        file('reply.eml'),
        '-recip',
        chain(`${who}.pem`),
        '-inkey',
        chain(`${who}.key`),
      ]);
      writeFileSync(file(`reply-${who}.eml`), inner);
      const verified = openssl(['cms', '-verify', '-in', file(`reply-${who}.eml`), '-CAfile', chain('root.pem')]);
      expect(verified.toString('latin1')).toContain('Thanks Alice, the numbers look good. Gr=C3=BC=C3=9Fe, Bob');
    }

    // And the page reads it back with Alice's identity.
    await open('reply.eml', { identity: 'ee-rsa.p12' });
    expect(await text('#status-headline')).toBe('Signed and verified, and decrypted');
    expect(await text('#body')).toContain('Thanks Alice, the numbers look good. Grüße, Bob');
    expect(await text('[data-header="subject"]')).toBe('Re: Grüße from Alice');
    expect(await page.locator('#report .cert').first().innerText()).toContain('CN=P-256 User');
  });

  it('takes files dropped on the drop zone', async () => {
    for (const input of ['#message', '#trust', '#identity']) await page.setInputFiles(input, []);
    const dropped = [
      { name: 'sealed.eml', bytes: [...readFileSync(file('sealed.eml'))] },
      { name: 'tenant.sst', bytes: [...readFileSync(file('tenant.sst'))] },
      { name: 'bob.p12', bytes: [...readFileSync(chain('ee-p256.p12'))] },
      { name: 'notes.txt', bytes: [104, 105] },
    ];
    const transfer = await page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
      return dt;
    }, dropped);
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: transfer });
    const help = await text('#drop-help');
    expect(help).toContain('sealed.eml → Message');
    expect(help).toContain('tenant.sst → Trust list');
    expect(help).toContain('bob.p12 → Your identity');
    expect(help).toContain('notes.txt: not an .eml, .sst or .p12');
    await page.fill('#password', 'test');
    await submit('#open-button', 'opened');
    expect(await text('#status-headline')).toBe('Signed and verified, and decrypted');
  });

  it('serves the page and dist/ only, with content types, on 127.0.0.1', async () => {
    const { hostname, port } = new URL(url);
    expect(hostname).toBe('127.0.0.1');
    const get = (path: string, method = 'GET') =>
      new Promise<{ status: number; type?: string; csp?: string }>((resolve, reject) => {
        const req = request({ host: hostname, port, path, method }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              type: res.headers['content-type'],
              csp: String(res.headers['content-security-policy']),
            }),
          );
        });
        req.on('error', reject);
        req.end();
      });
    const index = await get('/');
    expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(index.csp).toContain("connect-src 'none'");
    expect(await get('/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get('/style.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect(await get('/dist/index.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get('/dist/mime.js.map')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/dist/../package.json',
      '/dist/..%2fpackage.json',
      '/dist/%2e%2e%2f%2e%2e%2fetc/passwd',
      '/..%5c..%5cpackage.json',
      '/dist/',
      '/serve.mjs',
      '/missing.js',
      '/%E0%A4%A',
    ])
      expect(await get(path), path).toMatchObject({ status: 404 });
    expect(await get('/', 'POST')).toMatchObject({ status: 405 });
  });

  it('talks to nothing but its own server, and raises no page errors', () => {
    const origin = new URL(url).origin;
    expect(requests.length).toBeGreaterThan(3);
    const elsewhere = requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith(`blob:${origin}/`));
    expect(elsewhere).toEqual([]);
    expect(requests).toContain(`${origin}/dist/index.js`);
    expect(pageErrors).toEqual([]);
  });
});
