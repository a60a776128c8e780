/**
 * X.501 names and GeneralNames: decoding, RFC 4514 text, and comparison per
 * RFC 5280 §7.1 (simplified RFC 4518): attribute values of the directory
 * string types are compared after Unicode normalisation, case folding and
 * whitespace collapsing, regardless of the ASN.1 string type, so a
 * PrintableString and a UTF8String with the same text match.
 */
import { FormatError } from '../errors.js';
import { latin1, NON_ASCII, toHex } from '../util/bytes.js';
import { type DerNode, TAG, derParse, derChildren, derContent, derBytes, derExpect, decodeOid } from '../asn1/index.js';

function fail(message: string, offset?: number): FormatError {
  return new FormatError('malformed-certificate', message, offset === undefined ? undefined : { offset });
}

/** One attribute of a distinguished name. */
export interface NameAttribute {
  oid: string;
  /** Short name (CN, O, ...) when known. */
  name?: string;
  value: string;
}

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '2.5.4.5': 'serialNumber',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.12': 'title',
  '2.5.4.97': 'organizationIdentifier',
};

/** One decoder for every name (constructing one per attribute cost more than the decoding). */
const UTF8 = new TextDecoder('utf-8');

function decodeString(node: DerNode): string | undefined {
  const c = derContent(node);
  if (node.cls !== 0) return undefined;
  switch (node.tag) {
    case TAG.UTF8String: {
      // TextDecoder costs microseconds a call, once most of decoding a certificate; names are short and mostly ASCII.
      const text = latin1(c);
      return NON_ASCII.test(text) ? UTF8.decode(c) : text;
    }
    case TAG.PrintableString:
    case TAG.IA5String:
    case TAG.VisibleString:
    case 18 /* NumericString */:
    case TAG.T61String: // T.61 is treated as Latin-1, as most software does
      return latin1(c);
    case TAG.BMPString: {
      let s = '';
      for (let i = 0; i + 1 < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    case TAG.UniversalString: {
      let s = '';
      for (let i = 0; i + 3 < c.length; i += 4) {
        const point = ((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0;
        // Past U+10FFFF, or a surrogate: not a character (fromCodePoint would throw); shown as U+FFFD.
        s += String.fromCodePoint(point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff) ? 0xfffd : point);
      }
      return s;
    }
    default:
      return undefined;
  }
}

/** Parses a Name (SEQUENCE OF RDN) into attributes, outermost RDN first. */
export function parseName(node: DerNode): NameAttribute[][] {
  derExpect(node, TAG.SEQUENCE, 'Name');
  return derChildren(node).map((rdn) => {
    derExpect(rdn, TAG.SET, 'RelativeDistinguishedName');
    return derChildren(rdn).map((atv) => {
      const [type, value] = derChildren(derExpect(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      if (!type || !value) throw fail('AttributeTypeAndValue is incomplete', atv.start);
      const oid = decodeOid(derContent(derExpect(type, TAG.OID, 'attribute type')), type.start);
      const text = decodeString(value) ?? `#${toHex(derBytes(value))}`;
      const name = NAMES[oid];
      return name ? { oid, name, value: text } : { oid, value: text };
    });
  });
}

function escapeValue(value: string): string {
  if (value.startsWith('#') && /^#[0-9a-f]+$/.test(value)) return value;
  let s = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/** RFC 4514 string: most specific RDN first, `+` inside multi-valued RDNs. */
export function formatName(rdns: NameAttribute[][]): string {
  let text = '';
  for (let i = rdns.length - 1; i >= 0; i--) {
    const rdn = rdns[i]!;
    if (text !== '') text += ',';
    for (let j = 0; j < rdn.length; j++) {
      const a = rdn[j]!;
      text += `${j > 0 ? '+' : ''}${a.name ?? a.oid}=${escapeValue(a.value)}`;
    }
  }
  return text;
}

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
  // NFKC leaves printable ASCII (most names) as it is: skip the Unicode pass for it.
  const ascii = PRINTABLE_ASCII.test(value);
  return (ascii ? value : value.normalize('NFKC')).trim().replace(/\s+/g, ' ').toLowerCase();
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function attributeKey(a: NameAttribute): string {
  return `${a.oid}=${JSON.stringify(normalizeValue(a.value))}`;
}

function rdnKey(rdn: NameAttribute[]): string {
  // Almost every RDN holds one attribute: no array to sort for it.
  return rdn.length === 1 ? attributeKey(rdn[0]!) : rdn.map(attributeKey).sort().join('+');
}

/** Parses a Name node. */
export function parseDistinguishedName(node: DerNode): DistinguishedName {
  const rdns = parseName(node);
  const rdnKeys = rdns.map(rdnKey);
  return { der: derBytes(node), rdns, rdnKeys, key: rdnKeys.join(','), text: formatName(rdns) || '(empty name)' };
}

/** Parses a DER Name. */
export function parseDistinguishedNameDer(der: Uint8Array): DistinguishedName {
  return parseDistinguishedName(derParse(der));
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
  return name.rdns
    .flat()
    .filter((a) => a.oid === OID_EMAIL_ADDRESS && !a.value.startsWith('#'))
    .map((a) => a.value);
}

/** `name` with one more RDN appended (nameRelativeToCRLIssuer expansion). */
export function appendRdn(name: DistinguishedName, rdn: NameAttribute[]): DistinguishedName {
  const rdns = [...name.rdns, rdn];
  const rdnKeys = rdns.map(rdnKey);
  return { der: name.der, rdns, rdnKeys, key: rdnKeys.join(','), text: formatName(rdns) };
}

/** Parses a RelativeDistinguishedName (SET OF AttributeTypeAndValue) whose tag may be implicit. */
export function parseRdn(node: DerNode): NameAttribute[] {
  // parseName wants a SEQUENCE OF SET; wrap the single SET's children.
  const wrapped = new Uint8Array(derBytes(node));
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
  return parseName(derParse(der))[0] ?? [];
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

function ia5(node: DerNode): string {
  return latin1(derContent(node));
}

/** Parses one GeneralName node. */
export function parseGeneralName(node: DerNode): GeneralName {
  if (node.cls !== 2)
    throw new FormatError('malformed-certificate', 'GeneralName must be context-tagged', { offset: node.start });
  switch (node.tag) {
    case 1:
      return { type: 'rfc822', value: ia5(node) };
    case 2:
      return { type: 'dns', value: ia5(node) };
    case 6:
      return { type: 'uri', value: ia5(node) };
    case 4: {
      const inner = derChildren(node);
      if (inner.length !== 1)
        throw new FormatError('malformed-certificate', 'directoryName must hold one Name', { offset: node.start });
      return { type: 'directory', name: parseDistinguishedName(derExpect(inner[0], TAG.SEQUENCE, 'directoryName')) };
    }
    case 7:
      return { type: 'ip', bytes: derContent(node) };
    default:
      return { type: 'other', tag: node.tag, der: derBytes(node) };
  }
}

/** Parses GeneralNames (a SEQUENCE, or an implicitly tagged one). */
export function parseGeneralNames(node: DerNode): GeneralName[] {
  return derChildren(node).map((n) => parseGeneralName(n));
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
