/** `smimekit read`: unwraps every signed / encrypted / compressed layer, verifies and reports. */
import {
  atFromFlags,
  contentDestination,
  describeCommon,
  ONLINE_FLAGS,
  readAll,
  revocationFromFlags,
  trustFromFlags,
} from '../common-flags.js';
import { CryptoError, FormatError } from '../../errors.js';
import { isSmimeErrorCode } from '../../error-codes.js';
import { readMessage, type MessageLayer, type ReadMessageOptions, type ReadMessageResult } from '../../smime/read.js';
import { headerProtectionLabel, type HeaderProtectionResult } from '../../smime/header-protection-read.js';
import { headerProtectionJson, type StreamHeaderProtectionResult } from '../../smime/header-protection-stream-read.js';
import { readMessageStream, type ReadMessageStreamResult } from '../../smime/read-stream.js';
import { drain, openMessageInput, STREAM_DESCRIBE, withProgress, writeStaged } from '../streaming.js';
import { flagBool, flagString, UsageError } from '../args.js';
import {
  IDENTITY_DESCRIBE,
  IDENTITY_FLAGS,
  IDENTITY_USAGE,
  hasIdentityFlags,
  loadIdentityFromFlags,
} from '../identity-flags.js';
import { writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

const USAGE = [
  `smimekit read --trust FILE... [--certs FILE...] [--crl FILE...] ${IDENTITY_USAGE} [--at ISO-8601] [--allow-weak]`,
  '              [--allow-sender-mismatch] [--require-authenticated] [--allow-legacy-gcm] [--json] [--stream] [--quiet]',
  '              [--online [--online-timeout MS]] [--in FILE] [--out FILE]',
  '  A signed message must be signed by its From/Sender (sender-mismatch). Encrypted content that neither AES-GCM nor',
  '  a signature protects gets the warning unauthenticated-encryption (refused with --require-authenticated).',
].join('\n');

function layerJson(l: MessageLayer): unknown {
  if (l.type === 'signed') return { type: l.type, form: l.form, ok: l.ok, signers: l.signers, problems: l.problems };
  return l;
}

/** `readMessage`'s result, or `readMessageStream`'s (its header protection has no display body). */
type Printable = Omit<ReadMessageResult, 'headerProtection'> & {
  headerProtection?: HeaderProtectionResult | StreamHeaderProtectionResult | undefined;
};

/** The read report as plain JSON. */
function readResultToJson(r: Printable): unknown {
  return {
    ok: r.ok,
    signed: r.signed,
    encrypted: r.encrypted,
    authenticated: r.authenticated,
    layers: r.layers.map(layerJson),
    problems: r.problems,
    warnings: r.warnings,
    ...(r.headerProtection ? { headerProtection: headerProtectionJson(r.headerProtection) } : {}),
    contentLength: r.content.length,
  };
}

/** Human-readable summary, one line per layer. */
function readResultToText(r: Printable): string {
  const lines = [`${r.ok ? 'OK' : 'NOT OK'}: ${r.layers.length} layer(s)`];
  r.layers.forEach((l, i) => {
    if (l.type === 'enveloped')
      lines.push(
        `  [${i}] ${l.envelopeType} ${l.cipher} (${l.recipient.keyManagement}, recipient ${l.recipient.index + 1})`,
      );
    else if (l.type === 'compressed') lines.push(`  [${i}] compressed`);
    else {
      lines.push(`  [${i}] signed (${l.form}): ${l.ok ? 'valid' : 'INVALID'}`);
      for (const s of l.signers)
        lines.push(
          `      ${s.email ?? s.subject ?? '?'}: signature ${s.signatureValid ? 'valid' : 'invalid'}, chain ${s.chainValid ? 'valid' : 'invalid'}`,
        );
    }
  });
  const hp = r.headerProtection;
  if (hp) {
    lines.push(
      `header protection: ${headerProtectionLabel(hp)}, ${hp.trusted ? 'protected header fields shown' : 'not trusted: outer header fields shown'}`,
    );
    for (const [name, value] of hp.displayHeaders) lines.push(`  ${name}: ${value}`);
  }
  for (const p of r.problems) lines.push(`  problem ${p.code} (layer ${p.layer}): ${p.message}`);
  return `${lines.join('\n')}\n`;
}

export const readCommand: Command = {
  summary: 'decrypt and verify every layer of a message (sign+encrypt, triple wrap) and write the innermost content',
  spec: {
    usage: USAGE,
    flags: {
      ...IDENTITY_FLAGS,
      trust: 'repeat',
      certs: 'repeat',
      crl: 'repeat',
      at: 'string',
      'allow-weak': 'boolean',
      'allow-sender-mismatch': 'boolean',
      'require-authenticated': 'boolean',
      'allow-legacy-gcm': 'boolean',
      ...ONLINE_FLAGS,
      json: 'boolean',
      stream: 'boolean',
      quiet: 'boolean',
      in: 'string',
      out: 'string',
    },
    describe: {
      ...IDENTITY_DESCRIBE,
      ...describeCommon('trust', 'certs', 'crl', 'at', 'allow-weak', 'online', 'online-timeout'),
      'allow-sender-mismatch':
        'accept a signer whose certificate is not for the From/Sender addresses (warning sender-mismatch instead of a failure)',
      'require-authenticated':
        'refuse encrypted content that neither AES-GCM nor a valid signature protects (unauthenticated-encryption, exit 1)',
      'allow-legacy-gcm': 'read AES-GCM with a nonce other than 12 bytes or a 4- or 8-byte tag (legacy-gcm-parameters)',
      json: 'print the JSON report on standard output (the content then goes only to --out FILE)',
      ...STREAM_DESCRIBE,
      in: 'FILE  the message (default: standard input)',
      out: 'FILE  where the innermost content goes (default: standard output); only when every layer checked out',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const json = flagBool(args, 'json');
    const out = contentDestination(args, json); // checked before any work
    const trust = (await trustFromFlags(args, io))!;
    const at = atFromFlags(args, io);
    const identities = hasIdentityFlags(args) ? [await loadIdentityFromFlags(args, io)] : [];
    const input = await openMessageInput(args, io, flagString(args, 'in'));
    const options = {
      identities,
      trust,
      at,
      intermediates: await readAll(args, io, 'certs'),
      crls: await readAll(args, io, 'crl'),
      allowWeak: flagBool(args, 'allow-weak'),
      allowSenderMismatch: flagBool(args, 'allow-sender-mismatch'),
      requireAuthenticated: flagBool(args, 'require-authenticated'),
      allowLegacyGcm: flagBool(args, 'allow-legacy-gcm'),
      revocation: revocationFromFlags(args),
    };
    if (!('bytes' in input)) {
      await readStreamed(io, withProgress(args, io, input, 'reading'), options, out, json);
      return;
    }
    const result = await readMessage(input.bytes, options);
    // A message without any S/MIME layer has nothing to check: say so instead of passing it through as "ok".
    if (result.layers.length === 0)
      throw new FormatError('not-smime', 'the input has no S/MIME layer (not signed, encrypted or compressed)');
    // As verify: the content is the output (only when every layer checked out; `smimekit decrypt` gives the raw
    // content), the report goes to standard error, or with --json to standard output.
    printResult(io, result, result.content.length, json);
    if (result.ok && out === '-') io.stdout(result.content);
    else if (result.ok && out !== undefined) await writeOutput(io, out, result.content);
    failIfNotOk(result);
  },
};

/** The report on standard error (with --json on standard output); warnings always on standard error. */
function printResult(io: CliIo, result: Omit<Printable, 'content'>, contentLength: number, json: boolean): void {
  const full = { ...result, content: new Uint8Array(0) };
  if (json) io.stdout(`${JSON.stringify({ ...(readResultToJson(full) as object), contentLength }, null, 2)}\n`);
  else io.stderr(readResultToText(full));
  // Warnings (unauthenticated-encryption, sender-missing, ...) go to standard error, also with --json.
  for (const w of result.warnings) io.stderr(`warning ${w.code}: ${w.message}\n`);
}

/** A failed check on a well-formed message exits 1 with the first problem's code. */
function failIfNotOk(result: Pick<ReadMessageStreamResult, 'ok' | 'problems'>): void {
  if (result.ok) return;
  const first = result.problems[0];
  // A custom verifier may report codes of its own; the exit line keeps to the documented ones.
  const code = isSmimeErrorCode(first?.code) ? first.code : 'bad-signature';
  throw new CryptoError(code, first?.message ?? 'a signed layer did not verify');
}

/** A large message: every layer opened as it streams; the content appears (staged) only when all checked out. */
async function readStreamed(
  io: CliIo,
  input: ReadableStream<Uint8Array>,
  options: ReadMessageOptions,
  out: string | undefined,
  json: boolean,
): Promise<void> {
  const read = await readMessageStream(input, options);
  let length = 0;
  const counted = read.stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        length += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  let failure: Error | undefined;
  try {
    if (out === undefined) await drain(counted);
    else await writeStaged(io, out, counted);
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  }
  const result = await read.result.catch((e: unknown) => {
    throw failure ?? (e instanceof Error ? e : new Error(String(e)));
  });
  if (result.layers.length === 0)
    throw new FormatError('not-smime', 'the input has no S/MIME layer (not signed, encrypted or compressed)');
  printResult(io, result, length, json);
  failIfNotOk(result);
  if (failure) throw failure;
}
