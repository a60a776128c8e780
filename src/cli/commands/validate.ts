/** `smimekit validate`: RFC 5280 / S/MIME validation of a certificate against trust lists, with a report. */
import {
  atFromFlags,
  describeCommon,
  ONLINE_FLAGS,
  readAll,
  revocationFromFlags,
  strictnessFromFlags,
  trustFromFlags,
} from '../common-flags.js';
import { ValidationError } from '../../errors.js';
import { validateCertificate } from '../../trust/validate.js';
import {
  validationReportToJson,
  type CertificateRevocation,
  type TrustProblem,
  type ValidationReport,
} from '../../trust/report.js';
import type { RevocationMode, TrustPurpose } from '../../trust/options.js';
import { flagBool, flagList, flagString, requireFlag, UsageError } from '../args.js';
import { readInput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

const USAGE = [
  'smimekit validate --trust FILE... --cert EE [--untrusted FILE...] [--crl FILE...] [--at ISO-8601]',
  '                  [--purpose sign|encrypt|any] [--email ADDR] [--policy OID]... [--require-explicit-policy]',
  '                  [--inhibit-policy-mapping] [--inhibit-any-policy] [--allow-weak] [--revocation off|prefer|require]',
  '                  [--online [--online-timeout MS]] [--strictness default|strict|lenient] [--json]',
].join('\n');

function problemLine(p: TrustProblem): string {
  const where = p.certificate ? ` [${p.certificate.index}] ${p.certificate.subject}` : '';
  return `  ${p.code}${where}: ${p.message}`;
}

/** One certificate's revocation status and where it came from. */
function revocationLine(r: CertificateRevocation): string {
  let how: string;
  if (r.source === 'ocsp' && r.ocsp) how = `OCSP ${r.ocsp.url}${r.ocsp.cached ? ' (cached)' : ''}`;
  else if (r.source === 'crl' && r.crls?.length)
    how = r.crls
      .map((c) =>
        c.origin === 'fetched'
          ? `CRL ${c.url}${c.cached ? ' (cached)' : ''}`
          : `CRL from the ${c.origin === 'supplied' ? '--crl files' : 'trust list'}`,
      )
      .join(', ');
  else if (r.source === 'checker') how = 'revocation checker';
  else how = r.message;
  const tried = (r.attempts ?? []).map((a) => `\n      tried ${a.url}: ${a.code}: ${a.message}`).join('');
  return `  [${r.index}] ${r.status}: ${how}${tried}`;
}

/** Human-readable report. */
function reportToText(report: ValidationReport): string {
  const lines = [
    `${report.valid ? 'VALID' : 'INVALID'}: ${report.path[0]?.subject ?? '(no certificate)'} (at ${report.at.toISOString()})`,
    'path:',
  ];
  report.path.forEach((p, i) => {
    lines.push(`  [${i}] ${p.subject}${p.anchor ? ' (trust anchor)' : ''}`);
    lines.push(`      serial ${p.serialNumber}, valid ${p.notBefore.toISOString()} .. ${p.notAfter.toISOString()}`);
  });
  if (report.problems.length) lines.push('problems:', ...report.problems.map(problemLine));
  if (report.warnings.length) lines.push('warnings:', ...report.warnings.map(problemLine));
  if (report.valid && report.policies.length) lines.push(`policies: ${report.policies.join(', ')}`);
  if (report.revocation.length) lines.push('revocation:', ...report.revocation.map(revocationLine));
  return `${lines.join('\n')}\n`;
}

export const validateCommand: Command = {
  summary: 'validate a certificate against trust lists (RFC 5280 + S/MIME rules) and explain the result',
  spec: {
    usage: USAGE,
    flags: {
      trust: 'repeat',
      cert: 'string',
      untrusted: 'repeat',
      crl: 'repeat',
      at: 'string',
      purpose: 'string',
      email: 'string',
      policy: 'repeat',
      'require-explicit-policy': 'boolean',
      'inhibit-policy-mapping': 'boolean',
      'inhibit-any-policy': 'boolean',
      'allow-weak': 'boolean',
      revocation: 'string',
      ...ONLINE_FLAGS,
      strictness: 'string',
      json: 'boolean',
    },
    describe: {
      ...describeCommon('trust', 'crl', 'at', 'json', 'strictness', 'online', 'online-timeout'),
      cert: 'FILE  the certificate to validate (PEM or DER)',
      untrusted: 'FILE  intermediate certificates for building the path (not trusted themselves)',
      purpose: 'sign|encrypt|any  what the certificate is for (default sign); any checks RFC 5280 only',
      email: 'ADDR  the address the certificate must be valid for',
      policy: 'OID  an acceptable certificate policy (RFC 5280 user-initial-policy-set)',
      'require-explicit-policy': 'require a valid policy on the path (RFC 5280 initial-explicit-policy)',
      'inhibit-policy-mapping': 'do not allow policy mapping (RFC 5280 initial-policy-mapping-inhibit)',
      'inhibit-any-policy': 'do not accept anyPolicy (RFC 5280 initial-any-policy-inhibit)',
      'allow-weak': 'accept SHA-1, MD5, DSA and short RSA keys',
      revocation:
        'off|prefer|require  revocation checking (default prefer: use the CRLs there are; require: every status must be known)',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const certPath = requireFlag(args, 'cert');
    const purpose = (flagString(args, 'purpose') ?? 'sign') as TrustPurpose;
    if (!['sign', 'encrypt', 'any'].includes(purpose))
      throw new UsageError(`--purpose must be sign, encrypt or any, not "${purpose}"`);
    const mode = (flagString(args, 'revocation') ?? 'prefer') as RevocationMode;
    if (!['off', 'prefer', 'require'].includes(mode))
      throw new UsageError(`--revocation must be off, prefer or require, not "${mode}"`);
    const revocation = revocationFromFlags(args, mode);
    const at = atFromFlags(args, io);
    const policies = flagList(args, 'policy');
    for (const p of policies) if (!/^\d+(\.\d+)+$/.test(p)) throw new UsageError(`--policy ${p} is not a dotted OID`);

    const trust = (await trustFromFlags(args, io))!;
    const intermediates = await readAll(args, io, 'untrusted');
    const crls = await readAll(args, io, 'crl');
    const email = flagString(args, 'email');
    const strictness = strictnessFromFlags(args);

    const report = await validateCertificate(await readInput(io, certPath), {
      trust,
      intermediates,
      crls,
      at,
      purpose,
      revocation,
      allowWeak: flagBool(args, 'allow-weak'),
      initialPolicies: policies,
      requireExplicitPolicy: flagBool(args, 'require-explicit-policy'),
      inhibitPolicyMapping: flagBool(args, 'inhibit-policy-mapping'),
      inhibitAnyPolicy: flagBool(args, 'inhibit-any-policy'),
      ...(email !== undefined ? { email } : {}),
      ...(strictness !== undefined ? { strictness } : {}),
    });
    io.stdout(
      flagBool(args, 'json') ? `${JSON.stringify(validationReportToJson(report), null, 2)}\n` : reportToText(report),
    );
    if (!report.valid) {
      const first = report.problems[0]!;
      // ValidationError exits 1 with the first problem's code (docs/cli.md).
      throw new ValidationError(
        first.code,
        first.certificate ? `${first.certificate.subject}: ${first.message}` : first.message,
      );
    }
  },
};
