/** Decoding of X.509 CRLs (RFC 5280 §5) for revocation checking. */
import { FormatError, SmimeError } from '../errors.js';
import { toBytes, toHex, type BytesLike } from '../util/bytes.js';
import { TAG, childrenOf, contentOf, decodeInteger, decodeTime, encodedOf, expectUniversal, isContext, isUniversal, readRoot } from '../util/der.js';
import { sha256 } from '../util/hash/sha256.js';
import { parseAlgorithmIdentifier, type AlgorithmIdentifier } from '../crypto/verify-signature.js';
import { EXT, bitStringMask, sameParameters, parseDistributionPointName, parseExtensions, type DistributionPointName, type Extension } from './certificate.js';
import { parseDistinguishedName, parseGeneralNames, type DistinguishedName, type GeneralName } from './name.js';

/** CRL extensions this layer processes; a CRL with any other critical extension is not used. */
const PROCESSED_CRL_EXTENSIONS = new Set<string>([
  EXT.authorityKeyIdentifier,
  EXT.cRLNumber,
  EXT.issuingDistributionPoint,
  EXT.deltaCRLIndicator,
  EXT.freshestCRL,
  EXT.issuerAltName,
]);
const PROCESSED_ENTRY_EXTENSIONS = new Set<string>([EXT.reasonCode, EXT.invalidityDate, EXT.certificateIssuer, EXT.holdInstructionCode]);

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
  const root = expectUniversal(readRoot(der), TAG.SEQUENCE, 'CertificateList');
  const [tbsNode, algNode, sigNode, extra] = childrenOf(der, root);
  if (!tbsNode || !algNode || !sigNode || extra) throw fail('CertificateList must have three fields');
  const sigBits = contentOf(der, expectUniversal(sigNode, TAG.BIT_STRING, 'signatureValue'));
  if (sigBits.length < 1) throw fail('empty signatureValue');
  const fields = childrenOf(der, expectUniversal(tbsNode, TAG.SEQUENCE, 'TBSCertList'));
  let i = 0;
  if (fields[0] && isUniversal(fields[0], TAG.INTEGER)) i++;
  const innerAlg = fields[i++];
  const issuerNode = fields[i++];
  const thisNode = fields[i++];
  if (!innerAlg || !issuerNode || !thisNode) throw fail('TBSCertList is incomplete');
  const crl: Crl = {
    der,
    fingerprint: toHex(sha256(der)),
    tbs: encodedOf(der, tbsNode),
    signatureAlgorithm: parseAlgorithmIdentifier(encodedOf(der, algNode)),
    signature: sigBits.subarray(1),
    signatureUnusedBits: sigBits[0]!,
    issuer: parseDistinguishedName(der, issuerNode),
    thisUpdate: decodeTime(thisNode, contentOf(der, thisNode)),
    entries: [],
    extensions: [],
  };
  const innerSig = parseAlgorithmIdentifier(encodedOf(der, innerAlg));
  if (innerSig.oid !== crl.signatureAlgorithm.oid || !sameParameters(innerSig, crl.signatureAlgorithm)) throw fail('inner and outer signature algorithms differ');
  let next = fields[i];
  if (next && (isUniversal(next, TAG.UTCTime) || isUniversal(next, TAG.GeneralizedTime))) {
    crl.nextUpdate = decodeTime(next, contentOf(der, next));
    next = fields[++i];
  }
  const entryNodes = next && isUniversal(next, TAG.SEQUENCE) ? childrenOf(der, next) : [];
  if (next && isUniversal(next, TAG.SEQUENCE)) next = fields[++i];
  if (next && isContext(next, 0)) {
    const inner = childrenOf(der, next)[0];
    if (inner) crl.extensions = parseExtensions(der, inner);
  }
  for (const ext of crl.extensions) {
    const v = ext.value;
    const r = readRoot(v);
    switch (ext.oid) {
      case EXT.cRLNumber:
        crl.crlNumber = decodeInteger(contentOf(v, expectUniversal(r, TAG.INTEGER, 'cRLNumber')));
        break;
      case EXT.deltaCRLIndicator:
        crl.deltaBase = decodeInteger(contentOf(v, expectUniversal(r, TAG.INTEGER, 'BaseCRLNumber')));
        break;
      case EXT.authorityKeyIdentifier:
        for (const k of childrenOf(v, expectUniversal(r, TAG.SEQUENCE, 'authorityKeyIdentifier'))) {
          if (isContext(k, 0)) crl.authorityKeyIdentifier = contentOf(v, k);
        }
        break;
      case EXT.issuingDistributionPoint: {
        const idp: IssuingDistributionPoint = {
          onlyContainsUserCerts: false,
          onlyContainsCACerts: false,
          indirectCRL: false,
          onlyContainsAttributeCerts: false,
        };
        for (const k of childrenOf(v, expectUniversal(r, TAG.SEQUENCE, 'issuingDistributionPoint'))) {
          const flag = () => contentOf(v, k)[0] !== 0;
          if (isContext(k, 0)) {
            const inner = childrenOf(v, k)[0];
            if (inner) idp.distributionPoint = parseDistributionPointName(v, inner);
          } else if (isContext(k, 1)) idp.onlyContainsUserCerts = flag();
          else if (isContext(k, 2)) idp.onlyContainsCACerts = flag();
          else if (isContext(k, 3)) idp.onlySomeReasons = bitStringMask(contentOf(v, k));
          else if (isContext(k, 4)) idp.indirectCRL = flag();
          else if (isContext(k, 5)) idp.onlyContainsAttributeCerts = flag();
        }
        crl.issuingDistributionPoint = idp;
        break;
      }
      default:
        if (ext.critical && !PROCESSED_CRL_EXTENSIONS.has(ext.oid)) crl.unsupportedCriticalExtension ??= ext.oid;
    }
  }
  let currentIssuer: GeneralName[] | undefined;
  for (const e of entryNodes) {
    const [serialNode, dateNode, extsNode] = childrenOf(der, expectUniversal(e, TAG.SEQUENCE, 'revokedCertificate'));
    if (!serialNode || !dateNode) throw fail('revoked certificate entry is incomplete');
    const entry: CrlEntry = {
      serialNumber: decodeInteger(contentOf(der, expectUniversal(serialNode, TAG.INTEGER, 'userCertificate'))),
      revocationDate: decodeTime(dateNode, contentOf(der, dateNode)),
    };
    if (extsNode) {
      for (const ext of parseExtensions(der, extsNode)) {
        const v = ext.value;
        const r = readRoot(v);
        if (ext.oid === EXT.reasonCode) entry.reason = Number(decodeInteger(contentOf(v, expectUniversal(r, 10, 'reasonCode'))));
        else if (ext.oid === EXT.certificateIssuer) currentIssuer = parseGeneralNames(v, expectUniversal(r, TAG.SEQUENCE, 'certificateIssuer'));
        else if (ext.critical && !PROCESSED_ENTRY_EXTENSIONS.has(ext.oid)) crl.unsupportedCriticalExtension ??= ext.oid;
      }
    }
    if (currentIssuer) entry.certificateIssuer = currentIssuer;
    crl.entries.push(entry);
  }
  return crl;
}
