/**
 * examples/worker-pool: two workers sign and encrypt messages in parallel; every output decrypts (as the sender, who
 * is always a recipient) and its signature verifies and validates on the main thread. The workers run a bundle of
 * src/ made here, so the test does not depend on dist/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIdentity, readMessage, TrustList } from '../../src/index.js';
import { tempDir } from '../helpers/temp.js';
import { projectVectorPath, repoRoot } from '../helpers/vectors.js';
// @ts-expect-error -- a plain ES module (it runs in worker_threads, where TypeScript is not compiled)
import { SmimePool } from '../../examples/worker-pool/pool.mjs';

interface Pool {
  signAndEncrypt(
    message: Uint8Array | string,
    job: { recipients: Uint8Array[]; addresses?: string[] },
  ): Promise<Uint8Array>;
  close(): Promise<void>;
}

const chains = (f: string) => readFileSync(projectVectorPath('chains', f));
const der = (pemFile: string) =>
  new Uint8Array(
    Buffer.from(/-----BEGIN CERTIFICATE-----([^-]+)-----/.exec(chains(pemFile).toString('latin1'))![1]!, 'base64'),
  );

let pool: Pool;

beforeAll(async () => {
  const out = join(tempDir('smimekit-pool-'), 'smimekit.mjs');
  buildSync({
    entryPoints: [join(repoRoot, 'src', 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    external: ['node:*'],
    define: { __SMIMEKIT_VERSION__: '"0.0.0-test"' },
    outfile: out,
    logLevel: 'warning',
  });
  pool = (await SmimePool.start({
    p12: chains('ee-rsa.p12'),
    password: 'test',
    chain: [der('intermediate.pem')],
    size: 2,
    moduleUrl: pathToFileURL(out).href,
  })) as Pool;
});

afterAll(() => pool?.close());

describe('examples/worker-pool', () => {
  it('signs and encrypts on two workers; every message decrypts, verifies and validates', async () => {
    const recipients = ['bad-eku', 'ee-policy', 'ee-nc-ok'].map((n) => der(`${n}.pem`));
    const messages = Array.from(
      { length: 12 },
      (_, i) =>
        `From: rsa.user@example.test\r\nTo: a@example.test\r\nSubject: message ${i}\r\nContent-Type: text/plain\r\n\r\n` +
        `${'x'.repeat(60)}\r\n`.repeat(10 + i),
    );
    const outputs = await Promise.all(messages.map((m) => pool.signAndEncrypt(m, { recipients })));
    const alice = await loadIdentity(chains('ee-rsa.p12'), 'test');
    const trust = TrustList.fromBytes(chains('root.pem'));
    for (const [i, encrypted] of outputs.entries()) {
      const text = new TextDecoder().decode(encrypted);
      expect(text).toContain('smime-type=enveloped-data');
      expect(text).toContain(`Subject: message ${i}`);
      const read = await readMessage(encrypted, { identities: [alice], trust, at: new Date('2026-06-01T00:00:00Z') });
      expect(read.ok).toBe(true);
      expect(new TextDecoder().decode(read.content)).toContain(`${'x'.repeat(60)}\r\n`.repeat(10 + i));
    }
  });

  it('reports a failing job as an error with its code, and keeps working', async () => {
    await expect(pool.signAndEncrypt('', { recipients: [] })).rejects.toMatchObject({ code: 'bad-argument' });
    const ok = await pool.signAndEncrypt('Content-Type: text/plain\r\n\r\nhello\r\n', { recipients: [] });
    expect(new TextDecoder().decode(ok)).toContain('application/pkcs7-mime');
  });
});
