/**
 * `encryptMessageStream`: `encryptMessage` for messages of any size. Certificates are checked and validated and
 * the RecipientInfos written before the first byte of content is read; the content is then encrypted as the
 * output is read (BER with indefinite lengths, base64 in 76-character lines), so memory stays bounded.
 * `headerProtection` (RFC 9788) is written from the message's header section, which comes first, as
 * `encryptMessage` writes it (src/smime/header-protection-stream.ts).
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
import { encryptionSettings } from './header-protection.js';
import { protectStreamedForEncryption } from './header-protection-stream.js';

/** Result of `encryptMessageStream`: what `encryptMessage` reports, and the message as a stream. */
export interface EncryptMessageStreamResult extends Omit<EncryptMessageResult, 'message' | 'cms'> {
  /** The encrypted message (outer headers kept), read as it is produced. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Encrypts a streamed message to every recipient and the sender (options as `encryptMessage`).
 *
 * @throws what `encryptMessage` throws about recipients, the sender and options — before any content is read;
 *   ArgumentError `legacy-display-unsupported` when header protection would need a legacy display element in a
 *   body that cannot take one while it streams (multipart, HTML, base64): pass `legacyDisplay: false`.
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
  const settings = encryptionSettings(options.headerProtection);
  const plan = await planEncryption(options);
  const split = await splitStreamedMessage(input);
  const protection = await protectStreamedForEncryption(
    split,
    (body) => ({ head: split.innerHead, body: canonicalBody({ ...split, body }) }),
    settings,
  ).catch(async (e: unknown) => {
    await split.body.return(undefined);
    throw e;
  });
  async function* entity(): AsyncGenerator<Uint8Array> {
    if (protection.entity.head.length) yield protection.entity.head;
    yield* protection.entity.body;
  }
  const envelope = await createEnvelopeStream(entity(), plan.recipients, { cipher: plan.cipher });
  const written = plan.written(envelope.recipients);
  async function* produce(): AsyncGenerator<Uint8Array> {
    yield outerPrefix(protection.outerHeaders, pkcs7MimeHead(envelope.contentType));
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
