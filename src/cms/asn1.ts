/**
 * BER parsing for CMS with explicit, configurable limits. PKI.js's own
 * `fromBER` uses asn1js' defaults (16 MiB of content, 10 000 nodes), which
 * refuse real 30–150 MB messages; smimekit always passes its own limits.
 */
import * as asn1js from 'asn1js';
import { FormatError, LimitError } from '../errors.js';
import { toArrayBuffer } from '../util/bytes.js';

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

/** Parses one BER/DER structure that must fill `bytes`, mapping every failure to a typed error. */
export function parseBer(bytes: Uint8Array, limits: CmsLimits = {}, what = 'CMS structure'): asn1js.AsnType {
  const lim = { ...DEFAULT_CMS_LIMITS, ...limits };
  if (bytes.length > lim.maxContentLength) {
    throw new LimitError('cms-limit-exceeded', `${what} of ${bytes.length} bytes exceeds the limit of ${lim.maxContentLength} bytes`);
  }
  let result: ReturnType<typeof asn1js.fromBER>;
  try {
    result = asn1js.fromBER(toArrayBuffer(bytes), { maxContentLength: lim.maxContentLength, maxNodes: lim.maxNodes });
  } catch (e) {
    throw new FormatError('malformed-cms', `${what} is not valid BER: ${(e as Error).message}`, { cause: e });
  }
  if (result.offset === -1) {
    const error = result.result.error || 'unknown error';
    if (/limit|nodes|maximum/i.test(error)) throw new LimitError('cms-limit-exceeded', `${what}: ${error}`);
    throw new FormatError('malformed-cms', `${what} is not valid BER: ${error}`);
  }
  if (result.offset !== bytes.length) {
    throw new FormatError('malformed-cms', `${what} is followed by ${bytes.length - result.offset} unexpected bytes`, { offset: result.offset });
  }
  return result.result;
}
