/**
 * Shared CLI helper: an identity (certificate + private key) from
 * `--p12 FILE --password PW` or `--cert FILE --key FILE [--password PW]`.
 * The password may instead come from `--password-file FILE` (its first line)
 * or `--password-env NAME`, which keep it out of the process list.
 */
import { ArgumentError } from '../errors.js';
import { loadIdentity } from '../crypto/identity.js';
import { assertKeyMatchesCertificate } from '../crypto/key-match.js';
import { loadPrivateKey } from '../crypto/private-key.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import { flagString, UsageError, type FlagKind, type ParsedArgs } from './args.js';
import { readInput, type CliIo } from './io.js';

/** Flags to merge into a command spec. */
export const IDENTITY_FLAGS: Record<string, FlagKind> = {
  p12: 'string',
  password: 'string',
  'password-file': 'string',
  'password-env': 'string',
  cert: 'string',
  key: 'string',
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
  // Usage is checked before any file (the password file included) is read.
  const password = await passwordFromFlags(args, io);
  if (p12 !== undefined) {
    const id = await loadIdentity(await readInput(io, p12), password ?? '');
    return { certificate: id.certificate, privateKey: id.privateKey, chain: id.chain };
  }
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
  const loaded = await loadPrivateKey(await readInput(io, key), password);
  await assertKeyMatchesCertificate(loaded, certificate);
  return { certificate, privateKey: loaded.pkcs8, chain };
}
