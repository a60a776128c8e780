/**
 * Full X.509 certificate decoding for path validation: every extension RFC
 * 5280 path processing and RFC 8550 need, decoded from the exact DER (the
 * signed TBSCertificate bytes are kept as stored).
 */
import { FormatError, SmimeError } from '../errors.js';
import { toBytes, toHex, type BytesLike } from '../util/bytes.js';
import {
  TAG,
  childrenOf,
  contentOf,
  decodeInteger,
  decodeOid,
  decodeTime,
  encodedOf,
  expectUniversal,
  isContext,
  isUniversal,
  readRoot,
  type DerNode,
} from '../util/der.js';
import { sha256 } from '../util/hash/sha256.js';
import { parseAlgorithmIdentifier, parseSubjectPublicKeyInfo, type AlgorithmIdentifier } from '../crypto/verify-signature.js';
import { parseDistinguishedName, parseGeneralName, parseGeneralNames, parseRdn, type DistinguishedName, type GeneralName } from './name.js';
import type { NameAttribute } from '../util/x509-lite.js';

export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  holdInstructionCode: '2.5.29.23',
  invalidityDate: '2.5.29.24',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  nameConstraints: '2.5.29.30',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCRL: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  subjectDirectoryAttributes: '2.5.29.9',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
} as const;

/** Extensions whose meaning this layer implements; any other critical extension makes a certificate unusable. */
export const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  EXT.subjectKeyIdentifier,
  EXT.keyUsage,
  EXT.subjectAltName,
  EXT.issuerAltName,
  EXT.basicConstraints,
  EXT.nameConstraints,
  EXT.cRLDistributionPoints,
  EXT.certificatePolicies,
  EXT.policyMappings,
  EXT.authorityKeyIdentifier,
  EXT.policyConstraints,
  EXT.extKeyUsage,
  EXT.freshestCRL,
  EXT.inhibitAnyPolicy,
  EXT.authorityInfoAccess,
  EXT.subjectInfoAccess,
]);

export const ANY_POLICY = '2.5.29.32.0';
export const EKU_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
export const EKU_ANY = '2.5.29.37.0';

/** keyUsage bits (RFC 5280 §4.2.1.3), as a bit mask `1 << bit`. */
export const KeyUsage = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

export interface Extension {
  oid: string;
  critical: boolean;
  /** extnValue content (the DER of the extension's value). */
  value: Uint8Array;
}

export interface GeneralSubtree {
  base: GeneralName;
}

export interface NameConstraints {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

export interface PolicyInformation {
  oid: string;
  /** DER of the policyQualifiers SEQUENCE, when present. */
  qualifiers?: Uint8Array;
}

/** DistributionPointName: either full GeneralNames or an RDN relative to the CRL issuer. */
export type DistributionPointName = { fullName: GeneralName[] } | { relativeName: NameAttribute[] };

export interface DistributionPoint {
  name?: DistributionPointName;
  /** ReasonFlags bit mask (bit n of the BIT STRING = 1 << n); undefined = all reasons. */
  reasons?: number;
  cRLIssuer?: GeneralName[];
}

/** A decoded certificate. */
export interface Certificate {
  der: Uint8Array;
  /** Lowercase hex SHA-256 of the DER; identity of the certificate. */
  fingerprint: string;
  /** The signed TBSCertificate bytes. */
  tbs: Uint8Array;
  /** Outer signatureAlgorithm. */
  signatureAlgorithm: AlgorithmIdentifier;
  /** Signature value (BIT STRING content without the unused-bits octet). */
  signature: Uint8Array;
  /** Unused-bits octet of the signature BIT STRING; anything but 0 makes the signature invalid. */
  signatureUnusedBits: number;
  /** 1, 2 or 3. */
  version: number;
  serialNumber: bigint;
  /** Serial as hex of the INTEGER content bytes. */
  serialHex: string;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  publicKeyAlgorithm: string;
  extensions: Extension[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** KeyUsage bit mask; undefined when the extension is absent. */
  keyUsage?: number;
  extKeyUsage?: string[];
  subjectAltNames?: GeneralName[];
  subjectKeyIdentifier?: Uint8Array;
  authorityKeyIdentifier?: { keyIdentifier?: Uint8Array; issuer?: GeneralName[]; serialHex?: string };
  certificatePolicies?: PolicyInformation[];
  policyMappings?: { issuerDomainPolicy: string; subjectDomainPolicy: string }[];
  policyConstraints?: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number };
  inhibitAnyPolicy?: number;
  nameConstraints?: NameConstraints;
  crlDistributionPoints?: DistributionPoint[];
  freshestCrl?: DistributionPoint[];
}

function fail(message: string, offset?: number): FormatError {
  return new FormatError('malformed-certificate', message, offset === undefined ? undefined : { offset });
}

/** A small non-negative INTEGER as a number (clamped to 1e6, more is meaningless for path lengths). */
function smallInt(content: Uint8Array, what: string): number {
  const v = decodeInteger(content);
  if (v < 0n) throw fail(`${what} must not be negative`);
  return v > 1_000_000n ? 1_000_000 : Number(v);
}

/** BIT STRING content → mask with bit n (n = 0 is the first, most significant bit) at `1 << n`. */
export function bitStringMask(content: Uint8Array): number {
  let mask = 0;
  for (let i = 1; i < content.length && i <= 4; i++) {
    for (let b = 0; b < 8; b++) if (content[i]! & (0x80 >> b)) mask |= 1 << ((i - 1) * 8 + b);
  }
  return mask >>> 0;
}

function oidOf(bytes: Uint8Array, node: DerNode, what: string): string {
  return decodeOid(contentOf(bytes, expectUniversal(node, TAG.OID, what)), node.start);
}

/** Decodes a DistributionPoint sequence (CRL DP / freshest CRL). */
export function parseDistributionPoints(v: Uint8Array): DistributionPoint[] {
  const root = expectUniversal(readRoot(v), TAG.SEQUENCE, 'CRLDistributionPoints');
  return childrenOf(v, root).map((dpNode) => {
    const dp: DistributionPoint = {};
    for (const f of childrenOf(v, expectUniversal(dpNode, TAG.SEQUENCE, 'DistributionPoint'))) {
      if (isContext(f, 0)) {
        const inner = childrenOf(v, f)[0];
        if (inner) dp.name = parseDistributionPointName(v, inner);
      } else if (isContext(f, 1)) dp.reasons = bitStringMask(contentOf(v, f));
      else if (isContext(f, 2)) dp.cRLIssuer = parseGeneralNames(v, f);
    }
    return dp;
  });
}

/** Decodes a DistributionPointName CHOICE node. */
export function parseDistributionPointName(bytes: Uint8Array, node: DerNode): DistributionPointName {
  if (isContext(node, 0)) return { fullName: parseGeneralNames(bytes, node) };
  if (isContext(node, 1)) return { relativeName: parseRdn(bytes, node) };
  throw fail('bad DistributionPointName', node.start);
}

function parseExtensionValue(cert: Certificate, ext: Extension): void {
  const v = ext.value;
  const root = readRoot(v);
  switch (ext.oid) {
    case EXT.basicConstraints: {
      expectUniversal(root, TAG.SEQUENCE, 'basicConstraints');
      let ca = false;
      let pathLength: number | undefined;
      for (const k of childrenOf(v, root)) {
        if (isUniversal(k, TAG.BOOLEAN)) {
          // A BOOLEAN is one octet; an empty one must not read as TRUE.
          const b = contentOf(v, k);
          if (b.length !== 1) throw fail('basicConstraints cA is not a valid BOOLEAN');
          ca = b[0] !== 0;
        } else if (isUniversal(k, TAG.INTEGER)) pathLength = smallInt(contentOf(v, k), 'pathLenConstraint');
        else throw fail('bad basicConstraints');
      }
      cert.basicConstraints = pathLength === undefined ? { ca } : { ca, pathLength };
      break;
    }
    case EXT.keyUsage:
      cert.keyUsage = bitStringMask(contentOf(v, expectUniversal(root, TAG.BIT_STRING, 'keyUsage')));
      break;
    case EXT.extKeyUsage:
      cert.extKeyUsage = childrenOf(v, expectUniversal(root, TAG.SEQUENCE, 'extKeyUsage')).map((k) => oidOf(v, k, 'KeyPurposeId'));
      break;
    case EXT.subjectAltName:
      cert.subjectAltNames = parseGeneralNames(v, expectUniversal(root, TAG.SEQUENCE, 'subjectAltName'));
      break;
    case EXT.subjectKeyIdentifier:
      cert.subjectKeyIdentifier = contentOf(v, expectUniversal(root, TAG.OCTET_STRING, 'subjectKeyIdentifier'));
      break;
    case EXT.authorityKeyIdentifier: {
      const aki: NonNullable<Certificate['authorityKeyIdentifier']> = {};
      for (const k of childrenOf(v, expectUniversal(root, TAG.SEQUENCE, 'authorityKeyIdentifier'))) {
        if (isContext(k, 0)) aki.keyIdentifier = contentOf(v, k);
        else if (isContext(k, 1)) aki.issuer = parseGeneralNames(v, k);
        else if (isContext(k, 2)) aki.serialHex = toHex(contentOf(v, k));
      }
      cert.authorityKeyIdentifier = aki;
      break;
    }
    case EXT.certificatePolicies:
      cert.certificatePolicies = childrenOf(v, expectUniversal(root, TAG.SEQUENCE, 'certificatePolicies')).map((pi) => {
        const [id, quals] = childrenOf(v, expectUniversal(pi, TAG.SEQUENCE, 'PolicyInformation'));
        if (!id) throw fail('empty PolicyInformation');
        const info: PolicyInformation = { oid: oidOf(v, id, 'policyIdentifier') };
        if (quals) info.qualifiers = encodedOf(v, quals);
        return info;
      });
      break;
    case EXT.policyMappings:
      cert.policyMappings = childrenOf(v, expectUniversal(root, TAG.SEQUENCE, 'policyMappings')).map((m) => {
        const [a, b] = childrenOf(v, expectUniversal(m, TAG.SEQUENCE, 'PolicyMapping'));
        if (!a || !b) throw fail('bad PolicyMapping');
        return { issuerDomainPolicy: oidOf(v, a, 'issuerDomainPolicy'), subjectDomainPolicy: oidOf(v, b, 'subjectDomainPolicy') };
      });
      break;
    case EXT.policyConstraints: {
      const pc: NonNullable<Certificate['policyConstraints']> = {};
      for (const k of childrenOf(v, expectUniversal(root, TAG.SEQUENCE, 'policyConstraints'))) {
        if (isContext(k, 0)) pc.requireExplicitPolicy = smallInt(contentOf(v, k), 'requireExplicitPolicy');
        else if (isContext(k, 1)) pc.inhibitPolicyMapping = smallInt(contentOf(v, k), 'inhibitPolicyMapping');
      }
      cert.policyConstraints = pc;
      break;
    }
    case EXT.inhibitAnyPolicy:
      cert.inhibitAnyPolicy = smallInt(contentOf(v, expectUniversal(root, TAG.INTEGER, 'inhibitAnyPolicy')), 'inhibitAnyPolicy');
      break;
    case EXT.nameConstraints: {
      const nc: NameConstraints = { permitted: [], excluded: [] };
      for (const k of childrenOf(v, expectUniversal(root, TAG.SEQUENCE, 'nameConstraints'))) {
        const list = isContext(k, 0) ? nc.permitted : isContext(k, 1) ? nc.excluded : undefined;
        if (!list) throw fail('bad nameConstraints');
        for (const st of childrenOf(v, k)) {
          const [base] = childrenOf(v, expectUniversal(st, TAG.SEQUENCE, 'GeneralSubtree'));
          if (!base) throw fail('empty GeneralSubtree');
          list.push({ base: parseGeneralName(v, base) });
        }
      }
      cert.nameConstraints = nc;
      break;
    }
    case EXT.cRLDistributionPoints:
      cert.crlDistributionPoints = parseDistributionPoints(v);
      break;
    case EXT.freshestCRL:
      cert.freshestCrl = parseDistributionPoints(v);
      break;
    default:
      break;
  }
}

/** Reads `Extensions ::= SEQUENCE OF Extension`; rejects duplicates (RFC 5280 §4.2). */
export function parseExtensions(bytes: Uint8Array, node: DerNode): Extension[] {
  const out: Extension[] = [];
  const seen = new Set<string>();
  for (const e of childrenOf(bytes, expectUniversal(node, TAG.SEQUENCE, 'Extensions'))) {
    const kids = childrenOf(bytes, expectUniversal(e, TAG.SEQUENCE, 'Extension'));
    const oid = oidOf(bytes, kids[0] ?? e, 'extnID');
    let critical = false;
    let valueNode = kids[1];
    if (valueNode && isUniversal(valueNode, TAG.BOOLEAN)) {
      critical = contentOf(bytes, valueNode)[0] !== 0;
      valueNode = kids[2];
    }
    if (!valueNode) throw fail(`extension ${oid} has no value`, e.start);
    if (seen.has(oid)) throw fail(`extension ${oid} appears twice`, e.start);
    seen.add(oid);
    out.push({ oid, critical, value: contentOf(bytes, expectUniversal(valueNode, TAG.OCTET_STRING, 'extnValue')) });
  }
  return out;
}

/**
 * Decodes a DER certificate. Throws `FormatError` (`malformed-certificate`)
 * for anything that is not a well-formed X.509 certificate, including a
 * malformed value of an extension this layer relies on.
 */
export function parseCertificate(input: BytesLike): Certificate {
  const der = toBytes(input, 'certificate');
  try {
    return parseInner(der);
  } catch (e) {
    if (e instanceof SmimeError && e.code === 'malformed-certificate') throw e;
    throw fail(`not a valid X.509 certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseInner(der: Uint8Array): Certificate {
  const root = expectUniversal(readRoot(der), TAG.SEQUENCE, 'Certificate');
  const [tbsNode, algNode, sigNode, extra] = childrenOf(der, root);
  if (!tbsNode || !algNode || !sigNode || extra) throw fail('Certificate must have three fields');
  const sigBits = contentOf(der, expectUniversal(sigNode, TAG.BIT_STRING, 'signatureValue'));
  if (sigBits.length < 1) throw fail('empty signatureValue');
  const fields = childrenOf(der, expectUniversal(tbsNode, TAG.SEQUENCE, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (fields[0] && isContext(fields[0], 0)) {
    const vNode = childrenOf(der, fields[0])[0];
    if (!vNode) throw fail('empty version');
    version = Number(decodeInteger(contentOf(der, expectUniversal(vNode, TAG.INTEGER, 'version')))) + 1;
    i++;
  }
  const serialNode = fields[i++];
  const innerAlg = fields[i++];
  const issuerNode = fields[i++];
  const validityNode = fields[i++];
  const subjectNode = fields[i++];
  const spkiNode = fields[i++];
  if (!serialNode || !innerAlg || !issuerNode || !validityNode || !subjectNode || !spkiNode) throw fail('TBSCertificate is incomplete');
  const serialContent = contentOf(der, expectUniversal(serialNode, TAG.INTEGER, 'serialNumber'));
  const [nb, na] = childrenOf(der, expectUniversal(validityNode, TAG.SEQUENCE, 'validity'));
  if (!nb || !na) throw fail('validity is incomplete');
  const signatureAlgorithm = parseAlgorithmIdentifier(encodedOf(der, algNode));
  const innerSig = parseAlgorithmIdentifier(encodedOf(der, innerAlg));
  if (innerSig.oid !== signatureAlgorithm.oid || !sameParameters(innerSig, signatureAlgorithm)) {
    throw fail('signature algorithm in TBSCertificate differs from the outer one');
  }
  const spki = encodedOf(der, expectUniversal(spkiNode, TAG.SEQUENCE, 'subjectPublicKeyInfo'));
  parseSubjectPublicKeyInfo(spki); // structure only: a certificate whose key cannot be read is malformed
  const spkiAlg = childrenOf(der, spkiNode)[0];
  const publicKeyAlgorithm = spkiAlg ? oidOf(der, childrenOf(der, spkiAlg)[0] ?? spkiAlg, 'algorithm') : '';

  const cert: Certificate = {
    der,
    fingerprint: toHex(sha256(der)),
    tbs: encodedOf(der, tbsNode),
    signatureAlgorithm,
    signature: sigBits.subarray(1),
    signatureUnusedBits: sigBits[0]!,
    version,
    serialNumber: decodeInteger(serialContent),
    serialHex: toHex(serialContent),
    issuer: parseDistinguishedName(der, issuerNode),
    subject: parseDistinguishedName(der, subjectNode),
    notBefore: decodeTime(nb, contentOf(der, nb)),
    notAfter: decodeTime(na, contentOf(der, na)),
    spki,
    publicKeyAlgorithm,
    extensions: [],
  };
  for (; i < fields.length; i++) {
    const f = fields[i]!;
    if (isContext(f, 3)) {
      const inner = childrenOf(der, f)[0];
      if (!inner) throw fail('empty extensions');
      cert.extensions = parseExtensions(der, inner);
    }
  }
  for (const ext of cert.extensions) {
    try {
      parseExtensionValue(cert, ext);
    } catch (e) {
      throw fail(`extension ${ext.oid} is malformed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return cert;
}

/** RFC 5280 §4.1.1.2: the signed and the outer AlgorithmIdentifier must be the same, parameters included. */
export function sameParameters(a: AlgorithmIdentifier, b: AlgorithmIdentifier): boolean {
  if (!a.parameters || !b.parameters) return !a.parameters && !b.parameters;
  return toHex(a.parameters) === toHex(b.parameters);
}

/** True when subject and issuer names are equal (RFC 5280 "self-issued"). */
export function isSelfIssued(cert: Certificate): boolean {
  return cert.subject.key === cert.issuer.key;
}

/** True when the certificate asserts it is a CA (basicConstraints cA). */
export function isCa(cert: Certificate): boolean {
  return cert.basicConstraints?.ca === true;
}

/** A short description for reports. */
export function describeCertificate(cert: Certificate): string {
  return `${cert.subject.text} (serial ${cert.serialHex})`;
}
