/**
 * The Node fast path of the streaming AES ciphers (`stream.ts`): OpenSSL through `node:crypto`, reached lazily with
 * `process.getBuiltinModule` (Node ≥ 20.16) so that nothing here imports a Node module and bundlers for browsers
 * have nothing to follow. Where it is missing, `stream.ts` takes the portable (WebCrypto) path.
 *
 * - AES-CBC encryption: OpenSSL with its padding. Decryption: OpenSSL without padding; the last plaintext block is
 *   held back until `final`, which checks the padding in constant time (`pkcs7Unpad`), as the one-shot path does.
 * - AES-GCM: OpenSSL's GCM, any nonce length. The AAD of AuthEnvelopedData (authAttrs) comes after the content,
 *   when OpenSSL wants it before the data: the ciphertext is authenticated without AAD and the expected tag is
 *   corrected by GHASH's linearity (`lateAadCorrection`).
 */
import { nativeCrypto } from '../native.js';
import { pkcs7Unpad } from './modes.js';
import { type CipherCore, EMPTY, failed } from './stream-common.js';
import { lateAadCorrection } from './stream-ghash.js';

/** The part of a `node:crypto` Cipher/Decipher used here. */
interface NodeCipher {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  setAutoPadding(padding: boolean): unknown;
  setAAD(aad: Uint8Array): unknown;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): unknown;
}

/** The part of `node:crypto` used here. */
interface NodeCrypto {
  createCipheriv(
    algorithm: string,
    key: Uint8Array,
    iv: Uint8Array | null,
    options?: { authTagLength?: number },
  ): NodeCipher;
  createDecipheriv(
    algorithm: string,
    key: Uint8Array,
    iv: Uint8Array | null,
    options?: { authTagLength?: number },
  ): NodeCipher;
}

/**
 * `node:crypto` when the native path may be used (see native.ts: Node ≥ 20.16 and the runtime's own WebCrypto as
 * backend), else undefined.
 */
export function nodeCrypto(): NodeCrypto | undefined {
  return nativeCrypto() as NodeCrypto | undefined;
}

/** A Node Buffer as a plain Uint8Array over the same memory (no copy). */
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** AES-CBC encryption with PKCS#7 padding. */
export class NativeCbcEncryptor implements CipherCore {
  private readonly cipher: NodeCipher;

  constructor(node: NodeCrypto, key: Uint8Array, iv: Uint8Array) {
    this.cipher = node.createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  }

  update(chunk: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(plain(this.cipher.update(chunk)));
  }

  final(): Promise<{ output: Uint8Array }> {
    return Promise.resolve({ output: plain(this.cipher.final()) });
  }
}

/** AES-CBC decryption: padding checked and stripped in constant time at `final`. */
export class NativeCbcDecryptor implements CipherCore {
  private readonly decipher: NodeCipher;
  /** The last plaintext block so far (it may be the padded one), and a spare to swap with. */
  private held = new Uint8Array(16);
  private spare = new Uint8Array(16);
  private holding = false;

  constructor(node: NodeCrypto, key: Uint8Array, iv: Uint8Array) {
    this.decipher = node.createDecipheriv(`aes-${key.length * 8}-cbc`, key, iv);
    this.decipher.setAutoPadding(false);
  }

  update(chunk: Uint8Array): Promise<Uint8Array> {
    const out = plain(this.decipher.update(chunk));
    const n = out.length;
    if (n === 0) return Promise.resolve(EMPTY);
    if (!this.holding) {
      this.holding = true;
      this.held.set(out.subarray(n - 16));
      return Promise.resolve(out.subarray(0, n - 16));
    }
    // Output = the block held from before ‖ all but the last new block, shifted in place (the buffer is ours).
    this.spare.set(out.subarray(n - 16));
    out.copyWithin(16, 0, n - 16);
    out.set(this.held, 0);
    [this.held, this.spare] = [this.spare, this.held];
    return Promise.resolve(out);
  }

  final(): Promise<{ output: Uint8Array }> {
    try {
      this.decipher.final(); // without padding: fails only on a partial block
    } catch (e) {
      return Promise.reject(failed.aesLength(e));
    }
    if (!this.holding) return Promise.reject(failed.aesLength());
    try {
      return Promise.resolve({ output: pkcs7Unpad(this.held, 16).slice() });
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/** AES-GCM encryption with a 16-byte tag; the AAD is known up front. */
export class NativeGcmEncryptor implements CipherCore {
  private readonly cipher: NodeCipher;

  constructor(node: NodeCrypto, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined) {
    this.cipher = node.createCipheriv(`aes-${key.length * 8}-gcm`, key, nonce, { authTagLength: 16 });
    if (aad && aad.length > 0) this.cipher.setAAD(aad);
  }

  update(chunk: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(plain(this.cipher.update(chunk)));
  }

  final(): Promise<{ output: Uint8Array; tag: Uint8Array }> {
    const output = plain(this.cipher.final());
    return Promise.resolve({ output, tag: plain(this.cipher.getAuthTag()).slice() });
  }
}

/** AES-GCM decryption, any nonce length, tags of 4, 8 or 12 to 16 bytes; tag and AAD given after the content. */
export class NativeGcmDecryptor implements CipherCore {
  private readonly decipher: NodeCipher;
  private bytes = 0;
  private tag: Uint8Array | undefined;
  private aad: Uint8Array | undefined;

  constructor(
    private readonly node: NodeCrypto,
    private readonly key: Uint8Array,
    nonce: Uint8Array,
    private readonly tagLength: number,
  ) {
    this.decipher = node.createDecipheriv(`aes-${key.length * 8}-gcm`, key, nonce, { authTagLength: tagLength });
  }

  update(chunk: Uint8Array): Promise<Uint8Array> {
    this.bytes += chunk.length;
    return Promise.resolve(plain(this.decipher.update(chunk)));
  }

  setTag(tag: Uint8Array, aad: Uint8Array | undefined): void {
    this.tag = tag.slice();
    this.aad = aad && aad.length > 0 ? aad.slice() : undefined;
  }

  final(): Promise<{ output: Uint8Array }> {
    const tag = this.tag!;
    if (tag.length !== this.tagLength) return Promise.reject(failed.tagLength());
    let expected = tag;
    if (this.aad) {
      // H = E_K(0¹²⁸), then the tag OpenSSL computes (without AAD) is compared with tag ⊕ correction.
      const ecb = this.node.createCipheriv(`aes-${this.key.length * 8}-ecb`, this.key, null);
      ecb.setAutoPadding(false);
      const h = plain(ecb.update(new Uint8Array(16))).slice();
      const correction = lateAadCorrection(h, this.aad, this.bytes);
      expected = tag.map((b, i) => b ^ correction[i]!);
    }
    try {
      this.decipher.setAuthTag(expected);
      this.decipher.final();
    } catch (e) {
      return Promise.reject(failed.tag(e));
    }
    return Promise.resolve({ output: EMPTY });
  }
}
