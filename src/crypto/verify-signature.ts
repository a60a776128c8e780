/**
 * Verifies an X.509-style signature (certificate, CRL, CMS SignerInfo) given
 * the signature AlgorithmIdentifier, the signed bytes and the signer's
 * SubjectPublicKeyInfo. RSA PKCS#1 v1.5, RSA-PSS, ECDSA and Ed25519 go through
 * WebCrypto (on Node with the default backend, OpenSSL directly: native.ts);
 * DSA (and RSA with digests WebCrypto lacks, e.g. MD5) use bigint
 * code here. Algorithm *policy* (what is too weak) is not decided here: see
 * `policy.ts`; key type and size facts are in `public-key-summary.ts`.
 */
import { AlgorithmError, FormatError } from '../errors.js';
import { toArrayBuffer } from '../util/bytes.js';
import { md5 } from '../util/hash.js';
import {
  OID,
  digestAlgorithm,
  digestOid,
  isWebCryptoDigest,
  publicKeyAlgorithm,
  signatureAlgorithm,
  type DigestName,
  type SignatureAlgorithmInfo,
} from './algorithms.js';
import { rsaPkcs1VerifyDigest } from './rsa-verify-digest.js';
import { dsaVerifyWithKey } from './dsa.js';
import { getSubtle } from './engine.js';
import { BytesCache, nativeDigest, nativeVerify } from './native.js';
import { asNamedCurveSpki, curveOf, curveOidOf, dsaParametersOf } from './public-key-summary.js';
import {
  parseAlgorithmIdentifier,
  parseSubjectPublicKeyInfo,
  type AlgorithmIdentifier,
  type PublicKeyInfo,
} from '../x509/algorithm.js';
import {
  TAG,
  derParse,
  derChildren,
  derContent,
  derBytes,
  derIsUniversal,
  derIsContext,
  derExpect,
  decodeInteger,
  tlv,
  encodeOid,
} from '../asn1/index.js';

/** Digest of `data` with any supported digest (WebCrypto, or the built-in MD5). */
export async function digest(name: DigestName, data: Uint8Array): Promise<Uint8Array> {
  if (isWebCryptoDigest(name))
    return nativeDigest(name, data) ?? new Uint8Array(await getSubtle().digest(name, toArrayBuffer(data)));
  if (name === 'MD5') return md5(data);
  throw new AlgorithmError('unsupported-algorithm', `digest ${name} is not supported`);
}

/** RSA-PSS parameters (RFC 4055 §3.1), defaults applied. */
export interface RsaPssParameters {
  hash: DigestName;
  mgfHash: DigestName;
  saltLength: number;
}

/** Decodes RSASSA-PSS-params; an absent or empty value gives the SHA-1 defaults. */
export function parseRsaPssParameters(der: Uint8Array | undefined): RsaPssParameters {
  const out: RsaPssParameters = { hash: 'SHA-1', mgfHash: 'SHA-1', saltLength: 20 };
  if (!der) return out;
  const root = derParse(der);
  if (derIsUniversal(root, TAG.NULL)) return out;
  derExpect(root, TAG.SEQUENCE, 'RSASSA-PSS-params');
  for (const field of derChildren(root)) {
    const inner = derChildren(field)[0];
    if (!inner) throw new FormatError('malformed-der', 'RSASSA-PSS-params: empty field');
    if (derIsContext(field, 0)) {
      const alg = parseAlgorithmIdentifier(derBytes(inner));
      const d = digestAlgorithm(alg.oid);
      if (!d) throw new AlgorithmError('unsupported-algorithm', `RSA-PSS hash ${alg.oid} is not supported`);
      out.hash = d.name;
    } else if (derIsContext(field, 1)) {
      const mgf = parseAlgorithmIdentifier(derBytes(inner));
      if (mgf.oid !== OID.mgf1 || !mgf.parameters)
        throw new AlgorithmError('unsupported-algorithm', `RSA-PSS mask generation ${mgf.oid} is not supported`);
      const d = digestAlgorithm(parseAlgorithmIdentifier(mgf.parameters).oid);
      if (!d) throw new AlgorithmError('unsupported-algorithm', 'RSA-PSS MGF1 hash is not supported');
      out.mgfHash = d.name;
    } else if (derIsContext(field, 2)) {
      const v = decodeInteger(derContent(derExpect(inner, TAG.INTEGER, 'saltLength')));
      if (v < 0n || v > 4096n) throw new FormatError('malformed-der', 'RSA-PSS saltLength out of range');
      out.saltLength = Number(v);
    } else if (derIsContext(field, 3)) {
      const v = decodeInteger(derContent(derExpect(inner, TAG.INTEGER, 'trailerField')));
      if (v !== 1n) throw new AlgorithmError('unsupported-algorithm', 'RSA-PSS trailerField must be 1');
    }
  }
  return out;
}

/** An rsaEncryption SPKI for the same key (WebCrypto will not import id-RSASSA-PSS keys everywhere). */
function asRsaEncryptionSpki(info: PublicKeyInfo): Uint8Array {
  const alg = tlv(0x30, new Uint8Array([...encodeOid(OID.rsaEncryption), 0x05, 0x00]));
  const bits = tlv(0x03, new Uint8Array([0, ...info.publicKey]));
  return tlv(0x30, new Uint8Array([...alg, ...bits]));
}

/**
 * DER ECDSA-Sig-Value to the fixed-size r||s form WebCrypto wants; undefined when malformed.
 * Only strict DER is accepted (minimal lengths and INTEGERs, 0 < r, s), so a signature has one encoding.
 */
function ecdsaDerToP1363(signature: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const root = derExpect(derParse(signature), TAG.SEQUENCE, 'ECDSA signature');
    if (root.indefinite || root.nonMinimalLength) return undefined;
    const kids = derChildren(root);
    if (kids.length !== 2) return undefined;
    const out = new Uint8Array(size * 2);
    for (let i = 0; i < 2; i++) {
      const node = derExpect(kids[i], TAG.INTEGER, 'ECDSA signature');
      if (node.nonMinimalLength) return undefined;
      let v = derContent(node);
      if (v.length === 0) return undefined;
      if ((v[0]! & 0x80) !== 0) return undefined; // negative
      if (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) return undefined; // non-minimal INTEGER
      while (v.length > 0 && v[0] === 0) v = v.subarray(1);
      if (v.length === 0 || v.length > size) return undefined; // zero, or longer than the group order
      out.set(v, (i + 1) * size - v.length);
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Whether a signature AlgorithmIdentifier carries the parameters its algorithm requires: NULL or absent
 * for RSA PKCS#1 v1.5 (RFC 4055 §5), absent for ECDSA (RFC 5758 §3.2), DSA (RFC 3279 §2.2.2) and EdDSA
 * (RFC 8410 §3), a SEQUENCE (present) for RSA-PSS (RFC 4055 §3.1). Unknown algorithms are not judged here.
 */
export function signatureParametersValid(algorithm: AlgorithmIdentifier): boolean {
  const family = signatureAlgorithm(algorithm.oid)?.family;
  const p = algorithm.parameters;
  switch (family) {
    case 'rsa-pkcs1':
      return !p || (p.length === 2 && p[0] === 0x05 && p[1] === 0x00);
    case 'ecdsa':
    case 'dsa':
    case 'ed25519':
    case 'ed448':
      return !p;
    case 'rsa-pss':
      return p !== undefined && p[0] === 0x30; // RFC 4055 §3.1: present with a signature value
    default:
      return true;
  }
}

export interface VerifySignatureInput {
  /** The signature AlgorithmIdentifier (e.g. TBSCertificate.signature). */
  algorithm: AlgorithmIdentifier;
  /** The signature value (BIT STRING content without the unused-bits octet, or OCTET STRING content). */
  signature: Uint8Array;
  /** The exact signed bytes. */
  data: Uint8Array;
  /** The signer's SubjectPublicKeyInfo (DER or decoded). */
  publicKey: Uint8Array | PublicKeyInfo;
  /** Dss-Parms DER to use when a DSA key carries none (inherited from its issuer). */
  inheritedDsaParameters?: Uint8Array;
}

/**
 * Checks a signature. Resolves `true`/`false`; throws `AlgorithmError`
 * (`unsupported-algorithm`) when the algorithm or key type cannot be checked and
 * `FormatError` when the key itself is malformed.
 *
 * @example
 * ```ts
 * const ok = await verifySignature({ algorithm: { oid: '1.2.840.113549.1.1.11' }, signature, data: tbs, publicKey: issuerSpki });
 * ```
 */
export async function verifySignature(input: VerifySignatureInput): Promise<boolean> {
  const info =
    input.publicKey instanceof Uint8Array ? spkiInfos.get(input.publicKey, parseSubjectPublicKeyInfo) : input.publicKey;
  const sigAlg = signatureAlgorithm(input.algorithm.oid);
  if (!sigAlg)
    throw new AlgorithmError('unsupported-algorithm', `signature algorithm ${input.algorithm.oid} is not supported`);
  const keyKind = publicKeyAlgorithm(info.algorithm.oid)?.kind;
  const check: SignatureCheck = {
    input,
    info,
    sigAlg,
    keyKind,
    subtle: getSubtle(),
    data: toArrayBuffer(input.data),
    mismatch: () =>
      new AlgorithmError(
        'key-algorithm-mismatch',
        `a ${keyKind ?? info.algorithm.oid} key cannot check a ${sigAlg.name} signature`,
      ),
  };
  switch (sigAlg.family) {
    case 'rsa-pkcs1':
      return verifyRsaPkcs1(check);
    case 'rsa-pss':
      return verifyRsaPss(check);
    case 'ecdsa':
      return verifyEcdsa(check);
    case 'ed25519':
      return verifyEd25519(check);
    case 'dsa':
      return verifyDsa(check);
    default:
      throw new AlgorithmError('unsupported-algorithm', `${sigAlg.name} signatures are not supported`);
  }
}

/**
 * The hash whose digest suffices to check a signature of this algorithm without the signed bytes: RSA PKCS#1 v1.5
 * and DSA sign the hash itself. Undefined for the schemes that need the bytes (RSA-PSS, ECDSA and EdDSA here, whose
 * APIs hash what they are given).
 */
export function digestSufficesFor(signatureOid: string): DigestName | undefined {
  const sigAlg = signatureAlgorithm(signatureOid);
  return sigAlg?.family === 'rsa-pkcs1' || sigAlg?.family === 'dsa' ? sigAlg.hash : undefined;
}

/**
 * Checks a signature against the digest of the signed bytes (with the signature algorithm's hash), for content that
 * was streamed and not kept. RSA PKCS#1 v1.5 and DSA only ({@link digestSufficesFor}).
 *
 * @throws AlgorithmError `unsupported-algorithm` for any other scheme; `key-algorithm-mismatch` for a key of
 *   another type
 */
export async function verifySignatureOfDigest(
  input: Omit<VerifySignatureInput, 'data'>,
  hashValue: Uint8Array,
): Promise<boolean> {
  const info =
    input.publicKey instanceof Uint8Array ? spkiInfos.get(input.publicKey, parseSubjectPublicKeyInfo) : input.publicKey;
  const sigAlg = signatureAlgorithm(input.algorithm.oid);
  if (!sigAlg || !digestSufficesFor(input.algorithm.oid))
    throw new AlgorithmError(
      'unsupported-algorithm',
      `a ${sigAlg?.name ?? input.algorithm.oid} signature needs the signed bytes`,
    );
  const keyKind = publicKeyAlgorithm(info.algorithm.oid)?.kind;
  const mismatch = () =>
    new AlgorithmError(
      'key-algorithm-mismatch',
      `a ${keyKind ?? info.algorithm.oid} key cannot check a ${sigAlg.name} signature`,
    );
  if (sigAlg.family === 'dsa') return dsaVerifyHash(input, info, keyKind, mismatch, hashValue);
  if (keyKind !== 'rsa') throw mismatch();
  return rsaPkcs1VerifyDigest(info, digestOid(sigAlg.hash!), hashValue, input.signature);
}

/** Decoded keys, once per SPKI array (certificates hand out the same array every time). */
const spkiInfos = new BytesCache<PublicKeyInfo>();

/** One signature check, as the per-family verifiers below receive it. */
interface SignatureCheck {
  input: VerifySignatureInput;
  info: PublicKeyInfo;
  sigAlg: SignatureAlgorithmInfo;
  keyKind: string | undefined;
  subtle: SubtleCrypto;
  /** input.data for WebCrypto. */
  data: ArrayBuffer;
  /** The error for a key of the wrong type for the signature algorithm. */
  mismatch: () => AlgorithmError;
}

function keyUnusable(e: unknown): FormatError {
  return new FormatError(
    'malformed-key',
    `the public key cannot be used: ${e instanceof Error ? e.message : String(e)}`,
    { cause: e },
  );
}

/** Imports a public key for WebCrypto verification; a key it refuses (or `spki` cannot make) is a malformed key. */
async function importVerifyKey(
  subtle: SubtleCrypto,
  spki: () => Uint8Array,
  algorithm: Algorithm | RsaHashedImportParams | EcKeyImportParams,
): Promise<CryptoKey> {
  try {
    return await subtle.importKey('spki', toArrayBuffer(spki()), algorithm, false, ['verify']);
  } catch (e) {
    throw keyUnusable(e);
  }
}

async function verifyRsaPkcs1({
  input,
  info,
  sigAlg,
  keyKind,
  subtle,
  data,
  mismatch,
}: SignatureCheck): Promise<boolean> {
  if (keyKind !== 'rsa') throw mismatch();
  const hash = sigAlg.hash!;
  if (!isWebCryptoDigest(hash)) {
    if (hash !== 'MD5') throw new AlgorithmError('unsupported-algorithm', `${sigAlg.name} is not supported`);
    return rsaPkcs1VerifyDigest(info, OID.md5, md5(input.data), input.signature);
  }
  const native = nativeVerify(info, hash, input.data, input.signature, { padding: 'pkcs1' });
  if (native !== undefined) return native;
  const key = await importVerifyKey(subtle, () => info.der, { name: 'RSASSA-PKCS1-v1_5', hash });
  return subtle.verify('RSASSA-PKCS1-v1_5', key, toArrayBuffer(input.signature), data);
}

async function verifyRsaPss({ input, info, keyKind, subtle, data, mismatch }: SignatureCheck): Promise<boolean> {
  if (keyKind !== 'rsa' && keyKind !== 'rsa-pss') throw mismatch();
  const params = parseRsaPssParameters(input.algorithm.parameters);
  // An id-RSASSA-PSS key with parameters may only be used with those (RFC 4055 §3.1): same hash and
  // MGF, and a salt at least as long.
  const keyParams =
    keyKind === 'rsa-pss' && info.algorithm.parameters && !derIsUniversal(derParse(info.algorithm.parameters), TAG.NULL)
      ? parseRsaPssParameters(info.algorithm.parameters)
      : undefined;
  if (
    keyParams &&
    (keyParams.hash !== params.hash || keyParams.mgfHash !== params.mgfHash || params.saltLength < keyParams.saltLength)
  ) {
    throw new AlgorithmError(
      'key-algorithm-mismatch',
      `the RSA-PSS key is restricted to ${keyParams.hash} / MGF1-${keyParams.mgfHash} / salt >= ${keyParams.saltLength}, but the signature uses ${params.hash} / MGF1-${params.mgfHash} / salt ${params.saltLength}`,
    );
  }
  if (params.hash !== params.mgfHash || !isWebCryptoDigest(params.hash)) {
    throw new AlgorithmError(
      'unsupported-algorithm',
      `RSA-PSS with ${params.hash} / MGF1-${params.mgfHash} is not supported`,
    );
  }
  const native = nativeVerify(
    info,
    params.hash,
    input.data,
    input.signature,
    { padding: 'pss', saltLength: params.saltLength },
    () => asRsaEncryptionSpki(info),
  );
  if (native !== undefined) return native;
  const key = await importVerifyKey(subtle, () => asRsaEncryptionSpki(info), { name: 'RSA-PSS', hash: params.hash });
  return subtle.verify({ name: 'RSA-PSS', saltLength: params.saltLength }, key, toArrayBuffer(input.signature), data);
}

async function verifyEcdsa({ input, info, sigAlg, keyKind, subtle, data, mismatch }: SignatureCheck): Promise<boolean> {
  if (keyKind !== 'ec') throw mismatch();
  const hash = sigAlg.hash!;
  if (!isWebCryptoDigest(hash)) throw new AlgorithmError('unsupported-algorithm', `${sigAlg.name} is not supported`);
  const curve = curveOf(info);
  if (!curve) throw new AlgorithmError('unsupported-algorithm', 'EC key on an unsupported curve');
  const raw = ecdsaDerToP1363(input.signature, curve.size);
  if (!raw) return false;
  const spki = () =>
    derIsUniversal(derParse(info.algorithm.parameters!), TAG.OID)
      ? info.der
      : asNamedCurveSpki(info, curveOidOf(info)!);
  const native = nativeVerify(info, hash, input.data, raw, { p1363: true }, spki);
  if (native !== undefined) return native;
  const key = await importVerifyKey(subtle, spki, { name: 'ECDSA', namedCurve: curve.name });
  return subtle.verify({ name: 'ECDSA', hash }, key, toArrayBuffer(raw), data);
}

async function verifyEd25519({ input, info, keyKind, subtle, data, mismatch }: SignatureCheck): Promise<boolean> {
  if (keyKind !== 'ed25519') throw mismatch();
  const native = nativeVerify(info, null, input.data, input.signature);
  if (native !== undefined) return native;
  const key = await importVerifyKey(subtle, () => info.der, { name: 'Ed25519' });
  return subtle.verify({ name: 'Ed25519' }, key, toArrayBuffer(input.signature), data);
}

/** DSA in bigint (WebCrypto has none). */
async function verifyDsa({ input, info, sigAlg, keyKind, mismatch }: SignatureCheck): Promise<boolean> {
  return dsaVerifyHash(input, info, keyKind, mismatch, await digest(sigAlg.hash!, input.data));
}

/** DSA over an already computed hash of the signed bytes. */
function dsaVerifyHash(
  input: Omit<VerifySignatureInput, 'data'>,
  info: PublicKeyInfo,
  keyKind: string | undefined,
  mismatch: () => AlgorithmError,
  hashValue: Uint8Array,
): boolean {
  if (keyKind !== 'dsa') throw mismatch();
  const params = dsaParametersOf(info, input.inheritedDsaParameters);
  if (!params)
    throw new AlgorithmError('dsa-parameters-missing', 'the DSA key has no domain parameters and none were inherited');
  return dsaVerifyWithKey(params, info.publicKey, input.signature, hashValue);
}
