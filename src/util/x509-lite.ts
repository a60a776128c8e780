/**
 * Just enough X.509 / CRL parsing for listing and indexing certificates
 * without crypto: names, serials, validity, key identifiers. It reads offsets
 * into the original DER, so hashes are taken over the exact stored bytes.
 * Full validation lives in the trust layer.
 */
import { FormatError } from '../errors.js';
import { latin1, toHex } from './bytes.js';
import {
  TAG,
  childrenOf,
  contentOf,
  decodeOid,
  decodeTime,
  encodedOf,
  expectUniversal,
  isContext,
  isUniversal,
  readNode,
  readRoot,
  type DerNode,
} from './der.js';
import { sha1 } from './hash/sha1.js';

/** One attribute of a distinguished name. */
export interface NameAttribute {
  oid: string;
  /** Short name (CN, O, ...) when known. */
  name?: string;
  value: string;
}

export interface ExtensionInfo {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING content (the DER of the extension value). */
  value: Uint8Array;
}

export interface CertificateInfo {
  version: number;
  /** Serial number as lowercase hex of the INTEGER content bytes. */
  serialNumber: string;
  signatureAlgorithm: string;
  issuer: string;
  subject: string;
  /** RDNs (outermost first) of the subject, for lookups. */
  subjectAttributes: NameAttribute[][];
  /** DER of the issuer Name. */
  issuerDer: Uint8Array;
  /** DER of the subject Name. */
  subjectDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** DER of the whole SubjectPublicKeyInfo. */
  spkiDer: Uint8Array;
  /** The subjectPublicKey BIT STRING value without the unused-bits octet. */
  publicKey: Uint8Array;
  publicKeyAlgorithm: string;
  extensions: ExtensionInfo[];
  /** SubjectKeyIdentifier extension value, when present. */
  subjectKeyIdentifier?: Uint8Array;
  /** E-mail addresses from subjectAltName rfc822Name and the subject's emailAddress. */
  emails: string[];
}

export interface CrlInfo {
  issuer: string;
  issuerDer: Uint8Array;
  signatureAlgorithm: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serial numbers (lowercase hex). */
  revokedSerials: string[];
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

const OID_EMAIL = '1.2.840.113549.1.9.1';
const OID_SAN = '2.5.29.17';
const OID_SKI = '2.5.29.14';

function fail(message: string, offset?: number): FormatError {
  return new FormatError('malformed-certificate', message, offset === undefined ? undefined : { offset });
}

function decodeString(bytes: Uint8Array, node: DerNode): string | undefined {
  const c = contentOf(bytes, node);
  if (node.cls !== 0) return undefined;
  switch (node.tag) {
    case TAG.UTF8String:
      return new TextDecoder('utf-8').decode(c);
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
      for (let i = 0; i + 3 < c.length; i += 4) s += String.fromCodePoint(((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0);
      return s;
    }
    default:
      return undefined;
  }
}

/** Parses a Name (SEQUENCE OF RDN) into attributes, outermost RDN first. */
export function parseName(bytes: Uint8Array, node: DerNode): NameAttribute[][] {
  expectUniversal(node, TAG.SEQUENCE, 'Name');
  return childrenOf(bytes, node).map((rdn) => {
    expectUniversal(rdn, TAG.SET, 'RelativeDistinguishedName');
    return childrenOf(bytes, rdn).map((atv) => {
      const [type, value] = childrenOf(bytes, expectUniversal(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      if (!type || !value) throw fail('AttributeTypeAndValue is incomplete', atv.start);
      const oid = decodeOid(contentOf(bytes, expectUniversal(type, TAG.OID, 'attribute type')), type.start);
      const text = decodeString(bytes, value) ?? `#${toHex(encodedOf(bytes, value))}`;
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
  return [...rdns]
    .reverse()
    .map((rdn) => rdn.map((a) => `${a.name ?? a.oid}=${escapeValue(a.value)}`).join('+'))
    .join(',');
}

/** Parses the fields of an X.509 certificate that do not need crypto. Throws `malformed-certificate`. */
export function parseCertificateInfo(der: Uint8Array): CertificateInfo {
  try {
    return parseCertificateInner(der);
  } catch (e) {
    if (e instanceof FormatError && e.code === 'malformed-certificate') throw e;
    throw new FormatError('malformed-certificate', `not a valid X.509 certificate: ${(e as Error).message}`, { cause: e });
  }
}

function parseCertificateInner(der: Uint8Array): CertificateInfo {
  const root = expectUniversal(readRoot(der), TAG.SEQUENCE, 'Certificate');
  const [tbs, sigAlg] = childrenOf(der, root);
  if (!tbs || !sigAlg) throw fail('Certificate is incomplete');
  const fields = childrenOf(der, expectUniversal(tbs, TAG.SEQUENCE, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (fields[0] && isContext(fields[0], 0)) {
    const [v] = childrenOf(der, fields[0]);
    const c = v ? contentOf(der, expectUniversal(v, TAG.INTEGER, 'version')) : new Uint8Array();
    version = (c[c.length - 1] ?? 0) + 1;
    i++;
  }
  const [serial, sig, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!serial || !sig || !issuer || !validity || !subject || !spki) throw fail('TBSCertificate is incomplete', tbs.start);
  const [nb, na] = childrenOf(der, expectUniversal(validity, TAG.SEQUENCE, 'Validity'));
  if (!nb || !na) throw fail('Validity is incomplete', validity.start);
  const [spkiAlg, spkiKey] = childrenOf(der, expectUniversal(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  if (!spkiAlg || !spkiKey) throw fail('SubjectPublicKeyInfo is incomplete', spki.start);
  const extensions: ExtensionInfo[] = [];
  for (const extra of fields.slice(i + 6)) {
    if (!isContext(extra, 3)) continue;
    const [seq] = childrenOf(der, extra);
    if (!seq) continue;
    for (const ext of childrenOf(der, expectUniversal(seq, TAG.SEQUENCE, 'Extensions'))) {
      const parts = childrenOf(der, expectUniversal(ext, TAG.SEQUENCE, 'Extension'));
      const oidNode = parts[0];
      const valueNode = parts[parts.length - 1];
      if (!oidNode || !valueNode || parts.length < 2) throw fail('Extension is incomplete', ext.start);
      const critNode = parts.length === 3 ? parts[1]! : undefined;
      extensions.push({
        oid: decodeOid(contentOf(der, expectUniversal(oidNode, TAG.OID, 'extnID')), oidNode.start),
        critical: critNode ? contentOf(der, expectUniversal(critNode, TAG.BOOLEAN, 'critical'))[0] !== 0 : false,
        value: contentOf(der, expectUniversal(valueNode, TAG.OCTET_STRING, 'extnValue')),
      });
    }
  }
  const subjectAttributes = parseName(der, subject);
  const keyBits = contentOf(der, expectUniversal(spkiKey, TAG.BIT_STRING, 'subjectPublicKey'));
  const info: CertificateInfo = {
    version,
    serialNumber: toHex(contentOf(der, expectUniversal(serial, TAG.INTEGER, 'serialNumber'))),
    signatureAlgorithm: algorithmOid(der, sigAlg),
    issuer: formatName(parseName(der, issuer)),
    subject: formatName(subjectAttributes),
    subjectAttributes,
    issuerDer: encodedOf(der, issuer),
    subjectDer: encodedOf(der, subject),
    notBefore: decodeTime(nb, contentOf(der, nb)),
    notAfter: decodeTime(na, contentOf(der, na)),
    spkiDer: encodedOf(der, spki),
    publicKey: keyBits.subarray(1),
    publicKeyAlgorithm: algorithmOid(der, spkiAlg),
    extensions,
    emails: [],
  };
  const ski = extensions.find((e) => e.oid === OID_SKI);
  if (ski) {
    const node = readRoot(ski.value);
    info.subjectKeyIdentifier = contentOf(ski.value, expectUniversal(node, TAG.OCTET_STRING, 'SubjectKeyIdentifier'));
  }
  info.emails = collectEmails(info);
  return info;
}

function algorithmOid(bytes: Uint8Array, node: DerNode): string {
  const [oid] = childrenOf(bytes, expectUniversal(node, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  if (!oid) throw fail('AlgorithmIdentifier is empty', node.start);
  return decodeOid(contentOf(bytes, expectUniversal(oid, TAG.OID, 'algorithm')), oid.start);
}

function collectEmails(info: CertificateInfo): string[] {
  const out: string[] = [];
  const san = info.extensions.find((e) => e.oid === OID_SAN);
  if (san) {
    const seq = readRoot(san.value);
    for (const gn of childrenOf(san.value, seq)) {
      if (isContext(gn, 1) && !gn.constructed) out.push(latin1(contentOf(san.value, gn)));
    }
  }
  for (const rdn of info.subjectAttributes) for (const a of rdn) if (a.oid === OID_EMAIL) out.push(a.value);
  return [...new Set(out)];
}

/** Key identifier the way Windows computes CERT_KEY_IDENTIFIER_PROP_ID: the SKI, else SHA-1 of the whole SPKI DER. */
export function windowsKeyIdentifier(info: CertificateInfo): Uint8Array {
  return info.subjectKeyIdentifier ?? sha1(info.spkiDer);
}

/** Parses a CRL's unsigned fields. Throws `malformed-crl`. */
export function parseCrlInfo(der: Uint8Array): CrlInfo {
  try {
    const root = expectUniversal(readRoot(der), TAG.SEQUENCE, 'CertificateList');
    const [tbs, sigAlg] = childrenOf(der, root);
    if (!tbs || !sigAlg) throw new Error('CertificateList is incomplete');
    const fields = childrenOf(der, expectUniversal(tbs, TAG.SEQUENCE, 'TBSCertList'));
    let i = fields[0] && isUniversal(fields[0], TAG.INTEGER) ? 1 : 0;
    const sig = fields[i++];
    const issuer = fields[i++];
    const thisUpdate = fields[i++];
    if (!sig || !issuer || !thisUpdate) throw new Error('TBSCertList is incomplete');
    let nextUpdate: Date | undefined;
    const maybeNext = fields[i];
    if (maybeNext && (isUniversal(maybeNext, TAG.UTCTime) || isUniversal(maybeNext, TAG.GeneralizedTime))) {
      nextUpdate = decodeTime(maybeNext, contentOf(der, maybeNext));
      i++;
    }
    const revokedSerials: string[] = [];
    const revoked = fields[i];
    if (revoked && isUniversal(revoked, TAG.SEQUENCE)) {
      for (const entry of childrenOf(der, revoked)) {
        const [serial] = childrenOf(der, entry);
        if (serial) revokedSerials.push(toHex(contentOf(der, expectUniversal(serial, TAG.INTEGER, 'userCertificate'))));
      }
    }
    return {
      issuer: formatName(parseName(der, issuer)),
      issuerDer: encodedOf(der, issuer),
      signatureAlgorithm: algorithmOid(der, sigAlg),
      thisUpdate: decodeTime(thisUpdate, contentOf(der, thisUpdate)),
      ...(nextUpdate ? { nextUpdate } : {}),
      revokedSerials,
    };
  } catch (e) {
    throw new FormatError('malformed-crl', `not a valid CRL: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Ways the encoding departs from DER while still being readable BER (what
 * strict parsers such as pyca/cryptography refuse). Empty when strict DER.
 */
export function derViolations(der: Uint8Array): string[] {
  const issues: string[] = [];
  const walk = (node: DerNode, parentIsExtension: boolean, index: number) => {
    if (node.indefinite) issues.push(`indefinite length at offset ${node.start}`);
    if (node.nonMinimalLength) issues.push(`non-minimal length at offset ${node.start}`);
    if (node.cls === 0 && node.tag === TAG.BOOLEAN) {
      const c = contentOf(der, node);
      if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) issues.push(`BOOLEAN not 00/FF at offset ${node.start}`);
      else if (parentIsExtension && index === 1 && c[0] === 0) issues.push(`Extension.critical FALSE encoded explicitly (a DEFAULT value) at offset ${node.start}`);
    }
    if (node.cls === 0 && node.tag === TAG.INTEGER) {
      const c = contentOf(der, node);
      if (c.length === 0) issues.push(`empty INTEGER at offset ${node.start}`);
      else if (c.length > 1 && ((c[0] === 0 && (c[1]! & 0x80) === 0) || (c[0] === 0xff && (c[1]! & 0x80) !== 0))) {
        issues.push(`non-minimal INTEGER at offset ${node.start}`);
      }
    }
    if (!node.constructed) return;
    const kids = childrenOf(der, node);
    const isExtension =
      node.cls === 0 && node.tag === TAG.SEQUENCE && kids.length === 3 && kids[0]!.cls === 0 && kids[0]!.tag === TAG.OID && kids[2]!.tag === TAG.OCTET_STRING;
    kids.forEach((k, i) => walk(k, isExtension, i));
  };
  walk(readNode(der, 0), false, 0);
  return issues;
}
