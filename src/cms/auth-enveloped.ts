import { seq, octets, encodeInt } from '../asn1/index.js';
/**
 * AuthEnvelopedData (RFC 5083) with AES-GCM (RFC 5084): the S/MIME 4.0
 * (RFC 8551) authenticated-encryption envelope. Reading and decryption share
 * the EnvelopedData code (`parseEnvelope`, `decryptEnvelope`).
 */

/**
 * DER AuthEnvelopedData from its encoded parts: version 0, no originatorInfo,
 * no authAttrs (the content is id-data, for which RFC 5083 does not require
 * them), the GCM tag as `mac`.
 */
export function encodeAuthEnvelopedData(
  recipientInfos: Uint8Array,
  authEncryptedContentInfo: Uint8Array,
  mac: Uint8Array,
): Uint8Array {
  return seq(encodeInt(0), recipientInfos, authEncryptedContentInfo, octets(mac));
}
