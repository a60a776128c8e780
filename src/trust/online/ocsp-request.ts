/**
 * OCSP requests (RFC 6960 §4.1): the CertID of a certificate, an unsigned OCSPRequest for it, optionally with a
 * nonce (RFC 8954), and the GET form of the request (RFC 6960 Appendix A.1, RFC 5019 §5).
 */
import { ArgumentError } from '../../errors.js';
import { NULL, algorithmId, encodeOid, octets, seq, tlv } from '../../asn1/index.js';
import { OID, type DigestName } from '../../crypto/algorithms.js';
import { randomBytes } from '../../crypto/engine.js';
import { digest } from '../../crypto/verify-signature.js';
import { fromHex, toBase64 } from '../../util/bytes.js';
import type { Certificate } from '../../x509/index.js';

/** id-pkix-ocsp-nonce (RFC 6960 §4.4.1). */
export const OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';

/** The CertID hashes this module writes. */
export type OcspHashName = 'sha1' | 'sha256';

const HASHES: Record<OcspHashName, { oid: string; digest: DigestName }> = {
  sha1: { oid: OID.sha1, digest: 'SHA-1' },
  sha256: { oid: OID.sha256, digest: 'SHA-256' },
};

/** The CertID of a request (RFC 6960 §4.1.1): which certificate, by its issuer's name and key hashes and serial. */
export interface CertId {
  hashAlgorithm: OcspHashName;
  /** Hash of the DER of the certificate's issuer name. */
  issuerNameHash: Uint8Array;
  /** Hash of the issuer's subjectPublicKey BIT STRING value (without tag, length and unused-bits octet). */
  issuerKeyHash: Uint8Array;
  serialNumber: bigint;
  /** DER of the CertID. */
  der: Uint8Array;
}

/** Options of {@link createOcspRequest}. */
export interface OcspRequestOptions {
  /** CertID hash; default `sha1`: what every responder indexes (RFC 5019 §2.1.1). */
  hash?: OcspHashName;
  /**
   * Send a nonce (RFC 8954): `true` for 32 random bytes, or the nonce itself (1 to 32 bytes). Default false: the
   * RFC 5019 caching profile, whose pre-signed answers cannot echo one.
   */
  nonce?: boolean | Uint8Array;
}

/** An encoded request and what its answer must match. */
export interface OcspRequest {
  /** DER of the OCSPRequest. */
  der: Uint8Array;
  certId: CertId;
  /** The nonce sent, when one was. */
  nonce?: Uint8Array;
}

/**
 * Issuer name hash and issuer key hash of `certificate` with any digest (responses may use other hashes than the
 * request did). The name hashed is the certificate's issuer field, exactly as encoded in it.
 */
export async function certIdHashes(
  certificate: Certificate,
  issuer: Certificate,
  hash: DigestName,
): Promise<{ issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array }> {
  const [issuerNameHash, issuerKeyHash] = await Promise.all([
    digest(hash, certificate.issuer.der),
    digest(hash, issuer.publicKey),
  ]);
  return { issuerNameHash, issuerKeyHash };
}

/**
 * The CertID of `certificate` issued by `issuer`.
 *
 * @throws ArgumentError `bad-argument` when `issuer` is not named as the certificate's issuer
 */
export async function certIdFor(
  certificate: Certificate,
  issuer: Certificate,
  hash: OcspHashName = 'sha1',
): Promise<CertId> {
  const algorithm = HASHES[hash];
  if (!algorithm) throw new ArgumentError('bad-argument', `OCSP CertID hash must be "sha1" or "sha256", not ${hash}`);
  if (certificate.issuer.key !== issuer.subject.key) {
    throw new ArgumentError(
      'bad-argument',
      `${issuer.subject.text} is not the issuer of ${certificate.subject.text} (issued by ${certificate.issuer.text})`,
      { details: { subject: certificate.subject.text } },
    );
  }
  const { issuerNameHash, issuerKeyHash } = await certIdHashes(certificate, issuer, algorithm.digest);
  // The serial's INTEGER content as the certificate encodes it, so the responder sees the very same number.
  const der = seq(
    algorithmId(algorithm.oid, NULL), // with NULL parameters, as OpenSSL and Windows write it
    octets(issuerNameHash),
    octets(issuerKeyHash),
    tlv(0x02, fromHex(certificate.serialHex)),
  );
  return { hashAlgorithm: hash, issuerNameHash, issuerKeyHash, serialNumber: certificate.serialNumber, der };
}

function nonceOf(option: OcspRequestOptions['nonce']): Uint8Array | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return randomBytes(32);
  if (!(option instanceof Uint8Array) || option.length < 1 || option.length > 32) {
    throw new ArgumentError('bad-argument', 'an OCSP nonce must be 1 to 32 bytes (RFC 8954)');
  }
  return option.slice();
}

/**
 * An unsigned OCSP request for one certificate.
 *
 * @example
 * ```ts
 * const request = await createOcspRequest(cert, issuer, { nonce: true });
 * const answer = await fetch(url, { method: 'POST', body: request.der, headers: { 'content-type': 'application/ocsp-request' } });
 * ```
 * @throws ArgumentError `bad-argument` for an issuer that did not issue the certificate, or a bad nonce
 */
export async function createOcspRequest(
  certificate: Certificate,
  issuer: Certificate,
  options: OcspRequestOptions = {},
): Promise<OcspRequest> {
  const certId = await certIdFor(certificate, issuer, options.hash ?? 'sha1');
  const nonce = nonceOf(options.nonce);
  const request = seq(certId.der);
  // RFC 8954 §2.1: the extnValue holds the DER of `Nonce ::= OCTET STRING`.
  const extensions = nonce ? [tlv(0xa2, seq(seq(encodeOid(OCSP_NONCE), octets(octets(nonce)))))] : [];
  const der = seq(seq(seq(request), ...extensions));
  return nonce ? { der, certId, nonce } : { der, certId };
}

/**
 * The URL of an HTTP GET request (RFC 6960 Appendix A.1): the base64 of the DER, URL-encoded, after a `/`.
 * RFC 5019 §5 asks for GET when the whole URL is at most 255 bytes, so that caches can serve it.
 */
export function ocspGetUrl(responderUrl: string, requestDer: Uint8Array): string {
  const separator = responderUrl.endsWith('/') ? '' : '/';
  return `${responderUrl}${separator}${encodeURIComponent(toBase64(requestDer))}`;
}
