/**
 * ECDH key agreement for CMS (RFC 5753 §3.1, ECDH-ES): an ephemeral key on
 * the recipient's curve, the ANSI X9.63 KDF over ECC-CMS-SharedInfo, and AES
 * key wrap (RFC 3394) of the content-encryption key. P-256/384/521 through
 * WebCrypto; X25519/X448 per RFC 8418 (HKDF, salt = UKM, info = SharedInfo).
 */
import { AlgorithmError, CryptoError } from '../errors.js';
import { aesKeyUnwrap, aesKeyWrap } from '../crypto/ciphers/aes.js';
import { getSubtle } from '../crypto/engine.js';
import { hkdf, x963Kdf, type KdfHash } from '../crypto/kdf.js';
import { type NamedCurve } from '../crypto/private-key.js';
import { constantTimeEqual, toArrayBuffer } from '../util/bytes.js';
import { sha1 } from '../util/hash.js';
import { cbcDecrypt } from '../crypto/ciphers/modes.js';
import { createDes } from '../crypto/ciphers/des.js';
import { type ParsedAlgorithm, derAlgorithm, tlv, seq, octets, algorithmId } from '../asn1/index.js';

/**
 * Key-agreement schemes: OID → KDF. RFC 5753 X9.63 schemes (standard and
 * cofactor DH are the same on the NIST prime curves) and the RFC 8418 HKDF
 * schemes for X25519/X448.
 */
export const ECDH_SCHEMES: Readonly<Record<string, { hash: KdfHash; name: string; kdf?: 'hkdf' }>> = {
  '1.3.133.16.840.63.0.2': { hash: 'SHA-1', name: 'dhSinglePass-stdDH-sha1kdf-scheme' },
  '1.3.132.1.11.1': { hash: 'SHA-256', name: 'dhSinglePass-stdDH-sha256kdf-scheme' },
  '1.3.132.1.11.2': { hash: 'SHA-384', name: 'dhSinglePass-stdDH-sha384kdf-scheme' },
  '1.3.132.1.11.3': { hash: 'SHA-512', name: 'dhSinglePass-stdDH-sha512kdf-scheme' },
  '1.3.133.16.840.63.0.3': { hash: 'SHA-1', name: 'dhSinglePass-cofactorDH-sha1kdf-scheme' },
  '1.3.132.1.14.1': { hash: 'SHA-256', name: 'dhSinglePass-cofactorDH-sha256kdf-scheme' },
  '1.3.132.1.14.2': { hash: 'SHA-384', name: 'dhSinglePass-cofactorDH-sha384kdf-scheme' },
  '1.3.132.1.14.3': { hash: 'SHA-512', name: 'dhSinglePass-cofactorDH-sha512kdf-scheme' },
  '1.2.840.113549.1.9.16.3.19': { hash: 'SHA-256', name: 'dhSinglePass-stdDH-hkdf-sha256-scheme', kdf: 'hkdf' },
  '1.2.840.113549.1.9.16.3.20': { hash: 'SHA-384', name: 'dhSinglePass-stdDH-hkdf-sha384-scheme', kdf: 'hkdf' },
  '1.2.840.113549.1.9.16.3.21': { hash: 'SHA-512', name: 'dhSinglePass-stdDH-hkdf-sha512-scheme', kdf: 'hkdf' },
};

const HKDF_SCHEME_BY_HASH: Readonly<Record<KdfHash, string>> = {
  'SHA-1': '1.2.840.113549.1.9.16.3.19', // not defined for SHA-1: never chosen (defaultKdfHash)
  'SHA-256': '1.2.840.113549.1.9.16.3.19',
  'SHA-384': '1.2.840.113549.1.9.16.3.20',
  'SHA-512': '1.2.840.113549.1.9.16.3.21',
};

/** Curves usable for key agreement: the NIST curves (RFC 5753) and X25519/X448 (RFC 8418). */
export type EcdhCurve = NamedCurve | 'X25519' | 'X448';

/** OIDs of the RFC 8410 key-agreement algorithms (originatorKey algorithm for X25519/X448). */
export const XDH_OIDS: Readonly<Record<'X25519' | 'X448', string>> = { X25519: '1.3.101.110', X448: '1.3.101.111' };

const isXdh = (curve: EcdhCurve): curve is 'X25519' | 'X448' => curve === 'X25519' || curve === 'X448';

const STD_SCHEME_BY_HASH: Readonly<Record<KdfHash, string>> = {
  'SHA-1': '1.3.133.16.840.63.0.2',
  'SHA-256': '1.3.132.1.11.1',
  'SHA-384': '1.3.132.1.11.2',
  'SHA-512': '1.3.132.1.11.3',
};

/** AES key wrap algorithms (RFC 3565): OID → KEK length. */
export const AES_WRAP: Readonly<Record<string, number>> = {
  '2.16.840.1.101.3.4.1.5': 16,
  '2.16.840.1.101.3.4.1.25': 24,
  '2.16.840.1.101.3.4.1.45': 32,
};

const WRAP_BY_LENGTH: Readonly<Record<number, string>> = {
  16: '2.16.840.1.101.3.4.1.5',
  24: '2.16.840.1.101.3.4.1.25',
  32: '2.16.840.1.101.3.4.1.45',
};

export const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/** Shared secret length in bytes per curve. */
const FIELD_BYTES: Readonly<Record<EcdhCurve, number>> = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
  X25519: 32,
  X448: 56,
};

/** The KDF hash smimekit uses for a curve (matching security strengths, as RFC 5008/6318 suites and RFC 8418 do). */
export function defaultKdfHash(curve: EcdhCurve): KdfHash {
  return curve === 'P-256' || curve === 'X25519' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512';
}

function algorithmParams(curve: EcdhCurve): EcKeyImportParams | Algorithm {
  return isXdh(curve) ? { name: curve } : { name: 'ECDH', namedCurve: curve };
}

/** True when every byte is zero; reads every byte (no early exit). */
function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** KEK derivation: X9.63 (RFC 5753) or HKDF with the UKM as salt and the SharedInfo as info (RFC 8418 §2.2). */
async function deriveKek(
  scheme: { hash: KdfHash; kdf?: 'hkdf' },
  z: Uint8Array,
  info: Uint8Array,
  length: number,
  ukm?: Uint8Array,
): Promise<Uint8Array> {
  if (scheme.kdf === 'hkdf') return hkdf(scheme.hash, z, ukm ?? new Uint8Array(0), info, length);
  return x963Kdf(scheme.hash, z, info, length);
}

/** DER ECC-CMS-SharedInfo (RFC 5753 §7.2): the wrap algorithm, the optional UKM, and the KEK length in bits. */
function sharedInfo(wrapAlgorithm: Uint8Array, kekLength: number, ukm?: Uint8Array): Uint8Array {
  const bits = kekLength * 8;
  const supp = Uint8Array.of(bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff);
  return seq(wrapAlgorithm, ...(ukm ? [tlv(0xa0, octets(ukm))] : []), tlv(0xa2, octets(supp)));
}

/** What a KeyAgreeRecipientInfo needs from one ECDH-ES agreement. */
export interface EcdhWrapResult {
  /** The ephemeral public key (uncompressed point, or the raw X25519/X448 key). */
  ephemeralPublicKey: Uint8Array;
  /** DER AlgorithmIdentifier of the originatorKey (id-ecPublicKey without parameters, or id-X25519/id-X448). */
  originatorAlgorithm: Uint8Array;
  /** keyEncryptionAlgorithm: the scheme with the key wrap algorithm as parameters. */
  keyEncryptionAlgorithm: Uint8Array;
  encryptedKey: Uint8Array;
  scheme: string;
}

/**
 * ECDH-ES for one recipient: an ephemeral key pair on `curve`, the shared
 * secret with the recipient's SubjectPublicKeyInfo, the X9.63 KDF and AES key
 * wrap of `cek`. The wrap key size follows the CEK (AES-128 wrap for 16-byte
 * CEKs, AES-256 wrap otherwise).
 */
export async function ecdhWrap(
  recipientSpki: Uint8Array,
  curve: EcdhCurve,
  cek: Uint8Array,
  kdfHash: KdfHash = defaultKdfHash(curve),
): Promise<EcdhWrapResult> {
  const subtle = getSubtle();
  const params = algorithmParams(curve);
  let recipientKey: CryptoKey;
  try {
    recipientKey = await subtle.importKey('spki', toArrayBuffer(recipientSpki), params, false, []);
  } catch (e) {
    throw new AlgorithmError(
      'unsupported-algorithm',
      `cannot use the recipient's ${curve} public key for key agreement`,
      { cause: e },
    );
  }
  const ephemeral = (await subtle.generateKey(params, true, ['deriveBits'])) as CryptoKeyPair;
  let z: Uint8Array;
  try {
    z = new Uint8Array(
      await subtle.deriveBits(
        { name: params.name, public: recipientKey },
        ephemeral.privateKey,
        FIELD_BYTES[curve] * 8,
      ),
    );
  } catch (e) {
    // e.g. a low-order X25519/X448 key: WebCrypto refuses the all-zero shared secret (RFC 7748 §6.1).
    throw new AlgorithmError(
      'unsupported-algorithm',
      `cannot use the recipient's ${curve} public key for key agreement`,
      { cause: e },
    );
  }
  if (isAllZero(z))
    throw new AlgorithmError(
      'unsupported-algorithm',
      `cannot use the recipient's ${curve} public key for key agreement (all-zero shared secret)`,
    );
  const kekLength = cek.length <= 16 ? 16 : 32;
  const wrapAlgorithm = algorithmId(WRAP_BY_LENGTH[kekLength]!);
  const schemeOid = isXdh(curve) ? HKDF_SCHEME_BY_HASH[kdfHash] : STD_SCHEME_BY_HASH[kdfHash];
  const scheme = ECDH_SCHEMES[schemeOid]!;
  const kek = await deriveKek(scheme, z, sharedInfo(wrapAlgorithm, kekLength), kekLength);
  z.fill(0);
  const encryptedKey = await aesKeyWrap(kek, cek);
  return {
    ephemeralPublicKey: new Uint8Array(await subtle.exportKey('raw', ephemeral.publicKey)),
    originatorAlgorithm: algorithmId(isXdh(curve) ? XDH_OIDS[curve] : ID_EC_PUBLIC_KEY),
    keyEncryptionAlgorithm: algorithmId(schemeOid, wrapAlgorithm),
    encryptedKey,
    scheme: scheme.name,
  };
}

/** Inputs of `ecdhUnwrap`, read from a KeyAgreeRecipientInfo. */
export interface EcdhUnwrapInput {
  /** The recipient's PKCS#8 private key (named curve, or X25519/X448). */
  privateKey: Uint8Array;
  curve: EcdhCurve;
  /** The originator's public key point (originatorKey). */
  originatorPublicKey: Uint8Array;
  ukm?: Uint8Array;
  keyEncryptionAlgorithm: ParsedAlgorithm;
  encryptedKey: Uint8Array;
}

/**
 * Recovers the CEK of a KeyAgreeRecipientInfo. Any failure after the
 * structure was understood (bad point, wrong key, unwrap integrity check) is
 * `decryption-failed`.
 */
export async function ecdhUnwrap(input: EcdhUnwrapInput): Promise<Uint8Array> {
  const scheme = ECDH_SCHEMES[input.keyEncryptionAlgorithm.oid];
  if (!scheme) {
    throw new AlgorithmError(
      'unsupported-algorithm',
      `unsupported key agreement algorithm ${input.keyEncryptionAlgorithm.oid}`,
      {
        details: { algorithm: input.keyEncryptionAlgorithm.oid },
      },
    );
  }
  const wrap = input.keyEncryptionAlgorithm.params;
  if (!wrap) throw new AlgorithmError('unsupported-algorithm', 'key agreement without a key wrap algorithm');
  const wrapDer = wrap.buf.subarray(wrap.start, wrap.end);
  const wrapOid = derAlgorithm(wrap, 'KeyWrapAlgorithm').oid;
  const kekLength = AES_WRAP[wrapOid] ?? (wrapOid === CMS_3DES_WRAP ? 24 : undefined);
  if (!kekLength)
    throw new AlgorithmError('unsupported-algorithm', `unsupported key wrap algorithm ${wrapOid}`, {
      details: { algorithm: wrapOid },
    });
  const subtle = getSubtle();
  const params = algorithmParams(input.curve);
  let z: Uint8Array;
  try {
    const priv = await subtle.importKey('pkcs8', toArrayBuffer(input.privateKey), params, false, ['deriveBits']);
    const pub = await subtle.importKey('raw', toArrayBuffer(input.originatorPublicKey), params, false, []);
    z = new Uint8Array(await subtle.deriveBits({ name: params.name, public: pub }, priv, FIELD_BYTES[input.curve] * 8));
  } catch (e) {
    throw new CryptoError(
      'decryption-failed',
      'decryption failed: ECDH key agreement failed (originator key not on the recipient curve?)',
      { cause: e },
    );
  }
  // RFC 7748 §6.1 / RFC 8418 §2: an all-zero X25519/X448 result (low-order originator key) MUST be refused.
  // Node's WebCrypto already refuses it; other backends (setCryptoBackend) may not.
  if (isAllZero(z))
    throw new CryptoError('decryption-failed', 'decryption failed: ECDH key agreement gave an all-zero shared secret');
  const kek = await deriveKek(scheme, z, sharedInfo(wrapDer, kekLength, input.ukm), kekLength, input.ukm);
  z.fill(0);
  return wrapOid === CMS_3DES_WRAP
    ? tripleDesKeyUnwrap(kek, input.encryptedKey)
    : aesKeyUnwrap(kek, input.encryptedKey);
}

/** id-alg-CMS3DESwrap (RFC 3217), what OpenSSL pairs with ECDH when the content cipher is 3DES. Read only. */
export const CMS_3DES_WRAP = '1.2.840.113549.1.9.16.3.6';

const WRAP_IV_3DES = Uint8Array.of(0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05);

/** RFC 3217 §3.2 Triple-DES key unwrap; every failure is `decryption-failed`. */
export function tripleDesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const fail = (): CryptoError =>
    new CryptoError('decryption-failed', 'decryption failed: 3DES key unwrap integrity check failed');
  if (wrapped.length !== 40) throw fail();
  const des = createDes(kek);
  const temp2 = cbcDecrypt(des, WRAP_IV_3DES, wrapped, false).reverse();
  const cekIcv = cbcDecrypt(des, temp2.subarray(0, 8), temp2.subarray(8), false);
  const cek = cekIcv.slice(0, 24);
  const icv = cekIcv.subarray(24);
  if (!constantTimeEqual(sha1(cek).subarray(0, 8), icv)) throw fail();
  return cek;
}
