#!/usr/bin/env node
/**
 * `npm run bench -- timing [--iterations N] [--key PKCS8.pem]`: does the time of
 * RSAES-PKCS1-v1_5 decryption with implicit rejection depend on the padding?
 *
 * Measures, in-process and with the library build (dist/), the RSA step of CMS
 * decryption (`recoverCek` of smimekit/cms, which calls the implicit-rejection
 * decryption with the CEK length, as `decryptMessage` does) for three classes of
 * ciphertexts, N samples each (default 5,000), interleaved in random order so
 * that drift (thermal, GC, JIT) spreads evenly over the classes:
 *
 * - valid:          0x00 0x02 PS 0x00 CEK, a 32-byte CEK (AES-256);
 * - invalid padding: first byte not 0, second byte not 2, no separator, or a PS
 *                   shorter than 8 bytes (a mixed pool);
 * - wrong length:   a valid padding around a 24- or 16-byte message where 32 bytes are expected.
 *
 * It prints the medians and Welch's t statistic for each pair, on all samples
 * and on the samples below the pooled 95th and 50th percentiles (GC pauses and
 * scheduler noise are one-sided outliers), with the resolution of each (4.5
 * standard errors of the difference of the means). Following dudect (Reparaz,
 * Balasch, Verbauwhede 2017), |t| > 4.5 suggests a timing difference between
 * the classes; with |t| below it, this run found none at its resolution. A
 * control pair (the valid samples split in two) shows the noise level of t.
 * A benchmark, not a test: nothing is asserted, and the numbers depend on the
 * machine and its load (5,000 samples per class take about two minutes).
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPrivateKey, readCertificate } from '../dist/index.js';
import { createEnvelope, findRecipients, parseEnvelope, recoverCek } from '../dist/cms.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const iterations = Number(option('iterations', '5000'));
if (!Number.isSafeInteger(iterations) || iterations < 10) throw new Error('--iterations must be an integer >= 10');
const keyPath = resolve(root, option('key', 'vectors/chains/ee-rsa.key'));
const CEK_LENGTH = 32;
const POOL = 32;

// The private key, and a real KeyTransRecipientInfo (from an envelope to the test user) whose
// encryptedKey each sample replaces: recoverCek reads only the algorithm and the encrypted key.
const key = await loadPrivateKey(readFileSync(keyPath));
if (key.type !== 'rsa') throw new Error(`${keyPath}: not an RSA key`);
const k = Math.ceil(key.bits / 8);
const templateCert = readFileSync(join(root, 'vectors/chains/ee-rsa.pem'));
const envelope = await createEnvelope(new Uint8Array(16), [{ certificate: templateCert }]);
const [template] = findRecipients(parseEnvelope(envelope.der).recipientInfos, readCertificate(templateCert), false);
if (!template || template.info.kind !== 'ktri') throw new Error('no KeyTransRecipientInfo in the template envelope');
const candidate = (encryptedKey) => ({ ...template, info: { ...template.info, encryptedKey } });

// Ciphertexts from chosen encoded messages (raw RSA with the public key).
const publicKey = createPublicKey({ key: key.pkcs8, format: 'der', type: 'pkcs8' });
const encryptRaw = (em) =>
  new Uint8Array(publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, Buffer.from(em)));
function nonZero(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = randomInt(1, 256);
  return out;
}
function encode(message, psLength = k - 3 - message.length) {
  const em = new Uint8Array(k);
  em[1] = 2;
  em.set(nonZero(psLength), 2);
  em.set(message, 3 + psLength);
  return em;
}
const defects = [
  (em) => (em[0] = 1), // first byte not 0
  (em) => (em[1] = 1), // second byte not 2
  (em) => em.set(nonZero(k - 2), 2), // no zero separator
  (em) => (em[9] = 0), // PS of 7 bytes
];

const classes = [
  { name: 'valid', pool: [] },
  { name: 'invalid padding', pool: [] },
  { name: 'wrong length', pool: [] },
];
for (let i = 0; i < POOL; i++) {
  const cek = new Uint8Array(randomBytes(CEK_LENGTH));
  classes[0].pool.push({ ct: encryptRaw(encode(cek)), cek });
  const bad = encode(new Uint8Array(randomBytes(CEK_LENGTH)));
  defects[i % defects.length](bad);
  classes[1].pool.push({ ct: encryptRaw(bad) });
  classes[2].pool.push({ ct: encryptRaw(encode(new Uint8Array(randomBytes(i % 2 ? 24 : 16)))) });
}

// What each class returns: the CEK for valid ones, a 32-byte synthetic key otherwise.
const hex = (b) => Buffer.from(b).toString('hex');
for (const [c, cls] of classes.entries()) {
  for (const { ct, cek } of cls.pool) {
    const out = await recoverCek(candidate(ct), key, CEK_LENGTH);
    if (out.length !== CEK_LENGTH || (c === 0) !== (cek !== undefined && hex(out) === hex(cek)))
      throw new Error(`unexpected output for a ${cls.name} ciphertext`);
  }
}

// Warm-up, then the measured run in one shuffled order.
for (let i = 0; i < 100; i++)
  for (const cls of classes) await recoverCek(candidate(cls.pool[i % POOL].ct), key, CEK_LENGTH);
const order = [];
for (let c = 0; c < classes.length; c++) for (let i = 0; i < iterations; i++) order.push(c);
for (let i = order.length - 1; i > 0; i--) {
  const j = randomInt(i + 1);
  [order[i], order[j]] = [order[j], order[i]];
}
const samples = classes.map(() => []);
const started = performance.now();
let next = 0;
for (const c of order) {
  const input = candidate(classes[c].pool[next++ % POOL].ct);
  const t0 = process.hrtime.bigint();
  await recoverCek(input, key, CEK_LENGTH);
  const t1 = process.hrtime.bigint();
  samples[c].push(Number(t1 - t0) / 1000); // µs
}
const seconds = (performance.now() - started) / 1000;

// Statistics.
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const quantile = (s, q) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};
/** Standard error of the difference of two means (Welch). */
const stderr = (a, b) => Math.sqrt(variance(a) / a.length + variance(b) / b.length);
/** Welch's t statistic of two independent samples. */
const welch = (a, b) => (mean(a) - mean(b)) / stderr(a, b);
// Crops (as dudect does): all samples, and those below the pooled 95th and 50th percentiles. GC pauses and
// scheduler preemption only ever add time, so the lower part of the distribution is the least noisy.
const pooled = sorted(samples.flat());
const crops = [
  { label: 'all', limit: Infinity },
  { label: '≤ p95', limit: quantile(pooled, 0.95) },
  { label: '≤ p50', limit: quantile(pooled, 0.5) },
];

console.log(
  `smimekit timing bench — RSAES-PKCS1-v1_5 with implicit rejection (recoverCek, RSA-${key.bits}, ${CEK_LENGTH}-byte CEK)`,
);
console.log(
  `node ${process.version}; ${iterations} samples per class, ${classes.length} classes interleaved at random; ${seconds.toFixed(1)} s\n`,
);
console.log(
  'class'.padEnd(18),
  'median µs'.padStart(10),
  'p5 µs'.padStart(10),
  'p95 µs'.padStart(10),
  'mean µs'.padStart(10),
  'sd µs'.padStart(9),
);
for (const [c, cls] of classes.entries()) {
  const s = sorted(samples[c]);
  console.log(
    cls.name.padEnd(18),
    quantile(s, 0.5).toFixed(1).padStart(10),
    quantile(s, 0.05).toFixed(1).padStart(10),
    quantile(s, 0.95).toFixed(1).padStart(10),
    mean(s).toFixed(1).padStart(10),
    Math.sqrt(variance(s)).toFixed(1).padStart(9),
  );
}
// Pairs; the control splits the valid samples in two by position (one class): it shows the noise level of t.
const pairs = [
  ['valid vs invalid padding', (xs) => xs[0], (xs) => xs[1]],
  ['valid vs wrong length', (xs) => xs[0], (xs) => xs[2]],
  ['invalid padding vs wrong length', (xs) => xs[1], (xs) => xs[2]],
  [
    'control: valid vs valid (halves)',
    (xs) => xs[0].filter((_, i) => i % 2 === 0),
    (xs) => xs[0].filter((_, i) => i % 2 === 1),
  ],
];
console.log(`\nWelch's t, and in brackets 4.5·SE in µs (the smallest difference of the means this run could flag):`);
console.log('pair'.padEnd(34), ...crops.map((c) => `t ${c.label}`.padStart(18)));
for (const [label, first, second] of pairs) {
  const cells = crops.map(({ limit }) => {
    const kept = samples.map((xs) => xs.filter((x) => x <= limit));
    const [a, b] = [first(kept), second(kept)];
    return `${welch(a, b).toFixed(2)} (${(4.5 * stderr(a, b)).toFixed(1)})`.padStart(18);
  });
  console.log(label.padEnd(34), ...cells);
}
console.log(
  `\n|t| > 4.5 suggests a leak (the dudect convention); below it, no timing difference was found at this resolution.`,
);
console.log(
  `Crops keep the samples below the pooled percentile (p95 ${crops[1].limit.toFixed(1)} µs, p50 ${crops[2].limit.toFixed(1)} µs):`,
);
console.log(
  'GC and scheduler pauses are one-sided outliers. More samples or a quieter machine sharpen the resolution.',
);
console.log('This is a benchmark, not a test: nothing is asserted, and results vary by machine and load.');
