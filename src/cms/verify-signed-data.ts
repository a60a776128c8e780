/**
 * Cryptographic verification of every SignerInfo of a SignedData (RFC 5652
 * §5.4–5.6): signer certificate lookup (issuerAndSerialNumber or
 * subjectKeyIdentifier), message digest, signed-attribute rules and the
 * signature value. No trust decisions are made here: certificate path
 * validation is the trust layer's job (see `verifyMessage` in src/smime).
 * Finding the signer certificate is in signer-lookup.ts, the signed-attribute
 * rules in signed-attribute-checks.ts, the signature value in signature-value.ts.
 */
import { type BytesLike, toBytes } from '../util/bytes.js';
import {
  OID,
  algorithmName,
  digestAlgorithm,
  signatureAlgorithm,
  type DigestAlgorithmInfo,
  type DigestName,
} from '../crypto/algorithms.js';
import { signatureAlgorithmWeakness } from '../crypto/policy.js';
import { digestSufficesFor, parseRsaPssParameters } from '../crypto/verify-signature.js';
import type { AlgorithmIdentifier } from '../x509/algorithm.js';
import { FormatError, SmimeError } from '../errors.js';
import { ATTRIBUTE } from './attributes.js';
import { CONTENT_TYPE } from './content-info.js';
import { parseSignerInfoDer, type SignedData, type SignerInfo } from './signed-data.js';
import { describeSid, findSignerCertificates, parseCandidates, type CandidateCert } from './signer-lookup.js';
import { problem, type SignerAlgorithms, type SignerCheck, type SignerProblem } from './signer-check.js';
import { readAttributeFacts, signedBytes, type DigestedContent } from './signed-attribute-checks.js';
import { findVerifyingSigner } from './signature-value.js';

// The result types belong to verifySignedData's API; they are defined apart so the helpers can share them.
export type { SignerAlgorithms, SignerCheck, SignerProblem } from './signer-check.js';

export interface VerifySignedDataOptions {
  /** Content for a detached signature (exact bytes). Ignored when the SignedData carries content. */
  content?: BytesLike;
  /**
   * The digests of content that was streamed and not kept (by digest name), used when neither the SignedData nor
   * `content` holds the content. A signer whose digest is missing, or without signed attributes, gets `no-content`.
   */
  contentDigests?: ReadonlyMap<DigestName, Uint8Array>;
  /** Extra certificates (DER) to find signers and DSA parameters in (e.g. from a directory). */
  certificates?: readonly Uint8Array[];
  /**
   * Accept SHA-1 / MD5 / DSA signatures (default false: the signer gets the problem `weak-algorithm`, while
   * `signatureValid` still says whether the signature verifies, so allowWeak only removes that problem).
   */
  allowWeak?: boolean;
}

const RSA_BY_DIGEST: Partial<Record<DigestName, string>> = {
  'SHA-1': '1.2.840.113549.1.1.5',
  'SHA-224': '1.2.840.113549.1.1.14',
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
  MD5: '1.2.840.113549.1.1.4',
  MD2: '1.2.840.113549.1.1.2',
};
const ECDSA_BY_DIGEST: Partial<Record<DigestName, string>> = {
  'SHA-1': '1.2.840.10045.4.1',
  'SHA-224': '1.2.840.10045.4.3.1',
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};
const DSA_BY_DIGEST: Partial<Record<DigestName, string>> = {
  'SHA-1': '1.2.840.10040.4.3',
  'SHA-224': '2.16.840.1.101.3.4.3.1',
  'SHA-256': '2.16.840.1.101.3.4.3.2',
};

/**
 * CMS lets a SignerInfo name the key algorithm (rsaEncryption, id-ecPublicKey,
 * id-dsa) as its signatureAlgorithm, the hash coming from digestAlgorithm
 * (RFC 3370 §3). Maps that to the combined signature OID.
 */
export function effectiveSignatureAlgorithm(
  signatureAlg: AlgorithmIdentifier,
  digest: DigestName | undefined,
): AlgorithmIdentifier {
  const table =
    signatureAlg.oid === OID.rsaEncryption
      ? RSA_BY_DIGEST
      : signatureAlg.oid === OID.ecPublicKey
        ? ECDSA_BY_DIGEST
        : signatureAlg.oid === OID.dsa
          ? DSA_BY_DIGEST
          : undefined;
  if (!table || !digest) return signatureAlg;
  const oid = table[digest];
  return oid ? { oid } : signatureAlg;
}

/** Checks one SignerInfo (or countersignature): attribute facts, algorithms, digest, then the signature. */
async function checkSignerInfo(
  si: SignerInfo,
  index: number,
  contentType: string,
  content: Uint8Array | DigestedContent | undefined,
  candidates: readonly CandidateCert[],
  options: VerifySignedDataOptions,
  isCountersignature: boolean,
): Promise<SignerCheck> {
  const digestInfo = signerDigestAlgorithm(si);
  const sigAlg = effectiveSignatureAlgorithm(si.signatureAlgorithm, digestInfo?.name);
  const algorithms: SignerAlgorithms = {
    digest: digestInfo?.name ?? algorithmName(si.digestAlgorithm.oid),
    signature: algorithmName(sigAlg.oid),
  };
  const check: SignerCheck = { index, sid: si.sid, signatureValid: false, problems: [], algorithms };
  if (sigAlg.oid === OID.rsassaPss) {
    try {
      algorithms.pss = parseRsaPssParameters(sigAlg.parameters);
    } catch {
      // reported by verifySignature below
    }
  }
  const signers = findSignerCertificates(si.sid, candidates);
  const signer = signers[0];
  if (signer) check.certificate = signer.der;
  if (si.signedAttributes) check.signedAttributes = si.signedAttributes;

  const fail = (p: SignerProblem) => {
    check.problems.push(p);
    return check;
  };
  try {
    // Attribute facts first: they are reported even when the signature fails.
    if (si.signedAttributes) readAttributeFacts(check, si.signedAttributes, candidates);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return fail(problem('malformed-cms', `signer ${index}: ${e.message}`));
  }

  if (!digestInfo)
    return fail(problem('unsupported-algorithm', `digest algorithm ${si.digestAlgorithm.oid} is not supported`));
  // RFC 8419 §3.1: an Ed25519 SignerInfo's digest algorithm is SHA-512 — a protocol rule, not a policy choice.
  if (sigAlg.oid === OID.ed25519 && digestInfo.name !== 'SHA-512')
    return fail(
      problem(
        'wrong-digest-algorithm',
        `an Ed25519 signature must use SHA-512 as its digest algorithm (RFC 8419), not ${digestInfo.name}`,
      ),
    );
  // Policy is judged apart from the mathematics: a weak but valid signature is signatureValid with weak-algorithm.
  const weakness = options.allowWeak ? undefined : weakAlgorithm(digestInfo, sigAlg);
  const input = { si, sigAlg, digestInfo, contentType, content, isCountersignature };
  const result = await checkSignatureValue(input, signers, candidates);
  if ('problem' in result) check.problems.push(result.problem);
  else {
    check.certificate = result.certificate;
    check.signatureValid = true;
  }
  if (weakness) check.problems.push(problem('weak-algorithm', `${weakness}; verify with allowWeak to read old mail`));
  return check;
}

/** Why the digest or signature algorithm is refused by the default policy, or undefined. */
function weakAlgorithm(digestInfo: DigestAlgorithmInfo, sigAlg: AlgorithmIdentifier): string | undefined {
  const weakDigest = digestInfo.name === 'SHA-1' || digestInfo.name === 'MD5' || digestInfo.name === 'MD2';
  return weakDigest ? `the message digest ${digestInfo.name} is broken` : signatureAlgorithmWeakness(sigAlg, {});
}

/** The cryptographic checks: content present, signed attributes against it, then the signature value. */
async function checkSignatureValue(
  input: {
    si: SignerInfo;
    sigAlg: AlgorithmIdentifier;
    digestInfo: DigestAlgorithmInfo;
    contentType: string;
    content: Uint8Array | DigestedContent | undefined;
    isCountersignature: boolean;
  },
  signers: readonly CandidateCert[],
  candidates: readonly CandidateCert[],
): Promise<{ certificate: Uint8Array } | { problem: SignerProblem }> {
  const { si, sigAlg, digestInfo, contentType, content, isCountersignature } = input;
  if (content === undefined)
    return { problem: problem('no-content', 'the signature is detached and no content was supplied') };
  const signed = await signedBytes(si, contentType, content, digestInfo.name, isCountersignature);
  if ('problem' in signed) return signed;
  let data: Uint8Array | { prehashed: Uint8Array };
  if ('digested' in signed) {
    // RSA PKCS#1 v1.5 and DSA sign the hash itself: the streamed digest is enough. Other schemes need the content.
    const hash = digestSufficesFor(sigAlg.oid);
    const prehashed = hash ? signed.digested.digests.get(hash) : undefined;
    if (!prehashed)
      return {
        problem: problem(
          'no-content',
          `a signature without signed attributes covers the content itself, which was streamed and not kept (${hash ? `its ${hash} digest was not computed` : 'only RSA PKCS#1 v1.5 and DSA can be checked from a digest'}): verify it with the buffered API`,
        ),
      };
    data = { prehashed };
  } else data = signed.data;
  if (signers.length === 0) {
    return {
      problem: problem(
        'sender-certificate-missing',
        `the signer's certificate (${describeSid(si.sid)}) is not in the message; supply it with certificates`,
      ),
    };
  }
  const verified = await findVerifyingSigner(si, sigAlg, data, signers, candidates);
  return 'problem' in verified ? verified : { certificate: verified.signer.der };
}

/** The digest algorithm of a SignerInfo; undefined when not supported. */
function signerDigestAlgorithm(si: SignerInfo): DigestAlgorithmInfo | undefined {
  const known = digestAlgorithm(si.digestAlgorithm.oid);
  if (known) return known;
  // A few producers put a signature OID in digestAlgorithm; use its hash.
  const h = signatureAlgorithm(si.digestAlgorithm.oid)?.hash;
  return h ? { name: h, oid: si.digestAlgorithm.oid, length: 0 } : undefined;
}

/**
 * Verifies every SignerInfo cryptographically. Never throws for a failed
 * check: each signer's result says what failed. Throws only for unusable
 * arguments.
 *
 * @example
 * ```ts
 * const sd = parseSignedData(p7s);
 * const results = await verifySignedData(sd, { content: canonicalEntity });
 * const allGood = results.length > 0 && results.every((r) => r.signatureValid);
 * ```
 */
export async function verifySignedData(sd: SignedData, options: VerifySignedDataOptions = {}): Promise<SignerCheck[]> {
  const content: Uint8Array | DigestedContent | undefined =
    sd.content ??
    (options.content !== undefined
      ? toBytes(options.content, 'content')
      : options.contentDigests
        ? { digests: options.contentDigests }
        : undefined);
  const candidates = parseCandidates([...sd.certificates, ...(options.certificates ?? [])]);
  const out: SignerCheck[] = [];
  for (const [index, si] of sd.signerInfos.entries()) {
    const check = await checkSignerInfo(si, index, sd.contentType, content, candidates, options, false);
    const counters =
      si.unsignedAttributes?.filter((a) => a.oid === ATTRIBUTE.countersignature).flatMap((a) => a.values) ?? [];
    if (counters.length) {
      check.countersignatures = [];
      for (const [i, der] of counters.entries())
        check.countersignatures.push(await checkCountersignature(der, i, si.signature, candidates, options));
    }
    out.push(check);
  }
  return out;
}

async function checkCountersignature(
  der: Uint8Array,
  index: number,
  signedValue: Uint8Array,
  candidates: readonly CandidateCert[],
  options: VerifySignedDataOptions,
): Promise<SignerCheck> {
  // A countersignature is a SignerInfo (RFC 5652 §11.4) whose content is the countersigned signature value.
  try {
    const si = parseSignerInfoDer(der);
    return await checkSignerInfo(si, index, CONTENT_TYPE.data, signedValue, candidates, options, true);
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
    return {
      index,
      sid: { type: 'subjectKeyIdentifier', keyIdentifier: new Uint8Array() },
      signatureValid: false,
      problems: [problem('malformed-cms', e.message)],
      algorithms: { digest: '?', signature: '?' },
    };
  }
}
