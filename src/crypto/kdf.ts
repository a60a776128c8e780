/**
 * Key derivation: PBKDF2 (WebCrypto), the PKCS#12 KDF (RFC 7292 Appendix B)
 * and the HMAC-SHA-256 PRF used by RSA implicit rejection.
 */
import { sha1, sha256 } from '../util/hash.js';
import { getSubtle } from './engine.js';
import { nativeCrypto, nativeDigest, nativeHmac, plain } from './native.js';
import { AlgorithmError } from '../errors.js';
import { concatBytes, toArrayBuffer } from '../util/bytes.js';

/** Hashes usable by the KDFs here (WebCrypto names). */
export type KdfHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH_INFO: Record<KdfHash, { outLen: number; blockLen: number }> = {
  'SHA-1': { outLen: 20, blockLen: 64 },
  'SHA-256': { outLen: 32, blockLen: 64 },
  'SHA-384': { outLen: 48, blockLen: 128 },
  'SHA-512': { outLen: 64, blockLen: 128 },
};

/** Output length of a hash in bytes. */
export function hashLength(hash: KdfHash): number {
  return HASH_INFO[hash].outLen;
}

function hashInfo(hash: string): { outLen: number; blockLen: number } {
  const info = HASH_INFO[hash as KdfHash];
  if (!info) throw new AlgorithmError('unsupported-algorithm', `unsupported hash ${hash}`);
  return info;
}

/** Digest with the active WebCrypto backend (OpenSSL directly on Node: no job per call). */
export async function digest(hash: KdfHash, data: Uint8Array): Promise<Uint8Array> {
  return nativeDigest(hash, data) ?? new Uint8Array(await getSubtle().digest(hash, toArrayBuffer(data)));
}

/** HMAC with the active WebCrypto backend. */
export async function hmac(hash: KdfHash, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  hashInfo(hash);
  const native = nativeHmac(hash, key, data);
  if (native) return native;
  const subtle = getSubtle();
  // WebCrypto rejects zero-length HMAC keys; HMAC pads keys with zeros, so one zero byte is equivalent.
  const k = await subtle.importKey(
    'raw',
    toArrayBuffer(key.length ? key : new Uint8Array(1)),
    { name: 'HMAC', hash },
    false,
    ['sign'],
  );
  return new Uint8Array(await subtle.sign('HMAC', k, toArrayBuffer(data)));
}

/**
 * PBKDF2 (RFC 8018 §5.2) with HMAC-`hash`. `password` is the raw password
 * bytes (PBES2 uses the UTF-8 encoding of the password).
 */
export async function pbkdf2(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  keyLength: number,
  hash: KdfHash,
): Promise<Uint8Array> {
  hashInfo(hash);
  if (!Number.isSafeInteger(iterations) || iterations < 1)
    throw new AlgorithmError('unsupported-algorithm', 'PBKDF2 iteration count must be positive');
  const subtle = getSubtle();
  const base = await subtle.importKey('raw', toArrayBuffer(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits(
    { name: 'PBKDF2', salt: toArrayBuffer(salt), iterations, hash },
    base,
    keyLength * 8,
  );
  return new Uint8Array(bits);
}

/** The PKCS#12 password encoding: BMPString (UTF-16BE) with a two-byte NUL terminator. */
export function pkcs12PasswordBytes(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    out[2 * i] = c >> 8;
    out[2 * i + 1] = c & 0xff;
  }
  return out;
}

/**
 * Highest iteration count of the PKCS#12 KDF. The chain is computed in
 * JavaScript (~3 µs per SHA-1/SHA-256 step, ~30 µs per awaited SHA-384/512
 * step), so a hostile count must not stall the process for minutes. Real
 * files use 1 to 100,000 iterations (OpenSSL 2048, Windows 2000, Java 10,000).
 */
export function pkcs12KdfMaxIterations(hash: KdfHash): number {
  return hash === 'SHA-1' || hash === 'SHA-256' ? 1_000_000 : 100_000;
}

/** Rough cost (≈ µs) of one `pkcs12Kdf` call, for per-file work budgets. */
export function pkcs12KdfCost(hash: KdfHash, iterations: number, length: number): number {
  const { outLen } = hashInfo(hash);
  return Math.ceil(length / outLen) * iterations * (hash === 'SHA-1' || hash === 'SHA-256' ? 3 : 30);
}

/** Rough cost (≈ µs) of one `pbkdf2` call (native), for per-file work budgets. */
export function pbkdf2Cost(hash: KdfHash, iterations: number, length: number): number {
  const { outLen } = hashInfo(hash);
  return Math.ceil(length / outLen) * iterations;
}

/** Purpose byte of the PKCS#12 KDF: 1 = key, 2 = IV, 3 = MAC key. */
export type Pkcs12KdfId = 1 | 2 | 3;

/**
 * The PKCS#12 key derivation function (RFC 7292 Appendix B.2).
 * `password` is already encoded (see `pkcs12PasswordBytes`; an "absent"
 * password is the empty byte string).
 */
export async function pkcs12Kdf(
  hash: KdfHash,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  id: Pkcs12KdfId,
  length: number,
): Promise<Uint8Array> {
  const { outLen: u, blockLen: v } = hashInfo(hash);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > pkcs12KdfMaxIterations(hash)) {
    throw new AlgorithmError('unsupported-algorithm', `unsupported PKCS#12 iteration count ${iterations}`);
  }
  const D = new Uint8Array(v).fill(id);
  const fill = (src: Uint8Array): Uint8Array => {
    if (src.length === 0) return new Uint8Array(0);
    const out = new Uint8Array(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const I = concatBytes(fill(salt), fill(password));
  const out = new Uint8Array(length);
  // Thousands of chained digests: a synchronous hash where we have one avoids an await per iteration (~10x).
  const syncHash = hash === 'SHA-1' ? sha1 : hash === 'SHA-256' ? sha256 : undefined;
  for (let done = 0; done < length; done += u) {
    let A: Uint8Array;
    if (syncHash) {
      A = syncHash(concatBytes(D, I));
      for (let r = 1; r < iterations; r++) A = syncHash(A);
    } else {
      A = await digest(hash, concatBytes(D, I));
      for (let r = 1; r < iterations; r++) A = await digest(hash, A);
    }
    out.set(A.subarray(0, Math.min(u, length - done)), done);
    if (done + u >= length) break;
    // B = A repeated to v bytes; each v-byte block of I becomes (I_j + B + 1) mod 2^(8v).
    const B = new Uint8Array(v);
    for (let i = 0; i < v; i++) B[i] = A[i % u]!;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}

/**
 * The PRF of the implicit-rejection construction (draft-irtf-cfrg-rsa-guidance,
 * as implemented by OpenSSL 3.2+): HMAC-SHA-256(key, I || label || L) for
 * I = 0, 1, ... (16-bit big-endian), L = output length in bits (16-bit).
 */
export async function implicitRejectionPrf(key: Uint8Array, label: string, lengthBytes: number): Promise<Uint8Array> {
  const node = nativeCrypto();
  const subtle = node ? undefined : getSubtle();
  const k = subtle
    ? await subtle.importKey('raw', toArrayBuffer(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    : undefined;
  const labelBytes = new TextEncoder().encode(label);
  const bits = lengthBytes * 8;
  const out = new Uint8Array(Math.ceil(lengthBytes / 32) * 32);
  const msg = new Uint8Array(2 + labelBytes.length + 2);
  msg.set(labelBytes, 2);
  msg[msg.length - 2] = (bits >> 8) & 0xff;
  msg[msg.length - 1] = bits & 0xff;
  for (let i = 0, at = 0; at < lengthBytes; i++, at += 32) {
    msg[0] = i >> 8;
    msg[1] = i & 0xff;
    if (node) out.set(plain(node.createHmac('sha256', key).update(msg).digest()), at);
    else out.set(new Uint8Array(await subtle!.sign('HMAC', k!, toArrayBuffer(msg))), at);
  }
  return out.subarray(0, lengthBytes);
}

/**
 * ANSI X9.63 KDF (SEC 1 §3.6.1), used by CMS ECDH key agreement (RFC 5753
 * `dhSinglePass-stdDH-sha*kdf-scheme`): Hash(Z || counter || SharedInfo), counter from 1.
 */
export async function x963Kdf(
  hash: KdfHash,
  sharedSecret: Uint8Array,
  sharedInfo: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const { outLen } = hashInfo(hash);
  if (!Number.isSafeInteger(length) || length < 0 || length > outLen * 0xffff)
    throw new AlgorithmError('unsupported-algorithm', 'invalid X9.63 KDF output length');
  const out = new Uint8Array(Math.ceil(length / outLen) * outLen);
  const counter = new Uint8Array(4);
  for (let i = 1, at = 0; at < length; i++, at += outLen) {
    counter[0] = i >>> 24;
    counter[1] = i >>> 16;
    counter[2] = i >>> 8;
    counter[3] = i;
    out.set(await digest(hash, concatBytes(sharedSecret, counter, sharedInfo)), at);
  }
  return out.slice(0, length);
}

/** HKDF (RFC 5869) through WebCrypto, used by X25519/X448 key agreement in CMS (RFC 8418). */
export async function hkdf(
  hash: KdfHash,
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  hashInfo(hash);
  const subtle = getSubtle();
  const base = await subtle.importKey('raw', toArrayBuffer(ikm), 'HKDF', false, ['deriveBits']);
  return new Uint8Array(
    await subtle.deriveBits(
      { name: 'HKDF', hash, salt: toArrayBuffer(salt), info: toArrayBuffer(info) },
      base,
      length * 8,
    ),
  );
}
