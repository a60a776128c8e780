/**
 * AES-GCM with a nonce of any length (NIST SP 800-38D §7.1), from WebCrypto parts. WebCrypto defines AES-GCM for
 * any IV length, but not every implementation takes one other than 12 bytes (Node 20 refuses shorter ones), so for
 * those lengths the mode is put together here:
 *
 * - J0 = GHASH_H(IV ‖ 0-padding ‖ [len(IV)]₆₄), computed in JavaScript (a few blocks: the nonce is short);
 * - the keystream from inc32(J0) is WebCrypto AES-CTR with a 32-bit counter, which wraps as GCM's inc32 does;
 * - S = GHASH_H(A, C) comes from WebCrypto AES-GCM itself: encrypting, under a fixed 12-byte IV′, the plaintext P′
 *   that yields exactly C (P′ = C ⊕ its keystream) gives the tag T′ = S ⊕ E_K(J0′), so S = T′ ⊕ E_K(J0′);
 * - the tag is MSB_t(S ⊕ E_K(J0)), compared in constant time before any plaintext is released.
 *
 * Only the nonce goes through JavaScript arithmetic; the data is processed natively (three AES passes).
 */
import { getSubtle } from '../engine.js';
import { CryptoError } from '../../errors.js';
import { constantTimeEqual, toArrayBuffer } from '../../util/bytes.js';

/** The fixed IV′ of the GHASH computation (any 12 bytes do: it is never used to protect data). */
const IV_PRIME = new Uint8Array(12);
/** J0′ = IV′ ‖ 0³¹1 and inc32(J0′). */
const J0_PRIME = Uint8Array.of(...IV_PRIME, 0, 0, 0, 1);
const J1_PRIME = Uint8Array.of(...IV_PRIME, 0, 0, 0, 2);

const R = 0xe1n << 120n;

/** Multiplication in GF(2^128) with GCM's bit order (SP 800-38D §6.3, Algorithm 1). */
function gfMultiply(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

const toBigint = (block: Uint8Array): bigint => {
  let n = 0n;
  for (const b of block) n = (n << 8n) | BigInt(b);
  return n;
};

const fromBigint = (n: bigint): Uint8Array => {
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};

/** J0 for a nonce that is not 12 bytes: GHASH_H(IV ‖ 0^(s+64) ‖ [len(IV)]₆₄). */
function preCounterBlock(h: bigint, iv: Uint8Array): Uint8Array {
  const blocks = Math.ceil(iv.length / 16) + 1;
  const input = new Uint8Array(blocks * 16);
  input.set(iv);
  new DataView(input.buffer).setBigUint64(input.length - 8, BigInt(iv.length) * 8n);
  let y = 0n;
  for (let i = 0; i < input.length; i += 16) y = gfMultiply(y ^ toBigint(input.subarray(i, i + 16)), h);
  return fromBigint(y);
}

/** inc32: the rightmost 32 bits incremented modulo 2^32. */
function inc32(block: Uint8Array): Uint8Array {
  const out = block.slice();
  const view = new DataView(out.buffer);
  view.setUint32(12, (view.getUint32(12) + 1) >>> 0);
  return out;
}

interface Keys {
  ctr: CryptoKey;
  gcm: CryptoKey;
}

async function importKeys(key: Uint8Array): Promise<Keys> {
  const subtle = getSubtle();
  const raw = toArrayBuffer(key);
  return {
    ctr: await subtle.importKey('raw', raw, { name: 'AES-CTR' }, false, ['encrypt']),
    gcm: await subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt']),
  };
}

/** data ⊕ the keystream from `counter` (AES-CTR with GCM's 32-bit counter). */
async function ctr(keys: Keys, counter: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const params = { name: 'AES-CTR', counter: toArrayBuffer(counter), length: 32 };
  return new Uint8Array(await getSubtle().encrypt(params, keys.ctr, toArrayBuffer(data)));
}

/** E_K of each 16-byte block. */
async function encryptBlocks(keys: Keys, ...blocks: Uint8Array[]): Promise<Uint8Array[]> {
  return Promise.all(blocks.map((b) => ctr(keys, b, new Uint8Array(16))));
}

/** The full 16-byte tag of ciphertext `c` with additional data `aad` under pre-counter block `j0`. */
async function fullTag(keys: Keys, j0: Uint8Array, c: Uint8Array, aad: Uint8Array | undefined): Promise<Uint8Array> {
  const [ekJ0, ekJ0Prime] = await encryptBlocks(keys, j0, J0_PRIME);
  const pPrime = await ctr(keys, J1_PRIME, c);
  const params: AesGcmParams = { name: 'AES-GCM', iv: toArrayBuffer(IV_PRIME), tagLength: 128 };
  if (aad) params.additionalData = toArrayBuffer(aad);
  const sealed = new Uint8Array(await getSubtle().encrypt(params, keys.gcm, toArrayBuffer(pPrime)));
  const tPrime = sealed.subarray(sealed.length - 16);
  // T′ = S ⊕ E_K(J0′), so S ⊕ E_K(J0) = T′ ⊕ E_K(J0′) ⊕ E_K(J0).
  return tPrime.map((b, i) => b ^ ekJ0Prime![i]! ^ ekJ0![i]!);
}

async function setUp(key: Uint8Array, iv: Uint8Array): Promise<{ keys: Keys; j0: Uint8Array }> {
  const keys = await importKeys(key);
  const [h] = await encryptBlocks(keys, new Uint8Array(16));
  return { keys, j0: preCounterBlock(toBigint(h!), iv) };
}

/** AES-GCM encryption with a nonce of any non-zero length; the tag is `tagLength` bytes. */
export async function gcmEncryptAnyNonce(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  tagLength: number,
  aad?: Uint8Array,
): Promise<{ ciphertext: Uint8Array; tag: Uint8Array }> {
  const { keys, j0 } = await setUp(key, iv);
  const ciphertext = await ctr(keys, inc32(j0), plaintext);
  const tag = (await fullTag(keys, j0, ciphertext, aad)).slice(0, tagLength);
  return { ciphertext, tag };
}

/** AES-GCM decryption with a nonce of any non-zero length; nothing is returned unless the tag verifies. */
export async function gcmDecryptAnyNonce(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  const { keys, j0 } = await setUp(key, iv);
  const expected = (await fullTag(keys, j0, ciphertext, aad)).subarray(0, tag.length);
  if (!constantTimeEqual(expected, tag))
    throw new CryptoError('decryption-failed', 'decryption failed: authentication tag mismatch');
  return ctr(keys, inc32(j0), ciphertext);
}
