/**
 * Results of `validateCertificate` kept per trust list, so that the certificate of every message from the same
 * sender is not validated again (warm: a key lookup instead of path building and signature checks).
 *
 * Only what cannot change is reused:
 * - the key is the end-entity, the intermediates and CRLs given (in order) and every option that can change the
 *   result except the time;
 * - a result holds for another validation time only inside the interval around the time it was computed in which no
 *   date the validation compares the time with falls (notBefore/notAfter of the certificates it could use, anchors
 *   included; thisUpdate/nextUpdate of the CRLs; disallowed-after of anchors);
 * - the trust list gaining an anchor or a CRL drops every result computed for it;
 * - only valid results are kept (problem messages quote the validation time), and nothing is cached when a
 *   caller-supplied revocation checker or certificate fetcher is involved: their answers are theirs to cache.
 */
import type { Certificate, Crl } from '../x509/index.js';
import type { ResolvedOptions } from './options.js';
import type { ValidationReport } from './report.js';
import { trustListGeneration, type TrustList } from './trust-list.js';

interface Entry {
  report: ValidationReport;
  /** The validation time it was computed for, and the open interval (lo, hi) around it without any date. */
  at: number;
  lo: number;
  hi: number;
}

interface ListCache {
  generation: number;
  entries: Map<string, Entry>;
}

/** Results kept per trust list (least recently used dropped first). */
const MAX_ENTRIES = 2048;
const caches = new WeakMap<TrustList, ListCache>();

/** What a validation is computed from, apart from the time. */
export interface ValidationInputs {
  trust: TrustList;
  leaf: Certificate;
  intermediates: readonly Certificate[];
  crls: readonly Crl[];
  options: ResolvedOptions;
}

/** The cache key of a validation, or undefined when it must not be cached. */
export function validationKey(inputs: ValidationInputs): string | undefined {
  const o = inputs.options;
  // Online answers change with time and the network: never reused.
  if (o.revocationChecker || o.fetchers.length > 0 || o.online) return undefined;
  return [
    inputs.leaf.fingerprint,
    inputs.intermediates.map((c) => c.fingerprint).join(','),
    inputs.crls.map((c) => c.fingerprint).join(','),
    o.purpose,
    o.email ?? '',
    o.initialPolicies.join(','),
    o.requireExplicitPolicy,
    o.inhibitPolicyMapping,
    o.inhibitAnyPolicy,
    o.allowWeak,
    o.minRsaBits,
    o.revocation,
    o.requireEku,
    o.acceptAnyEku,
    o.maxDepth,
    o.maxPaths,
    o.maxWork,
    o.maxNameConstraintChecks,
    o.strictness,
  ].join('|');
}

function listCache(trust: TrustList): ListCache {
  const generation = trustListGeneration(trust);
  let cache = caches.get(trust);
  if (!cache || cache.generation !== generation) {
    cache = { generation, entries: new Map() };
    caches.set(trust, cache);
  }
  return cache;
}

/** A copy of the cached report for `at`, or undefined. */
export function cachedValidation(trust: TrustList, key: string, at: Date): ValidationReport | undefined {
  const cache = listCache(trust);
  const entry = cache.entries.get(key);
  if (!entry) return undefined;
  const t = at.getTime();
  if (t !== entry.at && !(entry.lo < t && t < entry.hi)) return undefined;
  cache.entries.delete(key); // most recently used last
  cache.entries.set(key, entry);
  return copyReport(entry.report, at);
}

/** Keeps a valid report computed for `inputs` at `options.at`. */
export function storeValidation(inputs: ValidationInputs, key: string, report: ValidationReport): void {
  if (!report.valid) return;
  const at = inputs.options.at.getTime();
  let lo = -Infinity;
  let hi = Infinity;
  const date = (d: Date | undefined) => {
    if (!d) return;
    const t = d.getTime();
    if (t <= at) lo = Math.max(lo, t);
    if (t >= at) hi = Math.min(hi, t);
  };
  for (const c of [inputs.leaf, ...inputs.intermediates]) {
    date(c.notBefore);
    date(c.notAfter);
  }
  for (const a of inputs.trust.anchors) {
    date(a.certificate.notBefore);
    date(a.certificate.notAfter);
    date(a.disallowedAfter);
  }
  for (const crl of [...inputs.trust.crls, ...inputs.crls]) {
    date(crl.thisUpdate);
    date(crl.nextUpdate);
  }
  const cache = listCache(inputs.trust);
  cache.entries.set(key, { report: copyReport(report, inputs.options.at), at, lo, hi });
  if (cache.entries.size > MAX_ENTRIES) cache.entries.delete(cache.entries.keys().next().value!);
}

/** A copy the caller may change without changing the cache. */
function copyReport(report: ValidationReport, at: Date): ValidationReport {
  return {
    ...report,
    path: report.path.map((p) => ({ ...p })),
    problems: report.problems.map((p) => ({ ...p })),
    warnings: report.warnings.map((p) => ({ ...p })),
    policies: [...report.policies],
    at,
  };
}
