/**
 * A second, independent implementation of RSAES-PKCS1-v1_5 decryption with
 * implicit rejection, written from the published construction and not from
 * src/crypto/rsa.ts:
 *
 * - draft-irtf-cfrg-rsa-guidance (A. Kario), section "Implicit rejection" and the
 *   test vectors of its Appendix B;
 * - the author's own implementation, tlslite-ng `RSAKey.decrypt` / `_dec_prf`
 *   (tlsfuzzer/tlslite-ng, tlslite/utils/rsakey.py), which OpenSSL 3.2+ and
 *   NSS follow byte for byte.
 *
 * It is deliberately plain: bigint arithmetic with the textbook exponentiation,
 * HMAC/SHA-256 from node:crypto, the key numbers from node:crypto's JWK export
 * (not the project's ASN.1 parser), and ordinary branches — it is an oracle for
 * the expected bytes, not a side-channel-safe implementation.
 *
 * The construction, for a private key (n, d) with k = byte length of n:
 *
 *   1. C must be exactly k bytes and OS2IP(C) < n (otherwise: public failure).
 *   2. EM = I2OSP(OS2IP(C)^d mod n, k).
 *   3. KDK = HMAC-SHA256(key = SHA256(I2OSP(d, k)), message = C).
 *   4. IRPRF(KDK, label, bits) = the first bits/8 bytes of
 *      HMAC-SHA256(KDK, I2OSP(i, 2) || label || I2OSP(bits, 2)) for i = 0, 1, ...
 *   5. Candidate lengths: IRPRF(KDK, "length", 2048) read as 128 big-endian 16-bit
 *      numbers, each ANDed with the smallest all-ones mask covering k - 10; the
 *      synthetic length L is the last candidate below k - 10 (0 if none is).
 *   6. Synthetic message: the last L bytes of IRPRF(KDK, "message", 8k).
 *   7. If EM = 0x00 || 0x02 || PS || 0x00 || M with PS at least 8 non-zero bytes,
 *      the result is M; otherwise it is the synthetic message.
 *
 * smimekit's documented additions (docs/encryption.md), modelled here as options
 * so the vectors can pin them down too:
 *
 * - `expectedLength` (the CEK length a CMS recipient knows in advance): a valid
 *   padding whose M has another length counts as invalid, and the synthetic
 *   message is the last `expectedLength` bytes of the same "message" stream.
 * - Publicly invalid ciphertexts (step 1), where the draft reports an error: a C
 *   shorter than k bytes is left-padded with zero bytes and decrypted (as OpenSSL
 *   does); a C longer than k bytes or not below n gives the synthetic message of
 *   C as given.
 */
import { createHash, createHmac, createPrivateKey } from 'node:crypto';

/** The numbers of an RSA private key that the construction uses. */
export interface ReferenceKey {
  n: bigint;
  e: bigint;
  d: bigint;
  /** Byte length of n. */
  k: number;
  /** Bit length of n. */
  bits: number;
}

/** How the reference classified a ciphertext. */
export type ReferenceOutcome =
  | 'valid' // correct padding (and the expected length, if one was given): M
  | 'bad-padding' // padding wrong: synthetic message
  | 'wrong-length' // correct padding, M of another length than expectedLength: synthetic message
  | 'out-of-range'; // C longer than k bytes, or OS2IP(C) >= n: no padding to check (smimekit: synthetic)

export interface ReferenceResult {
  outcome: ReferenceOutcome;
  /** What an implementation with smimekit's rules returns: M or the synthetic message. */
  output: Uint8Array;
  /** The message the padding held (valid and wrong-length outcomes). */
  message?: Uint8Array;
  /** The synthetic message for this ciphertext (always computed, whatever the outcome). */
  synthetic: Uint8Array;
  /** Why the padding was rejected (bad-padding only). */
  reason?: string;
  /** Set when the draft itself reports an error here (C not k bytes, or not below n) instead of an output. */
  draftError?: string;
}

function fromBase64url(s: string): bigint {
  const hex = Buffer.from(s, 'base64url').toString('hex');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

/** The key numbers from a PEM/DER private key, through node:crypto's JWK export. */
export function referenceKey(key: string | Uint8Array): ReferenceKey {
  const der = typeof key !== 'string';
  const jwk = createPrivateKey(
    der ? { key: Buffer.from(key), format: 'der', type: 'pkcs8' } : { key, format: 'pem' },
  ).export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e || !jwk.d) throw new Error('not an RSA private key');
  const n = fromBase64url(jwk.n);
  const bits = n.toString(2).length;
  return { n, e: fromBase64url(jwk.e), d: fromBase64url(jwk.d), k: Math.ceil(bits / 8), bits };
}

/** OS2IP (RFC 8017 §4.2). */
export function os2ip(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = v * 256n + BigInt(b);
  return v;
}

/** I2OSP (RFC 8017 §4.1): fails when x does not fit. */
export function i2osp(x: bigint, length: number): Uint8Array {
  if (x < 0n || x >= 1n << BigInt(8 * length)) throw new Error('integer too large');
  const out = new Uint8Array(length);
  let v = x;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v % 256n);
    v /= 256n;
  }
  return out;
}

/** Right-to-left binary exponentiation. */
function powMod(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

/** RSAEP: the public operation on an encoded message (to build ciphertexts). */
export function rsaEncryptRaw(key: Pick<ReferenceKey, 'n' | 'e' | 'k'>, em: Uint8Array): Uint8Array {
  const m = os2ip(em);
  if (m >= key.n) throw new Error('message representative out of range');
  return i2osp(powMod(m, key.e, key.n), key.k);
}

const emCache = new Map<string, Uint8Array>();

/** RSADP without CRT, EM = I2OSP(c^d mod n, k); remembered per key and ciphertext (the tests ask repeatedly). */
export function rsadp(key: ReferenceKey, ciphertext: Uint8Array): Uint8Array {
  const id = `${key.n.toString(36)}:${Buffer.from(ciphertext).toString('hex')}`;
  let em = emCache.get(id);
  if (!em) {
    em = i2osp(powMod(os2ip(ciphertext), key.d, key.n), key.k);
    if (emCache.size > 10_000) emCache.clear();
    emCache.set(id, em);
  }
  return em.slice();
}

const hmacSha256 = (key: Uint8Array, data: Uint8Array): Uint8Array =>
  new Uint8Array(createHmac('sha256', key).update(data).digest());

/** The key-derivation key: HMAC-SHA256(SHA256(I2OSP(d, k)), C). */
function keyDerivationKey(key: ReferenceKey, ciphertext: Uint8Array): Uint8Array {
  const dHash = new Uint8Array(createHash('sha256').update(i2osp(key.d, key.k)).digest());
  return hmacSha256(dHash, ciphertext);
}

/** IRPRF(KDK, label, bits): HMAC-SHA256 in counter mode, counter and bit length as 16-bit big-endian. */
function irprf(kdk: Uint8Array, label: string, bits: number): Uint8Array {
  if (bits % 8 !== 0 || bits <= 0 || bits > 0xffff) throw new Error('unsupported PRF output length');
  const labelBytes = Buffer.from(label, 'ascii');
  const chunks: Uint8Array[] = [];
  for (let i = 0, have = 0; have < bits / 8; i++, have += 32) {
    const input = Buffer.concat([Buffer.from([i >> 8, i & 0xff]), labelBytes, Buffer.from([bits >> 8, bits & 0xff])]);
    chunks.push(hmacSha256(kdk, input));
  }
  return new Uint8Array(Buffer.concat(chunks).subarray(0, bits / 8));
}

/** The synthetic length L: the last masked 16-bit candidate below k - 10. */
function syntheticLength(kdk: Uint8Array, k: number): number {
  const maxLength = k - 10;
  const mask = 2 ** maxLength.toString(2).length - 1;
  const candidates = irprf(kdk, 'length', 128 * 2 * 8);
  let length = 0;
  for (let i = 0; i < candidates.length; i += 2) {
    const candidate = ((candidates[i]! << 8) | candidates[i + 1]!) & mask;
    if (candidate < maxLength) length = candidate;
  }
  return length;
}

/**
 * The synthetic message for a ciphertext: the last L bytes of the "message"
 * stream, where L is the PRF-chosen length or, given, `expectedLength`.
 */
function syntheticMessage(key: ReferenceKey, ciphertext: Uint8Array, expectedLength?: number): Uint8Array {
  const kdk = keyDerivationKey(key, ciphertext);
  const length = expectedLength ?? syntheticLength(kdk, key.k);
  const stream = irprf(kdk, 'message', key.k * 8);
  return stream.slice(key.k - length);
}

/** EME-PKCS1-v1_5 decoding (RFC 8017 §7.2.2 step 3), with the reason for a rejection. */
export function decodePkcs1(em: Uint8Array): { message: Uint8Array } | { reason: string } {
  if (em[0] !== 0x00) return { reason: 'first byte not 0x00' };
  if (em[1] !== 0x02) return { reason: 'second byte not 0x02' };
  const separator = em.indexOf(0x00, 2);
  if (separator < 0) return { reason: 'no zero separator' };
  if (separator - 2 < 8) return { reason: `PS of ${separator - 2} bytes (fewer than 8)` };
  return { message: em.slice(separator + 1) };
}

/** Decryption with implicit rejection; see the file comment for the rules. */
export function referenceDecrypt(
  key: ReferenceKey,
  ciphertext: Uint8Array,
  options: { expectedLength?: number } = {},
): ReferenceResult {
  const { expectedLength } = options;
  if (expectedLength !== undefined && (expectedLength < 1 || expectedLength > key.k - 11))
    throw new Error('expectedLength out of range');

  // Publicly invalid input: the draft's error. smimekit left-pads a short C (OpenSSL does the same) and
  // answers a C that is too long or not below n with the synthetic message of C as given.
  if (ciphertext.length < key.k) {
    const padded = new Uint8Array(key.k);
    padded.set(ciphertext, key.k - ciphertext.length);
    return { ...referenceDecrypt(key, padded, options), draftError: `ciphertext of ${ciphertext.length} bytes, not k` };
  }
  if (ciphertext.length > key.k || os2ip(ciphertext) >= key.n) {
    const synthetic = syntheticMessage(key, ciphertext, expectedLength);
    const draftError = ciphertext.length > key.k ? `ciphertext of ${ciphertext.length} bytes, not k` : 'c >= n';
    return { outcome: 'out-of-range', output: synthetic, synthetic, draftError };
  }

  const em = rsadp(key, ciphertext);
  const decoded = decodePkcs1(em);
  const synthetic = syntheticMessage(key, ciphertext, expectedLength);
  if ('reason' in decoded) return { outcome: 'bad-padding', output: synthetic, synthetic, reason: decoded.reason };
  if (expectedLength !== undefined && decoded.message.length !== expectedLength)
    return { outcome: 'wrong-length', output: synthetic, synthetic, message: decoded.message };
  return { outcome: 'valid', output: decoded.message, synthetic, message: decoded.message };
}
