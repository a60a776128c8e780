/**
 * CMS attributes used by S/MIME signers (RFC 5652 §11, RFC 8551 §2.5, RFC 5035):
 * encoding for signing and decoding for verification. Everything is written in
 * DER by hand so the signed-attribute bytes are exactly what gets signed.
 */
import { ArgumentError, FormatError } from '../errors.js';
import { toHex } from '../util/bytes.js';
import {
  TAG,
  derParse,
  derChildren,
  derContent,
  derBytes,
  derIsUniversal,
  derIsContext,
  decodeOid,
  tlv,
  seq,
  draft,
  type DerDraft,
  encodeOid,
  derTime,
} from '../asn1/index.js';

/** Attribute type OIDs smimekit writes or understands. */
export const ATTRIBUTE = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  countersignature: '1.2.840.113549.1.9.6',
  smimeCapabilities: '1.2.840.113549.1.9.15',
  smimeEncryptionKeyPreference: '1.2.840.113549.1.9.16.2.11',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  cmsAlgorithmProtection: '1.2.840.113549.1.9.52',
} as const;

/** Capability OIDs (RFC 8551 §2.7, RFC 5084, RFC 3560, RFC 5753). */
export const CAPABILITY_OID = {
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  aes192Gcm: '2.16.840.1.101.3.4.1.26',
  aes128Gcm: '2.16.840.1.101.3.4.1.6',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  rsaesOaep: '1.2.840.113549.1.1.7',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdhStdSha256Kdf: '1.3.132.1.11.1',
} as const;

/** One SMIMECapability: an algorithm OID and optional DER parameters. */
export interface CapabilityEntry {
  oid: string;
  /** DER of the parameters, when the capability has any. */
  parameters?: Uint8Array;
}

/**
 * What smimekit announces it can decrypt, strongest first (RFC 8551 §2.5.2:
 * the list is ordered by preference). Authenticated encryption first.
 */
export const DEFAULT_CAPABILITIES: readonly CapabilityEntry[] = [
  { oid: CAPABILITY_OID.aes256Gcm },
  { oid: CAPABILITY_OID.aes128Gcm },
  { oid: CAPABILITY_OID.aes256Cbc },
  { oid: CAPABILITY_OID.aes192Cbc },
  { oid: CAPABILITY_OID.aes128Cbc },
  { oid: CAPABILITY_OID.rsaesOaep },
  { oid: CAPABILITY_OID.rsaEncryption },
  { oid: CAPABILITY_OID.ecdhStdSha256Kdf },
];

/** A decoded attribute: type and the DER of each value. */
export interface CmsAttribute {
  oid: string;
  values: Uint8Array[];
}

/** DER SET OF: elements sorted by their encodings (X.690 §11.6). */
export function encodeSetOf(elements: Uint8Array[], tag = 0x31): Uint8Array {
  return tlv(tag, ...sortedForSetOf(elements));
}

/** The same SET OF as a draft, written by the enclosing `tlv`. */
function draftSetOf(elements: Uint8Array[]): DerDraft {
  return draft(0x31, ...sortedForSetOf(elements));
}

function sortedForSetOf(elements: Uint8Array[]): Uint8Array[] {
  return elements.length < 2 ? elements : [...elements].sort(compareBytes);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** One Attribute SEQUENCE { type, SET OF values }. */
export function encodeAttribute(oid: string, ...values: Uint8Array[]): Uint8Array {
  return seq(encodeOid(oid), draftSetOf(values));
}

/**
 * UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5652 §11.3), whole seconds. Digits are written from the
 * date's fields (signing writes one per message: no string round trip).
 *
 * @throws ArgumentError `bad-argument` for an invalid date or a year outside 0–9999
 */
export function encodeTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (!(y >= 0 && y <= 9999))
    throw new ArgumentError('bad-argument', `signing time: ${String(date)} cannot be encoded`);
  const utc = y >= 1950 && y < 2050;
  const out = new Uint8Array(utc ? 15 : 17);
  out[0] = utc ? 0x17 : 0x18;
  out[1] = out.length - 2;
  let at = 2;
  const two = (v: number): void => {
    out[at++] = 0x30 + Math.floor(v / 10);
    out[at++] = 0x30 + (v % 10);
  };
  if (!utc) two(Math.floor(y / 100));
  two(y % 100);
  two(date.getUTCMonth() + 1);
  two(date.getUTCDate());
  two(date.getUTCHours());
  two(date.getUTCMinutes());
  two(date.getUTCSeconds());
  out[at] = 0x5a; // Z
  return out;
}

/** SMIMECapabilities value: SEQUENCE OF SEQUENCE { OID, parameters OPTIONAL }, order kept. */
export function encodeCapabilities(capabilities: readonly CapabilityEntry[]): Uint8Array {
  return seq(...capabilities.map((c) => draft(0x30, encodeOid(c.oid), ...(c.parameters ? [c.parameters] : []))));
}

/** IssuerAndSerialNumber DER from the certificate's issuer Name DER and serial INTEGER content. */
export function encodeIssuerAndSerial(issuerDer: Uint8Array, serialContent: Uint8Array): Uint8Array {
  return seq(issuerDer, draft(0x02, serialContent));
}

/** SMIMEEncryptionKeyPreference with the issuerAndSerialNumber choice ([0] IMPLICIT). */
export function encodeEncryptionKeyPreference(issuerDer: Uint8Array, serialContent: Uint8Array): Uint8Array {
  return tlv(0xa0, issuerDer, draft(0x02, serialContent));
}

/**
 * SigningCertificateV2 (RFC 5035) with one ESSCertIDv2: SHA-256 (the DEFAULT,
 * so the hash algorithm is omitted) of the certificate and its IssuerSerial.
 */
export function encodeSigningCertificateV2(
  certHash: Uint8Array,
  issuerDer: Uint8Array,
  serialContent: Uint8Array,
): Uint8Array {
  const generalNames = draft(0x30, draft(0xa4, issuerDer)); // directoryName [4] EXPLICIT Name
  const issuerSerial = draft(0x30, generalNames, draft(0x02, serialContent));
  const essCertId = draft(0x30, draft(0x04, certHash), issuerSerial);
  return seq(draft(0x30, essCertId));
}

/** Parses a SET OF Attribute given its whole TLV (tag [0]/[1] implicit or SET). */
export function parseAttributes(bytes: Uint8Array): CmsAttribute[] {
  const root = derParse(bytes);
  return derChildren(root).map((attr) => {
    const [type, values] = derChildren(attr);
    if (!type || !values || !derIsUniversal(type, TAG.OID) || !derIsUniversal(values, TAG.SET)) {
      throw new FormatError('malformed-cms', 'malformed CMS attribute', { offset: attr.start });
    }
    return { oid: decodeOid(derContent(type), type.start), values: derChildren(values).map((v) => derBytes(v)) };
  });
}

/** The single value of an attribute, or undefined; several values or repeated attributes are errors (RFC 5652 §11). */
export function singleValue(attributes: readonly CmsAttribute[], oid: string): Uint8Array | undefined {
  const found = attributes.filter((a) => a.oid === oid);
  if (found.length === 0) return undefined;
  if (found.length > 1 || found[0]!.values.length !== 1) {
    throw new FormatError('malformed-cms', `attribute ${oid} must occur once with exactly one value`);
  }
  return found[0]!.values[0];
}

/** Decodes an OBJECT IDENTIFIER value. */
export function decodeOidValue(der: Uint8Array): string {
  const node = derParse(der);
  if (!derIsUniversal(node, TAG.OID))
    throw new FormatError('malformed-cms', 'expected an OBJECT IDENTIFIER attribute value');
  return decodeOid(derContent(node));
}

/** Decodes an OCTET STRING value. */
export function decodeOctetsValue(der: Uint8Array): Uint8Array {
  const node = derParse(der);
  if (!derIsUniversal(node, TAG.OCTET_STRING) || node.constructed)
    throw new FormatError('malformed-cms', 'expected an OCTET STRING attribute value');
  return derContent(node);
}

/** Decodes a Time value (UTCTime or GeneralizedTime). */
export function decodeTimeValue(der: Uint8Array): Date {
  const node = derParse(der);
  const content = derContent(node);
  // A time is at most a few dozen characters; a huge value must not reach the string conversion (RangeError).
  if (content.length > 64) throw new FormatError('malformed-cms', 'a time attribute value is too long');
  return derTime(node);
}

/** Decodes SMIMECapabilities. */
export function decodeCapabilities(der: Uint8Array): CapabilityEntry[] {
  const root = derParse(der);
  return derChildren(root).map((cap) => {
    const [oid, params] = derChildren(cap);
    if (!oid || !derIsUniversal(oid, TAG.OID)) throw new FormatError('malformed-cms', 'malformed SMIMECapability');
    const out: CapabilityEntry = { oid: decodeOid(derContent(oid)) };
    if (params) out.parameters = derBytes(params);
    return out;
  });
}

/** The certificate hashes of a SigningCertificate (v1: SHA-1) or SigningCertificateV2 value, first ESSCertID only. */
export function decodeSigningCertificate(
  der: Uint8Array,
  v2: boolean,
): { hashOid?: string; hash: Uint8Array; serialHex?: string } {
  const root = derParse(der);
  const [certs] = derChildren(root);
  if (!certs) throw new FormatError('malformed-cms', 'empty SigningCertificate');
  const [first] = derChildren(certs);
  if (!first) throw new FormatError('malformed-cms', 'SigningCertificate lists no certificate');
  const kids = derChildren(first);
  let i = 0;
  let hashOid: string | undefined = v2 ? '2.16.840.1.101.3.4.2.1' : '1.3.14.3.2.26';
  if (v2 && kids[0] && derIsUniversal(kids[0], TAG.SEQUENCE)) {
    const alg = derChildren(kids[0])[0];
    hashOid = alg ? decodeOid(derContent(alg)) : hashOid;
    i = 1;
  }
  const hashNode = kids[i];
  if (!hashNode || !derIsUniversal(hashNode, TAG.OCTET_STRING))
    throw new FormatError('malformed-cms', 'ESSCertID without certHash');
  const out: { hashOid?: string; hash: Uint8Array; serialHex?: string } = { hash: derContent(hashNode) };
  if (hashOid) out.hashOid = hashOid;
  const issuerSerial = kids[i + 1];
  if (issuerSerial && derIsUniversal(issuerSerial, TAG.SEQUENCE)) {
    const serial = derChildren(issuerSerial)[1];
    if (serial && derIsUniversal(serial, TAG.INTEGER)) out.serialHex = toHex(derContent(serial));
  }
  return out;
}

/** Decodes SMIMEEncryptionKeyPreference: issuerAndSerialNumber ([0]) or a key identifier ([1]/[2]). */
export function decodeEncryptionKeyPreference(der: Uint8Array): {
  issuerDer?: Uint8Array;
  serialHex?: string;
  keyId?: Uint8Array;
} {
  const root = derParse(der);
  if (derIsContext(root, 0)) {
    const [issuer, serial] = derChildren(root);
    if (issuer && serial) return { issuerDer: derBytes(issuer), serialHex: toHex(derContent(serial)) };
  }
  if (derIsContext(root, 2) && !root.constructed) return { keyId: derContent(root) };
  if (derIsContext(root, 1) && root.constructed) {
    const [id] = derChildren(root);
    if (id) return { keyId: derContent(id) };
  }
  return {};
}
