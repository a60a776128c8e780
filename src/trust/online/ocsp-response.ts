/**
 * Decoding of OCSP responses (RFC 6960 §4.2.1): the outer OCSPResponse and the BasicOCSPResponse inside it. Only
 * structure here; whether a response can be relied on is ocsp-verify.ts. Offsets in errors are positions in the
 * bytes given.
 */
import { FormatError, SmimeError } from '../../errors.js';
import {
  TAG,
  derBigInt,
  derBytes,
  derChildren,
  derContent,
  derIsContext,
  derIsUniversal,
  derOctets,
  derOid,
  derParse,
  derRead,
  derSequence,
  derTime,
  type DerNode,
} from '../../asn1/index.js';
import { digestAlgorithm, type DigestName } from '../../crypto/algorithms.js';
import { toBytes } from '../../util/bytes.js';
import {
  parseAlgorithmIdentifier,
  parseCertificate,
  parseDistinguishedName,
  parseExtensions,
  type AlgorithmIdentifier,
  type Certificate,
  type DistinguishedName,
  type Extension,
} from '../../x509/index.js';
import { OCSP_NONCE } from './ocsp-request.js';

/** id-pkix-ocsp-basic: the only response type RFC 6960 defines. */
export const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';

/** OCSPResponseStatus names (RFC 6960 §4.2.1); 4 is not used. */
export const OCSP_RESPONSE_STATUS: Readonly<Record<number, string>> = {
  0: 'successful',
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

/** A CertID as a response states it. */
export interface ResponseCertId {
  /** OID of the hash algorithm. */
  hashAlgorithm: string;
  /** The hash's name, when smimekit knows it. */
  hashName?: DigestName;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  serialNumber: bigint;
  /** DER of the CertID. */
  der: Uint8Array;
}

/** One SingleResponse: the status of one certificate. */
export interface SingleOcspResponse {
  certId: ResponseCertId;
  status: 'good' | 'revoked' | 'unknown';
  revocationTime?: Date;
  /** CRLReason (RFC 5280 §5.3.1), when the responder gave one. */
  revocationReason?: number;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** singleExtensions, raw. */
  extensions: Extension[];
}

/** Who signed a response: the responder's name, or the SHA-1 of its subjectPublicKey. */
export type ResponderId = { byName: DistinguishedName } | { byKey: Uint8Array };

/** A BasicOCSPResponse. */
export interface BasicOcspResponse {
  /** The signed ResponseData, exactly as received. */
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  /** Signature value (BIT STRING content without the unused-bits octet). */
  signature: Uint8Array;
  /** Unused-bits octet of the signature BIT STRING; anything but 0 makes the signature invalid. */
  signatureUnusedBits: number;
  responderId: ResponderId;
  producedAt: Date;
  responses: SingleOcspResponse[];
  /** The nonce (RFC 8954), unwrapped from its OCTET STRING when it is wrapped, else the raw extnValue. */
  nonce?: Uint8Array;
  /** responseExtensions, raw. */
  extensions: Extension[];
  /** The certificates the responder sent (usually its own). */
  certificates: Certificate[];
}

/** A decoded OCSPResponse. */
export interface OcspResponse {
  /** OCSPResponseStatus: 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized. */
  responseStatus: number;
  /** Present when successful. */
  basic?: BasicOcspResponse;
  /** The DER given. */
  der: Uint8Array;
}

function fail(message: string, offset: number): FormatError {
  return new FormatError('malformed-ocsp', message, { offset });
}

/** GeneralizedTime only (RFC 6960 §4.2.1): a UTCTime is not a valid OCSP time. */
function generalizedTime(node: DerNode | undefined, what: string, at: number): Date {
  if (!node || !derIsUniversal(node, TAG.GeneralizedTime)) throw fail(`${what}: expected a GeneralizedTime`, at);
  return derTime(node);
}

/** The one element inside an EXPLICIT tag. */
function explicitInner(node: DerNode, what: string): DerNode {
  const kids = node.constructed ? derChildren(node) : [];
  if (kids.length !== 1) throw fail(`${what}: expected one element inside [${node.tag}]`, node.start);
  return kids[0]!;
}

function parseCertId(node: DerNode | undefined): ResponseCertId {
  const [alg, nameHash, keyHash, serial, extra] = derSequence(node, 'CertID', 4);
  if (extra) throw fail('CertID: too many elements', extra.start);
  const hashAlgorithm = derOid(derSequence(alg, 'CertID hashAlgorithm', 1)[0], 'CertID hashAlgorithm');
  const hashName = digestAlgorithm(hashAlgorithm)?.name;
  const certId: ResponseCertId = {
    hashAlgorithm,
    issuerNameHash: derOctets(nameHash, 'issuerNameHash'),
    issuerKeyHash: derOctets(keyHash, 'issuerKeyHash'),
    serialNumber: derBigInt(serial, 'CertID serialNumber'),
    der: derBytes(node!), // derSequence checked it
  };
  return hashName ? { ...certId, hashName } : certId;
}

/** CertStatus CHOICE: good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL. */
function parseCertStatus(node: DerNode): Pick<SingleOcspResponse, 'status' | 'revocationTime' | 'revocationReason'> {
  if (derIsContext(node, 0) && !node.constructed && node.contentEnd === node.contentStart) return { status: 'good' };
  if (derIsContext(node, 2) && !node.constructed && node.contentEnd === node.contentStart) return { status: 'unknown' };
  if (!derIsContext(node, 1) || !node.constructed) throw fail('certStatus: not good, revoked or unknown', node.start);
  const [time, reasonNode, extra] = derChildren(node);
  if (extra) throw fail('RevokedInfo: too many elements', extra.start);
  const revocationTime = generalizedTime(time, 'revocationTime', node.start);
  if (!reasonNode) return { status: 'revoked', revocationTime };
  if (!derIsContext(reasonNode, 0)) throw fail('RevokedInfo: unexpected element', reasonNode.start);
  const reason = explicitInner(reasonNode, 'revocationReason');
  if (!derIsUniversal(reason, TAG.ENUMERATED) || reason.constructed || reason.contentEnd - reason.contentStart !== 1) {
    throw fail('revocationReason: expected a CRLReason ENUMERATED', reason.start);
  }
  return { status: 'revoked', revocationTime, revocationReason: derContent(reason)[0]! };
}

function parseSingleResponse(node: DerNode): SingleOcspResponse {
  const [certIdNode, statusNode, thisNode, ...rest] = derSequence(node, 'SingleResponse', 3);
  const single: SingleOcspResponse = {
    certId: parseCertId(certIdNode),
    ...parseCertStatus(statusNode!),
    thisUpdate: generalizedTime(thisNode, 'thisUpdate', node.start),
    extensions: [],
  };
  let i = 0;
  if (rest[i] && derIsContext(rest[i]!, 0)) {
    single.nextUpdate = generalizedTime(explicitInner(rest[i]!, 'nextUpdate'), 'nextUpdate', rest[i]!.start);
    i++;
  }
  if (rest[i] && derIsContext(rest[i]!, 1))
    single.extensions = parseExtensions(explicitInner(rest[i++]!, 'singleExtensions'));
  if (rest[i]) throw fail('SingleResponse: unexpected element', rest[i]!.start);
  return single;
}

function parseResponderId(node: DerNode | undefined, at: number): ResponderId {
  if (node && derIsContext(node, 1))
    return { byName: parseDistinguishedName(explicitInner(node, 'responderID byName')) };
  if (node && derIsContext(node, 2)) return { byKey: derOctets(explicitInner(node, 'responderID byKey'), 'KeyHash') };
  throw fail('responderID: expected byName [1] or byKey [2]', node?.start ?? at);
}

/** The nonce inside an extnValue: RFC 8954's OCTET STRING, or the raw value some responders send. */
export function nonceValue(extnValue: Uint8Array): Uint8Array {
  try {
    const node = derParse(extnValue);
    if (derIsUniversal(node, TAG.OCTET_STRING) && !node.constructed) return derContent(node);
  } catch {
    // not DER: the raw form
  }
  return extnValue;
}

type ResponseData = Omit<
  BasicOcspResponse,
  'tbs' | 'signatureAlgorithm' | 'signature' | 'signatureUnusedBits' | 'certificates'
>;

function parseResponseData(node: DerNode): ResponseData {
  const fields = derSequence(node, 'ResponseData', 3);
  let i = 0;
  if (derIsContext(fields[0]!, 0)) {
    const version = derBigInt(explicitInner(fields[0]!, 'version'), 'version');
    if (version !== 0n) throw fail(`ResponseData version ${version + 1n} is not supported`, fields[0]!.start);
    i++;
  }
  const responderId = parseResponderId(fields[i++], node.start);
  const producedAt = generalizedTime(fields[i++], 'producedAt', node.start);
  const responses = derSequence(fields[i++], 'responses').map(parseSingleResponse);
  let extensions: Extension[] = [];
  const extNode = fields[i];
  if (extNode && derIsContext(extNode, 1)) {
    extensions = parseExtensions(explicitInner(extNode, 'responseExtensions'));
    i++;
  }
  if (fields[i]) throw fail('ResponseData: unexpected element', fields[i]!.start);
  if (responses.length === 0) throw fail('ResponseData: no SingleResponse', node.start);
  const data: ResponseData = { responderId, producedAt, responses, extensions };
  const nonce = extensions.find((e) => e.oid === OCSP_NONCE);
  if (nonce) data.nonce = nonceValue(nonce.value);
  return data;
}

function parseCertificates(node: DerNode | undefined): Certificate[] {
  if (!node) return [];
  if (!derIsContext(node, 0)) throw fail('BasicOCSPResponse: unexpected element', node.start);
  return derSequence(explicitInner(node, 'certs'), 'certs').map((c) => {
    try {
      return parseCertificate(derBytes(c));
    } catch (e) {
      throw fail(`a certificate in the response is malformed: ${e instanceof Error ? e.message : String(e)}`, c.start);
    }
  });
}

function parseBasic(node: DerNode): BasicOcspResponse {
  const [tbsNode, algNode, sigNode, certsNode, extra] = derSequence(node, 'BasicOCSPResponse', 3);
  if (extra) throw fail('BasicOCSPResponse: too many elements', extra.start);
  if (
    !derIsUniversal(sigNode!, TAG.BIT_STRING) ||
    sigNode!.constructed ||
    sigNode!.contentEnd === sigNode!.contentStart
  )
    throw fail('signature: expected a BIT STRING', sigNode!.start);
  const sigBits = derContent(sigNode!);
  let signatureAlgorithm: AlgorithmIdentifier;
  try {
    signatureAlgorithm = parseAlgorithmIdentifier(derBytes(algNode!));
  } catch (e) {
    throw fail(`signatureAlgorithm: ${e instanceof Error ? e.message : String(e)}`, algNode!.start);
  }
  return {
    tbs: derBytes(tbsNode!),
    signatureAlgorithm,
    signature: sigBits.subarray(1),
    signatureUnusedBits: sigBits[0]!,
    ...parseResponseData(tbsNode!),
    certificates: parseCertificates(certsNode),
  };
}

function parseOuter(der: Uint8Array): OcspResponse {
  const [statusNode, bytesNode, extra] = derSequence(derParse(der), 'OCSPResponse', 1);
  if (extra) throw fail('OCSPResponse: too many elements', extra.start);
  if (
    !derIsUniversal(statusNode!, TAG.ENUMERATED) ||
    statusNode!.constructed ||
    statusNode!.contentEnd - statusNode!.contentStart !== 1
  )
    throw fail('responseStatus: expected an OCSPResponseStatus ENUMERATED', statusNode!.start);
  const responseStatus = derContent(statusNode!)[0]!;
  if (responseStatus !== 0) return { responseStatus, der }; // RFC 6960 §4.2.1: no responseBytes then; any are ignored
  if (!bytesNode || !derIsContext(bytesNode, 0))
    throw fail('a successful OCSPResponse has no responseBytes', statusNode!.end);
  const [typeNode, responseNode, more] = derSequence(explicitInner(bytesNode, 'responseBytes'), 'ResponseBytes', 2);
  if (more) throw fail('ResponseBytes: too many elements', more.start);
  const type = derOid(typeNode, 'responseType');
  if (type !== OCSP_BASIC) throw fail(`responseType ${type} is not id-pkix-ocsp-basic`, typeNode!.start);
  if (!derIsUniversal(responseNode!, TAG.OCTET_STRING))
    throw fail('response: expected an OCTET STRING', responseNode!.start);
  // Read in place when primitive (the usual case), so offsets stay positions in `der`.
  const basicNode = responseNode!.constructed
    ? derParse(derOctets(responseNode, 'response'))
    : derRead(der, responseNode!.contentStart, responseNode!.contentEnd);
  if (!responseNode!.constructed && basicNode.end !== responseNode!.contentEnd)
    throw fail('response: bytes after the BasicOCSPResponse', basicNode.end);
  return { responseStatus, basic: parseBasic(basicNode), der };
}

/**
 * Decodes a DER OCSPResponse. An unsuccessful response (responseStatus other than 0) decodes too, without `basic`:
 * {@link verifyOcspResponse} turns it into an `ocsp-error-response`.
 *
 * @throws FormatError `malformed-ocsp` (with the offset) for anything malformed, and for a responseType other
 *   than id-pkix-ocsp-basic
 */
export function parseOcspResponse(der: Uint8Array): OcspResponse {
  const bytes = toBytes(der, 'OCSP response');
  try {
    return parseOuter(bytes);
  } catch (e) {
    if (e instanceof FormatError && e.code === 'malformed-ocsp') throw e;
    const offset = e instanceof FormatError ? e.offset : undefined;
    const why = e instanceof SmimeError || e instanceof Error ? e.message : String(e);
    throw new FormatError('malformed-ocsp', `not a valid OCSP response: ${why}`, {
      ...(offset === undefined ? {} : { offset }),
      cause: e,
    });
  }
}
