/**
 * Path building: a depth-first search from the end-entity towards any trust
 * anchor, through anchors, the caller's pool and fetchers. Issuer candidates
 * are ordered so that likely-correct links come first (signature verifies,
 * anchor, key identifiers match); paths are produced lazily so the validator
 * can stop at the first valid one. Depth, the number of complete paths and
 * the total number of candidates examined are bounded, and a certificate (or
 * a subject+key pair) never appears twice in a path, so cycles terminate.
 */
import { bytesEqual } from '../util/bytes.js';
import { hasDsaParameters } from '../crypto/public-key-summary.js';
import { parseSubjectPublicKeyInfo } from '../x509/index.js';
import { publicKeyAlgorithm } from '../crypto/algorithms.js';
import { parseCertificate, type Certificate } from '../x509/index.js';
import { addToPool, certificatesNamed, checkSignature, isSignatureChecked, type ValidationContext } from './context.js';
import type { TrustAnchor } from './trust-list.js';

export interface CandidatePath {
  /** End-entity first, anchor certificate last. */
  chain: Certificate[];
  anchor: TrustAnchor;
}

export interface BuildState {
  work: number;
  paths: number;
  /** Set when a limit stopped the search. */
  truncated: boolean;
  /** The longest chain seen (for reports when no anchor is reached). */
  longest: Certificate[];
}

/** Keys that inherit DSA parameters cannot be checked until the issuer's issuer is known. */
function needsInheritedParameters(cert: Certificate): boolean {
  try {
    const info = parseSubjectPublicKeyInfo(cert.spki);
    return publicKeyAlgorithm(info.algorithm.oid)?.kind === 'dsa' && !hasDsaParameters(info);
  } catch {
    return false;
  }
}

/** Whether path building may ask anyone for more issuers (the caller's fetchers, or caIssuers URLs when online). */
function canFetch(ctx: ValidationContext): boolean {
  return ctx.options.fetchers.length > 0 || ctx.options.online?.caIssuers === true;
}

async function fetchIssuers(ctx: ValidationContext, cert: Certificate): Promise<void> {
  if (!canFetch(ctx) || ctx.fetched.has(cert.fingerprint)) return;
  ctx.fetched.add(cert.fingerprint);
  const online = ctx.options.online;
  if (online?.caIssuers && ctx.downloads.left > 0) {
    ctx.downloads.left--; // one unit per certificate: downloadIssuers follows at most two URLs
    const { downloadIssuers } = await import('./online/ca-issuers.js'); // loaded only when going online
    const found = await downloadIssuers(cert, {
      timeoutMs: online.timeoutMs,
      cache: online.cache,
      now: online.now,
      ...(online.fetch ? { fetch: online.fetch } : {}),
    });
    for (const c of found) addToPool(ctx, c);
  }
  for (const fetcher of ctx.options.fetchers) {
    try {
      for (const item of await fetcher.fetchIssuers(cert)) {
        try {
          addToPool(
            ctx,
            item instanceof Uint8Array || item instanceof ArrayBuffer || ArrayBuffer.isView(item)
              ? parseCertificate(item)
              : item,
          );
        } catch {
          // An unreadable fetched certificate is simply not a candidate.
        }
      }
    } catch {
      // A failing fetcher must not fail validation; the path just may not be found.
    }
  }
}

interface Ranked {
  cert: Certificate;
  anchor?: TrustAnchor;
  score: number;
}

async function issuerCandidates(
  ctx: ValidationContext,
  cert: Certificate,
  allowedAnchors?: ReadonlySet<string>,
): Promise<Ranked[]> {
  const work = (ctx.work ??= { ranking: 0, crlSigner: 0, nameConstraints: 0 });
  const rank = async (list: { cert: Certificate; anchor?: TrustAnchor }[]) => {
    const out: Ranked[] = [];
    for (const c of list) {
      const anchor = c.anchor && (!allowedAnchors || allowedAnchors.has(c.cert.fingerprint)) ? c.anchor : undefined;
      let score = 0;
      if (needsInheritedParameters(c.cert)) score += 10;
      else if (isSignatureChecked(ctx, cert, c.cert.spki) || work.ranking < ctx.options.maxWork) {
        // Ranking-only verifications are capped (ctx.work): past the cap, candidates are ranked unverified.
        if (!isSignatureChecked(ctx, cert, c.cert.spki)) work.ranking++;
        if (!(await checkSignature(ctx, cert, c.cert.spki)).ok) score += 20;
      } else score += 10; // budget spent: unknown, ranked like a key that cannot be checked yet
      if (!anchor) score += 2;
      const aki = cert.authorityKeyIdentifier?.keyIdentifier;
      const ski = c.cert.subjectKeyIdentifier;
      if (aki && ski && !bytesEqual(aki, ski)) score += 5;
      const item: Ranked = { cert: c.cert, score };
      if (anchor) item.anchor = anchor;
      out.push(item);
    }
    return out;
  };
  let ranked = await rank(certificatesNamed(ctx, cert.issuer.key));
  if (!ranked.some((r) => r.score < 10) && canFetch(ctx)) {
    await fetchIssuers(ctx, cert);
    ranked = await rank(certificatesNamed(ctx, cert.issuer.key));
  }
  // Stable sort keeps anchors before pool certificates at equal scores.
  return ranked.sort((a, b) => a.score - b.score);
}

/**
 * Yields candidate paths for `leaf`, best first. `allowedAnchors` (fingerprints)
 * restricts which anchors may end a path (CRL issuers must chain to the same anchor).
 */
export async function* buildPaths(
  ctx: ValidationContext,
  leaf: Certificate,
  state: BuildState,
  allowedAnchors?: ReadonlySet<string>,
): AsyncGenerator<CandidatePath> {
  const self = ctx.trust.find(leaf);
  if (self && (!allowedAnchors || allowedAnchors.has(leaf.fingerprint))) {
    state.paths++;
    yield { chain: [leaf], anchor: self };
  }
  yield* extend(ctx, [leaf], state, allowedAnchors);
}

async function* extend(
  ctx: ValidationContext,
  chain: Certificate[],
  state: BuildState,
  allowedAnchors: ReadonlySet<string> | undefined,
): AsyncGenerator<CandidatePath> {
  const { maxDepth, maxPaths, maxWork } = ctx.options;
  if (chain.length > state.longest.length) state.longest = chain;
  if (chain.length >= maxDepth) {
    state.truncated = true;
    return;
  }
  const cert = chain[chain.length - 1]!;
  for (const cand of await issuerCandidates(ctx, cert, allowedAnchors)) {
    if (state.paths >= maxPaths) return;
    if (++state.work > maxWork) {
      state.truncated = true;
      return;
    }
    if (chain.some((c) => c.fingerprint === cand.cert.fingerprint)) continue;
    if (cand.anchor) {
      state.paths++;
      yield { chain: [...chain, cand.cert], anchor: cand.anchor };
      continue;
    }
    if (chain.some((c) => c.subject.key === cand.cert.subject.key && bytesEqual(c.spki, cand.cert.spki))) continue;
    yield* extend(ctx, [...chain, cand.cert], state, allowedAnchors);
  }
}
