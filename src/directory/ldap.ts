/**
 * `LdapDirectory`: an LDAP address book (Active Directory's GAL, OpenLDAP,
 * any inetOrgPerson directory) on `ldapts`, a maintained LDAP client: this
 * file builds the searches and maps entries, ldap-connection.ts holds the
 * session and maps errors; neither speaks the protocol. Node only (sockets);
 * published as `smimekit/ldap`, never from the root entry.
 */
import { FilterParser, type Entry } from 'ldapts';
import { ArgumentError, DirectoryError } from '../errors.js';
import { assertAddress, entryAddresses, normalizeAddress } from './address.js';
import { abortError } from './abort.js';
import { candidatesFromAttributes } from './candidates.js';
import { LdapConnection, RESULT } from './ldap-connection.js';
import { AD_FILTER, INET_ORG_PERSON_FILTER, buildFilter } from './ldap-filter.js';
import type { CertificateDirectory, DirectoryEntry, LookupOptions } from './types.js';

/** Options of `new LdapDirectory`. */
export interface LdapDirectoryOptions {
  /** `ldap://host:port` or `ldaps://host:port`. */
  url: string;
  /** Search base, e.g. `DC=contoso,DC=com`. */
  baseDn: string;
  /** Upgrade an `ldap://` connection with StartTLS before binding. */
  startTls?: boolean;
  /** CA certificates (PEM text, or DER bytes) the server certificate must chain to, for ldaps:// and StartTLS (default: Node's roots). */
  ca?: readonly (string | Uint8Array)[];
  /** Simple bind DN; anonymous when absent. */
  bindDn?: string;
  /** Password of `bindDn`; never copied into errors. */
  password?: string;
  /** Default `sub`. */
  scope?: 'base' | 'one' | 'sub';
  /** `ad` (default: users, contacts, groups by mail or proxyAddresses) or `inetOrgPerson` (by mail). */
  schema?: 'ad' | 'inetOrgPerson';
  /** A filter template with `{address}` (`{local}`, `{domain}`); values are escaped per RFC 4515. Overrides `schema`. */
  filter?: string;
  /** Extra attributes to request (the certificate, address and group attributes are always requested). */
  attributes?: readonly string[];
  /** Most entries one lookup may return (default 50; more is `directory-bad-response`). */
  sizeLimit?: number;
  /** Server-side time limit per search, in seconds (default 10). */
  timeLimitSeconds?: number;
  /** Time limit of one operation, connecting included, in ms (default 10,000): past it, `directory-timeout`. */
  timeoutMs?: number;
  /** Time limit of the TCP/TLS connection, in ms (default `timeoutMs`). */
  connectTimeoutMs?: number;
  /** How many member entries `members()` reads at once (default 8). */
  memberConcurrency?: number;
  /** Shown in reports (default: the URL without credentials, and the base DN). */
  name?: string;
}

/** Counters of an `LdapDirectory`, for monitoring and tests. */
export interface LdapDirectoryStats {
  /** Sessions set up (connect, StartTLS, bind): 1 while the first connection lasts, +1 per reconnect. */
  connections: number;
  /** Lookups answered. */
  lookups: number;
  /** Member entries read by `members()`. */
  memberReads: number;
}

const CERTIFICATE_ATTRIBUTES = [
  'userCertificate;binary',
  'userSMIMECertificate;binary',
  'userCertificate',
  'userSMIMECertificate',
];
const BASE_ATTRIBUTES = [
  'mail',
  'proxyAddresses',
  'displayName',
  'cn',
  'objectClass',
  'member',
  'uniqueMember',
  ...CERTIFICATE_ATTRIBUTES,
];
const GROUP_CLASSES = new Set(['group', 'groupofnames', 'groupofuniquenames']);
// ldapts 8 turns each `\xx` of a string filter into one character, not one byte (`\c3\bc` would be sent as
// four bytes): non-ASCII characters are handed to it as they are, and it writes them as UTF-8.
const FILTER_ESCAPING = { nonAscii: 'keep' } as const;

type Values = (string | Uint8Array)[];

/** Attribute values by lower-case name without options (`userCertificate;binary` → `usercertificate`). */
function attributesOf(entry: Entry): Map<string, Values> {
  const out = new Map<string, Values>();
  for (const [key, raw] of Object.entries(entry)) {
    if (key === 'dn') continue;
    const name = key.split(';')[0]!.toLowerCase();
    const list = (Array.isArray(raw) ? raw : [raw]) as (string | Uint8Array)[];
    const values = list.map((v) => (typeof v === 'string' ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
    out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}

const texts = (values: Values | undefined): string[] =>
  (values ?? []).map((v) => (typeof v === 'string' ? v : new TextDecoder().decode(v)));
const binaries = (values: Values | undefined): Uint8Array[] =>
  (values ?? []).map((v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v));
const withoutCredentials = (url: string): string => url.replace(/\/\/[^@/]*@/, '//');

function checkOptions(options: LdapDirectoryOptions, template: string): void {
  if (!options || typeof options.url !== 'string' || !/^ldaps?:\/\/[^/]/i.test(options.url))
    throw new ArgumentError('bad-argument', 'LdapDirectory needs an ldap:// or ldaps:// url');
  try {
    new URL(options.url);
  } catch (e) {
    throw new ArgumentError('bad-argument', `LdapDirectory: "${withoutCredentials(options.url)}" is not a valid URL`, {
      cause: e,
    });
  }
  if (typeof options.baseDn !== 'string') throw new ArgumentError('bad-argument', 'LdapDirectory needs a baseDn');
  if (options.bindDn !== undefined && options.password === undefined)
    throw new ArgumentError('bad-argument', 'a bindDn needs a password');
  if (options.startTls && /^ldaps:/i.test(options.url))
    throw new ArgumentError('bad-argument', 'startTls is for ldap:// urls (ldaps:// is TLS already)');
  // Refuse a broken template now, not on the first lookup: ldapts parses what we will send.
  const sample = buildFilter(template, 'check@example.com', FILTER_ESCAPING);
  try {
    FilterParser.parseString(sample);
  } catch (e) {
    throw new ArgumentError(
      'bad-argument',
      `the LDAP filter template "${template}" is not a valid filter: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

/**
 * An LDAP address book. One connection is opened on the first lookup and
 * reused (bound once); once the server closed it (idle timeout, restart) the
 * next operation sets up a new one, with StartTLS and bind again. Concurrent
 * lookups share the connection: LDAP multiplexes requests by message id, so
 * a pool would only add binds.
 *
 * @example
 * ```ts
 * import { LdapDirectory } from 'smimekit/ldap';
 * const gal = new LdapDirectory({ url: 'ldaps://dc.contoso.com', baseDn: 'DC=contoso,DC=com', bindDn, password, ca: [caPem] });
 * const entries = await gal.lookup('bob@contoso.com');
 * await gal.close();
 * ```
 */
export class LdapDirectory implements CertificateDirectory {
  readonly name: string;
  /** Counters for monitoring: connections set up, lookups and member reads done. */
  readonly stats: LdapDirectoryStats = { connections: 0, lookups: 0, memberReads: 0 };
  private readonly options: LdapDirectoryOptions;
  private readonly filterTemplate: string;
  private readonly details: { directory: string; url: string };
  private readonly connection: LdapConnection;

  /** @throws ArgumentError `bad-argument` for a missing or malformed url, baseDn, credentials or filter template */
  constructor(options: LdapDirectoryOptions) {
    const template = options?.filter ?? (options?.schema === 'inetOrgPerson' ? INET_ORG_PERSON_FILTER : AD_FILTER);
    checkOptions(options, template);
    this.options = options;
    this.filterTemplate = template;
    this.name = options.name ?? `${withoutCredentials(options.url)} ${options.baseDn}`;
    this.details = { directory: this.name, url: withoutCredentials(options.url) };
    this.connection = new LdapConnection(options, {
      name: this.name,
      timeoutMs: options.timeoutMs ?? 10_000,
      details: this.details,
      stats: this.stats,
    });
  }

  /**
   * Entries whose address matches (see `CertificateDirectory.lookup`). The
   * server's matches are checked again here: only entries that carry the
   * address (and, with `secondaryAddresses: false`, not only as a secondary
   * `smtp:` proxy address) are returned.
   *
   * @throws ArgumentError `bad-address`; DirectoryError `directory-unreachable`,
   *   `directory-auth-failed`, `directory-timeout` (also when `signal` aborts,
   *   unless its reason is a `SmimeError`), `directory-bad-response` (also
   *   for more than `sizeLimit` matches)
   */
  async lookup(address: string, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    assertAddress(address);
    if (options.signal?.aborted) throw abortError(options.signal, this.name);
    const filter = buildFilter(this.filterTemplate, address, FILTER_ESCAPING);
    const sizeLimit = this.options.sizeLimit ?? 50;
    const entries = await this.connection.run('search', options.signal, async (client) => {
      const { searchEntries } = await client.search(this.options.baseDn, {
        scope: this.options.scope ?? 'sub',
        filter,
        ...this.entryAttributes(),
        // One more than allowed: ldapts returns a truncated answer silently, and a truncated answer may miss the entry.
        sizeLimit: sizeLimit + 1,
      });
      return searchEntries;
    });
    if (entries.length > sizeLimit) {
      throw new DirectoryError(
        'directory-bad-response',
        `${this.name}: more than ${sizeLimit} entries match ${address} (sizeLimit); the filter is too wide`,
        { details: { ...this.details, sizeLimit } },
      );
    }
    this.stats.lookups++;
    const wanted = normalizeAddress(address);
    return entries
      .map((e) => this.toEntry(e))
      .filter(
        ({ entry, secondary }) =>
          entry.addresses.some((a) => normalizeAddress(a) === wanted) &&
          (options.secondaryAddresses !== false || !secondary.has(wanted)),
      )
      .map(({ entry }) => entry);
  }

  /** What every search asks for: the mapped attributes (certificates as bytes) and the server-side time limit. */
  private entryAttributes() {
    return {
      attributes: [...BASE_ATTRIBUTES, ...(this.options.attributes ?? [])],
      explicitBufferAttributes: CERTIFICATE_ATTRIBUTES,
      timeLimit: this.options.timeLimitSeconds ?? 10,
    };
  }

  private toEntry(raw: Entry): { entry: DirectoryEntry; secondary: Set<string> } {
    const attrs = attributesOf(raw);
    const { primary, addresses, secondary } = entryAddresses(
      texts(attrs.get('mail')),
      texts(attrs.get('proxyaddresses')),
    );
    const isGroup = texts(attrs.get('objectclass')).some((c) => GROUP_CLASSES.has(c.toLowerCase()));
    const { candidates, unreadable } = candidatesFromAttributes(
      { directory: this.name, entry: raw.dn },
      {
        userSMIMECertificate: binaries(attrs.get('usersmimecertificate')),
        userCertificate: binaries(attrs.get('usercertificate')),
      },
    );
    const entry: DirectoryEntry = {
      directory: this.name,
      id: raw.dn,
      kind: isGroup ? 'group' : 'person',
      addresses,
      candidates,
      unreadable,
    };
    if (primary !== undefined) entry.address = primary;
    const displayName = texts(attrs.get('displayname'))[0] ?? texts(attrs.get('cn'))[0];
    if (displayName !== undefined) entry.displayName = displayName;
    if (isGroup)
      entry.members = [...texts(attrs.get('member')), ...texts(attrs.get('uniquemember'))].map((ref) => ({ ref }));
    return { entry, secondary };
  }

  /**
   * The direct members of a group this directory returned, each read by its
   * DN (a base-scope search, `memberConcurrency` at a time), in member order.
   * Members that do not exist (any more), or that the bind may not read, are
   * skipped: the result can be shorter than `group.members`.
   *
   * @throws DirectoryError as `lookup` does
   */
  async members(group: DirectoryEntry, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    const refs = (group.members ?? []).map((m) => m.ref);
    const out = new Array<DirectoryEntry | undefined>(refs.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
      // After one failure the call rejects: the other workers stop instead of reading on.
      while (next < refs.length && !failed) {
        const i = next++;
        try {
          out[i] = await this.readEntry(refs[i]!, options.signal);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.memberConcurrency ?? 8, refs.length) }, worker));
    return out.filter((e): e is DirectoryEntry => e !== undefined);
  }

  private async readEntry(dn: string, signal: AbortSignal | undefined): Promise<DirectoryEntry | undefined> {
    try {
      const entries = await this.connection.run('member read', signal, async (client) => {
        const { searchEntries } = await client.search(dn, {
          scope: 'base',
          filter: '(objectClass=*)',
          ...this.entryAttributes(),
        });
        return searchEntries;
      });
      this.stats.memberReads++;
      return entries[0] ? this.toEntry(entries[0]).entry : undefined;
    } catch (e) {
      if (e instanceof DirectoryError && e.details.resultCode === RESULT.noSuchObject) return undefined;
      throw e;
    }
  }

  /** Unbinds; a later lookup connects again. */
  async close(): Promise<void> {
    await this.connection.close();
  }
}
