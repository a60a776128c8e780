/**
 * What decoding both forms of a `userSMIMECertificate` value shares: its one error code
 * (`malformed-user-smime-certificate`, with the offset where known) and reading the certificates it holds.
 */
import { FormatError, SmimeError, asSmimeError } from '../errors.js';
import { bytesEqual } from '../util/bytes.js';
import { readCertificate, type Certificate } from '../x509/index.js';

const CODE = 'malformed-user-smime-certificate';
export const fail = (message: string, offset?: number, cause?: unknown) =>
  new FormatError(CODE, message, { ...(offset === undefined ? {} : { offset }), cause });

export type ParsedCertificate = { der: Uint8Array; info: Certificate };

/** Runs `step`, turning any other SmimeError into ours (keeping its offset); non-SmimeErrors are bugs: `internal`. */
export function guarded<R>(what: string, step: () => R): R {
  try {
    return step();
  } catch (e) {
    if (e instanceof SmimeError && e.code === CODE) throw e;
    if (e instanceof SmimeError)
      throw fail(`${what}: ${e.message}`, e instanceof FormatError ? e.offset : undefined, e);
    throw asSmimeError(e, 'internal', what);
  }
}

export const distinct = (certs: ParsedCertificate[]): ParsedCertificate[] =>
  certs.filter((c, i) => certs.findIndex((d) => bytesEqual(d.der, c.der)) === i);

/** The certificate's fields, or why it is not a certificate. */
export function tryReadCertificate(der: Uint8Array): Certificate | Error {
  try {
    return readCertificate(der);
  } catch (e) {
    return e as Error;
  }
}

export function certificateAt(der: Uint8Array, offset: number, what: string): ParsedCertificate {
  const info = tryReadCertificate(der);
  if (info instanceof Error) throw fail(`${what} is not a DER X.509 certificate: ${info.message}`, offset, info);
  return { der, info };
}
