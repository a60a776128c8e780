/**
 * Choosing a recipient's encryption certificate the way Outlook does, from
 * everything the address books published, after validating each candidate
 * against the tenant's trust list (the SST): only certificates that chain to
 * it, allow encryption and name the address can be chosen.
 *
 * Order (see docs/address-books.md): a valid `userSMIMECertificate`
 * candidate marked as the default for encryption; else the first valid
 * `userSMIMECertificate` candidate (value order); only then `userCertificate`
 * candidates, subject to `fallback`. Within a rank the newest (latest
 * notBefore) wins. Collecting and validating the candidates is in
 * candidate-validation.ts; the ranking and the reasons in words are here.
 */
import { ArgumentError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import type { Certificate, Crl } from '../x509/index.js';
import { TrustList } from '../trust/trust-list.js';
import type { RevocationSetting } from '../trust/options.js';
import type { ValidationReport } from '../trust/report.js';
import { abortError } from './abort.js';
import { assertAddress } from './address.js';
import { check, collect, type Checked, type Context } from './candidate-validation.js';
import { CompositeDirectory } from './composite.js';
import type {
  CandidateVerdict,
  CertificateDirectory,
  DirectoryEntry,
  DirectorySourceResult,
  RecipientCertificate,
} from './types.js';

/**
 * When `userCertificate` values may be used.
 * - `when-none-valid` (default): when no `userSMIMECertificate` candidate is valid, so a stale
 *   published blob cannot hide a valid certificate the CA published.
 * - `when-empty`: exactly Outlook: only for entries whose `userSMIMECertificate` is empty.
 */
export type CertificateFallback = 'when-none-valid' | 'when-empty';

/** Validated reports shared between lookups; keys are fingerprint, address and validation time. */
export type ValidationCache = Map<string, Promise<ValidationReport>>;

/** One directory, several (searched through a `CompositeDirectory`), or a composite. */
export type DirectoryInput = CertificateDirectory | readonly CertificateDirectory[];

/** Trust settings of the selection (what `validateCertificate` gets, purpose `encrypt`). */
export interface SelectCertificateOptions {
  /** The trust list (the tenant's SST): the only anchors. */
  trust: TrustList;
  /** Validation time (default: now, fixed once per call). */
  at?: Date;
  /** Extra untrusted CA certificates for path building (candidates' published chains are always used). */
  intermediates?: Iterable<BytesLike | string>;
  crls?: Iterable<BytesLike | string | Crl>;
  /** Revocation mode (default `prefer`), or a mode with online sources (docs/revocation.md). */
  revocation?: RevocationSetting;
  allowWeak?: boolean;
  /** Default `when-none-valid`. */
  fallback?: CertificateFallback;
  /**
   * A certificate that names another address of the same entry (a secondary proxy address)
   * is accepted, as Exchange's OWAUseSecondaryProxiesWhenFindingCertificates. Default true.
   */
  secondaryAddresses?: boolean;
  /** Reuse validations across calls (e.g. `resolveRecipients` shares one). */
  validationCache?: ValidationCache;
  signal?: AbortSignal;
}

/** Options of `resolveCertificate`. */
export interface ResolveCertificateOptions extends SelectCertificateOptions {
  directory: DirectoryInput;
  /** Per-directory time limit when `directory` is not already a `CompositeDirectory` (default 10 000 ms). */
  timeoutMs?: number;
}

/** A resolved recipient, with the human summary a lookup report shows. */
export interface ResolvedCertificate extends RecipientCertificate {
  /** Why this certificate, or why there is none, in words. */
  reason: string;
  /** Published values that could not be decoded (they are never candidates). */
  unreadable: (DirectoryEntry['unreadable'][number] & { directory: string; entry: string })[];
}

/** The composite to search `directory` through (a composite is used as it is). */
export function asComposite(directory: DirectoryInput, timeoutMs?: number): CompositeDirectory {
  if (directory instanceof CompositeDirectory) return directory;
  const list = Array.isArray(directory)
    ? (directory as readonly CertificateDirectory[])
    : [directory as CertificateDirectory];
  return new CompositeDirectory(list, timeoutMs === undefined ? {} : { timeoutMs });
}

function rankOf(c: Checked, fallback: CertificateFallback): Rank | undefined {
  if (!c.valid) return undefined;
  if (c.published.preferred) return 'preferred';
  if (c.published.smime) return 'smime';
  if (fallback === 'when-empty' && !c.published.fallbackOk) return undefined;
  return 'user-certificate';
}

const RANK_ORDER: Record<Rank, number> = { preferred: 0, smime: 1, 'user-certificate': 2 };
const notBefore = (c: Checked): number => c.published.cert?.notBefore.getTime() ?? 0;

/** Negative when `a` should be chosen before `b` (both eligible). */
function compare(a: Checked, b: Checked, ra: Rank, rb: Rank): number {
  if (ra !== rb) return RANK_ORDER[ra] - RANK_ORDER[rb];
  if (ra === 'smime' && a.published.valueIndex !== b.published.valueIndex)
    return a.published.valueIndex - b.published.valueIndex;
  return notBefore(b) - notBefore(a) || a.published.order - b.published.order;
}

function verdict(c: Checked, chosen: boolean, reason: string): CandidateVerdict {
  const p = c.published;
  return {
    candidate: p.candidate,
    sources: p.sources,
    fingerprint: p.fingerprint,
    subject: p.cert?.subject.text ?? '',
    notBefore: p.cert?.notBefore ?? new Date(NaN),
    notAfter: p.cert?.notAfter ?? new Date(NaN),
    valid: c.valid,
    problems: c.problems,
    chosen,
    reason,
  };
}

/**
 * Chooses the encryption certificate for `address` from entries a search
 * returned (person entries only; groups are expanded by `resolveRecipients`).
 * Every candidate is validated once and kept, chosen or not, with a reason.
 *
 * @throws ArgumentError `bad-argument` (no trust list, unknown `fallback`), `bad-address`
 */
export async function selectCertificate(
  address: string,
  entries: readonly DirectoryEntry[],
  sources: readonly DirectorySourceResult[],
  options: SelectCertificateOptions,
): Promise<ResolvedCertificate> {
  assertAddress(address);
  if (!options || !(options.trust instanceof TrustList))
    throw new ArgumentError('bad-argument', 'selecting a certificate needs options.trust (a TrustList)');
  const fallback = options.fallback ?? 'when-none-valid';
  if (fallback !== 'when-none-valid' && fallback !== 'when-empty')
    throw new ArgumentError('bad-argument', `unknown fallback "${String(fallback)}" (when-none-valid or when-empty)`);
  const ctx: Context = {
    options,
    at: options.at ?? new Date(),
    intermediates: [...(options.intermediates ?? [])],
    crls: [...(options.crls ?? [])],
    cache: options.validationCache ?? new Map<string, Promise<ValidationReport>>(),
  };
  const persons = entries.filter((e) => e.kind === 'person');
  const checked = await Promise.all(collect(persons, address).map((p) => check(ctx, p, address)));
  if (options.signal?.aborted) throw abortError(options.signal, 'certificate selection');

  let winner: { c: Checked; rank: Rank } | undefined;
  for (const c of checked) {
    const rank = rankOf(c, fallback);
    if (rank && (!winner || compare(c, winner.c, rank, winner.rank) < 0)) winner = { c, rank };
  }
  const hasSmime = checked.some((c) => c.published.smime);
  const candidates = checked.map((c) => {
    if (winner && c === winner.c) return verdict(c, true, chosenReason(winner.rank, hasSmime, c.via));
    if (!c.valid) return verdict(c, false, rejectedReason(c.problems, c.published.cert, ctx.at));
    const rank = rankOf(c, fallback);
    return verdict(
      c,
      false,
      loserReason(
        rank,
        winner && { rank: winner.rank, valueIndex: winner.c.published.valueIndex, notBefore: notBefore(winner.c) },
        c.published.valueIndex,
        notBefore(c),
      ),
    );
  });
  const unreadable = persons.flatMap((e) => e.unreadable.map((u) => ({ ...u, directory: e.directory, entry: e.id })));
  const result: ResolvedCertificate = { address, candidates, sources: [...sources], via: [], reason: '', unreadable };
  if (winner) {
    result.chosen = candidates[checked.indexOf(winner.c)]!;
    result.certificate = winner.c.published.der;
    result.reason = result.chosen.reason;
  } else {
    result.missing = checked.length
      ? 'no-valid-certificate'
      : sources.some((s) => s.status !== 'ok')
        ? 'directory-error'
        : persons.length
          ? 'no-certificate'
          : 'not-found';
    result.reason = missingReason(result);
  }
  return result;
}

/**
 * Finds `address` in every address book (in parallel, each under its time
 * limit) and chooses its encryption certificate: see `selectCertificate`.
 * A failing directory is reported in `sources`; when it leaves nothing to
 * choose, `missing` is `directory-error`.
 *
 * @example
 * ```ts
 * const bob = await resolveCertificate('bob@example.com', { directory: [gal, contacts], trust });
 * if (bob.certificate) recipients.push({ address: bob.address, certificate: bob.certificate });
 * else console.log(bob.reason);
 * ```
 * @throws ArgumentError `bad-address`, `bad-argument`; DirectoryError `directory-timeout` when `signal` aborts
 */
export async function resolveCertificate(
  address: string,
  options: ResolveCertificateOptions,
): Promise<ResolvedCertificate> {
  assertAddress(address);
  if (!options || !options.directory)
    throw new ArgumentError('bad-argument', 'resolveCertificate needs options.directory');
  const composite = asComposite(options.directory, options.timeoutMs);
  const lookup = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.secondaryAddresses !== undefined ? { secondaryAddresses: options.secondaryAddresses } : {}),
  };
  const { entries, sources } = await composite.search(address, lookup);
  return selectCertificate(address, entries, sources, options);
}

// ---- Reasons, in words -------------------------------------------------------------------------

/** How a valid candidate ranks: default (preferred) userSMIMECertificate, other userSMIMECertificate, userCertificate. */
type Rank = 'preferred' | 'smime' | 'user-certificate';

const PROBLEM_WORDS: Record<string, string> = {
  'untrusted-root': 'does not chain to a certificate in the trust list',
  'bad-signature': 'a signature in its chain does not verify',
  'not-ca': 'an issuer in its chain is not a CA',
  'path-length': "its chain exceeds a CA's path length",
  'bad-key-usage': 'its key usage does not allow encryption',
  'bad-eku': 'not issued for e-mail protection (extended key usage)',
  'email-mismatch': 'issued for another address',
  'name-constraints': "outside a CA's name constraints",
  policy: 'its certificate policies are not acceptable',
  revoked: 'revoked',
  'revocation-unknown': 'its revocation status is unknown',
  'weak-algorithm': 'uses a weak algorithm or key',
  'unsupported-algorithm': 'uses an unsupported algorithm',
  'unknown-critical-extension': 'has an unknown critical extension',
  'anchor-not-trusted-for-purpose': 'its trust-list root is not trusted for e-mail',
  'malformed-certificate': 'cannot be decoded',
};

const day = (d: Date): string => d.toISOString().slice(0, 10);

function rejectedReason(
  problems: readonly { code: string; message: string }[],
  cert: Certificate | undefined,
  at: Date,
): string {
  const words = [...new Map(problems.map((p) => [p.code, p])).values()].map((p) => {
    let text = PROBLEM_WORDS[p.code] ?? p.message;
    // The dates help people most when it is the certificate itself; otherwise it is a CA of its chain.
    if (p.code === 'expired')
      text =
        cert && cert.notAfter < at ? `expired on ${day(cert.notAfter)}` : 'a CA certificate of its chain has expired';
    if (p.code === 'not-yet-valid')
      text =
        cert && cert.notBefore > at
          ? `not valid before ${day(cert.notBefore)}`
          : 'a CA certificate of its chain is not valid yet';
    return `${text} (${p.code})`;
  });
  return `rejected: ${words.join('; ') || 'not valid'}`;
}

function chosenReason(rank: Rank, hasSmime: boolean, via: string | undefined): string {
  const base =
    rank === 'preferred'
      ? 'default certificate in userSMIMECertificate'
      : rank === 'smime'
        ? 'first valid certificate in userSMIMECertificate'
        : `valid certificate in userCertificate${hasSmime ? ' (no valid certificate in userSMIMECertificate)' : ''}`;
  return via ? `${base}; it names ${via}, another address of the same entry` : base;
}

function loserReason(
  rank: Rank | undefined,
  winner: { rank: Rank; valueIndex: number; notBefore: number } | undefined,
  valueIndex: number,
  nb: number,
): string {
  if (!rank)
    return "valid, but not used: the entry's userSMIMECertificate is not empty (fallback 'when-empty', as Outlook)";
  if (!winner) return 'valid';
  if (winner.rank !== rank) {
    return winner.rank === 'preferred'
      ? 'not chosen: default certificate in userSMIMECertificate preferred'
      : 'not chosen: userSMIMECertificate certificates come before userCertificate';
  }
  if (rank === 'smime' && winner.valueIndex < valueIndex)
    return 'not chosen: earlier userSMIMECertificate value preferred';
  if (winner.notBefore > nb) return 'not chosen: newer certificate preferred';
  return 'not chosen: an equally new certificate was found first';
}

/** Why a resolved recipient has no certificate, in words (what error messages and reports show). */
export function missingReason(
  r: Pick<ResolvedCertificate, 'missing' | 'candidates' | 'sources'> & {
    unreadable?: ResolvedCertificate['unreadable'];
  },
): string {
  const failed = r.sources
    .filter((s) => s.status !== 'ok')
    .map((s) => `${s.directory}: ${s.status}${s.error ? ` (${s.error.code})` : ''}`);
  const failedNote = failed.length ? `; address books that did not answer: ${failed.join(', ')}` : '';
  switch (r.missing) {
    case undefined:
      return 'resolved';
    case 'not-found':
      return `no address book has an entry for this address${failedNote}`;
    case 'no-certificate': {
      const bad = r.unreadable?.length
        ? `; ${r.unreadable.length} published value(s) could not be read (${[...new Set(r.unreadable.map((u) => u.code))].join(', ')})`
        : '';
      return `the address book entry has no certificate${bad}${failedNote}`;
    }
    case 'no-valid-certificate':
      return `no valid certificate: ${r.candidates.map((c) => `${c.subject || c.fingerprint.slice(0, 16)}: ${c.reason}`).join('; ')}${failedNote}`;
    case 'directory-error':
      return `no certificate found and address books failed: ${failed.join(', ')}`;
  }
}
