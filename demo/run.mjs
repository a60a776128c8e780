#!/usr/bin/env node
/**
 * `npm run demo`: the whole flow smimekit supports so far, on embedded material.
 * An Exchange-style S/MIME trust list (SST) built, written, read back and used to validate certificates;
 * then a message signed, encrypted to the recipient and the sender, and read back by both.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createSst,
  encryptMessage,
  loadCertificates,
  loadIdentity,
  parseSst,
  readMessage,
  serializeSst,
  signMessage,
  TrustList,
  validateCertificate,
  verifyMessage,
} from '../dist/index.js';
import { decodedBody, parseMime } from '../dist/mime.js';
import { describeSstEntry, sstEnhancedKeyUsage } from '../dist/sst.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const chains = join(root, 'vectors', 'chains');
const work = mkdtempSync(join(tmpdir(), 'smimekit-demo-'));

console.log(
  '1. An administrator builds the tenant trust list (what Set-SmimeConfig -SMIMECertificateIssuingCA takes):',
);
const store = createSst(
  [
    {
      certificate: readFileSync(join(chains, 'root.pem'), 'utf8'),
      friendlyName: 'smimekit Test Root CA',
      enhancedKeyUsage: ['1.3.6.1.5.5.7.3.4'],
    },
    { certificate: readFileSync(join(chains, 'intermediate.pem'), 'utf8'), friendlyName: 'smimekit Test Intermediate' },
  ],
  { crls: [readFileSync(join(chains, 'intermediate.crl.pem'), 'utf8')] },
);
const file = join(work, 'tenant-trust.sst');
const bytes = serializeSst(store);
writeFileSync(file, bytes);
console.log(
  `   wrote ${file} (${bytes.length} bytes): ${store.certificates.length} CA certificates, ${store.crls.length} CRL`,
);

console.log('\n2. A mail client loads it and shows what it trusts:');
const loaded = parseSst(new Uint8Array(readFileSync(file)));
loaded.certificates.forEach((entry, i) => {
  const d = describeSstEntry(entry, i);
  const eku = sstEnhancedKeyUsage(entry);
  console.log(`   [${i}] ${d.subject}`);
  console.log(`       friendly name ${JSON.stringify(d.friendlyName)}, SHA-1 ${d.sha1}`);
  console.log(
    `       trusted for: ${eku ? eku.map((o) => (o === '1.3.6.1.5.5.7.3.4' ? 'emailProtection' : o)).join(', ') : 'all purposes (no EKU property)'}`,
  );
});
const same = Buffer.from(serializeSst(loaded)).equals(Buffer.from(bytes));
console.log(`\n3. Byte-exact round trip: ${same ? 'yes' : 'NO'}`);

console.log('\n4. Only that list decides which S/MIME certificates are trusted:');
const trust = TrustList.fromSst(loaded);
const at = new Date('2026-06-01T00:00:00Z');
const cases = [
  ['ee-rsa.pem', 'rsa.user@example.test', 'a user certificate from the trusted CA'],
  ['ee-rsa.pem', 'mallory@example.test', 'the same certificate used for another address'],
  ['bad-expired.pem', undefined, 'an expired certificate'],
  ['bad-eku.pem', undefined, 'a TLS server certificate (no emailProtection)'],
  ['bad-untrusted-root.pem', undefined, 'a certificate from a CA outside the list'],
];
for (const [name, email, what] of cases) {
  const report = await validateCertificate(readFileSync(join(chains, name)), {
    trust,
    intermediates: [readFileSync(join(chains, 'untrusted-intermediate.pem'))],
    purpose: 'sign',
    at,
    ...(email ? { email } : {}),
  });
  const verdict = report.valid ? 'VALID  ' : 'INVALID';
  const why = report.valid
    ? `path of ${report.path.length}`
    : report.problems.map((p) => `${p.code}: ${p.message}`).join('; ');
  console.log(`   ${verdict} ${what} — ${why}`);
}

console.log('\n5. Alice signs a message, then encrypts it to Bob — and to herself, for Sent Items:');
const withChain = async (name) => {
  const id = await loadIdentity(readFileSync(join(chains, `${name}.p12`)), 'test');
  return {
    ...id,
    chain: [...id.chain, ...loadCertificates(readFileSync(join(chains, 'intermediate.pem'))).certificates],
  };
};
const alice = await withChain('ee-rsa');
const bob = await withChain('ee-p256');
const mail = new TextEncoder().encode(
  'From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: quarterly figures\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße — the figures are attached.\r\n',
);
const signed = await signMessage(mail, { signer: alice });
const verified = await verifyMessage(signed, { trust, at, from: 'rsa.user@example.test' });
console.log(`   signed (${signed.length} bytes): verify ok=${verified.ok}, signer ${verified.signers[0].email}`);
const sealed = await encryptMessage(signed, {
  recipients: [{ address: 'p256.user@example.test', certificate: bob.certificate }],
  sender: { address: 'rsa.user@example.test', certificate: alice.certificate },
  trust,
  intermediates: [readFileSync(join(chains, 'intermediate.pem'))],
  at,
});
console.log(`   encrypted with ${sealed.cipher} to ${sealed.recipients.length} recipients (Bob and Alice herself)`);
for (const w of sealed.warnings) console.log(`   note ${w.code}: ${w.message}`);
for (const [who, id] of [
  ['Bob', bob],
  ['Alice (Sent Items)', alice],
]) {
  const read = await readMessage(sealed.message, { identities: [id], trust, at });
  const text = new TextDecoder().decode(decodedBody(parseMime(read.content))).trim();
  console.log(`   ${who} reads it: ok=${read.ok}, layers ${read.layers.map((l) => l.type).join(' > ')}: "${text}"`);
}
try {
  await encryptMessage(mail, { recipients: [bob.certificate], trust, at });
} catch (e) {
  console.log(`   without a sender certificate: ${e.code} — ${e.message}`);
}

console.log(`\nTry the CLI on it:  npx smimekit sst list ${file}`);
console.log(
  `                    npx smimekit validate --trust ${file} --cert vectors/chains/ee-rsa.pem --email rsa.user@example.test`,
);
if (!same) process.exitCode = 1;
