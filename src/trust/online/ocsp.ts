/**
 * Asking an OCSP responder about one certificate over HTTP (RFC 6960 Appendix A, RFC 5019): request, download
 * within limits, decode, verify. Nothing here trusts the network: every answer goes through verifyOcspResponse.
 */
import { NetworkError } from '../../errors.js';
import type { Certificate } from '../../x509/index.js';
import { DEFAULT_TIMEOUT_MS, download, type FetchFunction } from './http.js';
import { createOcspRequest, ocspGetUrl, type OcspRequestOptions } from './ocsp-request.js';
import { parseOcspResponse } from './ocsp-response.js';
import { verifyOcspResponse, type OcspCheckOptions, type OcspVerdict } from './ocsp-verify.js';

/** Options of {@link queryOcsp}: the request's, the checks', and the transport's. */
export interface OcspQueryOptions
  extends OcspRequestOptions, Omit<OcspCheckOptions, 'certificate' | 'issuer' | 'request'> {
  /** HTTP transport (default: the platform `fetch`). */
  fetch?: FetchFunction;
  /** Whole exchange, connection to last byte (default 10 000 ms). */
  timeoutMs?: number;
  /** Largest answer accepted (default 1 MiB). */
  maxBytes?: number;
  /**
   * `post` (default), or `get` for RFC 5019 responders behind CDNs: GET when the URL is at most 255 bytes
   * (RFC 5019 §5), POST for longer requests.
   */
  method?: 'post' | 'get';
  /** Aborts the query from outside. */
  signal?: AbortSignal;
}

/** A verified answer, with where it came from and its bytes (to cache until `nextUpdate`). */
export interface OcspAnswer extends OcspVerdict {
  url: string;
  /** DER of the response (to cache). */
  responseDer: Uint8Array;
}

const DEFAULT_OCSP_MAX_BYTES = 1024 * 1024;
/** RFC 5019 §5: longer GET URLs are sent as POST. */
const MAX_GET_URL_LENGTH = 255;

/** Content types an OCSP answer may come with; none at all is accepted too. */
const OCSP_CONTENT_TYPES = new Set(['application/ocsp-response', 'application/octet-stream', 'binary/octet-stream']);

/**
 * Asks the responder at `url` about `certificate` (issued by `issuer`) and verifies the answer.
 *
 * @example
 * ```ts
 * const [url] = authorityAccess(cert.extensions).ocsp;
 * const answer = await queryOcsp(url, cert, issuer, { timeoutMs: 5000 });
 * if (answer.status === 'revoked') ...
 * ```
 * @throws NetworkError `fetch-failed` (unreachable, HTTP error, an answer that is not application/ocsp-response)
 *   or `fetch-timeout`; LimitError `limit-exceeded` (more than `maxBytes`); FormatError `malformed-ocsp`; and
 *   whatever {@link verifyOcspResponse} throws
 */
export async function queryOcsp(
  url: string,
  certificate: Certificate,
  issuer: Certificate,
  options: OcspQueryOptions = {},
): Promise<OcspAnswer> {
  const request = await createOcspRequest(certificate, issuer, {
    ...(options.hash ? { hash: options.hash } : {}),
    ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
  });
  const getUrl = options.method === 'get' ? ocspGetUrl(url, request.der) : undefined;
  const transport = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_OCSP_MAX_BYTES,
    accept: 'application/ocsp-response',
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const got =
    getUrl && getUrl.length <= MAX_GET_URL_LENGTH
      ? await download(getUrl, { ...transport, method: 'GET' })
      : await download(url, {
          ...transport,
          method: 'POST',
          body: request.der,
          contentType: 'application/ocsp-request',
        });
  if (got.contentType !== '' && !OCSP_CONTENT_TYPES.has(got.contentType)) {
    throw new NetworkError('fetch-failed', `${url} answered ${got.contentType}, not an OCSP response`, {
      details: { url: url.slice(0, 500), mediaType: got.contentType.slice(0, 100) },
    });
  }
  const verdict = await verifyOcspResponse(parseOcspResponse(got.bytes), {
    certificate,
    issuer,
    request,
    ...(options.now ? { now: options.now } : {}),
    ...(options.clockSkewMs !== undefined ? { clockSkewMs: options.clockSkewMs } : {}),
    ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
  });
  return { ...verdict, url, responseDer: got.bytes };
}
