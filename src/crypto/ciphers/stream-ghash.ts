/**
 * GHASH pieces for the streaming AES-GCM of `stream.ts` (NIST SP 800-38D §6.4). The bulk hashing is `@noble/ciphers`'
 * table-driven GHASH; this file adds what streaming needs on top of it:
 *
 * - multiplication in GF(2^128) (constant time, with masks) and x·H^n, to fold in additional data that arrives only
 *   after the ciphertext (AuthEnvelopedData puts authAttrs after the content). GHASH is linear:
 *   GHASH_H(A ‖ C ‖ L) = (Y_A·H^n ⊕ Y_C ⊕ L)·H, with Y_A and Y_C the GHASH states of the zero-padded A and C alone
 *   and n the number of 16-byte blocks of C;
 * - the pre-counter block J0 for nonces that are not 12 bytes.
 */
import { ghash } from '@noble/ciphers/_polyval.js';

const BLOCK = 16;
/** Table size hint for noble's GHASH: above 64 KiB it uses its largest (8-bit) window. */
const LARGE = 1 << 20;

function words(b: Uint8Array): [number, number, number, number] {
  const v = new DataView(b.buffer, b.byteOffset, BLOCK);
  return [v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12)];
}

/** x·y in GF(2^128) with GCM's bit order (SP 800-38D §6.3, Algorithm 1), without data-dependent branches. */
function gfMultiply(x: Uint8Array, y: Uint8Array): Uint8Array {
  const xw = words(x);
  let [v0, v1, v2, v3] = words(y);
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  for (let i = 0; i < 128; i++) {
    const m = -((xw[i >>> 5]! >>> (31 - (i & 31))) & 1);
    z0 ^= v0 & m;
    z1 ^= v1 & m;
    z2 ^= v2 & m;
    z3 ^= v3 & m;
    const r = -(v3 & 1) & 0xe1000000;
    v3 = (v3 >>> 1) | (v2 << 31);
    v2 = (v2 >>> 1) | (v1 << 31);
    v1 = (v1 >>> 1) | (v0 << 31);
    v0 = (v0 >>> 1) ^ r;
  }
  const out = new Uint8Array(BLOCK);
  const o = new DataView(out.buffer);
  o.setUint32(0, z0 >>> 0);
  o.setUint32(4, z1 >>> 0);
  o.setUint32(8, z2 >>> 0);
  o.setUint32(12, z3 >>> 0);
  return out;
}

/** x·h^n (n ≥ 0, a block count: public, so square-and-multiply may branch on it). */
function gfMultiplyPower(x: Uint8Array, h: Uint8Array, n: number): Uint8Array {
  let result = x;
  let base = h;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = gfMultiply(result, base);
    if (e > 1) base = gfMultiply(base, base);
  }
  return result;
}

/** [8·a]₆₄ ‖ [8·c]₆₄: GCM's length block for byte lengths a (AAD) and c (ciphertext). */
function lengthBlock(a: number, c: number): Uint8Array {
  const out = new Uint8Array(BLOCK);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(a) * 8n);
  v.setBigUint64(8, BigInt(c) * 8n);
  return out;
}

function xorInto(target: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < BLOCK; i++) target[i]! ^= other[i]!;
}

/** GHASH_H of the zero-padded `data` alone (Y_A for the additional data). */
function ghashOf(h: Uint8Array, data: Uint8Array): Uint8Array {
  return ghash.create(h, data.length).update(data).digest();
}

/** J0 = GHASH_H(IV ‖ 0-padding ‖ [len(IV)]₆₄) for a nonce that is not 12 bytes; IV ‖ 0³¹1 for a 12-byte one. */
export function preCounterBlock(h: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (nonce.length === 12) {
    const j0 = new Uint8Array(BLOCK);
    j0.set(nonce);
    j0[15] = 1;
    return j0;
  }
  return ghash
    .create(h, nonce.length + BLOCK)
    .update(nonce)
    .update(lengthBlock(0, nonce.length))
    .digest();
}

/**
 * The correction that turns the tag of (no AAD, C) into the tag of (A, C) when C has `ciphertextBytes` bytes:
 * T(A, C) = T(∅, C) ⊕ (Y_A·H^n ⊕ ([8·len A]₆₄ ‖ 0⁶⁴))·H. Node's GCM decipher hashes the ciphertext without AAD
 * (AAD must be set before the data there); this moves the check to the real tag.
 */
export function lateAadCorrection(h: Uint8Array, aad: Uint8Array, ciphertextBytes: number): Uint8Array {
  const t = gfMultiplyPower(ghashOf(h, aad), h, Math.ceil(ciphertextBytes / BLOCK));
  xorInto(t, lengthBlock(aad.length, 0));
  return gfMultiply(t, h);
}

/**
 * GHASH_H(A, C) computed while C streams by: `update` takes the ciphertext in 16-byte multiples (the last call may
 * end with a partial block, zero-padded); `finish` folds in the AAD, whichever time it became known.
 */
export class GhashStream {
  private readonly mac;
  private bytes = 0;
  private ended = false;

  constructor(private readonly h: Uint8Array) {
    this.mac = ghash.create(h, LARGE);
  }

  /** Absorbs ciphertext. Every call but the last must be a multiple of 16 bytes long. */
  update(ciphertext: Uint8Array): void {
    if (ciphertext.length === 0) return;
    if (this.ended) throw new Error('GhashStream: data after a partial block');
    if (ciphertext.length % BLOCK !== 0) this.ended = true;
    this.mac.update(ciphertext);
    this.bytes += ciphertext.length;
  }

  /** S = GHASH_H(A ‖ 0-pad ‖ C ‖ 0-pad ‖ [len A]₆₄ ‖ [len C]₆₄). */
  finish(aad: Uint8Array | undefined): Uint8Array {
    const last = lengthBlock(aad?.length ?? 0, this.bytes);
    if (aad && aad.length > 0)
      xorInto(last, gfMultiplyPower(ghashOf(this.h, aad), this.h, Math.ceil(this.bytes / BLOCK)));
    return this.mac.update(last).digest();
  }
}
