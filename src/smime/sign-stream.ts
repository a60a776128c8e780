/**
 * `signMessageStream`: `signMessage` for messages of any size. The message is read once, as the output is read;
 * memory stays bounded whatever the size.
 *
 * What the stream cannot do that the buffered function does: look at the whole body before deciding how to
 * encode it. So a detached (multipart/signed) signature re-encodes a single-part body that is not base64 or
 * quoted-printable as it passes (quoted-printable for text, base64 otherwise), and requires a multipart body to be
 * 7-bit safe already (no 8-bit data, NUL, over-long line or line beginning `From `): otherwise the stream fails
 * with `content-not-7bit` and `signMessage` is the way to sign it.
 */
import { ArgumentError, FormatError } from '../errors.js';
import { concatBytes, fromLatin1 } from '../util/bytes.js';
import { generatorStream, type ByteSource } from '../util/byte-source.js';
import { createSignedDataStream, startDetachedSignature } from '../cms/stream/signed-writer.js';
import { base64Bytes } from '../util/bytes.js';
import { encodeQuotedPrintableBytes } from '../mime/transfer-encoding.js';

/** A quoted-printable soft line break. */
const SOFT_BREAK = Uint8Array.of(0x3d, 0x0d, 0x0a);
import { sevenBitCheckStream, type SevenBitFinding } from '../mime/stream.js';
import { parseMime } from '../mime/entity.js';
import { rawHeaderText } from '../mime/canonical.js';
import {
  checkBoundary,
  multipartSignedEnd,
  multipartSignedHead,
  newBoundary,
  OPAQUE_SIGNED_HEAD,
  prepareMessageSigner,
  signaturePartHead,
  type SignMessageOptions,
} from './sign.js';
import { refuseHeaderProtection } from './header-protection.js';
import {
  base64LinesStream,
  canonicalBody,
  outerPrefix,
  splitStreamedMessage,
  type StreamedSplit,
} from './stream-entity.js';

/**
 * Signs a message from a stream and returns the signed message as a stream (options as `signMessage`). Key,
 * certificate and option problems are thrown before anything is read; a problem found in the content (see the
 * module notes) errors the returned stream.
 *
 * @throws {CryptoError} `key-mismatch`; {ArgumentError} `bad-argument`
 * @example
 * ```ts no-run
 * const signed = await signMessageStream(Readable.toWeb(createReadStream('big.eml')), { signer: identity });
 * await signed.pipeTo(Writable.toWeb(createWriteStream('big.signed.eml')));
 * ```
 */
export async function signMessageStream(
  input: ByteSource,
  options: SignMessageOptions,
): Promise<ReadableStream<Uint8Array>> {
  refuseHeaderProtection(options.headerProtection, 'signMessageStream');
  const prepared = await prepareMessageSigner(options);
  const boundary = checkBoundary(options.boundary) ?? newBoundary();
  const split = await splitStreamedMessage(input);
  if (!prepared.detached) {
    const entity = entityStream(split.innerHead, canonicalBody(split));
    const cms = await createSignedDataStream(entity, prepared.cmsOptions);
    return generatorStream(
      (async function* () {
        yield outerPrefix(split.outerHeaders, OPAQUE_SIGNED_HEAD);
        yield* base64LinesStream(cms);
      })(),
    );
  }
  const entity = sevenBitEntity(split);
  const signature = await startDetachedSignature(prepared.cmsOptions);
  // A generated boundary holds 128 random bits, so only a caller's own boundary can occur in the content.
  const scan = options.boundary === undefined ? undefined : boundaryScanner(boundary);
  async function* produce(): AsyncGenerator<Uint8Array> {
    yield outerPrefix(split.outerHeaders, multipartSignedHead(prepared.digest, boundary));
    for await (const chunk of entity) {
      scan?.(chunk);
      signature.update(chunk);
      yield chunk;
    }
    const cms = await signature.finish();
    yield concatBytes(signaturePartHead(boundary), base64Bytes(cms, 76), multipartSignedEnd(boundary));
  }
  return generatorStream(produce());
}

/** The inner entity as it is signed detached: 7-bit safe, or re-encoded as it passes. */
function sevenBitEntity(split: StreamedSplit): AsyncGenerator<Uint8Array> {
  const single = !/^multipart\//.test(split.mediaType) || split.innerHead.length === 0;
  const encoded = split.transferEncoding === 'base64' || split.transferEncoding === 'quoted-printable';
  if (single && !encoded) {
    const text = split.innerHead.length === 0 || /^text\//.test(split.mediaType);
    const head = reencodedHead(split.innerHead, text ? 'quoted-printable' : 'base64');
    // Quoted-printable ends every line with CRLF itself: no line-end pass before it.
    const body = text ? quotedPrintableStream(split.body) : base64LinesStream(split.body);
    return entityStream(head, body);
  }
  return entityStream(split.innerHead, sevenBitCheckStream(canonicalBody(split), notSevenBit));
}

function notSevenBit(finding: SevenBitFinding): never {
  const what = {
    '8bit': '8-bit data',
    nul: 'a NUL byte',
    'long-line': 'a line longer than 998 octets',
    'from-line': 'a line beginning "From " (mbox storage would change it)',
  }[finding.reason];
  throw new FormatError(
    'content-not-7bit',
    `the content has ${what} at byte ${finding.offset} of the body; a streamed multipart/signed needs 7-bit content (encode the part, or sign with signMessage)`,
    { details: { offset: finding.offset } },
  );
}

/** The entity's header section without Content-Transfer-Encoding, plus the new one (text/plain when none). */
function reencodedHead(head: Uint8Array, encoding: 'base64' | 'quoted-printable'): Uint8Array {
  const headers = head.length ? parseMime(head).headers.filter((h) => h.name !== '') : [];
  const kept = headers
    .filter((h) => h.name.toLowerCase() !== 'content-transfer-encoding')
    .map(rawHeaderText)
    .join('');
  const type = headers.some((h) => h.name.toLowerCase() === 'content-type')
    ? ''
    : 'Content-Type: text/plain; charset=utf-8\r\n';
  return fromLatin1(`${kept}${type}Content-Transfer-Encoding: ${encoding}\r\n\r\n`);
}

/**
 * Quoted-printable of CRLF text as it passes: whole lines at a time (a very long line is cut with a soft break).
 * Only a line split between chunks is copied; the rest of a chunk is encoded where it lies.
 */
async function* quotedPrintableStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array = new Uint8Array(0);
  for await (const chunk of source) {
    const lastLf = chunk.lastIndexOf(0x0a);
    if (lastLf < 0) {
      carry = concatBytes(carry, chunk);
      if (carry.length > LONG_LINE_CUT) carry = yield* cutLongLine(carry);
      continue;
    }
    let from = 0;
    if (carry.length) {
      from = chunk.indexOf(0x0a) + 1;
      yield encodeQuotedPrintableBytes(concatBytes(carry, chunk.subarray(0, from)));
    }
    if (lastLf >= from) yield encodeQuotedPrintableBytes(chunk.subarray(from, lastLf + 1));
    carry = chunk.slice(lastLf + 1);
    if (carry.length > LONG_LINE_CUT) carry = yield* cutLongLine(carry);
  }
  if (carry.length) yield encodeQuotedPrintableBytes(carry);
}

/** Where a line with no end in sight is cut with a soft break, so that a huge line does not fill memory. */
const LONG_LINE_CUT = 64 * 1024;

/**
 * Encodes a long partial line with a soft break after it; a CR at its end stays behind (it may be the first half
 * of a CRLF split between chunks, which must stay a line end and not become an escaped `=0D`).
 */
async function* cutLongLine(carry: Uint8Array): AsyncGenerator<Uint8Array, Uint8Array> {
  const keep = carry[carry.length - 1] === 0x0d ? 1 : 0;
  yield concatBytes(encodeQuotedPrintableBytes(carry.subarray(0, carry.length - keep)), SOFT_BREAK);
  return carry.slice(carry.length - keep);
}

async function* entityStream(head: Uint8Array, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (head.length) yield head;
  yield* body;
}

/**
 * Fails when `--boundary` occurs in the content (possible only with a caller-chosen boundary, or by design).
 * Each chunk is searched where it lies; only the seam with the previous chunk is copied.
 */
function boundaryScanner(boundary: string): (chunk: Uint8Array) => void {
  const needle = fromLatin1(`--${boundary}`);
  const keep = needle.length - 1;
  let tail: Uint8Array = new Uint8Array(0);
  const search = (data: Uint8Array): void => {
    for (let i = data.indexOf(0x2d); i >= 0 && i + needle.length <= data.length; i = data.indexOf(0x2d, i + 1)) {
      let j = 1;
      while (j < needle.length && data[i + j] === needle[j]) j++;
      if (j === needle.length) throw new ArgumentError('bad-argument', 'the boundary occurs in the content');
    }
  };
  return (chunk) => {
    if (tail.length) search(concatBytes(tail, chunk.subarray(0, keep)));
    search(chunk);
    tail = chunk.length >= keep ? chunk.slice(chunk.length - keep) : concatBytes(tail, chunk).slice(-keep);
  };
}
