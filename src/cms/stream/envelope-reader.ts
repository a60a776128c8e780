/**
 * Streaming decryption of EnvelopedData and AuthEnvelopedData, definite or indefinite BER. Everything before the
 * encrypted content (RecipientInfos, the content cipher) is read and checked first; the content is then decrypted
 * as it is read, so memory does not grow with the message.
 *
 * The verdict comes last: CBC padding and the GCM tag can only be checked after the final block. The plaintext
 * stream therefore ends in one of two ways — it closes normally only after the check passed, or it errors with
 * `decryption-failed` (and `result` rejects). A consumer that waits for the end of the stream before using the
 * data (as the CLI does, writing to a temporary file it renames only on success) never acts on forged content.
 */
import { AlgorithmError, CryptoError, FormatError, LimitError, SmimeError } from '../../errors.js';
import { BerStreamReader, type BerHeader } from '../../asn1/stream-reader.js';
import { derAlgorithm, derOid, derParse, derSmallInt, type ParsedAlgorithm } from '../../asn1/index.js';
import { createContentDecryptor } from '../../crypto/ciphers/stream.js';
import { generatorStream, iterateBytes, rechunk, type ByteSource } from '../../util/byte-source.js';
import { bytesEqual } from '../../util/bytes.js';
import { DEFAULT_CMS_LIMITS, type CmsLimits } from '../limits.js';
import { CONTENT_TYPE } from '../content-info.js';
import { contentCipherName, isGcm } from '../content-cipher.js';
import { parseRecipientInfos, type ParsedRecipientInfo } from '../recipient-parse.js';
import {
  findRecipients,
  keyManagementOf,
  recoverCek,
  recoverCekWithKek,
  type RecipientCandidate,
} from '../recipient-recover.js';
import {
  checkEnvelopeCipher,
  decryptionFailed,
  prepareRecipientKey,
  type DecryptEnvelopeOptions,
  type DecryptedEnvelope,
} from '../enveloped-decrypt.js';

/** Longest RecipientInfos / originatorInfo / authAttrs element read into memory. */
const MAX_HEADER_ELEMENT = 16 * 1024 * 1024;

/** What an envelope states before its encrypted content. */
export interface EnvelopeStreamInfo {
  contentType: 'envelopedData' | 'authEnvelopedData';
  version: number;
  recipientInfos: ParsedRecipientInfo[];
  encryptedContentType: string;
  contentEncryptionAlgorithm: ParsedAlgorithm;
  /** `aes-256-gcm`, `des-ede3-cbc`, `rc2-cbc/128`, ... */
  cipher: string;
}

/** The decryption's outcome, known once the plaintext stream has been read to its end. */
export type DecryptedEnvelopeStream = Omit<DecryptedEnvelope, 'content'>;

/** An envelope whose header has been read; its content not yet. */
export interface EnvelopeStreamReader {
  info: EnvelopeStreamInfo;
  /**
   * Recovers the content-encryption key (as `decryptEnvelope`; trial decryption with `tryAllRecipients` needs the
   * whole message and is refused here) and returns the plaintext stream and the result, which settles when the
   * stream ends: it rejects (and the stream errors) with `decryption-failed` when the padding or tag is wrong.
   *
   * @throws CryptoError `not-recipient`, `key-mismatch`; ArgumentError `bad-argument`
   */
  decrypt(options: DecryptEnvelopeOptions): Promise<{
    stream: ReadableStream<Uint8Array>;
    result: Promise<DecryptedEnvelopeStream>;
  }>;
  /** Gives up without reading the content (cancels the source). */
  cancel(reason?: unknown): Promise<void>;
}

function expectHeader(header: BerHeader | undefined, cls: number, tag: number, what: string): BerHeader {
  if (!header || header.cls !== cls || header.tag !== tag || !header.constructed)
    throw new FormatError('malformed-cms', `${what} expected`, header ? { offset: header.offset } : undefined);
  return header;
}

/**
 * Reads an EnvelopedData / AuthEnvelopedData ContentInfo up to its encrypted content.
 *
 * @throws FormatError `malformed-cms`, `not-enveloped`; LimitError `limit-exceeded` (`maxRecipients`)
 */
export async function openEnvelopeStream(source: ByteSource, limits: CmsLimits = {}): Promise<EnvelopeStreamReader> {
  const maxRecipients = limits.maxRecipients ?? DEFAULT_CMS_LIMITS.maxRecipients;
  const reader = new BerStreamReader(iterateBytes(source), { maxElementLength: MAX_HEADER_ELEMENT });
  try {
    const ci = expectHeader(await reader.readHeader(), 0, 16, 'ContentInfo SEQUENCE');
    const type = derOid(derParse(await reader.readElement(1024)), 'contentType');
    // The [0] first, as parsing the ContentInfo whole does: a broken one is malformed-cms, whatever the type says.
    const explicit = expectHeader(await reader.readHeader(), 2, 0, 'ContentInfo [0] content');
    if (type !== CONTENT_TYPE.envelopedData && type !== CONTENT_TYPE.authEnvelopedData)
      throw new FormatError('not-enveloped', `the CMS content is ${type}, not EnvelopedData`, {
        details: { contentType: type },
      });
    const auth = type === CONTENT_TYPE.authEnvelopedData;
    const env = expectHeader(await reader.readHeader(), 0, 16, 'EnvelopedData SEQUENCE');
    const version = derSmallInt(derParse(await reader.readElement(64)), 'version');
    let next = await reader.peekHeader();
    if (next && next.cls === 2 && next.tag === 0) {
      await reader.readElement(); // originatorInfo: certificates/CRLs, not needed to decrypt
      next = await reader.peekHeader();
    }
    if (!next || next.cls !== 0 || next.tag !== 17) throw new FormatError('malformed-cms', 'RecipientInfos expected');
    const infosNode = derParse(await reader.readElement());
    const recipientInfos = readRecipientInfos(infosNode, maxRecipients);
    const eci = expectHeader(await reader.readHeader(), 0, 16, 'EncryptedContentInfo SEQUENCE');
    const encryptedContentType = derOid(derParse(await reader.readElement(1024)), 'contentType');
    const contentEncryptionAlgorithm = derAlgorithm(derParse(await reader.readElement(4096)));
    const content = await reader.peekHeader();
    if (!content || content.cls !== 2 || content.tag !== 0)
      throw new FormatError(
        'malformed-cms',
        'the EnvelopedData carries no encrypted content (detached content is not supported)',
      );
    const info: EnvelopeStreamInfo = {
      contentType: auth ? 'authEnvelopedData' : 'envelopedData',
      version,
      recipientInfos,
      encryptedContentType,
      contentEncryptionAlgorithm,
      cipher: contentCipherName(contentEncryptionAlgorithm),
    };
    const frame = { reader, ci, explicit, env, eci, auth };
    return {
      info,
      decrypt: (options) => decryptStream(frame, info, options),
      cancel: (reason) => reader.cancel(reason),
    };
  } catch (e) {
    await reader.cancel(e).catch(() => undefined);
    throw asCmsError(e);
  }
}

function readRecipientInfos(node: ReturnType<typeof derParse>, maxRecipients: number): ParsedRecipientInfo[] {
  let count = 0;
  // Count children without decoding them all first: the limit must bite before the work.
  for (let offset = node.contentStart; offset < node.contentEnd && count <= maxRecipients; count++) {
    const child = derParse(node.buf.subarray(offset, node.contentEnd), { allowTrailing: true });
    offset += child.end;
  }
  if (count > maxRecipients)
    throw new LimitError('limit-exceeded', `more than ${maxRecipients} RecipientInfos (maxRecipients)`, {
      offset: node.start,
      details: { limit: 'maxRecipients', value: maxRecipients },
    });
  return parseRecipientInfos(node);
}

/** Format errors of the BER layer are CMS format errors here. */
function asCmsError(e: unknown): unknown {
  if (e instanceof FormatError && e.code === 'malformed-der' && !(e instanceof LimitError))
    return new FormatError('malformed-cms', `malformed EnvelopedData: ${e.message}`, { cause: e });
  return e;
}

interface Frame {
  reader: BerStreamReader;
  ci: BerHeader;
  explicit: BerHeader;
  env: BerHeader;
  eci: BerHeader;
  auth: boolean;
}

/** The content-encryption key from the RecipientInfo for the caller's key (or KEK). */
async function recoverContentKey(
  info: EnvelopeStreamInfo,
  options: DecryptEnvelopeOptions,
  cekLength: number,
): Promise<{ cek: Uint8Array; recipient: DecryptedEnvelope['recipient'] }> {
  if (options.kek) {
    const kek = options.kek;
    const index = info.recipientInfos.findIndex(
      (ri) => ri.kind === 'kekri' && (!kek.keyIdentifier || bytesEqual(ri.keyIdentifier, kek.keyIdentifier)),
    );
    const ri = info.recipientInfos[index];
    if (!ri || ri.kind !== 'kekri')
      throw new CryptoError('not-recipient', 'no KEKRecipientInfo matches the key identifier');
    return { cek: await recoverCekWithKek(ri, kek.key), recipient: { index, keyManagement: 'kek', matchedBy: 'kek' } };
  }
  if (options.tryAllRecipients)
    throw new SmimeError(
      'bad-argument',
      'trying the key on every RecipientInfo needs the whole message (trial decryption): use decryptEnvelope',
    );
  const { key, certInfo } = await prepareRecipientKey(options);
  const first: RecipientCandidate | undefined = findRecipients(info.recipientInfos, certInfo, false)[0];
  if (!first)
    throw new CryptoError(
      'not-recipient',
      `the message is not encrypted to ${certInfo ? certInfo.subject.text : 'this key'} (no RecipientInfo matches)`,
      { details: { recipientInfos: info.recipientInfos.length } },
    );
  return {
    cek: await recoverCek(first, key, cekLength),
    recipient: { index: first.index, keyManagement: keyManagementOf(first), matchedBy: first.matchedBy },
  };
}

/** What follows the encrypted content, up to the end of the ContentInfo: AuthEnvelopedData's AAD and mac. */
async function readTrailer(frame: Frame): Promise<{ tag?: Uint8Array; aad?: Uint8Array }> {
  const { reader } = frame;
  await reader.endElement(frame.eci);
  const out: { tag?: Uint8Array; aad?: Uint8Array } = {};
  let next = await reader.peekHeader();
  if (frame.auth) {
    if (next && next.cls === 2 && next.tag === 1) {
      // AAD = DER of the authAttrs with the SET OF tag (RFC 5083 §2.2).
      const attrs = (await reader.readElement()).slice();
      attrs[0] = 0x31;
      out.aad = attrs;
      next = await reader.peekHeader();
    }
    if (!next || next.cls !== 0 || next.tag !== 4 || next.constructed)
      throw new FormatError('malformed-cms', 'AuthEnvelopedData has no mac');
    const mac = derParse(await reader.readElement(64));
    out.tag = mac.buf.subarray(mac.contentStart, mac.contentEnd);
    next = await reader.peekHeader();
    if (next && next.cls === 2 && next.tag === 2) await reader.readElement(); // unauthAttrs
  } else if (next && next.cls === 2 && next.tag === 1) await reader.readElement(); // unprotectedAttrs
  await reader.endElement(frame.env);
  await reader.endElement(frame.explicit);
  await reader.endElement(frame.ci);
  if (!(await reader.atEnd())) throw new FormatError('malformed-cms', 'data after the EnvelopedData');
  return out;
}

async function decryptStream(
  frame: Frame,
  info: EnvelopeStreamInfo,
  options: DecryptEnvelopeOptions,
): Promise<{ stream: ReadableStream<Uint8Array>; result: Promise<DecryptedEnvelopeStream> }> {
  const policy = { allowLegacyGcm: options.allowLegacyGcm ?? false };
  const alg = info.contentEncryptionAlgorithm;
  const { cekLength } = checkEnvelopeCipher(info.contentType, alg, info.cipher, policy);
  const gcm = isGcm(alg);
  // GCM inside EnvelopedData (PKI.js's legacy form) keeps its tag at the end of the ciphertext: not streamable.
  if (gcm && !frame.auth)
    throw new AlgorithmError(
      'unsupported-format',
      'AES-GCM inside EnvelopedData (a legacy form) cannot be decrypted as a stream: use decryptEnvelope',
    );
  const { cek, recipient } = await recoverContentKey(info, options, cekLength);
  if (cek.length !== cekLength) throw decryptionFailed();
  const decipher = createContentDecryptor(alg, cek, policy);
  cek.fill(0);

  let settle!: { resolve: (r: DecryptedEnvelopeStream) => void; reject: (e: unknown) => void };
  const result = new Promise<DecryptedEnvelopeStream>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined); // the stream carries the same error; an unobserved result must not crash Node
  const { reader } = frame;
  let settled = false;
  async function* produce(): AsyncGenerator<Uint8Array> {
    try {
      const header = await reader.readHeader();
      // OpenSSL's -stream output holds the ciphertext in pieces of a few KiB: gathered into blocks, so that the
      // layers after this one (a signature to verify, the caller) see few large chunks instead of thousands.
      for await (const chunk of rechunk(reader.octetStringChunks(header))) {
        const out = await decipher.update(chunk);
        if (out.length) yield out;
      }
      const { tag, aad } = await readTrailer(frame);
      if (tag) decipher.setTag(tag, aad);
      let last: Uint8Array;
      try {
        last = (await decipher.final()).output;
      } catch (e) {
        throw e instanceof CryptoError ? decryptionFailed(e) : e;
      }
      if (last.length) yield last;
      settled = true;
      settle.resolve({
        contentType: info.encryptedContentType,
        envelopeType: info.contentType,
        cipher: info.cipher,
        authenticated: gcm,
        legacyGcmInEnvelopedData: gcm && info.contentType === 'envelopedData',
        legacyCipher: /^(des|rc2)/.test(info.cipher),
        recipient,
        recipientCount: info.recipientInfos.length,
      });
    } catch (e) {
      const error = asCmsError(e);
      settled = true;
      settle.reject(error);
      await reader.cancel(error).catch(() => undefined);
      throw error;
    } finally {
      // The consumer stopped reading (cancelled the stream): the verdict will never come.
      if (!settled) {
        settle.reject(new SmimeError('stream-cancelled', 'the decrypted stream was cancelled before its end'));
        await reader.cancel().catch(() => undefined);
      }
    }
  }
  return { stream: generatorStream(produce()), result };
}
