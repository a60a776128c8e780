/**
 * Messages per second: 4 KB sign + encrypt (AES-256-CBC, three RSA-2048 recipients) in a loop, on one core (one
 * worker thread) and on all cores (one worker thread per core), each worker loading its identity once. Runs in its
 * own `node` child (`bench/run.mjs --throughput SPEC`), so that nothing else shares the process.
 */
import { spawnSync } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, publicEncrypt, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { material, RECIPIENTS, SIGNER } from './material.mjs';
import { implementation } from '../impl/index.mjs';

const RUN = fileURLToPath(new URL('../run.mjs', import.meta.url));
export const THROUGHPUT_OP = 'sign+encrypt';
const THROUGHPUT_SIZE = '4k';

/**
 * The median of per-second rates. This host's 2-core virtual machines lose the CPU for moments now and then (another
 * guest's turn): one such moment in a 3-second total moved the figure by a fifth. The median of one-second windows
 * is what the process does when it has the core, for every implementation and for the RSA ceiling alike.
 */
function medianRate(windows) {
  const rates = windows.map((w) => (w.n / w.ms) * 1000).sort((a, b) => a - b);
  const mid = rates.length >> 1;
  return rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

/**
 * Runs `step` in one-second windows for `seconds`; returns each window's count and duration. With `alongside`, a
 * window of it follows each window of `step` (its counts in `alongsideWindows`): both see the same moments of the
 * host, so their ratio holds when the host's speed does not.
 */
async function windowsOf(seconds, step, alongside) {
  const windows = [];
  const alongsideWindows = [];
  const window = async (fn, into) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 1000) {
      await fn();
      n++;
    }
    into.push({ n, ms: performance.now() - start });
  };
  for (let w = 0; w < seconds; w++) {
    await window(step, windows);
    if (alongside) await window(alongside, alongsideWindows);
  }
  return { windows, alongsideWindows };
}

/** In a worker: prepare, say ready, run for `seconds` once told to start, report the one-second windows. */
export async function throughputWorker(port, spec) {
  const impl = await implementation(spec.impl);
  const m = material(spec.dir);
  const state = await impl.prepare?.(THROUGHPUT_OP, THROUGHPUT_SIZE, m);
  const rsa = spec.ceiling ? rsaOperations(m) : undefined;
  const warmEnd = Date.now() + spec.warmupMs;
  while (Date.now() < warmEnd) {
    await impl.run(THROUGHPUT_OP, THROUGHPUT_SIZE, m, state);
    rsa?.();
  }
  port.postMessage({ ready: true });
  await new Promise((resolve) => port.once('message', resolve));
  port.postMessage(await windowsOf(spec.seconds, () => impl.run(THROUGHPUT_OP, THROUGHPUT_SIZE, m, state), rsa));
}

/** In the child: start `workers` workers together; prints `{ perSecond, workers, counts }`. */
export async function throughputChild(spec) {
  const workers = Array.from(
    { length: spec.workers },
    () => new Worker(RUN, { workerData: { benchThroughputWorker: spec } }),
  );
  const ready = workers.map(
    (w) =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  await Promise.all(ready);
  const done = workers.map(
    (w) =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  for (const w of workers) w.postMessage('start');
  const results = await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  // The workers ran side by side: the rate of all of them is the sum of each one's median rate.
  const perSecond = results.reduce((a, r) => a + medianRate(r.windows), 0);
  const counts = results.map((r) => r.windows.reduce((a, w) => a + w.n, 0));
  const ceiling = spec.ceiling ? medianRate(results[0].alongsideWindows) : undefined;
  process.stdout.write(`${JSON.stringify({ perSecond, ceiling, workers: spec.workers, counts })}\n`);
}

/** In the parent: one measurement in a fresh child. */
export function measureThroughput(implName, dir, { workers, seconds, warmupMs, ceiling = false }) {
  const spec = { impl: implName, dir, workers, seconds, warmupMs, ceiling };
  const r = spawnSync(process.execPath, [RUN, '--throughput', JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: (seconds + 120) * 1000,
  });
  const line = r.stdout?.toString().trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(
      `throughput ${implName}: exit ${r.status}: ${r.stderr?.toString().trim().split('\n').slice(-1)[0] ?? ''}`,
    );
  return JSON.parse(line);
}

/**
 * One message's RSA operations alone: one RSA-2048 signature and three RSA-2048 public-key encryptions (PKCS#1
 * v1.5, what the 4 KB sign + encrypt does) through Node's crypto (OpenSSL). Timed in windows alternating with an
 * implementation's in the same thread (`ceiling` of measureThroughput), it is the ceiling of the row on this host.
 */
function rsaOperations(m) {
  const key = createPrivateKey(readFileSync(m.user(SIGNER).key));
  const publics = RECIPIENTS.map((u) => createPublicKey(readFileSync(m.user(u).cert)));
  const digestInput = randomBytes(64);
  const cek = randomBytes(32);
  return () => {
    sign('sha256', digestInput, key);
    for (const p of publics) publicEncrypt({ key: p, padding: constants.RSA_PKCS1_PADDING }, cek);
  };
}
