/**
 * Object identifiers of private keys, password-based encryption and the
 * ciphers, MACs and digests those use. (Signature and certificate algorithms
 * are in algorithms.ts.)
 */
import type { KdfHash } from './kdf.js';

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  primeField: '1.2.840.10045.1.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  x25519: '1.3.101.110',
  x448: '1.3.101.111',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  dsa: '1.2.840.10040.4.1',
  dhX942: '1.2.840.10046.2.1',
  dhPkcs3: '1.2.840.113549.1.3.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1Des: '1.2.840.113549.1.5.10',
  pbeSha1Rc2: '1.2.840.113549.1.5.11',
  pbeMd5Des: '1.2.840.113549.1.5.3',
  pbeMd5Rc2: '1.2.840.113549.1.5.6',
  pkcs12PbeRc4_128: '1.2.840.113549.1.12.1.1',
  pkcs12PbeRc4_40: '1.2.840.113549.1.12.1.2',
  pkcs12Pbe3Des: '1.2.840.113549.1.12.1.3',
  pkcs12Pbe2Des: '1.2.840.113549.1.12.1.4',
  pkcs12PbeRc2_128: '1.2.840.113549.1.12.1.5',
  pkcs12PbeRc2_40: '1.2.840.113549.1.12.1.6',
  hmacSha1: '1.2.840.113549.2.7',
  hmacSha224: '1.2.840.113549.2.8',
  hmacSha256: '1.2.840.113549.2.9',
  hmacSha384: '1.2.840.113549.2.10',
  hmacSha512: '1.2.840.113549.2.11',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  desCbc: '1.3.14.3.2.7',
  rc2Cbc: '1.2.840.113549.3.2',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** Digest OID → WebCrypto hash name (SHA-1/2 only). */
export const DIGEST_OIDS: Record<string, KdfHash> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};
