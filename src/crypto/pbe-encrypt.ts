/**
 * Password-based encryption, the writing side of password-based.ts, for the
 * two schemes PKCS#12 export needs: PBES2 (PBKDF2-HMAC-SHA-256 + AES-256-CBC,
 * OpenSSL 3's default) and PKCS#12 PBE with 3DES (what old Windows imports).
 */
import { algorithmId, encodeInt, encodeOid, octets, seq, NULL } from '../asn1/index.js';
import { aesCbcEncrypt, desEde3CbcEncrypt } from './ciphers/index.js';
import { randomBytes } from './engine.js';
import { pbkdf2, pkcs12Kdf } from './kdf.js';
import { OID } from './oids.js';
import type { PbePassword } from './password-based.js';

/** The schemes written: `pbes2-aes-256-cbc` (default) or `pkcs12-3des` (legacy). */
export type PbeScheme = 'pbes2-aes-256-cbc' | 'pkcs12-3des';

/** Encrypted bytes with the DER AlgorithmIdentifier that tells a reader how to decrypt them. */
export interface PbeEncrypted {
  algorithm: Uint8Array;
  ciphertext: Uint8Array;
}

/** PBES2 salt: 16 bytes (OpenSSL 3.2+; NIST SP 800-132 asks for at least 128 bits). */
const PBES2_SALT_LENGTH = 16;
/** PKCS#12 PBE salt: 8 bytes, as OpenSSL and Windows write. */
const PKCS12_SALT_LENGTH = 8;

/**
 * Encrypts `data` under a password. PBES2 uses the password's UTF-8 bytes, PKCS#12 PBE its BMPString
 * (both are in `password`, see `pbePassword`). Salt and IV are fresh random bytes on every call.
 */
export async function pbeEncrypt(
  scheme: PbeScheme,
  data: Uint8Array,
  password: PbePassword,
  iterations: number,
): Promise<PbeEncrypted> {
  if (scheme === 'pkcs12-3des') {
    const salt = randomBytes(PKCS12_SALT_LENGTH);
    const key = await pkcs12Kdf('SHA-1', password.bmp, salt, iterations, 1, 24);
    const iv = await pkcs12Kdf('SHA-1', password.bmp, salt, iterations, 2, 8);
    return {
      algorithm: algorithmId(OID.pkcs12Pbe3Des, seq(octets(salt), encodeInt(iterations))),
      ciphertext: desEde3CbcEncrypt(key, iv, data),
    };
  }
  const salt = randomBytes(PBES2_SALT_LENGTH);
  const iv = randomBytes(16);
  const key = await pbkdf2(password.utf8, salt, iterations, 32, 'SHA-256');
  // No keyLength field: AES-256 fixes it (OpenSSL leaves it out too); the PRF carries NULL parameters as OpenSSL writes.
  const kdf = algorithmId(OID.pbkdf2, seq(octets(salt), encodeInt(iterations), algorithmId(OID.hmacSha256, NULL)));
  return {
    algorithm: seq(encodeOid(OID.pbes2), seq(kdf, algorithmId(OID.aes256Cbc, octets(iv)))),
    ciphertext: await aesCbcEncrypt(key, iv, data),
  };
}
