/**
 * CompressedData (RFC 3274) with the zlib algorithm (id-alg-zlibCompress),
 * through the runtime's CompressionStream/DecompressionStream ('deflate' is
 * the zlib format), available in Node >= 18 and browsers. Decompression stops
 * at a size limit: a few kilobytes can expand to gigabytes.
 */
import { AlgorithmError, FormatError, LimitError } from '../errors.js';
import { concatBytes, toBytes, type BytesLike } from '../util/bytes.js';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo, type ContentInfo } from './content-info.js';
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

/** Default largest decompressed size: 256 MiB. */
export const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024;

async function pump(
  stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<BufferSource> },
  input: Uint8Array,
  limit: number,
): Promise<Uint8Array> {
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
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw new LimitError('limit-exceeded', `decompressed content exceeds the limit of ${limit} bytes`, {
          details: { limit: 'maxDecompressedSize', value: limit },
        });
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
  return concatBytes(...chunks);
}

/** zlib-compresses bytes. */
export async function zlibCompress(data: Uint8Array): Promise<Uint8Array> {
  return pump(new CompressionStream('deflate'), data, Number.MAX_SAFE_INTEGER);
}

/** zlib-decompresses bytes, refusing output above `maxSize` (`limit-exceeded`). */
export async function zlibDecompress(data: Uint8Array, maxSize = DEFAULT_MAX_DECOMPRESSED): Promise<Uint8Array> {
  return pump(new DecompressionStream('deflate'), data, maxSize);
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
 *   AlgorithmError `unsupported-algorithm`, LimitError `limit-exceeded`.
 */
export async function decompressCompressed(
  input: BytesLike | string | ContentInfo,
  options: { maxSize?: number } = {},
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
  return { content: await zlibDecompress(compressed, options.maxSize ?? DEFAULT_MAX_DECOMPRESSED), contentType };
}
