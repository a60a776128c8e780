/**
 * Distinguished names and GeneralNames for path validation. Names are compared
 * per RFC 5280 §7.1 (simplified RFC 4518): attribute values of the directory
 * string types are compared after Unicode normalisation, case folding and
 * whitespace collapsing, regardless of the ASN.1 string type, so a
 * PrintableString and a UTF8String with the same text match.
 */
import { FormatError } from '../errors.js';
import { latin1, toHex } from '../util/bytes.js';
import { TAG, childrenOf, contentOf, encodedOf, expectUniversal, readRoot, type DerNode } from '../util/der.js';
import { formatName, parseName, type NameAttribute } from '../util/x509-lite.js';

/** A parsed distinguished name. */
export interface DistinguishedName {
  /** The DER of the Name, as stored in the certificate. */
  der: Uint8Array;
  /** Attributes, outermost RDN first. */
  rdns: NameAttribute[][];
  /** One comparison key per RDN (RFC 5280 §7.1 matching). */
  rdnKeys: string[];
  /** Comparison key of the whole name. */
  key: string;
  /** RFC 4514 text, most specific RDN first. */
  text: string;
}

export const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

function normalizeValue(value: string): string {
  // x509-lite renders non-string values as #hex; keep those byte-exact.
  if (/^#[0-9a-f]*$/.test(value)) return value;
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function rdnKey(rdn: NameAttribute[]): string {
  return rdn
    .map((a) => `${a.oid}=${JSON.stringify(normalizeValue(a.value))}`)
    .sort()
    .join('+');
}

/** Parses a Name node inside `bytes`. */
export function parseDistinguishedName(bytes: Uint8Array, node: DerNode): DistinguishedName {
  const rdns = parseName(bytes, node);
  const rdnKeys = rdns.map(rdnKey);
  return { der: encodedOf(bytes, node), rdns, rdnKeys, key: rdnKeys.join(','), text: formatName(rdns) || '(empty name)' };
}

/** Parses a DER Name. */
export function parseDistinguishedNameDer(der: Uint8Array): DistinguishedName {
  return parseDistinguishedName(der, readRoot(der));
}

/** RFC 5280 §7.1 name equality. */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  return a.key === b.key;
}

/** True when `base` is an RDN-wise prefix of `name` (directoryName subtree membership). */
export function nameWithin(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.rdnKeys.length > name.rdnKeys.length) return false;
  return base.rdnKeys.every((k, i) => name.rdnKeys[i] === k);
}

/** The e-mail addresses in a name's emailAddress attributes. */
export function emailAddressesInName(name: DistinguishedName): string[] {
  return name.rdns.flat().filter((a) => a.oid === OID_EMAIL_ADDRESS && !a.value.startsWith('#')).map((a) => a.value);
}

/** `name` with one more RDN appended (nameRelativeToCRLIssuer expansion). */
export function appendRdn(name: DistinguishedName, rdn: NameAttribute[]): DistinguishedName {
  const rdns = [...name.rdns, rdn];
  const rdnKeys = rdns.map(rdnKey);
  return { der: name.der, rdns, rdnKeys, key: rdnKeys.join(','), text: formatName(rdns) };
}

/** Parses a RelativeDistinguishedName (SET OF AttributeTypeAndValue) whose tag may be implicit. */
export function parseRdn(bytes: Uint8Array, node: DerNode): NameAttribute[] {
  // parseName wants a SEQUENCE OF SET; wrap the single SET's children.
  const wrapped = new Uint8Array(encodedOf(bytes, node));
  wrapped[0] = 0x31;
  const seq = new Uint8Array(wrapped.length + 6);
  const len = wrapped.length;
  let header: number[];
  if (len < 0x80) header = [0x30, len];
  else if (len < 0x100) header = [0x30, 0x81, len];
  else header = [0x30, 0x82, len >> 8, len & 0xff];
  seq.set(header);
  seq.set(wrapped, header.length);
  const der = seq.subarray(0, header.length + len);
  return parseName(der, readRoot(der))[0] ?? [];
}

/**
 * ASCII-only lower case, for domain names and other IA5 text (RFC 5280 §7.2, RFC 8550 §3). Unicode
 * case mapping would let a non-ASCII character match an ASCII one (U+212A KELVIN SIGN lower-cases to "k").
 */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** A GeneralName (RFC 5280 §4.2.1.6). */
export type GeneralName =
  | { type: 'rfc822'; value: string }
  | { type: 'dns'; value: string }
  | { type: 'uri'; value: string }
  | { type: 'directory'; name: DistinguishedName }
  | { type: 'ip'; bytes: Uint8Array }
  | { type: 'other'; tag: number; der: Uint8Array };

function ia5(bytes: Uint8Array, node: DerNode): string {
  return latin1(contentOf(bytes, node));
}

/** Parses one GeneralName node. */
export function parseGeneralName(bytes: Uint8Array, node: DerNode): GeneralName {
  if (node.cls !== 2) throw new FormatError('malformed-certificate', 'GeneralName must be context-tagged', { offset: node.start });
  switch (node.tag) {
    case 1:
      return { type: 'rfc822', value: ia5(bytes, node) };
    case 2:
      return { type: 'dns', value: ia5(bytes, node) };
    case 6:
      return { type: 'uri', value: ia5(bytes, node) };
    case 4: {
      const inner = childrenOf(bytes, node);
      if (inner.length !== 1) throw new FormatError('malformed-certificate', 'directoryName must hold one Name', { offset: node.start });
      return { type: 'directory', name: parseDistinguishedName(bytes, expectUniversal(inner[0]!, TAG.SEQUENCE, 'directoryName')) };
    }
    case 7:
      return { type: 'ip', bytes: contentOf(bytes, node) };
    default:
      return { type: 'other', tag: node.tag, der: encodedOf(bytes, node) };
  }
}

/** Parses GeneralNames (a SEQUENCE, or an implicitly tagged one). */
export function parseGeneralNames(bytes: Uint8Array, node: DerNode): GeneralName[] {
  return childrenOf(bytes, node).map((n) => parseGeneralName(bytes, n));
}

/** Short text of a GeneralName for messages. */
export function generalNameText(name: GeneralName): string {
  switch (name.type) {
    case 'rfc822':
      return `email:${name.value}`;
    case 'dns':
      return `DNS:${name.value}`;
    case 'uri':
      return `URI:${name.value}`;
    case 'directory':
      return `DirName:${name.name.text}`;
    case 'ip':
      return `IP:${toHex(name.bytes)}`;
    default:
      return `[${name.tag}]`;
  }
}

/** GeneralName equality (used for distribution point names). */
export function generalNamesEqual(a: GeneralName, b: GeneralName): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'directory':
      return namesEqual(a.name, (b as typeof a).name);
    case 'rfc822':
    case 'dns':
      return a.value.toLowerCase() === (b as typeof a).value.toLowerCase();
    case 'uri':
      return a.value === (b as typeof a).value;
    case 'ip':
      return toHex(a.bytes) === toHex((b as typeof a).bytes);
    default:
      return a.tag === (b as typeof a).tag && toHex(a.der) === toHex((b as typeof a).der);
  }
}
