/**
 * Private keys: PEM/DER PKCS#8, encrypted PKCS#8 (PBES2, PBES1, PKCS#12 PBE), PKCS#1 `RSA PRIVATE KEY` and SEC1
 * `EC PRIVATE KEY` are normalized to unencrypted PKCS#8 DER plus key type information.
 */
import { AlgorithmError, FormatError, PasswordError, SmimeError } from '../errors.js';
import { bytesEqual, toBytes, type BytesLike } from '../util/bytes.js';
import { BytesCache } from './native.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import { bigintBitLength, bytesToBigint } from './bigint.js';
import { OID } from './oids.js';
import { decryptLegacyPem, pbeDecrypt, pbePassword, pbeWorkBudget } from './password-based.js';
import type { PbePassword } from './password-based.js';
import {
  type DerNode,
  derParse,
  derChildren,
  derBytes,
  derIsUniversal,
  derIsContext,
  derSequence,
  derOid,
  derBigInt,
  derSmallInt,
  derOctets,
  derAlgorithm,
  seq,
  octets,
  NULL,
  encodeOid,
  encodeInt,
} from '../asn1/index.js';

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
  if (
    n! <= 0n ||
    e! <= 0n ||
    d! <= 0n ||
    p! <= 1n ||
    q! <= 1n ||
    dp! < 0n ||
    dq! < 0n ||
    qi! < 0n ||
    d! >= n! ||
    e! >= n!
  )
    throw new FormatError('bad-key', 'invalid RSA private key values');
  return { n: n!, e: e!, d: d!, p: p!, q: q!, dp: dp!, dq: dq!, qi: qi! };
}

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
const CURVES: Record<
  string,
  { curve: NamedCurve; bits: number; p: bigint; b: bigint; gx: bigint; gy: bigint; n: bigint }
> = {
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
  if ((encoded[0] === 2 || encoded[0] === 3) && len > 0)
    return bytesToBigint(encoded.subarray(1)) === x && (encoded[0] & 1) === Number(y & 1n);
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
    if (
      info.p === p &&
      a === p - 3n &&
      b === info.b &&
      order === info.n &&
      cofactor === 1n &&
      ecPointIs(base, info.gx, info.gy)
    )
      return oid;
  }
  throw unsupported('EC key with explicit parameters of an unsupported curve');
}

/** Name and size of a supported curve; `oid` must come from {@link ecCurveOid}. */
export function curveInfo(oid: string): { curve: NamedCurve; bits: number } {
  return CURVES[oid]!;
}

/** A PrivateKeyInfo (RFC 5958 OneAsymmetricKey) from its parts. */
export function encodePkcs8(
  version: number,
  algorithm: Uint8Array,
  privateKey: Uint8Array,
  rest: Uint8Array[] = [],
): Uint8Array {
  return seq(encodeInt(version), algorithm, octets(privateKey), ...rest);
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
  return { ecPrivateKey: seq(...keep), params };
}

/** Wraps a PKCS#1 RSAPrivateKey into PKCS#8. */
export function rsaPkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  parseRsaPrivateKeyPkcs1(pkcs1);
  return encodePkcs8(0, seq(encodeOid(OID.rsaEncryption), NULL), pkcs1);
}

/** Wraps a SEC1 ECPrivateKey into PKCS#8 with a named curve. */
function ecSec1ToPkcs8(sec1: Uint8Array, curveParams?: DerNode): Uint8Array {
  const { ecPrivateKey, params } = normalizeSec1(sec1);
  const oid = ecCurveOid(params ?? curveParams);
  return encodePkcs8(0, seq(encodeOid(OID.ecPublicKey), encodeOid(oid)), ecPrivateKey);
}

/** Normalizes an unencrypted PKCS#8 / OneAsymmetricKey (DSA, DH: `unsupported-algorithm`), once per key array. */
export function normalizePkcs8(der: Uint8Array): LoadedPrivateKey {
  const hit = normalized.peek(der);
  if (hit && bytesEqual(hit.key.pkcs8, hit.out)) return hit.key;
  const key = normalizeUncached(der);
  normalized.set(der, { key, out: key.pkcs8.slice() });
  return key;
}
const normalized = new BytesCache<{ key: LoadedPrivateKey; out: Uint8Array }>();

function normalizeUncached(der: Uint8Array): LoadedPrivateKey {
  const kids = derSequence(derParse(der), 'PrivateKeyInfo', 3);
  const version = derSmallInt(kids[0], 'PrivateKeyInfo version');
  if (version > 1) throw new FormatError('bad-key', `unsupported PrivateKeyInfo version ${version}`);
  const alg = derAlgorithm(kids[1]);
  const inner = derOctets(kids[2], 'privateKey');
  // Drop [0] attributes (Windows/NSS add them; not every WebCrypto accepts them); keep a [1] public key.
  const publicKey = kids.slice(3).find((k) => derIsContext(k, 1));
  const clean = (): Uint8Array =>
    kids.length === 3
      ? der.slice()
      : encodePkcs8(publicKey ? 1 : 0, derBytes(kids[1]!), inner, publicKey ? [derBytes(publicKey)] : []);
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
      const out = explicit ? encodePkcs8(0, seq(encodeOid(OID.ecPublicKey), encodeOid(oid)), ecPrivateKey) : clean();
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
// Encrypted PKCS#8

/**
 * Decrypts an EncryptedPrivateKeyInfo and normalizes the result. A wrong
 * password (bad padding, or garbage that is no PrivateKeyInfo) is `bad-password`.
 */
async function decryptPrivateKeyInfo(der: Uint8Array, password: PbePassword): Promise<LoadedPrivateKey> {
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
// loadPrivateKey

function isEncryptedPkcs8(node: DerNode): boolean {
  try {
    const kids = derChildren(node);
    return kids.length === 2 && derIsUniversal(kids[0]!, 16) && derIsUniversal(kids[1]!, 4);
  } catch {
    return false;
  }
}

async function loadDer(
  der: Uint8Array,
  password: string | undefined,
  curveParams?: DerNode,
): Promise<LoadedPrivateKey> {
  const top = derParse(der, { allowTrailing: true });
  const bytes = derBytes(top);
  if (!derIsUniversal(top, 16) || !top.constructed)
    throw new FormatError('bad-key', 'not a private key (expected a DER SEQUENCE)');
  if (isEncryptedPkcs8(top)) {
    if (password === undefined)
      throw new PasswordError('password-required', 'the private key is encrypted; a password is needed');
    // The same key-derivation work budget as a PKCS#12 file: PBKDF2 at 10M iterations with a 128-byte key
    // would otherwise be 70M HMACs.
    return decryptPrivateKeyInfo(bytes, { ...pbePassword(password), budget: pbeWorkBudget() });
  }
  const kids = derChildren(top);
  // PKCS#8: INTEGER, SEQUENCE, OCTET STRING ...
  if (kids.length >= 3 && derIsUniversal(kids[0]!, 2) && derIsUniversal(kids[1]!, 16) && derIsUniversal(kids[2]!, 4))
    return normalizePkcs8(bytes);
  // PKCS#1 RSAPrivateKey: 9 INTEGERs.
  if (kids.length >= 9 && kids.slice(0, 9).every((k) => derIsUniversal(k, 2))) {
    return normalizePkcs8(rsaPkcs1ToPkcs8(bytes));
  }
  // SEC1 ECPrivateKey: INTEGER 1, OCTET STRING, [0]?, [1]?
  if (kids.length >= 2 && derIsUniversal(kids[0]!, 2) && derIsUniversal(kids[1]!, 4)) {
    return normalizePkcs8(ecSec1ToPkcs8(bytes, curveParams));
  }
  // PFX { version 3, authSafe ContentInfo, ... }: a PKCS#12 file handed to the key loader.
  if (
    kids.length >= 2 &&
    derIsUniversal(kids[0]!, 2) &&
    derIsUniversal(kids[1]!, 16) &&
    !derIsUniversal(kids[2] ?? kids[0]!, 4)
  ) {
    throw new FormatError('bad-key', 'this looks like a PKCS#12 file, not a private key: use loadIdentity()');
  }
  // DSA "traditional" key: 6 INTEGERs.
  if (kids.length === 6 && kids.every((k) => derIsUniversal(k, 2)))
    throw unsupported('DSA private keys are not supported');
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
          const der = block.headers['Proc-Type']?.includes('ENCRYPTED')
            ? await decryptLegacyPem(block.der, block.headers['DEK-Info'], password)
            : block.der;
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
    throw new FormatError('bad-key', `cannot parse the private key: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}
