/**
 * Verifies an X.509-style signature (certificate, CRL, CMS SignerInfo) given
 * the signature AlgorithmIdentifier, the signed bytes and the signer's
 * SubjectPublicKeyInfo. RSA PKCS#1 v1.5, RSA-PSS, ECDSA and Ed25519 go through
 * WebCrypto; DSA (and RSA with digests WebCrypto lacks, e.g. MD5) use bigint
 * code here. Algorithm *policy* (what is too weak) is not decided here: see
 * `policy.ts`.
 */
import { AlgorithmError, FormatError } from '../errors.js';
import { bytesEqual, toArrayBuffer } from '../util/bytes.js';
import {
  TAG,
  childrenOf,
  contentOf,
  decodeInteger,
  decodeOid,
  encodeOid,
  encodeTlv,
  encodedOf,
  expectUniversal,
  isContext,
  isUniversal,
  readRoot,
} from '../util/der.js';
import { md5 } from '../util/hash/md5.js';
import { NAMED_CURVES, OID, digestAlgorithm, isWebCryptoDigest, publicKeyAlgorithm, signatureAlgorithm, type DigestName } from './algorithms.js';
import { bigintBitLength, modPow } from './bigint.js';

const MAX_DSA_P_BITS = 3072;
const MAX_DSA_Q_BITS = 256;
import { dsaVerifyDigest, parseDsaParameters, parseDsaPublicKey, parseDsaSignature } from './dsa.js';
import { getSubtle } from './engine.js';

/** An AlgorithmIdentifier: OID plus the DER of its parameters (absent = undefined). */
export interface AlgorithmIdentifier {
  oid: string;
  /** Full DER TLV of the parameters field, when present (a NULL counts as present). */
  parameters?: Uint8Array;
}

/** A decoded SubjectPublicKeyInfo. */
export interface PublicKeyInfo {
  algorithm: AlgorithmIdentifier;
  /** Content of the subjectPublicKey BIT STRING (unused-bits octet removed). */
  publicKey: Uint8Array;
  /** The SPKI DER as given. */
  der: Uint8Array;
}

/** Size facts about a public key, for algorithm policy and reports. */
export interface PublicKeySummary {
  kind: string;
  /** Modulus (RSA), prime p (DSA) or field size (EC) in bits; undefined when unknown. */
  bits?: number;
  /** WebCrypto curve name for EC keys. */
  curve?: string;
}

/** Reads an AlgorithmIdentifier at the root of `der`. */
export function parseAlgorithmIdentifier(der: Uint8Array): AlgorithmIdentifier {
  const root = expectUniversal(readRoot(der), TAG.SEQUENCE, 'AlgorithmIdentifier');
  const kids = childrenOf(der, root);
  const oidNode = kids[0];
  if (!oidNode || kids.length > 2) throw new FormatError('malformed-der', 'AlgorithmIdentifier: bad structure', { offset: root.start });
  const oid = decodeOid(contentOf(der, expectUniversal(oidNode, TAG.OID, 'AlgorithmIdentifier')), oidNode.start);
  return kids[1] ? { oid, parameters: encodedOf(der, kids[1]) } : { oid };
}

/** Decodes a DER SubjectPublicKeyInfo. */
export function parseSubjectPublicKeyInfo(der: Uint8Array): PublicKeyInfo {
  const root = expectUniversal(readRoot(der), TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const kids = childrenOf(der, root);
  if (kids.length !== 2) throw new FormatError('malformed-der', 'SubjectPublicKeyInfo: bad structure', { offset: root.start });
  const algorithm = parseAlgorithmIdentifier(encodedOf(der, kids[0]!));
  const bits = contentOf(der, expectUniversal(kids[1]!, TAG.BIT_STRING, 'subjectPublicKey'));
  if (bits.length < 1 || bits[0] !== 0) throw new FormatError('malformed-der', 'subjectPublicKey must be a whole number of bytes');
  return { algorithm, publicKey: bits.subarray(1), der };
}

function bitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

function rsaModulus(publicKey: Uint8Array): { n: Uint8Array; e: Uint8Array } {
  const root = expectUniversal(readRoot(publicKey), TAG.SEQUENCE, 'RSAPublicKey');
  const kids = childrenOf(publicKey, root);
  if (kids.length !== 2) throw new FormatError('malformed-der', 'RSAPublicKey: bad structure');
  return {
    n: contentOf(publicKey, expectUniversal(kids[0]!, TAG.INTEGER, 'modulus')),
    e: contentOf(publicKey, expectUniversal(kids[1]!, TAG.INTEGER, 'publicExponent')),
  };
}

/**
 * Key type and size of a SubjectPublicKeyInfo. `inheritedDsaParameters` is the
 * issuer's Dss-Parms for a DSA key without its own (RFC 3279 §2.3.2).
 */
export function summarizePublicKey(spki: Uint8Array | PublicKeyInfo, inheritedDsaParameters?: Uint8Array): PublicKeySummary {
  const info = spki instanceof Uint8Array ? parseSubjectPublicKeyInfo(spki) : spki;
  const alg = publicKeyAlgorithm(info.algorithm.oid);
  const kind = alg?.kind ?? info.algorithm.oid;
  try {
    switch (alg?.kind) {
      case 'rsa':
      case 'rsa-pss':
        return { kind, bits: bitLength(rsaModulus(info.publicKey).n) };
      case 'dsa': {
        const params = dsaParametersOf(info, inheritedDsaParameters);
        return params ? { kind, bits: params.p.toString(2).length } : { kind };
      }
      case 'ec': {
        const curve = curveOf(info);
        return curve ? { kind, bits: curve.size === 66 ? 521 : curve.size * 8, curve: curve.name } : { kind };
      }
      case 'ed25519':
      case 'x25519':
        return { kind, bits: 256 };
      case 'ed448':
      case 'x448':
        return { kind, bits: 448 };
      default:
        return { kind };
    }
  } catch {
    return { kind };
  }
}

/** Field prime and group order (hex) of the named curves, to recognise explicitly encoded parameters. */
const EXPLICIT_CURVES: Record<string, string> = {
  'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff/ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551': OID.secp256r1,
  'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff/ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973':
    OID.secp384r1,
  [`01${'ff'.repeat(65)}/01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409`]:
    OID.secp521r1,
};

function stripZeros(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let hex = '';
  for (const b of bytes.subarray(i)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Named-curve OID of an EC key, from a namedCurve OID or explicit SpecifiedECDomain parameters (RFC 3279 §2.3.5). */
function curveOidOf(info: PublicKeyInfo): string | undefined {
  const p = info.algorithm.parameters;
  if (!p) return undefined;
  const node = readRoot(p);
  if (isUniversal(node, TAG.OID)) return decodeOid(contentOf(p, node));
  if (!isUniversal(node, TAG.SEQUENCE)) return undefined;
  // SpecifiedECDomain { version, fieldID { prime-field, p }, curve, base, order, cofactor }:
  // recognised only when prime and order are those of a named curve.
  const [, fieldId, , , order] = childrenOf(p, node);
  if (!fieldId || !order || !isUniversal(order, TAG.INTEGER)) return undefined;
  const [fieldType, prime] = childrenOf(p, fieldId);
  if (!fieldType || !prime || decodeOid(contentOf(p, fieldType)) !== '1.2.840.10045.1.1' || !isUniversal(prime, TAG.INTEGER)) return undefined;
  const named = EXPLICIT_CURVES[`${stripZeros(contentOf(p, prime))}/${stripZeros(contentOf(p, order))}`];
  if (named === OID.secp521r1 && contentOf(p, prime).length < 66) return undefined;
  return named;
}

function curveOf(info: PublicKeyInfo) {
  const oid = curveOidOf(info);
  return oid ? NAMED_CURVES[oid] : undefined;
}

/** The same EC key as a namedCurve SPKI (WebCrypto imports only those). */
function asNamedCurveSpki(info: PublicKeyInfo, curveOid: string): Uint8Array {
  const alg = encodeTlv(0x30, new Uint8Array([...encodeOid(OID.ecPublicKey), ...encodeOid(curveOid)]));
  const bits = encodeTlv(0x03, new Uint8Array([0, ...info.publicKey]));
  return encodeTlv(0x30, new Uint8Array([...alg, ...bits]));
}

/** True when a DSA SubjectPublicKeyInfo carries no domain parameters (they are inherited). */
export function hasDsaParameters(spki: Uint8Array | PublicKeyInfo): boolean {
  const info = spki instanceof Uint8Array ? parseSubjectPublicKeyInfo(spki) : spki;
  const p = info.algorithm.parameters;
  if (!p) return false;
  return !isUniversal(readRoot(p), TAG.NULL);
}

function dsaParametersOf(info: PublicKeyInfo, inherited?: Uint8Array) {
  if (hasDsaParameters(info)) return parseDsaParameters(info.algorithm.parameters!);
  return inherited ? parseDsaParameters(inherited) : undefined;
}

/** Digest of `data` with any supported digest (WebCrypto, or the built-in MD5). */
export async function digest(name: DigestName, data: Uint8Array): Promise<Uint8Array> {
  if (isWebCryptoDigest(name)) return new Uint8Array(await getSubtle().digest(name, toArrayBuffer(data)));
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
  const root = readRoot(der);
  if (isUniversal(root, TAG.NULL)) return out;
  expectUniversal(root, TAG.SEQUENCE, 'RSASSA-PSS-params');
  for (const field of childrenOf(der, root)) {
    const inner = childrenOf(der, field)[0];
    if (!inner) throw new FormatError('malformed-der', 'RSASSA-PSS-params: empty field');
    if (isContext(field, 0)) {
      const alg = parseAlgorithmIdentifier(encodedOf(der, inner));
      const d = digestAlgorithm(alg.oid);
      if (!d) throw new AlgorithmError('unsupported-algorithm', `RSA-PSS hash ${alg.oid} is not supported`);
      out.hash = d.name;
    } else if (isContext(field, 1)) {
      const mgf = parseAlgorithmIdentifier(encodedOf(der, inner));
      if (mgf.oid !== OID.mgf1 || !mgf.parameters) throw new AlgorithmError('unsupported-algorithm', `RSA-PSS mask generation ${mgf.oid} is not supported`);
      const d = digestAlgorithm(parseAlgorithmIdentifier(mgf.parameters).oid);
      if (!d) throw new AlgorithmError('unsupported-algorithm', 'RSA-PSS MGF1 hash is not supported');
      out.mgfHash = d.name;
    } else if (isContext(field, 2)) {
      const v = decodeInteger(contentOf(der, expectUniversal(inner, TAG.INTEGER, 'saltLength')));
      if (v < 0n || v > 4096n) throw new FormatError('malformed-der', 'RSA-PSS saltLength out of range');
      out.saltLength = Number(v);
    } else if (isContext(field, 3)) {
      const v = decodeInteger(contentOf(der, expectUniversal(inner, TAG.INTEGER, 'trailerField')));
      if (v !== 1n) throw new AlgorithmError('unsupported-algorithm', 'RSA-PSS trailerField must be 1');
    }
  }
  return out;
}

/** An rsaEncryption SPKI for the same key (WebCrypto will not import id-RSASSA-PSS keys everywhere). */
function asRsaEncryptionSpki(info: PublicKeyInfo): Uint8Array {
  const alg = encodeTlv(0x30, new Uint8Array([...encodeOid(OID.rsaEncryption), 0x05, 0x00]));
  const bits = encodeTlv(0x03, new Uint8Array([0, ...info.publicKey]));
  return encodeTlv(0x30, new Uint8Array([...alg, ...bits]));
}

/**
 * DER ECDSA-Sig-Value to the fixed-size r||s form WebCrypto wants; undefined when malformed.
 * Only strict DER is accepted (minimal lengths and INTEGERs, 0 < r, s), so a signature has one encoding.
 */
function ecdsaDerToP1363(signature: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const root = expectUniversal(readRoot(signature), TAG.SEQUENCE, 'ECDSA signature');
    if (root.indefinite || root.nonMinimalLength) return undefined;
    const kids = childrenOf(signature, root);
    if (kids.length !== 2) return undefined;
    const out = new Uint8Array(size * 2);
    for (let i = 0; i < 2; i++) {
      const node = expectUniversal(kids[i]!, TAG.INTEGER, 'ECDSA signature');
      if (node.nonMinimalLength) return undefined;
      let v = contentOf(signature, node);
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

/** Largest RSA modulus / public exponent the bigint verifier accepts (as OpenSSL: 16384 bits; e of at most 64 bits). */
const MAX_RSA_BITS = 16384;
const MAX_RSA_EXPONENT_BITS = 64;

/**
 * RSA PKCS#1 v1.5 verification in bigint, for digests WebCrypto does not offer (MD5).
 * The whole encoded message is compared with the one expected (RFC 8017 §8.2.2 step 4), so no
 * garbage can hide in the padding, the DigestInfo parameters or after the digest (BERserk-style
 * forgeries). DigestInfo parameters may be NULL or absent (RFC 8017 note to §9.2).
 */
function rsaPkcs1VerifyDigest(info: PublicKeyInfo, hashOid: string, hash: Uint8Array, signature: Uint8Array): boolean {
  const { n, e } = rsaModulus(info.publicKey);
  const nBits = bitLength(n);
  const eBits = bitLength(e);
  if (nBits > MAX_RSA_BITS || eBits > MAX_RSA_EXPONENT_BITS) throw new AlgorithmError('unsupported-algorithm', `RSA keys over ${MAX_RSA_BITS} bits or with exponents over ${MAX_RSA_EXPONENT_BITS} bits are not supported`);
  const modulus = decodeInteger(Uint8Array.from([0, ...n]));
  const exponent = decodeInteger(Uint8Array.from([0, ...e]));
  if (modulus < 3n || exponent < 3n) return false;
  const k = Math.ceil(nBits / 8);
  if (signature.length !== k) return false;
  const s = decodeInteger(Uint8Array.from([0, ...signature]));
  if (s >= modulus) return false;
  let m = modPow(s, exponent, modulus);
  const em = new Uint8Array(k);
  for (let i = k - 1; i >= 0; i--, m >>= 8n) em[i] = Number(m & 0xffn);
  const oid = encodeOid(hashOid);
  const digestInfo = (withNull: boolean) =>
    encodeTlv(0x30, new Uint8Array([...encodeTlv(0x30, new Uint8Array([...oid, ...(withNull ? [0x05, 0x00] : [])])), ...encodeTlv(0x04, hash)]));
  for (const t of [digestInfo(true), digestInfo(false)]) {
    if (k < t.length + 11) continue;
    const expected = new Uint8Array(k).fill(0xff);
    expected[0] = 0;
    expected[1] = 1;
    expected[k - t.length - 1] = 0;
    expected.set(t, k - t.length);
    if (bytesEqual(em, expected)) return true;
  }
  return false;
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
  const info = input.publicKey instanceof Uint8Array ? parseSubjectPublicKeyInfo(input.publicKey) : input.publicKey;
  const sigAlg = signatureAlgorithm(input.algorithm.oid);
  if (!sigAlg) throw new AlgorithmError('unsupported-algorithm', `signature algorithm ${input.algorithm.oid} is not supported`);
  const keyKind = publicKeyAlgorithm(info.algorithm.oid)?.kind;
  const mismatch = () => new AlgorithmError('key-algorithm-mismatch', `a ${keyKind ?? info.algorithm.oid} key cannot check a ${sigAlg.name} signature`);
  const subtle = getSubtle();
  const data = toArrayBuffer(input.data);
  const importFailed = (e: unknown) => new FormatError('malformed-key', `the public key cannot be used: ${e instanceof Error ? e.message : String(e)}`, { cause: e });

  switch (sigAlg.family) {
    case 'rsa-pkcs1': {
      if (keyKind !== 'rsa') throw mismatch();
      const hash = sigAlg.hash!;
      if (!isWebCryptoDigest(hash)) {
        if (hash !== 'MD5') throw new AlgorithmError('unsupported-algorithm', `${sigAlg.name} is not supported`);
        return rsaPkcs1VerifyDigest(info, OID.md5, md5(input.data), input.signature);
      }
      let key: CryptoKey;
      try {
        key = await subtle.importKey('spki', toArrayBuffer(info.der), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['verify']);
      } catch (e) {
        throw importFailed(e);
      }
      return subtle.verify('RSASSA-PKCS1-v1_5', key, toArrayBuffer(input.signature), data);
    }
    case 'rsa-pss': {
      if (keyKind !== 'rsa' && keyKind !== 'rsa-pss') throw mismatch();
      const params = parseRsaPssParameters(input.algorithm.parameters);
      // An id-RSASSA-PSS key with parameters may only be used with those (RFC 4055 §3.1): same hash and
      // MGF, and a salt at least as long.
      const keyParams = keyKind === 'rsa-pss' && info.algorithm.parameters && !isUniversal(readRoot(info.algorithm.parameters), TAG.NULL)
        ? parseRsaPssParameters(info.algorithm.parameters)
        : undefined;
      if (keyParams && (keyParams.hash !== params.hash || keyParams.mgfHash !== params.mgfHash || params.saltLength < keyParams.saltLength)) {
        throw new AlgorithmError(
          'key-algorithm-mismatch',
          `the RSA-PSS key is restricted to ${keyParams.hash} / MGF1-${keyParams.mgfHash} / salt >= ${keyParams.saltLength}, but the signature uses ${params.hash} / MGF1-${params.mgfHash} / salt ${params.saltLength}`,
        );
      }
      if (params.hash !== params.mgfHash || !isWebCryptoDigest(params.hash)) {
        throw new AlgorithmError('unsupported-algorithm', `RSA-PSS with ${params.hash} / MGF1-${params.mgfHash} is not supported`);
      }
      let key: CryptoKey;
      try {
        key = await subtle.importKey('spki', toArrayBuffer(asRsaEncryptionSpki(info)), { name: 'RSA-PSS', hash: params.hash }, false, ['verify']);
      } catch (e) {
        throw importFailed(e);
      }
      return subtle.verify({ name: 'RSA-PSS', saltLength: params.saltLength }, key, toArrayBuffer(input.signature), data);
    }
    case 'ecdsa': {
      if (keyKind !== 'ec') throw mismatch();
      const hash = sigAlg.hash!;
      if (!isWebCryptoDigest(hash)) throw new AlgorithmError('unsupported-algorithm', `${sigAlg.name} is not supported`);
      const curve = curveOf(info);
      if (!curve) throw new AlgorithmError('unsupported-algorithm', 'EC key on an unsupported curve');
      const raw = ecdsaDerToP1363(input.signature, curve.size);
      if (!raw) return false;
      let key: CryptoKey;
      try {
        const spki = isUniversal(readRoot(info.algorithm.parameters!), TAG.OID) ? info.der : asNamedCurveSpki(info, curveOidOf(info)!);
        key = await subtle.importKey('spki', toArrayBuffer(spki), { name: 'ECDSA', namedCurve: curve.name }, false, ['verify']);
      } catch (e) {
        throw importFailed(e);
      }
      return subtle.verify({ name: 'ECDSA', hash }, key, toArrayBuffer(raw), data);
    }
    case 'ed25519': {
      if (keyKind !== 'ed25519') throw mismatch();
      let key: CryptoKey;
      try {
        key = await subtle.importKey('spki', toArrayBuffer(info.der), { name: 'Ed25519' }, false, ['verify']);
      } catch (e) {
        throw importFailed(e);
      }
      return subtle.verify({ name: 'Ed25519' }, key, toArrayBuffer(input.signature), data);
    }
    case 'dsa': {
      if (keyKind !== 'dsa') throw mismatch();
      const params = dsaParametersOf(info, input.inheritedDsaParameters);
      if (!params) throw new AlgorithmError('dsa-parameters-missing', 'the DSA key has no domain parameters and none were inherited');
      // FIPS 186-4 sizes at most (L = 3072, N = 256): larger ones would only make the bigint arithmetic a
      // denial-of-service lever for hostile certificate pools.
      if (bigintBitLength(params.p) > MAX_DSA_P_BITS || bigintBitLength(params.q) > MAX_DSA_Q_BITS) {
        throw new AlgorithmError('unsupported-algorithm', `DSA parameters over ${MAX_DSA_P_BITS}/${MAX_DSA_Q_BITS} bits are not supported`);
      }
      let y: bigint;
      let sig: { r: bigint; s: bigint };
      try {
        y = parseDsaPublicKey(info.publicKey);
      } catch (e) {
        throw importFailed(e);
      }
      try {
        sig = parseDsaSignature(input.signature);
      } catch {
        return false;
      }
      return dsaVerifyDigest(params, y, await digest(sigAlg.hash!, input.data), sig);
    }
    default:
      throw new AlgorithmError('unsupported-algorithm', `${sigAlg.name} signatures are not supported`);
  }
}
