/** AlgorithmIdentifier and SubjectPublicKeyInfo decoding (structure only; no crypto). */
import { FormatError } from '../errors.js';
import { toHex } from '../util/bytes.js';
import { TAG, derParse, derChildren, derContent, derBytes, derExpect, decodeOid } from '../asn1/index.js';

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

/** Reads an AlgorithmIdentifier at the root of `der`. */
export function parseAlgorithmIdentifier(der: Uint8Array): AlgorithmIdentifier {
  const root = derExpect(derParse(der), TAG.SEQUENCE, 'AlgorithmIdentifier');
  const kids = derChildren(root);
  const oidNode = kids[0];
  if (!oidNode || kids.length > 2)
    throw new FormatError('malformed-der', 'AlgorithmIdentifier: bad structure', { offset: root.start });
  const oid = decodeOid(derContent(derExpect(oidNode, TAG.OID, 'AlgorithmIdentifier')), oidNode.start);
  return kids[1] ? { oid, parameters: derBytes(kids[1]) } : { oid };
}

/** Decodes a DER SubjectPublicKeyInfo. */
export function parseSubjectPublicKeyInfo(der: Uint8Array): PublicKeyInfo {
  const root = derExpect(derParse(der), TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const kids = derChildren(root);
  if (kids.length !== 2)
    throw new FormatError('malformed-der', 'SubjectPublicKeyInfo: bad structure', { offset: root.start });
  const algorithm = parseAlgorithmIdentifier(derBytes(kids[0]!));
  const bits = derContent(derExpect(kids[1], TAG.BIT_STRING, 'subjectPublicKey'));
  if (bits.length < 1 || bits[0] !== 0)
    throw new FormatError('malformed-der', 'subjectPublicKey must be a whole number of bytes');
  return { algorithm, publicKey: bits.subarray(1), der };
}

/** RFC 5280 §4.1.1.2: the signed and the outer AlgorithmIdentifier must be the same, parameters included. */
export function sameParameters(a: AlgorithmIdentifier, b: AlgorithmIdentifier): boolean {
  if (!a.parameters || !b.parameters) return !a.parameters && !b.parameters;
  return toHex(a.parameters) === toHex(b.parameters);
}
