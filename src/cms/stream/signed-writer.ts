/**
 * Streaming SignedData. The content's digests are computed as it passes; the SignerInfos (whose signatures cover
 * those digests) can only be written after the last byte. Encapsulated ("opaque") content is written as
 * `openssl cms -stream` does: indefinite lengths, the eContent as a constructed OCTET STRING of definite chunks.
 */
import { ArgumentError } from '../../errors.js';
import { createStreamDigest, type StreamDigest } from '../../crypto/digest-stream.js';
import { CONTENT_TYPE } from '../content-info.js';
import { prepareSignedData, type CreateSignedDataOptions, type SigningDigest } from '../signer.js';
import { DIGEST_INFO } from '../signing-schemes.js';
import { encodeOid } from '../../asn1/index.js';
import { berDefiniteHeader, berIndefiniteHeader, END_OF_CONTENTS } from '../../asn1/stream-writer.js';
import { concatBytes } from '../../util/bytes.js';
import { generatorStream, rechunk, type ByteSource } from '../../util/byte-source.js';

/** Digests of every algorithm the signers need, updated together. */
class ContentDigests {
  private readonly running = new Map<SigningDigest, StreamDigest>();
  constructor(names: readonly SigningDigest[]) {
    for (const name of names) this.running.set(name, createStreamDigest(DIGEST_INFO[name].webcrypto));
  }
  update(chunk: Uint8Array): void {
    for (const d of this.running.values()) d.update(chunk);
  }
  finish(): Map<SigningDigest, Uint8Array> {
    return new Map([...this.running].map(([name, d]) => [name, d.digest()]));
  }
}

/** A detached signature computed over content fed to it piece by piece. */
export interface DetachedSignature {
  /** Digests the next piece of the content. */
  update(chunk: Uint8Array): void;
  /** The detached SignedData ContentInfo (DER), once every piece has been given. */
  finish(): Promise<Uint8Array>;
}

/**
 * Starts a detached signature (for `multipart/signed`, where the content travels next to the signature): the
 * caller passes the content through `update` as it streams it out.
 *
 * @throws what `createSignedData` throws for unusable signers, before any content is read.
 */
export async function startDetachedSignature(
  options: Omit<CreateSignedDataOptions, 'detached'>,
): Promise<DetachedSignature> {
  const prepared = await prepareSignedData({ ...options, detached: true });
  const digests = new ContentDigests(prepared.digests);
  return { update: (chunk) => digests.update(chunk), finish: () => prepared.finish(digests.finish()) };
}

/**
 * Signs streamed content into an encapsulating ("opaque") SignedData, BER with indefinite lengths. The returned
 * stream yields the ContentInfo as the content is read; the signatures come last.
 *
 * @throws what `createSignedData` throws for unusable signers (before the stream is returned).
 */
export async function createSignedDataStream(
  content: ByteSource,
  options: Omit<CreateSignedDataOptions, 'detached'>,
): Promise<ReadableStream<Uint8Array>> {
  if (!options?.signers?.length) throw new ArgumentError('bad-argument', 'createSignedData needs at least one signer');
  const prepared = await prepareSignedData({ ...options, detached: false });
  const digests = new ContentDigests(prepared.digests);
  async function* produce(): AsyncGenerator<Uint8Array> {
    yield concatBytes(
      berIndefiniteHeader(0x30),
      encodeOid(CONTENT_TYPE.signedData),
      berIndefiniteHeader(0xa0),
      berIndefiniteHeader(0x30),
      prepared.version,
      prepared.digestAlgorithms,
      berIndefiniteHeader(0x30),
      encodeOid(options.contentType ?? CONTENT_TYPE.data),
      berIndefiniteHeader(0xa0),
      berIndefiniteHeader(0x24),
    );
    for await (const block of rechunk(content)) {
      digests.update(block);
      yield berDefiniteHeader(0x04, block.length);
      yield block;
    }
    const signerInfos = await prepared.finish(digests.finish(), { signerInfosOnly: true });
    // eContent OCTET STRING, [0], EncapsulatedContentInfo; certificates; SignerInfos; SignedData, [0], ContentInfo.
    yield concatBytes(
      END_OF_CONTENTS,
      END_OF_CONTENTS,
      END_OF_CONTENTS,
      prepared.certificates,
      signerInfos,
      END_OF_CONTENTS,
      END_OF_CONTENTS,
      END_OF_CONTENTS,
    );
  }
  return generatorStream(produce());
}
