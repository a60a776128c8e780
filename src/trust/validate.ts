/**
 * `validateCertificate`: builds candidate paths to the trust list, validates
 * each (RFC 5280, S/MIME rules, algorithm policy, revocation) and returns the
 * first valid one, or the most plausible failing one with every problem
 * found. Validation failures are reported, never thrown; only unusable
 * arguments (garbage certificate bytes, bad options) throw. Valid results are
 * reused while nothing they depend on changes (validation-cache.ts).
 */
import type { BytesLike } from '../util/bytes.js';
import { ANY_POLICY, type Certificate } from '../x509/index.js';
import { addToPool, type ValidationContext } from './context.js';
import { buildPaths, type BuildState, type CandidatePath } from './build.js';
import { validatePath } from './path-validation.js';
import { revocationStatus, type EstablishedStatus, type SignerValidator } from './revocation.js';
import { checkSmimeRules, intermediatesWithoutEmailEku } from './smime-rules.js';
import { parseCertificates, parseCrls } from './trust-list.js';
import {
  problemFor,
  type CertificateRevocation,
  type PathElement,
  type RevocationCrlSource,
  type TrustProblem,
  type ValidationReport,
} from './report.js';
import { resolveOptions, type ResolvedOptions, type ValidationOptions } from './options.js';
import { reasonName } from '../x509/index.js';
import { FormatError, asSmimeError } from '../errors.js';
import { cachedValidation, storeValidation, validationKey, type ValidationInputs } from './validation-cache.js';

/** How deep CRL-issuer validations may nest (a CRL signer whose CRL signer ...). */
const MAX_SIGNER_DEPTH = 3;

function toPath(chain: Certificate[], anchored: boolean): PathElement[] {
  return chain.map((c, i) => ({
    subject: c.subject.text,
    issuer: c.issuer.text,
    serialNumber: c.serialHex,
    fingerprint: c.fingerprint,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    anchor: anchored && i === chain.length - 1,
    certificate: c,
  }));
}

interface Outcome {
  candidate: CandidatePath;
  problems: TrustProblem[];
  warnings: TrustProblem[];
  policies: string[];
  revocation: CertificateRevocation[];
}

function rank(o: Outcome): number {
  // A path whose links all verify is the "real" one; report its problems first.
  const broken = o.problems.some((p) => p.code === 'bad-signature' || p.code === 'unsupported-algorithm') ? 1000 : 0;
  return broken + o.problems.length;
}

async function validateOne(ctx: ValidationContext, candidate: CandidatePath, depth: number): Promise<Outcome> {
  const { chain, anchor } = candidate;
  const result = await validatePath(ctx, candidate);
  const problems = [...result.problems];
  const warnings: TrustProblem[] = [...result.warnings];
  for (const v of checkSmimeRules(chain[0]!, ctx.options)) problems.push(problemFor(v.code, chain, 0, v.message));
  for (const v of intermediatesWithoutEmailEku(chain, ctx.options))
    problems.push(problemFor('bad-eku', chain, v.index, v.message));
  const revocation: CertificateRevocation[] = [];
  if (problems.length === 0 && ctx.options.revocation !== 'off') {
    const validateSigner = signerValidator(ctx, depth);
    for (let k = 0; k < chain.length - 1; k++) {
      const input = { cert: chain[k]!, issuer: chain[k + 1]!, anchorFingerprint: anchor.certificate.fingerprint };
      const params = result.dsaParameters[k + 1];
      const status = await revocationStatus(
        ctx,
        params ? { ...input, issuerDsaParameters: params } : input,
        validateSigner,
      );
      revocation.push(describeRevocation(ctx, chain, k, status));
      if (status.status === 'revoked') {
        problems.push(problemFor('revoked', chain, k, status.message ?? `revoked (${reasonName(status.reason)})`));
      } else if (status.status === 'unknown' && status.badCrl) {
        // A CRL from the certificate's own CA that is invalid is a problem whatever the revocation mode.
        problems.push(problemFor('bad-crl', chain, k, `revocation status cannot be trusted: ${status.badCrl}`));
      } else if (status.status === 'unknown') {
        const p = problemFor(
          'revocation-unknown',
          chain,
          k,
          `revocation status cannot be determined: ${status.message ?? 'no source'}`,
        );
        (ctx.options.revocation === 'require' ? problems : warnings).push(p);
      }
    }
  }
  return { candidate, problems, warnings, policies: result.policies, revocation };
}

/** The report's account of one certificate's revocation status. */
function describeRevocation(
  ctx: ValidationContext,
  chain: Certificate[],
  index: number,
  status: EstablishedStatus,
): CertificateRevocation {
  const cert = chain[index]!;
  const out: CertificateRevocation = {
    index,
    subject: cert.subject.text,
    serialNumber: cert.serialHex,
    status: status.status,
    source: status.source,
    message:
      status.message ??
      (status.status === 'good' ? 'not revoked' : status.badCrl ? status.badCrl : 'no revocation information'),
  };
  if (status.crls?.length) {
    out.crls = status.crls.map((crl) => {
      const source: RevocationCrlSource = {
        ...(ctx.crlOrigins.get(crl.fingerprint) ?? { origin: 'trust-list' }),
        issuer: crl.issuer.text,
        thisUpdate: crl.thisUpdate,
      };
      if (crl.nextUpdate) source.nextUpdate = crl.nextUpdate;
      return source;
    });
  }
  if (status.ocsp) out.ocsp = status.ocsp;
  if (status.attempts?.length) out.attempts = status.attempts;
  if (status.reason !== undefined) out.reason = status.reason;
  if (status.revocationDate) out.revocationDate = status.revocationDate;
  return out;
}

function signerValidator(ctx: ValidationContext, depth: number): SignerValidator {
  return async (signer, anchorFingerprint) => {
    if (depth >= MAX_SIGNER_DEPTH) return false;
    const key = `${signer.fingerprint}|${anchorFingerprint}`;
    let pending = ctx.signerCache.get(key);
    if (!pending) {
      const options: ResolvedOptions = {
        ...ctx.options,
        purpose: 'any',
        initialPolicies: [ANY_POLICY],
        requireExplicitPolicy: false,
        inhibitPolicyMapping: false,
        inhibitAnyPolicy: false,
      };
      delete options.email;
      pending = validateWith({ ...ctx, options }, signer, new Set([anchorFingerprint]), depth + 1).then((r) => r.valid);
      ctx.signerCache.set(key, pending);
    }
    return pending;
  };
}

async function validateWith(
  ctx: ValidationContext,
  leaf: Certificate,
  allowedAnchors: ReadonlySet<string> | undefined,
  depth: number,
): Promise<ValidationReport> {
  ctx.inProgress.add(leaf.fingerprint);
  const state: BuildState = { work: 0, paths: 0, truncated: false, longest: [leaf] };
  let best: Outcome | undefined;
  let tried = 0;
  try {
    for await (const candidate of buildPaths(ctx, leaf, state, allowedAnchors)) {
      tried++;
      const outcome = await validateOne(ctx, candidate, depth);
      if (outcome.problems.length === 0) {
        return report(
          ctx,
          outcome.candidate.chain,
          true,
          [],
          outcome.warnings,
          outcome.policies,
          tried,
          outcome.revocation,
        );
      }
      if (!best || rank(outcome) < rank(best)) best = outcome;
    }
  } finally {
    ctx.inProgress.delete(leaf.fingerprint);
  }
  if (best)
    return report(ctx, best.candidate.chain, true, best.problems, best.warnings, best.policies, tried, best.revocation);
  const chain = state.longest;
  const top = chain[chain.length - 1]!;
  const selfSigned = top.subject.key === top.issuer.key;
  let message = selfSigned
    ? `the self-signed certificate ${top.subject.text} is not in the trust list`
    : `no trusted certificate issued ${top.subject.text}: its issuer ${top.issuer.text} is neither in the trust list nor among the supplied certificates`;
  if (allowedAnchors) message += ' (CRL issuers must chain to the same trust anchor as the certificate)';
  if (state.truncated) message += '; path building stopped at its depth/work limit';
  return report(ctx, chain, false, [problemFor('untrusted-root', chain, chain.length - 1, message)], [], [], tried);
}

function report(
  ctx: ValidationContext,
  chain: Certificate[],
  anchored: boolean,
  problems: TrustProblem[],
  warnings: TrustProblem[],
  policies: string[],
  pathsTried: number,
  revocation: CertificateRevocation[] = [],
): ValidationReport {
  return {
    valid: problems.length === 0,
    path: toPath(chain, anchored),
    problems,
    warnings,
    at: ctx.options.at,
    policies,
    pathsTried,
    revocation,
  };
}

/**
 * Validates a certificate for S/MIME use against a trust list.
 *
 * Unreadable intermediates and CRLs are skipped (they may come from a hostile
 * message); an unreadable `certificate` throws `FormatError`
 * (`malformed-certificate`), bad options throw `ArgumentError`.
 *
 * A valid result is remembered by the trust list and returned again (as a copy, with the new `at`) for the same
 * certificate, intermediates, CRLs and options while the validation time stays between the dates it depends on and
 * the trust list gains no anchor or CRL; never when `revocationChecker` or `fetchers` are given or revocation is online.
 *
 * @example
 * ```ts
 * const trust = TrustList.fromBytes(await readFile('exchange.sst'));
 * const report = await validateCertificate(signerDer, { trust, intermediates: cmsCerts, purpose: 'sign', email: 'alice@example.com' });
 * if (!report.valid) for (const p of report.problems) console.log(p.code, p.certificate?.subject, p.message);
 * ```
 */
export async function validateCertificate(
  certificate: BytesLike | string | Certificate,
  options: ValidationOptions,
): Promise<ValidationReport> {
  const resolved = resolveOptions(options);
  const leaf = parseCertificates([certificate])[0];
  if (!leaf) throw new FormatError('malformed-certificate', 'no certificate found in the input');
  const inputs: ValidationInputs = {
    trust: options.trust,
    leaf,
    intermediates: parseCertificates(options.intermediates ?? [], true),
    crls: parseCrls(options.crls ?? [], true),
    options: resolved,
  };
  const key = validationKey(inputs);
  const cached = key === undefined ? undefined : cachedValidation(options.trust, key, resolved.at);
  if (cached) return cached;
  const result = await validateUncached(inputs);
  if (key !== undefined) storeValidation(inputs, key, result);
  return result;
}

async function validateUncached({
  trust,
  leaf,
  intermediates,
  crls,
  options: resolved,
}: ValidationInputs): Promise<ValidationReport> {
  const ctx: ValidationContext = {
    trust,
    options: resolved,
    pool: new Map(),
    poolFingerprints: new Set(),
    crls: [...trust.crls],
    signatureCache: new Map(),
    signerCache: new Map(),
    inProgress: new Set(),
    fetched: new Set(),
    crlOrigins: new Map(),
    downloads: { left: resolved.online?.maxDownloads ?? 0 },
    work: { ranking: 0, crlSigner: 0, nameConstraints: 0 },
  };
  for (const c of intermediates) addToPool(ctx, c);
  const seen = new Set(ctx.crls.map((c) => c.fingerprint));
  for (const crl of crls) {
    if (!seen.has(crl.fingerprint)) {
      seen.add(crl.fingerprint);
      ctx.crls.push(crl);
      ctx.crlOrigins.set(crl.fingerprint, { origin: 'supplied' });
    }
  }
  try {
    return await validateWith(ctx, leaf, undefined, 0);
  } catch (e) {
    // Anything escaping here is a bug or a dependency crash on hostile input: still a typed error.
    throw asSmimeError(e, 'internal', 'certificate validation');
  }
}
