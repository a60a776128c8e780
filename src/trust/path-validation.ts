/**
 * RFC 5280 §6.1 basic path validation of one candidate path (revocation is
 * checked separately, see revocation.ts). Problems are collected rather than
 * stopping at the first, so a report can explain everything wrong with the
 * path.
 */
import { signatureAlgorithmWeakness, publicKeyWeakness, type AlgorithmPolicy } from '../crypto/policy.js';
import { bytesEqual } from '../util/bytes.js';
import { hasDsaParameters, summarizePublicKey, type PublicKeySummary } from '../crypto/public-key-summary.js';
import { parseSubjectPublicKeyInfo } from '../x509/index.js';
import { publicKeyAlgorithm } from '../crypto/algorithms.js';
import { ANY_POLICY, KeyUsage, PROCESSED_EXTENSIONS, isSelfIssued, type Certificate } from '../x509/index.js';
import { checkSignature, type ValidationContext } from './context.js';
import { NameConstraintState } from './name-constraints.js';
import { PolicyTree, PolicyTreeTooLarge } from './policy-tree.js';
import { problemFor, type TrustProblem, type TrustProblemCode } from './report.js';
import type { CandidatePath } from './build.js';
import type { ResolvedOptions } from './options.js';

export interface PathValidationResult {
  problems: TrustProblem[];
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

/** summarizePublicKey that never throws (a hand-built Certificate may carry an unreadable key). */
function keySummary(spki: Uint8Array, inherited?: Uint8Array): PublicKeySummary {
  try {
    return summarizePublicKey(spki, inherited);
  } catch {
    return { kind: 'malformed' };
  }
}

function fmt(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

/** The validity period check shared by the anchor and every certificate. */
function checkValidity(cert: Certificate, at: Date): { code: TrustProblemCode; message: string } | undefined {
  if (at < cert.notBefore)
    return { code: 'not-yet-valid', message: `not valid before ${fmt(cert.notBefore)} (validation time ${fmt(at)})` };
  if (at > cert.notAfter)
    return { code: 'expired', message: `expired on ${fmt(cert.notAfter)} (validation time ${fmt(at)})` };
  return undefined;
}

function unknownCritical(cert: Certificate): string[] {
  return cert.extensions.filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid)).map((e) => e.oid);
}

/** A problem found on the certificate at `index` of the chain (0 = end-entity). */
type AddProblem = (code: TrustProblemCode, index: number, message: string) => void;

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
    for (const oid of unknownCritical(cert))
      state.add('unknown-critical-extension', index, `unsupported critical extension ${oid}`);
  }
  return { problems: state.problems, policies: userConstrainedPolicies(state), dsaParameters: state.dsaParameters };
}

/** Checks the anchor, then §6.1.2 initialisation. */
function initialState(ctx: ValidationContext, candidate: CandidatePath): PathState {
  const options: ResolvedOptions = ctx.options;
  const { chain, anchor } = candidate;
  const problems: TrustProblem[] = [];
  const n = chain.length - 1; // certificates below the anchor
  const anchorCert = anchor.certificate;
  const add: AddProblem = (code, index, message) => problems.push(problemFor(code, chain, index, message));
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
  };
}

/**
 * The anchor is trusted for its name and key, but an expired anchor or one
 * restricted by the trust list does not make a valid path.
 */
function checkAnchorTrust(
  options: ResolvedOptions,
  chain: readonly Certificate[],
  anchor: CandidatePath['anchor'],
  add: AddProblem,
): void {
  const at = options.at;
  const anchorIndex = chain.length - 1;
  const anchorValidity = checkValidity(anchor.certificate, at);
  if (anchorValidity) add(anchorValidity.code, anchorIndex, `trust anchor ${anchorValidity.message}`);
  if (anchor.disallowedAfter && at > anchor.disallowedAfter) {
    add(
      'untrusted-root',
      anchorIndex,
      `the trust list no longer trusts this anchor after ${fmt(anchor.disallowedAfter)} (disallowed-after property)`,
    );
  }
  if (options.purpose !== 'any' && anchor.allowedPurposes && !anchor.allowedPurposes.includes('1.3.6.1.5.5.7.3.4')) {
    add(
      'anchor-not-trusted-for-purpose',
      anchorIndex,
      `the trust list restricts this anchor to ${anchor.allowedPurposes.length ? anchor.allowedPurposes.join(', ') : 'no purpose'}, not secure e-mail (1.3.6.1.5.5.7.3.4)`,
    );
  }
  const email = '1.3.6.1.5.5.7.3.4';
  if (options.purpose !== 'any' && anchor.disallowedPurposes?.includes(email)) {
    add(
      'anchor-not-trusted-for-purpose',
      anchorIndex,
      'the trust list explicitly disallows this anchor for secure e-mail (disallowed EKU property)',
    );
  }
  const nb = anchor.notBeforeDistrust;
  if (nb && chain[0]!.notBefore > nb.date) {
    const all = !nb.purposes || nb.purposes.length === 0;
    const message = `certificates issued after ${fmt(nb.date)} under this anchor are not trusted${all ? '' : ' for secure e-mail'} (not-before property)`;
    if (all) add(options.purpose === 'any' ? 'untrusted-root' : 'anchor-not-trusted-for-purpose', anchorIndex, message);
    else if (options.purpose !== 'any' && nb.purposes!.includes(email))
      add('anchor-not-trusted-for-purpose', anchorIndex, message);
  }
}

/** Key strength, cA and keyCertSign of an anchor that issued the next certificate. */
function checkAnchorAsIssuer(
  anchorCert: Certificate,
  anchorIndex: number,
  policy: AlgorithmPolicy,
  add: AddProblem,
): void {
  const keyWeak = publicKeyWeakness(keySummary(anchorCert.spki), policy);
  if (keyWeak) add('weak-algorithm', anchorIndex, `trust anchor key: ${keyWeak}`);
  if (anchorCert.basicConstraints && !anchorCert.basicConstraints.ca)
    add('not-ca', anchorIndex, 'the trust anchor is not a CA (basicConstraints cA is false) but issued a certificate');
  if (anchorCert.keyUsage !== undefined && !(anchorCert.keyUsage & KeyUsage.keyCertSign)) {
    add('bad-key-usage', anchorIndex, 'the trust anchor key usage does not allow certificate signing (keyCertSign)');
  }
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
  if (selfIssued && !last) return;
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
