/** CBC mode and PKCS#7 padding for the pure-TypeScript block ciphers. */
import { ArgumentError, CryptoError } from '../../errors.js';

/** A raw block cipher (one block in, one block out). */
export interface BlockCipher {
  readonly blockSize: number;
  encryptBlock(input: Uint8Array, inOff: number, output: Uint8Array, outOff: number): void;
  decryptBlock(input: Uint8Array, inOff: number, output: Uint8Array, outOff: number): void;
}

/** Appends PKCS#7 padding (always at least one byte). */
function pkcs7Pad(data: Uint8Array, blockSize: number): Uint8Array {
  const n = blockSize - (data.length % blockSize);
  const out = new Uint8Array(data.length + n);
  out.set(data);
  out.fill(n, data.length);
  return out;
}

/**
 * Removes PKCS#7 padding. The check looks at the whole last block without
 * data-dependent early exits; failure is `decryption-failed`.
 */
export function pkcs7Unpad(data: Uint8Array, blockSize: number): Uint8Array {
  if (data.length === 0 || data.length % blockSize !== 0) {
    throw new CryptoError(
      'decryption-failed',
      'decryption failed: ciphertext length is not a multiple of the block size',
    );
  }
  const n = data[data.length - 1]!;
  let bad = ((n - 1) >>> 31) | ((blockSize - n) >>> 31); // n == 0 or n > blockSize
  for (let i = 1; i <= blockSize; i++) {
    const inPad = ((i - n - 1) >>> 31) & 1; // i <= n
    const diff = data[data.length - i]! ^ n;
    bad |= inPad & (((diff + 255) >> 8) & 1); // 1 iff diff != 0
  }
  if (bad) throw new CryptoError('decryption-failed', 'decryption failed: bad padding (wrong key or corrupted data)');
  return data.subarray(0, data.length - n);
}

function checkIv(cipher: BlockCipher, iv: Uint8Array): void {
  if (iv.length !== cipher.blockSize)
    throw new ArgumentError('bad-iv', `IV must be ${cipher.blockSize} bytes, not ${iv.length}`);
}

/** CBC encryption; adds PKCS#7 padding unless `padding: false`. */
export function cbcEncrypt(cipher: BlockCipher, iv: Uint8Array, plaintext: Uint8Array, padding = true): Uint8Array {
  checkIv(cipher, iv);
  const bs = cipher.blockSize;
  const data = padding ? pkcs7Pad(plaintext, bs) : plaintext;
  if (data.length % bs !== 0)
    throw new ArgumentError('bad-argument', 'unpadded CBC input must be a multiple of the block size');
  const out = new Uint8Array(data.length);
  const block = new Uint8Array(bs);
  let prev = iv;
  let prevOff = 0;
  for (let off = 0; off < data.length; off += bs) {
    for (let i = 0; i < bs; i++) block[i] = data[off + i]! ^ prev[prevOff + i]!;
    cipher.encryptBlock(block, 0, out, off);
    prev = out;
    prevOff = off;
  }
  return out;
}

/** CBC decryption; checks and strips PKCS#7 padding unless `padding: false`. */
export function cbcDecrypt(cipher: BlockCipher, iv: Uint8Array, ciphertext: Uint8Array, padding = true): Uint8Array {
  checkIv(cipher, iv);
  const bs = cipher.blockSize;
  if (ciphertext.length % bs !== 0 || (padding && ciphertext.length === 0)) {
    throw new CryptoError(
      'decryption-failed',
      'decryption failed: ciphertext length is not a multiple of the block size',
    );
  }
  const out = new Uint8Array(ciphertext.length);
  let prev = iv;
  let prevOff = 0;
  for (let off = 0; off < ciphertext.length; off += bs) {
    cipher.decryptBlock(ciphertext, off, out, off);
    for (let i = 0; i < bs; i++) out[off + i] = out[off + i]! ^ prev[prevOff + i]!;
    prev = ciphertext;
    prevOff = off;
  }
  return padding ? pkcs7Unpad(out, bs) : out;
}
