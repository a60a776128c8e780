#!/usr/bin/env node
/**
 * `npm run demo`: the whole flow smimekit supports so far, on embedded material.
 * Today: an Exchange-style S/MIME trust list (SST) built, written, read back and listed.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSst, describeSstEntry, parseSst, serializeSst, sstEnhancedKeyUsage } from '../dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const chains = join(root, 'vectors', 'chains');
const work = mkdtempSync(join(tmpdir(), 'smimekit-demo-'));

console.log('1. An administrator builds the tenant trust list (what Set-SmimeConfig -SMIMECertificateIssuingCA takes):');
const store = createSst(
  [
    { certificate: readFileSync(join(chains, 'root.pem'), 'utf8'), friendlyName: 'smimekit Test Root CA', enhancedKeyUsage: ['1.3.6.1.5.5.7.3.4'] },
    { certificate: readFileSync(join(chains, 'intermediate.pem'), 'utf8'), friendlyName: 'smimekit Test Intermediate' },
  ],
  { crls: [readFileSync(join(chains, 'intermediate.crl.pem'), 'utf8')] },
);
const file = join(work, 'tenant-trust.sst');
const bytes = serializeSst(store);
writeFileSync(file, bytes);
console.log(`   wrote ${file} (${bytes.length} bytes): ${store.certificates.length} CA certificates, ${store.crls.length} CRL`);

console.log('\n2. A mail client loads it and shows what it trusts:');
const loaded = parseSst(new Uint8Array(readFileSync(file)));
loaded.certificates.forEach((entry, i) => {
  const d = describeSstEntry(entry, i);
  const eku = sstEnhancedKeyUsage(entry);
  console.log(`   [${i}] ${d.subject}`);
  console.log(`       friendly name ${JSON.stringify(d.friendlyName)}, SHA-1 ${d.sha1}`);
  console.log(`       trusted for: ${eku ? eku.map((o) => (o === '1.3.6.1.5.5.7.3.4' ? 'emailProtection' : o)).join(', ') : 'all purposes (no EKU property)'}`);
});
const same = Buffer.from(serializeSst(loaded)).equals(Buffer.from(bytes));
console.log(`\n3. Byte-exact round trip: ${same ? 'yes' : 'NO'}`);
console.log(`\nTry the CLI on it:  npx smimekit sst list ${file}`);
if (!same) process.exitCode = 1;
