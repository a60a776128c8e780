#!/usr/bin/env node
/**
 * Writes vectors/implicit-rejection/vectors.json: RSAES-PKCS1-v1_5 ciphertexts
 * with valid and invalid paddings, and the output of decryption with implicit
 * rejection for each, as computed by the test suite's independent reference
 * implementation (test/crypto/implicit-rejection-reference.ts), never by src/.
 *
 *   node vectors/implicit-rejection/generate.mjs             # keys kept, vectors rewritten
 *   node vectors/implicit-rejection/generate.mjs --new-keys  # new k2048/k3072/k4096.pem first (openssl genpkey)
 *
 * The encoded messages come from a fixed seed (SHA-256 in counter mode), so the
 * same keys always give the same file. Needs node, npm dependencies installed
 * (esbuild, to load the TypeScript reference) and, for new keys, OpenSSL 3.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const referencePath = join(root, 'test', 'crypto', 'implicit-rejection-reference.ts');
const SEED = 'smimekit implicit-rejection vectors v1';
const BITS = [2048, 3072, 4096];

// The reference is TypeScript: bundle it in memory and import the result.
const bundled = await build({
  entryPoints: [referencePath],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
});
const ref = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

const newKeys = process.argv.includes('--new-keys');
for (const bits of BITS) {
  const file = join(here, `k${bits}.pem`);
  if (newKeys || !existsSync(file)) {
    execFileSync('openssl', [
      'genpkey',
      '-quiet',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      `rsa_keygen_bits:${bits}`,
      '-out',
      file,
    ]);
    chmodSync(file, 0o644); // test keys, committed like vectors/chains/*.key
  }
}

/** Deterministic byte stream: SHA-256(seed || label || counter). */
function stream(label) {
  let counter = 0;
  let pool = Buffer.alloc(0);
  const take = (n) => {
    while (pool.length < n) {
      const block = createHash('sha256').update(`${SEED}/${label}/${counter++}`).digest();
      pool = Buffer.concat([pool, block]);
    }
    const out = pool.subarray(0, n);
    pool = pool.subarray(n);
    return new Uint8Array(out);
  };
  return {
    bytes: take,
    nonZero(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n;) {
        const b = take(1)[0];
        if (b !== 0) out[i++] = b;
      }
      return out;
    },
  };
}

/** EM = 0x00 || 0x02 || PS || 0x00 || M, with a chosen PS length (default: fill to k). */
function encode(k, message, rnd, psLength = k - 3 - message.length) {
  const em = new Uint8Array(k);
  em[1] = 2;
  em.set(rnd.nonZero(psLength), 2);
  em[2 + psLength] = 0;
  em.set(message, 3 + psLength);
  return em;
}

const hex = (b) => Buffer.from(b).toString('hex');

function checksFor(key, ciphertext, lengths) {
  return lengths.map((expectedLength) => {
    const r = ref.referenceDecrypt(key, ciphertext, expectedLength === null ? {} : { expectedLength });
    return { expectedLength, outcome: r.outcome, output: hex(r.output) };
  });
}

const out = {
  description:
    'RSAES-PKCS1-v1_5 decryption with implicit rejection (draft-irtf-cfrg-rsa-guidance, OpenSSL 3.2+), ' +
    "expected outputs computed by test/crypto/implicit-rejection-reference.ts. 'output' is the plaintext for a " +
    "valid padding, else the synthetic message. expectedLength null = the draft's own rule (PRF-chosen length); " +
    "a number = smimekit's fixed-length mode (CMS asks for the CEK size). See README.md.",
  generator: relative(root, fileURLToPath(import.meta.url)),
  seed: SEED,
  keys: [],
};

for (const bits of BITS) {
  const keyFile = `k${bits}.pem`;
  const key = ref.referenceKey(readFileSync(join(here, keyFile), 'utf8'));
  const k = key.k;
  const rnd = stream(keyFile);
  const cases = [];
  const add = (name, category, description, ciphertext, lengths) =>
    cases.push({
      id: `k${bits}/${name}`,
      category,
      description,
      ciphertext: hex(ciphertext),
      checks: checksFor(key, ciphertext, lengths),
    });
  const encrypt = (em) => ref.rsaEncryptRaw(key, em);

  // Valid paddings.
  const cek16 = rnd.bytes(16);
  const cek32 = rnd.bytes(32);
  add('valid-cek16', 'valid', '16-byte message (an AES-128 CEK)', encrypt(encode(k, cek16, rnd)), [null, 16, 32]);
  const valid32 = encrypt(encode(k, cek32, rnd));
  add('valid-cek32', 'valid', '32-byte message (an AES-256 CEK)', valid32, [null, 32, 16]);
  add('valid-empty', 'valid', 'empty message', encrypt(encode(k, new Uint8Array(0), rnd)), [null, 16]);
  add(
    'valid-max',
    'valid',
    `message of k - 11 = ${k - 11} bytes (PS exactly 8 bytes)`,
    encrypt(encode(k, rnd.bytes(k - 11), rnd)),
    [null, 32],
  );

  // A valid ciphertext whose first byte is zero, whole and with that byte stripped (k - 1 bytes).
  let leadingZero;
  for (let i = 0; !leadingZero; i++) {
    if (i > 10_000) throw new Error('no ciphertext with a leading zero byte found');
    const c = encrypt(encode(k, cek32, rnd));
    if (c[0] === 0) leadingZero = c;
  }
  add('valid-leading-zero', 'valid', 'ciphertext whose first byte is 0x00', leadingZero, [null, 32]);
  add(
    'valid-short-ciphertext',
    'valid',
    'the same with the leading zero stripped (k - 1 bytes; the draft: error; smimekit and OpenSSL: left-pad)',
    leadingZero.subarray(1),
    [null, 32],
  );

  // Invalid paddings (a 32-byte message, then one defect).
  const tweak = (f) => {
    const em = encode(k, rnd.bytes(32), rnd);
    f(em);
    return encrypt(em);
  };
  add(
    'bad-first-byte',
    'bad-padding',
    'first byte 0x01 instead of 0x00',
    tweak((em) => (em[0] = 1)),
    [null, 32],
  );
  add(
    'bad-second-byte',
    'bad-padding',
    'second byte 0x01 (signature block type) instead of 0x02',
    tweak((em) => (em[1] = 1)),
    [null, 32],
  );
  add(
    'bad-second-byte-00',
    'bad-padding',
    'second byte 0x00 instead of 0x02',
    tweak((em) => (em[1] = 0)),
    [null, 32],
  );
  add(
    'bad-second-byte-03',
    'bad-padding',
    'second byte 0x03 instead of 0x02 (one bit off)',
    tweak((em) => (em[1] = 3)),
    [null, 32],
  );
  add(
    'no-separator',
    'bad-padding',
    'no zero byte after the block type',
    tweak((em) => em.set(rnd.nonZero(k - 2), 2)),
    [null, 32],
  );
  add(
    'separator-ps7',
    'bad-padding',
    'zero separator after 7 PS bytes (fewer than 8)',
    tweak((em) => (em[9] = 0)),
    [null, 32],
  );
  add(
    'separator-ps0',
    'bad-padding',
    'zero separator right after the block type (empty PS)',
    tweak((em) => (em[2] = 0)),
    [null, 32],
  );

  // An invalid padding whose ciphertext starts with a zero byte, given without it (k - 1 bytes): the
  // synthetic message must come from the left-padded ciphertext.
  let shortBad;
  for (let i = 0; !shortBad; i++) {
    if (i > 10_000) throw new Error('no ciphertext with a leading zero byte found');
    const c = tweak((em) => (em[1] = 1));
    if (c[0] === 0) shortBad = c.subarray(1);
  }
  add(
    'bad-short-ciphertext',
    'bad-padding',
    'second byte 0x01, ciphertext given without its leading zero byte (k - 1 bytes)',
    shortBad,
    [null, 32],
  );

  // Valid padding, length other than the one the caller expects.
  const wl24 = encrypt(encode(k, rnd.bytes(24), rnd));
  add('wrong-length-24', 'wrong-length', '24-byte message (a 3DES key) where 32 or 16 bytes are expected', wl24, [
    null,
    24,
    32,
    16,
  ]);
  add(
    'wrong-length-0',
    'wrong-length',
    'empty message where 16 bytes are expected',
    encrypt(encode(k, new Uint8Array(0), rnd)),
    [16, 32],
  );

  // Random ciphertexts below n.
  for (const i of [1, 2, 3]) {
    const c = ref.i2osp(ref.os2ip(rnd.bytes(k + 8)) % key.n, k);
    add(`random-${i}`, 'random', 'uniformly random ciphertext below n', c, [null, 32]);
  }

  // Publicly invalid: the draft's error; smimekit's synthetic message.
  add('c-equals-n', 'out-of-range', 'ciphertext = n (not below the modulus)', ref.i2osp(key.n, k), [null, 32]);
  // c + n for a valid c: reduced mod n it would decrypt, so it must be refused before any reduction.
  let plusN;
  for (let i = 0; !plusN; i++) {
    if (i > 10_000) throw new Error('no valid ciphertext c with c + n < 256^k found');
    const c = ref.os2ip(encrypt(encode(k, cek32, rnd))) + key.n;
    if (c < 1n << BigInt(8 * k)) plusN = ref.i2osp(c, k);
  }
  add('c-plus-n', 'out-of-range', 'ciphertext = c + n for a valid c of a 32-byte message', plusN, [null, 32]);
  add('too-long', 'out-of-range', 'k + 1 bytes: 0x00 and a valid ciphertext', new Uint8Array([0, ...valid32]), [
    null,
    32,
  ]);

  out.keys.push({ key: keyFile, bits, cases });
}

const file = join(here, 'vectors.json');
writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
const count = out.keys.reduce((n, key) => n + key.cases.length, 0);
const checks = out.keys.reduce((n, key) => n + key.cases.reduce((m, c) => m + c.checks.length, 0), 0);
console.log(`${relative(root, file)}: ${out.keys.length} keys, ${count} ciphertexts, ${checks} expected outputs`);
