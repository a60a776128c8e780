/**
 * RFC 5280 §6.1 basic path validation of one candidate path (revocation is
 * checked separately, see revocation.ts). Problems are collected rather than
 * stopping at the first, so a report can explain everything wrong with the
 * path.
 */
import { signatureAlgorithmWeakness, publicKeyWeakness, type AlgorithmPolicy } from '../crypto/policy.js';
import { bytesEqual } from '../util/bytes.js';
import { hasDsaParameters } from '../crypto/public-key-summary.js';
import { parseSubjectPublicKeyInfo } from '../x509/index.js';
import { publicKeyAlgorithm } from '../crypto/algorithms.js';
import { ANY_POLICY, KeyUsage, PROCESSED_EXTENSIONS, isSelfIssued, type Certificate } from '../x509/index.js';
import { checkSignature, type ValidationContext } from './context.js';
import { NameConstraintState } from './name-constraints.js';
import { PolicyTree, PolicyTreeTooLarge } from './policy-tree.js';
import { checkAnchorAsIssuer, checkAnchorTrust, checkValidity, keySummary, type AddProblem } from './anchor-checks.js';
import { isProblem, keyIdentifierMismatch, profileFindings } from './profile.js';
import { problemFor, type TrustProblem } from './report.js';
import type { CandidatePath } from './build.js';
import type { ResolvedOptions } from './options.js';

export interface PathValidationResult {
  problems: TrustProblem[];
  /** Profile findings that the strictness makes warnings. */
  warnings: TrustProblem[];
  /** User-constrained policy set. */
  policies: string[];
  /** Per chain index: the DSA parameters that key uses (own or inherited), for CRL checks. */
  dsaParameters: (Uint8Array | undefined)[];
}

function dsaParametersOf(cert: Certificate, inherited: Uint8Array | undefined): Uint8Array | undefined {
  try {
    const info = parseSubjectPublicKeyInfo(cert.spki);
    if (publicKeyAlgorithm(info.algorithm.oid)?.kind !== 'dsa') return undefined;
    return hasDsaParameters(info) ? info.algorithm.parameters : inherited;
  } catch {
    return undefined;
  }
}

/** Extensions RFC 5280 requires to be non-critical that smimekit reads but does not act on. */
const MUST_NOT_BE_CRITICAL: Record<string, string> = {
  '1.3.6.1.5.5.7.1.1':
    'authorityInfoAccess is critical (RFC 5280 §4.2.2.1 requires it non-critical); smimekit does not process it',
  '1.3.6.1.5.5.7.1.11':
    'subjectInfoAccess is critical (RFC 5280 §4.2.2.2 requires it non-critical); smimekit does not process it',
};

function unknownCritical(cert: Certificate): string[] {
  return cert.extensions
    .filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid))
    .map((e) => MUST_NOT_BE_CRITICAL[e.oid] ?? `unsupported critical extension ${e.oid}`);
}

/** The §6.1.2 state variables, carried from one certificate to the next, and what has been found so far. */
interface PathState {
  readonly ctx: ValidationContext;
  readonly options: ResolvedOptions;
  readonly chain: readonly Certificate[];
  readonly anchorCert: Certificate;
  /** Certificates below the anchor. */
  readonly n: number;
  readonly policy: AlgorithmPolicy;
  readonly problems: TrustProblem[];
  readonly warnings: TrustProblem[];
  readonly add: AddProblem;
  readonly dsaParameters: (Uint8Array | undefined)[];
  readonly tree: PolicyTree;
  readonly names: NameConstraintState;
  workingKey: Uint8Array;
  workingParams: Uint8Array | undefined;
  explicitPolicy: number;
  inhibitAnyPolicy: number;
  policyMapping: number;
  maxPathLength: number;
  /** Set once policy processing has failed: later policy steps are skipped and not reported again. */
  policyFailure: string | undefined;
  /** Set once the name-constraint budget is spent: later checks are skipped and not reported again. */
  nameChecksStopped: boolean;
}

/** Validates a candidate path per RFC 5280 §6.1 with the caller's policy inputs. */
export async function validatePath(ctx: ValidationContext, candidate: CandidatePath): Promise<PathValidationResult> {
  const state = initialState(ctx, candidate);
  for (let i = 1; i <= state.n; i++) {
    const index = state.n - i; // chain index (0 = end-entity)
    const cert = state.chain[index]!;
    const last = i === state.n;
    const selfIssued = isSelfIssued(cert);
    // §6.1.3 basic certificate processing.
    await checkBasics(state, cert, index, i); // (a)
    checkNameConstraints(state, cert, index, last, selfIssued); // (b), (c)
    processPolicies(state, cert, index, i, last, selfIssued); // (d)-(f)
    // DSA parameters the next key may inherit (RFC 3279 §2.3.2).
    state.workingParams = dsaParametersOf(cert, state.workingParams);
    state.dsaParameters[index] = state.workingParams;
    if (!last)
      prepareNext(state, cert, index, i, selfIssued); // §6.1.4
    else wrapUp(state, cert); // §6.1.5
    // (o) / (f) unknown critical extensions.
    for (const message of unknownCritical(cert)) state.add('unknown-critical-extension', index, message);
  }
  // RFC 5280 profile rules (what `openssl verify -x509_strict` adds), as problems or warnings by strictness.
  for (const f of profileFindings(state.chain)) {
    const problem = problemFor(f.code, state.chain, f.index, f.message);
    (isProblem(f.severity, state.options.strictness) ? state.problems : state.warnings).push(problem);
  }
  return {
    problems: state.problems,
    warnings: state.warnings,
    policies: userConstrainedPolicies(state),
    dsaParameters: state.dsaParameters,
  };
}

/** Checks the anchor, then §6.1.2 initialisation. */
function initialState(ctx: ValidationContext, candidate: CandidatePath): PathState {
  const options: ResolvedOptions = ctx.options;
  const { chain, anchor } = candidate;
  const problems: TrustProblem[] = [];
  const n = chain.length - 1; // certificates below the anchor
  const anchorCert = anchor.certificate;
  const add: AddProblem = (code, index, message, details) =>
    problems.push(problemFor(code, chain, index, message, details));
  const dsaParameters: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(chain.length).fill(undefined);
  const policy = { allowWeak: options.allowWeak, minRsaBits: options.minRsaBits };
  checkAnchorTrust(options, chain, anchor, add);
  dsaParameters[n] = dsaParametersOf(anchorCert, undefined);
  if (n > 0) checkAnchorAsIssuer(anchorCert, n, policy, add);

  // §6.1.2 initialisation.
  let maxPathLength = n;
  if (n > 0 && anchorCert.basicConstraints?.pathLength !== undefined)
    maxPathLength = Math.min(n, anchorCert.basicConstraints.pathLength);
  const names = new NameConstraintState();
  if (anchorCert.nameConstraints && n > 0) names.add(anchorCert.nameConstraints);
  return {
    ctx,
    options,
    chain,
    anchorCert,
    n,
    policy,
    problems,
    warnings: [],
    add,
    dsaParameters,
    tree: new PolicyTree(),
    names,
    workingKey: anchorCert.spki,
    workingParams: dsaParameters[n],
    explicitPolicy: options.requireExplicitPolicy ? 0 : n + 1,
    inhibitAnyPolicy: options.inhibitAnyPolicy ? 0 : n + 1,
    policyMapping: options.inhibitPolicyMapping ? 0 : n + 1,
    maxPathLength,
    policyFailure: undefined,
    nameChecksStopped: false,
  };
}

/** §6.1.3 (a): signature and algorithm policy, key strength, validity. */
async function checkBasics(state: PathState, cert: Certificate, index: number, i: number): Promise<void> {
  const { add, policy, anchorCert } = state;
  // (a)(1) signature, and algorithm policy.
  const weak = signatureAlgorithmWeakness(cert.signatureAlgorithm, policy);
  if (weak) add('weak-algorithm', index, `signature algorithm: ${weak}`);
  const sig = await checkSignature(state.ctx, cert, state.workingKey, state.workingParams);
  if (!sig.ok) {
    // Signed by a different key than the anchor of that name (an impostor or re-keyed CA, told apart by the
    // key identifiers): the certificate was not issued by anything trusted, rather than damaged.
    const aki = cert.authorityKeyIdentifier?.keyIdentifier;
    const anchorSki = anchorCert.subjectKeyIdentifier;
    if (i === 1 && sig.code === 'bad-signature' && aki && anchorSki && !bytesEqual(aki, anchorSki)) {
      add(
        'untrusted-root',
        index,
        `the trust list holds a CA named ${anchorCert.subject.text} but with a different key than the one that signed this certificate`,
      );
    } else add(sig.code, index, sig.message);
  } else {
    // The issuer's key signed it: identifiers that name another key or certificate are an error (OpenSSL rejects).
    const mismatch = keyIdentifierMismatch(cert, state.chain[index + 1]!);
    if (mismatch) add('key-identifier-mismatch', index, mismatch);
  }
  const keyWeak = publicKeyWeakness(keySummary(cert.spki, dsaParametersOf(cert, state.workingParams)), policy);
  if (keyWeak) add('weak-algorithm', index, `public key: ${keyWeak}`);
  // (a)(2) validity.
  const validity = checkValidity(cert, state.options.at);
  if (validity) add(validity.code, index, validity.message);
}

/** §6.1.3 (b), (c) name constraints (self-issued intermediates are exempt). */
function checkNameConstraints(
  state: PathState,
  cert: Certificate,
  index: number,
  last: boolean,
  selfIssued: boolean,
): void {
  if ((selfIssued && !last) || state.names.empty || state.nameChecksStopped) return;
  const work = (state.ctx.work ??= { ranking: 0, crlSigner: 0, nameConstraints: 0 });
  const max = state.options.maxNameConstraintChecks;
  const cost = state.names.comparisons(cert);
  if (work.nameConstraints + cost > max) {
    state.nameChecksStopped = true;
    state.add(
      'limit-exceeded',
      index,
      `name-constraint checking stopped: ${cost} more comparisons would pass limits.maxNameConstraintChecks (${max}, ${work.nameConstraints} used in this validation)`,
      { limit: 'maxNameConstraintChecks', value: max },
    );
    return;
  }
  work.nameConstraints += cost;
  const violation = state.names.check(cert);
  if (violation) state.add('name-constraints', index, violation);
}

/** §6.1.3 (d)-(f) certificate policies. */
function processPolicies(
  state: PathState,
  cert: Certificate,
  index: number,
  i: number,
  last: boolean,
  selfIssued: boolean,
): void {
  if (state.policyFailure) return;
  policyStep(state, index, () =>
    state.tree.processCertificate(cert, i, state.inhibitAnyPolicy > 0 || (!last && selfIssued)),
  );
  if (!state.policyFailure && state.explicitPolicy <= 0 && state.tree.isNull) {
    failPolicy(
      state,
      index,
      'no acceptable certificate policy: the path requires an explicit policy and none is valid for it',
    );
  }
}

/** Runs one policy tree operation; a tree grown too large fails policy processing instead of the whole validation. */
function policyStep(state: PathState, index: number, step: () => void): void {
  try {
    step();
  } catch (e) {
    if (!(e instanceof PolicyTreeTooLarge)) throw e;
    failPolicy(state, index, `certificate policy processing gave up: ${e.message}`);
  }
}

function failPolicy(state: PathState, index: number, message: string): void {
  state.policyFailure = message;
  state.add('policy', index, message);
}

/** §6.1.4 preparation for the next certificate. */
function prepareNext(state: PathState, cert: Certificate, index: number, i: number, selfIssued: boolean): void {
  // (a), (b) policy mappings.
  const mappings = cert.policyMappings ?? [];
  if (mappings.some((m) => m.issuerDomainPolicy === ANY_POLICY || m.subjectDomainPolicy === ANY_POLICY)) {
    if (!state.policyFailure) failPolicy(state, index, 'a policy mapping maps to or from anyPolicy');
  } else if (mappings.length > 0 && !state.policyFailure) {
    policyStep(state, index, () => state.tree.applyMappings(mappings, i, state.policyMapping > 0));
  }
  state.workingKey = cert.spki;
  if (cert.nameConstraints) state.names.add(cert.nameConstraints);
  updatePolicyCounters(state, cert, selfIssued);
  checkIssuer(state, cert, index, selfIssued);
}

/** §6.1.4 (h)-(j): the policy counters count down per non-self-issued certificate, and may be lowered by it. */
function updatePolicyCounters(state: PathState, cert: Certificate, selfIssued: boolean): void {
  if (!selfIssued) {
    if (state.explicitPolicy > 0) state.explicitPolicy--;
    if (state.policyMapping > 0) state.policyMapping--;
    if (state.inhibitAnyPolicy > 0) state.inhibitAnyPolicy--;
  }
  const pc = cert.policyConstraints;
  if (pc?.requireExplicitPolicy !== undefined)
    state.explicitPolicy = Math.min(state.explicitPolicy, pc.requireExplicitPolicy);
  if (pc?.inhibitPolicyMapping !== undefined)
    state.policyMapping = Math.min(state.policyMapping, pc.inhibitPolicyMapping);
  if (cert.inhibitAnyPolicy !== undefined)
    state.inhibitAnyPolicy = Math.min(state.inhibitAnyPolicy, cert.inhibitAnyPolicy);
}

/** §6.1.4 (k)-(n): an intermediate must be a CA allowed to issue, within the path length. */
function checkIssuer(state: PathState, cert: Certificate, index: number, selfIssued: boolean): void {
  const { add } = state;
  // (k) basic constraints. Version 1/2 intermediates are refused too: nothing says they are CAs.
  if (!cert.basicConstraints?.ca) {
    add(
      'not-ca',
      index,
      cert.basicConstraints
        ? 'issued a certificate but basicConstraints says it is not a CA'
        : 'issued a certificate but has no basicConstraints extension marking it as a CA',
    );
  }
  // (l), (m) path length.
  if (!selfIssued) {
    if (state.maxPathLength <= 0) add('path-length', index, 'the path is longer than a pathLenConstraint above allows');
    else state.maxPathLength--;
  }
  const pathLen = cert.basicConstraints?.pathLength;
  if (pathLen !== undefined && pathLen < state.maxPathLength) state.maxPathLength = pathLen;
  // (n) key usage.
  if (cert.keyUsage !== undefined && !(cert.keyUsage & KeyUsage.keyCertSign)) {
    add(
      'bad-key-usage',
      index,
      'key usage does not allow certificate signing (keyCertSign) but the certificate issued one',
    );
  }
}

/** §6.1.5 (a), (b) wrap-up of the explicit policy counter. */
function wrapUp(state: PathState, cert: Certificate): void {
  if (state.explicitPolicy > 0) state.explicitPolicy--;
  if (cert.policyConstraints?.requireExplicitPolicy === 0) state.explicitPolicy = 0;
}

/** §6.1.5 (g): the user-constrained policy set, reporting an empty one when an explicit policy is required. */
function userConstrainedPolicies(state: PathState): string[] {
  const { n, options } = state;
  if (n === 0) return [...options.initialPolicies];
  if (state.policyFailure) return [];
  const policies = state.tree.intersect(options.initialPolicies, n);
  if (state.explicitPolicy <= 0 && policies.length === 0) {
    state.add(
      'policy',
      0,
      `no certificate policy of the path is acceptable (explicit policy required; initial policy set ${options.initialPolicies.join(', ')})`,
    );
  }
  return policies;
}
