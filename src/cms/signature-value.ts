/**
 * Checking a SignerInfo's signature value with the certificates that carry its identifier, and
 * choosing the one that verifies (and that the ESS attribute names) as the signer.
 */
import { AlgorithmError, SmimeError } from '../errors.js';
import { verifySignature, verifySignatureOfDigest } from '../crypto/verify-signature.js';
import type { AlgorithmIdentifier } from '../x509/algorithm.js';
import type { SignerInfo } from './signed-data.js';
import { inheritedDsaParameters, type CandidateCert } from './signer-lookup.js';
import { checkSigningCertificate } from './signed-attribute-checks.js';
import { problem, type SignerProblem } from './signer-check.js';
import { derParse, derChildren } from '../asn1/index.js';

/**
 * Several certificates may carry the identifier (the sid is not signed: anyone can add a certificate with the
 * same issuer and serial, or the same key identifier, and another key). The signer is the one whose key
 * verifies and that the ESS attribute names; that one is reported and validated. Otherwise the problem
 * with the best match is reported.
 */
export async function findVerifyingSigner(
  si: SignerInfo,
  sigAlg: AlgorithmIdentifier,
  data: Uint8Array | { prehashed: Uint8Array },
  signers: readonly CandidateCert[],
  candidates: readonly CandidateCert[],
): Promise<{ signer: CandidateCert } | { problem: SignerProblem }> {
  // Bounded: a message stuffed with look-alike certificates must not cost a signature check each.
  let firstProblem: SignerProblem | undefined;
  for (const candidate of signers.slice(0, MAX_SIGNER_CANDIDATES)) {
    const p = await checkSignatureWith(si, sigAlg, data, candidate, candidates);
    if (!p) return { signer: candidate };
    firstProblem ??= p;
  }
  return { problem: firstProblem! };
}

const MAX_SIGNER_CANDIDATES = 8;

/** Checks the signature value and the ESS binding with one candidate certificate; undefined when both hold. */
async function checkSignatureWith(
  si: SignerInfo,
  sigAlg: AlgorithmIdentifier,
  data: Uint8Array | { prehashed: Uint8Array },
  signer: CandidateCert,
  candidates: readonly CandidateCert[],
): Promise<SignerProblem | undefined> {
  let ok: boolean;
  try {
    const dsaParams = inheritedDsaParameters(signer, candidates);
    const input = {
      algorithm: sigAlg,
      signature: si.signature,
      publicKey: signer.info.spki,
      ...(dsaParams ? { inheritedDsaParameters: dsaParams } : {}),
    };
    ok =
      data instanceof Uint8Array
        ? await verifySignature({ ...input, data })
        : await verifySignatureOfDigest(input, data.prehashed);
    // A sender that did not sort the SET OF signed attributes (non-DER) may have signed the sorted form.
    if (!ok && si.signedAttributesDer && data === si.signedAttributesDer) {
      const sorted = sortedSet(si.signedAttributesDer);
      if (sorted) ok = await verifySignature({ ...input, data: sorted });
    }
  } catch (e) {
    if (e instanceof AlgorithmError)
      return problem(e.code === 'key-algorithm-mismatch' ? 'bad-signature' : 'unsupported-algorithm', e.message);
    if (e instanceof SmimeError) return problem('bad-signature', `the signer's key cannot be used: ${e.message}`);
    // WebCrypto rejects (OperationError) what it cannot check, e.g. an RSA-PSS salt longer than the key allows:
    // RFC 8017 §9.1.2 calls that "inconsistent", an invalid signature, and hostile input must not escape as a DOMException.
    if ((e as { name?: unknown } | null)?.name === 'OperationError')
      return problem('bad-signature', `the signature cannot be checked: ${(e as Error).message}`);
    throw e;
  }
  if (!ok) return problem('bad-signature', 'the signature value does not verify with the signer certificate');
  // ESS signingCertificate(V2) binds the certificate (RFC 5035): it must name the one we used.
  return checkSigningCertificate(si, signer);
}

/** The SET OF re-encoded in DER order, or undefined when it already was (or cannot be parsed). */
function sortedSet(der: Uint8Array): Uint8Array | undefined {
  try {
    const root = derParse(der);
    const kids = derChildren(root).map((k) => der.subarray(k.start, k.end));
    const sorted = [...kids].sort((a, b) => {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
      return a.length - b.length;
    });
    if (sorted.every((k, i) => k === kids[i])) return undefined;
    const body = new Uint8Array(kids.reduce((n, k) => n + k.length, 0));
    let at = 0;
    for (const k of sorted) {
      body.set(k, at);
      at += k.length;
    }
    const out = new Uint8Array(root.contentStart + body.length);
    out.set(der.subarray(0, root.contentStart));
    out.set(body, root.contentStart);
    return out;
  } catch {
    return undefined;
  }
}
