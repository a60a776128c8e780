/**
 * `encryptMessageStream`: `encryptMessage` for messages of any size. Certificates are checked and validated and
 * the RecipientInfos written before the first byte of content is read; the content is then encrypted as the
 * output is read (BER with indefinite lengths, base64 in 76-character lines), so memory stays bounded.
 */
import type { ByteSource } from '../util/byte-source.js';
import { generatorStream } from '../util/byte-source.js';
import { createEnvelopeStream } from '../cms/stream/envelope-writer.js';
import {
  planEncryption,
  pkcs7MimeHead,
  warningsFor,
  type EncryptMessageOptions,
  type EncryptMessageResult,
} from './encrypt.js';
import { base64LinesStream, canonicalBody, outerPrefix, splitStreamedMessage } from './stream-entity.js';
import { refuseHeaderProtection } from './header-protection.js';

/** Result of `encryptMessageStream`: what `encryptMessage` reports, and the message as a stream. */
export interface EncryptMessageStreamResult extends Omit<EncryptMessageResult, 'message' | 'cms'> {
  /** The encrypted message (outer headers kept), read as it is produced. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Encrypts a streamed message to every recipient and the sender (options as `encryptMessage`).
 *
 * @throws what `encryptMessage` throws about recipients, the sender and options — before any content is read.
 * @example
 * ```ts no-run
 * const { stream } = await encryptMessageStream(Readable.toWeb(createReadStream('big.eml')), {
 *   recipients: [bobCertificate], sender: alice.certificate, trust,
 * });
 * await stream.pipeTo(Writable.toWeb(createWriteStream('big.p7m.eml')));
 * ```
 */
export async function encryptMessageStream(
  input: ByteSource,
  options: EncryptMessageOptions,
): Promise<EncryptMessageStreamResult> {
  refuseHeaderProtection(options.headerProtection, 'encryptMessageStream');
  const plan = await planEncryption(options);
  const split = await splitStreamedMessage(input);
  async function* entity(): AsyncGenerator<Uint8Array> {
    if (split.innerHead.length) yield split.innerHead;
    yield* canonicalBody(split);
  }
  const envelope = await createEnvelopeStream(entity(), plan.recipients, { cipher: plan.cipher });
  const written = plan.written(envelope.recipients);
  async function* produce(): AsyncGenerator<Uint8Array> {
    yield outerPrefix(split.outerHeaders, pkcs7MimeHead(envelope.contentType));
    yield* base64LinesStream(envelope.stream);
  }
  return {
    stream: generatorStream(produce()),
    contentType: envelope.contentType,
    cipher: plan.cipher,
    recipients: written,
    warnings: warningsFor(written, plan.cipher),
  };
}
