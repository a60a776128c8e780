/**
 * `signMessageStream`: `signMessage` for messages of any size. The message is read once, as the output is read;
 * memory stays bounded whatever the size.
 *
 * What the stream cannot do that the buffered function does: look at the whole body before deciding how to
 * encode it. So a detached (multipart/signed) signature re-encodes a single-part body that is not base64 or
 * quoted-printable as it passes (quoted-printable for text, base64 otherwise) unless `bodyEncoding: 'keep'` says it
 * is 7-bit, and requires a multipart body (or a kept one) to be 7-bit safe already (no 8-bit data, NUL, bare CR,
 * over-long line or line beginning `From `): otherwise the stream fails with `content-not-7bit` and `signMessage`
 * (or `'encode'`) is the way to sign it.
 *
 * `headerProtection` (RFC 9788) works as in `signMessage`: the protected header section is made from the
 * message's header section, which comes first (src/smime/header-protection-stream.ts); with `forEncryption`, a
 * legacy display element that cannot be streamed into the body is `legacy-display-unsupported`.
 */
import { ArgumentError, FormatError } from '../errors.js';
import { concatBytes, fromLatin1 } from '../util/bytes.js';
import { generatorStream, type ByteSource } from '../util/byte-source.js';
import { createSignedDataStream, startDetachedSignature } from '../cms/stream/signed-writer.js';
import { base64Bytes } from '../util/bytes.js';
import { quotedPrintableStream, sevenBitCheckStream, type SevenBitFinding } from '../mime/stream.js';
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
import { signingSettings } from './header-protection.js';
import { protectStreamedEntity, type StreamedEntity } from './header-protection-stream.js';
import {
  base64LinesStream,
  canonicalBody,
  isLineOriented,
  outerPrefix,
  splitStreamedMessage,
  type StreamedSplit,
} from './stream-entity.js';

/** `signMessageStream`'s options: `signMessage`'s, and how a detached signature writes a single-part body. */
export interface SignMessageStreamOptions extends SignMessageOptions {
  /**
   * How a detached (`multipart/signed`) signature writes a single-part body that is not already base64 or
   * quoted-printable. A stream has to write the part's header before it has seen the body, so it cannot decide
   * from the whole body as `signMessage` does:
   * - `'encode'` (default): re-encoded as it passes, quoted-printable for text and base64 otherwise. Always works.
   * - `'keep'`: written as it is (line ends brought to CRLF), as `signMessage` writes a 7-bit body and
   *   `openssl cms -sign -stream` writes any body: faster, and the body reads as it was. The body must be 7-bit safe
   *   (no 8-bit data, NUL or bare CR, no line over 998 octets or beginning `From `), checked as it passes; the
   *   first byte that is not fails the stream with `content-not-7bit` (`details.offset`). A source that can be read
   *   again (a file) is then signed again with `'encode'`: `smimekit sign` does so.
   *
   * Multipart bodies are always kept and checked; an opaque signature (`detached: false`) carries any body as it is.
   */
  bodyEncoding?: 'encode' | 'keep';
}

/**
 * Signs a message from a stream and returns the signed message as a stream (options as `signMessage`, plus
 * `bodyEncoding`). Key, certificate and option problems are thrown before anything is read; a problem found in the
 * content (see the module notes) errors the returned stream.
 *
 * @throws {CryptoError} `key-mismatch`; {ArgumentError} `bad-argument`, `legacy-display-unsupported` (header
 *   protection for encryption of a body the legacy display element cannot be streamed into: multipart, HTML, base64)
 * @example
 * ```ts no-run
 * const signed = await signMessageStream(Readable.toWeb(createReadStream('big.eml')), { signer: identity });
 * await signed.pipeTo(Writable.toWeb(createWriteStream('big.signed.eml')));
 * ```
 */
export async function signMessageStream(
  input: ByteSource,
  options: SignMessageStreamOptions,
): Promise<ReadableStream<Uint8Array>> {
  const { bodyEncoding = 'encode' } = options;
  if (bodyEncoding !== 'encode' && bodyEncoding !== 'keep')
    throw new ArgumentError('bad-argument', `bodyEncoding must be 'encode' or 'keep', not ${String(bodyEncoding)}`);
  const prepared = await prepareMessageSigner(options);
  const settings = signingSettings(options.headerProtection);
  const boundary = checkBoundary(options.boundary) ?? newBoundary();
  const split = await splitStreamedMessage(input);
  let protection;
  try {
    const inner = prepared.detached
      ? sevenBitEntity(split, bodyEncoding)
      : { head: split.innerHead, body: canonicalBody(split) };
    protection = protectStreamedEntity(split.outerHeaders, inner, settings);
  } catch (e) {
    await split.body.return(undefined);
    throw e;
  }
  const { outerHeaders } = protection;
  const entity = entityStream(protection.entity.head, protection.entity.body);
  if (!prepared.detached) {
    const cms = await createSignedDataStream(entity, prepared.cmsOptions);
    return generatorStream(
      (async function* () {
        yield outerPrefix(outerHeaders, OPAQUE_SIGNED_HEAD);
        yield* base64LinesStream(cms);
      })(),
    );
  }
  const signature = await startDetachedSignature(prepared.cmsOptions);
  // A generated boundary holds 128 random bits, so only a caller's own boundary can occur in the content.
  const scan = options.boundary === undefined ? undefined : boundaryScanner(boundary);
  async function* produce(): AsyncGenerator<Uint8Array> {
    yield outerPrefix(outerHeaders, multipartSignedHead(prepared.digest, boundary));
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
function sevenBitEntity(split: StreamedSplit, bodyEncoding: 'encode' | 'keep'): StreamedEntity {
  const single = !/^multipart\//.test(split.mediaType) || split.innerHead.length === 0;
  const encoded = split.transferEncoding === 'base64' || split.transferEncoding === 'quoted-printable';
  if (single && !encoded && bodyEncoding === 'keep' && split.innerHead.length === 0) {
    // Headerless text, as signMessage labels a 7-bit one.
    const head = fromLatin1('Content-Type: text/plain; charset=us-ascii\r\n\r\n');
    return { head, body: sevenBitCheckStream(split.body, notSevenBit('kept')) };
  }
  if (single && !encoded && bodyEncoding === 'encode') {
    const text = split.innerHead.length === 0 || /^text\//.test(split.mediaType);
    const head = reencodedHead(split.innerHead, text ? 'quoted-printable' : 'base64');
    // Quoted-printable ends every line with CRLF itself: no line-end pass before it.
    const body = text ? quotedPrintableStream(split.body) : base64LinesStream(split.body);
    return { head, body };
  }
  // Line ends are brought to CRLF in the same pass as the check (a body kept byte for byte may have none alone).
  const lineEnds = isLineOriented(split) ? 'convert' : 'finding';
  const fail = single ? notSevenBit('kept') : notSevenBit('multipart');
  return { head: split.innerHead, body: sevenBitCheckStream(split.body, fail, lineEnds) };
}

/**
 * The error for a body written as it is that is not 7-bit: `details.sevenBit.body` says whether it was a single-part body
 * kept by `bodyEncoding: 'keep'` (which `'encode'` signs) or a multipart one (which only `signMessage` signs).
 */
function notSevenBit(body: 'kept' | 'multipart'): (finding: SevenBitFinding) => never {
  return (finding) => {
    const what = {
      '8bit': '8-bit data',
      nul: 'a NUL byte',
      'bare-cr': 'a CR that does not end a line',
      'bare-lf': 'a LF without a CR before it',
      'long-line': 'a line longer than 998 octets',
      'from-line': 'a line beginning "From " (mbox storage would change it)',
    }[finding.reason];
    const remedy =
      body === 'kept'
        ? "sign with bodyEncoding 'encode' (the default), which re-encodes it"
        : 'encode its parts, or sign with signMessage';
    throw new FormatError(
      'content-not-7bit',
      `the content has ${what} at byte ${finding.offset} of the body; a streamed multipart/signed writes this body as it is, so it must be 7-bit: ${remedy}`,
      { details: { offset: finding.offset, sevenBit: { reason: finding.reason, body } } },
    );
  };
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
