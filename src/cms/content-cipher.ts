/**
 * Content-encryption algorithms of CMS: the AES-CBC and AES-GCM ciphers
 * smimekit writes, and decryption of everything it reads (AES-CBC/GCM, legacy
 * 3DES/DES/RC2 through the crypto layer). RC2/DES/3DES are never written.
 */
import { ArgumentError, CryptoError } from '../errors.js';
import { aesCbcEncryptPieces, aesGcmDecrypt, aesGcmEncrypt } from '../crypto/ciphers/aes.js';
import { joinPieces } from '../util/bytes.js';
import {
  AES_GCM_OIDS,
  contentKeyLength,
  decryptContent,
  parseGcmParameters,
  type GcmParameterPolicy,
} from '../crypto/ciphers/content.js';
import { randomBytes } from '../crypto/engine.js';
import { cbcParameters, parseRc2CbcParameters } from '../crypto/ciphers/by-oid.js';
import { parsing } from './malformed.js';
import { type ParsedAlgorithm, seq, octets, encodeInt, algorithmId } from '../asn1/index.js';

/** Content ciphers smimekit can write. */
export type ContentCipherName =
  'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';

export interface ContentCipherInfo {
  oid: string;
  keyLength: number;
  /** `gcm` ciphers go into AuthEnvelopedData. */
  mode: 'cbc' | 'gcm';
}

export const CONTENT_CIPHERS: Readonly<Record<ContentCipherName, ContentCipherInfo>> = {
  'aes-128-cbc': { oid: '2.16.840.1.101.3.4.1.2', keyLength: 16, mode: 'cbc' },
  'aes-192-cbc': { oid: '2.16.840.1.101.3.4.1.22', keyLength: 24, mode: 'cbc' },
  'aes-256-cbc': { oid: '2.16.840.1.101.3.4.1.42', keyLength: 32, mode: 'cbc' },
  'aes-128-gcm': { oid: '2.16.840.1.101.3.4.1.6', keyLength: 16, mode: 'gcm' },
  'aes-192-gcm': { oid: '2.16.840.1.101.3.4.1.26', keyLength: 24, mode: 'gcm' },
  'aes-256-gcm': { oid: '2.16.840.1.101.3.4.1.46', keyLength: 32, mode: 'gcm' },
};

/** Names of content-encryption OIDs smimekit reads (for reports). */
const READ_NAMES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(CONTENT_CIPHERS).map(([name, info]) => [info.oid, name])),
  '1.2.840.113549.3.7': 'des-ede3-cbc',
  '1.3.14.3.2.7': 'des-cbc',
  '1.2.840.113549.3.2': 'rc2-cbc',
};

/** True for names of ciphers smimekit writes. */
export function isContentCipherName(name: string): name is ContentCipherName {
  return Object.prototype.hasOwnProperty.call(CONTENT_CIPHERS, name);
}

/** Human name of a content-encryption algorithm (`aes-256-gcm`, `des-ede3-cbc`, `rc2-cbc/128`...), the OID when unknown. */
export function contentCipherName(alg: ParsedAlgorithm): string {
  const name = READ_NAMES[alg.oid];
  if (!name) return alg.oid;
  if (name === 'rc2-cbc') {
    try {
      return `rc2-cbc/${parseRc2CbcParameters(alg.params).effectiveBits}`;
    } catch {
      return name;
    }
  }
  return name;
}

/** True when the algorithm is AES-GCM. */
export function isGcm(alg: ParsedAlgorithm): boolean {
  return AES_GCM_OIDS[alg.oid] !== undefined;
}

/** Length in bytes of the content-encryption key an algorithm needs (`unsupported-algorithm` when unknown). */
export function cekLength(alg: ParsedAlgorithm): number {
  return contentKeyLength(alg.der);
}

/** A fresh random content-encryption key. */
export function generateCek(cipher: ContentCipherName): Uint8Array {
  return randomBytes(CONTENT_CIPHERS[cipher].keyLength);
}

/** Result of content encryption: the AlgorithmIdentifier to store, the ciphertext, and the GCM tag. */
export interface EncryptedContentParts {
  algorithm: Uint8Array;
  ciphertext: Uint8Array;
  /** AES-GCM only: the authentication tag (AuthEnvelopedData `mac`). */
  tag?: Uint8Array;
}

/**
 * Encrypts content with a fresh IV/nonce. For GCM, `aad` is the DER of the
 * authAttrs (absent: none) and the 16-byte tag is returned separately.
 */
export async function encryptContent(
  cipher: ContentCipherName,
  key: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<EncryptedContentParts> {
  const { ciphertext, ...rest } = await encryptContentPieces(cipher, key, plaintext, aad);
  return { ...rest, ciphertext: joinPieces(ciphertext) };
}

/**
 * `encryptContent` of plaintext in pieces (concatenated, the content), with the ciphertext in pieces: for a caller
 * that copies it into a larger structure anyway. AES-CBC encrypts the pieces where they lie.
 */
export async function encryptContentPieces(
  cipher: ContentCipherName,
  key: Uint8Array,
  plaintext: Uint8Array | readonly Uint8Array[],
  aad?: Uint8Array,
): Promise<Omit<EncryptedContentParts, 'ciphertext'> & { ciphertext: Uint8Array[] }> {
  const info = CONTENT_CIPHERS[cipher];
  if (key.length !== info.keyLength)
    throw new ArgumentError('bad-key-length', `${cipher} needs a ${info.keyLength}-byte key`);
  if (info.mode === 'cbc') {
    const iv = randomBytes(16);
    return { algorithm: algorithmId(info.oid, octets(iv)), ciphertext: await aesCbcEncryptPieces(key, iv, plaintext) };
  }
  // RFC 5084: 12-byte nonce; the ICV length is written explicitly (16) since the DEFAULT is 12.
  const nonce = randomBytes(12);
  const whole = plaintext instanceof Uint8Array ? plaintext : joinPieces(plaintext);
  const { ciphertext, tag } = await aesGcmEncrypt(key, nonce, whole, aad ? { aad, tagLength: 16 } : { tagLength: 16 });
  return { algorithm: algorithmId(info.oid, seq(octets(nonce), encodeInt(16))), ciphertext: [ciphertext], tag };
}

/**
 * Checks a content-encryption algorithm's parameters as the message states them, before any key is used: the
 * CBC IV (present, one block long), RC2's version, AES-GCM's nonce and tag length under `policy`.
 *
 * @throws FormatError `malformed-cms` (a missing or wrong-length IV), `bad-rc2-parameters`, `bad-gcm-parameters`;
 *   AlgorithmError `legacy-gcm-parameters` (see `parseGcmParameters`), `unsupported-algorithm`
 */
export function checkContentParameters(alg: ParsedAlgorithm, policy: GcmParameterPolicy = {}): void {
  parsing('content-encryption parameters', () => {
    if (isGcm(alg)) parseGcmParameters(alg.der, policy);
    else cbcParameters(alg.oid, alg.params, 'malformed-cms');
  });
}

/**
 * Decrypts content. GCM needs `tag` (AuthEnvelopedData's mac); when absent
 * (GCM inside EnvelopedData, the tolerated legacy form PKI.js writes) the tag
 * is taken from the end of the ciphertext. Every failure of a well-formed
 * message is `decryption-failed`; nothing partial is returned. Parameters
 * are checked as `checkContentParameters` does (`policy`: `allowLegacyGcm`).
 */
export async function decryptContentWith(
  alg: ParsedAlgorithm,
  key: Uint8Array,
  ciphertext: Uint8Array,
  gcm?: { tag?: Uint8Array; aad?: Uint8Array },
  policy: GcmParameterPolicy = {},
): Promise<Uint8Array> {
  checkContentParameters(alg, policy);
  const expected = cekLength(alg);
  if (key.length !== expected)
    throw new CryptoError('decryption-failed', 'decryption failed: the content-encryption key has the wrong length');
  if (isGcm(alg)) {
    const { nonce, tagLength } = parseGcmParameters(alg.der, policy);
    let data = ciphertext;
    let tag = gcm?.tag;
    if (!tag) {
      if (ciphertext.length < tagLength)
        throw new CryptoError('decryption-failed', 'decryption failed: AES-GCM content shorter than its tag');
      data = ciphertext.subarray(0, ciphertext.length - tagLength);
      tag = ciphertext.subarray(ciphertext.length - tagLength);
    }
    if (tag.length !== tagLength)
      throw new CryptoError('decryption-failed', 'decryption failed: AES-GCM tag length differs from the parameters');
    return aesGcmDecrypt(key, nonce, data, tag, gcm?.aad ? { aad: gcm.aad } : undefined);
  }
  return decryptContent(alg.der, key, ciphertext);
}
