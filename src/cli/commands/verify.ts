/** `smimekit verify`: verifies an S/MIME message (or a bare CMS SignedData) and prints the report. */
import {
  atFromFlags,
  contentDestination,
  describeCommon,
  ONLINE_FLAGS,
  readAll,
  revocationFromFlags,
  strictnessFromFlags,
  trustFromFlags,
} from '../common-flags.js';
import { verifyMessage, verifySignedContent, type VerifyMessageOptions } from '../../smime/verify.js';
import { verifyMessageStream, type VerifyMessageStreamReport } from '../../smime/verify-stream.js';
import { drain, openMessageInput, STREAM_DESCRIBE, withProgress, writeStaged } from '../streaming.js';
import { verifyReportToJson, verifyReportToText, type VerifyReport } from '../../smime/report.js';
import { looksLikePem } from '../../util/pem.js';
import { latin1 } from '../../util/bytes.js';
import { flagBool, flagString, UsageError } from '../args.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import { CheckFailed, type Command } from '../command.js';

const USAGE = [
  'smimekit verify --trust FILE... [--certs FILE...] [--crl FILE...] [--at ISO-8601] [--from ADDR] [--allow-weak]',
  '                [--allow-sender-mismatch] [--allow-partial] [--strictness default|strict|lenient] [--json]',
  '                [--online [--online-timeout MS]] [--stream] [--quiet] [--in FILE] [--content FILE] [--out FILE]',
  '  By default a signer must be for every From/Sender address (sender-mismatch) and one signature must cover the',
  '  whole message (partially-signed); --allow-sender-mismatch and --allow-partial turn these into warnings.',
  '  --content FILE: the content a detached signature (--in SIG.p7s, DER or PEM) covers, hashed exactly as given.',
  '  The verified content (the exact bytes the innermost signature covers) goes to standard output, or to --out FILE,',
  '  only when verification succeeds; the report goes to standard error (with --json: to standard output).',
].join('\n');

/** Bare CMS (DER SEQUENCE or a PEM PKCS7/CMS block) rather than a MIME message. */
function isBareCms(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x30) return true;
  return looksLikePem(bytes) && /-----BEGIN (PKCS7|CMS)-----/.test(latin1(bytes.subarray(0, 200)));
}

export const verifyCommand: Command = {
  summary: 'verify the signatures of a message and validate the signers (content on stdout, report on stderr)',
  spec: {
    usage: USAGE,
    flags: {
      trust: 'repeat',
      certs: 'repeat',
      crl: 'repeat',
      at: 'string',
      from: 'string',
      'allow-weak': 'boolean',
      'allow-sender-mismatch': 'boolean',
      'allow-partial': 'boolean',
      strictness: 'string',
      ...ONLINE_FLAGS,
      json: 'boolean',
      stream: 'boolean',
      quiet: 'boolean',
      in: 'string',
      content: 'string',
      out: 'string',
    },
    describe: {
      ...describeCommon('trust', 'certs', 'crl', 'at', 'allow-weak', 'strictness', 'online', 'online-timeout'),
      from: 'ADDR  an address the message must be from (e.g. the envelope sender): every signer must be valid for it',
      'allow-sender-mismatch':
        'accept a signer whose certificate is not for the From/Sender addresses (warning sender-mismatch instead of a failure)',
      'allow-partial':
        'accept a message only part of which is signed, e.g. with a mailing-list footer (warning partially-signed instead of a failure)',
      json: 'print the JSON report on standard output (the content then goes only to --out FILE)',
      ...STREAM_DESCRIBE,
      in: 'FILE  the signed message, or a bare signature (.p7s, DER or PEM) (default: standard input)',
      content: 'FILE  the content a detached bare signature (--in SIG.p7s) covers, hashed exactly as given',
      out: 'FILE  where the verified content goes (default: standard output); only when verification succeeds',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const at = atFromFlags(args, io);
    const from = flagString(args, 'from');
    if (from !== undefined && !/^[^\s@]+@[^\s@]+$/.test(from))
      throw new UsageError(`--from "${from}" is not an e-mail address`);

    const json = flagBool(args, 'json');
    const out = contentDestination(args, json); // checked before any work
    const trust = (await trustFromFlags(args, io))!;
    const certificates = await readAll(args, io, 'certs');
    const crls = await readAll(args, io, 'crl');
    const contentFile = flagString(args, 'content');
    if (contentFile !== undefined && (contentFile === '-' || flagString(args, 'in') === undefined))
      throw new UsageError(
        '--content FILE needs the signature in --in FILE (standard input can carry only one of them)',
      );
    const strictness = strictnessFromFlags(args);
    const opened = contentFile === undefined ? await openMessageInput(args, io, flagString(args, 'in')) : undefined;

    const options = {
      trust,
      at,
      intermediates: certificates,
      crls,
      allowWeak: flagBool(args, 'allow-weak'),
      allowSenderMismatch: flagBool(args, 'allow-sender-mismatch'),
      allowPartial: flagBool(args, 'allow-partial'),
      revocation: revocationFromFlags(args),
      ...(from !== undefined ? { from } : {}),
      ...(strictness !== undefined ? { validation: { strictness } } : {}),
    };
    if (opened && !('bytes' in opened)) {
      await verifyStreamed(io, withProgress(args, io, opened, 'verifying'), options, out, json);
      return;
    }
    const input = opened ? opened.bytes : await readInput(io, flagString(args, 'in'));
    let report: VerifyReport;
    if (contentFile !== undefined) {
      if (!isBareCms(input))
        throw new UsageError('--content goes with a bare detached signature (.p7s, DER or PEM), not a MIME message');
      report = await verifySignedContent(input, { ...options, content: await readInput(io, contentFile) });
    } else report = await verifyMessage(input, options); // bare CMS too, as an opaque layer (as with --stream)

    // As openssl cms -verify: the verified content is the output; the report goes to standard error, or with
    // --json to standard output (then the content only to --out FILE). Nothing unverified is ever written.
    printReport(io, report, json);
    if (out === '-') io.stdout(report.content);
    else if (out !== undefined) await writeOutput(io, out, report.content);
  },
};

/** The report on standard error (standard output with --json); a failed check exits 1 with its first problem. */
function printReport(
  io: CliIo,
  report: Omit<VerifyReport, 'content'> | VerifyMessageStreamReport,
  json: boolean,
): void {
  const full = { content: new Uint8Array(0), ...report };
  if (json) io.stdout(`${JSON.stringify(verifyReportToJson(full), null, 2)}\n`);
  else io.stderr(verifyReportToText(full));
  if (!report.ok) {
    const first = report.problems[0] ?? { code: 'bad-signature', message: 'verification failed' };
    throw new CheckFailed(
      first.code,
      first.signer !== undefined ? `signer ${first.signer}: ${first.message}` : first.message,
    );
  }
}

/** A large message: the signed content streams to a staged output that appears only when the report is ok. */
async function verifyStreamed(
  io: CliIo,
  input: ReadableStream<Uint8Array>,
  options: VerifyMessageOptions,
  out: string | undefined,
  json: boolean,
): Promise<void> {
  const verified = await verifyMessageStream(input, options);
  let failure: Error | undefined;
  try {
    if (out === undefined) await drain(verified.stream);
    else await writeStaged(io, out, verified.stream);
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  }
  // A failed check ends the stream with an error, but the report says everything: print it, exit by it.
  const report = await verified.report.catch((e: unknown) => {
    throw failure ?? (e instanceof Error ? e : new Error(String(e)));
  });
  printReport(io, report, json);
  if (failure) throw failure;
}
