/**
 * Trust material in the forms users have it: SST, PEM bundles, DER
 * certificates or CRLs, PKCS#7 certs-only (.p7b/.p7c), with format detection.
 */
import { FormatError } from '../errors.js';
import { fromBase64, latin1, toBytes, type BytesLike } from '../util/bytes.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import { parseSst, isSst } from './parse.js';
import type { SstLimits, SstStore } from './types.js';
import {
  type DerNode,
  TAG,
  derRead,
  derParse,
  derChildren,
  derContent,
  derBytes,
  derIsUniversal,
  derIsContext,
  decodeOid,
} from '../asn1/index.js';

/** DER bytes, or PEM / base64 text (string or bytes). */
export type CertificateSource = BytesLike | string;

export type TrustMaterialFormat = 'sst' | 'pem' | 'der-certificate' | 'der-crl' | 'pkcs7' | 'base64-sst' | 'base64-der';

export interface LoadedCertificates {
  format: TrustMaterialFormat;
  /** DER certificates in input order. For an SST, views into the input. */
  certificates: Uint8Array[];
  /** DER CRLs in input order. */
  crls: Uint8Array[];
  /** The parsed store, when the input was an SST (properties included). */
  sst?: SstStore;
  /** PEM labels that were skipped (e.g. `PRIVATE KEY`). */
  ignored: string[];
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
const CRL_LABELS = new Set(['X509 CRL']);
const P7_LABELS = new Set(['PKCS7', 'PKCS #7 SIGNED DATA', 'CMS']);

/** Certificates and CRLs of a PKCS#7 / CMS SignedData (certs-only or signed). */
export function extractPkcs7(bytes: Uint8Array): { certificates: Uint8Array[]; crls: Uint8Array[] } {
  const root = derParse(bytes);
  const [typeNode, explicit] = derChildren(root);
  if (!typeNode || !derIsUniversal(typeNode, TAG.OID))
    throw new FormatError('malformed-pkcs7', 'not a PKCS#7 ContentInfo');
  const type = decodeOid(derContent(typeNode), typeNode.start);
  if (type !== OID_SIGNED_DATA)
    throw new FormatError('malformed-pkcs7', `PKCS#7 content type ${type} is not signedData`);
  if (!explicit || !derIsContext(explicit, 0))
    throw new FormatError('malformed-pkcs7', 'PKCS#7 SignedData content is missing');
  const [signedData] = derChildren(explicit);
  if (!signedData || !derIsUniversal(signedData, TAG.SEQUENCE))
    throw new FormatError('malformed-pkcs7', 'PKCS#7 SignedData is not a SEQUENCE');
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const take = (set: DerNode, into: Uint8Array[]) => {
    // Only plain Certificate / CertificateList SEQUENCEs; other CHOICE arms (attribute certs, other formats) are skipped.
    for (const item of derChildren(set)) if (derIsUniversal(item, TAG.SEQUENCE)) into.push(derBytes(item));
  };
  for (const field of derChildren(signedData)) {
    if (derIsContext(field, 0) && field.constructed) take(field, certificates);
    else if (derIsContext(field, 1) && field.constructed) take(field, crls);
  }
  return { certificates, crls };
}

/** Tells certificate, CRL and ContentInfo apart by their first fields. */
function classifyDer(bytes: Uint8Array): 'certificate' | 'crl' | 'pkcs7' {
  const root = derParse(bytes);
  if (!derIsUniversal(root, TAG.SEQUENCE)) throw new FormatError('unsupported-format', 'DER input is not a SEQUENCE');
  const [first] = derChildren(root);
  if (!first) throw new FormatError('unsupported-format', 'DER input is an empty SEQUENCE');
  if (derIsUniversal(first, TAG.OID)) return 'pkcs7';
  if (!derIsUniversal(first, TAG.SEQUENCE))
    throw new FormatError('unsupported-format', 'DER input is neither a certificate, a CRL nor PKCS#7');
  const tbs = derChildren(first);
  // TBSCertificate starts with [0] version or the serial INTEGER followed by an AlgorithmIdentifier;
  // TBSCertList starts with an optional version INTEGER then AlgorithmIdentifier then issuer Name.
  if (tbs[0] && derIsContext(tbs[0], 0)) return 'certificate';
  const afterVersion =
    tbs[0] && derIsUniversal(tbs[0], TAG.INTEGER) && tbs[1] && derIsUniversal(tbs[1], TAG.SEQUENCE) ? 1 : 0;
  // Certificate v1: serial, sigAlg, issuer, validity(SEQUENCE of 2 times), ...; CRL: [version], sigAlg, issuer, thisUpdate(time)
  const candidate = tbs[afterVersion + 2];
  if (candidate && (derIsUniversal(candidate, TAG.UTCTime) || derIsUniversal(candidate, TAG.GeneralizedTime)))
    return 'crl';
  return 'certificate';
}

function loadDer(bytes: Uint8Array, format: TrustMaterialFormat | undefined): LoadedCertificates {
  const kind = classifyDer(bytes);
  if (kind === 'pkcs7') return { format: format ?? 'pkcs7', ...extractPkcs7(bytes), ignored: [] };
  if (kind === 'crl') return { format: format ?? 'der-crl', certificates: [], crls: [bytes], ignored: [] };
  return { format: format ?? 'der-certificate', certificates: [bytes], crls: [], ignored: [] };
}

function loadPem(bytes: Uint8Array | string): LoadedCertificates {
  const out: LoadedCertificates = { format: 'pem', certificates: [], crls: [], ignored: [] };
  for (const block of decodePem(bytes)) {
    if (CERT_LABELS.has(block.label)) {
      // OpenSSL's TRUSTED CERTIFICATE appends trust settings after the certificate: keep only the certificate TLV.
      const node = block.label === 'TRUSTED CERTIFICATE' ? derRead(block.der, 0) : derParse(block.der);
      out.certificates.push(block.der.subarray(node.start, node.end));
    } else if (CRL_LABELS.has(block.label)) {
      derParse(block.der);
      out.crls.push(block.der);
    } else if (P7_LABELS.has(block.label)) {
      const p7 = extractPkcs7(block.der);
      out.certificates.push(...p7.certificates);
      out.crls.push(...p7.crls);
    } else {
      out.ignored.push(block.label);
    }
  }
  return out;
}

const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;

/**
 * Loads certificates and CRLs from any supported container, detecting the
 * format from the bytes (never from a file name): SST, PEM (certificates,
 * CRLs, PKCS7 blocks; other blocks are listed in `ignored`), DER certificate,
 * DER CRL, DER PKCS#7 / CMS SignedData, or unarmoured base64 of SST / DER.
 *
 * @throws {FormatError} `unsupported-format` when nothing is recognised, or the
 *   parser's own code (`sst-*`, `malformed-der`, `malformed-pem`, `malformed-pkcs7`)
 *
 * @example
 * ```ts
 * const { certificates, crls, format } = loadCertificates(await readFile('roots.p7b'));
 * ```
 */
export function loadCertificates(source: CertificateSource, limits?: SstLimits): LoadedCertificates {
  if (typeof source === 'string') {
    if (source.includes('-----BEGIN ')) return loadPem(source);
    return loadBase64(source);
  }
  const bytes = toBytes(source, 'certificate data');
  if (bytes.length === 0) throw new FormatError('unsupported-format', 'input is empty');
  if (isSst(bytes)) {
    const sst = parseSst(bytes, limits);
    return {
      format: 'sst',
      certificates: sst.certificates.map((e) => e.der),
      crls: sst.crls.map((e) => e.der),
      sst,
      ignored: [],
    };
  }
  if (looksLikePem(bytes)) return loadPem(bytes);
  if (bytes[0] === 0x30) {
    try {
      return loadDer(bytes, undefined);
    } catch (e) {
      if (e instanceof FormatError && e.code !== 'unsupported-format') throw e;
      throw new FormatError('unsupported-format', `DER input not recognised: ${(e as Error).message}`, { cause: e });
    }
  }
  const text = latin1(bytes.subarray(0, 1 << 20));
  if (bytes.length < 1 << 20 && BASE64_TEXT.test(text)) return loadBase64(text);
  throw new FormatError('unsupported-format', 'input is not an SST, PEM, DER certificate/CRL or PKCS#7 file');
}

function loadBase64(text: string): LoadedCertificates {
  if (!BASE64_TEXT.test(text)) throw new FormatError('unsupported-format', 'text is neither PEM nor base64');
  const decoded = fromBase64(text);
  if (isSst(decoded)) {
    const sst = parseSst(decoded);
    return {
      format: 'base64-sst',
      certificates: sst.certificates.map((e) => e.der),
      crls: sst.crls.map((e) => e.der),
      sst,
      ignored: [],
    };
  }
  if (decoded[0] !== 0x30)
    throw new FormatError('unsupported-format', 'base64 text does not decode to an SST or DER structure');
  return loadDer(decoded, 'base64-der');
}
