/**
 * The six steps of the demo, each an async function `(ctx, note) => void` that records what it shows with
 * `note(line)` and throws when the library does not behave as the step expects. `ctx` carries what later steps
 * need (trust list, directories, identities, the message) and the artefacts written.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CertificateMissingError,
  CompositeDirectory,
  MemoryDirectory,
  TrustList,
  composeMessage,
  exportPkcs12,
  loadIdentity,
  parseSst,
  readCertificate,
  readMessage,
  resolveCertificate,
  serializeSst,
  validateCertificate,
} from '../dist/index.js';
import { decodedBody, parseMime } from '../dist/mime.js';
import { describeSstEntry, sstEnhancedKeyUsage } from '../dist/sst.js';
import { BASE_DN, FRANK, MALLORY, contactEntries, galLdif, loadPeople, tenantStore } from './material.mjs';
import { startSlapd } from './slapd.mjs';

const EKU_NAMES = { '1.3.6.1.5.5.7.3.4': 'emailProtection' };
const SUBJECT = 'Quarterly figures';
const BODY = 'Hello Bob, hello Carol,\r\n\r\nthe quarterly figures are attached. Grüße, Alice\r\n';

/** "Name <address>". */
const mailbox = (p) => `${p.name} <${p.address}>`;
/** The CN of an RFC 4514 subject string, else the whole string. */
const cnOf = (subject) => /CN=([^,]+)/.exec(subject)?.[1] ?? subject;
const cn = (der) => cnOf(readCertificate(der).subject.text);

/** Writes an artefact into the output folder and remembers it for the summary. */
function writeArtefact(ctx, name, bytes, what) {
  const file = join(ctx.out, name);
  writeFileSync(file, bytes);
  ctx.artefacts.push({ name, file, bytes: bytes.length, what });
}

/** Step 1: the tenant SST, as `Set-SmimeConfig -SMIMECertificateIssuingCA` takes it. */
export async function tenantSst(ctx, note) {
  const bytes = serializeSst(tenantStore());
  writeArtefact(ctx, 'tenant.sst', bytes, 'the tenant trust list (SST): Set-SmimeConfig -SMIMECertificateIssuingCA');
  // What every client does with it: read it back and trust nothing else.
  const store = parseSst(new Uint8Array(readFileSync(join(ctx.out, 'tenant.sst'))));
  ctx.trust = TrustList.fromSst(store);
  note(`tenant.sst: ${bytes.length} bytes, ${store.certificates.length} CA certificates, byte-exact round trip:`);
  store.certificates.forEach((entry, i) => {
    const d = describeSstEntry(entry, i);
    const eku = sstEnhancedKeyUsage(entry);
    const purposes = eku ? eku.map((o) => EKU_NAMES[o] ?? o).join(', ') : 'all purposes';
    note(`  [${i}] "${d.friendlyName}"  SHA-1 ${d.sha1}  trusted for ${purposes}`);
  });
  if (!Buffer.from(serializeSst(store)).equals(Buffer.from(bytes))) throw new Error('the SST did not round-trip');
  note(`Exchange Online: Set-SmimeConfig -SMIMECertificateIssuingCA ([IO.File]::ReadAllBytes('tenant.sst'))`);
}

const password = () => randomBytes(12).toString('base64url');

/** Step 2: keys handed out as PKCS#12, users published to the GAL, contacts, and one composite address book. */
export async function publish(ctx, note) {
  const people = await loadPeople();
  ctx.people = people;
  ctx.passwords = {};
  const t0 = performance.now();
  for (const [id, file] of [
    ['alice', 'alice.p12'],
    ['bob', 'bob.p12'],
    ['carol', 'contact.p12'],
  ]) {
    const p = people[id];
    const pw = password();
    const p12 = await exportPkcs12(p.identity, pw, { friendlyName: p.name });
    writeArtefact(ctx, file, p12, `${mailbox(p)}: key, certificate and CA chain (${p.key})`);
    ctx.passwords[file] = pw;
  }
  const exportMs = Math.round(performance.now() - t0);
  note(`alice.p12, bob.p12, contact.p12 written with exportPkcs12 in ${exportMs} ms (passwords in README.txt)`);

  const gal = await galLdif(people);
  writeArtefact(
    ctx,
    'gal.ldif',
    Buffer.from(gal.text),
    `the GAL's people as LDIF (an export; slapadd/ldapadd load it)`,
  );
  let galDirectory;
  if (ctx.ldap) {
    const { LdapDirectory } = await import('../dist/ldap.js');
    const t1 = performance.now();
    ctx.slapd = await startSlapd({ baseDn: BASE_DN, ldif: gal.serverLdif });
    const startMs = Math.round(performance.now() - t1);
    galDirectory = new LdapDirectory({ url: ctx.slapd.url, baseDn: BASE_DN, name: 'GAL', schema: 'inetOrgPerson' });
    ctx.closeGal = () => galDirectory.close();
    note(
      `GAL: OpenLDAP slapd on ${ctx.slapd.url} (pid ${ctx.slapd.pid}), gal.ldif loaded with slapadd, up in ${startMs} ms`,
    );
  } else {
    galDirectory = new MemoryDirectory({ name: 'GAL' });
    const { added } = galDirectory.load(gal.text);
    note(`GAL: gal.ldif loaded as an in-memory export, ${added.length} people (--ldap serves it from slapd)`);
  }
  for (const p of gal.published) note(`  GAL       ${p.who.padEnd(24)} ${p.address.padEnd(28)} ${p.how}`);

  const contacts = new MemoryDirectory({ name: 'Contacts' });
  for (const c of contactEntries(people)) {
    contacts.load(c.value, { address: c.address, displayName: c.who });
    note(`  Contacts  ${c.who.padEnd(24)} ${c.address.padEnd(28)} ${c.how}`);
  }
  ctx.directory = new CompositeDirectory([galDirectory, contacts], { timeoutMs: 5_000 });
  note('address books: CompositeDirectory [GAL, Contacts], searched in parallel for every address');
}

/** Step 3: Alice writes to Bob and Carol by address; everything else is looked up and validated. */
export async function compose(ctx, note) {
  const { alice, bob, carol } = ctx.people;
  const result = await composeMessage(
    { from: mailbox(alice), to: [mailbox(bob), mailbox(carol)], subject: SUBJECT, content: BODY },
    { identity: alice.identity, directory: ctx.directory, trust: ctx.trust, sign: true, encrypt: true },
  );
  if (result.messages.length !== 1) throw new Error(`expected one message, got ${result.messages.length}`);
  const [message] = result.messages;
  ctx.message = message.message;
  ctx.encryptedTo = message.encryptedTo;
  writeArtefact(ctx, 'message.eml', message.message, 'the signed and encrypted message, as sent (RFC 5322)');
  for (const r of result.recipients.recipients) {
    const c = r.chosen.candidate;
    const where = r.sources
      .map((s) => `${s.directory} ${s.status === 'ok' ? s.entries : s.status} (${s.ms} ms)`)
      .join(', ');
    note(`${r.address}: ${c.directory} ${c.attribute} (${c.format}) — ${r.chosen.reason}`);
    note(`  entries found: ${where}; "${cn(r.certificate)}" valid for encryption against tenant.sst`);
  }
  note(`${alice.address}: the sender's own certificate, validated too, so Sent Items stays readable`);
  note(`signed by Alice (SHA-256), encrypted to ${message.encryptedTo.join(', ')}`);
  for (const w of result.warnings) note(`warning ${w.code}: ${w.message}`);
  note(`message.eml: ${message.message.length} bytes, SMTP RCPT TO ${message.envelope.to.join(', ')}`);
}

/** Calls `fn`, which must throw a SmimeError with `code`; returns it. */
async function expectRefusal(code, fn) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  if (!error) throw new Error(`expected a refusal with ${code}, but the call succeeded`);
  if (!(error instanceof CertificateMissingError) || error.code !== code) throw error;
  return error;
}

/** Step 4: a recipient whose certificate chains to a CA outside the SST is refused, with the reason. */
export async function untrustedRecipient(ctx, note) {
  const { alice, bob } = ctx.people;
  const error = await expectRefusal('recipient-certificate-missing', () =>
    composeMessage(
      { from: mailbox(alice), to: [mailbox(bob), mailbox(MALLORY)], subject: SUBJECT, content: BODY },
      { identity: alice.identity, directory: ctx.directory, trust: ctx.trust, sign: true, encrypt: true },
    ),
  );
  note(`refused: ${error.code} — ${error.message}`);
  note(`details.addresses: ${error.details.addresses.join(', ')} (nobody is dropped silently, nothing is sent)`);
  // The explanation: the candidate the Contacts folder returned, validated as composeMessage validated it.
  const resolved = await resolveCertificate(MALLORY.address, { directory: ctx.directory, trust: ctx.trust });
  for (const v of resolved.candidates) {
    note(`candidate "${v.subject}" from ${v.sources.map((s) => `${s.directory} ${s.attribute}`).join(', ')}`);
    const report = await validateCertificate(v.candidate.certificate, {
      trust: ctx.trust,
      purpose: 'encrypt',
      email: MALLORY.address,
      intermediates: v.candidate.chain ?? [],
    });
    const path = report.path.map((p) => cnOf(p.subject)).join(' → ');
    note(`  validation report: ${report.valid ? 'valid' : 'INVALID'}; longest path built: ${path}`);
    for (const p of report.problems) note(`  ${p.code}: ${p.message}`);
  }
}

/** Step 5: a sender without a certificate cannot send encrypted mail: nobody could read the Sent Items copy. */
export async function senderWithoutCertificate(ctx, note) {
  const { bob } = ctx.people;
  const error = await expectRefusal('sender-certificate-missing', () =>
    composeMessage(
      { from: mailbox(FRANK), to: [mailbox(bob)], subject: SUBJECT, content: 'Hi Bob\r\n' },
      { directory: ctx.directory, trust: ctx.trust, encrypt: true },
    ),
  );
  note(`refused: ${error.code} — ${error.message}`);
}

/** Reads the message with an identity from one of the exported .p12 files. */
async function read(ctx, file, note, who) {
  const identity = await loadIdentity(readFileSync(join(ctx.out, file)), ctx.passwords[file]);
  const result = await readMessage(ctx.message, { identities: [identity], trust: ctx.trust });
  if (!result.ok) throw new Error(`${who} could not read the message: ${JSON.stringify(result.problems)}`);
  const text = new TextDecoder().decode(decodedBody(parseMime(result.content)));
  if (!text.includes('quarterly figures')) throw new Error(`${who} read unexpected content: ${text}`);
  const layers = result.layers.map((l) =>
    l.type === 'enveloped'
      ? `decrypted (${l.envelopeType}, ${l.cipher})`
      : l.type === 'signed'
        ? `signature ${l.ok ? 'verified' : 'NOT verified'} (${l.form})`
        : l.type,
  );
  note(`${who} with ${file}: ok — ${layers.join(', ')}`);
  return { result, text };
}

/** Step 6: Bob decrypts and verifies; Carol too; Alice opens her copy in Sent Items with her own key. */
export async function readBack(ctx, note) {
  const { result, text } = await read(ctx, 'bob.p12', note, 'Bob');
  const signed = result.layers.find((l) => l.type === 'signed');
  const enveloped = result.layers.find((l) => l.type === 'enveloped');
  const ri = enveloped.recipient;
  note(
    `  RecipientInfo #${ri.index + 1} of ${ctx.encryptedTo.length} (${ri.keyManagement}), matched by ${ri.matchedBy}`,
  );
  note(`  text: "${text.split(/\r?\n/)[2]}"`);
  // The signed layer's full verify report: signature, algorithms, the signer's chain validated against tenant.sst.
  for (const s of signed.report.signers) {
    const path = s.chain?.path.map((p) => cnOf(p.subject)).join(' → ');
    note(`  signer ${s.email}: signature ${s.signatureValid ? 'valid' : 'INVALID'} (${s.algorithms.signature})`);
    note(`  signer's chain ${s.chain?.valid ? 'valid' : 'INVALID'} against tenant.sst: ${path}`);
    for (const p of s.problems) note(`  problem ${p.code}: ${p.message}`);
  }
  await read(ctx, 'contact.p12', note, 'Carol');
  await read(ctx, 'alice.p12', note, 'Alice (Sent Items)');
}

/**
 * README.txt of the output folder: what each file is, the passwords, how to check with OpenSSL.
 *
 * @param {{ rootPem: string, cli: string }} paths the test root CA (PEM) and smimekit's CLI (dist/cli/main.js)
 */
export function writeReadme(ctx, { rootPem, cli }) {
  const pw = ctx.passwords;
  const text = [
    `smimekit demo output (npm run demo${ctx.ldap ? ' -- --ldap' : ''}), ${new Date().toISOString()}.`,
    'Test material from vectors/chains: never use these keys for real mail. See docs/demo.md.',
    '',
    'Files:',
    ...ctx.artefacts.map((a) => `  ${a.name.padEnd(12)} ${a.what}`),
    `  ${'README.txt'.padEnd(12)} this file`,
    '',
    'PKCS#12 passwords (new on every run):',
    ...Object.entries(pw).map(([file, password]) => `  ${file.padEnd(12)} password: ${password}`),
    '',
    'Check with OpenSSL, from this folder:',
    "  # Bob decrypts the message, then verifies Alice's signature against the tenant's root",
    `  openssl pkcs12 -in bob.p12 -passin pass:${pw['bob.p12']} -nodes -out bob.pem`,
    '  openssl cms -decrypt -in message.eml -recip bob.pem -inkey bob.pem -out signed.eml',
    `  openssl cms -verify -in signed.eml -CAfile ${rootPem}`,
    '  # Alice opens her copy in Sent Items with her own key',
    `  openssl pkcs12 -in alice.p12 -passin pass:${pw['alice.p12']} -nodes -out alice.pem`,
    `  openssl cms -decrypt -in message.eml -recip alice.pem -inkey alice.pem | openssl cms -verify -CAfile ${rootPem}`,
    '  # OpenSSL does not read SST files: list tenant.sst with smimekit',
    `  node ${cli} sst list tenant.sst`,
    '',
  ].join('\n');
  writeArtefact(ctx, 'README.txt', Buffer.from(text), 'what each file is, the passwords, OpenSSL checks');
}
