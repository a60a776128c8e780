/**
 * Bench material, made at bench time with the `openssl` command line in a temporary folder: a root, an
 * intermediate and four RSA-2048 S/MIME users (emailProtection), 399 decoy CA certificates (with the root: a
 * 400-anchor trust list, also written as a Microsoft SST by smimekit), messages of every size, and the signed and
 * encrypted inputs that verify / decrypt read (made by `openssl cms`, which every implementation can read or is
 * given its own instead). Nothing outside this folder is read.
 */
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Message sizes the bench knows (`--sizes`): bytes, with MB = 2^20 bytes. */
export const SIZES = {
  '4k': 4 * 1024,
  '1m': 1024 * 1024,
  '25m': 25 * 1024 * 1024,
  '150m': 150 * 1024 * 1024,
};
/** The `--huge` input (streaming implementations only). */
export const HUGE = { '2g': 2 * 1024 * 1024 * 1024 };

const USERS = ['u0', 'u1', 'u2', 'u3'];
/** The signer of every signed message; u1..u3 are the three recipients of every encrypted one. */
export const SIGNER = 'u0';
export const RECIPIENTS = ['u1', 'u2', 'u3'];
/** The recipient whose key decrypts (the last RecipientInfo: no implementation gets lucky with the first). */
export const DECRYPTOR = 'u3';
export const PASSWORD = 'bench';
const DECOYS = 399;

const email = (u) => `${u}@bench.example`;

function openssl(args, options = {}) {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
}

/** Runs jobs (functions returning promises) with at most `limit` at once. */
async function pool(jobs, limit) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length) await jobs[next++]();
  });
  await Promise.all(workers);
}

const CA_EXT = [
  '-addext',
  'basicConstraints=critical,CA:TRUE',
  '-addext',
  'keyUsage=critical,keyCertSign,cRLSign',
  '-addext',
  'subjectKeyIdentifier=hash',
];

/**
 * Paths of everything in `dir`, and the functions that make it. `make()` writes the PKI (a few seconds: the
 * RSA keys and 399 decoy certificates); messages and openssl-made inputs are made per size on demand.
 */
export function material(dir) {
  const p = (name) => join(dir, name);
  const m = {
    dir,
    path: p,
    /** Per-process cache for implementations (identities, parsed keys). */
    cache: {},
    root: { cert: p('root.pem'), key: p('root.key') },
    inter: { cert: p('inter.pem'), key: p('inter.key') },
    user: (u) => ({
      cert: p(`${u}.pem`),
      key: p(`${u}.key`),
      chain: p(`${u}-chain.pem`), // the user's certificate followed by the intermediate
      p12: p(`${u}.p12`),
      email: email(u),
    }),
    anchorsPem: p('anchors.pem'), // 400 certificates: 399 decoys and the root
    anchorsSst: p('anchors.sst'),
    message: (size) => p(`msg-${size}.eml`),
    /** Input of `op` at `size` made by openssl: signed, cbc, gcm, signed-cbc. */
    input: (kind, size) => p(`in-${kind}-${size}.eml`),
    out: (tag) => p(`out-${tag}`),
  };
  m.make = (options) => makePki(m, options);
  m.makeMessage = (size, bytes) => makeMessage(m, size, bytes);
  m.makeInput = (kind, size) => makeInput(m, kind, size);
  return m;
}

/** The PKI; the 399 decoy anchors only with `decoys` (what `sst-parse` and `chain-*` need). */
async function makePki(m, { decoys: withDecoys = true } = {}) {
  const key = (file) =>
    run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file]);
  const decoyKeys = withDecoys ? Array.from({ length: 8 }, (_, i) => m.path(`decoy-${i}.key`)) : [];
  const files = [m.root.key, m.inter.key, ...USERS.map((u) => m.user(u).key), ...decoyKeys];
  await pool(
    files.map((f) => () => key(f)),
    cpus().length,
  );
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    m.root.key,
    '-subj',
    '/O=smimekit bench/CN=Bench Root CA',
    '-days',
    '3650',
    '-sha256',
    ...CA_EXT,
    '-out',
    m.root.cert,
  ]);
  const ext = m.path('ext.cnf');
  writeFileSync(
    ext,
    [
      '[ca]',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      ...USERS.flatMap((u) => [
        `[${u}]`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=emailProtection',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        `subjectAltName=email:${email(u)}`,
      ]),
      '',
    ].join('\n'),
  );
  const issue = (subject, keyFile, out, caCert, caKey, section, serial) => {
    const csr = `${out}.csr`;
    openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-out', csr]);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      String(serial),
      '-days',
      '1825',
      '-sha256',
      '-extfile',
      ext,
      '-extensions',
      section,
      '-out',
      out,
    ]);
  };
  issue('/O=smimekit bench/CN=Bench Intermediate CA', m.inter.key, m.inter.cert, m.root.cert, m.root.key, 'ca', 2);
  const interPem = readFileSync(m.inter.cert, 'utf8');
  USERS.forEach((u, i) => {
    const user = m.user(u);
    issue(
      `/O=smimekit bench/CN=Bench User ${u}/emailAddress=${user.email}`,
      user.key,
      user.cert,
      m.inter.cert,
      m.inter.key,
      u,
      100 + i,
    );
    writeFileSync(user.chain, readFileSync(user.cert, 'utf8') + interPem);
    openssl([
      'pkcs12',
      '-export',
      '-in',
      user.cert,
      '-inkey',
      user.key,
      '-certfile',
      m.inter.cert,
      '-passout',
      `pass:${PASSWORD}`,
      '-out',
      user.p12,
    ]);
  });
  if (withDecoys) await makeDecoys(m, decoyKeys);
}

/** 399 decoy anchors and the 400-anchor PEM bundle. */
async function makeDecoys(m, decoyKeys) {
  // 399 decoy anchors (8 keys between them: key generation would otherwise dominate; lookups go by name and key id).
  mkdirSync(m.path('decoys'), { recursive: true });
  const decoys = Array.from({ length: DECOYS }, (_, i) => m.path(`decoys/ca-${String(i).padStart(3, '0')}.pem`));
  await pool(
    decoys.map(
      (out, i) => () =>
        run('openssl', [
          'req',
          '-x509',
          '-new',
          '-key',
          decoyKeys[i % decoyKeys.length],
          '-subj',
          `/C=XX/O=Decoy Trust Services ${i % 37}/OU=Bench/CN=Decoy Root CA ${String(i).padStart(3, '0')}`,
          '-days',
          '3650',
          '-sha256',
          '-set_serial',
          String(1000 + i),
          ...CA_EXT,
          '-out',
          out,
        ]),
    ),
    cpus().length,
  );
  // The root in the middle of the list, as in a real store.
  const anchors = decoys.map((f) => readFileSync(f, 'utf8'));
  anchors.splice(Math.floor(anchors.length / 2), 0, readFileSync(m.root.cert, 'utf8'));
  writeFileSync(m.anchorsPem, anchors.join(''));
}

/** A 7-bit text message of exactly `bytes` bytes (CRLF lines), from u0. */
function makeMessage(m, size, bytes) {
  const file = m.message(size);
  if (existsSync(file)) return file;
  const head = Buffer.from(
    `From: Bench User u0 <${email(SIGNER)}>\r\nTo: ${RECIPIENTS.map(email).join(', ')}\r\nSubject: bench ${size}\r\n` +
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n',
  );
  const line = 'S/MIME benchmark line of text: 7-bit safe, short lines, as mail is. 0123456789 abcdefghijklm\r\n';
  const block = Buffer.alloc(1024 * 1024, line);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    let left = bytes - head.length;
    while (left > 0) {
      // Whole lines only, so that the body stays valid 7-bit text; the last line is padded to the exact size.
      const n = Math.min(left, block.length);
      if (n === left && n % line.length !== 0) {
        const whole = n - (n % line.length);
        writeSync(fd, block, 0, whole);
        const rest = n - whole;
        writeSync(fd, Buffer.from(rest >= 2 ? `${'x'.repeat(rest - 2)}\r\n` : 'x'.repeat(rest)));
      } else writeSync(fd, block, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

/** `signed`, `cbc`, `gcm` or `signed-cbc` input at `size`, made by `openssl cms` from the message. */
function makeInput(m, kind, size) {
  const file = m.input(kind, size);
  if (existsSync(file)) return file;
  const msg = m.message(size);
  const signer = m.user(SIGNER);
  // The 2 GB inputs are written by -stream: without it OpenSSL holds the whole message (and its output) in memory.
  const stream = size in HUGE ? ['-stream'] : [];
  const sign = (inFile, out) =>
    openssl([
      'cms',
      '-sign',
      ...stream,
      '-in',
      inFile,
      '-signer',
      signer.cert,
      '-inkey',
      signer.key,
      '-certfile',
      m.inter.cert,
      '-md',
      'sha256',
      '-out',
      out,
    ]);
  const encrypt = (cipher, inFile, out) =>
    openssl([
      'cms',
      '-encrypt',
      ...stream,
      `-${cipher}`,
      '-in',
      inFile,
      '-out',
      out,
      ...RECIPIENTS.map((u) => m.user(u).cert),
    ]);
  if (kind === 'signed') sign(msg, file);
  else if (kind === 'cbc') encrypt('aes-256-cbc', msg, file);
  else if (kind === 'gcm') encrypt('aes-256-gcm', msg, file);
  else if (kind === 'signed-cbc') encrypt('aes-256-cbc', makeInput(m, 'signed', size), file);
  else throw new Error(`unknown input kind ${kind}`);
  return file;
}
