/** Decoding of X.509 CRLs (RFC 5280 §5) for revocation checking. */
import { FormatError, SmimeError } from '../errors.js';
import { toBytes, toHex, type BytesLike } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { parseAlgorithmIdentifier, sameParameters, type AlgorithmIdentifier } from './algorithm.js';
import {
  EXT,
  bitStringMask,
  parseDistributionPointName,
  parseExtensions,
  type DistributionPointName,
  type Extension,
} from './extensions.js';
import { parseDistinguishedName, parseGeneralNames, type DistinguishedName, type GeneralName } from './name.js';
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
  derTime,
  type DerNode,
} from '../asn1/index.js';

/** CRL extensions this layer processes; a CRL with any other critical extension is not used. */
const PROCESSED_CRL_EXTENSIONS = new Set<string>([
  EXT.authorityKeyIdentifier,
  EXT.cRLNumber,
  EXT.issuingDistributionPoint,
  EXT.deltaCRLIndicator,
  EXT.freshestCRL,
  EXT.issuerAltName,
]);
const PROCESSED_ENTRY_EXTENSIONS = new Set<string>([
  EXT.reasonCode,
  EXT.invalidityDate,
  EXT.certificateIssuer,
  EXT.holdInstructionCode,
]);

/** CRLReason values (RFC 5280 §5.3.1). */
export const CrlReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

const REASON_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CrlReason).map(([k, v]) => [v, k]));

export function reasonName(code: number | undefined): string {
  return code === undefined ? 'unspecified' : (REASON_NAMES[code] ?? `reason ${code}`);
}

export interface CrlEntry {
  serialNumber: bigint;
  revocationDate: Date;
  reason?: number;
  /** Issuer of the revoked certificate for indirect CRLs (inherited from earlier entries). */
  certificateIssuer?: GeneralName[];
}

export interface IssuingDistributionPoint {
  distributionPoint?: DistributionPointName;
  onlyContainsUserCerts: boolean;
  onlyContainsCACerts: boolean;
  /** ReasonFlags mask; undefined = all reasons. */
  onlySomeReasons?: number;
  indirectCRL: boolean;
  onlyContainsAttributeCerts: boolean;
}

export interface Crl {
  der: Uint8Array;
  fingerprint: string;
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  /** Unused-bits octet of the signature BIT STRING; anything but 0 makes the signature invalid. */
  signatureUnusedBits: number;
  issuer: DistinguishedName;
  thisUpdate: Date;
  nextUpdate?: Date;
  entries: CrlEntry[];
  extensions: Extension[];
  crlNumber?: bigint;
  /** BaseCRLNumber when this is a delta CRL. */
  deltaBase?: bigint;
  issuingDistributionPoint?: IssuingDistributionPoint;
  authorityKeyIdentifier?: Uint8Array;
  /** Name of an unprocessed critical CRL or CRL-entry extension; such a CRL is not used. */
  unsupportedCriticalExtension?: string;
  /**
   * Why the CRL breaks a rule of the RFC 5280 CRL profile that makes it unusable even though every extension
   * is understood: a critical cRLNumber (§5.2.3) or freshestCRL (§5.2.6). Such a CRL is not used.
   */
  profileViolation?: string;
}

function fail(message: string): FormatError {
  return new FormatError('malformed-crl', message);
}

/** Decodes a DER CRL; throws `FormatError` (`malformed-crl`). */
export function parseCrl(input: BytesLike): Crl {
  const der = toBytes(input, 'CRL');
  try {
    return parseInner(der);
  } catch (e) {
    if (e instanceof SmimeError && e.code === 'malformed-crl') throw e;
    throw fail(`not a valid CRL: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseInner(der: Uint8Array): Crl {
  const root = derExpect(derParse(der), TAG.SEQUENCE, 'CertificateList');
  const [tbsNode, algNode, sigNode, extra] = derChildren(root);
  if (!tbsNode || !algNode || !sigNode || extra) throw fail('CertificateList must have three fields');
  const sigBits = derContent(derExpect(sigNode, TAG.BIT_STRING, 'signatureValue'));
  if (sigBits.length < 1) throw fail('empty signatureValue');
  const fields = derChildren(derExpect(tbsNode, TAG.SEQUENCE, 'TBSCertList'));
  let i = 0;
  if (fields[0] && derIsUniversal(fields[0], TAG.INTEGER)) i++;
  const innerAlg = fields[i++];
  const issuerNode = fields[i++];
  const thisNode = fields[i++];
  if (!innerAlg || !issuerNode || !thisNode) throw fail('TBSCertList is incomplete');
  const crl: Crl = {
    der,
    fingerprint: toHex(sha256(der)),
    tbs: derBytes(tbsNode),
    signatureAlgorithm: parseAlgorithmIdentifier(derBytes(algNode)),
    signature: sigBits.subarray(1),
    signatureUnusedBits: sigBits[0]!,
    issuer: parseDistinguishedName(issuerNode),
    thisUpdate: derTime(thisNode),
    entries: [],
    extensions: [],
  };
  const innerSig = parseAlgorithmIdentifier(derBytes(innerAlg));
  if (innerSig.oid !== crl.signatureAlgorithm.oid || !sameParameters(innerSig, crl.signatureAlgorithm))
    throw fail('inner and outer signature algorithms differ');
  let next = fields[i];
  if (next && (derIsUniversal(next, TAG.UTCTime) || derIsUniversal(next, TAG.GeneralizedTime))) {
    crl.nextUpdate = derTime(next);
    next = fields[++i];
  }
  const entryNodes = next && derIsUniversal(next, TAG.SEQUENCE) ? derChildren(next) : [];
  if (next && derIsUniversal(next, TAG.SEQUENCE)) next = fields[i + 1];
  if (next && derIsContext(next, 0)) {
    const inner = derChildren(next)[0];
    if (inner) crl.extensions = parseExtensions(inner);
  }
  applyCrlExtensions(crl);
  crl.entries = parseEntries(crl, entryNodes);
  return crl;
}

/** CRL extensions RFC 5280 requires to be non-critical, with the section that says so. */
const MUST_NOT_BE_CRITICAL: Record<string, string> = {
  [EXT.cRLNumber]: 'cRLNumber is critical (RFC 5280 §5.2.3 requires it non-critical)',
  [EXT.freshestCRL]: 'freshestCRL is critical (RFC 5280 §5.2.6 requires it non-critical)',
};

/** Reads the CRL extensions this layer processes (RFC 5280 §5.2) into `crl`, noting an unprocessed critical one. */
function applyCrlExtensions(crl: Crl): void {
  for (const ext of crl.extensions) {
    const r = derParse(ext.value);
    const violation = ext.critical ? MUST_NOT_BE_CRITICAL[ext.oid] : undefined;
    if (violation) crl.profileViolation ??= violation;
    switch (ext.oid) {
      case EXT.cRLNumber:
        crl.crlNumber = decodeInteger(derContent(derExpect(r, TAG.INTEGER, 'cRLNumber')));
        break;
      case EXT.deltaCRLIndicator:
        crl.deltaBase = decodeInteger(derContent(derExpect(r, TAG.INTEGER, 'BaseCRLNumber')));
        break;
      case EXT.authorityKeyIdentifier:
        for (const k of derChildren(derExpect(r, TAG.SEQUENCE, 'authorityKeyIdentifier'))) {
          if (derIsContext(k, 0)) crl.authorityKeyIdentifier = derContent(k);
        }
        break;
      case EXT.issuingDistributionPoint:
        crl.issuingDistributionPoint = parseIssuingDistributionPoint(r);
        break;
      default:
        if (ext.critical && !PROCESSED_CRL_EXTENSIONS.has(ext.oid)) crl.unsupportedCriticalExtension ??= ext.oid;
    }
  }
}

/** IssuingDistributionPoint (RFC 5280 §5.2.5); absent flags are false. */
function parseIssuingDistributionPoint(r: DerNode): IssuingDistributionPoint {
  const idp: IssuingDistributionPoint = {
    onlyContainsUserCerts: false,
    onlyContainsCACerts: false,
    indirectCRL: false,
    onlyContainsAttributeCerts: false,
  };
  for (const k of derChildren(derExpect(r, TAG.SEQUENCE, 'issuingDistributionPoint'))) {
    const flag = () => derContent(k)[0] !== 0;
    if (derIsContext(k, 0)) {
      const inner = derChildren(k)[0];
      if (inner) idp.distributionPoint = parseDistributionPointName(inner);
    } else if (derIsContext(k, 1)) idp.onlyContainsUserCerts = flag();
    else if (derIsContext(k, 2)) idp.onlyContainsCACerts = flag();
    else if (derIsContext(k, 3)) idp.onlySomeReasons = bitStringMask(derContent(k));
    else if (derIsContext(k, 4)) idp.indirectCRL = flag();
    else if (derIsContext(k, 5)) idp.onlyContainsAttributeCerts = flag();
  }
  return idp;
}

/**
 * The revokedCertificates entries (RFC 5280 §5.3). A certificateIssuer entry extension applies to the
 * entries after it too (indirect CRLs); an unprocessed critical entry extension is noted on `crl`.
 */
function parseEntries(crl: Crl, entryNodes: readonly DerNode[]): CrlEntry[] {
  const entries: CrlEntry[] = [];
  let currentIssuer: GeneralName[] | undefined;
  for (const e of entryNodes) {
    const [serialNode, dateNode, extsNode] = derChildren(derExpect(e, TAG.SEQUENCE, 'revokedCertificate'));
    if (!serialNode || !dateNode) throw fail('revoked certificate entry is incomplete');
    const entry: CrlEntry = {
      serialNumber: decodeInteger(derContent(derExpect(serialNode, TAG.INTEGER, 'userCertificate'))),
      revocationDate: derTime(dateNode),
    };
    if (extsNode) {
      for (const ext of parseExtensions(extsNode)) {
        const r = derParse(ext.value);
        if (ext.oid === EXT.reasonCode)
          entry.reason = Number(decodeInteger(derContent(derExpect(r, 10, 'reasonCode'))));
        else if (ext.oid === EXT.certificateIssuer)
          currentIssuer = parseGeneralNames(derExpect(r, TAG.SEQUENCE, 'certificateIssuer'));
        else if (ext.critical && !PROCESSED_ENTRY_EXTENSIONS.has(ext.oid)) crl.unsupportedCriticalExtension ??= ext.oid;
      }
    }
    if (currentIssuer) entry.certificateIssuer = currentIssuer;
    entries.push(entry);
  }
  return entries;
}
