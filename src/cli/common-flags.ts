/** Flag handling shared by the commands that validate certificates: --trust, --certs/--untrusted, --crl, --at. */
import { ArgumentError } from '../errors.js';
import { TrustList } from '../trust/trust-list.js';
import type { LdapCrlFetcher, RevocationMode, RevocationSetting } from '../trust/options.js';
import { flagBool, flagList, flagString, UsageError, type ParsedArgs } from './args.js';
import { readInput, type CliIo } from './io.js';

/** `--help` lines of the flags many commands share, in the words that fit them all. */
const COMMON_DESCRIBE = {
  trust: 'FILE  trust anchors: SST, PEM, DER or PKCS#7 (every certificate in them is an anchor)',
  certs: 'FILE  extra certificates for finding signers and building chains (PEM, DER, PKCS#7, SST)',
  crl: 'FILE  CRLs to check revocation with (PEM or DER)',
  at: 'ISO-8601  validate at this time instead of now (a bare date is midnight UTC)',
  'allow-weak': 'accept SHA-1, MD5, DSA and short RSA keys (for reading old mail)',
  strictness:
    'default|strict|lenient  RFC 5280 profile rules (docs/trust.md, Strictness decisions): strict fails on what default only warns about; lenient warns on profile rules',
  online:
    'check revocation online: the OCSP responders and CRL distribution points (HTTP, LDAP) the certificates name; also download missing intermediates (caIssuers)',
  'online-timeout': 'MS  time limit of each download with --online (default 5000)',
  json: 'print the report as JSON on standard output',
  in: 'FILE  the input message (default: standard input)',
  out: 'FILE  where the output goes (default: standard output); written atomically',
} as const;

/** The `describe` entries of the shared flags `names`. */
export function describeCommon(...names: (keyof typeof COMMON_DESCRIBE)[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, COMMON_DESCRIBE[n]]));
}

/** A TrustList from every `--trust` file (SST, PEM, DER, PKCS#7); at least one file and one certificate required. */
export async function trustFromFlags(args: ParsedArgs, io: CliIo, required = true): Promise<TrustList | undefined> {
  const files = flagList(args, 'trust');
  if (files.length === 0) {
    if (required) throw new UsageError('option --trust is required (an SST, PEM, DER or PKCS#7 file)');
    return undefined;
  }
  const trust = new TrustList();
  for (const path of files) trust.addBytes(await readInput(io, path));
  if (trust.size === 0) throw new ArgumentError('no-certificates', 'the --trust files contain no certificates');
  return trust;
}

/** The flags of online revocation, for a command's `flags`. */
export const ONLINE_FLAGS = { online: 'boolean', 'online-timeout': 'string' } as const;

/** `mode`, or with `--online` the mode with every online source (LDAP distribution points included). */
export function revocationFromFlags(args: ParsedArgs, mode: RevocationMode = 'prefer'): RevocationSetting {
  const timeout = flagString(args, 'online-timeout');
  if (!flagBool(args, 'online')) {
    if (timeout !== undefined) throw new UsageError('--online-timeout goes with --online');
    return mode;
  }
  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    timeoutMs = Number(timeout);
    if (!/^\d+$/.test(timeout) || timeoutMs < 1 || timeoutMs > 600_000)
      throw new UsageError(`--online-timeout must be a number of milliseconds (1..600000), not "${timeout}"`);
  }
  return { mode, online: true, ldap: lazyLdapCrlFetcher, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

/** The LDAP client (ldapts) is loaded only when an `ldap://` distribution point is met: every command starts lighter. */
const lazyLdapCrlFetcher: LdapCrlFetcher = async (url, limits) => {
  const { ldapCrlFetcher } = await import('../directory/ldap-crl.js');
  return ldapCrlFetcher()(url, limits);
};

/** The contents of every file given to a repeatable flag, in order. */
export async function readAll(args: ParsedArgs, io: CliIo, flag: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const path of flagList(args, flag)) out.push(await readInput(io, path));
  return out;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** `--at ISO-8601` (a bare date means midnight UTC), or now. */
export function atFromFlags(args: ParsedArgs, io: CliIo): Date {
  const text = flagString(args, 'at');
  if (text === undefined) return io.now();
  if (!ISO_8601.test(text)) throw new UsageError(`--at "${text}" is not an ISO-8601 date/time`);
  const at = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at "${text}" is not a valid date`);
  return at;
}

/**
 * Where verified content goes: `--out FILE`, or standard output (`--out -`, the default without `--json`).
 * With `--json` standard output carries the report, so the content needs `--out FILE`.
 */
export function contentDestination(args: ParsedArgs, json: boolean): string | undefined {
  const out = flagString(args, 'out');
  if (json && out === '-')
    throw new UsageError('--json writes the report to standard output; give --out FILE for the content');
  return out ?? (json ? undefined : '-');
}

/** `--strictness default|strict|lenient` (the validator's profile strictness), or undefined for the default. */
export function strictnessFromFlags(args: ParsedArgs): 'default' | 'strict' | 'lenient' | undefined {
  const value = flagString(args, 'strictness');
  if (value === undefined) return undefined;
  if (value !== 'default' && value !== 'strict' && value !== 'lenient')
    throw new UsageError(`--strictness must be default, strict or lenient, not "${value}"`);
  return value;
}
