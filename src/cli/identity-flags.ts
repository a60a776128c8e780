/**
 * Shared CLI helper: an identity (certificate + private key) from
 * `--p12 FILE --password PW` or `--cert FILE --key FILE [--password PW]`.
 */
import { ArgumentError } from '../errors.js';
import { loadIdentity } from '../crypto/identity.js';
import { assertKeyMatchesCertificate, loadPrivateKey } from '../crypto/keys.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import { flagString, UsageError, type FlagKind, type ParsedArgs } from './args.js';
import { readInput, type CliIo } from './io.js';

/** Flags to merge into a command spec. */
export const IDENTITY_FLAGS: Record<string, FlagKind> = { p12: 'string', password: 'string', cert: 'string', key: 'string' };

/** Usage fragment for the identity flags. */
export const IDENTITY_USAGE = '(--p12 FILE --password PW | --cert FILE --key FILE)';

/** A loaded identity: certificate DER, unencrypted PKCS#8 DER, extra certificates of a PKCS#12. */
export interface CliIdentity {
  certificate: Uint8Array;
  privateKey: Uint8Array;
  chain: Uint8Array[];
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
  const password = flagString(args, 'password');
  if (p12 !== undefined) {
    if (cert !== undefined || key !== undefined) throw new UsageError('use either --p12 or --cert/--key, not both');
    const id = await loadIdentity(await readInput(io, p12), password ?? '');
    return { certificate: id.certificate, privateKey: id.privateKey, chain: id.chain };
  }
  if (cert === undefined || key === undefined) throw new UsageError(`an identity is required: ${IDENTITY_USAGE}`);
  const certBytes = await readInput(io, cert);
  let certificate = certBytes;
  if (looksLikePem(certBytes)) {
    const blocks = decodePem(certBytes).filter((b) => b.label === 'CERTIFICATE');
    if (!blocks[0]) throw new ArgumentError('no-certificates', `${cert} contains no certificate`);
    certificate = blocks[0].der;
  }
  const loaded = await loadPrivateKey(await readInput(io, key), password);
  await assertKeyMatchesCertificate(loaded, certificate);
  return { certificate, privateKey: loaded.pkcs8, chain: [] };
}
