#!/usr/bin/env node
/**
 * `npm run demo`: the whole Exchange flow on embedded material (vectors/chains), offline. See docs/demo.md.
 *
 *   node demo/run.mjs [--out DIR] [--ldap]
 *
 * 1. the tenant SST built and written; 2. users published to a GAL (userCertificate, userSMIMECertificate) and an
 * external contact in Contacts, one composite address book; 3. Alice composes to Bob and the contact by address,
 * signed and encrypted (and to herself); 4. an untrusted recipient is refused with the reason; 5. a sender without
 * a certificate is refused; 6. Bob reads the message, and Alice reads her Sent Items copy.
 *
 * Exit codes: 0 every step behaved as shown; 1 a step failed; 2 usage, dist/ not built, or (--ldap) no slapd.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: node demo/run.mjs [--out DIR] [--ldap]   (npm run demo -- [--out DIR] [--ldap])
  --out DIR   folder for the artefacts (default ./demo-out): tenant.sst, gal.ldif, message.eml,
              alice.p12, bob.p12, contact.p12, README.txt (passwords)
  --ldap      serve the GAL from a throwaway OpenLDAP slapd on 127.0.0.1 instead of memory`;

let args;
try {
  args = parseArgs({
    options: {
      out: { type: 'string', default: 'demo-out' },
      ldap: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(`error: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
  console.error('error: dist/ is not built: run `npm run build` (or `npm run demo`, which builds first)');
  process.exit(2);
}
const { slapdMissing } = await import('./slapd.mjs');
if (args.ldap && slapdMissing()) {
  console.error(`error: --ldap needs OpenLDAP's slapd, which is ${slapdMissing()}`);
  process.exit(2);
}
// Imported only now: the flow imports the built library.
const flow = await import('./flow.mjs');
const { ROOT_PEM } = await import('./material.mjs');

const out = resolve(args.out);
mkdirSync(out, { recursive: true });
const ctx = { out, ldap: args.ldap, artefacts: [] };

const STEPS = [
  ['tenant trust list (SST) built and written', flow.tenantSst],
  ['users published to the GAL, external contacts in Contacts', flow.publish],
  ['Alice composes to Bob and Carol by address: signed, encrypted', flow.compose],
  ['untrusted recipient refused', flow.untrustedRecipient],
  ['sender without a certificate refused', flow.senderWithoutCertificate],
  ['Bob reads the message; Alice reads her Sent Items copy', flow.readBack],
];

const formatMs = (ms) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
const WIDTH = 118;
/** A detail line, indented under its step and wrapped at word boundaries (continuations indented further). */
const indent = (line) => {
  const [, lead, text] = /^( *)(.*)$/s.exec(`      ${line}`);
  const lines = [];
  let current = '';
  for (const word of text.split(' ')) {
    const prefix = lines.length ? `${lead}    ` : lead;
    if (current && prefix.length + current.length + 1 + word.length > WIDTH) {
      lines.push(prefix + current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  lines.push((lines.length ? `${lead}    ` : lead) + current);
  return lines.join('\n');
};

console.log(
  `smimekit demo: the Exchange S/MIME flow, offline (GAL ${args.ldap ? 'on a throwaway slapd' : 'in memory'})`,
);
console.log(`artefacts: ${out}\n`);

const results = [];
const started = performance.now();
let failed = false;
try {
  for (const [i, [title, run]] of STEPS.entries()) {
    const label = `[${i + 1}/${STEPS.length}] ${title}`;
    const lines = [];
    const t0 = performance.now();
    try {
      await run(ctx, (line) => lines.push(line));
    } catch (e) {
      const ms = performance.now() - t0;
      results.push({ label, ms, ok: false });
      console.log(`${label} — FAILED (${formatMs(ms)})`);
      lines.forEach((l) => console.log(indent(l)));
      console.log(indent(`error ${e.code ?? e.name}: ${e.message}`));
      if (!e.code) console.log(e.stack);
      failed = true;
      break;
    }
    const ms = performance.now() - t0;
    results.push({ label, ms, ok: true });
    console.log(`${label} (${formatMs(ms)})`);
    lines.forEach((l) => console.log(indent(l)));
  }
} finally {
  await ctx.closeGal?.().catch(() => {});
  if (ctx.slapd) {
    await ctx.slapd.stop();
    console.log(indent(`slapd (pid ${ctx.slapd.pid}) stopped, its temp folder removed`));
  }
}
const total = performance.now() - started;
if (ctx.passwords) flow.writeReadme(ctx, { rootPem: ROOT_PEM, cli: join(ROOT, 'dist', 'cli', 'main.js') });

const passed = results.filter((r) => r.ok).length;
console.log(`\nSummary: ${passed}/${STEPS.length} steps passed in ${formatMs(total)}`);
for (const r of results) console.log(`  ${r.ok ? 'ok    ' : 'FAILED'} ${formatMs(r.ms).padStart(8)}  ${r.label}`);
for (const r of STEPS.slice(results.length)) console.log(`  skipped           ${r[0]}`);
console.log(`Artefacts in ${out}:`);
for (const a of ctx.artefacts)
  console.log(`  ${a.name.padEnd(12)} ${a.bytes ? `${a.bytes} bytes`.padStart(12) : ''.padStart(12)}  ${a.what}`);
process.exitCode = failed ? 1 : 0;
