/**
 * SignedData (RFC 5652 §5) decoding with the project's offset-preserving BER
 * reader: nothing is re-encoded, so the signed attributes and the
 * encapsulated content are hashed exactly as received. Works on BER
 * (indefinite lengths, constructed OCTET STRINGs) and on very large messages
 * without asn1js' default limits; the limits here are explicit and configurable.
 */
import { FormatError, LimitError } from '../errors.js';
import { toHex } from '../util/bytes.js';
import { parseAlgorithmIdentifier, type AlgorithmIdentifier } from '../x509/algorithm.js';
import { DEFAULT_CMS_LIMITS, type CmsLimits } from './limits.js';
import { ATTRIBUTE, parseAttributes, type CmsAttribute } from './attributes.js';
import { CONTENT_TYPE, parseContentInfo } from './content-info.js';
import { looksLikePem } from '../util/pem.js';
import {
  type DerNode,
  TAG,
  derRead,
  derChildren,
  derContent,
  derBytes,
  derIsUniversal,
  derIsContext,
  decodeOid,
  decodeInteger,
  tlv,
} from '../asn1/index.js';
import { octetStringValue } from './octets.js';

const COUNTERSIGNATURE = ATTRIBUTE.countersignature;

/** How a SignerInfo names its certificate. */
export type SignerIdentifier =
  | { type: 'issuerAndSerialNumber'; issuer: Uint8Array; serialNumber: Uint8Array; serialHex: string }
  | { type: 'subjectKeyIdentifier'; keyIdentifier: Uint8Array };

/** One decoded SignerInfo. */
export interface SignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  /** Signed attributes, when present. */
  signedAttributes?: CmsAttribute[];
  /**
   * The bytes the signature covers when signed attributes are present: the
   * `[0] IMPLICIT` element as received with its tag changed to SET (0x31).
   */
  signedAttributesDer?: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  unsignedAttributes?: CmsAttribute[];
  /** The whole SignerInfo TLV. */
  der: Uint8Array;
}

/** A decoded SignedData. */
export interface SignedData {
  version: number;
  digestAlgorithms: AlgorithmIdentifier[];
  /** encapContentInfo.eContentType. */
  contentType: string;
  /** The encapsulated content octets (constructed OCTET STRING chunks joined); undefined when detached. */
  content?: Uint8Array;
  /** Certificates carried in the message (DER), in order. Attribute and other certificate formats are skipped. */
  certificates: Uint8Array[];
  /** CRLs carried in the message (DER). */
  crls: Uint8Array[];
  signerInfos: SignerInfo[];
}

function fail(message: string, offset?: number): FormatError {
  return new FormatError('malformed-cms', message, offset === undefined ? undefined : { offset });
}

function smallInt(bytes: Uint8Array, node: DerNode | undefined, what: string): number {
  if (!node || !derIsUniversal(node, TAG.INTEGER)) throw fail(`${what}: expected INTEGER`, node?.start);
  const v = decodeInteger(derContent(node));
  if (v < 0n || v > 1000n) throw fail(`${what}: unexpected value`, node.start);
  return Number(v);
}

function algorithm(bytes: Uint8Array, node: DerNode | undefined, what: string): AlgorithmIdentifier {
  if (!node || !derIsUniversal(node, TAG.SEQUENCE)) throw fail(`${what}: expected AlgorithmIdentifier`, node?.start);
  return parseAlgorithmIdentifier(derBytes(node));
}

function signedAttributesBytes(bytes: Uint8Array, node: DerNode): Uint8Array {
  // The signature covers the DER SET: the received element with tag 0x31. A BER
  // (indefinite-length) encoding is re-wrapped with a definite length.
  if (node.indefinite || node.nonMinimalLength) return tlv(0x31, derContent(node));
  const out = derBytes(node).slice();
  out[0] = 0x31;
  return out;
}

function parseSignerInfo(bytes: Uint8Array, node: DerNode): SignerInfo {
  if (!derIsUniversal(node, TAG.SEQUENCE)) throw fail('SignerInfo: expected SEQUENCE', node.start);
  const kids = derChildren(node);
  let i = 0;
  const version = smallInt(bytes, kids[i++], 'SignerInfo.version');
  const sidNode = kids[i++];
  if (!sidNode) throw fail('SignerInfo: missing sid', node.start);
  let sid: SignerIdentifier;
  if (derIsUniversal(sidNode, TAG.SEQUENCE)) {
    const [issuer, serial] = derChildren(sidNode);
    if (!issuer || !serial || !derIsUniversal(issuer, TAG.SEQUENCE) || !derIsUniversal(serial, TAG.INTEGER))
      throw fail('IssuerAndSerialNumber: bad structure', sidNode.start);
    const serialNumber = derContent(serial);
    sid = { type: 'issuerAndSerialNumber', issuer: derBytes(issuer), serialNumber, serialHex: toHex(serialNumber) };
  } else if (derIsContext(sidNode, 0)) {
    // [0] IMPLICIT SubjectKeyIdentifier (OCTET STRING); tolerate a constructed form.
    const keyIdentifier = sidNode.constructed ? octetStringValue(sidNode, { nodes: 64 }) : derContent(sidNode);
    sid = { type: 'subjectKeyIdentifier', keyIdentifier };
  } else throw fail('SignerInfo: unknown SignerIdentifier', sidNode.start);
  const digestAlgorithm = algorithm(bytes, kids[i++], 'SignerInfo.digestAlgorithm');
  const info: Partial<SignerInfo> = { version, sid, digestAlgorithm, der: derBytes(node) };
  let next = kids[i];
  if (next && derIsContext(next, 0)) {
    const setDer = signedAttributesBytes(bytes, next);
    info.signedAttributesDer = setDer;
    info.signedAttributes = parseAttributes(setDer);
    next = kids[++i];
  }
  info.signatureAlgorithm = algorithm(bytes, next, 'SignerInfo.signatureAlgorithm');
  const sigNode = kids[++i];
  if (!sigNode || !derIsUniversal(sigNode, TAG.OCTET_STRING)) throw fail('SignerInfo: missing signature', node.start);
  info.signature = octetStringValue(sigNode, { nodes: 64 });
  const unsigned = kids[i + 1];
  if (unsigned && derIsContext(unsigned, 1)) info.unsignedAttributes = parseAttributes(derBytes(unsigned));
  return info as SignerInfo;
}

/** Decodes one SignerInfo from its DER (e.g. a countersignature attribute value). */
export function parseSignerInfoDer(der: Uint8Array): SignerInfo {
  try {
    return parseSignerInfo(der, derRead(der, 0));
  } catch (e) {
    if (e instanceof FormatError && e.code !== 'malformed-der') throw e;
    throw fail(`malformed SignerInfo: ${(e as Error).message}`);
  }
}

/**
 * Decodes a SignedData from a ContentInfo (DER/BER or PEM) or from the bare
 * SignedData SEQUENCE.
 *
 * @throws {FormatError} `malformed-cms`, `not-signed-data`
 * @throws {LimitError} `cms-limit-exceeded` (`maxContentLength`, `maxNodes`), `limit-exceeded` (`maxSigners`:
 *   more SignerInfos plus countersignatures than allowed, refused before any signature is checked;
 *   `maxCertificates`: more certificates and CRLs carried than allowed)
 */
export function parseSignedData(input: Uint8Array, limits: CmsLimits = {}): SignedData {
  const lim = { ...DEFAULT_CMS_LIMITS, ...limits };
  if (input.length > lim.maxContentLength) {
    throw new LimitError(
      'cms-limit-exceeded',
      `CMS structure of ${input.length} bytes exceeds the limit of ${lim.maxContentLength} bytes`,
      { details: { limit: 'maxContentLength', value: lim.maxContentLength } },
    );
  }
  let bytes = input;
  let root: DerNode;
  if (looksLikePem(input)) bytes = input = parseContentInfo(input).der;
  try {
    root = derRead(bytes, 0);
    const first = derChildren(root)[0];
    if (first && derIsUniversal(first, TAG.OID)) {
      const ci = parseContentInfo(input);
      if (ci.contentType !== CONTENT_TYPE.signedData) {
        throw new FormatError('not-signed-data', `the CMS content is ${ci.name ?? ci.contentType}, not signedData`);
      }
      bytes = ci.content;
      root = derRead(bytes, 0);
    }
  } catch (e) {
    if (e instanceof FormatError && e.code !== 'malformed-der') throw e;
    throw fail(`not a CMS SignedData: ${(e as Error).message}`);
  }
  try {
    return parseSignedDataNode(bytes, root, { nodes: lim.maxNodes, maxNodes: lim.maxNodes }, lim);
  } catch (e) {
    if (e instanceof FormatError && e.code !== 'malformed-der') throw e;
    throw fail(`malformed SignedData: ${(e as Error).message}`);
  }
}

function parseSignedDataNode(
  bytes: Uint8Array,
  root: DerNode,
  budget: { nodes: number; maxNodes: number },
  limits: Required<CmsLimits>,
): SignedData {
  if (!derIsUniversal(root, TAG.SEQUENCE)) throw fail('SignedData: expected SEQUENCE', root.start);
  const kids = derChildren(root);
  let i = 0;
  const version = smallInt(bytes, kids[i++], 'SignedData.version');
  const digestSet = kids[i++];
  if (!digestSet || !derIsUniversal(digestSet, TAG.SET)) throw fail('SignedData: missing digestAlgorithms', root.start);
  const digestAlgorithms = derChildren(digestSet).map((n) => algorithm(bytes, n, 'digestAlgorithms'));
  const encap = kids[i++];
  if (!encap || !derIsUniversal(encap, TAG.SEQUENCE)) throw fail('SignedData: missing encapContentInfo', root.start);
  const [typeNode, explicit, extra] = derChildren(encap);
  if (!typeNode || !derIsUniversal(typeNode, TAG.OID))
    throw fail('encapContentInfo: missing eContentType', encap.start);
  if (extra) throw fail('encapContentInfo: unexpected element', extra.start);
  const out: SignedData = {
    version,
    digestAlgorithms,
    contentType: decodeOid(derContent(typeNode), typeNode.start),
    certificates: [],
    crls: [],
    signerInfos: [],
  };
  if (explicit) {
    if (!derIsContext(explicit, 0)) throw fail('encapContentInfo: unexpected element', explicit.start);
    // [0] EXPLICIT holds exactly one value: an empty one is not a detached signature (that has no [0] at all).
    const [value, more] = derChildren(explicit);
    if (!value) throw fail('encapContentInfo: eContent [0] is empty', explicit.start);
    if (more) throw fail('encapContentInfo: eContent [0] holds more than one value', more.start);
    if (derIsUniversal(value, TAG.OCTET_STRING)) out.content = octetStringValue(value, budget);
    // PKCS#7 v1.5 allowed `content ANY` for types other than data (RFC 5652 §5.2.1): the signature covers the
    // contents octets. id-data content is an OCTET STRING in both.
    else if (out.contentType === CONTENT_TYPE.data)
      throw fail('encapContentInfo: eContent of id-data is not an OCTET STRING', value.start);
    else out.content = derContent(value);
  }
  let next = kids[i];
  let carried = 0;
  if (next && derIsContext(next, 0)) {
    const certs = derChildren(next);
    checkCount((carried += certs.length), limits.maxCertificates, 'maxCertificates', 'certificates and CRLs', next);
    for (const c of certs) if (derIsUniversal(c, TAG.SEQUENCE)) out.certificates.push(derBytes(c));
    next = kids[++i];
  }
  if (next && derIsContext(next, 1)) {
    const crls = derChildren(next);
    checkCount(carried + crls.length, limits.maxCertificates, 'maxCertificates', 'certificates and CRLs', next);
    for (const c of crls) if (derIsUniversal(c, TAG.SEQUENCE)) out.crls.push(derBytes(c));
    next = kids[i + 1];
  }
  if (!next || !derIsUniversal(next, TAG.SET)) throw fail('SignedData: missing signerInfos', root.start);
  const signerNodes = derChildren(next);
  checkCount(signerNodes.length, limits.maxSigners, 'maxSigners', SIGNATURES, next);
  if ((budget.nodes -= signerNodes.length) < 0)
    throw new LimitError('cms-limit-exceeded', 'too many SignerInfos', {
      offset: next.start,
      details: { limit: 'maxNodes', value: budget.maxNodes },
    });
  out.signerInfos = signerNodes.map((n) => parseSignerInfo(bytes, n));
  const countersignatures = out.signerInfos.reduce((n, si) => n + countersignatureCount(si), 0);
  checkCount(out.signerInfos.length + countersignatures, limits.maxSigners, 'maxSigners', SIGNATURES, next);
  return out;
}

/** Values of the countersignature attributes of a SignerInfo (each one more signature to verify). */
function countersignatureCount(si: SignerInfo): number {
  let n = 0;
  for (const a of si.unsignedAttributes ?? []) if (a.oid === COUNTERSIGNATURE) n += a.values.length;
  return n;
}

const SIGNATURES = 'signatures (SignerInfos and countersignatures)';

/**
 * Refuses more items than a count limit before any is decoded or verified: each signature costs a public-key
 * operation and a chain validation, each certificate a decoding, and a message can carry thousands of copies.
 */
function checkCount(count: number, max: number, limit: 'maxSigners' | 'maxCertificates', what: string, at: DerNode) {
  if (count > max)
    throw new LimitError('limit-exceeded', `the SignedData carries ${count} ${what}, more than ${limit} (${max})`, {
      offset: at.start,
      details: { limit, value: max },
    });
}
