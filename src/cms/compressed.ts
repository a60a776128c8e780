/**
 * CompressedData (RFC 3274) with the zlib algorithm (id-alg-zlibCompress),
 * through the runtime's CompressionStream/DecompressionStream ('deflate' is
 * the zlib format), available in Node >= 18 and browsers. Decompression stops
 * as soon as the output crosses a bound (a few kilobytes can expand to
 * gigabytes): the layer's size, the message's total and the ratio of output
 * to input (docs/security.md).
 */
import { AlgorithmError, FormatError, LimitError } from '../errors.js';
import { concatBytes, toBytes, type BytesLike } from '../util/bytes.js';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo, type ContentInfo } from './content-info.js';
import { DEFAULT_CMS_LIMITS, type CmsLimits } from './limits.js';
import {
  derParse,
  derChildren,
  derIsContext,
  derSequence,
  derOid,
  derSmallInt,
  derOctets,
  derAlgorithm,
  tlv,
  seq,
  octets,
  encodeOid,
  encodeInt,
  algorithmId,
} from '../asn1/index.js';
import { parsing } from './malformed.js';

/** id-alg-zlibCompress (RFC 3274). */
export const ZLIB_COMPRESS = '1.2.840.113549.1.9.16.3.8';

/** Default largest decompressed size of one layer: 256 MiB. */
export const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024;

/** Output a layer may produce before the ratio limit applies: 1 MiB (short, very compressible texts always pass). */
export const DECOMPRESSION_RATIO_FLOOR = 1024 * 1024;

/** Bounds of a decompression; each crossing is `limit-exceeded` with `details.limit` naming it. */
export interface DecompressOptions {
  /** Largest output of this layer, bytes (default 256 MiB): `maxDecompressedSize`. */
  maxSize?: number;
  /**
   * Output bytes allowed per compressed input byte once the output passes `DECOMPRESSION_RATIO_FLOOR`
   * (default 100): `maxCompressionRatio`. `Infinity` turns the check off.
   */
  maxRatio?: number;
  /**
   * Largest output of all the layers sharing `budget`, bytes (default 64 MiB when a budget is given):
   * `maxDecompressedTotal`.
   */
  maxTotal?: number;
  /** Bytes already decompressed by the other layers of the same message; this layer's output is added to it. */
  budget?: { used: number };
}

/** The decompression bounds of a message's options: `limits` (CMS limits) and the per-layer `maxSize`. */
export function decompressionLimits(limits: CmsLimits | undefined, maxSize: number | undefined): DecompressOptions {
  return { maxSize, maxTotal: limits?.maxDecompressedTotal, maxRatio: limits?.maxCompressionRatio };
}

/** The bound a running output count crossed, if any. */
function crossed(total: number, input: number, o: Required<Omit<DecompressOptions, 'budget'>>, used: number) {
  if (total > o.maxSize) return { limit: 'maxDecompressedSize', value: o.maxSize };
  if (used + total > o.maxTotal) return { limit: 'maxDecompressedTotal', value: o.maxTotal };
  if (total > DECOMPRESSION_RATIO_FLOOR && total > o.maxRatio * input)
    return { limit: 'maxCompressionRatio', value: o.maxRatio };
  return undefined;
}

function limitError(bound: { limit: string; value: number }, total: number, input: number): LimitError {
  const what =
    bound.limit === 'maxCompressionRatio'
      ? `expands more than ${bound.value} times (${input} compressed bytes gave over ${total})`
      : bound.limit === 'maxDecompressedTotal'
        ? `with the message's other compressed layers exceeds the total of ${bound.value} bytes`
        : `exceeds the limit of ${bound.value} bytes`;
  return new LimitError('limit-exceeded', `decompressed content ${what} (${bound.limit})`, { details: bound });
}

async function pump(
  stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<BufferSource> },
  input: Uint8Array,
  options: DecompressOptions,
): Promise<Uint8Array> {
  const bounds = {
    maxSize: options.maxSize ?? DEFAULT_MAX_DECOMPRESSED,
    maxRatio: options.maxRatio ?? DEFAULT_CMS_LIMITS.maxCompressionRatio,
    maxTotal: options.maxTotal ?? (options.budget ? DEFAULT_CMS_LIMITS.maxDecompressedTotal : Infinity),
  };
  const used = options.budget?.used ?? 0;
  const writer = stream.writable.getWriter();
  // Write and close without awaiting: the stream only drains while we read.
  const writing = writer.write(input as Uint8Array<ArrayBuffer>).then(() => writer.close());
  writing.catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      const bound = crossed(total, input.length, bounds, used);
      if (bound) {
        // Stop inflating at once: the rest of the stream is never produced.
        await reader.cancel().catch(() => undefined);
        throw limitError(bound, total, input.length);
      }
      chunks.push(value);
    }
    await writing;
  } catch (e) {
    if (e instanceof LimitError) throw e;
    throw new FormatError(
      'malformed-compressed-data',
      `the compressed content is not valid zlib data: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (options.budget) options.budget.used += total;
  return concatBytes(...chunks);
}

/** zlib-compresses bytes. */
export async function zlibCompress(data: Uint8Array): Promise<Uint8Array> {
  return pump(new CompressionStream('deflate'), data, { maxSize: Infinity, maxRatio: Infinity });
}

/**
 * zlib-decompresses bytes, refusing output above `maxSize` (default 256 MiB), above `maxRatio` times the input
 * past the first MiB (default 100), or past the shared `budget` (`limit-exceeded`, `details.limit` says which).
 */
export async function zlibDecompress(
  data: Uint8Array,
  maxSize = DEFAULT_MAX_DECOMPRESSED,
  options: Omit<DecompressOptions, 'maxSize'> = {},
): Promise<Uint8Array> {
  return pump(new DecompressionStream('deflate'), data, { ...options, maxSize });
}

/** Builds a CompressedData ContentInfo (DER) around `content` (eContentType id-data unless given). */
export async function createCompressed(
  content: BytesLike,
  options: { contentType?: string } = {},
): Promise<Uint8Array> {
  const compressed = await zlibCompress(toBytes(content, 'content'));
  const encap = seq(encodeOid(options.contentType ?? CONTENT_TYPE.data), tlv(0xa0, octets(compressed)));
  return encodeContentInfo(CONTENT_TYPE.compressedData, seq(encodeInt(0), algorithmId(ZLIB_COMPRESS), encap));
}

/** Result of `decompressCompressed`. */
export interface DecompressedContent {
  content: Uint8Array;
  /** eContentType of the decompressed content. */
  contentType: string;
}

/**
 * Reads a CompressedData ContentInfo (DER, BER or PEM) and decompresses it.
 *
 * @throws FormatError `not-compressed` / `malformed-cms` / `malformed-compressed-data`,
 *   AlgorithmError `unsupported-algorithm`, LimitError `limit-exceeded` (`details.limit`: `maxDecompressedSize`,
 *   `maxCompressionRatio`, `maxDecompressedTotal`; see `DecompressOptions`).
 */
export async function decompressCompressed(
  input: BytesLike | string | ContentInfo,
  options: DecompressOptions = {},
): Promise<DecompressedContent> {
  const ci =
    typeof input === 'object' && 'contentType' in input && 'content' in input ? input : parseContentInfo(input);
  if (ci.contentType !== CONTENT_TYPE.compressedData) {
    throw new FormatError('not-compressed', `the CMS content is ${ci.name ?? ci.contentType}, not CompressedData`);
  }
  const { algorithm, contentType, compressed } = parsing('CompressedData', () => {
    const kids = derSequence(derParse(ci.content), 'CompressedData', 3);
    derSmallInt(kids[0], 'version');
    const alg = derAlgorithm(kids[1], 'compressionAlgorithm');
    const encap = derSequence(kids[2], 'EncapsulatedContentInfo', 1);
    const explicit = encap[1];
    if (!explicit || !derIsContext(explicit, 0))
      throw new FormatError('malformed-cms', 'CompressedData without content');
    return {
      algorithm: alg,
      contentType: derOid(encap[0], 'eContentType'),
      compressed: derOctets(derChildren(explicit)[0], 'eContent'),
    };
  });
  if (algorithm.oid !== ZLIB_COMPRESS) {
    throw new AlgorithmError('unsupported-algorithm', `unsupported compression algorithm ${algorithm.oid}`, {
      details: { algorithm: algorithm.oid },
    });
  }
  const { maxSize = DEFAULT_MAX_DECOMPRESSED, ...rest } = options;
  return { content: await zlibDecompress(compressed, maxSize, rest), contentType };
}
