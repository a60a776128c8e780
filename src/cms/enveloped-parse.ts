/**
 * Reading EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083): the
 * RecipientInfos and the encrypted content, without decrypting. GCM found
 * inside EnvelopedData (what PKI.js writes) is read as a tolerated legacy form.
 */
import { FormatError, LimitError } from '../errors.js';
import { DEFAULT_CMS_LIMITS, type CmsLimits } from './limits.js';
import type { BytesLike } from '../util/bytes.js';
import { CONTENT_TYPE, parseContentInfo, type ContentInfo } from './content-info.js';
import { contentCipherName } from './content-cipher.js';
import { parseRecipientInfos, type ParsedRecipientInfo } from './recipient-parse.js';
import {
  type DerNode,
  derParse,
  derChildren,
  derIsContext,
  derSequence,
  derOid,
  derSmallInt,
  derOctets,
  type ParsedAlgorithm,
  derAlgorithm,
} from '../asn1/index.js';
import { parsing } from './malformed.js';

/** A parsed EnvelopedData or AuthEnvelopedData. */
export interface ParsedEnvelope {
  contentType: 'envelopedData' | 'authEnvelopedData';
  version: number;
  recipientInfos: ParsedRecipientInfo[];
  /** eContentType of the encrypted content. */
  encryptedContentType: string;
  contentEncryptionAlgorithm: ParsedAlgorithm;
  /** `aes-256-gcm`, `des-ede3-cbc`, `rc2-cbc/128`, ... (the OID when unknown). */
  cipher: string;
  encryptedContent: Uint8Array;
  /** AuthEnvelopedData: DER `SET OF` authAttrs (the AES-GCM additional data), when present. */
  authAttrs?: Uint8Array;
  /** AuthEnvelopedData: the tag. */
  mac?: Uint8Array;
}

/** A ContentInfo as given, or parsed from DER, BER or PEM. */
export function asContentInfo(input: BytesLike | string | ContentInfo): ContentInfo {
  if (typeof input === 'object' && 'contentType' in input && 'content' in input) return input;
  return parseContentInfo(input);
}

/**
 * Parses an EnvelopedData / AuthEnvelopedData ContentInfo (DER, BER or PEM).
 *
 * @throws FormatError `malformed-cms`, or `not-enveloped` for other content types; LimitError `limit-exceeded`
 *   (`details.limit: 'maxRecipients'`, more RecipientInfos than `limits.maxRecipients`, default 10 000).
 */
export function parseEnvelope(input: BytesLike | string | ContentInfo, limits: CmsLimits = {}): ParsedEnvelope {
  const maxRecipients = limits.maxRecipients ?? DEFAULT_CMS_LIMITS.maxRecipients;
  const ci = asContentInfo(input);
  if (ci.contentType !== CONTENT_TYPE.envelopedData && ci.contentType !== CONTENT_TYPE.authEnvelopedData) {
    throw new FormatError('not-enveloped', `the CMS content is ${ci.name ?? ci.contentType}, not EnvelopedData`, {
      details: { contentType: ci.name ?? ci.contentType },
    });
  }
  const auth = ci.contentType === CONTENT_TYPE.authEnvelopedData;
  return parsing(auth ? 'AuthEnvelopedData' : 'EnvelopedData', () => {
    const kids = derSequence(derParse(ci.content), 'EnvelopedData', 3);
    let i = 0;
    const version = derSmallInt(kids[i++], 'version');
    if (kids[i] && derIsContext(kids[i]!, 0)) i++; // originatorInfo: certificates/CRLs, not needed to decrypt
    const infos = kids[i++]!;
    if (infos && derChildren(infos).length > maxRecipients)
      throw new LimitError('limit-exceeded', `more than ${maxRecipients} RecipientInfos (maxRecipients)`, {
        offset: infos.start,
        details: { limit: 'maxRecipients', value: maxRecipients },
      });
    const recipientInfos = parseRecipientInfos(infos);
    const eci = derSequence(kids[i++], 'EncryptedContentInfo', 2);
    const contentEncryptionAlgorithm = derAlgorithm(eci[1], 'contentEncryptionAlgorithm');
    const encNode = eci[2];
    if (!encNode || !derIsContext(encNode, 0))
      throw new FormatError(
        'malformed-cms',
        'the EnvelopedData carries no encrypted content (detached content is not supported)',
      );
    const out: ParsedEnvelope = {
      contentType: auth ? 'authEnvelopedData' : 'envelopedData',
      version,
      recipientInfos,
      encryptedContentType: derOid(eci[0], 'contentType'),
      contentEncryptionAlgorithm,
      cipher: contentCipherName(contentEncryptionAlgorithm),
      encryptedContent: derOctets(encNode, 'encryptedContent', { implicitTag: 0 }),
    };
    if (auth) {
      let node: DerNode | undefined = kids[i];
      if (node && derIsContext(node, 1)) {
        // AAD = DER of the authAttrs with the SET OF tag (RFC 5083 §2.2).
        const bytes = node.buf.slice(node.start, node.end);
        bytes[0] = 0x31;
        out.authAttrs = bytes;
        node = kids[i + 1];
      }
      if (!node || node.cls !== 0 || node.tag !== 4)
        throw new FormatError('malformed-cms', 'AuthEnvelopedData has no mac');
      out.mac = derOctets(node, 'mac');
    }
    return out;
  });
}
