/**
 * `MemoryDirectory`: an address book held in memory — Outlook's Contacts folder, a test fixture,
 * or an admin's export of the GAL (LDIF) — with the lookup rules of the LDAP directory.
 */
import { ArgumentError } from '../errors.js';
import { toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import { assertAddress, entryAddresses, normalizeAddress, parseProxyAddress } from './address.js';
import { abortError } from './abort.js';
import { candidatesFromAttributes } from './candidates.js';
import type { LdifOptions } from './ldif.js';
import {
  DN_LIKE,
  attempt,
  isAddress,
  planLoad,
  type MemoryGroup,
  type MemoryLoadFormat,
  type MemoryLoadOptions,
  type MemoryLoadSkip,
  type MemoryPerson,
} from './memory-load.js';
import type { CertificateDirectory, DirectoryEntry, LookupOptions } from './types.js';

export type {
  MemoryGroup,
  MemoryLoadFormat,
  MemoryLoadOptions,
  MemoryLoadSkip,
  MemoryLoadSkipCode,
  MemoryPerson,
} from './memory-load.js';

/** What `load` added and what it skipped. */
export interface MemoryLoadResult {
  format: MemoryLoadFormat;
  /** The entries added, as `lookup` returns them. */
  added: DirectoryEntry[];
  skipped: MemoryLoadSkip[];
}

/** A group's members split into the entries found and the references this directory does not hold. */
export interface MemberExpansion {
  entries: DirectoryEntry[];
  /** Member references (ids, DNs, addresses) that match no entry. */
  missing: string[];
}

interface Stored {
  entry: DirectoryEntry;
  /** Normalised secondary (`smtp:`) addresses. */
  secondary: ReadonlySet<string>;
}

/** A DN in a form that compares equal across case and spacing differences (member values vs entry DNs). */
function dnKey(dn: string): string | undefined {
  if (!DN_LIKE.test(dn)) return undefined;
  const ava = (a: string) => {
    // Plain string work, not regular expressions: `\s+$` backtracks quadratically over long runs of spaces.
    const eq = a.indexOf('=');
    const text = eq < 0 ? a : `${a.slice(0, eq).trim()}=${a.slice(eq + 1).trimStart()}`;
    let end = text.length;
    while (end > 0 && /\s/.test(text[end - 1]!)) end--;
    // A space escaped with a backslash belongs to the value.
    if (end > 0 && end < text.length && text[end - 1] === '\\') end++;
    return text.slice(0, end);
  };
  return dn
    .split(/(?<!\\)[,;]/)
    .map((rdn) =>
      rdn
        .split(/(?<!\\)\+/)
        .map(ava)
        .sort()
        .join('+'),
    )
    .join(',')
    .toLowerCase();
}

/** DER values of one certificate input: every CERTIFICATE block of PEM; anything else as given. */
function certificateValues(input: BytesLike | string): Uint8Array[] {
  const bytes = typeof input === 'string' ? utf8(input) : toBytes(input, 'certificate');
  const blocks = looksLikePem(bytes)
    ? attempt(() => decodePem(bytes).filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE'))
    : undefined;
  // Broken armour or no certificate block: candidatesFromAttributes reports the value as unreadable.
  return blocks?.length ? blocks.map((b) => b.der) : [bytes.slice()];
}

/** A deep copy: callers cannot change the directory through what it returns. */
function copyEntry(e: DirectoryEntry): DirectoryEntry {
  const candidates = e.candidates.map((c) => ({
    ...c,
    certificate: c.certificate.slice(),
    chain: c.chain.map((b) => b.slice()),
    raw: c.raw.slice(),
    ...(c.capabilities
      ? {
          capabilities: c.capabilities.map((x) =>
            x.parameters ? { ...x, parameters: x.parameters.slice() } : { ...x },
          ),
        }
      : {}),
  }));
  const members = e.members ? { members: e.members.map((m) => ({ ...m })) } : {};
  return { ...e, addresses: [...e.addresses], candidates, unreadable: e.unreadable.map((u) => ({ ...u })), ...members };
}

/**
 * An in-memory address book. Lookups match `mail` and SMTP proxy addresses, the local part exactly
 * and the domain case-insensitively (RFC 8550), through an index by normalised address. Every result
 * is a deep copy.
 *
 * Groups: a member reference (entry id, DN, or address) is resolved when the group is read, so
 * members may be added after the group. In a returned group, `members[].ref` is the member's entry id
 * (with its `address`) when the reference names one entry; otherwise the reference as given.
 * `members(group)` returns the entries found, in list order, and leaves out references this
 * directory does not hold: they remain in `group.members` for the caller to report or look up
 * elsewhere (`resolveRecipients` looks addresses up in every address book and reports the rest).
 * `expandMembers(group)` returns the entries and the `missing` references together.
 *
 * @example
 * ```ts
 * const contacts = new MemoryDirectory({ name: 'Contacts' });
 * contacts.add({ mail: 'bob@example.com', userCertificate: [bobPem] });
 * const [bob] = await contacts.lookup('bob@EXAMPLE.com');
 * ```
 */
export class MemoryDirectory implements CertificateDirectory {
  readonly name: string;
  private readonly byId = new Map<string, Stored>();
  private readonly byDn = new Map<string, Stored>();
  private readonly byAddress = new Map<string, Stored[]>();
  private nextId = 1;

  /** `name` is shown in reports and on candidates (default `memory`). */
  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? 'memory';
  }

  /** Number of entries (people and groups). */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds a person; certificate values that cannot be decoded are kept in `unreadable`, not thrown.
   *
   * @throws ArgumentError `bad-address` (a `mail` or SMTP proxy address), `bad-argument` (a duplicate id)
   */
  add(person: MemoryPerson): DirectoryEntry {
    return copyEntry(this.insertPerson(person, []).entry);
  }

  /**
   * Adds a distribution list; members are resolved when it is expanded, so they may be added later.
   *
   * @throws ArgumentError `bad-address`, `bad-argument` (a duplicate id, members not an array)
   */
  addGroup(group: MemoryGroup): DirectoryEntry {
    return this.copyOut(this.insertGroup(group));
  }

  /** A directory built from an LDIF export (`ldifde -f`, `ldapsearch -LLL`); `load` also returns the skip report. */
  static fromLdif(text: string | BytesLike, options: { name?: string; ldif?: LdifOptions } = {}): MemoryDirectory {
    const directory = new MemoryDirectory(options.name === undefined ? {} : { name: options.name });
    directory.load(text, { format: 'ldif', ...(options.ldif ? { ldif: options.ldif } : {}) });
    return directory;
  }

  /**
   * Adds what a file holds (bytes or text; never a path). Detection (`format: 'auto'`), in this order:
   * 1. LDIF: the first line that is neither blank nor a `#` comment starts with `dn:` or `version:`
   *    (UTF-8, or UTF-16 with a BOM);
   * 2. certificates, via `loadCertificates`: SST, PEM, DER certificate, PKCS#7 `.p7b`, base64 of
   *    these — except a SignedData with SignerInfos, which is taken as 3.;
   * 3. a `userSMIMECertificate` value (DER or base64): CMS SignedData, or Outlook's TLV form.
   *
   * A certificate file with `address` becomes one entry holding all its end-entity certificates;
   * without, one entry per end-entity certificate under the certificate's own e-mail addresses.
   * CA certificates become the published chain of those entries, never entries; CRLs, certificates
   * without an address, LDIF records that are no address-book entries and duplicates are skipped
   * with a reason (`skipped`).
   *
   * @throws FormatError `unsupported-format` (none of these), `malformed-ldif`, `unsupported-ldif-url`,
   *   `malformed-user-smime-certificate` (with `format: 'user-smime-certificate'`); LimitError `limit-exceeded`;
   *   ArgumentError `bad-address` (`options.address`)
   */
  load(input: BytesLike | string, options: MemoryLoadOptions = {}): MemoryLoadResult {
    const bytes = typeof input === 'string' ? utf8(input) : toBytes(input, 'input');
    if (options.address !== undefined) assertAddress(options.address);
    if (![undefined, 'auto', 'ldif', 'certificates', 'user-smime-certificate'].includes(options.format)) {
      throw new ArgumentError('bad-argument', `unknown load format "${String(options.format)}"`);
    }
    const plan = planLoad(bytes, options);
    const added: Stored[] = [];
    for (const planned of plan.entries) {
      const id = planned.kind === 'person' ? planned.person.id : planned.group.id;
      if (id !== undefined && this.resolveId(id)) {
        plan.skipped.push({
          item: id,
          code: 'duplicate-entry',
          reason: 'an entry with this id or DN is already in the directory',
        });
        continue;
      }
      added.push(
        planned.kind === 'person' ? this.insertPerson(planned.person, planned.chain) : this.insertGroup(planned.group),
      );
    }
    // Copied once the whole file is in: group members may come later in it.
    return { format: plan.format, added: added.map((s) => this.copyOut(s)), skipped: plan.skipped };
  }

  /** Entries with this address (see `CertificateDirectory.lookup`). */
  async lookup(address: string, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    if (options.signal?.aborted) throw abortError(options.signal, this.name);
    assertAddress(address);
    const key = normalizeAddress(address);
    const hits = (this.byAddress.get(key) ?? []).filter(
      (s) => options.secondaryAddresses !== false || !s.secondary.has(key),
    );
    return hits.map((s) => this.copyOut(s));
  }

  /** Direct members of a group, in list order; references that match no entry are left out (see the class notes). */
  async members(group: DirectoryEntry, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    if (options.signal?.aborted) throw abortError(options.signal, this.name);
    return this.expandMembers(group).entries;
  }

  /** Direct members of a group: the entries found, and the references that match none. */
  expandMembers(group: DirectoryEntry): MemberExpansion {
    const out: MemberExpansion = { entries: [], missing: [] };
    const seen = new Set<string>();
    for (const { ref } of group.members ?? []) {
      const hits = this.resolve(ref);
      if (hits.length === 0) out.missing.push(ref);
      for (const s of hits.filter((h) => !seen.has(h.entry.id))) {
        seen.add(s.entry.id);
        out.entries.push(this.copyOut(s));
      }
    }
    return out;
  }

  private newEntry(kind: DirectoryEntry['kind'], init: MemoryPerson | MemoryGroup): Stored {
    const mail = init.mail === undefined ? [] : typeof init.mail === 'string' ? [init.mail] : [...init.mail];
    const proxies = [...(init.proxyAddresses ?? [])];
    for (const a of [...mail, ...proxies.map(parseProxyAddress).flatMap((p) => (p ? [p.address] : []))])
      assertAddress(a);
    const id = this.claimId(init.id);
    const { primary, addresses, secondary } = entryAddresses(mail, proxies);
    const entry: DirectoryEntry = { directory: this.name, id, kind, addresses, candidates: [], unreadable: [] };
    if (primary !== undefined) entry.address = primary;
    if (init.displayName !== undefined) entry.displayName = init.displayName;
    return { entry, secondary };
  }

  private insertPerson(person: MemoryPerson, chain: readonly Uint8Array[]): Stored {
    const stored = this.newEntry('person', person);
    const userCertificate = [...(person.userCertificate ?? []), ...(person.certificates ?? [])].flatMap(
      certificateValues,
    );
    const userSMIMECertificate = (person.userSMIMECertificate ?? []).map((v) =>
      toBytes(v, 'userSMIMECertificate value').slice(),
    );
    const { candidates, unreadable } = candidatesFromAttributes(
      { directory: this.name, entry: stored.entry.id },
      { userSMIMECertificate, userCertificate },
    );
    // CA certificates loaded beside bare certificates are their published chain.
    for (const c of candidates)
      if (c.attribute === 'userCertificate' && chain.length > 0) c.chain = chain.map((b) => b.slice());
    stored.entry.candidates = candidates;
    stored.entry.unreadable = unreadable;
    return this.store(stored);
  }

  private insertGroup(group: MemoryGroup): Stored {
    if (!Array.isArray(group.members))
      throw new ArgumentError('bad-argument', 'group.members must be an array of ids, DNs or addresses');
    const stored = this.newEntry('group', group);
    stored.entry.members = group.members.map((ref) => ({ ref: String(ref) }));
    return this.store(stored);
  }

  private claimId(id: string | undefined): string {
    if (id !== undefined && (typeof id !== 'string' || id === ''))
      throw new ArgumentError('bad-argument', 'an entry id must be a non-empty string');
    if (id !== undefined && this.byId.has(id))
      throw new ArgumentError('bad-argument', `the directory already has an entry "${id}"`);
    if (id !== undefined) return id;
    while (this.byId.has(`entry-${this.nextId}`)) this.nextId++;
    return `entry-${this.nextId++}`;
  }

  private store(stored: Stored): Stored {
    this.byId.set(stored.entry.id, stored);
    const dn = dnKey(stored.entry.id);
    if (dn !== undefined && !this.byDn.has(dn)) this.byDn.set(dn, stored);
    for (const a of stored.entry.addresses) {
      const key = normalizeAddress(a);
      const list = this.byAddress.get(key);
      if (list) list.push(stored);
      else this.byAddress.set(key, [stored]);
    }
    return stored;
  }

  /** The entry with this id, or this DN (case and spacing ignored). */
  private resolveId(ref: string): Stored | undefined {
    const dn = this.byId.has(ref) ? undefined : dnKey(ref);
    return this.byId.get(ref) ?? (dn === undefined ? undefined : this.byDn.get(dn));
  }

  /** A member reference: an entry id, else a DN, else an address (every entry that has it). */
  private resolve(ref: string): Stored[] {
    const byId = this.resolveId(ref);
    if (byId) return [byId];
    return isAddress(ref) ? [...(this.byAddress.get(normalizeAddress(ref)) ?? [])] : [];
  }

  /** A copy; a group's member references become entry ids (with addresses) where they resolve to one entry. */
  private copyOut(s: Stored): DirectoryEntry {
    const copy = copyEntry(s.entry);
    if (copy.members) {
      copy.members = copy.members.map(({ ref }) => {
        const hits = this.resolve(ref);
        const hit = hits.length === 1 ? hits[0]!.entry : undefined;
        if (hit) return hit.address === undefined ? { ref: hit.id } : { ref: hit.id, address: hit.address };
        return isAddress(ref) ? { ref, address: ref } : { ref };
      });
    }
    return copy;
  }
}
