/**
 * Streaming EnvelopedData (AES-CBC) and AuthEnvelopedData (AES-GCM): the content is encrypted as it arrives and
 * written in BER as `openssl cms -stream` does — indefinite lengths around it, the ciphertext as a constructed
 * `[0] IMPLICIT OCTET STRING` of definite chunks — so memory does not grow with the message. The RecipientInfos are
 * written first, so every recipient problem is reported before any output.
 */
import { ArgumentError } from '../../errors.js';
import { randomBytes } from '../../crypto/engine.js';
import { createContentEncryptor } from '../../crypto/ciphers/stream.js';
import { CONTENT_TYPE } from '../content-info.js';
import { CONTENT_CIPHERS, generateCek, type ContentCipherName } from '../content-cipher.js';
import type { EnvelopeRecipient, RecipientSummary } from '../recipient-encode.js';
import { encodeRecipientInfos } from '../enveloped-create.js';
import { seq, set, encodeOid, encodeInt, octets, algorithmId } from '../../asn1/index.js';
import { berDefiniteHeader, berIndefiniteHeader, END_OF_CONTENTS, octetStringChunk } from '../../asn1/stream-writer.js';
import { concatBytes } from '../../util/bytes.js';
import { generatorStream, rechunk, type ByteSource } from '../../util/byte-source.js';

/** Options of `createEnvelopeStream`. */
export interface CreateEnvelopeStreamOptions {
  /** Content cipher; GCM ciphers produce AuthEnvelopedData. Default `aes-256-cbc`. */
  cipher?: ContentCipherName;
  /** eContentType of the encrypted content (default id-data). */
  contentType?: string;
}

/** A streaming envelope: what it is, and its BER bytes as they are produced. */
export interface EnvelopeStream {
  contentType: 'envelopedData' | 'authEnvelopedData';
  cipher: ContentCipherName;
  recipients: RecipientSummary[];
  /** The ContentInfo, BER with indefinite lengths. Pulling it pulls the content. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Encrypts a stream to every recipient (RSA key transport or ECDH, as `createEnvelope`). The result's `stream`
 * yields the ContentInfo; the content is read only as the output is read.
 *
 * @throws ArgumentError `bad-argument` (no recipients, unknown cipher); the recipient errors of `createEnvelope`.
 */
export async function createEnvelopeStream(
  content: ByteSource,
  recipients: readonly EnvelopeRecipient[],
  options: CreateEnvelopeStreamOptions = {},
): Promise<EnvelopeStream> {
  if (!recipients.length) throw new ArgumentError('bad-argument', 'at least one recipient is needed');
  const cipher = options.cipher ?? 'aes-256-cbc';
  const info = CONTENT_CIPHERS[cipher];
  if (!info) throw new ArgumentError('bad-argument', `unknown content cipher "${String(cipher)}"`);
  const cek = generateCek(cipher);
  let encoded: Awaited<ReturnType<typeof encodeRecipientInfos>>;
  try {
    encoded = await encodeRecipientInfos(recipients, cek);
  } catch (e) {
    cek.fill(0);
    throw e;
  }
  const { ris, summaries, maxVersion } = encoded;
  const gcm = info.mode === 'gcm';
  const iv = randomBytes(gcm ? 12 : 16);
  // RFC 5084: the ICV length is written explicitly (16) since the DEFAULT is 12.
  const algorithm = gcm ? algorithmId(info.oid, seq(octets(iv), encodeInt(16))) : algorithmId(info.oid, octets(iv));
  // RFC 5652 §6.1: version 2 when any RecipientInfo is not v0; AuthEnvelopedData is always version 0.
  const version = gcm ? 0 : maxVersion === 0 ? 0 : 2;
  const head = concatBytes(
    berIndefiniteHeader(0x30),
    encodeOid(gcm ? CONTENT_TYPE.authEnvelopedData : CONTENT_TYPE.envelopedData),
    berIndefiniteHeader(0xa0),
    berIndefiniteHeader(0x30),
    encodeInt(version),
    set(...ris),
    berIndefiniteHeader(0x30),
    encodeOid(options.contentType ?? CONTENT_TYPE.data),
    algorithm,
    berIndefiniteHeader(0xa0),
  );
  async function* produce(): AsyncGenerator<Uint8Array> {
    const encryptor = createContentEncryptor(info.mode, cek, iv);
    try {
      yield head;
      for await (const block of rechunk(content)) {
        const out = await encryptor.update(block);
        // The header, then the ciphertext itself: no copy of each block into a chunk of its own.
        if (out.length) {
          yield berDefiniteHeader(0x04, out.length);
          yield out;
        }
      }
      const last = await encryptor.final();
      const tail: Uint8Array[] = [];
      if (last.output.length) tail.push(octetStringChunk(last.output));
      tail.push(END_OF_CONTENTS, END_OF_CONTENTS); // encryptedContent, EncryptedContentInfo
      if (gcm) tail.push(octets(last.tag!)); // mac (no authAttrs)
      tail.push(END_OF_CONTENTS, END_OF_CONTENTS, END_OF_CONTENTS); // (Auth)EnvelopedData, [0], ContentInfo
      yield concatBytes(...tail);
    } finally {
      cek.fill(0);
    }
  }
  return {
    contentType: gcm ? 'authEnvelopedData' : 'envelopedData',
    cipher,
    recipients: summaries,
    stream: generatorStream(produce()),
  };
}
