/** Content and key-encryption ciphers: pure-TS DES/3DES/RC2, WebCrypto AES. */
import { ArgumentError } from '../../errors.js';
import { createDes } from './des.js';
import { createRc2 } from './rc2.js';
import { cbcDecrypt, cbcEncrypt } from './modes.js';

export { pkcs7Unpad } from './modes.js';
export { createDes } from './des.js';
export { createRc2, rc2EffectiveBitsToVersion, rc2VersionToEffectiveBits } from './rc2.js';
export { aesCbcDecrypt, aesCbcEncrypt, aesGcmDecrypt, aesGcmEncrypt, aesKeyUnwrap, aesKeyWrap } from './aes.js';

/** DES-EDE3-CBC (24-byte key; 16-byte two-key 3DES accepted) with PKCS#7 padding. */
export function desEde3CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return cbcDecrypt(createDes(checkLen(key, [16, 24], '3DES')), iv, ciphertext);
}

/** DES-EDE3-CBC encryption with PKCS#7 padding (tests and PKCS#12 writing only; never for new mail). */
export function desEde3CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return cbcEncrypt(createDes(checkLen(key, [16, 24], '3DES')), iv, plaintext);
}

/** Single DES-CBC (legacy mail only) with PKCS#7 padding. */
export function desCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return cbcDecrypt(createDes(checkLen(key, [8], 'DES')), iv, ciphertext);
}

/** Single DES-CBC encryption with PKCS#7 padding (tests only). */
export function desCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return cbcEncrypt(createDes(checkLen(key, [8], 'DES')), iv, plaintext);
}

/** RC2-CBC with PKCS#7 padding; `effectiveBits` defaults to the key length in bits. */
export function rc2CbcDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  effectiveBits?: number,
): Uint8Array {
  return cbcDecrypt(createRc2(key, effectiveBits), iv, ciphertext);
}

/** RC2-CBC encryption with PKCS#7 padding (tests and PKCS#12 writing only). */
export function rc2CbcEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  effectiveBits?: number,
): Uint8Array {
  return cbcEncrypt(createRc2(key, effectiveBits), iv, plaintext);
}

function checkLen(key: Uint8Array, lengths: number[], name: string): Uint8Array {
  if (!lengths.includes(key.length))
    throw new ArgumentError('bad-key-length', `${name} key must be ${lengths.join(' or ')} bytes, not ${key.length}`);
  return key;
}
export { contentKeyLength, decryptContent } from './content.js';
