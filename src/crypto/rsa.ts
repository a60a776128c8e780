/**
 * RSA encryption primitives: RSAES-PKCS1-v1_5 decryption with implicit
 * rejection (Marvin/Bleichenbacher-safe), RSAES-OAEP and RSAES-PKCS1-v1_5
 * encryption. WebCrypto has no PKCS#1 v1.5 encryption at all and Node 20
 * refuses its private decryption (CVE-2023-46809), so the private-key
 * operation is done here with bigint: CRT plus base blinding.
 */
import { AlgorithmError, ArgumentError, CryptoError, FormatError, SmimeError } from '../errors.js';
import { concatBytes, toArrayBuffer } from '../util/bytes.js';
import { bigintBitLength, bigintToBytes, bytesToBigint, modInverse, modPow } from './bigint.js';
import { getSubtle, randomBytes } from './engine.js';
import { digest, hashLength, hmac, implicitRejectionPrf } from './kdf.js';
import type { KdfHash } from './kdf.js';
import { OID, parseRsaPrivateKeyPkcs1 } from './keys.js';
import { derAlgorithm, derBigInt, derBitString, derChildren, derEncodeInt, derEncodeOid, derNull, derOctetString, derOctets, derParse, derSeq, derSequence } from '../util/der-element.js';
import type { RsaPrivateNumbers } from './keys.js';
import type { DerNode } from '../util/der-element.js';

/** Hashes allowed for RSA-OAEP (and its MGF1). */
export type OaepHash = KdfHash;

/** RSA-OAEP parameters (RFC 8017 A.2.1). Defaults are SHA-1 / MGF1-SHA-1 / empty label, as in RSAES-OAEP-params. */
export interface OaepOptions {
  hash?: OaepHash;
  /** MGF1 hash; defaults to `hash`. */
  mgfHash?: OaepHash;
  /** pSourceFunc label; default empty. */
  label?: Uint8Array;
}

interface RsaPrivateKey extends RsaPrivateNumbers {
  /** Modulus length in bytes. */
  k: number;
}

interface RsaPublicKey {
  n: bigint;
  e: bigint;
  k: number;
  /** SubjectPublicKeyInfo with rsaEncryption, for WebCrypto import. */
  spki: Uint8Array;
}

// ---------------------------------------------------------------------------
// Key parsing

function byteLength(n: bigint): number {
  return Math.ceil(n.toString(16).length / 2);
}

/** RSA private key from PKCS#8 (rsaEncryption or RSASSA-PSS) or PKCS#1 DER. */
function parsePrivate(der: Uint8Array): { key: RsaPrivateKey; pkcs8: Uint8Array | undefined } {
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
  if (bigintBitLength(nums.n) > MAX_MODULUS_BITS) throw new FormatError('bad-key', `RSA keys above ${MAX_MODULUS_BITS} bits are not supported`);
  const k = byteLength(nums.n);
  if (k < 64) throw new ArgumentError('weak-key', 'RSA keys below 512 bits are not supported');
  return { key: { ...nums, k }, pkcs8 };
}

function spkiFor(n: bigint, e: bigint): Uint8Array {
  const rsaPublicKey = derSeq(derEncodeInt(n), derEncodeInt(e));
  return derSeq(derSeq(derEncodeOid(OID.rsaEncryption), derNull()), concatBytes(Uint8Array.of(3), lengthOf(rsaPublicKey.length + 1), Uint8Array.of(0), rsaPublicKey));
}

function lengthOf(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** RSA public key from SubjectPublicKeyInfo DER, an X.509 certificate DER, or PKCS#1 RSAPublicKey DER. */
function parsePublic(der: Uint8Array): RsaPublicKey {
  try {
    let kids = derSequence(derParse(der, { allowTrailing: true }), 'RSA public key', 2);
    if (kids[0]!.cls === 0 && kids[0]!.tag === 2) {
      // PKCS#1 RSAPublicKey
      const n = derBigInt(kids[0]);
      const e = derBigInt(kids[1]);
      return checkPublic(n, e);
    }
    if (!(kids[1]!.cls === 0 && kids[1]!.tag === 3)) {
      // A certificate: find the SubjectPublicKeyInfo in the TBSCertificate.
      const tbs = derSequence(kids[0], 'TBSCertificate', 6);
      const spki = tbs[tbs[0]!.cls === 2 ? 6 : 5];
      kids = derSequence(spki, 'SubjectPublicKeyInfo', 2);
    }
    const alg = derAlgorithm(kids[0]);
    if (alg.oid !== OID.rsaEncryption && alg.oid !== OID.rsassaPss) throw new ArgumentError('not-rsa-key', `the public key is not an RSA key (${alg.oid})`);
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
  if (bigintBitLength(n) > MAX_MODULUS_BITS) throw new FormatError('bad-key', `RSA keys above ${MAX_MODULUS_BITS} bits are not supported`);
  const k = byteLength(n);
  if (k < 64) throw new ArgumentError('weak-key', 'RSA keys below 512 bits are not supported');
  return { n, e, k, spki: spkiFor(n, e) };
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
function i2osp(v: bigint, k: number): Uint8Array {
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

// ---------------------------------------------------------------------------
// Constant-time helpers (32-bit masks: all ones = true)

const ctIsZero = (x: number): number => ((~x & (x - 1)) >> 31) | 0; // x in 0..2^31-1
const ctEq = (a: number, b: number): number => ctIsZero(a ^ b);
const ctLt = (a: number, b: number): number => ((a - b) >> 31) | 0; // a, b in 0..2^30
const ctSelect = (mask: number, a: number, b: number): number => (a & mask) | (b & ~mask);

// ---------------------------------------------------------------------------
// RSAES-PKCS1-v1_5 with implicit rejection

/** Options of `rsaPkcs1v15DecryptImplicit`. */
export interface ImplicitRejectionOptions {
  /**
   * Length the plaintext must have (the CEK size of the content cipher). A
   * valid padding with another length is treated like bad padding.
   */
  expectedLength?: number;
}

/**
 * RSAES-PKCS1-v1_5 decryption with implicit rejection
 * (draft-irtf-cfrg-rsa-guidance §7, RFC 3218 §2.3.2). It never reports a
 * padding error: when the padding (or the length, given `expectedLength`)
 * is wrong, it returns a synthetic message derived deterministically from
 * the ciphertext and a key-derivation key computed from the private
 * exponent, so a wrong key, bad padding and a wrong length are
 * indistinguishable to the caller — the content decryption that follows
 * fails (or yields garbage) in the same way for all of them.
 *
 * The synthetic message and length follow OpenSSL 3.2's construction
 * (KDK = HMAC-SHA-256(SHA-256(d), C); PRF labels "length" and "message").
 *
 * @param privateKey PKCS#8 (rsaEncryption/RSASSA-PSS) or PKCS#1 DER.
 * @throws only for unusable arguments (not an RSA key, bad expectedLength).
 */
export async function rsaPkcs1v15DecryptImplicit(
  privateKey: Uint8Array,
  ciphertext: Uint8Array,
  options: ImplicitRejectionOptions = {},
): Promise<Uint8Array> {
  const { key } = parsePrivate(privateKey);
  const k = key.k;
  const expected = options.expectedLength;
  if (expected !== undefined && (!Number.isSafeInteger(expected) || expected < 1 || expected > k - 11)) {
    throw new ArgumentError('bad-argument', `expectedLength must be 1..${k - 11}`);
  }

  // Key-derivation key: HMAC-SHA-256 keyed with SHA-256(d), over the ciphertext
  // (left-padded to k bytes as OpenSSL does; longer inputs are used as they are).
  const cPadded = ciphertext.length < k ? concatBytes(new Uint8Array(k - ciphertext.length), ciphertext) : ciphertext;
  const dHash = await digest('SHA-256', bigintToBytes(key.d, k));
  const kdk = await hmac('SHA-256', dHash, cPadded);
  const synthetic = await implicitRejectionPrf(kdk, 'message', k);
  const candidates = await implicitRejectionPrf(kdk, 'length', 256);

  // A ciphertext that is not an integer below n (public property, e.g. made
  // for another key) still runs the same operation and ends in rejection.
  // (An over-long ciphertext is not converted at all: its length is public, and
  // bytesToBigint is quadratic, so a huge input would stall the process.)
  const tooLong = ciphertext.length > k;
  const c = tooLong ? 0n : bytesToBigint(ciphertext);
  let good = ctEq(tooLong ? 0 : 1, 1) & ctEq(c < key.n ? 1 : 0, 1);
  const em = i2osp(rsaPrivateRaw(key, c % key.n), k);

  // EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M, checked without branches.
  good &= ctIsZero(em[0]!) & ctEq(em[1]!, 2);
  let foundZero = 0;
  let zeroIndex = 0;
  for (let i = 2; i < k; i++) {
    const isZero = ctIsZero(em[i]!);
    zeroIndex = ctSelect(~foundZero & isZero, i, zeroIndex);
    foundZero |= isZero;
  }
  good &= foundZero;
  good &= ~ctLt(zeroIndex, 10); // PS at least 8 bytes
  const msgLength = k - zeroIndex - 1;

  // Synthetic length: the fixed expected length, or the draft's PRF choice below k - 10.
  let synthLength: number;
  if (expected !== undefined) {
    synthLength = expected;
    good &= ctEq(msgLength, expected);
  } else {
    const maxSepOffset = k - 2 - 8;
    let mask = maxSepOffset;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    synthLength = 0;
    for (let i = 0; i < 256; i += 2) {
      const candidate = ((candidates[i]! << 8) | candidates[i + 1]!) & mask;
      synthLength = ctSelect(ctLt(candidate, maxSepOffset), candidate, synthLength);
    }
  }

  // Both messages are right-aligned in k-byte buffers: select bytewise, then cut.
  const out = new Uint8Array(k);
  for (let i = 0; i < k; i++) out[i] = ctSelect(good, em[i]!, synthetic[i]!) & 0xff;
  const length = ctSelect(good, msgLength, synthLength);
  em.fill(0);
  return out.slice(k - length);
}

/**
 * RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1) with the raw public
 * operation (WebCrypto has no PKCS#1 v1.5 encryption).
 *
 * @param publicKey SubjectPublicKeyInfo, X.509 certificate or PKCS#1 RSAPublicKey DER.
 */
export async function rsaPkcs1v15Encrypt(publicKey: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const pub = parsePublic(publicKey);
  const k = pub.k;
  if (message.length > k - 11) throw new ArgumentError('message-too-long', `message too long for RSA PKCS#1 v1.5 (max ${k - 11} bytes)`);
  const psLength = k - 3 - message.length;
  const ps = new Uint8Array(psLength);
  for (let filled = 0; filled < psLength; ) {
    for (const b of randomBytes(psLength)) if (b !== 0 && filled < psLength) ps[filled++] = b;
  }
  const em = concatBytes(Uint8Array.of(0, 2), ps, Uint8Array.of(0), message);
  return bigintToBytes(modPow(bytesToBigint(em), pub.e, pub.n), k);
}

// ---------------------------------------------------------------------------
// RSAES-OAEP

function oaepParams(options: OaepOptions): { hash: OaepHash; mgfHash: OaepHash; label: Uint8Array } {
  const hash = options.hash ?? 'SHA-1';
  const mgfHash = options.mgfHash ?? hash;
  for (const h of [hash, mgfHash]) {
    if (!['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].includes(h)) throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP hash ${h}`);
  }
  return { hash, mgfHash, label: options.label ?? new Uint8Array(0) };
}

async function mgf1(hash: OaepHash, seed: Uint8Array, length: number): Promise<Uint8Array> {
  const hLen = hashLength(hash);
  const out = new Uint8Array(Math.ceil(length / hLen) * hLen);
  const counter = new Uint8Array(4);
  for (let i = 0, at = 0; at < length; i++, at += hLen) {
    counter[0] = i >>> 24;
    counter[1] = i >>> 16;
    counter[2] = i >>> 8;
    counter[3] = i;
    out.set(await digest(hash, concatBytes(seed, counter)), at);
  }
  return out.subarray(0, length);
}

/** Whether WebCrypto can do this OAEP variant (it ties the MGF1 hash to the OAEP hash). */
function webCryptoOaep(hash: OaepHash, mgfHash: OaepHash): boolean {
  return hash === mgfHash;
}

/**
 * RSAES-OAEP encryption (RFC 8017 §7.1.1): WebCrypto when the MGF1 hash
 * equals the OAEP hash, bigint otherwise.
 *
 * @param publicKey SubjectPublicKeyInfo, X.509 certificate or PKCS#1 RSAPublicKey DER.
 */
export async function rsaOaepEncrypt(publicKey: Uint8Array, message: Uint8Array, options: OaepOptions = {}): Promise<Uint8Array> {
  const pub = parsePublic(publicKey);
  const { hash, mgfHash, label } = oaepParams(options);
  const hLen = hashLength(hash);
  const k = pub.k;
  if (message.length > k - 2 * hLen - 2) throw new ArgumentError('message-too-long', `message too long for RSA-OAEP (max ${k - 2 * hLen - 2} bytes)`);
  if (webCryptoOaep(hash, mgfHash)) {
    const subtle = getSubtle();
    const cryptoKey = await subtle.importKey('spki', toArrayBuffer(pub.spki), { name: 'RSA-OAEP', hash }, false, ['encrypt']);
    const params: RsaOaepParams = { name: 'RSA-OAEP' };
    if (label.length) params.label = toArrayBuffer(label);
    return new Uint8Array(await subtle.encrypt(params, cryptoKey, toArrayBuffer(message)));
  }
  const lHash = await digest(hash, label);
  const db = new Uint8Array(k - hLen - 1);
  db.set(lHash);
  db[db.length - message.length - 1] = 1;
  db.set(message, db.length - message.length);
  const seed = randomBytes(hLen);
  const dbMask = await mgf1(mgfHash, seed, db.length);
  for (let i = 0; i < db.length; i++) db[i] = db[i]! ^ dbMask[i]!;
  const seedMask = await mgf1(mgfHash, db, hLen);
  for (let i = 0; i < hLen; i++) seed[i] = seed[i]! ^ seedMask[i]!;
  const em = concatBytes(Uint8Array.of(0), seed, db);
  return bigintToBytes(modPow(bytesToBigint(em), pub.e, pub.n), k);
}

/**
 * RSAES-OAEP decryption (RFC 8017 §7.1.2). WebCrypto when it can (same
 * OAEP and MGF1 hash, rsaEncryption key), otherwise a bigint private
 * operation with a branch-free decoding check. Every failure is the single
 * error CryptoError `decryption-failed` (no Manger-style distinction).
 *
 * @param privateKey PKCS#8 or PKCS#1 DER.
 */
export async function rsaOaepDecrypt(privateKey: Uint8Array, ciphertext: Uint8Array, options: OaepOptions = {}): Promise<Uint8Array> {
  const { key, pkcs8 } = parsePrivate(privateKey);
  const { hash, mgfHash, label } = oaepParams(options);
  const hLen = hashLength(hash);
  const k = key.k;
  const fail = (cause?: unknown): CryptoError => new CryptoError('decryption-failed', 'RSA-OAEP decryption failed', cause === undefined ? undefined : { cause });
  if (ciphertext.length > k || k < 2 * hLen + 2) throw fail();
  // Some encoders drop leading zero bytes of the ciphertext integer; restore the k-byte form.
  if (ciphertext.length < k) ciphertext = concatBytes(new Uint8Array(k - ciphertext.length), ciphertext);
  if (webCryptoOaep(hash, mgfHash) && pkcs8) {
    const subtle = getSubtle();
    let cryptoKey: CryptoKey | undefined;
    try {
      cryptoKey = await subtle.importKey('pkcs8', toArrayBuffer(pkcs8), { name: 'RSA-OAEP', hash }, false, ['decrypt']);
    } catch {
      cryptoKey = undefined; // e.g. a key WebCrypto refuses: use the bigint path
    }
    if (cryptoKey) {
      const params: RsaOaepParams = { name: 'RSA-OAEP' };
      if (label.length) params.label = toArrayBuffer(label);
      try {
        return new Uint8Array(await subtle.decrypt(params, cryptoKey, toArrayBuffer(ciphertext)));
      } catch (e) {
        throw fail(e);
      }
    }
  }
  const c = bytesToBigint(ciphertext);
  if (c >= key.n) throw fail();
  const em = i2osp(rsaPrivateRaw(key, c), k);
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seedMask = await mgf1(mgfHash, maskedDb, hLen);
  const seed = new Uint8Array(hLen);
  for (let i = 0; i < hLen; i++) seed[i] = maskedSeed[i]! ^ seedMask[i]!;
  const dbMask = await mgf1(mgfHash, seed, maskedDb.length);
  const db = new Uint8Array(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ dbMask[i]!;
  const lHash = await digest(hash, label);
  let good = ctIsZero(em[0]!);
  for (let i = 0; i < hLen; i++) good &= ctEq(db[i]!, lHash[i]!);
  // After lHash: zero bytes, then 0x01, then the message.
  let found = 0;
  let index = 0;
  for (let i = hLen; i < db.length; i++) {
    const isOne = ctEq(db[i]!, 1);
    const isZero = ctIsZero(db[i]!);
    index = ctSelect(~found & isOne, i, index);
    good &= found | isZero | isOne; // before the separator only zeros are allowed
    found |= isOne;
  }
  good &= found;
  if (!good) throw fail();
  return db.slice(index + 1);
}

// ---------------------------------------------------------------------------
// Helpers for callers

/** Parameters of an `RSAES-OAEP-params` AlgorithmIdentifier parameter (RFC 8017 A.2.1); absent = all defaults. */
export function parseOaepParams(params: Uint8Array | undefined): Required<OaepOptions> {
  const out: Required<OaepOptions> = { hash: 'SHA-1', mgfHash: 'SHA-1', label: new Uint8Array(0) };
  if (!params || params.length === 0 || (params[0] === 5 && params.length === 2)) return out;
  const hashes: Record<string, OaepHash> = { [OID.sha1]: 'SHA-1', [OID.sha256]: 'SHA-256', [OID.sha384]: 'SHA-384', [OID.sha512]: 'SHA-512' };
  const lookup = (oid: string): OaepHash => {
    const h = hashes[oid];
    if (!h) throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP hash ${oid}`);
    return h;
  };
  for (const field of derSequence(derParse(params), 'RSAES-OAEP-params')) {
    if (field.cls !== 2) continue;
    const inner = derChildren(field)[0];
    if (field.tag === 0) out.hash = lookup(derAlgorithm(inner).oid);
    else if (field.tag === 1) {
      const mgf = derAlgorithm(inner);
      if (mgf.oid !== '1.2.840.113549.1.1.8') throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP mask generation function ${mgf.oid}`);
      out.mgfHash = lookup(derAlgorithm(mgf.params).oid);
    } else if (field.tag === 2) {
      const src = derAlgorithm(inner);
      if (src.oid !== '1.2.840.113549.1.1.9') throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP label source ${src.oid}`);
      out.label = src.params ? derOctets(src.params).slice() : new Uint8Array(0);
    }
  }
  return out;
}

/** DER `RSAES-OAEP-params` for the given options (defaults omitted, as DER requires). */
export function encodeOaepParams(options: OaepOptions = {}): Uint8Array {
  const { hash, mgfHash, label } = oaepParams(options);
  const oids: Record<OaepHash, string> = { 'SHA-1': OID.sha1, 'SHA-256': OID.sha256, 'SHA-384': OID.sha384, 'SHA-512': OID.sha512 };
  const alg = (h: OaepHash): Uint8Array => derSeq(derEncodeOid(oids[h]), derNull());
  const fields: Uint8Array[] = [];
  const ctx = (n: number, content: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0xa0 | n), lengthOf(content.length), content);
  if (hash !== 'SHA-1') fields.push(ctx(0, alg(hash)));
  if (mgfHash !== 'SHA-1') fields.push(ctx(1, derSeq(derEncodeOid('1.2.840.113549.1.1.8'), alg(mgfHash))));
  if (label.length) fields.push(ctx(2, derSeq(derEncodeOid('1.2.840.113549.1.1.9'), derOctetString(label))));
  return derSeq(...fields);
}

/** Modulus size in bits of an RSA public key (SPKI, certificate or PKCS#1). */
export function rsaPublicKeyBits(publicKey: Uint8Array): number {
  return parsePublic(publicKey).n.toString(2).length;
}

/** @internal exposed for tests: raw bigint helpers. */
export const _internal = { modPow, modInverse, i2osp };
