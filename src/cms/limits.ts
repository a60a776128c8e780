/**
 * Limits for parsing CMS. smimekit reads CMS with its own bounds-checked DER
 * reader (src/asn1/read.ts) rather than PKI.js: PKI.js's `fromBER` uses asn1js'
 * defaults (16 MiB of content, 10 000 nodes), which refuse real 30–150 MB
 * messages, and reading in place lets signatures be checked over the exact
 * bytes received. Every limit is listed with its error in docs/security.md.
 */
export interface CmsLimits {
  /** Largest accepted encoded structure, bytes (default 256 MiB; Exchange Online accepts 150 MB messages). */
  maxContentLength?: number;
  /** Most ASN.1 nodes accepted (default 1 000 000: a 150 MB BER message in 1 000-byte chunks has ~150 000). */
  maxNodes?: number;
  /**
   * Most signatures in one SignedData: its SignerInfos plus their countersignatures (default 16; real mail has
   * one or two). Each costs a public-key operation and a chain validation, so thousands of copies of one
   * SignerInfo would cost seconds; more is `limit-exceeded` with `details.limit: 'maxSigners'`.
   */
  maxSigners?: number;
  /**
   * Most certificates and CRLs carried in one SignedData (default 256; a signed mail carries a handful). Each is
   * decoded for signer lookup and path building; more is `limit-exceeded` with `details.limit: 'maxCertificates'`.
   */
  maxCertificates?: number;
  /**
   * Most RecipientInfos in one EnvelopedData or AuthEnvelopedData (default 10 000, above the recipient limits
   * of mail servers: Exchange allows at most 1 000 per message in Exchange Online, 5 000 on premises); more is
   * `limit-exceeded` with `details.limit: 'maxRecipients'`.
   */
  maxRecipients?: number;
  /**
   * Most bytes decompressed in total by all the CompressedData layers of one message (default 64 MiB), on top of
   * the per-layer `maxDecompressedSize`; more is `limit-exceeded` with `details.limit: 'maxDecompressedTotal'`.
   */
  maxDecompressedTotal?: number;
  /**
   * Most output bytes per compressed input byte of a CompressedData (default 100), checked once a layer's output
   * passes 1 MiB (`DECOMPRESSION_RATIO_FLOOR`), so small, very compressible texts always pass; more is
   * `limit-exceeded` with `details.limit: 'maxCompressionRatio'`. `Infinity` turns the check off.
   */
  maxCompressionRatio?: number;
}

export const DEFAULT_CMS_LIMITS: Required<CmsLimits> = {
  maxContentLength: 256 * 1024 * 1024,
  maxNodes: 1_000_000,
  maxSigners: 16,
  maxCertificates: 256,
  maxRecipients: 10_000,
  maxDecompressedTotal: 64 * 1024 * 1024,
  maxCompressionRatio: 100,
};
