/**
 * RSAES-PKCS1-v1_5 (RFC 8017 §7.2): decryption with implicit rejection
 * (Marvin/Bleichenbacher-safe) and encryption. WebCrypto has no PKCS#1 v1.5
 * encryption at all and Node 20 refuses its private decryption
 * (CVE-2023-46809), so the padding is always done here, on the raw RSA
 * operations of rsa-primitives.ts (OpenSSL without padding on Node, bigint
 * elsewhere).
 * RSAES-OAEP is in rsa-oaep.ts.
 */
import { ArgumentError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import { bigintToBytes, modInverse, modPow } from './bigint.js';
import { randomBytes } from './engine.js';
import { digest, hmac, implicitRejectionPrf } from './kdf.js';
import { nativeCrypto, nativePublicKey, plain } from './native.js';
import {
  belowModulus,
  ctEq,
  ctIsZero,
  ctLt,
  ctSelect,
  i2osp,
  parsePrivate,
  parsePublic,
  rsaPrivateRawBytes,
  rsaPublicRawBytes,
} from './rsa-primitives.js';

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
 * On Node the raw private operation is OpenSSL's without padding (native.ts);
 * the padding check and the rejection are always this code's.
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
  const kdk = await hmac('SHA-256', await exponentHash(key), cPadded);
  const synthetic = await implicitRejectionPrf(kdk, 'message', k);
  const candidates = await implicitRejectionPrf(kdk, 'length', 256);

  // A ciphertext that is not an integer below n (public property, e.g. made
  // for another key) still runs the same operation (on zero) and ends in rejection.
  const inRange = ciphertext.length <= k && belowModulus(key, cPadded);
  const em = rsaPrivateRawBytes(key, inRange ? cPadded : new Uint8Array(k));
  const { good, msgLength } = checkPkcs1Padding(em, k, ctEq(inRange ? 1 : 0, 1));

  // Synthetic length: the fixed expected length, or the draft's PRF choice below k - 10.
  let accept = good;
  let synthLength: number;
  if (expected !== undefined) {
    synthLength = expected;
    accept &= ctEq(msgLength, expected);
  } else synthLength = syntheticLength(candidates, k);

  // Both messages are right-aligned in k-byte buffers: select bytewise, then cut.
  const out = new Uint8Array(k);
  for (let i = 0; i < k; i++) out[i] = ctSelect(accept, em[i]!, synthetic[i]!) & 0xff;
  const length = ctSelect(accept, msgLength, synthLength);
  em.fill(0);
  return out.slice(k - length);
}

/** SHA-256 of d as k bytes (the key of the KDK), computed once per key. */
const exponentHashes = new WeakMap<object, Uint8Array>();
async function exponentHash(key: { d: bigint; k: number }): Promise<Uint8Array> {
  let h = exponentHashes.get(key);
  if (!h) {
    h = await digest('SHA-256', bigintToBytes(key.d, key.k));
    exponentHashes.set(key, h);
  }
  return h;
}

/**
 * EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M, checked without branches: an all-ones mask when
 * it holds (and `good` was), and the length of M.
 */
function checkPkcs1Padding(em: Uint8Array, k: number, good: number): { good: number; msgLength: number } {
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
  return { good, msgLength: k - zeroIndex - 1 };
}

/** The draft's synthetic length: the last PRF candidate (masked) below k - 10, chosen without branches. */
function syntheticLength(candidates: Uint8Array, k: number): number {
  const maxSepOffset = k - 2 - 8;
  let mask = maxSepOffset;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  let synthLength = 0;
  for (let i = 0; i < 256; i += 2) {
    const candidate = ((candidates[i]! << 8) | candidates[i + 1]!) & mask;
    synthLength = ctSelect(ctLt(candidate, maxSepOffset), candidate, synthLength);
  }
  return synthLength;
}

/**
 * RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1): OpenSSL's on Node (native.ts),
 * elsewhere this code's padding on the bigint public operation (WebCrypto has
 * no PKCS#1 v1.5 encryption).
 *
 * @param publicKey SubjectPublicKeyInfo, X.509 certificate or PKCS#1 RSAPublicKey DER.
 */
export async function rsaPkcs1v15Encrypt(publicKey: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const pub = parsePublic(publicKey);
  const k = pub.k;
  if (message.length > k - 11)
    throw new ArgumentError('message-too-long', `message too long for RSA PKCS#1 v1.5 (max ${k - 11} bytes)`);
  const node = nativeCrypto();
  const native = node && nativePublicKey(node, pub.spki);
  if (node && native)
    return plain(node.publicEncrypt({ key: native, padding: node.constants.RSA_PKCS1_PADDING }, message));
  const psLength = k - 3 - message.length;
  const em = new Uint8Array(k);
  em[1] = 2;
  for (let filled = 0; filled < psLength;) {
    for (const b of randomBytes(psLength)) if (b !== 0 && filled < psLength) em[2 + filled++] = b;
  }
  em.set(message, k - message.length);
  return rsaPublicRawBytes(pub, em);
}

/** Modulus size in bits of an RSA public key (SPKI, certificate or PKCS#1). */
export function rsaPublicKeyBits(publicKey: Uint8Array): number {
  return parsePublic(publicKey).bits;
}

/** @internal exposed for tests: raw bigint helpers. */
export const _internal = { modPow, modInverse, i2osp };
