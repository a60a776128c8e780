/**
 * RFC 5280 certificate-profile checks on a candidate path, the ones `openssl verify -x509_strict` makes on top
 * of §6.1: key identifiers, basicConstraints on CAs and anchors, empty subjects, serial numbers and EC key
 * encoding. Each finding carries a severity, and the caller's `strictness` decides whether it is a problem or
 * a warning (docs/trust.md, "Strictness decisions", gives the evidence for each class).
 */
import { parseSubjectPublicKeyInfo } from '../x509/index.js';
import { EXT, KeyUsage, isSelfIssued, namesEqual, type Certificate } from '../x509/index.js';
import { bytesEqual } from '../util/bytes.js';
import type { TrustProblemCode } from './report.js';
import type { ResolvedOptions } from './options.js';

/**
 * - `problem`: always a problem;
 * - `profile`: a problem unless `strictness: 'lenient'`;
 * - `advisory`: a warning unless `strictness: 'strict'` (classes that real mail or real trust lists break).
 */
export type FindingSeverity = 'problem' | 'profile' | 'advisory';

export interface ProfileFinding {
  code: TrustProblemCode;
  /** Chain index (0 = end-entity, last = anchor). */
  index: number;
  message: string;
  severity: FindingSeverity;
}

/** Whether a finding of this severity is a problem (true) or a warning (false) under `strictness`. */
export function isProblem(severity: FindingSeverity, strictness: ResolvedOptions['strictness']): boolean {
  if (severity === 'problem') return true;
  if (severity === 'profile') return strictness !== 'lenient';
  return strictness === 'strict';
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const EC_DH = '1.3.132.1.12';
const OID_TAG = 0x06;

function extension(cert: Certificate, oid: string) {
  return cert.extensions.find((e) => e.oid === oid);
}

/** RFC 5480 §2.1.1: an EC key names its curve; explicit (and implicit) parameters are refused (CVE-2020-0601). */
function explicitCurve(cert: Certificate): string | undefined {
  if (cert.publicKeyAlgorithm !== EC_PUBLIC_KEY && cert.publicKeyAlgorithm !== EC_DH) return undefined;
  let params: Uint8Array | undefined;
  try {
    params = parseSubjectPublicKeyInfo(cert.spki).algorithm.parameters;
  } catch {
    return undefined; // an unreadable key is reported by the signature checks
  }
  if (params?.[0] === OID_TAG) return undefined;
  return params
    ? 'the EC public key carries explicit curve parameters instead of a named curve (RFC 5480 §2.1.1 requires namedCurve)'
    : 'the EC public key does not name its curve (RFC 5480 §2.1.1 requires namedCurve)';
}

/**
 * Where `cert`'s authority key identifier disagrees with the certificate `issuer` whose key signed it: the
 * keyIdentifier against the issuer's subjectKeyIdentifier, and authorityCertIssuer / authorityCertSerialNumber
 * against the issuer's own issuer name and serial number (as OpenSSL's X509_check_akid); undefined when they agree.
 */
export function keyIdentifierMismatch(cert: Certificate, issuer: Certificate): string | undefined {
  const aki = cert.authorityKeyIdentifier;
  if (!aki) return undefined;
  const ski = issuer.subjectKeyIdentifier;
  if (aki.keyIdentifier && ski && !bytesEqual(aki.keyIdentifier, ski)) {
    return `its authority key identifier does not match the subject key identifier of ${issuer.subject.text}, whose key signed it`;
  }
  if (aki.serialHex !== undefined && BigInt(`0x${aki.serialHex || '0'}`) !== unsignedSerial(issuer)) {
    return `its authority key identifier names the issuer certificate with serial ${aki.serialHex}, but ${issuer.subject.text} has serial ${issuer.serialHex}`;
  }
  const names = aki.issuer?.flatMap((n) => (n.type === 'directory' ? [n.name] : []));
  if (aki.issuer && !names!.some((name) => namesEqual(name, issuer.issuer))) {
    return `its authority key identifier names an issuer certificate issued by someone other than ${issuer.issuer.text}`;
  }
  return undefined;
}

/** authorityCertSerialNumber is compared as the INTEGER's content octets read unsigned (both sides alike). */
function unsignedSerial(cert: Certificate): bigint {
  return BigInt(`0x${cert.serialHex || '0'}`);
}

/** Key identifier checks on one certificate (the cross-certificate comparison is {@link keyIdentifierMismatch}). */
function keyIdentifierFindings(cert: Certificate, index: number, anchorIndex: number, out: ProfileFinding[]): void {
  const add = (code: TrustProblemCode, severity: FindingSeverity, message: string) =>
    out.push({ code, index, message, severity });
  const aki = extension(cert, EXT.authorityKeyIdentifier);
  const ski = extension(cert, EXT.subjectKeyIdentifier);
  if (aki?.critical) add('bad-key-identifier', 'profile', 'authorityKeyIdentifier is critical (RFC 5280 §4.2.1.1)');
  if (ski?.critical) add('bad-key-identifier', 'profile', 'subjectKeyIdentifier is critical (RFC 5280 §4.2.1.2)');
  const selfIssued = isSelfIssued(cert);
  if (index < anchorIndex && cert.version >= 3 && !selfIssued && !cert.authorityKeyIdentifier?.keyIdentifier) {
    add(
      'bad-key-identifier',
      'advisory',
      'has no authority key identifier (RFC 5280 §4.2.1.1 requires its keyIdentifier in every certificate that is not self-signed)',
    );
  }
  if (cert.basicConstraints?.ca && !cert.subjectKeyIdentifier) {
    add('bad-key-identifier', 'advisory', 'is a CA certificate without a subject key identifier (RFC 5280 §4.2.1.2)');
  }
  if (index === anchorIndex && selfIssued) {
    const mismatch = keyIdentifierMismatch(cert, cert);
    if (mismatch)
      add('key-identifier-mismatch', 'problem', `the self-issued trust anchor disagrees with itself: ${mismatch}`);
  }
}

/** basicConstraints of CAs and anchors, and keyCertSign on an end-entity. */
function basicConstraintsFindings(cert: Certificate, index: number, anchorIndex: number, out: ProfileFinding[]): void {
  const add = (code: TrustProblemCode, severity: FindingSeverity, message: string) =>
    out.push({ code, index, message, severity });
  const bc = extension(cert, EXT.basicConstraints);
  if (index === anchorIndex && !bc) {
    if (cert.version >= 3) {
      add(
        'not-ca',
        'profile',
        'the trust anchor has no basicConstraints extension, so nothing says it is a CA, but it issued a certificate',
      );
    } else {
      add(
        'not-ca',
        'advisory',
        `the version ${cert.version} trust anchor has no basicConstraints; accepted as a CA because the trust list holds it (RFC 5280 §6.1.1 (d))`,
      );
    }
  }
  if (bc && !bc.critical && cert.basicConstraints?.ca) {
    add(
      'bad-basic-constraints',
      'advisory',
      'basicConstraints is not critical in a CA certificate (RFC 5280 §4.2.1.9 requires it critical)',
    );
  }
  if (
    index === 0 &&
    !cert.basicConstraints?.ca &&
    cert.keyUsage !== undefined &&
    cert.keyUsage & KeyUsage.keyCertSign
  ) {
    add(
      'bad-key-usage',
      'profile',
      'the key usage asserts keyCertSign, but the certificate is not a CA (RFC 5280 §4.2.1.9)',
    );
  }
}

/** Empty subjects (RFC 5280 §4.1.2.6, §4.2.1.6) and negative serial numbers (§4.1.2.2). */
function nameFindings(cert: Certificate, index: number, anchorIndex: number, out: ProfileFinding[]): void {
  const add = (code: TrustProblemCode, message: string) => out.push({ code, index, message, severity: 'profile' });
  if (cert.subject.rdns.length === 0) {
    const san = extension(cert, EXT.subjectAltName);
    if (cert.basicConstraints?.ca || index === anchorIndex)
      add('empty-subject', 'a CA certificate has an empty subject');
    else if (!san) add('empty-subject', 'the subject is empty and there is no subjectAltName');
    else if (!san.critical)
      add('empty-subject', 'the subject is empty but subjectAltName is not critical (RFC 5280 §4.2.1.6 requires it)');
  }
  if (index < anchorIndex && cert.serialNumber < 0n)
    add('bad-serial-number', `the serial number ${cert.serialNumber} is negative (RFC 5280 §4.1.2.2)`);
}

/**
 * Profile findings for a candidate path (end-entity first, anchor last). A path of the anchor alone gets only
 * the key-encoding check: the other rules are about certificates that issue or are issued on the path.
 */
export function profileFindings(chain: readonly Certificate[]): ProfileFinding[] {
  const out: ProfileFinding[] = [];
  const anchorIndex = chain.length - 1;
  chain.forEach((cert, index) => {
    const curve = explicitCurve(cert);
    if (curve) out.push({ code: 'unsupported-algorithm', index, message: curve, severity: 'problem' });
    if (anchorIndex === 0) return;
    keyIdentifierFindings(cert, index, anchorIndex, out);
    basicConstraintsFindings(cert, index, anchorIndex, out);
    nameFindings(cert, index, anchorIndex, out);
  });
  return out;
}
