/**
 * `smimekit lookup`: which encryption certificate each address resolves to,
 * and why — every candidate with where it was published, its validity and
 * fingerprint, why it was chosen or rejected, and how each address book
 * answered. The report is the command's content (stdout); exit 1 when any
 * address has no usable certificate.
 */
import {
  assertAllResolved,
  resolveRecipients,
  type GroupResolution,
  type ResolveRecipientsResult,
} from '../../smime/resolve.js';
import type { ResolvedCertificate } from '../../directory/select.js';
import type { CandidateVerdict, DirectorySourceResult } from '../../directory/types.js';
import { assertAddress } from '../../directory/address.js';
import { toBase64 } from '../../util/bytes.js';
import { flagBool, UsageError } from '../args.js';
import {
  BIND_PASSWORD_ALIAS,
  BIND_PASSWORD_ALIAS_DESCRIBE,
  DIRECTORY_DESCRIBE,
  DIRECTORY_FLAGS,
  DIRECTORY_USAGE,
  RESOLVE_DESCRIBE,
  RESOLVE_FLAGS,
  RESOLVE_USAGE,
  checkDirectoryFlags,
  printDirectoryWarnings,
  resolveSettingsFromFlags,
  withDirectory,
  type DirectorySetup,
} from '../directory-flags.js';
import type { CliIo } from '../io.js';
import type { Command } from '../command.js';

const USAGE = `smimekit lookup ADDRESS... ${RESOLVE_USAGE} [--json]\n                 ${DIRECTORY_USAGE}`;

const iso = (d: Date): string | null => (Number.isNaN(d.getTime()) ? null : d.toISOString());

function sourceJson(s: DirectorySourceResult): Record<string, unknown> {
  return {
    directory: s.directory,
    status: s.status,
    entries: s.entries,
    ms: s.ms,
    error: s.error ? { code: s.error.code, message: s.error.message } : null,
  };
}

function candidateJson(v: CandidateVerdict): Record<string, unknown> {
  const c = v.candidate;
  return {
    chosen: v.chosen,
    valid: v.valid,
    reason: v.reason,
    problems: v.problems.map((p) => ({ code: p.code, message: p.message })),
    fingerprint: v.fingerprint,
    subject: v.subject,
    notBefore: iso(v.notBefore),
    notAfter: iso(v.notAfter),
    directory: c.directory,
    entry: c.entry,
    attribute: c.attribute,
    format: c.format,
    valueIndex: c.valueIndex,
    preferred: c.preferred,
    capabilities: (c.capabilities ?? []).map((x) => x.oid),
    sources: v.sources.map((s) => ({ ...s })),
    certificate: toBase64(c.certificate),
    chain: c.chain.map((b) => toBase64(b)),
  };
}

function recipientJson(r: ResolvedCertificate): Record<string, unknown> {
  return {
    address: r.address,
    via: r.via,
    resolved: !r.missing,
    missing: r.missing ?? null,
    reason: r.reason,
    chosen: r.chosen?.fingerprint ?? null,
    candidates: r.candidates.map(candidateJson),
    unreadable: r.unreadable.map((u) => ({ ...u })),
    sources: r.sources.map(sourceJson),
  };
}

function groupJson(g: GroupResolution): Record<string, unknown> {
  return {
    address: g.address,
    via: g.via,
    members: g.members,
    unaddressable: g.unaddressable,
    error: g.error ? { code: g.error.code, message: g.error.message } : null,
  };
}

/** The `--json` document (documented in docs/cli.md). */
function lookupJson(result: ResolveRecipientsResult, at: Date, setup: readonly DirectorySetup[]): string {
  const doc = {
    at: at.toISOString(),
    resolved: result.missing.length === 0 && result.groups.every((g) => !g.error && g.unaddressable.length === 0),
    missing: result.missing,
    directories: setup.map((s) => ({
      name: s.name,
      kind: s.kind,
      format: s.format ?? null,
      entries: s.entries ?? null,
      skipped: s.skipped.map((k) => ({ ...k })),
    })),
    recipients: result.recipients.map(recipientJson),
    groups: result.groups.map(groupJson),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function sourceText(s: DirectorySourceResult): string {
  const what =
    s.status === 'ok'
      ? `ok, ${s.entries} ${s.entries === 1 ? 'entry' : 'entries'}`
      : `${s.status}${s.error ? ` ${s.error.code}: ${s.error.message}` : ''}`;
  return `${s.directory}: ${what} (${s.ms} ms)`;
}

function candidateText(v: CandidateVerdict, index: number): string[] {
  const c = v.candidate;
  const mark = v.chosen ? 'CHOSEN' : v.valid ? 'valid, not chosen' : 'REJECTED';
  const lines = [`  candidate ${index + 1} [${mark}] ${v.subject || '(undecodable certificate)'}`];
  for (const s of v.sources)
    lines.push(
      `      from:        ${s.directory} | ${s.entry} | ${s.attribute}${s === v.sources[0] ? ` (${c.format}${c.preferred ? ', marked default for encryption' : ''})` : ''}`,
    );
  lines.push(`      valid:       ${iso(v.notBefore) ?? '?'} to ${iso(v.notAfter) ?? '?'}`);
  lines.push(`      sha256:      ${v.fingerprint}`);
  lines.push(`      why:         ${v.reason}`);
  for (const p of v.problems) lines.push(`      problem ${p.code}: ${p.message}`);
  return lines;
}

function recipientText(r: ResolvedCertificate): string[] {
  const via = r.via.length ? ` (member of ${r.via.join(' > ')})` : '';
  const head = r.chosen
    ? `${r.address}${via}: ${r.chosen.subject} (sha256 ${r.chosen.fingerprint.slice(0, 16)}…)`
    : `${r.address}${via}: NO CERTIFICATE (${r.missing})`;
  const lines = [head, `  ${r.reason}`];
  r.candidates.forEach((v, i) => lines.push(...candidateText(v, i)));
  for (const u of r.unreadable)
    lines.push(
      `  unreadable ${u.directory} | ${u.entry} | ${u.attribute} value ${u.valueIndex + 1}: ${u.code}: ${u.message}`,
    );
  lines.push('  address books:');
  for (const s of r.sources) lines.push(`    ${sourceText(s)}`);
  return lines;
}

/** The human report: one block per address, then the distribution lists. */
function lookupText(result: ResolveRecipientsResult, at: Date): string {
  const blocks = result.recipients.map((r) => recipientText(r).join('\n'));
  for (const g of result.groups) {
    const lines = [
      `${g.address} (distribution list${g.via.length ? `, member of ${g.via.join(' > ')}` : ''}): ${g.members.length} member(s): ${g.members.join(', ') || '-'}`,
    ];
    if (g.unaddressable.length) lines.push(`  members without an e-mail address: ${g.unaddressable.join(', ')}`);
    if (g.error) lines.push(`  not fully expanded: ${g.error.code}: ${g.error.message}`);
    blocks.push(lines.join('\n'));
  }
  const found = result.recipients.length - result.missing.length;
  blocks.push(`${found} of ${result.recipients.length} address(es) resolved at ${at.toISOString()}`);
  return `${blocks.join('\n\n')}\n`;
}

export const lookupCommand: Command = {
  summary: 'find the encryption certificate of each address in address books, and say why',
  spec: {
    usage: USAGE,
    flags: { ...DIRECTORY_FLAGS, ...BIND_PASSWORD_ALIAS, ...RESOLVE_FLAGS, json: 'boolean' },
    describe: {
      ...DIRECTORY_DESCRIBE,
      ...BIND_PASSWORD_ALIAS_DESCRIBE,
      ...RESOLVE_DESCRIBE,
      json: 'print the report as one JSON document (certificates as base64 DER)',
    },
  },
  async run(args, io: CliIo) {
    const addresses = args.positionals;
    if (addresses.length === 0) throw new UsageError('at least one ADDRESS is required');
    for (const a of addresses) assertAddress(a);
    checkDirectoryFlags(args, true, io);
    const settings = await resolveSettingsFromFlags(args, io);
    const { policy } = settings;
    await withDirectory(args, io, async ({ directory, setup }) => {
      printDirectoryWarnings(io, setup);
      const result = await resolveRecipients(addresses, {
        directory,
        trust: settings.trust,
        at: settings.at,
        intermediates: settings.intermediates,
        crls: settings.crls,
        revocation: settings.revocation,
        secondaryAddresses: policy.useSecondaryProxies,
        groupExpansionTimeoutMs: Math.max(1, policy.groupExpansionTimeoutMs),
      });
      io.stdout(flagBool(args, 'json') ? lookupJson(result, settings.at, setup) : lookupText(result, settings.at));
      // After the report: exit 1 with `error recipient-certificate-missing:` naming everyone without a certificate.
      assertAllResolved(result);
    });
  },
};
