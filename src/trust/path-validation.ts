/**
 * RFC 5280 §6.1 basic path validation of one candidate path (revocation is
 * checked separately, see revocation.ts). Problems are collected rather than
 * stopping at the first, so a report can explain everything wrong with the
 * path.
 */
import { signatureAlgorithmWeakness, publicKeyWeakness } from '../crypto/policy.js';
import { bytesEqual } from '../util/bytes.js';
import { hasDsaParameters, parseSubjectPublicKeyInfo, summarizePublicKey, type PublicKeySummary } from '../crypto/verify-signature.js';
import { publicKeyAlgorithm } from '../crypto/algorithms.js';
import { ANY_POLICY, KeyUsage, PROCESSED_EXTENSIONS, isSelfIssued, type Certificate } from './certificate.js';
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

/** Validity, key strength and critical-extension checks shared by every certificate. */
function checkValidity(cert: Certificate, at: Date): { code: TrustProblemCode; message: string } | undefined {
  if (at < cert.notBefore) return { code: 'not-yet-valid', message: `not valid before ${fmt(cert.notBefore)} (validation time ${fmt(at)})` };
  if (at > cert.notAfter) return { code: 'expired', message: `expired on ${fmt(cert.notAfter)} (validation time ${fmt(at)})` };
  return undefined;
}

function unknownCritical(cert: Certificate): string[] {
  return cert.extensions.filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid)).map((e) => e.oid);
}

/** Validates a candidate path per RFC 5280 §6.1 with the caller's policy inputs. */
export async function validatePath(ctx: ValidationContext, candidate: CandidatePath): Promise<PathValidationResult> {
  const options: ResolvedOptions = ctx.options;
  const { chain, anchor } = candidate;
  const problems: TrustProblem[] = [];
  const at = options.at;
  const anchorIndex = chain.length - 1;
  const anchorCert = anchor.certificate;
  const add = (code: TrustProblemCode, index: number, message: string) => problems.push(problemFor(code, chain, index, message));
  const dsaParameters: (Uint8Array | undefined)[] = new Array(chain.length).fill(undefined);
  const n = chain.length - 1; // certificates below the anchor
  const policy = { allowWeak: options.allowWeak, minRsaBits: options.minRsaBits };

  // The anchor: trusted for its name and key, but an expired anchor or one
  // restricted by the trust list does not make a valid path.
  const anchorValidity = checkValidity(anchorCert, at);
  if (anchorValidity) add(anchorValidity.code, anchorIndex, `trust anchor ${anchorValidity.message}`);
  if (anchor.disallowedAfter && at > anchor.disallowedAfter) {
    add('untrusted-root', anchorIndex, `the trust list no longer trusts this anchor after ${fmt(anchor.disallowedAfter)} (disallowed-after property)`);
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
    add('anchor-not-trusted-for-purpose', anchorIndex, 'the trust list explicitly disallows this anchor for secure e-mail (disallowed EKU property)');
  }
  const nb = anchor.notBeforeDistrust;
  if (nb && chain[0]!.notBefore > nb.date) {
    const all = !nb.purposes || nb.purposes.length === 0;
    const message = `certificates issued after ${fmt(nb.date)} under this anchor are not trusted${all ? '' : ' for secure e-mail'} (not-before property)`;
    if (all) add(options.purpose === 'any' ? 'untrusted-root' : 'anchor-not-trusted-for-purpose', anchorIndex, message);
    else if (options.purpose !== 'any' && nb.purposes!.includes(email)) add('anchor-not-trusted-for-purpose', anchorIndex, message);
  }
  dsaParameters[anchorIndex] = dsaParametersOf(anchorCert, undefined);
  if (n > 0) {
    const keyWeak = publicKeyWeakness(keySummary(anchorCert.spki), policy);
    if (keyWeak) add('weak-algorithm', anchorIndex, `trust anchor key: ${keyWeak}`);
    if (anchorCert.basicConstraints && !anchorCert.basicConstraints.ca) add('not-ca', anchorIndex, 'the trust anchor is not a CA (basicConstraints cA is false) but issued a certificate');
    if (anchorCert.keyUsage !== undefined && !(anchorCert.keyUsage & KeyUsage.keyCertSign)) {
      add('bad-key-usage', anchorIndex, 'the trust anchor key usage does not allow certificate signing (keyCertSign)');
    }
  }

  // §6.1.2 initialisation.
  let workingKey = anchorCert.spki;
  let workingParams = dsaParameters[anchorIndex];
  let explicitPolicy = options.requireExplicitPolicy ? 0 : n + 1;
  let inhibitAnyPolicy = options.inhibitAnyPolicy ? 0 : n + 1;
  let policyMapping = options.inhibitPolicyMapping ? 0 : n + 1;
  let maxPathLength = n;
  if (n > 0 && anchorCert.basicConstraints?.pathLength !== undefined) maxPathLength = Math.min(n, anchorCert.basicConstraints.pathLength);
  const tree = new PolicyTree();
  let policyFailure: string | undefined;
  const names = new NameConstraintState();
  if (anchorCert.nameConstraints && n > 0) names.add(anchorCert.nameConstraints);

  for (let i = 1; i <= n; i++) {
    const index = n - i; // chain index (0 = end-entity)
    const cert = chain[index]!;
    const last = i === n;
    const selfIssued = isSelfIssued(cert);

    // (a)(1) signature, and algorithm policy.
    const weak = signatureAlgorithmWeakness(cert.signatureAlgorithm, policy);
    if (weak) add('weak-algorithm', index, `signature algorithm: ${weak}`);
    const sig = await checkSignature(ctx, cert, workingKey, workingParams);
    if (!sig.ok) {
      // Signed by a different key than the anchor of that name (an impostor or re-keyed CA, told apart by the
      // key identifiers): the certificate was not issued by anything trusted, rather than damaged.
      const aki = cert.authorityKeyIdentifier?.keyIdentifier;
      const anchorSki = anchorCert.subjectKeyIdentifier;
      if (i === 1 && sig.code === 'bad-signature' && aki && anchorSki && !bytesEqual(aki, anchorSki)) {
        add('untrusted-root', index, `the trust list holds a CA named ${anchorCert.subject.text} but with a different key than the one that signed this certificate`);
      } else add(sig.code, index, sig.message);
    }
    const keyWeak = publicKeyWeakness(keySummary(cert.spki, dsaParametersOf(cert, workingParams)), policy);
    if (keyWeak) add('weak-algorithm', index, `public key: ${keyWeak}`);
    // (a)(2) validity.
    const validity = checkValidity(cert, at);
    if (validity) add(validity.code, index, validity.message);
    // (b), (c) name constraints (self-issued intermediates are exempt).
    if (!selfIssued || last) {
      const violation = names.check(cert);
      if (violation) add('name-constraints', index, violation);
    }
    // (d)-(f) certificate policies.
    if (!policyFailure) {
      try {
        tree.processCertificate(cert, i, inhibitAnyPolicy > 0 || (!last && selfIssued));
      } catch (e) {
        if (!(e instanceof PolicyTreeTooLarge)) throw e;
        policyFailure = `certificate policy processing gave up: ${e.message}`;
        add('policy', index, policyFailure);
      }
      if (!policyFailure && explicitPolicy <= 0 && tree.isNull) {
        policyFailure = 'no acceptable certificate policy: the path requires an explicit policy and none is valid for it';
        add('policy', index, policyFailure);
      }
    }

    workingParams = dsaParametersOf(cert, workingParams);
    dsaParameters[index] = workingParams;

    if (!last) {
      // §6.1.4 preparation for the next certificate.
      const mappings = cert.policyMappings ?? [];
      if (mappings.some((m) => m.issuerDomainPolicy === ANY_POLICY || m.subjectDomainPolicy === ANY_POLICY)) {
        if (!policyFailure) {
          policyFailure = 'a policy mapping maps to or from anyPolicy';
          add('policy', index, policyFailure);
        }
      } else if (mappings.length > 0 && !policyFailure) {
        try {
          tree.applyMappings(mappings, i, policyMapping > 0);
        } catch (e) {
          if (!(e instanceof PolicyTreeTooLarge)) throw e;
          policyFailure = `certificate policy processing gave up: ${e.message}`;
          add('policy', index, policyFailure);
        }
      }
      workingKey = cert.spki;
      if (cert.nameConstraints) names.add(cert.nameConstraints);
      if (!selfIssued) {
        if (explicitPolicy > 0) explicitPolicy--;
        if (policyMapping > 0) policyMapping--;
        if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
      }
      const pc = cert.policyConstraints;
      if (pc?.requireExplicitPolicy !== undefined) explicitPolicy = Math.min(explicitPolicy, pc.requireExplicitPolicy);
      if (pc?.inhibitPolicyMapping !== undefined) policyMapping = Math.min(policyMapping, pc.inhibitPolicyMapping);
      if (cert.inhibitAnyPolicy !== undefined) inhibitAnyPolicy = Math.min(inhibitAnyPolicy, cert.inhibitAnyPolicy);
      // (k) basic constraints. Version 1/2 intermediates are refused too: nothing says they are CAs.
      if (!cert.basicConstraints?.ca) {
        add('not-ca', index, cert.basicConstraints ? 'issued a certificate but basicConstraints says it is not a CA' : 'issued a certificate but has no basicConstraints extension marking it as a CA');
      }
      // (l), (m) path length.
      if (!selfIssued) {
        if (maxPathLength <= 0) add('path-length', index, 'the path is longer than a pathLenConstraint above allows');
        else maxPathLength--;
      }
      const pathLen = cert.basicConstraints?.pathLength;
      if (pathLen !== undefined && pathLen < maxPathLength) maxPathLength = pathLen;
      // (n) key usage.
      if (cert.keyUsage !== undefined && !(cert.keyUsage & KeyUsage.keyCertSign)) {
        add('bad-key-usage', index, 'key usage does not allow certificate signing (keyCertSign) but the certificate issued one');
      }
    } else {
      // §6.1.5 wrap-up.
      if (explicitPolicy > 0) explicitPolicy--;
      if (cert.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;
    }
    // (o) / (f) unknown critical extensions.
    for (const oid of unknownCritical(cert)) add('unknown-critical-extension', index, `unsupported critical extension ${oid}`);
  }

  let policies: string[] = n === 0 ? [...options.initialPolicies] : [];
  if (n > 0 && !policyFailure) {
    policies = tree.intersect(options.initialPolicies, n);
    if (explicitPolicy <= 0 && policies.length === 0) {
      add('policy', 0, `no certificate policy of the path is acceptable (explicit policy required; initial policy set ${options.initialPolicies.join(', ')})`);
    }
  }
  return { problems, policies, dsaParameters };
}
