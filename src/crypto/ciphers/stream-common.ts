/**
 * What the streaming ciphers of `stream.ts` share: the internal cipher shape, the block framing of an input stream,
 * the error messages of the one-shot functions, and incremental CBC decryption over the library's TypeScript block
 * ciphers (3DES, DES, RC2: OpenSSL 3 keeps DES and RC2 in its legacy provider, and browsers have neither).
 */
import { CryptoError } from '../../errors.js';
import { type BlockCipher, pkcs7Unpad } from './modes.js';

/** What each implementation provides; `stream.ts` wraps it with the argument and call-order checks. */
export interface CipherCore {
  update(chunk: Uint8Array): Promise<Uint8Array>;
  final(): Promise<{ output: Uint8Array; tag?: Uint8Array }>;
  /** GCM decryption: the tag and the AAD, known after the content. */
  setTag?(tag: Uint8Array, aad: Uint8Array | undefined): void;
}

export const EMPTY = new Uint8Array(0);

/** The one-shot functions' messages (`aesCbcDecrypt`, `pkcs7Unpad`, `aesGcmDecrypt`, `decryptContentWith`). */
export const failed = {
  aesLength: (cause?: unknown) =>
    new CryptoError(
      'decryption-failed',
      'decryption failed: ciphertext length is not a multiple of 16',
      cause === undefined ? undefined : { cause },
    ),
  blockLength: () =>
    new CryptoError('decryption-failed', 'decryption failed: ciphertext length is not a multiple of the block size'),
  tag: (cause?: unknown) =>
    new CryptoError(
      'decryption-failed',
      'decryption failed: authentication tag mismatch',
      cause === undefined ? undefined : { cause },
    ),
  tagLength: () =>
    new CryptoError('decryption-failed', 'decryption failed: AES-GCM tag length differs from the parameters'),
} as const;

/**
 * Cuts a stream of chunks into whole blocks. `take` returns the bytes to process now and keeps the rest: the partial
 * block at the end, and with `holdLast` (CBC decryption, whose last block carries the padding) also the last whole
 * block. At the end `rest` is what was kept: for CBC decryption of a well-formed stream exactly one block.
 */
export class BlockFramer {
  private readonly kept: Uint8Array;
  private keptLength = 0;

  constructor(
    private readonly blockSize: number,
    private readonly holdLast: boolean,
  ) {
    this.kept = new Uint8Array(blockSize);
  }

  take(chunk: Uint8Array): Uint8Array {
    let data = chunk;
    if (this.keptLength > 0) {
      if (chunk.length === 0) return EMPTY;
      data = new Uint8Array(this.keptLength + chunk.length);
      data.set(this.kept.subarray(0, this.keptLength));
      data.set(chunk, this.keptLength);
    }
    const partial = data.length % this.blockSize;
    const keep = partial === 0 && this.holdLast ? Math.min(data.length, this.blockSize) : partial;
    this.kept.set(data.subarray(data.length - keep));
    this.keptLength = keep;
    return data.subarray(0, data.length - keep);
  }

  /** The bytes kept back (a copy). */
  rest(): Uint8Array {
    return this.kept.slice(0, this.keptLength);
  }
}

/** CBC decryption with PKCS#7 padding over a TypeScript block cipher, fed in chunks of any length. */
export class BlockCbcDecryptor implements CipherCore {
  private readonly framer: BlockFramer;
  private readonly prev: Uint8Array;

  constructor(
    private readonly cipher: BlockCipher,
    iv: Uint8Array,
  ) {
    this.framer = new BlockFramer(cipher.blockSize, true);
    this.prev = iv.slice();
  }

  private decrypt(data: Uint8Array): Uint8Array {
    const bs = this.cipher.blockSize;
    const out = new Uint8Array(data.length);
    for (let off = 0; off < data.length; off += bs) {
      this.cipher.decryptBlock(data, off, out, off);
      if (off === 0) for (let i = 0; i < bs; i++) out[i]! ^= this.prev[i]!;
      else for (let i = 0; i < bs; i++) out[off + i]! ^= data[off - bs + i]!;
    }
    if (data.length > 0) this.prev.set(data.subarray(data.length - bs));
    return out;
  }

  update(chunk: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(this.decrypt(this.framer.take(chunk)));
  }

  final(): Promise<{ output: Uint8Array }> {
    const last = this.framer.rest();
    if (last.length !== this.cipher.blockSize) return Promise.reject(failed.blockLength());
    try {
      return Promise.resolve({ output: pkcs7Unpad(this.decrypt(last), this.cipher.blockSize) });
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
