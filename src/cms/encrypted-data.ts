/** EncryptedData (RFC 5652 §8): content encrypted under a key the parties already share, no RecipientInfos. */
import { AlgorithmError, FormatError, SmimeError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import { CONTENT_TYPE, type ContentInfo } from './content-info.js';
import { contentCipherName, decryptContentWith, isGcm } from './content-cipher.js';
import { derParse, derSequence, derOid, derOctets, derAlgorithm } from '../asn1/index.js';
import { parsing } from './malformed.js';
import { asContentInfo } from './enveloped-parse.js';
import { decryptionFailed } from './enveloped-decrypt.js';

/**
 * Decrypts an EncryptedData (RFC 5652 §8: content encrypted under a key the
 * parties already share, no RecipientInfos).
 *
 * @throws FormatError `not-encrypted-data` / `malformed-cms`, CryptoError `decryption-failed`.
 */
export async function decryptEncryptedData(
  input: BytesLike | string | ContentInfo,
  key: Uint8Array,
): Promise<{ content: Uint8Array; contentType: string; cipher: string }> {
  const ci = asContentInfo(input);
  if (ci.contentType !== CONTENT_TYPE.encryptedData)
    throw new FormatError('not-encrypted-data', `the CMS content is ${ci.name ?? ci.contentType}, not EncryptedData`);
  const { alg, contentType, ciphertext } = parsing('EncryptedData', () => {
    const kids = derSequence(derParse(ci.content), 'EncryptedData', 2);
    const eci = derSequence(kids[1], 'EncryptedContentInfo', 3);
    return {
      alg: derAlgorithm(eci[1]),
      contentType: derOid(eci[0]),
      ciphertext: derOctets(eci[2], 'encryptedContent', { implicitTag: 0 }),
    };
  });
  if (isGcm(alg)) throw new AlgorithmError('unsupported-algorithm', 'AES-GCM EncryptedData is not supported');
  try {
    return { content: await decryptContentWith(alg, key, ciphertext), contentType, cipher: contentCipherName(alg) };
  } catch (e) {
    if (e instanceof SmimeError && e.code === 'decryption-failed') throw decryptionFailed(e);
    throw e;
  }
}
