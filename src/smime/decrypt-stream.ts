/**
 * `decryptMessageStream`: `decryptMessage` for messages of any size. The header and the RecipientInfos are read
 * and the key recovered before anything is returned; the content is then decrypted as the output is read.
 *
 * The contract for the verdict that only the end can give (the GCM tag; for CBC, the padding): the output stream
 * closes normally only once it has passed, and otherwise errors with `decryption-failed`; `result` settles at the
 * same moment. Until then the bytes read are unverified. Write them somewhere temporary and use them only when
 * the stream has closed (the CLI renames a temporary file into place).
 */
import { ArgumentError, CryptoError } from '../errors.js';
import type { ByteSource } from '../util/byte-source.js';
import { openEnvelopeStream, type DecryptedEnvelopeStream } from '../cms/stream/envelope-reader.js';
import { joinMessage } from '../mime/canonical.js';
import { LAYER_SELECTION } from './classify.js';
import { cmsBytes, openSmimeStream } from './stream-entity.js';
import { notSmime } from './read-cms.js';
import type { DecryptMessageOptions, DecryptMessageResult } from './decrypt.js';

/** What `decryptMessageStream` reports once the content has been read to its end. */
export type DecryptMessageStreamResult = Omit<DecryptMessageResult, 'content' | 'message'> & DecryptedEnvelopeStream;

/** The decrypted message as a stream, and its result (settles when the stream ends). */
export interface DecryptMessageStream {
  /** The decrypted content exactly as encrypted (for S/MIME: a MIME entity), as `DecryptMessageResult.content`. */
  stream: ReadableStream<Uint8Array>;
  /**
   * For a whole message, its outer headers (with MIME-Version) to put before the content to get what
   * `DecryptMessageResult.message` holds; empty for an entity or raw CMS.
   */
  outerHeaders: Uint8Array;
  /** Settles when `stream` has been read to its end: rejects with the error the stream ended with. */
  result: Promise<DecryptMessageStreamResult>;
  /** The cipher, known before any content is read. */
  cipher: string;
  envelopeType: 'envelopedData' | 'authEnvelopedData';
}

/**
 * Decrypts a streamed S/MIME message (whole message, entity, or raw BER CMS). `authenticated` is true for AES-GCM
 * only: a signature inside is not looked at (verify the output with `verifyMessageStream`). With
 * `requireAuthenticated`, content that is not AES-GCM is refused before anything is decrypted.
 *
 * @throws what `decryptMessage` throws about the message, the key and the recipient, before any content is read;
 *   CryptoError `unauthenticated-encryption` (with `requireAuthenticated`).
 * @example
 * ```ts no-run
 * const { stream, result } = await decryptMessageStream(Readable.toWeb(createReadStream('big.p7m.eml')), { identity });
 * await stream.pipeTo(Writable.toWeb(createWriteStream('big.eml.part')));
 * await result; // resolved: the content is complete and (for GCM) authentic; rename the file into place
 * ```
 */
export async function decryptMessageStream(
  input: ByteSource,
  options: DecryptMessageOptions,
): Promise<DecryptMessageStream> {
  if (!options?.identity?.privateKey || !options.identity.certificate)
    throw new ArgumentError('bad-argument', 'decryptMessage needs options.identity with certificate and privateKey');
  const smime = await openSmimeStream(input);
  // A lone signature part is opened too, as decryptMessage opens it: its CMS type makes it `not-enveloped`.
  if (!LAYER_SELECTION.decrypt(smime.type)) {
    await smime.body.return(undefined);
    throw notSmime(smime.entity?.contentType.mediaType ?? 'not S/MIME');
  }
  const envelope = await openEnvelopeStream(cmsBytes(smime), options.limits);
  const { info } = envelope;
  const gcm = info.contentType === 'authEnvelopedData' || /gcm/.test(info.cipher);
  if (options.requireAuthenticated && !gcm) {
    await envelope.cancel();
    throw new CryptoError(
      'unauthenticated-encryption',
      `the message is encrypted with ${info.cipher}, which does not protect its integrity; a signature inside cannot be checked before a stream releases the content: refused (requireAuthenticated)`,
    );
  }
  const opened = await envelope
    .decrypt({
      certificate: options.identity.certificate,
      privateKey: options.identity.privateKey,
      allowLegacyGcm: options.allowLegacyGcm ?? false,
    })
    .catch(async (e: unknown) => {
      await envelope.cancel(e);
      throw e;
    });
  const declared = smime.entity?.contentType.params['smime-type'];
  const result = opened.result.then((r) => ({
    ...r,
    ...(declared !== undefined ? { declaredSmimeType: declared } : {}),
  }));
  result.catch(() => undefined);
  options.onLayer?.({
    kind: info.contentType === 'authEnvelopedData' ? 'authEnveloped-data' : 'enveloped-data',
    path: '/',
    depth: 0,
  });
  return {
    stream: opened.stream,
    outerHeaders: smime.outerHeaders.length ? joinMessage(smime.outerHeaders, new Uint8Array(0)) : new Uint8Array(0),
    result,
    cipher: info.cipher,
    envelopeType: info.contentType,
  };
}
