/** `smimekit encrypt`: S/MIME encryption to recipients and, always, the sender. */
import {
  atFromFlags,
  describeCommon,
  ONLINE_FLAGS,
  readAll,
  revocationFromFlags,
  trustFromFlags,
} from '../common-flags.js';
import { isContentCipherName } from '../../cms/content-cipher.js';
import { assertAddress, sameAddress } from '../../directory/address.js';
import { parseCertificate } from '../../x509/index.js';
import { encryptMessage, type EncryptionParty, type EncryptMessageOptions } from '../../smime/encrypt.js';
import { encryptMessageStream } from '../../smime/encrypt-stream.js';
import { openMessageInput, STREAM_DESCRIBE, withProgress, writeStaged } from '../streaming.js';
import { assertAllResolved, resolveRecipients } from '../../smime/resolve.js';
import type { ResolvedCertificate } from '../../directory/select.js';
import type { TrustList } from '../../trust/trust-list.js';
import { bytesEqual } from '../../util/bytes.js';
import { flagBool, flagList, flagString, requireFlag, UsageError, type ParsedArgs } from '../args.js';
import {
  BIND_PASSWORD_ALIAS,
  BIND_PASSWORD_ALIAS_DESCRIBE,
  DIRECTORY_DESCRIBE,
  DIRECTORY_FLAGS,
  DIRECTORY_USAGE,
  checkDirectoryFlags,
  hasDirectoryFlags,
  printDirectoryWarnings,
  withDirectory,
} from '../directory-flags.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';
import {
  HEADER_PROTECTION_DESCRIBE,
  HEADER_PROTECTION_FLAGS,
  headerProtectionFromFlags,
} from '../header-protection-flags.js';

const USAGE = [
  'smimekit encrypt (--to CERT... | --rcpt ADDRESS...) --from CERT (--trust FILE... [--certs FILE...] [--crl FILE...] [--at ISO-8601] [--online] | --no-validate)',
  '                 [--cipher aes-256-gcm|aes-128-gcm|aes-256-cbc|aes-128-cbc] [--oaep|--pkcs1] [--header-protection [--hcp baseline|shy|none] [--no-legacy-display]]',
  '                 [--stream] [--quiet] [--in FILE] [--out FILE]',
  `                 ${DIRECTORY_USAGE}`,
].join('\n');

const CIPHERS = ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-128-cbc'];

export const encryptCommand: Command = {
  summary: 'encrypt a message to its recipients and the sender (EnvelopedData / AuthEnvelopedData)',
  spec: {
    usage: USAGE,
    flags: {
      to: 'repeat',
      rcpt: 'repeat',
      from: 'string',
      trust: 'repeat',
      certs: 'repeat',
      crl: 'repeat',
      'no-validate': 'boolean',
      ...ONLINE_FLAGS,
      cipher: 'string',
      oaep: 'boolean',
      pkcs1: 'boolean',
      ...HEADER_PROTECTION_FLAGS,
      stream: 'boolean',
      quiet: 'boolean',
      in: 'string',
      out: 'string',
      at: 'string',
      ...DIRECTORY_FLAGS,
      ...BIND_PASSWORD_ALIAS,
    },
    describe: {
      to: "CERT  a recipient's certificate (PEM or DER)",
      rcpt: 'ADDRESS  a recipient whose certificate is found in the address books, as smimekit lookup finds it',
      from: "CERT  the sender's certificate: the message is always encrypted to the sender too",
      ...describeCommon('trust', 'certs', 'crl', 'at', 'online', 'online-timeout'),
      'no-validate': 'use the certificates without validating them (not with --rcpt)',
      cipher:
        'aes-256-gcm|aes-128-gcm|aes-256-cbc|aes-128-cbc  the content cipher (default: the most interoperable one every recipient supports)',
      oaep: 'RSA key transport with RSAES-OAEP',
      pkcs1: 'RSA key transport with PKCS#1 v1.5',
      ...HEADER_PROTECTION_DESCRIBE,
      ...STREAM_DESCRIBE,
      in: 'FILE  the MIME entity or RFC 5322 message to encrypt (default: standard input)',
      ...describeCommon('out'),
      ...DIRECTORY_DESCRIBE,
      ...BIND_PASSWORD_ALIAS_DESCRIBE,
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const to = flagList(args, 'to');
    const rcpt = flagList(args, 'rcpt');
    if (to.length === 0 && rcpt.length === 0)
      throw new UsageError('at least one --to CERT or --rcpt ADDRESS is required');
    const from = requireFlag(args, 'from');
    const noValidate = flagBool(args, 'no-validate');
    const trustFiles = flagList(args, 'trust');
    if (noValidate && trustFiles.length) throw new UsageError('--no-validate and --trust exclude each other');
    if (!noValidate && trustFiles.length === 0)
      throw new UsageError('--trust FILE is required to validate the certificates (or pass --no-validate explicitly)');
    if (noValidate && args.flags.has('at'))
      throw new UsageError('--at is the validation time: it has no use with --no-validate');
    checkRcptFlags(args, io, rcpt, noValidate);
    const cipher = flagString(args, 'cipher');
    if (cipher !== undefined && (!CIPHERS.includes(cipher) || !isContentCipherName(cipher))) {
      throw new UsageError(`--cipher must be one of ${CIPHERS.join(', ')}, not "${cipher}"`);
    }
    if (flagBool(args, 'oaep') && flagBool(args, 'pkcs1'))
      throw new UsageError('--oaep and --pkcs1 exclude each other');

    const options: EncryptMessageOptions = {
      recipients: await Promise.all(to.map((p) => readInput(io, p))),
      sender: await readInput(io, from),
      validate: !noValidate,
    };
    if (cipher !== undefined && isContentCipherName(cipher)) options.cipher = cipher;
    const headerProtection = headerProtectionFromFlags(args);
    if (headerProtection) options.headerProtection = headerProtection;
    if (flagBool(args, 'oaep')) options.keyTransport = 'rsa-oaep';
    if (flagBool(args, 'pkcs1')) options.keyTransport = 'rsa-pkcs1';
    if (!noValidate) {
      options.trust = await trustFromFlags(args, io);
      options.intermediates = await readAll(args, io, 'certs');
      options.crls = await readAll(args, io, 'crl');
      options.at = atFromFlags(args, io);
      options.revocation = revocationFromFlags(args);
    } else if (flagBool(args, 'online')) {
      throw new UsageError('--online checks revocation while validating: it has no use with --no-validate');
    }
    if (rcpt.length) await addDirectoryRecipients(args, io, rcpt, options);
    const input = await openMessageInput(args, io, flagString(args, 'in'));
    const result =
      'bytes' in input
        ? await encryptMessage(input.bytes, options)
        : await encryptMessageStream(withProgress(args, io, input, 'encrypting'), options);
    if ('stream' in result) await writeStaged(io, flagString(args, 'out'), result.stream);
    else await writeOutput(io, flagString(args, 'out'), result.message);
    // Interoperability notes for the person sending (exit 0: these are not errors).
    for (const w of result.warnings) io.stderr(`warning ${w.code}: ${w.message}\n`);
  },
};

/** `--rcpt` needs validation and an address book; address-book flags without `--rcpt` would be ignored, so they are refused. */
function checkRcptFlags(args: ParsedArgs, io: CliIo, rcpt: readonly string[], noValidate: boolean): void {
  if (rcpt.length === 0) {
    if (hasDirectoryFlags(args))
      throw new UsageError('the address-book flags (--dir, --ldap ...) are used only with --rcpt ADDRESS');
    return;
  }
  if (noValidate)
    throw new UsageError('--rcpt needs --trust: certificates found in address books are always validated');
  for (const a of rcpt) assertAddress(a);
  checkDirectoryFlags(args, true, io);
}

/** The address the party is validated for: the one asked, or the other address of the same entry its certificate names. */
function partyAddress(r: ResolvedCertificate): string {
  const emails = parseCertificate(r.certificate!).emailAddresses;
  return emails.some((e) => sameAddress(e, r.address)) ? r.address : (emails[0] ?? r.address);
}

/**
 * Resolves every `--rcpt` address in the address books (refusing when any
 * has no usable certificate) and adds each chosen certificate, with its
 * published capabilities and chain, as a recipient.
 */
async function addDirectoryRecipients(
  args: ParsedArgs,
  io: CliIo,
  rcpt: readonly string[],
  options: EncryptMessageOptions,
): Promise<void> {
  await withDirectory(args, io, async ({ directory, setup }) => {
    printDirectoryWarnings(io, setup);
    const result = await resolveRecipients(rcpt, {
      directory,
      trust: options.trust as TrustList,
      at: options.at!,
      intermediates: options.intermediates as Uint8Array[],
      crls: options.crls as Uint8Array[],
      ...(options.revocation !== undefined ? { revocation: options.revocation } : {}),
    });
    assertAllResolved(result);
    const parties: EncryptionParty[] = [];
    const chains: Uint8Array[] = [];
    for (const r of result.recipients) {
      if (!r.certificate || parties.some((p) => bytesEqual(p.certificate as Uint8Array, r.certificate!))) continue;
      const capabilities = r.chosen?.candidate.capabilities?.map((c) => c.oid);
      parties.push({
        address: partyAddress(r),
        certificate: r.certificate,
        ...(capabilities?.length ? { capabilities } : {}),
      });
      chains.push(...(r.chosen?.candidate.chain ?? []));
    }
    options.recipients = [...options.recipients, ...parties];
    // encryptMessage validates again; the chains published beside the certificates complete their paths.
    options.intermediates = [...(options.intermediates ?? []), ...chains];
  });
}
