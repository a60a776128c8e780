/**
 * Flags shared by the commands that find recipients' certificates in address
 * books (`lookup`, `encrypt --rcpt`, `compose`): the directories (`--dir`,
 * `--ldap` ...), the tenant policy (`--policy`) and the trust settings the
 * selection validates against. Secrets never come from the command line:
 * an LDAP bind password is read from a file or an environment variable, or
 * asked for on a terminal.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { ArgumentError, SmimeError } from '../errors.js';
import { CompositeDirectory, type CompositeMember } from '../directory/composite.js';
import { MemoryDirectory, type MemoryLoadFormat, type MemoryLoadSkip } from '../directory/memory.js';
import type { LdapDirectoryOptions } from '../directory/ldap.js';
import type { CertificateDirectory } from '../directory/types.js';
import { resolvePolicy, type ResolvedSmimePolicy, type SmimePolicy } from '../smime/policy.js';
import { policyFromJson } from '../smime/policy-json.js';
import type { TrustList } from '../trust/trust-list.js';
import { flagBool, flagList, flagString, UsageError, type FlagKind, type ParsedArgs } from './args.js';
import {
  atFromFlags,
  describeCommon,
  ONLINE_FLAGS,
  readAll,
  revocationFromFlags,
  trustFromFlags,
} from './common-flags.js';
import type { RevocationSetting } from '../trust/options.js';
import { canPrompt, readSecretEnv, readSecretFile } from './identity-flags.js';
import { readInput, type CliIo } from './io.js';

/** Directory flags to merge into a command spec. */
export const DIRECTORY_FLAGS: Record<string, FlagKind> = {
  dir: 'repeat',
  ldap: 'string',
  base: 'string',
  bind: 'string',
  'bind-password-file': 'string',
  'bind-password-env': 'string',
  ca: 'repeat',
  starttls: 'boolean',
  'ldap-schema': 'string',
  'ldap-filter': 'string',
  timeout: 'string',
};

/** `--help` lines of the directory flags. */
export const DIRECTORY_DESCRIBE: Record<string, string> = {
  dir: 'FILE  an address book in a file: an LDIF export, certificates (PEM, DER, PKCS#7, SST) or a published userSMIMECertificate value; - is standard input',
  ldap: 'URL  an LDAP directory, ldap://host[:port] or ldaps://host[:port]',
  base: 'DN  the search base (required with --ldap)',
  bind: 'DN  bind as DN (anonymous without it); the password comes from --bind-password-file or --bind-password-env, or is asked for on a terminal',
  'bind-password-file': 'FILE  the bind password: the first line of FILE',
  'bind-password-env': 'NAME  the bind password from the environment variable NAME',
  ca: "FILE  CA certificates (PEM) the LDAP server's certificate must chain to, for ldaps:// and --starttls (default: Node's roots)",
  starttls: 'upgrade an ldap:// connection with StartTLS before binding',
  'ldap-schema':
    "ad|inetorgperson  what to search: ad (default: Active Directory's users, contacts and groups by mail or proxyAddresses) or inetorgperson ((mail=ADDRESS))",
  'ldap-filter': 'TEMPLATE  your own search filter, with {address}, {local} and {domain} placeholders',
  timeout: "MS  time limit of each address book's lookup, in milliseconds (default 10000)",
};

/** Usage fragment for the directory flags. */
export const DIRECTORY_USAGE =
  '[--dir FILE]... [--ldap URL --base DN [--bind DN (--password-file FILE | --bind-password-file FILE | --bind-password-env NAME)] [--ca FILE]... [--starttls]\n' +
  '                 [--ldap-schema ad|inetorgperson | --ldap-filter TEMPLATE]] [--timeout MS]';

/** Trust flags of the commands that resolve recipients (`--policy` may supply the trust list). */
export const RESOLVE_FLAGS: Record<string, FlagKind> = {
  trust: 'repeat',
  certs: 'repeat',
  crl: 'repeat',
  at: 'string',
  policy: 'string',
  ...ONLINE_FLAGS,
};

/** `--help` lines of `RESOLVE_FLAGS`. */
export const RESOLVE_DESCRIBE: Record<string, string> = {
  trust:
    'FILE  trust anchors (SST, PEM, DER or PKCS#7); required unless --policy names the trust list, and wins over it',
  ...describeCommon('certs', 'crl', 'at', 'online', 'online-timeout'),
  policy:
    'FILE  the tenant policy as JSON (Get-SmimeConfig | ConvertTo-Json, or the SmimePolicy names); see docs/address-books.md',
};

/** Usage fragment for `RESOLVE_FLAGS`. */
export const RESOLVE_USAGE =
  '--trust FILE... [--certs FILE...] [--crl FILE...] [--at ISO-8601] [--policy FILE] [--online [--online-timeout MS]]';

const LDAP_ONLY = [
  'base',
  'bind',
  'bind-password-file',
  'bind-password-env',
  'ca',
  'starttls',
  'ldap-schema',
  'ldap-filter',
];

/**
 * `--password-file FILE` as the issue's contract names it for `lookup` and `encrypt` (`--bind DN --password-file
 * FILE`). Commands that load an identity (`compose`) use `--password-file` for the identity, so there the bind
 * password is `--bind-password-file` only.
 */
export const BIND_PASSWORD_ALIAS: Record<string, FlagKind> = { 'password-file': 'string' };

/** `--help` line of `BIND_PASSWORD_ALIAS`. */
export const BIND_PASSWORD_ALIAS_DESCRIBE: Record<string, string> = {
  'password-file': 'FILE  the bind password: the first line of FILE (as --bind-password-file)',
};

/** The bind-password file: `--bind-password-file`, or `--password-file` when no identity is loaded. */
function bindPasswordFile(args: ParsedArgs): string | undefined {
  const identity = ['p12', 'cert', 'key'].some((f) => args.flags.has(f));
  return flagString(args, 'bind-password-file') ?? (identity ? undefined : flagString(args, 'password-file'));
}

/** How one `--dir` file or the `--ldap` directory was set up (lookup reports show it). */
export interface DirectorySetup {
  /** The directory's name as candidates and `sources` show it: the file as given, or the LDAP URL and base DN. */
  name: string;
  kind: 'file' | 'ldap';
  /** Files: what the file held. */
  format?: MemoryLoadFormat;
  /** Files: entries loaded. */
  entries?: number;
  /** Files: what was left out, and why. */
  skipped: MemoryLoadSkip[];
}

/** The address books the flags name, searched as one. */
export interface CliDirectory {
  directory: CompositeDirectory;
  setup: DirectorySetup[];
}

/** True when any directory flag was given. */
export function hasDirectoryFlags(args: ParsedArgs): boolean {
  return Object.keys(DIRECTORY_FLAGS).some((f) => args.flags.has(f));
}

/** The `--timeout MS` value, or undefined. */
function timeoutFromFlags(args: ParsedArgs): number | undefined {
  const text = flagString(args, 'timeout');
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) === 0)
    throw new UsageError(`--timeout must be a positive number of milliseconds, not "${text}"`);
  return Number(text);
}

/**
 * Checks the directory flags without reading anything, so usage errors come
 * before any file or network access. With `io`, a `--bind` without a password
 * flag is accepted when the password can be asked for on the terminal.
 *
 * @throws UsageError
 */
export function checkDirectoryFlags(args: ParsedArgs, required: boolean, io?: CliIo): void {
  const ldap = flagString(args, 'ldap');
  const dirs = flagList(args, 'dir');
  if (required && ldap === undefined && dirs.length === 0)
    throw new UsageError('an address book is required: --dir FILE or --ldap URL --base DN');
  const duplicate = dirs.find((d, i) => dirs.indexOf(d) !== i);
  if (duplicate !== undefined) throw new UsageError(`--dir ${duplicate} is given twice`);
  timeoutFromFlags(args);
  if (ldap === undefined) {
    const stray = LDAP_ONLY.find((f) => args.flags.has(f));
    if (stray) throw new UsageError(`--${stray} needs --ldap URL`);
    return;
  }
  if (!/^ldaps?:\/\/[^/\s]/i.test(ldap))
    throw new UsageError(`--ldap must be an ldap:// or ldaps:// URL, not "${ldap}"`);
  if (flagString(args, 'base') === undefined) throw new UsageError('--ldap needs --base DN (the search base)');
  const secrets = ['bind-password-file', 'bind-password-env'].filter((f) => args.flags.has(f));
  if (!secrets.includes('bind-password-file') && bindPasswordFile(args) !== undefined) secrets.push('password-file');
  if (secrets.length > 1) throw new UsageError('use either --bind-password-file or --bind-password-env, not both');
  if (args.flags.has('bind') && secrets.length === 0 && !(io && canPrompt(io, args)))
    throw new UsageError(
      '--bind needs --bind-password-file FILE or --bind-password-env NAME (passwords are never given on the command line)',
    );
  if (!args.flags.has('bind') && secrets.length > 0) throw new UsageError(`--${secrets[0]} needs --bind DN`);
  const ldaps = /^ldaps:/i.test(ldap);
  if (ldaps && flagBool(args, 'starttls'))
    throw new UsageError('--starttls is for ldap:// URLs; ldaps:// is TLS already');
  if (!ldaps && !flagBool(args, 'starttls') && args.flags.has('ca'))
    throw new UsageError('--ca is used only with ldaps:// or --starttls');
  const schema = flagString(args, 'ldap-schema');
  if (schema !== undefined && !['ad', 'inetorgperson'].includes(schema.toLowerCase()))
    throw new UsageError(`--ldap-schema must be ad or inetorgperson, not "${schema}"`);
  if (schema !== undefined && args.flags.has('ldap-filter'))
    throw new UsageError('use either --ldap-schema or --ldap-filter, not both');
}

/** One `--dir` file as its own MemoryDirectory, named after the file. */
async function loadDirectoryFile(
  io: CliIo,
  path: string,
): Promise<{ directory: MemoryDirectory; setup: DirectorySetup }> {
  const name = path === '-' ? 'stdin' : path;
  const bytes = await readInput(io, path);
  const directory = new MemoryDirectory({ name });
  try {
    const result = directory.load(bytes);
    return {
      directory,
      setup: { name, kind: 'file', format: result.format, entries: result.added.length, skipped: result.skipped },
    };
  } catch (e) {
    // Keep the code (exit 2 either way: unreadable or malformed input) and name the file.
    if (e instanceof SmimeError)
      throw new SmimeError(e.code, `--dir ${name}: ${e.message}`, { details: e.details, cause: e });
    throw e;
  }
}

/** The `--ldap` directory; connects on its first lookup. */
async function ldapFromFlags(
  args: ParsedArgs,
  io: CliIo,
  timeoutMs: number | undefined,
): Promise<CertificateDirectory> {
  const options: LdapDirectoryOptions = { url: flagString(args, 'ldap')!, baseDn: flagString(args, 'base')! };
  const bind = flagString(args, 'bind');
  if (bind !== undefined) {
    const file = bindPasswordFile(args);
    const env = flagString(args, 'bind-password-env');
    options.bindDn = bind;
    // Without a password flag checkDirectoryFlags let this through only when the password can be asked for.
    options.password =
      file !== undefined
        ? await readSecretFile(io, file)
        : env !== undefined
          ? readSecretEnv(env, 'bind-password-env')
          : await io.promptSecret!(`Password for ${bind}: `);
    // An empty password would turn the bind into an unauthenticated (anonymous) one.
    if (options.password === '') throw new UsageError(`the bind password for ${bind} is empty`);
  }
  const ca = flagList(args, 'ca');
  if (ca.length) options.ca = await Promise.all(ca.map(async (p) => new TextDecoder().decode(await readInput(io, p))));
  if (flagBool(args, 'starttls')) options.startTls = true;
  const schema = flagString(args, 'ldap-schema')?.toLowerCase();
  if (schema !== undefined) options.schema = schema === 'ad' ? 'ad' : 'inetOrgPerson';
  const filter = flagString(args, 'ldap-filter');
  if (filter !== undefined) options.filter = filter;
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  // Loaded only when asked for: the LDAP client is not needed by any other command.
  const { LdapDirectory } = await import('../directory/ldap.js');
  try {
    return new LdapDirectory(options);
  } catch (e) {
    // A filter template the directory refuses is a usage error of --ldap-filter.
    if (e instanceof ArgumentError && filter !== undefined) throw new UsageError(`--ldap-filter: ${e.message}`);
    throw e;
  }
}

/**
 * Opens the address books the flags name: each `--dir` file as a
 * MemoryDirectory named after the file, and the `--ldap` directory, in one
 * CompositeDirectory (`--timeout` per directory). Close it with
 * `directory.close()`: `withDirectory` does.
 *
 * @throws UsageError; the loaders' format errors (exit 2)
 */
async function openDirectory(args: ParsedArgs, io: CliIo): Promise<CliDirectory> {
  checkDirectoryFlags(args, true, io);
  const timeoutMs = timeoutFromFlags(args);
  const members: CompositeMember[] = [];
  const setup: DirectorySetup[] = [];
  for (const path of flagList(args, 'dir')) {
    const loaded = await loadDirectoryFile(io, path);
    members.push({ directory: loaded.directory });
    setup.push(loaded.setup);
  }
  if (args.flags.has('ldap')) {
    const ldap = await ldapFromFlags(args, io, timeoutMs);
    if (setup.some((s) => s.name === ldap.name)) throw new UsageError(`two address books are named "${ldap.name}"`);
    members.push({ directory: ldap });
    setup.push({ name: ldap.name, kind: 'ldap', skipped: [] });
  }
  const directory = new CompositeDirectory(members, timeoutMs === undefined ? {} : { timeoutMs });
  return { directory, setup };
}

/** Runs `work` with the flags' address books and closes them afterwards (LDAP connections included), also on failure. */
export async function withDirectory<T>(
  args: ParsedArgs,
  io: CliIo,
  work: (books: CliDirectory) => Promise<T>,
): Promise<T> {
  const books = await openDirectory(args, io);
  try {
    return await work(books);
  } finally {
    // A connection that already failed has nothing left to close.
    await books.directory.close().catch(() => undefined);
  }
}

/** Skipped items of the `--dir` files as `warning CODE:` lines (CA certificates kept as chains are not worth one). */
export function printDirectoryWarnings(io: CliIo, setup: readonly DirectorySetup[]): void {
  for (const s of setup) {
    for (const k of s.skipped)
      if (k.code !== 'ca-certificate')
        io.stderr(`warning ${k.code}: --dir ${s.name}: ${oneLine(`${k.item}: ${k.reason}`)}\n`);
  }
}

const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ');

/**
 * A string that names a file rather than carrying the trust list inline:
 * inline data is base64 (at least 64 characters of the base64 alphabet),
 * anything else (a path, a short name) is a file.
 */
function isFileReference(value: string): boolean {
  return !(value.length >= 64 && /^[A-Za-z0-9+=][A-Za-z0-9+/=\s]*$/.test(value.trim()));
}

/**
 * `--policy FILE`: a JSON policy (`Get-SmimeConfig | ConvertTo-Json`, or the
 * friendly `SmimePolicy` names) read with `policyFromJson`. A trust list
 * named by a string (`trust`, or `SMIMECertificateIssuingCA` when it is not
 * inline base64) is a file path relative to the policy file, read here.
 *
 * @throws ArgumentError `bad-policy`; `unreadable-input` for the files
 */
export async function policyFromFlags(args: ParsedArgs, io: CliIo): Promise<SmimePolicy | undefined> {
  const path = flagString(args, 'policy');
  if (path === undefined) return undefined;
  const text = new TextDecoder().decode(await readInput(io, path)).replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text; // policyFromJson reports the syntax error as bad-policy
  }
  const object: unknown = Array.isArray(json) && json.length === 1 ? json[0] : json;
  if (typeof object === 'object' && object !== null && !Array.isArray(object)) {
    const fields = object as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) {
      const field = key.toLowerCase();
      if (typeof value !== 'string' || value.trim() === '') continue;
      if (field !== 'trust' && !(field === 'smimecertificateissuingca' && isFileReference(value))) continue;
      const base = path === '-' ? process.cwd() : dirname(resolve(path));
      fields[key] = await readInput(io, isAbsolute(value) ? value : resolve(base, value));
    }
  }
  try {
    return policyFromJson(object);
  } catch (e) {
    if (e instanceof ArgumentError)
      throw new ArgumentError(e.code, `--policy ${path}: ${e.message}`, { details: e.details, cause: e });
    throw e;
  }
}

/** The trust settings recipients are validated with. */
export interface ResolveSettings {
  trust: TrustList;
  at: Date;
  intermediates: Uint8Array[];
  crls: Uint8Array[];
  /** The `--policy` with defaults filled in (defaults alone without `--policy`). */
  policy: ResolvedSmimePolicy;
  /** The `--policy` as given, if any. */
  given?: SmimePolicy;
  /** The policy's revocation mode, with the online sources of `--online`. */
  revocation: RevocationSetting;
}

/**
 * `--trust` (else the policy's trust list), `--certs`, `--crl`, `--at` and `--policy`.
 * `--trust` wins over the policy's trust list.
 *
 * @throws UsageError when there is no trust list at all
 */
export async function resolveSettingsFromFlags(args: ParsedArgs, io: CliIo): Promise<ResolveSettings> {
  const at = atFromFlags(args, io);
  const given = await policyFromFlags(args, io);
  const trust = (await trustFromFlags(args, io, false)) ?? given?.trust;
  if (!trust)
    throw new UsageError(
      'option --trust is required (an SST, PEM, DER or PKCS#7 file), unless --policy names the trust list',
    );
  const policy = resolvePolicy(given);
  return {
    trust,
    at,
    intermediates: await readAll(args, io, 'certs'),
    crls: await readAll(args, io, 'crl'),
    policy,
    revocation: revocationFromFlags(args, policy.revocation),
    ...(given ? { given } : {}),
  };
}
