/**
 * RSAES-PKCS1-v1_5 (RFC 8017 §7.2): decryption with implicit rejection
 * (Marvin/Bleichenbacher-safe) and encryption. WebCrypto has no PKCS#1 v1.5
 * encryption at all and Node 20 refuses its private decryption
 * (CVE-2023-46809), so both use the bigint primitives of rsa-primitives.ts.
 * RSAES-OAEP is in rsa-oaep.ts.
 */
import { ArgumentError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import { bigintToBytes, bytesToBigint, modInverse, modPow } from './bigint.js';
import { randomBytes } from './engine.js';
import { digest, hmac, implicitRejectionPrf } from './kdf.js';
import { ctEq, ctIsZero, ctLt, ctSelect, i2osp, parsePrivate, parsePublic, rsaPrivateRaw } from './rsa-primitives.js';

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
  if (message.length > k - 11)
    throw new ArgumentError('message-too-long', `message too long for RSA PKCS#1 v1.5 (max ${k - 11} bytes)`);
  const psLength = k - 3 - message.length;
  const ps = new Uint8Array(psLength);
  for (let filled = 0; filled < psLength;) {
    for (const b of randomBytes(psLength)) if (b !== 0 && filled < psLength) ps[filled++] = b;
  }
  const em = concatBytes(Uint8Array.of(0, 2), ps, Uint8Array.of(0), message);
  return bigintToBytes(modPow(bytesToBigint(em), pub.e, pub.n), k);
}

/** Modulus size in bits of an RSA public key (SPKI, certificate or PKCS#1). */
export function rsaPublicKeyBits(publicKey: Uint8Array): number {
  return parsePublic(publicKey).n.toString(2).length;
}

/** @internal exposed for tests: raw bigint helpers. */
export const _internal = { modPow, modInverse, i2osp };
