/**
 * `LdapDirectory`: an LDAP address book (Active Directory's GAL, OpenLDAP,
 * any inetOrgPerson directory) on `ldapts`, a maintained LDAP client: this
 * file maps entries and errors, it does not speak the protocol. Node only
 * (sockets); published as `smimekit/ldap`, never from the root entry.
 */
import { Client, InvalidCredentialsError, NoSuchObjectError, type Entry } from 'ldapts';
import { ArgumentError, DirectoryError, SmimeError } from '../errors.js';
import { toBytes } from '../util/bytes.js';
import { assertAddress, entryAddresses, normalizeAddress } from './address.js';
import { abortError, withAbort } from './abort.js';
import { candidatesFromAttributes } from './candidates.js';
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
  /** CA certificates (PEM) the server certificate must chain to, for ldaps:// and StartTLS (default: Node's roots). */
  ca?: readonly (string | Uint8Array)[];
  /** Simple bind DN; anonymous when absent. */
  bindDn?: string;
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
  /** Shown in reports (default: the URL and base DN). */
  name?: string;
}

const CERTIFICATE_ATTRIBUTES = ['userCertificate;binary', 'userSMIMECertificate;binary', 'userCertificate', 'userSMIMECertificate'];
const BASE_ATTRIBUTES = ['mail', 'proxyAddresses', 'displayName', 'cn', 'objectClass', 'member', 'uniqueMember', ...CERTIFICATE_ATTRIBUTES];
const GROUP_CLASSES = new Set(['group', 'groupofnames', 'groupofuniquenames']);

/** Node socket and TLS failures that mean "the server cannot be reached (safely)". */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Socket|Connection closed|socket hang up|TLS|certificate|CERT_|self[- ]signed/i;

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

const texts = (values: Values | undefined): string[] => (values ?? []).map((v) => (typeof v === 'string' ? v : new TextDecoder().decode(v)));
const binaries = (values: Values | undefined): Uint8Array[] => (values ?? []).map((v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v));

/**
 * An LDAP address book. One connection is opened on the first lookup and
 * reused (bound once); after the server went away the next lookup
 * reconnects. Concurrent lookups share the connection (LDAP multiplexes
 * requests by message id).
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
  /** Counters for monitoring: connections opened (binds), lookups and member reads done. */
  readonly stats = { connections: 0, lookups: 0, memberReads: 0 };
  private readonly options: LdapDirectoryOptions;
  private readonly filterTemplate: string;
  private readonly timeoutMs: number;
  private client: Promise<Client> | undefined;

  constructor(options: LdapDirectoryOptions) {
    if (!options || typeof options.url !== 'string' || !/^ldaps?:\/\//i.test(options.url)) throw new ArgumentError('bad-argument', 'LdapDirectory needs an ldap:// or ldaps:// url');
    if (typeof options.baseDn !== 'string') throw new ArgumentError('bad-argument', 'LdapDirectory needs a baseDn');
    if (options.bindDn !== undefined && options.password === undefined) throw new ArgumentError('bad-argument', 'a bindDn needs a password');
    this.options = options;
    this.filterTemplate = options.filter ?? (options.schema === 'inetOrgPerson' ? INET_ORG_PERSON_FILTER : AD_FILTER);
    buildFilter(this.filterTemplate, 'check@example.com'); // refuse a broken template now, not on the first lookup
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.name = options.name ?? `${options.url.replace(/\/\/[^@/]*@/, '//')} ${options.baseDn}`;
  }

  private tlsOptions(): { ca?: string[] } {
    return this.options.ca ? { ca: this.options.ca.map((c) => (typeof c === 'string' ? c : new TextDecoder().decode(toBytes(c)))) } : {};
  }

  /** The shared connection, connecting (StartTLS, bind) when there is none. */
  private connection(): Promise<Client> {
    this.client ??= (async () => {
      const client = new Client({
        url: this.options.url,
        timeout: this.timeoutMs,
        connectTimeout: this.options.connectTimeoutMs ?? this.timeoutMs,
        // For ldap:// the TLS options go to startTLS only: given here too, ldapts' upgrade fails.
        ...(/^ldaps:/i.test(this.options.url) ? { tlsOptions: this.tlsOptions() } : {}),
        strictDN: false,
      });
      try {
        if (this.options.startTls) await client.startTLS(this.tlsOptions());
        if (this.options.bindDn !== undefined) await client.bind(this.options.bindDn, this.options.password ?? '');
        // Anonymous: read the root DSE so the socket is open before concurrent lookups share it
        // (ldapts connects lazily, and simultaneous first requests would each open one).
        else await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
        this.stats.connections++;
        return client;
      } catch (e) {
        client.unbind().catch(() => undefined);
        throw e;
      }
    })();
    this.client.catch(() => {
      this.client = undefined; // the next lookup tries again
    });
    return this.client;
  }

  /** Drops the connection after a failure, so the next call reconnects. */
  private discard(): void {
    const pending = this.client;
    this.client = undefined;
    pending?.then((c) => c.unbind().catch(() => undefined)).catch(() => undefined);
  }

  /** Runs one operation under the time limit and the caller's signal, with errors mapped to DirectoryError. */
  private async run<T>(what: string, signal: AbortSignal | undefined, operation: (client: Client) => Promise<T>): Promise<T> {
    const timer = AbortSignal.timeout(this.timeoutMs + 250); // backstop if the client's own timers do not fire
    const combined = signal ? AbortSignal.any([signal, timer]) : timer;
    try {
      return await withAbort((async () => operation(await this.connection()))(), combined, this.name);
    } catch (e) {
      const error = this.mapError(e, what, combined);
      if (error.code !== 'directory-bad-response' && error.code !== 'directory-auth-failed') this.discard();
      throw error;
    }
  }

  private mapError(e: unknown, what: string, signal: AbortSignal): SmimeError {
    const details = { directory: this.name, url: this.options.url.replace(/\/\/[^@/]*@/, '//') };
    if (e instanceof SmimeError && e.code !== 'directory-timeout') return e;
    if (e instanceof SmimeError || signal.aborted) {
      const caller = signal.aborted && !(signal.reason instanceof Error && signal.reason.name === 'TimeoutError') ? abortError(signal, this.name) : undefined;
      return caller ?? new DirectoryError('directory-timeout', `${this.name}: no answer to the ${what} within ${this.timeoutMs} ms`, { details });
    }
    const text = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` : String(e);
    if (e instanceof InvalidCredentialsError) return new DirectoryError('directory-auth-failed', `${this.name}: the bind as ${this.options.bindDn} was refused (wrong DN or password)`, { details, cause: e });
    if (/timed? ?out|timeout/i.test(text)) return new DirectoryError('directory-timeout', `${this.name}: no answer to the ${what} within ${this.timeoutMs} ms`, { details, cause: e });
    if (UNREACHABLE.test(text)) {
      const tls = /certificate|CERT_|self[- ]signed|TLS/i.test(text);
      return new DirectoryError('directory-unreachable', `${this.name}: ${tls ? 'the TLS connection failed (the server certificate is not trusted: check the ca option)' : 'cannot reach the server'}: ${text.trim()}`, { details, cause: e });
    }
    return new DirectoryError('directory-bad-response', `${this.name}: unusable answer to the ${what}: ${text.trim()}`, { details, cause: e });
  }

  /** Entries whose address matches (see `CertificateDirectory.lookup`). */
  async lookup(address: string, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    assertAddress(address);
    if (options.signal?.aborted) throw abortError(options.signal, this.name);
    const filter = buildFilter(this.filterTemplate, address);
    const sizeLimit = this.options.sizeLimit ?? 50;
    const entries = await this.run('search', options.signal, async (client) => {
      const { searchEntries } = await client.search(this.options.baseDn, {
        scope: this.options.scope ?? 'sub',
        filter,
        attributes: [...BASE_ATTRIBUTES, ...(this.options.attributes ?? [])],
        explicitBufferAttributes: CERTIFICATE_ATTRIBUTES,
        // One more than allowed: ldapts returns a truncated answer silently, and a truncated answer may miss the entry.
        sizeLimit: sizeLimit + 1,
        timeLimit: this.options.timeLimitSeconds ?? 10,
      });
      return searchEntries;
    });
    if (entries.length > sizeLimit) {
      throw new DirectoryError('directory-bad-response', `${this.name}: more than ${sizeLimit} entries match ${address} (sizeLimit); the filter is too wide`, { details: { directory: this.name, sizeLimit } });
    }
    this.stats.lookups++;
    const wanted = normalizeAddress(address);
    // The server's matching is not trusted: keep only entries that really carry the address.
    return entries
      .map((e) => this.toEntry(e))
      .filter(({ entry, secondary }) => entry.addresses.some((a) => normalizeAddress(a) === wanted) && (options.secondaryAddresses !== false || !secondary.has(wanted)))
      .map(({ entry }) => entry);
  }

  private toEntry(raw: Entry): { entry: DirectoryEntry; secondary: Set<string> } {
    const attrs = attributesOf(raw);
    const { primary, addresses, secondary } = entryAddresses(texts(attrs.get('mail')), texts(attrs.get('proxyaddresses')));
    const isGroup = texts(attrs.get('objectclass')).some((c) => GROUP_CLASSES.has(c.toLowerCase()));
    const { candidates, unreadable } = candidatesFromAttributes(
      { directory: this.name, entry: raw.dn },
      { userSMIMECertificate: binaries(attrs.get('usersmimecertificate')), userCertificate: binaries(attrs.get('usercertificate')) },
    );
    const entry: DirectoryEntry = { directory: this.name, id: raw.dn, kind: isGroup ? 'group' : 'person', addresses, candidates, unreadable };
    if (primary !== undefined) entry.address = primary;
    const displayName = texts(attrs.get('displayname'))[0] ?? texts(attrs.get('cn'))[0];
    if (displayName !== undefined) entry.displayName = displayName;
    if (isGroup) entry.members = [...texts(attrs.get('member')), ...texts(attrs.get('uniquemember'))].map((ref) => ({ ref }));
    return { entry, secondary };
  }

  /**
   * The direct members of a group this directory returned, each read by its
   * DN (a base-scope search). Members that no longer exist, or that the
   * bind may not read, are left out.
   */
  async members(group: DirectoryEntry, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    const refs = (group.members ?? []).map((m) => m.ref);
    const out: (DirectoryEntry | undefined)[] = new Array(refs.length);
    let next = 0;
    const worker = async () => {
      while (next < refs.length) {
        const i = next++;
        out[i] = await this.readEntry(refs[i]!, options.signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.memberConcurrency ?? 8, refs.length) }, worker));
    return out.filter((e): e is DirectoryEntry => e !== undefined);
  }

  private async readEntry(dn: string, signal: AbortSignal | undefined): Promise<DirectoryEntry | undefined> {
    try {
      const entries = await this.run('member read', signal, async (client) => {
        const { searchEntries } = await client.search(dn, {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: [...BASE_ATTRIBUTES, ...(this.options.attributes ?? [])],
          explicitBufferAttributes: CERTIFICATE_ATTRIBUTES,
          timeLimit: this.options.timeLimitSeconds ?? 10,
        });
        return searchEntries;
      });
      this.stats.memberReads++;
      return entries[0] ? this.toEntry(entries[0]).entry : undefined;
    } catch (e) {
      if (e instanceof DirectoryError && e.cause instanceof NoSuchObjectError) return undefined;
      throw e;
    }
  }

  /** Unbinds; a later lookup connects again. */
  async close(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    if (!pending) return;
    try {
      await (await pending).unbind();
    } catch {
      // Closing a connection that already failed is not an error.
    }
  }
}
