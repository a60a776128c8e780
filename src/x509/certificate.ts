/**
 * The one certificate model. A `Certificate` is decoded once from its exact
 * DER (the signed TBSCertificate bytes are kept as received) and cached by
 * the SHA-256 of those bytes, so the SST layer, trust, CMS and the facade all
 * share the same object; a second lookup with the same array skips the hash.
 */
import { FormatError, SmimeError } from '../errors.js';
import { bytesEqual, toBytes, toHex } from '../util/bytes.js';
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { encodePem, looksLikePem } from '../util/pem.js';
import { sha1, sha256 } from '../util/hash.js';
import {
  TAG,
  derParse,
  derChildren,
  derContent,
  derBytes,
  derIsContext,
  derExpect,
  decodeInteger,
  derTime,
  type DerNode,
} from '../asn1/index.js';
import {
  parseAlgorithmIdentifier,
  parseSubjectPublicKeyInfo,
  sameParameters,
  type AlgorithmIdentifier,
} from './algorithm.js';
import { decodeExtensionFields, parseExtensions, type Extension, type ExtensionFields } from './extensions.js';
import { emailAddressesInName, parseDistinguishedName, type DistinguishedName } from './name.js';

function fail(message: string, offset?: number): FormatError {
  return new FormatError('malformed-certificate', message, offset === undefined ? undefined : { offset });
}

/** The fields of a TBSCertificate, as nodes. */
interface TbsNodes {
  version: number;
  serial: DerNode;
  innerAlgorithm: DerNode;
  issuer: DerNode;
  notBefore: DerNode;
  notAfter: DerNode;
  subject: DerNode;
  spki: DerNode;
  extensions?: DerNode;
}

function readTbs(tbsNode: DerNode): TbsNodes {
  const fields = derChildren(derExpect(tbsNode, TAG.SEQUENCE, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (fields[0] && derIsContext(fields[0], 0)) {
    const vNode = derChildren(fields[0])[0];
    if (!vNode) throw fail('empty version');
    version = Number(decodeInteger(derContent(derExpect(vNode, TAG.INTEGER, 'version')))) + 1;
    i++;
  }
  const [serial, innerAlgorithm, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!serial || !innerAlgorithm || !issuer || !validity || !subject || !spki)
    throw fail('TBSCertificate is incomplete', tbsNode.start);
  const [notBefore, notAfter] = derChildren(derExpect(validity, TAG.SEQUENCE, 'validity'));
  if (!notBefore || !notAfter) throw fail('validity is incomplete', validity.start);
  let extensions: DerNode | undefined;
  for (const f of fields.slice(i + 6)) {
    if (!derIsContext(f, 3)) continue;
    extensions = derChildren(f)[0];
    if (!extensions) throw fail('empty extensions', f.start);
  }
  return {
    version,
    serial,
    innerAlgorithm,
    issuer,
    notBefore,
    notAfter,
    subject,
    spki,
    ...(extensions ? { extensions } : {}),
  };
}

/**
 * A decoded X.509 certificate. Get one with {@link parseCertificate}; the
 * library accepts it wherever it takes a certificate.
 */
export class Certificate implements ExtensionFields {
  /** The DER, exactly as received (a private copy). */
  readonly der: Uint8Array;
  /** Lowercase hex SHA-256 of the DER: the certificate's identity. */
  readonly fingerprint: string;
  /** The signed TBSCertificate bytes. */
  readonly tbs: Uint8Array;
  /** Outer signatureAlgorithm. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** Signature value (BIT STRING content without the unused-bits octet). */
  readonly signature: Uint8Array;
  /** Unused-bits octet of the signature BIT STRING; anything but 0 makes the signature invalid. */
  readonly signatureUnusedBits: number;
  /** 1, 2 or 3. */
  readonly version: number;
  readonly serialNumber: bigint;
  /** Serial as lowercase hex of the INTEGER content octets, as encoded (a leading 00 is kept). */
  readonly serialHex: string;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** subjectPublicKey BIT STRING content without the unused-bits octet. */
  readonly publicKey: Uint8Array;
  /** OID of the subject public key algorithm. */
  readonly publicKeyAlgorithm: string;
  /** All extensions, raw. */
  readonly extensions: readonly Extension[];
  readonly basicConstraints?: ExtensionFields['basicConstraints'];
  readonly keyUsage?: number;
  readonly extKeyUsage?: string[];
  readonly subjectAltNames?: ExtensionFields['subjectAltNames'];
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly authorityKeyIdentifier?: ExtensionFields['authorityKeyIdentifier'];
  readonly certificatePolicies?: ExtensionFields['certificatePolicies'];
  readonly policyMappings?: ExtensionFields['policyMappings'];
  readonly policyConstraints?: ExtensionFields['policyConstraints'];
  readonly inhibitAnyPolicy?: number;
  readonly nameConstraints?: ExtensionFields['nameConstraints'];
  readonly crlDistributionPoints?: ExtensionFields['crlDistributionPoints'];
  readonly freshestCrl?: ExtensionFields['freshestCrl'];
  /**
   * Why the certificate is not a well-formed RFC 5280 certificate although its
   * basic fields could be read (a malformed extension, mismatched algorithms);
   * undefined when it is. {@link parseCertificate} throws it.
   */
  readonly problem?: FormatError;
  #emails?: string[];

  /** Decodes `der` (which the certificate keeps; pass a copy you will not modify). */
  private constructor(der: Uint8Array, fingerprint: string) {
    this.der = der;
    this.fingerprint = fingerprint;
    const root = derExpect(derParse(der), TAG.SEQUENCE, 'Certificate');
    const [tbsNode, algNode, sigNode, extra] = derChildren(root);
    if (!tbsNode || !algNode || !sigNode) throw fail('Certificate must have three fields');
    const sigBits = derContent(derExpect(sigNode, TAG.BIT_STRING, 'signatureValue'));
    if (sigBits.length < 1) throw fail('empty signatureValue');
    const t = readTbs(tbsNode);
    const serialContent = derContent(derExpect(t.serial, TAG.INTEGER, 'serialNumber'));
    this.tbs = derBytes(tbsNode);
    this.signatureAlgorithm = parseAlgorithmIdentifier(derBytes(algNode));
    this.signature = sigBits.subarray(1);
    this.signatureUnusedBits = sigBits[0]!;
    this.version = t.version;
    this.serialNumber = decodeInteger(serialContent);
    this.serialHex = toHex(serialContent);
    this.issuer = parseDistinguishedName(t.issuer);
    // A self-issued certificate (every root) names itself twice: one decoding for both.
    this.subject = bytesEqual(derBytes(t.subject), this.issuer.der) ? this.issuer : parseDistinguishedName(t.subject);
    this.notBefore = derTime(t.notBefore);
    this.notAfter = derTime(t.notAfter);
    this.spki = derBytes(derExpect(t.spki, TAG.SEQUENCE, 'subjectPublicKeyInfo'));
    const [spkiAlg, keyBits] = derChildren(t.spki);
    if (!spkiAlg || !keyBits) throw fail('SubjectPublicKeyInfo is incomplete', t.spki.start);
    this.publicKeyAlgorithm = parseAlgorithmIdentifier(derBytes(spkiAlg)).oid;
    this.publicKey = derContent(derExpect(keyBits, TAG.BIT_STRING, 'subjectPublicKey')).subarray(1);
    let extensions: Extension[] = [];
    let problem: FormatError | undefined;
    const note = (e: unknown) => void (problem ??= asCertificateError(e));
    try {
      if (extra) throw fail('Certificate must have three fields');
      const inner = parseAlgorithmIdentifier(derBytes(t.innerAlgorithm));
      if (inner.oid !== this.signatureAlgorithm.oid || !sameParameters(inner, this.signatureAlgorithm)) {
        throw fail('signature algorithm in TBSCertificate differs from the outer one');
      }
      parseSubjectPublicKeyInfo(this.spki); // a certificate whose key cannot be read is malformed
    } catch (e) {
      note(e);
    }
    try {
      if (t.extensions) extensions = parseExtensions(t.extensions);
    } catch (e) {
      note(e);
    }
    // Decode what can be decoded, so a listing still shows the key identifier of a certificate with one bad extension.
    Object.assign(this, decodeExtensionFields(extensions, note));
    if (problem) this.problem = problem;
    this.extensions = extensions;
  }

  /** @internal Decodes (or returns the cached) certificate for this DER. */
  static decode(der: Uint8Array, identity: object = der): Certificate {
    // The same array again (what callers hold on to; `identity` when `der` is a fresh view of it) skips the
    // SHA-256: comparing with the private copy is cheaper and still notices an array changed in place.
    const known = byArray.get(identity);
    if (known && bytesEqual(known.der, der)) {
      if (cache.get(known.fingerprint) !== known) remember(known); // dropped from the LRU meanwhile: back in
      return known;
    }
    const cert = Certificate.decodeByFingerprint(der);
    byArray.set(identity, cert);
    return cert;
  }

  private static decodeByFingerprint(der: Uint8Array): Certificate {
    const fingerprint = toHex(sha256(der));
    const cached = cache.get(fingerprint);
    if (cached) {
      remember(cached);
      return cached;
    }
    let cert: Certificate;
    try {
      cert = new Certificate(der.slice(), fingerprint);
    } catch (e) {
      throw asCertificateError(e);
    }
    remember(cert);
    return cert;
  }

  /**
   * Every e-mail address the certificate names: its rfc822Name subjectAltNames, then emailAddress attributes of
   * the subject. For listing and address-book filing; the address a signature vouches for is `smimeAddresses`.
   */
  get emailAddresses(): readonly string[] {
    if (!this.#emails) {
      const fromSan = (this.subjectAltNames ?? []).flatMap((n) => (n.type === 'rfc822' ? [n.value] : []));
      this.#emails = [...new Set([...fromSan, ...emailAddressesInName(this.subject)])];
    }
    return this.#emails;
  }

  /**
   * The addresses the certificate is for, as RFC 8550 §3 reads them: its rfc822Name subjectAltNames, or the
   * subject's emailAddress attributes only when there are none (a subject address next to SANs is not vouched for).
   */
  get smimeAddresses(): readonly string[] {
    const fromSan = (this.subjectAltNames ?? []).flatMap((n) => (n.type === 'rfc822' ? [n.value] : []));
    return [...new Set(fromSan.length > 0 ? fromSan : emailAddressesInName(this.subject))];
  }

  /** Lowercase hex fingerprints of the DER (SHA-1 for display next to Windows and Outlook only). */
  get fingerprints(): { sha1: string; sha256: string } {
    return { sha1: toHex(sha1(this.der)), sha256: this.fingerprint };
  }

  /** A copy of the DER. */
  toDer(): Uint8Array {
    return this.der.slice();
  }

  /** PEM text (`-----BEGIN CERTIFICATE-----`). */
  toPem(): string {
    return encodePem('CERTIFICATE', this.der);
  }

  /** `subject (serial …)`, for reports. */
  toString(): string {
    return describeCertificate(this);
  }
}

const CACHE_SIZE = 4096;
const cache = new Map<string, Certificate>();
/** Certificates by the array they were decoded from (entries go with the arrays). */
const byArray = new WeakMap<object, Certificate>();

/** Puts (back) a certificate last in the LRU order of `cache`, dropping the oldest beyond CACHE_SIZE. */
function remember(cert: Certificate): void {
  cache.delete(cert.fingerprint);
  cache.set(cert.fingerprint, cert);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

function asCertificateError(e: unknown): FormatError {
  if (e instanceof FormatError && e.code === 'malformed-certificate') return e;
  const message = e instanceof SmimeError || e instanceof Error ? e.message : String(e);
  return new FormatError('malformed-certificate', `not a valid X.509 certificate: ${message}`, { cause: e });
}

/**
 * Decodes a certificate given as DER, PEM, a `Certificate`, or an object
 * carrying its DER (`@peculiar/x509`'s `rawData`, `{ der }`, `{ raw }`), and
 * checks it is a well-formed RFC 5280 certificate, including the values of the
 * extensions path validation relies on.
 *
 * @throws FormatError `malformed-certificate`; ArgumentError `bad-argument` for input that is no certificate at all
 */
export function parseCertificate(input: CertificateInput | Certificate): Certificate {
  const cert = readCertificate(input);
  if (cert.problem) throw cert.problem;
  return cert;
}

/**
 * Like {@link parseCertificate}, but keeps a certificate whose basic fields
 * (names, serial, validity, key) can be read even when an extension is
 * malformed; `problem` says what is wrong. For listing stores and directories,
 * which must show what they hold.
 */
export function readCertificate(input: CertificateInput | Certificate): Certificate {
  if (input instanceof Certificate) return input;
  // Binary input that is not PEM goes to the decoder as is, so junk is `malformed-certificate`.
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const bytes = toBytes(input, 'certificate');
    if (!looksLikePem(bytes)) return Certificate.decode(bytes, input);
  }
  return Certificate.decode(certificateDer(input));
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
