/**
 * Private keys: PEM/DER PKCS#8, encrypted PKCS#8 (PBES2, PBES1, PKCS#12 PBE),
 * PKCS#1 `RSA PRIVATE KEY` and SEC1 `EC PRIVATE KEY` are normalized to
 * unencrypted PKCS#8 DER plus key type information, and key/certificate matching.
 */
import { AlgorithmError, ArgumentError, CryptoError, FormatError, LimitError, PasswordError, SmimeError } from '../errors.js';
import { bytesEqual, concatBytes, fromBase64, toBytes, utf8 } from '../util/bytes.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import { derIsUniversal, derParse, derChildren, derBytes, derIsContext, derSequence, derOid, derBigInt, derSmallInt, derOctets, derBitString, derAlgorithm, derSeq, derOctetString, derNull, derEncodeOid, derEncodeInt } from '../util/der-element.js';
import type { DerNode } from '../util/der-element.js';
import { md5 } from '../util/hash/md5.js';
import type { BytesLike } from '../util/bytes.js';
import { getSubtle } from './engine.js';
import { pbkdf2, pbkdf2Cost, pkcs12Kdf, pkcs12KdfCost, pkcs12PasswordBytes } from './kdf.js';
import { sha1 } from '../util/hash/sha1.js';
import type { KdfHash } from './kdf.js';
import { aesCbcDecrypt } from './ciphers/aes.js';
import { createDes } from './ciphers/des.js';
import { createRc2, rc2VersionToEffectiveBits } from './ciphers/rc2.js';
import { cbcDecrypt } from './ciphers/modes.js';

// ---------------------------------------------------------------------------
// OIDs

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

const HMAC_PRF: Record<string, KdfHash> = {
  [OID.hmacSha1]: 'SHA-1',
  [OID.hmacSha256]: 'SHA-256',
  [OID.hmacSha384]: 'SHA-384',
  [OID.hmacSha512]: 'SHA-512',
};

/** Digest OID → WebCrypto hash name (SHA-1/2 only). */
export const DIGEST_OIDS: Record<string, KdfHash> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

function unsupported(what: string, details?: Record<string, unknown>): AlgorithmError {
  return new AlgorithmError('unsupported-algorithm', what, details ? { details } : undefined);
}

// ---------------------------------------------------------------------------
// RSA key material

/** The numbers of an RSA private key (PKCS#1 RSAPrivateKey). */
export interface RsaPrivateNumbers {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qi: bigint;
}

/** Parses a PKCS#1 RSAPrivateKey. */
export function parseRsaPrivateKeyPkcs1(der: Uint8Array): RsaPrivateNumbers {
  const k = derSequence(derParse(der), 'RSAPrivateKey', 9);
  const [n, e, d, p, q, dp, dq, qi] = k.slice(1, 9).map((x) => derBigInt(x, 'RSAPrivateKey'));
  if (derBigInt(k[0]) !== 0n) throw unsupported('multi-prime RSA keys are not supported');
  if (n! <= 0n || e! <= 0n || d! <= 0n || p! <= 1n || q! <= 1n || dp! < 0n || dq! < 0n || qi! < 0n || d! >= n! || e! >= n!) throw new FormatError('bad-key', 'invalid RSA private key values');
  return { n: n!, e: e!, d: d!, p: p!, q: q!, dp: dp!, dq: dq!, qi: qi! };
}

import { bigintBitLength, bytesToBigint } from './bigint.js';
export { bigintBitLength, bigintToBytes, bytesToBigint } from './bigint.js';

// ---------------------------------------------------------------------------
// Key types and normalized PKCS#8

/** Key algorithms smimekit can use. */
export type PrivateKeyType = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'x25519' | 'x448';
/** Named curves WebCrypto supports. */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

/** A private key normalized to unencrypted PKCS#8. */
export interface LoadedPrivateKey {
  /** Unencrypted PKCS#8 PrivateKeyInfo, DER (EC keys always with a named curve). */
  pkcs8: Uint8Array;
  type: PrivateKeyType;
  /** EC keys: the named curve. */
  curve?: NamedCurve;
  /** RSA modulus size / EC field size in bits. */
  bits: number;
}

/** The NIST curves (FIPS 186-4 D.1.2): prime p, a = p - 3, b, base point (gx, gy), order n, cofactor 1. */
const CURVES: Record<string, { curve: NamedCurve; bits: number; p: bigint; b: bigint; gx: bigint; gy: bigint; n: bigint }> = {
  [OID.p256]: {
    curve: 'P-256',
    bits: 256,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  [OID.p384]: {
    curve: 'P-384',
    bits: 384,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  [OID.p521]: {
    curve: 'P-521',
    bits: 521,
    p: 2n ** 521n - 1n,
    b: 0x51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    gx: 0xc6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
    gy: 0x11839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
    n: 0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
};

/** Whether an encoded EC point (uncompressed or compressed) is the point (x, y). */
function ecPointIs(encoded: Uint8Array, x: bigint, y: bigint): boolean {
  const len = encoded.length - 1;
  if (encoded[0] === 4 && len > 0 && len % 2 === 0) {
    return bytesToBigint(encoded.subarray(1, 1 + len / 2)) === x && bytesToBigint(encoded.subarray(1 + len / 2)) === y;
  }
  if ((encoded[0] === 2 || encoded[0] === 3) && len > 0) return bytesToBigint(encoded.subarray(1)) === x && (encoded[0] & 1) === Number(y & 1n);
  return false;
}

/** Named-curve OID for EC domain parameters: a namedCurve OID or explicit prime-field parameters of P-256/384/521. */
export function ecCurveOid(params: DerNode | undefined): string {
  if (!params) throw new FormatError('bad-key', 'EC key without curve parameters');
  if (derIsUniversal(params, 6)) {
    const oid = derOid(params);
    if (!CURVES[oid]) throw unsupported(`unsupported elliptic curve ${oid}`, { curve: oid });
    return oid;
  }
  // SpecifiedECDomain { version, fieldID { prime-field, p }, curve { a, b, seed? }, base, order, cofactor? }
  const spec = derSequence(params, 'ECParameters', 5);
  const field = derSequence(spec[1], 'FieldID', 2);
  if (derOid(field[0]) !== OID.primeField) throw unsupported('EC keys over binary fields are not supported');
  const p = derBigInt(field[1]);
  const curve = derSequence(spec[2], 'Curve', 2);
  const a = bytesToBigint(derOctets(curve[0]));
  const b = bytesToBigint(derOctets(curve[1]));
  const base = derOctets(spec[3], 'EC base point');
  const order = derBigInt(spec[4], 'EC order');
  const cofactor = spec[5] && derIsUniversal(spec[5], 2) ? derBigInt(spec[5], 'EC cofactor') : 1n;
  for (const [oid, info] of Object.entries(CURVES)) {
    // Every domain parameter must be the named curve's: same prime and a with
    // another b, generator or order is a different (possibly weak) curve.
    if (info.p === p && a === p - 3n && b === info.b && order === info.n && cofactor === 1n && ecPointIs(base, info.gx, info.gy)) return oid;
  }
  throw unsupported('EC key with explicit parameters of an unsupported curve');
}

function curveInfo(oid: string): { curve: NamedCurve; bits: number } {
  return CURVES[oid]!;
}

function pkcs8(version: number, algorithm: Uint8Array, privateKey: Uint8Array, rest: Uint8Array[] = []): Uint8Array {
  return derSeq(derEncodeInt(version), algorithm, derOctetString(privateKey), ...rest);
}

/** SEC1 ECPrivateKey without its [0] parameters (the curve moves to the PKCS#8 AlgorithmIdentifier). */
function normalizeSec1(der: Uint8Array): { ecPrivateKey: Uint8Array; params: DerNode | undefined } {
  const kids = derSequence(derParse(der), 'ECPrivateKey', 2);
  if (derSmallInt(kids[0]) !== 1) throw new FormatError('bad-key', 'unsupported ECPrivateKey version');
  derOctets(kids[1], 'ECPrivateKey');
  let params: DerNode | undefined;
  const keep: Uint8Array[] = [derBytes(kids[0]!), derBytes(kids[1]!)];
  for (const k of kids.slice(2)) {
    if (derIsContext(k, 0)) params = derChildren(k)[0];
    else keep.push(derBytes(k));
  }
  return { ecPrivateKey: derSeq(...keep), params };
}

/** Wraps a PKCS#1 RSAPrivateKey into PKCS#8. */
export function rsaPkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  parseRsaPrivateKeyPkcs1(pkcs1);
  return pkcs8(0, derSeq(derEncodeOid(OID.rsaEncryption), derNull()), pkcs1);
}

/** Wraps a SEC1 ECPrivateKey into PKCS#8 with a named curve. */
export function ecSec1ToPkcs8(sec1: Uint8Array, curveParams?: DerNode): Uint8Array {
  const { ecPrivateKey, params } = normalizeSec1(sec1);
  const oid = ecCurveOid(params ?? curveParams);
  return pkcs8(0, derSeq(derEncodeOid(OID.ecPublicKey), derEncodeOid(oid)), ecPrivateKey);
}

/**
 * Inspects and normalizes an unencrypted PKCS#8 PrivateKeyInfo / OneAsymmetricKey.
 * DSA and Diffie-Hellman keys are `unsupported-algorithm`.
 */
export function normalizePkcs8(der: Uint8Array): LoadedPrivateKey {
  const kids = derSequence(derParse(der), 'PrivateKeyInfo', 3);
  const version = derSmallInt(kids[0], 'PrivateKeyInfo version');
  if (version > 1) throw new FormatError('bad-key', `unsupported PrivateKeyInfo version ${version}`);
  const alg = derAlgorithm(kids[1]);
  const inner = derOctets(kids[2], 'privateKey');
  // Drop [0] attributes (Windows/NSS add them; not every WebCrypto accepts them); keep a [1] public key.
  const publicKey = kids.slice(3).find((k) => derIsContext(k, 1));
  const clean = (): Uint8Array =>
    kids.length === 3 ? der.slice() : pkcs8(publicKey ? 1 : 0, derBytes(kids[1]!), inner, publicKey ? [derBytes(publicKey)] : []);
  switch (alg.oid) {
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const rsa = parseRsaPrivateKeyPkcs1(inner);
      return { pkcs8: clean(), type: alg.oid === OID.rsaEncryption ? 'rsa' : 'rsa-pss', bits: bigintBitLength(rsa.n) };
    }
    case OID.ecPublicKey: {
      const { ecPrivateKey, params } = normalizeSec1(inner);
      const oid = ecCurveOid(alg.params ?? params);
      // RFC 5915 §3: parameters inside the ECPrivateKey must be the algorithm's.
      if (alg.params !== undefined && params !== undefined && ecCurveOid(params) !== oid) {
        throw new FormatError('bad-key', 'the EC private key names two different curves');
      }
      const info = curveInfo(oid);
      const explicit = alg.params === undefined || !derIsUniversal(alg.params, 6) || params !== undefined;
      const out = explicit ? pkcs8(0, derSeq(derEncodeOid(OID.ecPublicKey), derEncodeOid(oid)), ecPrivateKey) : clean();
      return { pkcs8: out, type: 'ec', curve: info.curve, bits: info.bits };
    }
    case OID.ed25519:
      return { pkcs8: clean(), type: 'ed25519', bits: 256 };
    case OID.ed448:
      return { pkcs8: clean(), type: 'ed448', bits: 456 };
    case OID.x25519:
      return { pkcs8: clean(), type: 'x25519', bits: 256 };
    case OID.x448:
      return { pkcs8: clean(), type: 'x448', bits: 448 };
    case OID.dsa:
      throw unsupported('DSA private keys are not supported', { algorithm: alg.oid });
    case OID.dhX942:
    case OID.dhPkcs3:
      throw unsupported('Diffie-Hellman private keys are not supported', { algorithm: alg.oid });
    default:
      throw unsupported(`unsupported private key algorithm ${alg.oid}`, { algorithm: alg.oid });
  }
}

// ---------------------------------------------------------------------------
// Password-based decryption (PBES2, PBES1-SHA1, PKCS#12 PBE)

/**
 * A password in the encodings the schemes need: PBES2 uses the UTF-8 bytes,
 * PKCS#12 PBE the BMPString with NUL terminator — or, for the empty
 * password, possibly no bytes at all (OpenSSL's "absent" password).
 */
export interface PbePassword {
  utf8: Uint8Array;
  bmp: Uint8Array;
  /**
   * Optional work budget (≈ µs of key derivation) shared by every derivation
   * made with this password, e.g. all bags of one PKCS#12 file; exceeding it
   * is LimitError `limit-exceeded` with `details.limit` = `pbe-work`.
   */
  budget?: { remaining: number };
}

/** Charges a key derivation to the password's work budget (if any). */
export function chargePbeWork(password: PbePassword, cost: number): void {
  const budget = password.budget;
  if (!budget) return;
  budget.remaining -= cost;
  if (budget.remaining < 0) {
    throw new LimitError('limit-exceeded', 'too much password-based key derivation work (iteration counts or number of encrypted items)', {
      details: { limit: 'pbe-work' },
    });
  }
}

/** Highest iteration count of PBES1 and PKCS#12 PBE (SHA-1 chains computed in JavaScript). */
const MAX_HASH_CHAIN_ITERATIONS = 1_000_000;
/** Highest PBKDF2 iteration count (native PBKDF2: well under a second per million). */
const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** The encodings of a password. `absent` makes the PKCS#12 form the empty byte string. */
export function pbePassword(password: string, absent = false): PbePassword {
  return { utf8: utf8(password), bmp: absent ? new Uint8Array(0) : pkcs12PasswordBytes(password) };
}

function pbeParams(params: DerNode | undefined, what: string): { salt: Uint8Array; iterations: number } {
  const kids = derSequence(params, what, 2);
  const iterations = derSmallInt(kids[1], `${what} iterations`);
  if (iterations < 1 || iterations > MAX_HASH_CHAIN_ITERATIONS) throw unsupported(`${what}: unsupported iteration count ${iterations}`);
  return { salt: derOctets(kids[0], `${what} salt`), iterations };
}

/** RC2-CBC parameters: `RC2-CBC-Parameter ::= SEQUENCE { rc2ParameterVersion INTEGER OPTIONAL, iv OCTET STRING }` (or a bare IV). */
export function parseRc2CbcParameters(params: DerNode | undefined): { effectiveBits: number; iv: Uint8Array } {
  if (params && derIsUniversal(params, 4)) return { effectiveBits: 32, iv: derOctets(params) };
  const kids = derSequence(params, 'RC2-CBC-Parameter', 1);
  if (kids.length === 1) return { effectiveBits: 32, iv: derOctets(kids[0]) };
  return { effectiveBits: rc2VersionToEffectiveBits(derSmallInt(kids[0], 'rc2ParameterVersion')), iv: derOctets(kids[1]) };
}

/**
 * Decrypts a symmetric CBC cipher given its AlgorithmIdentifier OID and
 * parameters (AES-CBC, DES-EDE3-CBC, DES-CBC, RC2-CBC). Bad padding is
 * `decryption-failed`.
 */
export async function decryptCbcByOid(oid: string, params: DerNode | undefined, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  switch (oid) {
    case OID.aes128Cbc:
    case OID.aes192Cbc:
    case OID.aes256Cbc:
      return aesCbcDecrypt(key, derOctets(params, 'AES IV'), data);
    case OID.desEde3Cbc:
    case OID.desCbc: {
      // createDes takes 8, 16 or 24 bytes: the OID must decide, or an 8-byte key would silently run single DES as "3DES".
      const lengths = oid === OID.desCbc ? [8] : [16, 24];
      if (!lengths.includes(key.length)) throw new ArgumentError('bad-key-length', `${oid === OID.desCbc ? 'DES' : '3DES'} key must be ${lengths.join(' or ')} bytes, not ${key.length}`);
      return cbcDecrypt(createDes(key), derOctets(params, 'DES IV'), data);
    }
    case OID.rc2Cbc: {
      const { effectiveBits, iv } = parseRc2CbcParameters(params);
      return cbcDecrypt(createRc2(key, effectiveBits), iv, data);
    }
    default:
      throw unsupported(`unsupported cipher ${oid}`, { algorithm: oid });
  }
}

/** Key length in bytes of a PBES2 encryption scheme. */
function pbes2KeyLength(oid: string, explicit: number | undefined): number {
  const fixed: Record<string, number> = { [OID.aes128Cbc]: 16, [OID.aes192Cbc]: 24, [OID.aes256Cbc]: 32, [OID.desEde3Cbc]: 24, [OID.desCbc]: 8 };
  if (oid in fixed) {
    if (explicit !== undefined && explicit !== fixed[oid]) throw new FormatError('bad-pbe-parameters', 'PBKDF2 key length does not match the cipher');
    return fixed[oid]!;
  }
  if (oid === OID.rc2Cbc) return explicit ?? 16;
  throw unsupported(`unsupported PBES2 encryption scheme ${oid}`, { algorithm: oid });
}

async function rc4(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const S = new Uint8Array(256);
  for (let i = 0; i < 256; i++) S[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + S[i]! + key[i % key.length]!) & 255;
    [S[i], S[j]] = [S[j]!, S[i]!];
  }
  const out = new Uint8Array(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + S[i]!) & 255;
    [S[i], S[j]] = [S[j]!, S[i]!];
    out[n] = data[n]! ^ S[(S[i]! + S[j]!) & 255]!;
  }
  return out;
}

/**
 * Decrypts data protected by a password-based encryption scheme
 * (EncryptedPrivateKeyInfo, PKCS#12 EncryptedData and shrouded key bags).
 * Throws `decryption-failed` on bad padding and `unsupported-algorithm` for
 * schemes it cannot do (MD5-based PBES1: WebCrypto has no MD5).
 */
export async function pbeDecrypt(algorithm: DerNode, data: Uint8Array, password: PbePassword): Promise<Uint8Array> {
  const alg = derAlgorithm(algorithm, 'encryption algorithm');
  const p12 = async (keyLen: number, ivLen: number): Promise<{ key: Uint8Array; iv: Uint8Array }> => {
    const { salt, iterations } = pbeParams(alg.params, 'PKCS#12 PBE parameters');
    chargePbeWork(password, pkcs12KdfCost('SHA-1', iterations, keyLen) + (ivLen ? pkcs12KdfCost('SHA-1', iterations, ivLen) : 0));
    const key = await pkcs12Kdf('SHA-1', password.bmp, salt, iterations, 1, keyLen);
    const iv = ivLen ? await pkcs12Kdf('SHA-1', password.bmp, salt, iterations, 2, ivLen) : new Uint8Array(0);
    return { key, iv };
  };
  switch (alg.oid) {
    case OID.pbes2: {
      const kids = derSequence(alg.params, 'PBES2-params', 2);
      const kdf = derAlgorithm(kids[0], 'keyDerivationFunc');
      const enc = derAlgorithm(kids[1], 'encryptionScheme');
      if (kdf.oid !== OID.pbkdf2) throw unsupported(`unsupported PBES2 key derivation ${kdf.oid}`, { algorithm: kdf.oid });
      const kp = derSequence(kdf.params, 'PBKDF2-params', 2);
      if (!derIsUniversal(kp[0]!, 4)) throw unsupported('PBKDF2 with a non-specified salt source');
      const salt = derOctets(kp[0]);
      const iterations = derSmallInt(kp[1], 'PBKDF2 iterations');
      if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw unsupported(`unsupported PBKDF2 iteration count ${iterations}`);
      let keyLength: number | undefined;
      let prf: KdfHash = 'SHA-1';
      for (const k of kp.slice(2)) {
        if (derIsUniversal(k, 2)) keyLength = derSmallInt(k, 'PBKDF2 keyLength');
        else {
          const prfOid = derAlgorithm(k, 'PBKDF2 prf').oid;
          const h = HMAC_PRF[prfOid];
          if (!h) throw unsupported(`unsupported PBKDF2 PRF ${prfOid}`, { algorithm: prfOid });
          prf = h;
        }
      }
      const len = pbes2KeyLength(enc.oid, keyLength);
      if (len < 1 || len > 128) throw new FormatError('bad-pbe-parameters', `invalid key length ${len}`);
      chargePbeWork(password, pbkdf2Cost(prf, iterations, len));
      const key = await pbkdf2(password.utf8, salt, iterations, len, prf);
      return decryptCbcByOid(enc.oid, enc.params, key, data);
    }
    case OID.pbeSha1Des:
    case OID.pbeSha1Rc2: {
      // PBES1 (RFC 8018 §6.1): DK = SHA-1^c(P || S); key = DK[0..8], IV = DK[8..16].
      const { salt, iterations } = pbeParams(alg.params, 'PBES1 parameters');
      if (salt.length !== 8) throw new FormatError('bad-pbe-parameters', 'PBES1 salt must be 8 bytes');
      chargePbeWork(password, pkcs12KdfCost('SHA-1', iterations, 20));
      // Synchronous SHA-1: an await per iteration would make a large count take minutes.
      let dk = sha1(concatBytes(password.utf8, salt));
      for (let i = 1; i < iterations; i++) dk = sha1(dk);
      const key = dk.subarray(0, 8);
      const iv = dk.subarray(8, 16);
      return alg.oid === OID.pbeSha1Des ? cbcDecrypt(createDes(key), iv, data) : cbcDecrypt(createRc2(key, 64), iv, data);
    }
    case OID.pkcs12Pbe3Des: {
      const { key, iv } = await p12(24, 8);
      return cbcDecrypt(createDes(key), iv, data);
    }
    case OID.pkcs12Pbe2Des: {
      const { key, iv } = await p12(16, 8);
      return cbcDecrypt(createDes(key), iv, data);
    }
    case OID.pkcs12PbeRc2_128: {
      const { key, iv } = await p12(16, 8);
      return cbcDecrypt(createRc2(key, 128), iv, data);
    }
    case OID.pkcs12PbeRc2_40: {
      const { key, iv } = await p12(5, 8);
      return cbcDecrypt(createRc2(key, 40), iv, data);
    }
    case OID.pkcs12PbeRc4_128:
    case OID.pkcs12PbeRc4_40: {
      const { key } = await p12(alg.oid === OID.pkcs12PbeRc4_128 ? 16 : 5, 0);
      return rc4(key, data);
    }
    case OID.pbeMd5Des:
    case OID.pbeMd5Rc2:
      throw unsupported('MD5-based password encryption (PBES1) is not supported', { algorithm: alg.oid });
    default:
      throw unsupported(`unsupported password-based encryption ${alg.oid}`, { algorithm: alg.oid });
  }
}

/**
 * Decrypts an EncryptedPrivateKeyInfo and normalizes the result. A wrong
 * password (bad padding, or garbage that is no PrivateKeyInfo) is `bad-password`.
 */
export async function decryptPrivateKeyInfo(der: Uint8Array, password: PbePassword): Promise<LoadedPrivateKey> {
  const kids = derSequence(derParse(der), 'EncryptedPrivateKeyInfo', 2);
  const encrypted = derOctets(kids[1], 'encryptedData');
  let plain: Uint8Array;
  try {
    plain = await pbeDecrypt(kids[0]!, encrypted, password);
  } catch (e) {
    if (e instanceof SmimeError && e.code === 'decryption-failed') {
      throw new PasswordError('bad-password', 'wrong password for the encrypted private key', { cause: e });
    }
    throw e;
  }
  try {
    derParse(plain);
  } catch (e) {
    // Correct-looking padding by chance but garbage inside: still a wrong password.
    throw new PasswordError('bad-password', 'wrong password for the encrypted private key', { cause: e });
  }
  return normalizePkcs8(plain);
}

// ---------------------------------------------------------------------------
// Legacy OpenSSL-encrypted PEM (`Proc-Type: 4,ENCRYPTED` / `DEK-Info`)

const LEGACY_PEM_CIPHERS: Record<string, { keyLength: number; ivLength: number }> = {
  'AES-128-CBC': { keyLength: 16, ivLength: 16 },
  'AES-192-CBC': { keyLength: 24, ivLength: 16 },
  'AES-256-CBC': { keyLength: 32, ivLength: 16 },
  'DES-EDE3-CBC': { keyLength: 24, ivLength: 8 },
  'DES-CBC': { keyLength: 8, ivLength: 8 },
};

/** OpenSSL's EVP_BytesToKey with MD5 and one iteration: the key derivation of traditional encrypted PEM. */
function evpBytesToKeyMd5(password: Uint8Array, salt: Uint8Array, length: number): Uint8Array {
  let out: Uint8Array = new Uint8Array(0);
  let block: Uint8Array = new Uint8Array(0);
  while (out.length < length) {
    block = md5(concatBytes(block, password, salt));
    out = concatBytes(out, block);
  }
  return out.subarray(0, length);
}

/**
 * Decrypts a traditional OpenSSL-encrypted PEM body (`openssl rsa -aes256 -traditional`). Still common
 * in old deployments; the weak MD5-based derivation is the format's, so these keys are read, never written.
 */
async function decryptLegacyPem(body: Uint8Array, dekInfo: string | undefined, password: string | undefined): Promise<Uint8Array> {
  const m = /^\s*([A-Z0-9-]+)\s*,\s*([0-9A-Fa-f]+)\s*$/.exec(dekInfo ?? '');
  const cipher = m ? LEGACY_PEM_CIPHERS[m[1]!.toUpperCase()] : undefined;
  if (!m || !cipher) throw unsupported(`legacy encrypted PEM with DEK-Info "${dekInfo ?? ''}" is not supported`);
  if (password === undefined) throw new PasswordError('password-required', 'the private key is encrypted; a password is needed');
  const iv = Uint8Array.from(m[2]!.match(/../g)!.map((h) => parseInt(h, 16)));
  if (iv.length !== cipher.ivLength) throw new FormatError('bad-key', `DEK-Info IV must be ${cipher.ivLength} bytes`);
  const key = evpBytesToKeyMd5(utf8(password), iv.subarray(0, 8), cipher.keyLength);
  try {
    const plain =
      cipher.ivLength === 16 ? await aesCbcDecrypt(key, iv, body) : cbcDecrypt(createDes(key), iv, body);
    derParse(plain);
    return plain;
  } catch (e) {
    if (e instanceof AlgorithmError) throw e;
    throw new PasswordError('bad-password', 'wrong password for the encrypted private key', { cause: e });
  }
}

// ---------------------------------------------------------------------------
// loadPrivateKey

function isEncryptedPkcs8(node: DerNode): boolean {
  try {
    const kids = derChildren(node);
    return kids.length === 2 && derIsUniversal(kids[0]!, 16) && derIsUniversal(kids[1]!, 4);
  } catch {
    return false;
  }
}

async function loadDer(der: Uint8Array, password: string | undefined, curveParams?: DerNode): Promise<LoadedPrivateKey> {
  const top = derParse(der, { allowTrailing: true });
  const bytes = derBytes(top);
  if (!derIsUniversal(top, 16) || !top.constructed) throw new FormatError('bad-key', 'not a private key (expected a DER SEQUENCE)');
  if (isEncryptedPkcs8(top)) {
    if (password === undefined) throw new PasswordError('password-required', 'the private key is encrypted; a password is needed');
    // The same key-derivation work budget as a PKCS#12 file (≈ 20 s at worst): PBKDF2 at 10M iterations
    // with a 128-byte key would otherwise be 70M HMACs.
    return decryptPrivateKeyInfo(bytes, { ...pbePassword(password), budget: { remaining: 20_000_000 } });
  }
  const kids = derChildren(top);
  // PKCS#8: INTEGER, SEQUENCE, OCTET STRING ...
  if (kids.length >= 3 && derIsUniversal(kids[0]!, 2) && derIsUniversal(kids[1]!, 16) && derIsUniversal(kids[2]!, 4)) return normalizePkcs8(bytes);
  // PKCS#1 RSAPrivateKey: 9 INTEGERs.
  if (kids.length >= 9 && kids.slice(0, 9).every((k) => derIsUniversal(k, 2))) {
    const pkcs8Der = rsaPkcs1ToPkcs8(bytes);
    return normalizePkcs8(pkcs8Der);
  }
  // SEC1 ECPrivateKey: INTEGER 1, OCTET STRING, [0]?, [1]?
  if (kids.length >= 2 && derIsUniversal(kids[0]!, 2) && derIsUniversal(kids[1]!, 4)) {
    return normalizePkcs8(ecSec1ToPkcs8(bytes, curveParams));
  }
  // PFX { version 3, authSafe ContentInfo, ... }: a PKCS#12 file handed to the key loader.
  if (kids.length >= 2 && derIsUniversal(kids[0]!, 2) && derIsUniversal(kids[1]!, 16) && !derIsUniversal(kids[2] ?? kids[0]!, 4)) {
    throw new FormatError('bad-key', 'this looks like a PKCS#12 file, not a private key: use loadIdentity()');
  }
  // DSA "traditional" key: 6 INTEGERs.
  if (kids.length === 6 && kids.every((k) => derIsUniversal(k, 2))) throw unsupported('DSA private keys are not supported');
  throw new FormatError('bad-key', 'unrecognized private key structure');
}

/**
 * Loads a private key from PEM or DER: PKCS#8 (`PRIVATE KEY`), encrypted
 * PKCS#8 (`ENCRYPTED PRIVATE KEY`: PBES2 with PBKDF2-HMAC-SHA-1/256/384/512
 * and AES-CBC/3DES/DES/RC2, PBES1-SHA1, PKCS#12 PBE), PKCS#1
 * (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`, named or explicit P-256/384/521).
 * In a PEM file with several blocks (a certificate and its key), the first key is used.
 *
 * @returns the key as unencrypted PKCS#8 DER with its type.
 * @throws FormatError `bad-key`/`malformed-der`/`no-private-key`, PasswordError
 *   `password-required`/`bad-password`, AlgorithmError `unsupported-algorithm`
 *   (DSA, DH, other curves, legacy OpenSSL-encrypted PEM).
 */
export async function loadPrivateKey(input: BytesLike, password?: string): Promise<LoadedPrivateKey> {
  const bytes = toBytes(input, 'private key');
  try {
    if (!looksLikePem(bytes)) return await loadDer(bytes, password);
    const blocks = decodePem(bytes);
    const ecParams = blocks.find((b) => b.label === 'EC PARAMETERS');
    for (const block of blocks) {
      switch (block.label) {
        case 'PRIVATE KEY':
        case 'ENCRYPTED PRIVATE KEY':
        case 'RSA PRIVATE KEY':
        case 'EC PRIVATE KEY': {
          const der = block.headers['Proc-Type']?.includes('ENCRYPTED') ? await decryptLegacyPem(block.der, block.headers['DEK-Info'], password) : block.der;
          return await loadDer(der, password, ecParams ? derParse(ecParams.der) : undefined);
        }
        case 'DSA PRIVATE KEY':
          throw unsupported('DSA private keys are not supported');
        default:
          break;
      }
    }
    throw new FormatError('no-private-key', 'no private key found in the PEM input');
  } catch (e) {
    if (e instanceof SmimeError) throw e;
    throw new FormatError('bad-key', `cannot parse the private key: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

// ---------------------------------------------------------------------------
// Public keys and key/certificate matching

/** A comparable public key: algorithm family, curve, and the key bytes. */
export interface PublicKeyFingerprint {
  family: 'rsa' | 'ec' | 'ed25519' | 'ed448' | 'x25519' | 'x448' | 'other';
  curve?: NamedCurve;
  /** RSA: DER RSAPublicKey (n, e); EC: uncompressed point; EdDSA/XDH: raw key. */
  key: Uint8Array;
}

/** The SubjectPublicKeyInfo element of a DER certificate. */
export function certificateSpki(certificate: Uint8Array): DerNode {
  const cert = derSequence(derParse(certificate, { allowTrailing: true }), 'Certificate', 3);
  const tbs = derSequence(cert[0], 'TBSCertificate', 6);
  const i = derIsContext(tbs[0]!, 0) ? 6 : 5;
  const spki = tbs[i];
  derSequence(spki, 'SubjectPublicKeyInfo', 2);
  return spki!;
}

/** A comparable form of a SubjectPublicKeyInfo. */
export function spkiFingerprint(spki: DerNode): PublicKeyFingerprint {
  const kids = derSequence(spki, 'SubjectPublicKeyInfo', 2);
  const alg = derAlgorithm(kids[0]);
  const key = derBitString(kids[1], 'subjectPublicKey');
  switch (alg.oid) {
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const rsa = derSequence(derParse(key), 'RSAPublicKey', 2);
      return { family: 'rsa', key: derSeq(derEncodeInt(derBigInt(rsa[0])), derEncodeInt(derBigInt(rsa[1]))) };
    }
    case OID.ecPublicKey: {
      let curve: NamedCurve | undefined;
      try {
        curve = curveInfo(ecCurveOid(alg.params)).curve;
      } catch {
        curve = undefined;
      }
      return curve ? { family: 'ec', curve, key } : { family: 'other', key };
    }
    case OID.ed25519:
      return { family: 'ed25519', key };
    case OID.ed448:
      return { family: 'ed448', key };
    case OID.x25519:
      return { family: 'x25519', key };
    case OID.x448:
      return { family: 'x448', key };
    default:
      return { family: 'other', key };
  }
}

const JWK_IMPORT: Record<string, AlgorithmIdentifier | EcKeyImportParams> = {
  ed25519: { name: 'Ed25519' },
  ed448: { name: 'Ed448' },
  x25519: { name: 'X25519' },
  x448: { name: 'X448' },
};

function fromBase64Url(s: string): Uint8Array {
  return fromBase64(s.replace(/-/g, '+').replace(/_/g, '/'));
}

/**
 * The public key belonging to a (normalized) private key. It is always
 * computed from the private key: a public key stored next to it (SEC1 or
 * OneAsymmetricKey `[1] publicKey`) is not trusted, since a file pairing a
 * certificate's public key with another private key would otherwise "match".
 */
export async function privateKeyFingerprint(key: LoadedPrivateKey): Promise<PublicKeyFingerprint> {
  const kids = derSequence(derParse(key.pkcs8), 'PrivateKeyInfo', 3);
  const inner = derOctets(kids[2]);
  if (key.type === 'rsa' || key.type === 'rsa-pss') {
    const rsa = parseRsaPrivateKeyPkcs1(inner);
    if (rsa.p * rsa.q !== rsa.n) throw new FormatError('bad-key', 'inconsistent RSA private key (p * q is not n)');
    return { family: 'rsa', key: derSeq(derEncodeInt(rsa.n), derEncodeInt(rsa.e)) };
  }
  // Drop any stored public key so that WebCrypto computes it from the private key.
  let stripped: Uint8Array;
  if (key.type === 'ec') {
    const sec1 = derSequence(derParse(inner), 'ECPrivateKey', 2).filter((k) => !derIsContext(k, 1));
    stripped = pkcs8(0, derBytes(kids[1]!), derSeq(...sec1.map((k) => derBytes(k))));
  } else {
    stripped = pkcs8(0, derBytes(kids[1]!), inner);
  }
  const subtle = getSubtle();
  const params = key.type === 'ec' ? { name: 'ECDH', namedCurve: key.curve! } : JWK_IMPORT[key.type]!;
  const usages: KeyUsage[] = key.type === 'ec' || key.type.startsWith('x') ? ['deriveBits'] : ['sign'];
  let jwk: JsonWebKey | undefined;
  let failure: unknown;
  // Some WebCrypto implementations (older WebKit) cannot import an EC key without its public key:
  // only there, fall back to the key as stored.
  for (const candidate of bytesEqual(stripped, key.pkcs8) ? [stripped] : [stripped, key.pkcs8]) {
    try {
      const k = await subtle.importKey('pkcs8', candidate.slice().buffer, params, true, usages);
      jwk = await subtle.exportKey('jwk', k);
      break;
    } catch (e) {
      failure ??= e;
    }
  }
  if (!jwk) throw new FormatError('bad-key', 'cannot derive the public key of the private key', { cause: failure });
  if (key.type === 'ec') {
    return { family: 'ec', curve: key.curve!, key: concatBytes(Uint8Array.of(4), fromBase64Url(jwk.x!), fromBase64Url(jwk.y!)) };
  }
  return { family: key.type, key: fromBase64Url(jwk.x!) };
}

function fingerprintsEqual(a: PublicKeyFingerprint, b: PublicKeyFingerprint): boolean {
  return a.family !== 'other' && a.family === b.family && a.curve === b.curve && bytesEqual(a.key, b.key);
}

/**
 * True when the private key belongs to the certificate's public key.
 * `privateKey` may be PKCS#8 DER or a `LoadedPrivateKey`.
 */
export async function keyMatchesCertificate(privateKey: Uint8Array | LoadedPrivateKey, certificate: Uint8Array): Promise<boolean> {
  const key = privateKey instanceof Uint8Array ? normalizePkcs8(privateKey) : privateKey;
  let certKey: PublicKeyFingerprint;
  try {
    certKey = spkiFingerprint(certificateSpki(certificate));
  } catch (e) {
    if (e instanceof SmimeError) throw e;
    throw new FormatError('bad-certificate', 'cannot parse the certificate', { cause: e });
  }
  return fingerprintsEqual(await privateKeyFingerprint(key), certKey);
}

/** Throws CryptoError `key-mismatch` unless the key belongs to the certificate. */
export async function assertKeyMatchesCertificate(privateKey: Uint8Array | LoadedPrivateKey, certificate: Uint8Array): Promise<void> {
  if (!(await keyMatchesCertificate(privateKey, certificate))) {
    throw new CryptoError('key-mismatch', 'the private key does not match the certificate');
  }
}
