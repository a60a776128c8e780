/**
 * `smimekit compose`: a whole message ready for SMTP, as `composeMessage`
 * writes it: headers (never Bcc), the body, signing and encryption per the
 * flags or the tenant policy, recipients' certificates from address books,
 * and one copy per Bcc fork. The SMTP envelope of every copy goes to stderr,
 * since Bcc recipients appear nowhere in the messages.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { composeMessage, type ComposeOptions, type ComposeResult } from '../../smime/compose.js';
import type { SmimePolicy } from '../../smime/policy.js';
import { flagBool, flagList, flagString, requireFlag, UsageError, type ParsedArgs } from '../args.js';
import { atFromFlags, readAll, revocationFromFlags, trustFromFlags } from '../common-flags.js';
import {
  DIRECTORY_DESCRIBE,
  DIRECTORY_FLAGS,
  DIRECTORY_USAGE,
  RESOLVE_DESCRIBE,
  RESOLVE_FLAGS,
  checkDirectoryFlags,
  policyFromFlags,
  printDirectoryWarnings,
  withDirectory,
} from '../directory-flags.js';
import {
  IDENTITY_DESCRIBE,
  IDENTITY_FLAGS,
  IDENTITY_USAGE,
  PASSWORD_USAGE,
  hasIdentityFlags,
  loadIdentityFromFlags,
} from '../identity-flags.js';
import { fileError } from '../../node/files.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';
import {
  HEADER_PROTECTION_DESCRIBE,
  HEADER_PROTECTION_FLAGS,
  headerProtectionFromFlags,
} from '../header-protection-flags.js';

const USAGE = [
  'smimekit compose --from ADDRESS (--to|--rcpt ADDRESS... | --cc ADDRESS... | --bcc ADDRESS...) [--subject TEXT] [--in FILE]',
  `                 [--p12 FILE | --cert FILE --key FILE] ${PASSWORD_USAGE}`,
  '                 [--sign] [--encrypt] [--policy FILE] [--trust FILE...] [--certs FILE...] [--crl FILE...] [--at ISO-8601]',
  '                 [--online [--online-timeout MS]] [--header-protection [--hcp baseline|shy|none] [--no-legacy-display]]',
  '                 [--out FILE | --out-dir DIR]',
  `                 ${DIRECTORY_USAGE}`,
].join('\n');

/** Flag checks that need no file: they come before anything is read. */
function checkFlags(args: ParsedArgs): void {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  requireFlag(args, 'from');
  if (!['to', 'rcpt', 'cc', 'bcc'].some((f) => flagList(args, f).length))
    throw new UsageError('the message needs a recipient: --to (or --rcpt), --cc or --bcc ADDRESS');
  if (args.flags.has('out') && args.flags.has('out-dir'))
    throw new UsageError('use either --out FILE or --out-dir DIR, not both');
}

/** Whether to sign and encrypt: the flags, else the policy's alwaysSign / alwaysEncrypt. */
function protection(args: ParsedArgs, policy: SmimePolicy | undefined): { sign: boolean; encrypt: boolean } {
  return {
    sign: flagBool(args, 'sign') || policy?.alwaysSign === true,
    encrypt: flagBool(args, 'encrypt') || policy?.alwaysEncrypt === true,
  };
}

/** Everything `composeMessage` needs but the address books. */
async function composeOptions(
  args: ParsedArgs,
  io: CliIo,
  policy: SmimePolicy | undefined,
  wanted: { sign: boolean; encrypt: boolean },
): Promise<ComposeOptions> {
  const options: ComposeOptions = { sign: wanted.sign, encrypt: wanted.encrypt, at: atFromFlags(args, io) };
  if (policy) options.policy = policy;
  if (wanted.sign || wanted.encrypt) {
    // Signing needs the key; encrypting needs the sender's certificate (the sender can always read the message).
    if (!hasIdentityFlags(args))
      throw new UsageError(`${wanted.sign ? 'signing' : 'encrypting'} needs the sender's identity: ${IDENTITY_USAGE}`);
    const identity = await loadIdentityFromFlags(args, io);
    options.identity = { certificate: identity.certificate, privateKey: identity.privateKey, chain: identity.chain };
  }
  const trust = await trustFromFlags(args, io, false);
  if (trust) options.trust = trust; // wins over the policy's trust list
  if (wanted.encrypt && !trust && !policy?.trust)
    throw new UsageError('encrypting needs --trust FILE (or a --policy that names the trust list)');
  options.intermediates = await readAll(args, io, 'certs');
  options.crls = await readAll(args, io, 'crl');
  const headerProtection = headerProtectionFromFlags(args);
  if (headerProtection) options.headerProtection = headerProtection;
  const revocation = revocationFromFlags(args);
  if (typeof revocation === 'object') {
    const { mode: _policyDecides, ...sources } = revocation; // the mode comes from the policy
    options.revocation = sources;
  }
  return options;
}

/** Writes the copies: one to --out / stdout (or 1.eml in --out-dir), several only into --out-dir. */
async function writeMessages(args: ParsedArgs, io: CliIo, result: ComposeResult): Promise<string[]> {
  const outDir = flagString(args, 'out-dir');
  const { messages } = result;
  if (outDir === undefined) {
    if (messages.length > 1) {
      throw new UsageError(
        `the message is sent as ${messages.length} copies (each Bcc recipient gets a separately encrypted copy): give --out-dir DIR`,
      );
    }
    const out = flagString(args, 'out');
    await writeOutput(io, out, messages[0]!.message);
    return [out === undefined || out === '-' ? '-' : out];
  }
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    throw fileError(outDir, e, true);
  }
  const names: string[] = [];
  for (const [i, m] of messages.entries()) {
    const name = join(outDir, `${i + 1}.eml`);
    await io.writeFile(name, m.message);
    names.push(name);
  }
  return names;
}

/** One `envelope` line per copy: what to hand to the MTA (MAIL FROM / RCPT TO). */
function printEnvelopes(io: CliIo, result: ComposeResult, names: readonly string[]): void {
  for (const [i, m] of result.messages.entries()) {
    const encrypted = m.encryptedTo.length ? `, encrypted to ${m.encryptedTo.join(', ')}` : '';
    io.stderr(
      `envelope ${names[i]}: from ${m.envelope.from} to ${m.envelope.to.join(', ')} (${m.kind === 'bcc' ? 'Bcc copy' : 'main copy'}${encrypted})\n`,
    );
  }
}

export const composeCommand: Command = {
  summary: 'compose a message: headers, body, signing and encryption to certificates found in address books, Bcc forks',
  spec: {
    usage: USAGE,
    flags: {
      from: 'string',
      to: 'repeat',
      rcpt: 'repeat',
      cc: 'repeat',
      bcc: 'repeat',
      subject: 'string',
      in: 'string',
      sign: 'boolean',
      encrypt: 'boolean',
      out: 'string',
      'out-dir': 'string',
      ...IDENTITY_FLAGS,
      ...RESOLVE_FLAGS,
      ...DIRECTORY_FLAGS,
      ...HEADER_PROTECTION_FLAGS,
    },
    describe: {
      from: "ADDRESS  the sender, a@b or 'Name <a@b>'; with --sign / --encrypt its certificate must be valid for it",
      to: 'ADDRESS  a To recipient (Name <a@b> accepted)',
      rcpt: 'ADDRESS  the same as --to',
      cc: 'ADDRESS  a Cc recipient',
      bcc: 'ADDRESS  a Bcc recipient: in no header; encrypted messages get a copy of their own',
      subject: 'TEXT  the subject (non-ASCII is written as RFC 2047 encoded-words)',
      in: 'FILE  the body: UTF-8 text or a MIME entity (default: standard input)',
      sign: "sign (default: the policy's OWAAlwaysSign)",
      encrypt: "encrypt, to every recipient and the sender (default: the policy's OWAAlwaysEncrypt)",
      out: 'FILE  where the message goes when it is one message (default: standard output)',
      'out-dir': 'DIR  write the copies as DIR/1.eml, DIR/2.eml, ... (required when there are several)',
      ...IDENTITY_DESCRIBE,
      ...RESOLVE_DESCRIBE,
      trust: "FILE  trust anchors (SST, PEM, DER or PKCS#7); encrypting needs them or the policy's trust list",
      ...DIRECTORY_DESCRIBE,
      ...HEADER_PROTECTION_DESCRIBE,
    },
  },
  async run(args, io: CliIo) {
    checkFlags(args);
    checkDirectoryFlags(args, flagBool(args, 'encrypt'), io);
    const policy = await policyFromFlags(args, io);
    const decided = protection(args, policy);
    // The policy may turn encryption on: then the address books are required too.
    if (decided.encrypt) checkDirectoryFlags(args, true, io);
    const options = await composeOptions(args, io, policy, decided);
    const subject = flagString(args, 'subject');
    const envelope = {
      from: flagString(args, 'from')!,
      // --rcpt is the name for a To recipient resolved through the address books, as for encrypt.
      to: [...flagList(args, 'to'), ...flagList(args, 'rcpt')],
      cc: flagList(args, 'cc'),
      bcc: flagList(args, 'bcc'),
      ...(subject !== undefined ? { subject } : {}),
      content: await readInput(io, flagString(args, 'in')),
    };
    const run = async (): Promise<ComposeResult> => composeMessage(envelope, options);
    const result = decided.encrypt
      ? await withDirectory(args, io, async ({ directory, setup }) => {
          printDirectoryWarnings(io, setup);
          options.directory = directory;
          return run();
        })
      : await run();
    const names = await writeMessages(args, io, result);
    printEnvelopes(io, result, names);
    for (const w of result.warnings) io.stderr(`warning ${w.code}: ${w.message}\n`);
  },
};
