/**
 * Shared CLI helper: an identity (certificate + private key) from
 * `--p12 FILE --password PW` or `--cert FILE --key FILE [--password PW]`.
 * The password may instead come from `--password-file FILE` (its first line)
 * or `--password-env NAME`, which keep it out of the process list, or, when
 * none is given and the run is interactive, from a prompt on the terminal.
 */
import { ArgumentError, SmimeError } from '../errors.js';
import { loadIdentity } from '../crypto/identity.js';
import { assertKeyMatchesCertificate } from '../crypto/key-match.js';
import { loadPrivateKey } from '../crypto/private-key.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import { flagBool, flagString, UsageError, type FlagKind, type ParsedArgs } from './args.js';
import { readInput, type CliIo } from './io.js';

/** Flags to merge into a command spec. */
export const IDENTITY_FLAGS: Record<string, FlagKind> = {
  p12: 'string',
  password: 'string',
  'password-file': 'string',
  'password-env': 'string',
  cert: 'string',
  key: 'string',
  'allow-missing-mac': 'boolean',
};

/** `--help` lines of the identity flags. */
export const IDENTITY_DESCRIBE: Record<string, string> = {
  p12: 'FILE  the identity as PKCS#12 (.p12 / .pfx): certificate, private key and chain',
  password:
    'PW  the PKCS#12 or private-key password (shows in the process list: prefer --password-file or --password-env; asked for on a terminal when none is given)',
  'password-file': 'FILE  the password: the first line of FILE',
  'password-env': 'NAME  the password from the environment variable NAME',
  cert: 'FILE  the certificate (PEM or DER; a PEM bundle: the certificate, then its chain), with --key',
  key: 'FILE  its private key (PEM or DER: PKCS#8, encrypted PKCS#8, PKCS#1, SEC1, or encrypted traditional PEM)',
  'allow-missing-mac':
    'read a --p12 file that has no MAC (refused by default: pkcs12-mac-missing); a warning is printed',
};

/** Usage fragment for the identity flags. */
export const IDENTITY_USAGE = '(--p12 FILE --password PW | --cert FILE --key FILE)';

/** A loaded identity: certificate DER, unencrypted PKCS#8 DER, extra certificates of a PKCS#12. */
export interface CliIdentity {
  certificate: Uint8Array;
  privateKey: Uint8Array;
  chain: Uint8Array[];
}

/** Usage fragment for the password alternatives. */
export const PASSWORD_USAGE = '[--password PW | --password-file FILE | --password-env NAME]';

/**
 * The first line of a secret file (no line break, no UTF-8 BOM): what
 * `--password-file` and `--bind-password-file` read.
 */
export async function readSecretFile(io: CliIo, path: string): Promise<string> {
  const text = new TextDecoder().decode(await readInput(io, path)).replace(/^\uFEFF/, '');
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** The value of an environment variable named by a flag; unset is a usage error (an empty value is allowed). */
export function readSecretEnv(name: string, flag: string): string {
  const value = typeof process === 'undefined' ? undefined : process.env[name];
  if (value === undefined) throw new UsageError(`--${flag} ${name}: the environment variable is not set`);
  return value;
}

/**
 * The password from `--password`, `--password-file` or `--password-env`
 * (at most one), or undefined.
 *
 * @throws UsageError when more than one is given
 */
async function passwordFromFlags(args: ParsedArgs, io: CliIo): Promise<string | undefined> {
  const given = ['password', 'password-file', 'password-env'].filter((f) => args.flags.has(f));
  if (given.length > 1) throw new UsageError(`use only one of ${given.map((f) => `--${f}`).join(', ')}`);
  const file = flagString(args, 'password-file');
  if (file !== undefined) return readSecretFile(io, file);
  const env = flagString(args, 'password-env');
  if (env !== undefined) return readSecretEnv(env, 'password-env');
  return flagString(args, 'password');
}

/**
 * True when a missing password may be asked for: an interactive run (`io.promptSecret`: standard input and
 * standard error are terminals) whose standard input carries no data (no `-`, `--in FILE` given).
 */
export function canPrompt(io: CliIo, args: ParsedArgs): boolean {
  return io.promptSecret !== undefined && args.stdin === false;
}

const isPasswordError = (e: unknown): boolean =>
  e instanceof SmimeError && (e.code === 'bad-password' || e.code === 'password-required');

/**
 * Runs `load` with the password of the flags. When none was given and `load` fails for want of the right
 * one (`bad-password`, `password-required`), an interactive run asks for it once; otherwise the error stands.
 */
async function withPassword<T>(
  args: ParsedArgs,
  io: CliIo,
  password: string | undefined,
  file: string,
  load: (password: string | undefined) => Promise<T>,
): Promise<T> {
  try {
    return await load(password);
  } catch (e) {
    if (password !== undefined || !isPasswordError(e) || !canPrompt(io, args)) throw e;
  }
  return load(await io.promptSecret!(`Password for ${file}: `));
}

/** True when any identity flag was given. */
export function hasIdentityFlags(args: ParsedArgs): boolean {
  return ['p12', 'cert', 'key'].some((f) => args.flags.has(f));
}

/**
 * Loads the identity the flags name. A key that does not belong to the
 * certificate is refused (`key-mismatch`).
 *
 * @throws UsageError for missing/conflicting flags.
 */
export async function loadIdentityFromFlags(args: ParsedArgs, io: CliIo): Promise<CliIdentity> {
  const p12 = flagString(args, 'p12');
  const cert = flagString(args, 'cert');
  const key = flagString(args, 'key');
  if (p12 !== undefined && (cert !== undefined || key !== undefined))
    throw new UsageError('use either --p12 or --cert/--key, not both');
  if (p12 === undefined && (cert === undefined || key === undefined))
    throw new UsageError(`an identity is required: ${IDENTITY_USAGE}`);
  return p12 !== undefined ? loadPkcs12(args, io, p12) : loadCertAndKey(args, io, cert!, key!);
}

/** `--p12 FILE`. Without a password flag the empty password is tried (a PKCS#12 may have one), then asked for. */
async function loadPkcs12(args: ParsedArgs, io: CliIo, p12: string): Promise<CliIdentity> {
  // Usage is checked before any file (the password file included) is read.
  const password = await passwordFromFlags(args, io);
  const bytes = await readInput(io, p12);
  const options = { allowMissingMac: flagBool(args, 'allow-missing-mac') };
  const id = await withPassword(args, io, password, p12, async (pw) => loadIdentity(bytes, pw ?? '', options));
  for (const w of id.warnings ?? []) io.stderr(`warning ${w.code}: ${p12}: ${w.message}\n`);
  return { certificate: id.certificate, privateKey: id.privateKey, chain: id.chain };
}

/** `--cert FILE --key FILE`: the key's password is needed only when it is encrypted. */
async function loadCertAndKey(args: ParsedArgs, io: CliIo, cert: string, key: string): Promise<CliIdentity> {
  const password = await passwordFromFlags(args, io);
  const certBytes = await readInput(io, cert);
  let certificate = certBytes;
  let chain: Uint8Array[] = [];
  if (looksLikePem(certBytes)) {
    const blocks = decodePem(certBytes).filter((b) => b.label === 'CERTIFICATE');
    if (!blocks[0]) throw new ArgumentError('no-certificates', `${cert} contains no certificate`);
    certificate = blocks[0].der;
    // A PEM bundle: the certificates after the first are its chain.
    chain = blocks.slice(1).map((b) => b.der);
  }
  const keyBytes = await readInput(io, key);
  const loaded = await withPassword(args, io, password, key, async (pw) => loadPrivateKey(keyBytes, pw));
  await assertKeyMatchesCertificate(loaded, certificate);
  return { certificate, privateKey: loaded.pkcs8, chain };
}
