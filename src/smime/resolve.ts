/**
 * `resolveRecipients`: every recipient of a message to an encryption
 * certificate, as Outlook does before it encrypts: each address is searched
 * in every address book, distribution lists are expanded (nested lists, with
 * a cycle guard and an overall time limit like Exchange's
 * OWADLExpansionTimeout), and every member is resolved like any recipient.
 * Nobody is skipped silently: `assertAllResolved` names everyone without a
 * usable certificate.
 */
import { ArgumentError, CertificateMissingError, DirectoryError, SmimeError, asSmimeError } from '../errors.js';
import { abortError } from '../directory/abort.js';
import { assertAddress, normalizeAddress } from '../directory/address.js';
import type { CompositeDirectory } from '../directory/composite.js';
import {
  asComposite,
  missingReason,
  selectCertificate,
  type ResolveCertificateOptions,
  type ResolvedCertificate,
  type ValidationCache,
} from '../directory/select.js';
import type { DirectoryEntry, LookupOptions, RecipientCertificate } from '../directory/types.js';

/** Default overall time limit of distribution-list expansion (Exchange's OWADLExpansionTimeout). */
export const DEFAULT_GROUP_EXPANSION_TIMEOUT_MS = 60_000;

/** Options of `resolveRecipients`: those of `resolveCertificate`, plus concurrency and list expansion. */
export interface ResolveRecipientsOptions extends ResolveCertificateOptions {
  /** Most lookups (and member listings) in flight at once (default 4). */
  concurrency?: number;
  /**
   * Overall time limit for listing distribution-list members, from the first expansion (default
   * 60 000 ms). When it passes, expansion stops: each list not yet listed gets a
   * `directory-timeout` error; members already listed are still resolved.
   */
  groupExpansionTimeoutMs?: number;
}

/** How one distribution list was expanded. */
export interface GroupResolution {
  /** The list's address (or, for a list without one, its display name or id). */
  address: string;
  /** Addresses of its direct members (people and nested lists). */
  members: string[];
  /** Lists this one was reached through, outermost first. */
  via: string[];
  /** Members that have no usable e-mail address (display name and id): they cannot be encrypted to. */
  unaddressable: string[];
  /** Why the list could not be (fully) expanded: `directory-timeout` past the expansion limit, or the directory's error. */
  error?: SmimeError;
}

/** What `resolveRecipients` returns. */
export interface ResolveRecipientsResult {
  /** Every person (asked directly or reached through a list), each once, first seen first. */
  recipients: ResolvedCertificate[];
  /** Every distribution list expanded, each once. */
  groups: GroupResolution[];
  /** Addresses of the recipients without a usable certificate (see their `reason`). */
  missing: string[];
}

interface Slot {
  address: string;
  via: string[];
  /** The entry a list named, used if the address search does not find it again. */
  known?: DirectoryEntry;
  result?: ResolvedCertificate;
}

const groupKey = (e: DirectoryEntry): string => `${e.directory}\u0000${e.id}`;
const label = (e: DirectoryEntry): string => e.address ?? e.addresses[0] ?? e.displayName ?? e.id;

function isMailbox(address: string): boolean {
  try {
    assertAddress(address);
    return true;
  } catch {
    return false;
  }
}

/** A concurrency limit: at most `n` calls of `run` in flight; a finished call hands its slot on. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new ArgumentError('bad-argument', `${what} must be a positive number`);
  return value;
}

/** The state of one `resolveRecipients` call. */
class Resolution {
  readonly slots = new Map<string, Slot>();
  readonly groups: GroupResolution[] = [];
  private readonly expanded = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;
  private readonly limit: <T>(fn: () => Promise<T>) => Promise<T>;
  private readonly cache: ValidationCache = new Map();
  private readonly at: Date;
  private deadline?: { controller: AbortController; timer: ReturnType<typeof setTimeout>; detach: () => void };

  constructor(
    private readonly composite: CompositeDirectory,
    private readonly options: ResolveRecipientsOptions,
    private readonly expansionMs: number,
  ) {
    this.limit = limiter(Math.floor(positive(options.concurrency, 4, 'concurrency')));
    this.at = options.at ?? new Date();
  }

  private lookupOptions(signal: AbortSignal | undefined): LookupOptions {
    return {
      ...(signal ? { signal } : {}),
      ...(this.options.secondaryAddresses !== undefined ? { secondaryAddresses: this.options.secondaryAddresses } : {}),
    };
  }

  /** Runs `work` in the background; the first unexpected failure fails the whole call. */
  private track(work: Promise<void>): void {
    const done: Promise<void> = work.then(
      () => void this.pending.delete(done),
      (e: unknown) => {
        this.failure ??= e;
        this.pending.delete(done);
      },
    );
    this.pending.add(done);
  }

  /** Waits for every lookup and expansion, including those started while waiting. */
  async settle(): Promise<void> {
    try {
      while (this.pending.size) await Promise.all([...this.pending]);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- an abort signal's reason is rethrown as the caller gave it
      if (this.failure !== undefined) throw this.failure;
    } finally {
      if (this.deadline) {
        clearTimeout(this.deadline.timer);
        this.deadline.detach();
      }
    }
  }

  /** Resolves an address once; the first path to it (direct, or through lists) is kept as `via`. */
  add(address: string, via: string[], known?: DirectoryEntry): void {
    const key = normalizeAddress(address);
    if (this.slots.has(key)) return;
    const slot: Slot = { address, via };
    if (known) slot.known = known;
    this.slots.set(key, slot);
    this.track(this.resolve(slot));
  }

  private async resolve(slot: Slot): Promise<void> {
    const { entries, sources } = await this.limit(() =>
      this.composite.search(slot.address, this.lookupOptions(this.options.signal)),
    );
    const persons = entries.filter((e) => e.kind === 'person');
    if (slot.known && !persons.some((e) => groupKey(e) === groupKey(slot.known!))) persons.push(slot.known);
    const groups = entries.filter((e) => e.kind === 'group');
    for (const g of groups) this.expand(g, slot.via);
    // An address that is only a list is not a recipient itself: its members are.
    if (groups.length && !persons.length) return;
    const result = await selectCertificate(slot.address, persons, sources, {
      ...this.options,
      at: this.at,
      validationCache: this.cache,
    });
    result.via = slot.via;
    if (result.missing && slot.via.length) result.reason += ` (member of ${slot.via.join(' > ')})`;
    slot.result = result;
  }

  /** Expands a list once (by directory and id: a list that contains itself terminates). */
  private expand(group: DirectoryEntry, via: string[]): void {
    if (this.expanded.has(groupKey(group))) return;
    this.expanded.add(groupKey(group));
    const result: GroupResolution = { address: label(group), members: [], via, unaddressable: [] };
    this.groups.push(result);
    this.track(this.list(group, result));
  }

  private async list(group: DirectoryEntry, result: GroupResolution): Promise<void> {
    const signal = this.expansionSignal();
    let members: DirectoryEntry[];
    try {
      if (signal.aborted) throw abortError(signal, this.composite.name);
      members = await this.limit(() => this.composite.members(group, this.lookupOptions(signal)));
    } catch (e) {
      if (this.options.signal?.aborted) throw abortError(this.options.signal, this.composite.name);
      result.error = asSmimeError(e, 'directory-bad-response', `expanding ${result.address}`);
      return;
    }
    const path = [...result.via, result.address];
    this.unlisted(group, members, result, path);
    for (const m of members) {
      const address = m.address ?? m.addresses[0];
      if (m.kind === 'group') {
        if (address) result.members.push(address);
        this.expand(m, path);
      } else if (address && isMailbox(address)) {
        result.members.push(address);
        this.add(address, path, m);
      } else {
        result.unaddressable.push(m.displayName ? `${m.displayName} (${m.id})` : m.id);
      }
    }
  }

  /**
   * Member references the directory returned no entry for (a directory may leave out what it
   * cannot find): one naming an address is resolved in every address book like any member,
   * any other is reported, never dropped silently.
   */
  private unlisted(
    group: DirectoryEntry,
    members: readonly DirectoryEntry[],
    result: GroupResolution,
    path: string[],
  ): void {
    const refs = group.members ?? [];
    if (members.length >= refs.length) return;
    const dn = (s: string) => s.toLowerCase().replace(/\s*([,=+])\s*/g, '$1');
    for (const ref of refs) {
      const address = ref.address ?? (isMailbox(ref.ref) ? ref.ref : undefined);
      const found = members.some(
        (m) =>
          dn(m.id) === dn(ref.ref) ||
          (address !== undefined && m.addresses.some((a) => normalizeAddress(a) === normalizeAddress(address))),
      );
      if (found) continue;
      if (address && isMailbox(address)) {
        result.members.push(address);
        this.add(address, path);
      } else result.unaddressable.push(`${ref.ref} (not found in ${group.directory})`);
    }
  }

  /** The expansion deadline (started by the first list), combined with the caller's signal. */
  private expansionSignal(): AbortSignal {
    if (!this.deadline) {
      const controller = new AbortController();
      const ms = this.expansionMs;
      const timer = setTimeout(
        () =>
          controller.abort(
            new DirectoryError(
              'directory-timeout',
              `distribution list expansion stopped after ${ms} ms (groupExpansionTimeoutMs)`,
              { details: { timeoutMs: ms } },
            ),
          ),
        ms,
      );
      const outer = this.options.signal;
      const onAbort = () => controller.abort(outer!.reason);
      if (outer?.aborted) onAbort();
      else outer?.addEventListener('abort', onAbort, { once: true });
      this.deadline = { controller, timer, detach: () => outer?.removeEventListener('abort', onAbort) };
    }
    return this.deadline.controller.signal;
  }
}

/**
 * Resolves the recipients of a message. Addresses are deduplicated
 * (local part exact, domain case-insensitive; order kept), looked up with
 * bounded concurrency in every directory, and distribution lists are
 * expanded recursively. Never throws because a directory failed or a
 * recipient has no certificate: see `missing`, each recipient's `reason`,
 * and `assertAllResolved`.
 *
 * @example
 * ```ts
 * const result = await resolveRecipients(['bob@contoso.com', 'team@contoso.com'], { directory: [gal, contacts], trust });
 * assertAllResolved(result); // throws recipient-certificate-missing naming everyone without a certificate
 * const recipients = result.recipients.map((r) => ({ address: r.address, certificate: r.certificate! }));
 * ```
 * @throws ArgumentError `bad-address` (an address given), `bad-argument`;
 *   DirectoryError `directory-timeout` (or the signal's reason) when `signal` aborts
 */
export async function resolveRecipients(
  addresses: readonly string[],
  options: ResolveRecipientsOptions,
): Promise<ResolveRecipientsResult> {
  const given: unknown = addresses; // checked without narrowing `addresses` to any[]
  if (!Array.isArray(given)) throw new ArgumentError('bad-argument', 'addresses must be an array of e-mail addresses');
  if (!options || !options.directory)
    throw new ArgumentError('bad-argument', 'resolveRecipients needs options.directory');
  for (const a of addresses) assertAddress(a);
  if (options.signal?.aborted) throw abortError(options.signal, 'resolveRecipients');
  const expansionMs = positive(
    options.groupExpansionTimeoutMs,
    DEFAULT_GROUP_EXPANSION_TIMEOUT_MS,
    'groupExpansionTimeoutMs',
  );
  const run = new Resolution(asComposite(options.directory, options.timeoutMs), options, expansionMs);
  for (const a of addresses) run.add(a, []);
  await run.settle();
  const recipients = [...run.slots.values()].flatMap((s) => (s.result ? [s.result] : []));
  return { recipients, groups: run.groups, missing: recipients.filter((r) => r.missing).map((r) => r.address) };
}

/**
 * Throws unless every recipient has a certificate and every list was fully
 * expanded to addressable members. The error names EVERY address concerned.
 *
 * @throws CertificateMissingError `recipient-certificate-missing` with
 *   `details.addresses` (recipients without a usable certificate, and lists
 *   that could not be fully expanded) and `details.reasons` (address → reason)
 */
export function assertAllResolved(result: {
  recipients: readonly (RecipientCertificate & { reason?: string })[];
  groups?: readonly GroupResolution[];
}): void {
  const problems: { address: string; reason: string }[] = [];
  for (const r of result.recipients)
    if (r.missing) problems.push({ address: r.address, reason: r.reason ?? missingReason(r) });
  for (const g of result.groups ?? []) {
    const why: string[] = [];
    if (g.error) why.push(`the distribution list could not be fully expanded: ${g.error.message} (${g.error.code})`);
    if (g.unaddressable.length) why.push(`members without an e-mail address: ${g.unaddressable.join(', ')}`);
    if (why.length) problems.push({ address: g.address, reason: why.join('; ') });
  }
  if (!problems.length) return;
  // Results merged from several calls may name an address twice: once is enough.
  const seen = new Set<string>();
  const unique = problems.filter(
    (p) => !seen.has(normalizeAddress(p.address)) && seen.add(normalizeAddress(p.address)),
  );
  throw new CertificateMissingError(
    'recipient-certificate-missing',
    `no usable encryption certificate for ${unique.map((p) => `${p.address} (${p.reason})`).join(', ')}`,
    {
      details: {
        addresses: unique.map((p) => p.address),
        reasons: Object.fromEntries(unique.map((p) => [p.address, p.reason])),
      },
    },
  );
}
