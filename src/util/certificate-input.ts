/**
 * Certificates in every form users hold them: DER bytes, PEM text (string or
 * bytes), or an object from another library that carries its DER
 * (`@peculiar/x509`'s `X509Certificate.rawData`, PKI.js via `toSchema().toBER()`
 * is the caller's, `{ der }`/`{ raw }` objects). One function, so every API
 * that takes a certificate accepts the same inputs and explains the same errors.
 */
import { ArgumentError, FormatError } from '../errors.js';
import { bytesEqual, fromLatin1, toBytes, type BytesLike } from './bytes.js';
import { decodePem, looksLikePem } from './pem.js';

/** What certificate-taking APIs accept. */
export type CertificateInput = BytesLike | string | { der: BytesLike } | { raw: BytesLike } | { rawData: BytesLike };

const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);

/**
 * PEM already decoded, by the array the caller passed: a gateway passes the same recipient certificates with every
 * message, and the same DER array back lets `Certificate.decode` find its certificate without hashing. A copy of
 * the PEM is kept and compared, so an array changed in place is decoded again.
 */
const decodedPem = new WeakMap<object, { pem: Uint8Array; der: Uint8Array }>();

/**
 * The DER of a certificate given in any accepted form (the first CERTIFICATE block of PEM text). The result may
 * be shared between calls: read it, do not change it.
 *
 * @throws ArgumentError `bad-argument` naming `what` — also when a string is an e-mail address or file name
 *   rather than a certificate
 */
export function certificateDer(input: CertificateInput, what = 'certificate'): Uint8Array {
  if (input && typeof input === 'object' && !(input instanceof ArrayBuffer) && !ArrayBuffer.isView(input)) {
    const carried =
      'der' in input ? input.der : 'rawData' in input ? input.rawData : 'raw' in input ? input.raw : undefined;
    if (carried === undefined)
      throw new ArgumentError('bad-argument', `${what}: expected DER or PEM bytes, or an object with der/raw/rawData`);
    return certificateDer(carried, what);
  }
  if (typeof input === 'string' && !input.includes('-----BEGIN')) {
    const looksLikeAddress = /^[^\s@<>]+@[^\s@<>]+$/.test(input.trim());
    throw new ArgumentError(
      'bad-argument',
      looksLikeAddress
        ? `${what}: "${input.trim()}" is an e-mail address, not a certificate (pass the certificate, or resolve the address through a directory)`
        : `${what}: a string must be PEM text ("-----BEGIN CERTIFICATE-----"); pass DER as bytes`,
    );
  }
  const bytes = typeof input === 'string' ? fromLatin1(input) : toBytes(input, what);
  const owner = typeof input === 'string' ? undefined : input;
  // The same PEM array again (recipients' certificates on every message): no second look at its text.
  const known = owner && decodedPem.get(owner);
  if (known && bytesEqual(known.pem, bytes)) return known.der;
  if (!looksLikePem(bytes)) {
    // The bytes came from somewhere (a file, a message): what is wrong is their content, a format error.
    if (bytes[0] !== 0x30)
      throw new FormatError('not-der', `${what}: neither DER (a certificate starts with a SEQUENCE) nor PEM`);
    return bytes;
  }
  const block = decodePem(bytes).find((b) => CERT_LABELS.has(b.label));
  if (!block) throw new FormatError('malformed-pem', `${what}: the PEM text has no CERTIFICATE block`);
  if (owner) decodedPem.set(owner, { pem: bytes.slice(), der: block.der });
  return block.der;
}
