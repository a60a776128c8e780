/**
 * X.509 extensions (RFC 5280 §4.2): the raw list, and the decoded values of
 * every extension path validation and RFC 8550 need.
 */
import { FormatError } from '../errors.js';
import { toHex } from '../util/bytes.js';
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
  decodeOid,
  type DerNode,
} from '../asn1/index.js';
import { parseGeneralName, parseGeneralNames, parseRdn, type GeneralName, type NameAttribute } from './name.js';

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

/**
 * Extensions whose meaning this layer implements; any other critical extension makes a certificate unusable.
 * authorityInfoAccess and subjectInfoAccess are not here: they are decoded by nobody, and RFC 5280 §4.2.2
 * requires them non-critical, so a critical one is refused like any unprocessed critical extension.
 */
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

/** What the extensions this layer understands say, decoded. */
export interface ExtensionFields {
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** KeyUsage bit mask (see {@link KeyUsage}); undefined when the extension is absent. */
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

function oidOf(node: DerNode, what: string): string {
  return decodeOid(derContent(derExpect(node, TAG.OID, what)), node.start);
}

/** Decodes a DistributionPoint sequence (CRL DP / freshest CRL). */
export function parseDistributionPoints(v: Uint8Array): DistributionPoint[] {
  const root = derExpect(derParse(v), TAG.SEQUENCE, 'CRLDistributionPoints');
  return derChildren(root).map((dpNode) => {
    const dp: DistributionPoint = {};
    for (const f of derChildren(derExpect(dpNode, TAG.SEQUENCE, 'DistributionPoint'))) {
      if (derIsContext(f, 0)) {
        const inner = derChildren(f)[0];
        if (inner) dp.name = parseDistributionPointName(inner);
      } else if (derIsContext(f, 1)) dp.reasons = bitStringMask(derContent(f));
      else if (derIsContext(f, 2)) dp.cRLIssuer = parseGeneralNames(f);
    }
    return dp;
  });
}

/** Decodes a DistributionPointName CHOICE node. */
export function parseDistributionPointName(node: DerNode): DistributionPointName {
  if (derIsContext(node, 0)) return { fullName: parseGeneralNames(node) };
  if (derIsContext(node, 1)) return { relativeName: parseRdn(node) };
  throw fail('bad DistributionPointName', node.start);
}

function basicConstraints(root: DerNode): ExtensionFields['basicConstraints'] {
  derExpect(root, TAG.SEQUENCE, 'basicConstraints');
  let ca = false;
  let pathLength: number | undefined;
  for (const k of derChildren(root)) {
    if (derIsUniversal(k, TAG.BOOLEAN)) {
      // A BOOLEAN is one octet; an empty one must not read as TRUE.
      const b = derContent(k);
      if (b.length !== 1) throw fail('basicConstraints cA is not a valid BOOLEAN');
      ca = b[0] !== 0;
    } else if (derIsUniversal(k, TAG.INTEGER)) pathLength = smallInt(derContent(k), 'pathLenConstraint');
    else throw fail('bad basicConstraints');
  }
  return pathLength === undefined ? { ca } : { ca, pathLength };
}

function authorityKeyIdentifier(root: DerNode): ExtensionFields['authorityKeyIdentifier'] {
  const aki: NonNullable<ExtensionFields['authorityKeyIdentifier']> = {};
  for (const k of derChildren(derExpect(root, TAG.SEQUENCE, 'authorityKeyIdentifier'))) {
    if (derIsContext(k, 0)) aki.keyIdentifier = derContent(k);
    else if (derIsContext(k, 1)) aki.issuer = parseGeneralNames(k);
    else if (derIsContext(k, 2)) aki.serialHex = toHex(derContent(k));
  }
  return aki;
}

function certificatePolicies(root: DerNode): PolicyInformation[] {
  return derChildren(derExpect(root, TAG.SEQUENCE, 'certificatePolicies')).map((pi) => {
    const [id, quals] = derChildren(derExpect(pi, TAG.SEQUENCE, 'PolicyInformation'));
    if (!id) throw fail('empty PolicyInformation');
    const info: PolicyInformation = { oid: oidOf(id, 'policyIdentifier') };
    if (quals) info.qualifiers = derBytes(quals);
    return info;
  });
}

function policyMappings(root: DerNode): ExtensionFields['policyMappings'] {
  return derChildren(derExpect(root, TAG.SEQUENCE, 'policyMappings')).map((m) => {
    const [a, b] = derChildren(derExpect(m, TAG.SEQUENCE, 'PolicyMapping'));
    if (!a || !b) throw fail('bad PolicyMapping');
    return { issuerDomainPolicy: oidOf(a, 'issuerDomainPolicy'), subjectDomainPolicy: oidOf(b, 'subjectDomainPolicy') };
  });
}

function policyConstraints(root: DerNode): ExtensionFields['policyConstraints'] {
  const pc: NonNullable<ExtensionFields['policyConstraints']> = {};
  for (const k of derChildren(derExpect(root, TAG.SEQUENCE, 'policyConstraints'))) {
    if (derIsContext(k, 0)) pc.requireExplicitPolicy = smallInt(derContent(k), 'requireExplicitPolicy');
    else if (derIsContext(k, 1)) pc.inhibitPolicyMapping = smallInt(derContent(k), 'inhibitPolicyMapping');
  }
  return pc;
}

function nameConstraints(root: DerNode): NameConstraints {
  const nc: NameConstraints = { permitted: [], excluded: [] };
  for (const k of derChildren(derExpect(root, TAG.SEQUENCE, 'nameConstraints'))) {
    const list = derIsContext(k, 0) ? nc.permitted : derIsContext(k, 1) ? nc.excluded : undefined;
    if (!list) throw fail('bad nameConstraints');
    for (const st of derChildren(k)) {
      const [base] = derChildren(derExpect(st, TAG.SEQUENCE, 'GeneralSubtree'));
      if (!base) throw fail('empty GeneralSubtree');
      list.push({ base: parseGeneralName(base) });
    }
  }
  return nc;
}

type Decoder = (root: DerNode, value: Uint8Array, out: ExtensionFields) => void;

// One small decoder per extension this layer understands; others are kept raw.
const DECODERS: Record<string, Decoder> = {
  [EXT.basicConstraints]: (root, _v, out) => void (out.basicConstraints = basicConstraints(root)),
  [EXT.keyUsage]: (root, _v, out) =>
    void (out.keyUsage = bitStringMask(derContent(derExpect(root, TAG.BIT_STRING, 'keyUsage')))),
  [EXT.extKeyUsage]: (root, _v, out) =>
    void (out.extKeyUsage = derChildren(derExpect(root, TAG.SEQUENCE, 'extKeyUsage')).map((k) =>
      oidOf(k, 'KeyPurposeId'),
    )),
  [EXT.subjectAltName]: (root, _v, out) =>
    void (out.subjectAltNames = parseGeneralNames(derExpect(root, TAG.SEQUENCE, 'subjectAltName'))),
  [EXT.subjectKeyIdentifier]: (root, _v, out) =>
    void (out.subjectKeyIdentifier = derContent(derExpect(root, TAG.OCTET_STRING, 'subjectKeyIdentifier'))),
  [EXT.authorityKeyIdentifier]: (root, _v, out) => void (out.authorityKeyIdentifier = authorityKeyIdentifier(root)),
  [EXT.certificatePolicies]: (root, _v, out) => void (out.certificatePolicies = certificatePolicies(root)),
  [EXT.policyMappings]: (root, _v, out) => void (out.policyMappings = policyMappings(root)),
  [EXT.policyConstraints]: (root, _v, out) => void (out.policyConstraints = policyConstraints(root)),
  [EXT.inhibitAnyPolicy]: (root, _v, out) =>
    void (out.inhibitAnyPolicy = smallInt(
      derContent(derExpect(root, TAG.INTEGER, 'inhibitAnyPolicy')),
      'inhibitAnyPolicy',
    )),
  [EXT.nameConstraints]: (root, _v, out) => void (out.nameConstraints = nameConstraints(root)),
  [EXT.cRLDistributionPoints]: (_r, v, out) => void (out.crlDistributionPoints = parseDistributionPoints(v)),
  [EXT.freshestCRL]: (_r, v, out) => void (out.freshestCrl = parseDistributionPoints(v)),
};

/**
 * Decodes the values of the extensions this layer understands. A malformed
 * value is thrown, or, with `onError`, reported while the others still decode.
 *
 * @throws FormatError `malformed-certificate` naming the first malformed extension
 */
export function decodeExtensionFields(
  extensions: readonly Extension[],
  onError?: (e: FormatError) => void,
): ExtensionFields {
  const out: ExtensionFields = {};
  for (const ext of extensions) {
    try {
      // Every value must be one DER element, understood or not.
      const root = derParse(ext.value);
      DECODERS[ext.oid]?.(root, ext.value, out);
    } catch (e) {
      const error = fail(`extension ${ext.oid} is malformed: ${e instanceof Error ? e.message : String(e)}`);
      if (!onError) throw error;
      onError(error);
    }
  }
  return out;
}

/** Reads `Extensions ::= SEQUENCE OF Extension`; rejects duplicates (RFC 5280 §4.2). */
export function parseExtensions(node: DerNode): Extension[] {
  const out: Extension[] = [];
  const seen = new Set<string>();
  for (const e of derChildren(derExpect(node, TAG.SEQUENCE, 'Extensions'))) {
    const kids = derChildren(derExpect(e, TAG.SEQUENCE, 'Extension'));
    const oid = oidOf(kids[0] ?? e, 'extnID');
    let critical = false;
    let valueNode = kids[1];
    if (valueNode && derIsUniversal(valueNode, TAG.BOOLEAN)) {
      critical = derContent(valueNode)[0] !== 0;
      valueNode = kids[2];
    }
    if (!valueNode) throw fail(`extension ${oid} has no value`, e.start);
    if (seen.has(oid)) throw fail(`extension ${oid} appears twice`, e.start);
    seen.add(oid);
    out.push({ oid, critical, value: derContent(derExpect(valueNode, TAG.OCTET_STRING, 'extnValue')) });
  }
  return out;
}

/** id-ad-ocsp and id-ad-caIssuers (RFC 5280 §4.2.2.1). */
export const ACCESS_METHOD = { ocsp: '1.3.6.1.5.5.7.48.1', caIssuers: '1.3.6.1.5.5.7.48.2' } as const;
/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): a delegated OCSP responder certificate that is never checked. */
export const OCSP_NO_CHECK = '1.3.6.1.5.5.7.48.1.5';
/** id-kp-OCSPSigning. */
export const EKU_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';

/** Where to ask about a certificate online: the URIs of its authorityInfoAccess extension. */
export interface AuthorityAccess {
  /** OCSP responder URLs, in the certificate's order. */
  ocsp: string[];
  /** URLs of the issuer's certificate (DER, or a certs-only PKCS#7). */
  caIssuers: string[];
}

/**
 * The OCSP and caIssuers URIs of `extensions`' authorityInfoAccess. Only online checking reads it, so a malformed
 * (non-critical) value is not a certificate problem: it gives no URIs.
 */
export function authorityAccess(extensions: readonly Extension[]): AuthorityAccess {
  const out: AuthorityAccess = { ocsp: [], caIssuers: [] };
  const ext = extensions.find((e) => e.oid === EXT.authorityInfoAccess);
  if (!ext) return out;
  try {
    for (const ad of derChildren(derExpect(derParse(ext.value), TAG.SEQUENCE, 'authorityInfoAccess'))) {
      const [method, location] = derChildren(derExpect(ad, TAG.SEQUENCE, 'AccessDescription'));
      if (!method || !location) continue;
      const name = parseGeneralName(location);
      if (name.type !== 'uri') continue;
      const oid = oidOf(method, 'accessMethod');
      if (oid === ACCESS_METHOD.ocsp) out.ocsp.push(name.value);
      else if (oid === ACCESS_METHOD.caIssuers) out.caIssuers.push(name.value);
    }
  } catch {
    return { ocsp: [], caIssuers: [] };
  }
  return out;
}
