/**
 * Missing intermediates from the caIssuers URLs of a certificate's authorityInfoAccess (RFC 5280 §4.2.2.1): a DER
 * certificate or a certs-only PKCS#7 (.p7c). What is downloaded is only a candidate: it must still chain to the
 * trust list like any certificate from the message.
 */
import type { Certificate } from '../../x509/index.js';
import { authorityAccess } from '../../x509/index.js';
import type { CertificateFetcher, RevocationCache } from '../options.js';
import { parseCertificates } from '../trust-list.js';
import { download, type FetchFunction } from './http.js';
import { sharedRevocationCache } from './cache.js';

/** Options of {@link caIssuersFetcher}. */
export interface CaIssuersOptions {
  fetch?: FetchFunction;
  /** Per download (default 5 000 ms). */
  timeoutMs?: number;
  /** Largest answer (default 1 MiB). */
  maxBytes?: number;
  /** Where downloaded certificates are kept for a day (default: the shared in-memory cache). */
  cache?: RevocationCache;
  /** Clock for the cache (default the system clock). */
  now?: () => Date;
}

/** Most caIssuers URLs followed per certificate. */
const MAX_URLS = 2;
const KEEP_MS = 24 * 3_600_000;

/** The certificates at the caIssuers URLs of `certificate` (HTTP only), or what could be read of them. */
export async function downloadIssuers(
  certificate: Certificate,
  options: CaIssuersOptions = {},
): Promise<Certificate[]> {
  const cache = options.cache ?? sharedRevocationCache();
  const now = options.now ?? (() => new Date());
  const out: Certificate[] = [];
  const urls = authorityAccess(certificate.extensions).caIssuers.filter((u) => /^https?:/i.test(u));
  for (const url of urls.slice(0, MAX_URLS)) {
    const key = `issuer ${url}`;
    try {
      let bytes = await cache.get(key);
      if (!bytes) {
        bytes = (
          await download(url, {
            timeoutMs: options.timeoutMs ?? 5_000,
            maxBytes: options.maxBytes ?? 1024 * 1024,
            accept: 'application/pkix-cert, application/pkcs7-mime, */*',
            ...(options.fetch ? { fetch: options.fetch } : {}),
          })
        ).bytes;
        const found = parseCertificates([bytes], true);
        if (found.length > 0) await cache.set(key, bytes, new Date(now().getTime() + KEEP_MS));
        out.push(...found);
      } else {
        out.push(...parseCertificates([bytes], true));
      }
    } catch {
      // A caIssuers URL that does not answer only means the path may not be found.
    }
  }
  return out;
}

/**
 * A {@link CertificateFetcher} that downloads missing intermediates from caIssuers URLs, for `fetchers` when
 * revocation stays offline (with `revocation: { online: true }` this happens already).
 *
 * @example
 * ```ts
 * const report = await validateCertificate(cert, { trust, fetchers: [caIssuersFetcher({ timeoutMs: 3000 })] });
 * ```
 */
export function caIssuersFetcher(options: CaIssuersOptions = {}): CertificateFetcher {
  return { fetchIssuers: (certificate) => downloadIssuers(certificate, options) };
}
