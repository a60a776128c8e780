/**
 * `CompositeDirectory`: every address book at once, the way Outlook searches
 * the GAL, Contacts and each LDAP directory for a recipient. Directories are
 * queried in parallel, each under its own time limit, and one that fails or
 * hangs only shows up in the per-directory `sources` report: it never fails
 * the lookup as a whole.
 */
import { ArgumentError, DirectoryError, SmimeError } from '../errors.js';
import { abortError, withAbort } from './abort.js';
import { assertAddress } from './address.js';
import type { CertificateDirectory, DirectoryEntry, DirectorySourceResult, LookupOptions } from './types.js';

/** Default time limit of one directory's lookup (milliseconds). */
export const DEFAULT_DIRECTORY_TIMEOUT_MS = 10_000;

/** A directory with its own time limit. */
export interface CompositeMember {
  directory: CertificateDirectory;
  /** Overrides `CompositeDirectoryOptions.timeoutMs` for this directory. */
  timeoutMs?: number;
}

/** Options of `CompositeDirectory`. */
export interface CompositeDirectoryOptions {
  /** Time limit of each directory's lookup, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** The composite's own name, shown when it is itself nested in reports (default `composite`). */
  name?: string;
}

/** What `CompositeDirectory.search` found: the merged entries and how each directory answered. */
export interface CompositeSearchResult {
  /** Entries of every directory that answered, in directory order. */
  entries: DirectoryEntry[];
  /** One per directory, in directory order. */
  sources: DirectorySourceResult[];
}

interface Member {
  directory: CertificateDirectory;
  timeoutMs: number;
}

type Outcome<T> =
  | { ok: true; value: T; source: DirectorySourceResult }
  | { ok: false; error: SmimeError; source: DirectorySourceResult };

function checkTimeout(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new ArgumentError('bad-argument', `${what} must be a positive number of milliseconds`);
  return value;
}

/** A typed error for whatever a (third-party) directory threw. */
function directoryFailure(e: unknown, name: string): SmimeError {
  if (e instanceof SmimeError) return e;
  const text = e instanceof Error ? e.message : String(e);
  // A directory that does not throw DirectoryError still failed to give a usable answer.
  return new DirectoryError('directory-bad-response', `${name}: ${text}`, { cause: e, details: { directory: name } });
}

/**
 * Several address books searched as one. Entries keep the name of the
 * directory that returned them, so names must be unique.
 *
 * @example
 * ```ts
 * const books = new CompositeDirectory([gal, { directory: partnerLdap, timeoutMs: 3000 }, contacts]);
 * const { entries, sources } = await books.search('bob@example.com');
 * for (const s of sources) if (s.status !== 'ok') console.warn(`${s.directory}: ${s.status} ${s.error?.message}`);
 * ```
 */
export class CompositeDirectory implements CertificateDirectory {
  readonly name: string;
  private readonly members_: Member[];
  /** Directory name → the member that answers for it (entries of nested composites carry inner names). */
  private readonly routes = new Map<string, Member>();

  /** @throws ArgumentError `bad-argument` (no directories, a duplicate name, a bad time limit) */
  constructor(
    directories: readonly (CertificateDirectory | CompositeMember)[],
    options: CompositeDirectoryOptions = {},
  ) {
    if (!Array.isArray(directories) || directories.length === 0)
      throw new ArgumentError('bad-argument', 'CompositeDirectory needs at least one directory');
    const fallback =
      options.timeoutMs === undefined ? DEFAULT_DIRECTORY_TIMEOUT_MS : checkTimeout(options.timeoutMs, 'timeoutMs');
    this.name = options.name ?? 'composite';
    this.members_ = directories.map((d, i) => {
      const carried = 'directory' in d ? (d as { directory?: unknown }).directory : undefined;
      const member =
        typeof carried === 'object' && carried !== null
          ? (d as CompositeMember)
          : { directory: d as CertificateDirectory };
      if (typeof member.directory?.lookup !== 'function')
        throw new ArgumentError('bad-argument', `directories[${i}] is not a CertificateDirectory`);
      const timeoutMs =
        member.timeoutMs === undefined ? fallback : checkTimeout(member.timeoutMs, `directories[${i}].timeoutMs`);
      return { directory: member.directory, timeoutMs };
    });
    for (const m of this.members_) {
      // Group members are routed back by entry.directory: two directories with one name would be ambiguous.
      if (this.routes.has(m.directory.name))
        throw new ArgumentError(
          'bad-argument',
          `two directories are named "${m.directory.name}": directory names must be unique`,
        );
      this.routes.set(m.directory.name, m);
    }
  }

  /** The directories, in search order. */
  get directories(): readonly CertificateDirectory[] {
    return this.members_.map((m) => m.directory);
  }

  /**
   * Looks the address up in every directory in parallel. Never rejects
   * because a directory failed or timed out (see `sources`); rejects only for
   * a malformed address (`bad-address`) or when the caller's `signal` aborts
   * (its reason, or `directory-timeout` with `details.sources`).
   */
  async search(address: string, options: LookupOptions = {}): Promise<CompositeSearchResult> {
    assertAddress(address);
    const outcomes = await this.all((d, signal) => d.lookup(address, { ...options, signal }), options.signal);
    const entries: DirectoryEntry[] = [];
    for (const [i, o] of outcomes.entries()) {
      if (!o.ok) continue;
      for (const e of o.value) {
        entries.push(e);
        // Learn where entries of nested composites come from, for members().
        if (!this.routes.has(e.directory)) this.routes.set(e.directory, this.members_[i]!);
      }
    }
    return { entries, sources: outcomes.map((o) => o.source) };
  }

  /**
   * The merged entries of `search`, for use as a plain directory. Rejects
   * only when no directory answered (with the first directory's error).
   */
  async lookup(address: string, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    const { entries, sources } = await this.search(address, options);
    if (sources.some((s) => s.status === 'ok')) return entries;
    const first = sources[0]!;
    throw new DirectoryError(
      first.error?.code ?? 'directory-unreachable',
      `no directory answered for ${address}: ${sources.map((s) => `${s.directory} ${s.status}`).join(', ')}`,
      {
        details: { address, sources },
      },
    );
  }

  /**
   * Members of a group, asked of the directory that returned it (by
   * `group.directory`), under that directory's time limit.
   *
   * @throws ArgumentError `bad-argument` (a group from no directory of this composite);
   *   DirectoryError (the directory's failure, `directory-timeout`, or
   *   `directory-bad-response` when it cannot list members)
   */
  async members(group: DirectoryEntry, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    const member = this.routes.get(group.directory);
    if (!member)
      throw new ArgumentError(
        'bad-argument',
        `the group ${group.address ?? group.id} comes from "${group.directory}", which is not part of this composite`,
      );
    const d = member.directory;
    if (typeof d.members !== 'function') {
      throw new DirectoryError(
        'directory-bad-response',
        `${d.name} returned the group ${group.address ?? group.id} but cannot list its members`,
        { details: { directory: d.name } },
      );
    }
    const outcome = await this.run(
      member,
      (dir, signal) => dir.members!(group, { ...options, signal }),
      options.signal,
    );
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Closes every directory; rejects afterwards with the first failure, if any. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.members_.map(async (m) => m.directory.close?.()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw directoryFailure(failed.reason, 'close');
  }

  private async all<T>(
    work: (d: CertificateDirectory, signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<Outcome<T>[]> {
    if (signal?.aborted) throw abortError(signal, this.name);
    const outcomes = await Promise.all(this.members_.map((m) => this.run(m, work, signal)));
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      if (reason instanceof SmimeError) throw reason;
      const sources = outcomes.map((o) => o.source);
      throw new DirectoryError('directory-timeout', `${this.name}: the lookup was aborted`, {
        details: { directory: this.name, sources },
      });
    }
    return outcomes;
  }

  /** One directory's call under its own signal: the time limit combined with the caller's signal. */
  private async run<T>(
    member: Member,
    work: (d: CertificateDirectory, signal: AbortSignal) => Promise<T>,
    outer: AbortSignal | undefined,
  ): Promise<Outcome<T>> {
    const { directory, timeoutMs } = member;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(
        new DirectoryError('directory-timeout', `${directory.name} did not answer within ${timeoutMs} ms`, {
          details: { directory: directory.name, timeoutMs },
        }),
      );
    }, timeoutMs);
    const onAbort = () => controller.abort(outer!.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    const started = Date.now();
    try {
      // withAbort: a directory that ignores its signal is still cut off at the limit.
      const value = await withAbort(
        Promise.resolve().then(() => work(directory, controller.signal)),
        controller.signal,
        directory.name,
      );
      const entries = Array.isArray(value) ? value.length : 0;
      return {
        ok: true,
        value,
        source: { directory: directory.name, status: 'ok', entries, ms: Date.now() - started },
      };
    } catch (e) {
      const error =
        timedOut || controller.signal.aborted
          ? abortError(controller.signal, directory.name)
          : directoryFailure(e, directory.name);
      const status = timedOut
        ? 'timeout'
        : controller.signal.aborted
          ? 'aborted'
          : error.code === 'directory-timeout'
            ? 'timeout'
            : 'error';
      return {
        ok: false,
        error,
        source: {
          directory: directory.name,
          status,
          entries: 0,
          error: { code: error.code, message: error.message },
          ms: Date.now() - started,
        },
      };
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }
}
