/**
 * RSA keys and the RSA primitives (RFC 8017 §4, §5) under the encryption
 * schemes of rsa.ts and rsa-oaep.ts: key parsing and checks, I2OSP, the
 * bigint private operation (CRT plus base blinding) and the constant-time
 * mask helpers the padding checks use.
 */
import { ArgumentError, CryptoError, FormatError, SmimeError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import { bigintBitLength, bigintToBytes, bytesToBigint, modInverse, modPow } from './bigint.js';
import { randomBytes } from './engine.js';
import { BytesCache, nativeCrypto, nativePrivateKey, nativePublicKey, plain } from './native.js';
import { OID } from './oids.js';
import { readCertificate } from '../x509/index.js';
import { parseRsaPrivateKeyPkcs1 } from './private-key.js';
import type { RsaPrivateNumbers } from './private-key.js';
import {
  type DerNode,
  derParse,
  derSequence,
  derBigInt,
  derOctets,
  derBitString,
  derAlgorithm,
  seq,
  NULL,
  encodeOid,
  encodeInt,
} from '../asn1/index.js';

interface RsaPrivateKey extends RsaPrivateNumbers {
  /** Modulus length in bytes. */
  k: number;
  /** The PKCS#1 RSAPrivateKey DER the numbers come from (what the native path imports). */
  pkcs1: Uint8Array;
  /** The modulus as k big-endian bytes (for range checks without bigint conversions). */
  nBytes: Uint8Array;
}

interface RsaPublicKey {
  n: bigint;
  e: bigint;
  k: number;
  /** Modulus size in bits. */
  bits: number;
  /** SubjectPublicKeyInfo with rsaEncryption, for WebCrypto import. */
  spki: Uint8Array;
}

// ---------------------------------------------------------------------------
// Key parsing

function byteLength(n: bigint): number {
  return Math.ceil(n.toString(16).length / 2);
}

const privateCache = new BytesCache<{ key: RsaPrivateKey; pkcs8: Uint8Array | undefined }>();
const publicCache = new BytesCache<RsaPublicKey>();

/**
 * RSA private key from PKCS#8 (rsaEncryption or RSASSA-PSS) or PKCS#1 DER, parsed once per key array (the result
 * is shared: callers must not change it).
 */
export function parsePrivate(der: Uint8Array): { key: RsaPrivateKey; pkcs8: Uint8Array | undefined } {
  return privateCache.get(der, parsePrivateUncached);
}

function parsePrivateUncached(der: Uint8Array): { key: RsaPrivateKey; pkcs8: Uint8Array | undefined } {
  let top: DerNode[];
  try {
    top = derSequence(derParse(der), 'RSA private key', 3);
  } catch (e) {
    throw new FormatError('bad-key', 'not an RSA private key (PKCS#8 or PKCS#1 DER expected)', { cause: e });
  }
  let pkcs1: Uint8Array;
  let pkcs8: Uint8Array | undefined;
  if (top[1]!.cls === 0 && top[1]!.tag === 16) {
    const alg = derAlgorithm(top[1]);
    if (alg.oid !== OID.rsaEncryption && alg.oid !== OID.rsassaPss) {
      throw new ArgumentError('not-rsa-key', `the private key is not an RSA key (${alg.oid})`);
    }
    pkcs1 = derOctets(top[2], 'privateKey');
    if (alg.oid === OID.rsaEncryption) pkcs8 = der;
  } else {
    pkcs1 = der;
  }
  const nums = parseRsaPrivateKeyPkcs1(pkcs1);
  if (bigintBitLength(nums.n) > MAX_MODULUS_BITS)
    throw new FormatError('bad-key', `RSA keys above ${MAX_MODULUS_BITS} bits are not supported`);
  const k = byteLength(nums.n);
  if (k < 64) throw new ArgumentError('weak-key', 'RSA keys below 512 bits are not supported');
  return { key: { ...nums, k, pkcs1, nBytes: bigintToBytes(nums.n, k) }, pkcs8 };
}

function spkiFor(n: bigint, e: bigint): Uint8Array {
  const rsaPublicKey = seq(encodeInt(n), encodeInt(e));
  return seq(
    seq(encodeOid(OID.rsaEncryption), NULL),
    concatBytes(Uint8Array.of(3), lengthOf(rsaPublicKey.length + 1), Uint8Array.of(0), rsaPublicKey),
  );
}

export function lengthOf(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/**
 * RSA public key from SubjectPublicKeyInfo DER, an X.509 certificate DER, or PKCS#1 RSAPublicKey DER, parsed once
 * per key array (the result is shared: callers must not change it).
 */
export function parsePublic(der: Uint8Array): RsaPublicKey {
  return publicCache.get(der, parsePublicUncached);
}

function parsePublicUncached(der: Uint8Array): RsaPublicKey {
  try {
    let kids = derSequence(derParse(der, { allowTrailing: true }), 'RSA public key', 2);
    if (kids[0]!.cls === 0 && kids[0]!.tag === 2) {
      // PKCS#1 RSAPublicKey
      const n = derBigInt(kids[0]);
      const e = derBigInt(kids[1]);
      return checkPublic(n, e);
    }
    if (!(kids[1]!.cls === 0 && kids[1]!.tag === 3)) {
      // A certificate: its SubjectPublicKeyInfo comes from the certificate model.
      let spki: Uint8Array;
      try {
        spki = readCertificate(der).spki;
      } catch (e) {
        throw new FormatError('bad-key', 'cannot parse the RSA public key', { cause: e });
      }
      kids = derSequence(derParse(spki), 'SubjectPublicKeyInfo', 2);
    }
    const alg = derAlgorithm(kids[0]);
    if (alg.oid !== OID.rsaEncryption && alg.oid !== OID.rsassaPss)
      throw new ArgumentError('not-rsa-key', `the public key is not an RSA key (${alg.oid})`);
    const rsa = derSequence(derParse(derBitString(kids[1])), 'RSAPublicKey', 2);
    return checkPublic(derBigInt(rsa[0]), derBigInt(rsa[1]));
  } catch (e) {
    if (e instanceof SmimeError && e.code !== 'malformed-der') throw e;
    throw new FormatError('bad-key', 'cannot parse the RSA public key', { cause: e });
  }
}

/** Largest modulus accepted (as OpenSSL's OPENSSL_RSA_MAX_MODULUS_BITS): the bigint operations are superlinear. */
const MAX_MODULUS_BITS = 16384;

function checkPublic(n: bigint, e: bigint): RsaPublicKey {
  // RFC 8017 §3.1: 3 <= e <= n - 1. A huge e (or n) in a hostile certificate would make modPow run for minutes.
  if (n <= 0n || e <= 1n || e >= n || (n & 1n) === 0n) throw new FormatError('bad-key', 'invalid RSA public key');
  const bits = bigintBitLength(n);
  if (bits > MAX_MODULUS_BITS)
    throw new FormatError('bad-key', `RSA keys above ${MAX_MODULUS_BITS} bits are not supported`);
  const k = byteLength(n);
  if (k < 64) throw new ArgumentError('weak-key', 'RSA keys below 512 bits are not supported');
  return { n, e, k, bits, spki: spkiFor(n, e) };
}

// ---------------------------------------------------------------------------
// bigint arithmetic

function invertBlinding(a: bigint, m: bigint): bigint {
  const inverse = modInverse(a, m);
  if (inverse === undefined) throw new CryptoError('decryption-failed', 'blinding value not invertible');
  return inverse;
}

/**
 * I2OSP with a length-independent conversion: setting bit 8k first makes
 * every value print to the same number of hex digits, so the conversion
 * time does not depend on leading zero bytes of the (secret) result.
 */
export function i2osp(v: bigint, k: number): Uint8Array {
  const hex = (v | (1n << BigInt(8 * k))).toString(16);
  const out = new Uint8Array(k);
  for (let i = 0; i < k; i++) out[i] = parseInt(hex.substr(1 + 2 * i, 2), 16);
  return out;
}

/** Raw RSA private operation c^d mod n: CRT, base blinding, and a check against faults/inconsistent keys. */
function rsaPrivateRaw(key: RsaPrivateKey, c: bigint): bigint {
  const { n, e, d, p, q, dp, dq, qi } = key;
  // Base blinding: the exponentiation works on c * r^e, unrelated to the attacker's c.
  let r = 0n;
  while (r < 2n || r >= n) r = bytesToBigint(randomBytes(key.k)) % n;
  const rInv = invertBlinding(r, n);
  const blinded = (c * modPow(r, e, n)) % n;
  const m1 = modPow(blinded % p, dp, p);
  const m2 = modPow(blinded % q, dq, q);
  const h = (qi * (((m1 - m2) % p) + p)) % p;
  let mb = m2 + h * q;
  if (modPow(mb, e, n) !== blinded) {
    // Inconsistent CRT values (or a fault): fall back to the plain exponent.
    mb = modPow(blinded, d, n);
  }
  return (mb * rInv) % n;
}

/** True when the k-byte big-endian `c` is below the modulus (a public property of the ciphertext). */
export function belowModulus(key: RsaPrivateKey, c: Uint8Array): boolean {
  for (let i = 0; i < key.k; i++) if (c[i] !== key.nBytes[i]) return c[i]! < key.nBytes[i]!;
  return false;
}

/**
 * The raw private operation on a k-byte ciphertext below n, as k bytes: OpenSSL without padding (its own blinding
 * and CRT check) where the native path is on, else the bigint `rsaPrivateRaw`. No padding is checked here.
 */
export function rsaPrivateRawBytes(key: RsaPrivateKey, c: Uint8Array): Uint8Array {
  const node = nativeCrypto();
  const native = node && nativePrivateKey(node, key.pkcs1, 'pkcs1');
  if (node && native) {
    try {
      return plain(node.privateDecrypt({ key: native, padding: node.constants.RSA_NO_PADDING }, c));
    } catch {
      // OpenSSL refused the key (not the input: c < n is checked before): the bigint path below.
    }
  }
  return i2osp(rsaPrivateRaw(key, bytesToBigint(c)), key.k);
}

/** The raw public operation m^e mod n on a k-byte block below n, as k bytes (OpenSSL where the native path is on). */
export function rsaPublicRawBytes(pub: RsaPublicKey, m: Uint8Array): Uint8Array {
  const node = nativeCrypto();
  const native = node && nativePublicKey(node, pub.spki);
  if (node && native) {
    try {
      return plain(node.publicEncrypt({ key: native, padding: node.constants.RSA_NO_PADDING }, m));
    } catch {
      // Refused by OpenSSL: the bigint path below.
    }
  }
  return bigintToBytes(modPow(bytesToBigint(m), pub.e, pub.n), pub.k);
}

// ---------------------------------------------------------------------------
// Constant-time helpers (32-bit masks: all ones = true)

export const ctIsZero = (x: number): number => ((~x & (x - 1)) >> 31) | 0; // x in 0..2^31-1
export const ctEq = (a: number, b: number): number => ctIsZero(a ^ b);
export const ctLt = (a: number, b: number): number => ((a - b) >> 31) | 0; // a, b in 0..2^30
export const ctSelect = (mask: number, a: number, b: number): number => (a & mask) | (b & ~mask);
