/** Public API of the crypto layer. Other modules may append their exports below. */

// Key derivation
export { hkdf, hmac, pbkdf2, pkcs12Kdf, pkcs12PasswordBytes, x963Kdf } from './kdf.js';
export type { KdfHash, Pkcs12KdfId } from './kdf.js';

// Ciphers
export {
  AES_GCM_OIDS,
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesGcmDecrypt,
  aesGcmEncrypt,
  aesKeyUnwrap,
  aesKeyWrap,
  cbcDecrypt,
  cbcEncrypt,
  contentKeyLength,
  createDes,
  createRc2,
  decryptContent,
  desCbcDecrypt,
  desCbcEncrypt,
  desEde3CbcDecrypt,
  desEde3CbcEncrypt,
  parseGcmParameters,
  pkcs7Pad,
  pkcs7Unpad,
  rc2CbcDecrypt,
  rc2CbcEncrypt,
  rc2EffectiveBitsToVersion,
  rc2VersionToEffectiveBits,
} from './ciphers/index.js';
export type { AesGcmOptions, BlockCipher } from './ciphers/index.js';

// RSA key transport
export { encodeOaepParams, parseOaepParams, rsaOaepDecrypt, rsaOaepEncrypt } from './rsa-oaep.js';
export { rsaPkcs1v15DecryptImplicit, rsaPkcs1v15Encrypt, rsaPublicKeyBits } from './rsa.js';
export type { OaepHash, OaepOptions } from './rsa-oaep.js';
export type { ImplicitRejectionOptions } from './rsa.js';

// Private keys
export { loadPrivateKey, normalizePkcs8 } from './private-key.js';
export type { LoadedPrivateKey, NamedCurve, PrivateKeyType } from './private-key.js';
export { assertKeyMatchesCertificate, certificateSpki, keyMatchesCertificate, privateKeyFingerprint, spkiFingerprint } from './key-match.js';
export type { PublicKeyFingerprint } from './key-match.js';

// PKCS#12 and identities
export { parsePkcs12 } from './pkcs12.js';
export type { Pkcs12BagAttributes, Pkcs12Certificate, Pkcs12Contents, Pkcs12Key } from './pkcs12.js';
export { loadIdentity } from './identity.js';
export type { Identity } from './identity.js';
