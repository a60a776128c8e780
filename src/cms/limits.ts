/**
 * Limits for parsing CMS. smimekit reads CMS with its own bounds-checked DER
 * reader (src/util/der.ts) rather than PKI.js: PKI.js's `fromBER` uses asn1js'
 * defaults (16 MiB of content, 10 000 nodes), which refuse real 30–150 MB
 * messages, and reading in place lets signatures be checked over the exact
 * bytes received.
 */
export interface CmsLimits {
  /** Largest accepted encoded structure, bytes (default 256 MiB; Exchange Online accepts 150 MB messages). */
  maxContentLength?: number;
  /** Most ASN.1 nodes accepted (default 1 000 000: a 150 MB BER message in 1 000-byte chunks has ~150 000). */
  maxNodes?: number;
}

export const DEFAULT_CMS_LIMITS: Required<CmsLimits> = {
  maxContentLength: 256 * 1024 * 1024,
  maxNodes: 1_000_000,
};
