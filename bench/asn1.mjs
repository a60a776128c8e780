/**
 * The figures behind docs/architecture.md's decision record: smimekit's ASN.1 layer next to asn1js/PKI.js on the
 * same certificates (NIST PKITS from ../shared/vectors when present, and the project's chains). `npm run bench:asn1`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { derParse, derChildren } from '../dist/asn1.js';
import { readCertificate } from '../dist/index.js';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const walk = (d) =>
  readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
const certs = [];
const pkits = join(root, '..', 'shared', 'vectors', 'pkits');
for (const f of statSync(pkits, { throwIfNoEntry: false }) ? walk(pkits) : [])
  if (/\.crt$/.test(f)) certs.push(new Uint8Array(readFileSync(f)));
for (const f of walk(join(root, 'vectors', 'chains')))
  if (/\.pem$/.test(f)) {
    const t = readFileSync(f, 'utf8');
    const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END/.exec(t);
    if (m) certs.push(new Uint8Array(Buffer.from(m[1], 'base64')));
  }
const countOurs = (n) => (n.constructed ? 1 + derChildren(n).reduce((a, c) => a + countOurs(c), 0) : 1);
const time = (fn, reps) => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - t) / 1e6 / reps;
};
const med = (fn, reps, runs = 5) => {
  const r = [];
  for (let i = 0; i < runs; i++) r.push(time(fn, reps));
  r.sort((a, b) => a - b);
  return r[Math.floor(runs / 2)];
};
console.log(
  'certificates',
  certs.length,
  'nodes',
  certs.reduce((a, c) => a + countOurs(derParse(c)), 0),
);
const ours = med(() => certs.forEach((c) => countOurs(derParse(c))), 5);
const theirs = med(() => certs.forEach((c) => asn1js.fromBER(c)), 5);
console.log(`tree, all certs: smimekit ${ours.toFixed(1)} ms, asn1js ${theirs.toFixed(1)} ms`);
// The certificate model caches by content, so this is one pass: each certificate decoded once.
let t = process.hrtime.bigint();
for (const c of certs) readCertificate(c);
const oursCert = Number(process.hrtime.bigint() - t) / 1e6;
t = process.hrtime.bigint();
for (const c of certs) new pkijs.Certificate({ schema: asn1js.fromBER(c).result });
const pkiCert = Number(process.hrtime.bigint() - t) / 1e6;
console.log(`certificate model, first decode: smimekit ${oursCert.toFixed(1)} ms, pkijs ${pkiCert.toFixed(1)} ms`);
// Large: a 32 MiB OCTET STRING in a SEQUENCE, definite, and 1 KiB-chunked BER.
const big = new Uint8Array(32 * 1024 * 1024).fill(7);
const hdr = (tag, len) => Uint8Array.of(tag, 0x84, len >>> 24, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
const oct = new Uint8Array(6 + big.length);
oct.set(hdr(4, big.length));
oct.set(big, 6);
const seq = new Uint8Array(6 + oct.length);
seq.set(hdr(0x30, oct.length));
seq.set(oct, 6);
console.log(`32 MiB definite: smimekit ${med(() => derChildren(derParse(seq)), 3).toFixed(2)} ms`);
const r = asn1js.fromBER(seq);
console.log(`asn1js on 32 MiB: ${r.offset === -1 ? 'refused: ' + r.result.error : 'ok'}`);
