/**
 * What readMessageStream looks at before it opens a layer: the header section of a streamed entity and, for a
 * pkcs7-mime body, the CMS content type from its first bytes; then the entity again, whole, for the layer's reader.
 */
import { decodeOid } from '../asn1/index.js';
import { concatBytes, fromBase64, latin1 } from '../util/bytes.js';
import { pemBeginLength, pemWithoutEnd } from '../util/pem.js';
import { generatorStream, type ByteSource } from '../util/byte-source.js';
import { parseMime } from '../mime/entity.js';
import { toCrlf } from '../mime/canonical.js';
import {
  decodeBase64Body,
  decodeQuotedPrintable,
  isKnownTransferEncoding,
  unknownTransferEncoding,
} from '../mime/transfer-encoding.js';
import { getHeader, type MimeHeader } from '../mime/headers.js';
import { beginsLikeCmsPem, readHeadStream } from '../mime/stream.js';
import { classifyEntity, RAW_CMS, type SmimeEntityType } from './classify.js';

/** A streamed entity whose header section (and, for pkcs7-mime, CMS content type) has been looked at. */
export interface Peeked {
  headers: MimeHeader[];
  type: SmimeEntityType | undefined;
  /** The CMS content type of a pkcs7-mime body. */
  cmsType?: string;
  /** Nothing at all was read. */
  empty: boolean;
  /** The entity again, from its first byte. */
  stream: ReadableStream<Uint8Array>;
  /** The same without the `prefix` given to `peek` (the content as its layer holds it). */
  content: ReadableStream<Uint8Array>;
}

/** Reads the header section (and a pkcs7-mime body's CMS content type), then gives the entity back whole. */
export async function peek(source: ByteSource, prefixLength = 0): Promise<Peeked> {
  const { head, body } = await readHeadStream(source, undefined, 'blank-line');
  const consumed: Uint8Array[] = [];
  let headers: MimeHeader[] = [];
  let type: SmimeEntityType | undefined;
  let cmsType: string | undefined;
  let empty = false;
  if (head.length === 0) {
    // No header section: raw CMS (a .p7m file, BER or PEM), as readMessage reads it — or nothing at all.
    cmsType = await sniffCmsType(body, consumed, 'raw');
    empty = consumed.every((c) => c.length === 0);
    // It began like a ContentInfo (that is why there is no header section): CMS, whether or not its type reads.
    if (!empty) type = RAW_CMS;
  } else {
    const entity = parseMime(toCrlf(head));
    headers = entity.headers;
    type = classifyEntity(entity);
    if (type?.form === 'pkcs7-mime') {
      const header = getHeader(entity.headers, 'content-transfer-encoding');
      const encoding = (header ?? '7bit').trim().toLowerCase();
      if (!isKnownTransferEncoding(encoding)) {
        await body.return(undefined);
        throw unknownTransferEncoding(header);
      }
      cmsType = await sniffCmsType(body, consumed, encoding);
    }
  }
  async function* again(skip: number): AsyncGenerator<Uint8Array> {
    try {
      if (head.length > skip) yield head.subarray(skip);
      yield* consumed;
      yield* body;
    } finally {
      // Closed early, even before reaching the body: the input is let go too (else what feeds it waits forever).
      await body.return(undefined);
    }
  }
  return {
    headers,
    type,
    empty,
    ...(cmsType !== undefined ? { cmsType } : {}),
    // Only one of the two is read (a generator runs once).
    stream: generatorStream(again(0)),
    content: generatorStream(again(Math.min(prefixLength, head.length))),
  };
}

/**
 * The first bytes of a PEM block's DER, from its first characters (`whole`: all of the input).
 *
 * @throws FormatError `malformed-pem` for a whole input without an END line, as the buffered readers say.
 */
function pemStart(text: string, whole: boolean): Uint8Array {
  const afterBegin = text.slice(pemBeginLength(text) ?? text.length);
  if (whole && !afterBegin.includes('-')) throw pemWithoutEnd();
  const body = afterBegin.split('-')[0]!.replace(/[^A-Za-z0-9+/]/g, '');
  return fromBase64(body.slice(0, body.length - (body.length % 4)));
}

/** The ContentInfo's contentType from the first bytes of a CMS body (the chunks read are kept in `consumed`). */
async function sniffCmsType(
  body: AsyncGenerator<Uint8Array>,
  consumed: Uint8Array[],
  encoding: string,
): Promise<string | undefined> {
  let text = '';
  let raw: Uint8Array = new Uint8Array(0);
  let wanted = 48;
  let ended = false;
  for (let i = 0; i < 64; i++) {
    const next = await body.next();
    if (next.done) {
      ended = true;
      break;
    }
    consumed.push(next.value);
    // Raw CMS: BER, or PEM (its first chunk holds the whole BEGIN line: readHeadStream looked at it).
    if (encoding === 'raw') encoding = beginsLikeCmsPem(next.value) ? 'pem' : 'binary';
    // Quoted-printable takes up to three characters a byte (and soft line breaks), PEM a BEGIN line: read more.
    if (encoding === 'quoted-printable' || encoding === 'pem') wanted = 200;
    if (encoding === 'base64') {
      text += latin1(next.value).replace(/[^A-Za-z0-9+/]/g, '');
      if (text.length >= 64) break;
    } else {
      raw = concatBytes(raw, next.value.subarray(0, wanted));
      if (raw.length >= wanted) break;
    }
  }
  const bytes =
    encoding === 'base64'
      ? // A whole short body decodes as readMessage decodes it (a leftover character is malformed-mime, not a cut CMS).
        ended
        ? decodeBase64Body(concatBytes(...consumed))
        : fromBase64(text.slice(0, text.length - (text.length % 4)))
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(raw)
        : encoding === 'pem'
          ? pemStart(latin1(ended ? concatBytes(...consumed) : raw), ended)
          : raw;
  // SEQUENCE (any length form), then OBJECT IDENTIFIER.
  if (bytes[0] !== 0x30) return undefined;
  let i = 1;
  const len = bytes[i++]!;
  if (len > 0x80) i += len & 0x7f;
  if (bytes[i] !== 0x06) return undefined;
  const oidLength = bytes[i + 1]!;
  if (oidLength > 40 || i + 2 + oidLength > bytes.length) return undefined;
  // A ContentInfo's content follows its type as [0] EXPLICIT: anything else is no ContentInfo (readMessage, which
  // parses it whole, says malformed-cms), not content of another CMS type.
  const after = i + 2 + oidLength;
  if (after < bytes.length && bytes[after] !== 0xa0) return undefined;
  try {
    return decodeOid(bytes.subarray(i + 2, i + 2 + oidLength));
  } catch {
    return undefined;
  }
}
