/**
 * Streaming reading of an encapsulating ("opaque") SignedData, definite or indefinite BER: the eContent is passed
 * on as it is read while every announced digest is computed; the certificates, CRLs and SignerInfos that follow it
 * are read into memory (bounded) and parsed by the same code as `parseSignedData`.
 */
import { FormatError, LimitError, SmimeError } from '../../errors.js';
import { BerStreamReader, type BerHeader } from '../../asn1/stream-reader.js';
import { derAlgorithm, derChildren, derOid, derParse, encodeOid, seq } from '../../asn1/index.js';
import { digestAlgorithm, type DigestName } from '../../crypto/algorithms.js';
import { createStreamDigest, type StreamDigest, type StreamDigestName } from '../../crypto/digest-stream.js';
import { generatorStream, iterateBytes, type ByteSource } from '../../util/byte-source.js';
import { CONTENT_TYPE, encodeContentInfo } from '../content-info.js';
import { DEFAULT_CMS_LIMITS, type CmsLimits } from '../limits.js';
import { parseSignedData, type SignedData } from '../signed-data.js';

/** Longest certificate set, CRL set or SignerInfo set read into memory. */
const MAX_TRAILER_ELEMENT = 16 * 1024 * 1024;

const STREAMABLE: readonly string[] = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
/** Digested when digestAlgorithms names none of STREAMABLE (SHA-256 is digested whatever it names). */
const UNANNOUNCED: readonly StreamDigestName[] = ['SHA-256', 'SHA-384', 'SHA-512'];

/** What is left of a streamed SignedData once its content has passed: the structure and the content's digests. */
export interface StreamedSignedData {
  /** The SignedData without its content (verify it with `contentDigests`). */
  signedData: SignedData;
  /** Digests of the eContent for every supported algorithm the SignedData announced (empty when detached). */
  contentDigests: Map<DigestName, Uint8Array>;
  /** Bytes of eContent read. */
  contentLength: number;
}

/** An opaque SignedData being read. */
export interface SignedDataStreamReader {
  /** eContentType. */
  contentType: string;
  /** The eContent as read (exactly the signed bytes). Read it to its end before `result` settles. */
  content: ReadableStream<Uint8Array>;
  /** Settles when `content` has been read to its end; rejects with the format error that ended it. */
  result: Promise<StreamedSignedData>;
}

function expectConstructed(header: BerHeader, cls: number, tag: number, what: string): BerHeader {
  if (header.cls !== cls || header.tag !== tag || !header.constructed)
    throw new FormatError('malformed-cms', `${what} expected`, { offset: header.offset });
  return header;
}

/**
 * Opens an encapsulating SignedData ContentInfo and returns its content as a stream.
 *
 * @throws FormatError `malformed-cms`, `not-signed-data`; `detached-signature` is not thrown: a SignedData without
 *   eContent yields an empty content stream (verify it with its detached content instead).
 */
export async function openSignedDataStream(
  source: ByteSource,
  limits: CmsLimits = {},
): Promise<SignedDataStreamReader> {
  const lim = { ...DEFAULT_CMS_LIMITS, ...limits };
  const reader = new BerStreamReader(iterateBytes(source), { maxElementLength: MAX_TRAILER_ELEMENT });
  let frame: SignedFrame;
  try {
    frame = await readSignedHeader(reader);
  } catch (e) {
    await reader.cancel(e).catch(() => undefined);
    throw asCmsError(e);
  }
  let settle!: { resolve: (r: StreamedSignedData) => void; reject: (e: unknown) => void };
  const result = new Promise<StreamedSignedData>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined);
  let settled = false;
  async function* produce(): AsyncGenerator<Uint8Array> {
    try {
      let length = 0;
      if (frame.content) {
        const chunks = frame.anyContent
          ? [frame.anyContent].filter((c) => c.length > 0)
          : reader.octetStringChunks(frame.content);
        for await (const chunk of chunks) {
          for (const d of frame.digests.values()) d.update(chunk);
          length += chunk.length;
          yield chunk;
        }
        await reader.endElement(frame.wrapper!);
      }
      const signedData = parseSignedData(await readSignedTrailer(reader, frame), lim);
      settled = true;
      settle.resolve({
        signedData,
        // No eContent (a detached signature): no digests, rather than those of an empty string.
        contentDigests: new Map(
          frame.content ? [...frame.digests].map(([name, d]) => [name, d.digest()] as const) : [],
        ),
        contentLength: length,
      });
    } catch (e) {
      const error = asCmsError(e);
      settled = true;
      settle.reject(error);
      await reader.cancel(error).catch(() => undefined);
      throw error;
    } finally {
      if (!settled) {
        settle.reject(new SmimeError('stream-cancelled', 'the signed content stream was cancelled before its end'));
        await reader.cancel().catch(() => undefined);
      }
    }
  }
  return { contentType: frame.contentType, content: generatorStream(produce()), result };
}

/** Where a streamed SignedData stands once its header has been read. */
interface SignedFrame {
  ci: BerHeader;
  explicit: BerHeader;
  sd: BerHeader;
  encap: BerHeader;
  version: Uint8Array;
  digestAlgorithms: Uint8Array;
  contentType: string;
  /** The eContent OCTET STRING's header, and its `[0]` wrapper; absent when detached. */
  content?: BerHeader;
  /** The contents octets of a PKCS#7 `content ANY` that is no OCTET STRING (read whole with its header). */
  anyContent?: Uint8Array;
  wrapper?: BerHeader;
  /** A running digest per supported digest algorithm the SignedData announces (at most 4). */
  digests: Map<DigestName, StreamDigest>;
}

async function readSignedHeader(reader: BerStreamReader): Promise<SignedFrame> {
  const ci = expectConstructed(await reader.readHeader(), 0, 16, 'ContentInfo SEQUENCE');
  const type = derOid(derParse(await reader.readElement(1024)), 'contentType');
  // The [0] first, as parsing the ContentInfo whole does: a broken one is malformed-cms, whatever the type says.
  const explicit = expectConstructed(await reader.readHeader(), 2, 0, 'ContentInfo [0] content');
  if (type !== CONTENT_TYPE.signedData)
    throw new FormatError('not-signed-data', `the CMS content is ${type}, not signedData`, {
      details: { contentType: type },
    });
  const sd = expectConstructed(await reader.readHeader(), 0, 16, 'SignedData SEQUENCE');
  const version = await reader.readElement(64);
  const digestAlgorithms = await reader.readElement(64 * 1024);
  const digests = new Map<DigestName, StreamDigest>();
  for (const alg of derChildren(derParse(digestAlgorithms))) {
    const name = digestAlgorithm(derAlgorithm(alg).oid)?.name;
    if (name && STREAMABLE.includes(name) && !digests.has(name) && digests.size < 4)
      digests.set(name, createStreamDigest(name as StreamDigestName));
  }
  // The signers' own algorithm decides, as for the buffered verifier, and is only known after the content. SHA-256
  // (what S/MIME signers use) is always computed; with no usable announcement (an empty or damaged set), every
  // strong one is.
  for (const name of digests.size === 0 ? UNANNOUNCED : ['SHA-256' as const])
    if (!digests.has(name)) digests.set(name, createStreamDigest(name));
  const encap = expectConstructed(await reader.readHeader(), 0, 16, 'EncapsulatedContentInfo SEQUENCE');
  const contentType = derOid(derParse(await reader.readElement(1024)), 'eContentType');
  const frame: SignedFrame = { ci, explicit, sd, encap, version, digestAlgorithms, contentType, digests };
  const next = await reader.peekHeader();
  if (next && next.cls === 2 && next.tag === 0) {
    frame.wrapper = expectConstructed(await reader.readHeader(), 2, 0, 'eContent [0]');
    frame.content = await reader.readHeader();
    if (frame.content.cls !== 0 || frame.content.tag !== 4) {
      if (contentType === CONTENT_TYPE.data)
        throw new FormatError('malformed-cms', 'encapContentInfo: eContent of id-data is not an OCTET STRING');
      // PKCS#7 v1.5 allowed `content ANY` for types other than data (RFC 5652 §5.2.1): the signature covers the
      // contents octets, as parseSignedData reads them. Such content is a small structure, read whole (bounded).
      frame.anyContent = await reader.readContent(frame.content);
    }
  }
  return frame;
}

/**
 * Reads what follows the content (certificates, CRLs, SignerInfos) to the end of the input and returns the
 * SignedData without its content, for the same parser and limits as a buffered one.
 */
async function readSignedTrailer(reader: BerStreamReader, frame: SignedFrame): Promise<Uint8Array> {
  await reader.endElement(frame.encap);
  const trailer: Uint8Array[] = [];
  for (let next = await reader.peekHeader(); next; next = await reader.peekHeader()) {
    if (trailer.length >= 3) throw new FormatError('malformed-cms', 'unexpected element after the SignerInfos');
    trailer.push(await reader.readElement(MAX_TRAILER_ELEMENT));
  }
  await reader.endElement(frame.sd);
  await reader.endElement(frame.explicit);
  await reader.endElement(frame.ci);
  if (!(await reader.atEnd())) throw new FormatError('malformed-cms', 'data after the SignedData');
  return encodeContentInfo(
    CONTENT_TYPE.signedData,
    seq(frame.version, frame.digestAlgorithms, seq(encodeOid(frame.contentType)), ...trailer),
  );
}

function asCmsError(e: unknown): unknown {
  if (e instanceof FormatError && e.code === 'malformed-der' && !(e instanceof LimitError))
    return new FormatError('malformed-cms', `malformed SignedData: ${e.message}`, { cause: e });
  return e;
}
