/**
 * What a public key is, without checking any signature: type and size
 * (for algorithm policy and reports), the named curve of an EC key (also
 * when given as explicit parameters) and DSA domain parameters, own or
 * inherited from the issuer.
 */
import { FormatError } from '../errors.js';
import { NAMED_CURVES, OID, publicKeyAlgorithm } from './algorithms.js';
import { parseDsaParameters } from './dsa.js';
import { parseSubjectPublicKeyInfo, type PublicKeyInfo } from '../x509/algorithm.js';
import {
  TAG,
  derParse,
  derChildren,
  derContent,
  derIsUniversal,
  derExpect,
  decodeOid,
  tlv,
  encodeOid,
} from '../asn1/index.js';

/** Size facts about a public key, for algorithm policy and reports. */
export interface PublicKeySummary {
  kind: string;
  /** Modulus (RSA), prime p (DSA) or field size (EC) in bits; undefined when unknown. */
  bits?: number;
  /** WebCrypto curve name for EC keys. */
  curve?: string;
}

export function bitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

export function rsaModulus(publicKey: Uint8Array): { n: Uint8Array; e: Uint8Array } {
  const root = derExpect(derParse(publicKey), TAG.SEQUENCE, 'RSAPublicKey');
  const kids = derChildren(root);
  if (kids.length !== 2) throw new FormatError('malformed-der', 'RSAPublicKey: bad structure');
  return {
    n: derContent(derExpect(kids[0], TAG.INTEGER, 'modulus')),
    e: derContent(derExpect(kids[1], TAG.INTEGER, 'publicExponent')),
  };
}

/**
 * Key type and size of a SubjectPublicKeyInfo. `inheritedDsaParameters` is the
 * issuer's Dss-Parms for a DSA key without its own (RFC 3279 §2.3.2).
 */
export function summarizePublicKey(
  spki: Uint8Array | PublicKeyInfo,
  inheritedDsaParameters?: Uint8Array,
): PublicKeySummary {
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
  'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff/ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551':
    OID.secp256r1,
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
export function curveOidOf(info: PublicKeyInfo): string | undefined {
  const p = info.algorithm.parameters;
  if (!p) return undefined;
  const node = derParse(p);
  if (derIsUniversal(node, TAG.OID)) return decodeOid(derContent(node));
  if (!derIsUniversal(node, TAG.SEQUENCE)) return undefined;
  // SpecifiedECDomain { version, fieldID { prime-field, p }, curve, base, order, cofactor }:
  // recognised only when prime and order are those of a named curve.
  const [, fieldId, , , order] = derChildren(node);
  if (!fieldId || !order || !derIsUniversal(order, TAG.INTEGER)) return undefined;
  const [fieldType, prime] = derChildren(fieldId);
  if (
    !fieldType ||
    !prime ||
    decodeOid(derContent(fieldType)) !== '1.2.840.10045.1.1' ||
    !derIsUniversal(prime, TAG.INTEGER)
  )
    return undefined;
  const named = EXPLICIT_CURVES[`${stripZeros(derContent(prime))}/${stripZeros(derContent(order))}`];
  if (named === OID.secp521r1 && derContent(prime).length < 66) return undefined;
  return named;
}

export function curveOf(info: PublicKeyInfo) {
  const oid = curveOidOf(info);
  return oid ? NAMED_CURVES[oid] : undefined;
}

/** The same EC key as a namedCurve SPKI (WebCrypto imports only those). */
export function asNamedCurveSpki(info: PublicKeyInfo, curveOid: string): Uint8Array {
  const alg = tlv(0x30, new Uint8Array([...encodeOid(OID.ecPublicKey), ...encodeOid(curveOid)]));
  const bits = tlv(0x03, new Uint8Array([0, ...info.publicKey]));
  return tlv(0x30, new Uint8Array([...alg, ...bits]));
}

/** True when a DSA SubjectPublicKeyInfo carries no domain parameters (they are inherited). */
export function hasDsaParameters(spki: Uint8Array | PublicKeyInfo): boolean {
  const info = spki instanceof Uint8Array ? parseSubjectPublicKeyInfo(spki) : spki;
  const p = info.algorithm.parameters;
  if (!p) return false;
  return !derIsUniversal(derParse(p), TAG.NULL);
}

export function dsaParametersOf(info: PublicKeyInfo, inherited?: Uint8Array) {
  if (hasDsaParameters(info)) return parseDsaParameters(info.algorithm.parameters!);
  return inherited ? parseDsaParameters(inherited) : undefined;
}
