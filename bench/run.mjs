#!/usr/bin/env node
/**
 * `npm run bench`: measures smimekit next to OpenSSL on the same inputs in one
 * run and prints ratios. Not a test: numbers vary by machine; nothing asserts.
 * `npm run bench -- timing` runs bench/timing.mjs (padding-oracle timing) instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createSst,
  decryptMessage,
  encodePem,
  encryptMessage,
  loadCertificates,
  loadIdentity,
  readCertificate,
  parseSst,
  serializeSst,
  signMessage,
  TrustList,
  validateCertificate,
  verifyMessage,
} from '../dist/index.js';
import { describeSstEntry } from '../dist/sst.js';

// `npm run bench -- timing`: the PKCS#1 v1.5 implicit-rejection timing benchmark instead (bench/timing.mjs).
if (process.argv.includes('timing')) {
  await import('./timing.mjs');
  process.exit(0);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'smimekit-bench-'));

/** Runs fn repeatedly for about `ms` milliseconds; returns mean ms per call. */
function time(fn, ms = 1000) {
  fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    n++;
  }
  return (performance.now() - start) / n;
}

/** Like `time` for async functions. */
async function timeAsync(fn, ms = 1000) {
  await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await fn();
    n++;
  }
  return (performance.now() - start) / n;
}

/** Mean wall time of an external command (process start included), over `runs` runs. */
function timeCommand(cmd, args, runs = 10) {
  execFileSync(cmd, args, { stdio: 'ignore' });
  const start = performance.now();
  for (let i = 0; i < runs; i++) execFileSync(cmd, args, { stdio: 'ignore' });
  return (performance.now() - start) / runs;
}

function storeBytes() {
  const shared = resolve(root, '..', 'shared', 'vectors', 'sst', 'certutil-generateSSTFromWU-root.sst');
  if (existsSync(shared))
    return { name: 'AuthRoot SST (507 certs, 764 KB)', bytes: new Uint8Array(readFileSync(shared)) };
  // Without ../shared: a store of the project's own chain certificates, repeated.
  const certs = loadCertificates(readFileSync(join(root, 'vectors/chains/root.pem'))).certificates;
  const many = Array.from({ length: 500 }, () => certs[0]);
  return { name: 'generated SST (500 certs)', bytes: serializeSst(createSst(many)) };
}

const rows = [];
let opensslStart = 0;
const { name, bytes } = storeBytes();
const store = parseSst(bytes);
const pemPath = join(work, 'bundle.pem');
writeFileSync(pemPath, store.certificates.map((e) => encodePem('CERTIFICATE', e.der)).join(''));
const p7Path = join(work, 'bundle.p7b');
execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pemPath, '-outform', 'DER', '-out', p7Path]);

const parseMs = time(() => parseSst(bytes));
const roundMs = time(() => serializeSst(parseSst(bytes)));
rows.push([`parseSst ${name}`, parseMs, undefined]);
rows.push([`parseSst + serializeSst ${name}`, roundMs, undefined]);

// Load every certificate of a PKCS#7 bundle and print subject + SHA-1: smimekit in-process vs `openssl pkcs7 -print_certs`.
const p7 = new Uint8Array(readFileSync(p7Path));
const ours = time(() => {
  for (const der of loadCertificates(p7).certificates) readCertificate(der);
});
const ourDescribe = time(() => store.certificates.forEach((e, i) => describeSstEntry(e, i)));
const openssl = timeCommand('openssl', ['pkcs7', '-inform', 'DER', '-in', p7Path, '-print_certs', '-noout']);
rows.push([`read ${store.certificates.length} certs from PKCS#7 (subjects)`, ours, openssl]);
rows.push([
  `describe ${store.certificates.length} SST entries (subjects, SHA-1, SHA-256, DER check)`,
  ourDescribe,
  undefined,
]);
opensslStart = timeCommand('openssl', ['version']);

// Path validation root → intermediate → user (RSA), with CRL checking: validateCertificate vs `openssl verify`.
const chains = join(root, 'vectors', 'chains');
const trust = TrustList.fromBytes(readFileSync(join(chains, 'root.pem')));
const ee = readFileSync(join(chains, 'ee-rsa.pem'));
const inter = readFileSync(join(chains, 'intermediate.pem'));
const crls = [readFileSync(join(chains, 'root.crl.pem')), readFileSync(join(chains, 'intermediate.crl.pem'))];
const at = new Date('2026-06-01T00:00:00Z');
for (const [label, withCrl] of [
  ['validate RSA chain (3 certs)', false],
  ['validate RSA chain (3 certs) + CRLs', true],
]) {
  const ms = await timeAsync(() =>
    validateCertificate(ee, {
      trust,
      intermediates: [inter],
      at,
      purpose: 'sign',
      ...(withCrl ? { crls, revocation: 'require' } : {}),
    }),
  );
  const args = [
    'verify',
    '-attime',
    String(at.getTime() / 1000),
    '-CAfile',
    join(chains, 'root.pem'),
    '-untrusted',
    join(chains, 'intermediate.pem'),
    '-purpose',
    'smimesign',
  ];
  if (withCrl) {
    const crlFile = join(work, 'crls.pem');
    writeFileSync(crlFile, Buffer.concat(crls));
    args.push('-crl_check_all', '-CRLfile', crlFile);
  }
  rows.push([label, ms, timeCommand('openssl', [...args, join(chains, 'ee-rsa.pem')])]);
}

// S/MIME operations on a 1 MB and a 30 MB message, RSA-2048 (the test user), against `openssl cms` on the same files.
const alice = await loadIdentity(readFileSync(join(chains, 'ee-rsa.p12')), 'test');
const signer = { ...alice, chain: [...alice.chain, ...loadCertificates(inter).certificates] };
for (const mb of [1, 30]) {
  const body = Buffer.alloc(mb * 1024 * 1024, 'S/MIME line of text for the benchmark, 7-bit safe.\r\n').toString(
    'latin1',
  );
  const message = new TextEncoder().encode(
    `From: rsa.user@example.test\r\nSubject: bench\r\nContent-Type: text/plain\r\n\r\n${body}`,
  );
  const msgFile = join(work, `msg-${mb}.eml`);
  writeFileSync(msgFile, message);
  const runs = mb === 1 ? 5 : 2;
  const ms = mb === 1 ? 1500 : 1;
  const keyArgs = ['-signer', join(chains, 'ee-rsa.pem'), '-inkey', join(chains, 'ee-rsa.key')];

  const signed = await signMessage(message, { signer });
  const signedFile = join(work, `signed-${mb}.eml`);
  writeFileSync(signedFile, signed);
  rows.push([
    `sign detached, ${mb} MB`,
    await timeAsync(() => signMessage(message, { signer }), ms),
    timeCommand(
      'openssl',
      ['cms', '-sign', '-in', msgFile, ...keyArgs, '-md', 'sha256', '-out', join(work, 'o.eml')],
      runs,
    ),
  ]);
  rows.push([
    `verify detached + validate signer, ${mb} MB`,
    await timeAsync(() => verifyMessage(signed, { trust, at }), ms),
    timeCommand(
      'openssl',
      [
        'cms',
        '-verify',
        '-in',
        signedFile,
        '-CAfile',
        join(chains, 'root.pem'),
        '-attime',
        String(at.getTime() / 1000),
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ],
      runs,
    ),
  ]);
  for (const cipher of ['aes-256-cbc', 'aes-256-gcm']) {
    const options = { recipients: [alice.certificate], sender: alice.certificate, validate: false, cipher };
    const sealed = (await encryptMessage(message, options)).message;
    const sealedFile = join(work, `sealed-${mb}-${cipher}.eml`);
    writeFileSync(sealedFile, sealed);
    rows.push([
      `encrypt ${cipher}, RSA v1.5, ${mb} MB`,
      await timeAsync(() => encryptMessage(message, options), ms),
      timeCommand(
        'openssl',
        ['cms', '-encrypt', `-${cipher}`, '-in', msgFile, '-out', join(work, 'o.eml'), join(chains, 'ee-rsa.pem')],
        runs,
      ),
    ]);
    rows.push([
      `decrypt ${cipher}, RSA v1.5 (implicit rejection), ${mb} MB`,
      await timeAsync(() => decryptMessage(sealed, { identity: alice }), ms),
      timeCommand(
        'openssl',
        [
          'cms',
          '-decrypt',
          '-in',
          sealedFile,
          '-recip',
          join(chains, 'ee-rsa.pem'),
          '-inkey',
          join(chains, 'ee-rsa.key'),
          '-out',
          '/dev/null',
        ],
        runs,
      ),
    ]);
  }
}

console.log(
  `smimekit bench — node ${process.version}, ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}`,
);
console.log(
  'operation'.padEnd(70),
  'smimekit ms'.padStart(12),
  'openssl ms'.padStart(11),
  'ratio'.padStart(7),
  'net ratio'.padStart(10),
);
for (const [label, a, b] of rows) {
  const net = b === undefined ? undefined : Math.max(b - opensslStart, 0.001);
  console.log(
    label.padEnd(70),
    a.toFixed(3).padStart(12),
    (b === undefined ? '-' : b.toFixed(3)).padStart(11),
    (b === undefined ? '-' : (a / b).toFixed(2)).padStart(7),
    (net === undefined ? '-' : (a / net).toFixed(2)).padStart(10),
  );
}
console.log(`\nOpenSSL figures are whole-process wall times; ratio = smimekit / openssl (< 1: smimekit faster).`);
console.log(
  `net ratio subtracts OpenSSL's bare process start (\`openssl version\`: ${opensslStart.toFixed(1)} ms) — closer to work-for-work.`,
);
console.log('There is no OpenSSL counterpart for SST parsing (OpenSSL cannot read serialized stores).');
