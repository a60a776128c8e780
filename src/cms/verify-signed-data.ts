/**
 * Cryptographic verification of every SignerInfo of a SignedData (RFC 5652
 * §5.4–5.6): signer certificate lookup (issuerAndSerialNumber or
 * subjectKeyIdentifier), message digest, signed-attribute rules and the
 * signature value. No trust decisions are made here: certificate path
 * validation is the trust layer's job (see `verifyMessage` in src/smime).
 * Finding the signer certificate is in signer-lookup.ts.
 */
import { bytesEqual, type BytesLike, toBytes } from '../util/bytes.js';
import { OID, algorithmName, digestAlgorithm, signatureAlgorithm, type DigestAlgorithmInfo, type DigestName } from '../crypto/algorithms.js';
import { signatureAlgorithmWeakness } from '../crypto/policy.js';
import { digest as digestBytes, parseRsaPssParameters, verifySignature, type RsaPssParameters } from '../crypto/verify-signature.js';
import type { AlgorithmIdentifier } from '../x509/algorithm.js';
import { AlgorithmError, FormatError, SmimeError } from '../errors.js';
import {
  ATTRIBUTE,
  decodeCapabilities,
  decodeEncryptionKeyPreference,
  decodeOctetsValue,
  decodeOidValue,
  decodeSigningCertificate,
  decodeTimeValue,
  singleValue,
  type CmsAttribute,
  type CapabilityEntry,
} from './attributes.js';
import { CONTENT_TYPE } from './content-info.js';
import { parseSignerInfoDer, type SignedData, type SignerIdentifier, type SignerInfo } from './signed-data.js';
import {
  describeSid,
  findSignerCertificates,
  inheritedDsaParameters,
  keyIdentifierOf,
  namesMatch,
  parseCandidates,
  serialsEqual,
  type CandidateCert,
} from './signer-lookup.js';
import { derParse, derChildren } from '../asn1/index.js';

/** Why a signer did not verify. Codes are stable. */
export interface SignerProblem {
  /**
   * `digest-mismatch` (content changed), `bad-signature`, `sender-certificate-missing`,
   * `weak-algorithm`, `unsupported-algorithm`, `missing-attributes`, `content-type-mismatch`,
   * `signing-certificate-mismatch`, `no-content`, `malformed-cms`.
   */
  code: string;
  message: string;
}

/** Algorithms a signer used, by name. */
export interface SignerAlgorithms {
  /** Message digest (`SHA-256`, ...). */
  digest: string;
  /** Signature algorithm name (`sha256WithRSAEncryption`, `RSASSA-PSS`, `ecdsa-with-SHA384`, `Ed25519`, ...). */
  signature: string;
  /** RSA-PSS parameters as stated in the message. */
  pss?: RsaPssParameters;
}

/** The cryptographic result for one SignerInfo. */
export interface SignerCheck {
  /** Position in signerInfos. */
  index: number;
  sid: SignerIdentifier;
  /** The signer certificate (DER), when found. */
  certificate?: Uint8Array;
  /** Message digest and signature value both verify (and the algorithms are acceptable). */
  signatureValid: boolean;
  problems: SignerProblem[];
  algorithms: SignerAlgorithms;
  /** signingTime attribute (claimed by the signer, not proof). */
  signingTime?: Date;
  /** SMIMECapabilities attribute. */
  capabilities?: CapabilityEntry[];
  /** SMIMEEncryptionKeyPreference: the certificate to encrypt to, when it is in the message. */
  encryptionCertificate?: Uint8Array;
  signedAttributes?: CmsAttribute[];
  /** Countersignatures found in the unsigned attributes (RFC 5652 §11.4), checked over this signature value. */
  countersignatures?: SignerCheck[];
}

export interface VerifySignedDataOptions {
  /** Content for a detached signature (exact bytes). Ignored when the SignedData carries content. */
  content?: BytesLike;
  /** Extra certificates (DER) to find signers and DSA parameters in (e.g. from a directory). */
  certificates?: readonly Uint8Array[];
  /** Accept SHA-1 / MD5 / DSA signatures (default false: reported as `weak-algorithm`). */
  allowWeak?: boolean;
}

function problem(code: string, message: string): SignerProblem {
  return { code, message };
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
export function effectiveSignatureAlgorithm(signatureAlg: AlgorithmIdentifier, digest: DigestName | undefined): AlgorithmIdentifier {
  const table = signatureAlg.oid === OID.rsaEncryption ? RSA_BY_DIGEST : signatureAlg.oid === OID.ecPublicKey ? ECDSA_BY_DIGEST : signatureAlg.oid === OID.dsa ? DSA_BY_DIGEST : undefined;
  if (!table || !digest) return signatureAlg;
  const oid = table[digest];
  return oid ? { oid } : signatureAlg;
}

/** Checks one SignerInfo (or countersignature): attribute facts, algorithms, digest, then the signature. */
async function checkSignerInfo(
  si: SignerInfo,
  index: number,
  contentType: string,
  content: Uint8Array | undefined,
  candidates: readonly CandidateCert[],
  options: VerifySignedDataOptions,
  isCountersignature: boolean,
): Promise<SignerCheck> {
  const digestInfo = signerDigestAlgorithm(si);
  const sigAlg = effectiveSignatureAlgorithm(si.signatureAlgorithm, digestInfo?.name);
  const algorithms: SignerAlgorithms = { digest: digestInfo?.name ?? algorithmName(si.digestAlgorithm.oid), signature: algorithmName(sigAlg.oid) };
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

  if (!digestInfo) return fail(problem('unsupported-algorithm', `digest algorithm ${si.digestAlgorithm.oid} is not supported`));
  const weakDigest = digestInfo.name === 'SHA-1' || digestInfo.name === 'MD5' || digestInfo.name === 'MD2';
  const weakness = options.allowWeak ? undefined : weakDigest ? `the message digest ${digestInfo.name} is broken` : signatureAlgorithmWeakness(sigAlg, {});
  if (weakness) return fail(problem('weak-algorithm', `${weakness}; verify with allowWeak to read old mail`));
  if (content === undefined) return fail(problem('no-content', 'the signature is detached and no content was supplied'));

  const signed = await signedBytes(si, contentType, content, digestInfo.name, isCountersignature);
  if ('problem' in signed) return fail(signed.problem);
  if (!signer) {
    return fail(problem('sender-certificate-missing', `the signer's certificate (${describeSid(si.sid)}) is not in the message; supply it with certificates`));
  }
  const verified = await findVerifyingSigner(si, sigAlg, signed.data, signers, candidates);
  if ('problem' in verified) return fail(verified.problem);
  check.certificate = verified.signer.der;
  check.signatureValid = true;
  return check;
}

/** The digest algorithm of a SignerInfo; undefined when not supported. */
function signerDigestAlgorithm(si: SignerInfo): DigestAlgorithmInfo | undefined {
  const known = digestAlgorithm(si.digestAlgorithm.oid);
  if (known) return known;
  // A few producers put a signature OID in digestAlgorithm; use its hash.
  const h = signatureAlgorithm(si.digestAlgorithm.oid)?.hash;
  return h ? { name: h, oid: si.digestAlgorithm.oid, length: 0 } : undefined;
}

/** signingTime, SMIMECapabilities and the SMIMEEncryptionKeyPreference certificate; throws FormatError when malformed. */
function readAttributeFacts(check: SignerCheck, attrs: CmsAttribute[], candidates: readonly CandidateCert[]): void {
  const time = singleValue(attrs, ATTRIBUTE.signingTime);
  if (time) check.signingTime = decodeTimeValue(time);
  const caps = singleValue(attrs, ATTRIBUTE.smimeCapabilities);
  if (caps) check.capabilities = decodeCapabilities(caps);
  const pref = singleValue(attrs, ATTRIBUTE.smimeEncryptionKeyPreference);
  if (pref) {
    const p = decodeEncryptionKeyPreference(pref);
    const found = p.serialHex
      ? candidates.find((c) => serialsEqual(c.info.serialHex, p.serialHex!) && namesMatch(c.info.issuer.der, p.issuerDer!))
      : p.keyId
        ? candidates.find((c) => bytesEqual(keyIdentifierOf(c.info), p.keyId!))
        : undefined;
    if (found) check.encryptionCertificate = found.der;
  }
}

/**
 * The bytes the signature covers (RFC 5652 §5.4): the signed attributes, once their contentType and
 * messageDigest match the content, or else the content itself.
 */
async function signedBytes(
  si: SignerInfo,
  contentType: string,
  content: Uint8Array,
  digestName: DigestName,
  isCountersignature: boolean,
): Promise<{ data: Uint8Array } | { problem: SignerProblem }> {
  try {
    const attrs = si.signedAttributes;
    if (!attrs) {
      if (contentType !== CONTENT_TYPE.data && !isCountersignature) {
        return { problem: problem('missing-attributes', 'signed attributes are required when the content type is not id-data (RFC 5652 §5.3)') };
      }
      return { data: content };
    }
    const ct = singleValue(attrs, ATTRIBUTE.contentType);
    const md = singleValue(attrs, ATTRIBUTE.messageDigest);
    if (!md || (!ct && !isCountersignature)) return { problem: problem('missing-attributes', 'signed attributes lack contentType or messageDigest (RFC 5652 §5.3)') };
    if (isCountersignature && ct) return { problem: problem('malformed-cms', 'a countersignature must not carry contentType (RFC 5652 §11.4)') };
    if (ct && decodeOidValue(ct) !== contentType) {
      return { problem: problem('content-type-mismatch', `the signed contentType ${decodeOidValue(ct)} differs from the encapsulated type ${contentType}`) };
    }
    const actual = await digestBytes(digestName, content);
    if (!bytesEqual(actual, decodeOctetsValue(md))) {
      return { problem: problem('digest-mismatch', 'the content does not match the signed message digest: it was changed after signing') };
    }
    return { data: si.signedAttributesDer! };
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
    return { problem: problem(e.code === 'malformed-der' ? 'malformed-cms' : e.code, e.message) };
  }
}

/**
 * Several certificates may carry the identifier (the sid is not signed: anyone can add a certificate with the
 * same issuer and serial, or the same key identifier, and another key). The signer is the one whose key
 * verifies and that the ESS attribute names; that one is reported and validated. Otherwise the problem
 * with the best match is reported.
 */
async function findVerifyingSigner(
  si: SignerInfo,
  sigAlg: AlgorithmIdentifier,
  data: Uint8Array,
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
async function checkSignatureWith(si: SignerInfo, sigAlg: AlgorithmIdentifier, data: Uint8Array, signer: CandidateCert, candidates: readonly CandidateCert[]): Promise<SignerProblem | undefined> {
  let ok: boolean;
  try {
    const dsaParams = inheritedDsaParameters(signer, candidates);
    const input = { algorithm: sigAlg, signature: si.signature, publicKey: signer.info.spki, ...(dsaParams ? { inheritedDsaParameters: dsaParams } : {}) };
    ok = await verifySignature({ ...input, data });
    // A sender that did not sort the SET OF signed attributes (non-DER) may have signed the sorted form.
    if (!ok && si.signedAttributesDer && data === si.signedAttributesDer) {
      const sorted = sortedSet(si.signedAttributesDer);
      if (sorted) ok = await verifySignature({ ...input, data: sorted });
    }
  } catch (e) {
    if (e instanceof AlgorithmError) return problem(e.code === 'key-algorithm-mismatch' ? 'bad-signature' : 'unsupported-algorithm', e.message);
    if (e instanceof SmimeError) return problem('bad-signature', `the signer's key cannot be used: ${e.message}`);
    // WebCrypto rejects (OperationError) what it cannot check, e.g. an RSA-PSS salt longer than the key allows:
    // RFC 8017 §9.1.2 calls that "inconsistent", an invalid signature, and hostile input must not escape as a DOMException.
    if ((e as { name?: unknown } | null)?.name === 'OperationError') return problem('bad-signature', `the signature cannot be checked: ${(e as Error).message}`);
    throw e;
  }
  if (!ok) return problem('bad-signature', 'the signature value does not verify with the signer certificate');
  // ESS signingCertificate(V2) binds the certificate (RFC 5035): it must name the one we used.
  return checkSigningCertificate(si, signer);
}

async function checkSigningCertificate(si: SignerInfo, signer: CandidateCert): Promise<SignerProblem | undefined> {
  const attrs = si.signedAttributes;
  if (!attrs) return undefined;
  try {
    const v2 = singleValue(attrs, ATTRIBUTE.signingCertificateV2);
    const v1 = v2 ? undefined : singleValue(attrs, ATTRIBUTE.signingCertificate);
    const value = v2 ?? v1;
    if (!value) return undefined;
    const ess = decodeSigningCertificate(value, !!v2);
    const d = digestAlgorithm(ess.hashOid ?? '');
    if (!d) return undefined; // unknown hash: cannot check, not a failure of the signature
    const hash = await digestBytes(d.name, signer.der);
    if (!bytesEqual(hash, ess.hash)) {
      return problem('signing-certificate-mismatch', 'the signed ESS signingCertificate attribute names a different certificate than the one found');
    }
  } catch (e) {
    if (e instanceof SmimeError) return undefined;
    throw e;
  }
  return undefined;
}

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
  const content = sd.content ?? (options.content === undefined ? undefined : toBytes(options.content, 'content'));
  const candidates = parseCandidates([...sd.certificates, ...(options.certificates ?? [])]);
  const out: SignerCheck[] = [];
  for (const [index, si] of sd.signerInfos.entries()) {
    const check = await checkSignerInfo(si, index, sd.contentType, content, candidates, options, false);
    const counters = si.unsignedAttributes?.filter((a) => a.oid === ATTRIBUTE.countersignature).flatMap((a) => a.values) ?? [];
    if (counters.length) {
      check.countersignatures = [];
      for (const [i, der] of counters.entries()) check.countersignatures.push(await checkCountersignature(der, i, si.signature, candidates, options));
    }
    out.push(check);
  }
  return out;
}

async function checkCountersignature(der: Uint8Array, index: number, signedValue: Uint8Array, candidates: readonly CandidateCert[], options: VerifySignedDataOptions): Promise<SignerCheck> {
  // A countersignature is a SignerInfo (RFC 5652 §11.4) whose content is the countersigned signature value.
  try {
    const si = parseSignerInfoDer(der);
    return await checkSignerInfo(si, index, CONTENT_TYPE.data, signedValue, candidates, options, true);
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
    return { index, sid: { type: 'subjectKeyIdentifier', keyIdentifier: new Uint8Array() }, signatureValid: false, problems: [problem('malformed-cms', e.message)], algorithms: { digest: '?', signature: '?' } };
  }
}
