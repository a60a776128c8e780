/**
 * The portable path of the streaming AES ciphers (`stream.ts`): WebCrypto only (browsers, or a backend installed with
 * `setCryptoBackend` where `node:crypto` is absent). WebCrypto's ciphers are one-shot, so:
 *
 * - AES-CBC encryption encrypts whole blocks and drops the padding block WebCrypto appends, chaining the IV from the
 *   last ciphertext block; `final` lets WebCrypto pad what is left.
 * - AES-CBC decryption holds back the last ciphertext block. The blocks before it are decrypted with a synthetic
 *   block appended, E_K(C_last ⊕ 0x10¹⁶), which decrypts to a full padding block that WebCrypto strips; `final`
 *   decrypts the held block the same way and checks its padding in constant time (`pkcs7Unpad`).
 * - AES-GCM is WebCrypto AES-CTR from inc32(J0) (a 32-bit counter that wraps as GCM's does), the counter advanced
 *   per chunk, with GHASH computed alongside (`stream-ghash.ts`) and the tag formed as GHASH ⊕ E_K(J0).
 */
import { getSubtle } from '../engine.js';
import { constantTimeEqual } from '../../util/bytes.js';
import { pkcs7Unpad } from './modes.js';
import { BlockFramer, type CipherCore, EMPTY, failed } from './stream-common.js';
import { GhashStream, preCounterBlock } from './stream-ghash.js';

const ZERO_BLOCK = new Uint8Array(16);
const PAD_BLOCK = new Uint8Array(16).fill(16);

/** The bytes as WebCrypto's BufferSource (a view on an ArrayBuffer; anything else is copied). */
const source = (b: Uint8Array): Uint8Array<ArrayBuffer> =>
  b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : b.slice();

function importKey(raw: Uint8Array, name: 'AES-CBC' | 'AES-CTR', usages: KeyUsage[]): Promise<CryptoKey> {
  return getSubtle().importKey('raw', source(raw), { name }, false, usages);
}

/** AES-CBC encryption with PKCS#7 padding. */
export class PortableCbcEncryptor implements CipherCore {
  private readonly raw: Uint8Array;
  private key: Promise<CryptoKey> | undefined;
  private iv: Uint8Array;
  private readonly framer = new BlockFramer(16, false);

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.raw = key.slice();
    this.iv = iv.slice();
  }

  private async encrypt(data: Uint8Array): Promise<Uint8Array> {
    const key = await (this.key ??= importKey(this.raw, 'AES-CBC', ['encrypt']));
    return new Uint8Array(await getSubtle().encrypt({ name: 'AES-CBC', iv: source(this.iv) }, key, source(data)));
  }

  async update(chunk: Uint8Array): Promise<Uint8Array> {
    const data = this.framer.take(chunk).slice();
    if (data.length === 0) return EMPTY;
    const ciphertext = (await this.encrypt(data)).subarray(0, data.length); // without WebCrypto's padding block
    this.iv = ciphertext.slice(ciphertext.length - 16);
    return ciphertext;
  }

  async final(): Promise<{ output: Uint8Array }> {
    return { output: await this.encrypt(this.framer.rest()) };
  }
}

/** AES-CBC decryption: the padding is checked and stripped in constant time at `final`. */
export class PortableCbcDecryptor implements CipherCore {
  private readonly raw: Uint8Array;
  private key: Promise<CryptoKey> | undefined;
  private iv: Uint8Array;
  private readonly framer = new BlockFramer(16, true);

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.raw = key.slice();
    this.iv = iv.slice();
  }

  /** Decrypts whole blocks (at least one) that need not end in valid padding. */
  private async decrypt(data: Uint8Array): Promise<Uint8Array> {
    const input = new Uint8Array(data.length + 16);
    input.set(data);
    const last = data.slice(data.length - 16);
    const subtle = getSubtle();
    const key = await (this.key ??= importKey(this.raw, 'AES-CBC', ['encrypt', 'decrypt']));
    // The block that decrypts, after `last`, to a full padding block: E_K(last ⊕ 0x10¹⁶).
    const synthetic = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv: last }, key, PAD_BLOCK));
    input.set(synthetic.subarray(0, 16), data.length);
    let plaintext: ArrayBuffer;
    try {
      plaintext = await subtle.decrypt({ name: 'AES-CBC', iv: source(this.iv) }, key, input);
    } catch (e) {
      throw failed.aesLength(e); // not reached with a conforming WebCrypto: the padding it checks is ours
    }
    this.iv = last;
    return new Uint8Array(plaintext);
  }

  async update(chunk: Uint8Array): Promise<Uint8Array> {
    const data = this.framer.take(chunk);
    return data.length === 0 ? EMPTY : this.decrypt(data);
  }

  async final(): Promise<{ output: Uint8Array }> {
    const last = this.framer.rest();
    if (last.length !== 16) throw failed.aesLength();
    return { output: pkcs7Unpad(await this.decrypt(last), 16) };
  }
}

interface GcmState {
  key: CryptoKey;
  j0: Uint8Array;
  ekJ0: Uint8Array;
  ghash: GhashStream;
}

/** data ⊕ the AES-CTR keystream from `counter`, with GCM's 32-bit counter. */
async function ctr(key: CryptoKey, counter: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const params = { name: 'AES-CTR', counter: source(counter), length: 32 };
  return new Uint8Array(await getSubtle().encrypt(params, key, source(data)));
}

/** The counter block of the `blocks`-th data block: inc32 applied 1 + blocks times to J0. */
function counterBlock(j0: Uint8Array, blocks: number): Uint8Array {
  const out = j0.slice();
  const view = new DataView(out.buffer);
  view.setUint32(12, (view.getUint32(12) + 1 + blocks) >>> 0);
  return out;
}

/** AES-GCM encryption (`tagLength` 16, AAD up front) or decryption (tag and AAD from `setTag`). */
export class PortableGcm implements CipherCore {
  private readonly raw: Uint8Array;
  private readonly nonce: Uint8Array;
  private state: Promise<GcmState> | undefined;
  private readonly framer = new BlockFramer(16, false);
  private blocks = 0;
  private tag: Uint8Array | undefined;

  constructor(
    key: Uint8Array,
    nonce: Uint8Array,
    private readonly encrypting: boolean,
    private readonly tagLength: number,
    private aad: Uint8Array | undefined,
  ) {
    this.raw = key.slice();
    this.nonce = nonce.slice();
    this.aad = aad?.slice();
  }

  private async init(): Promise<GcmState> {
    const key = await importKey(this.raw, 'AES-CTR', ['encrypt']);
    const h = await ctr(key, ZERO_BLOCK, ZERO_BLOCK); // H = E_K(0¹²⁸)
    const j0 = preCounterBlock(h, this.nonce);
    return { key, j0, ekJ0: await ctr(key, j0, ZERO_BLOCK), ghash: new GhashStream(h) };
  }

  /** Encrypts or decrypts `data` as the next blocks, hashing the ciphertext. */
  private async crypt(state: GcmState, data: Uint8Array): Promise<Uint8Array> {
    if (!this.encrypting) state.ghash.update(data);
    const out = await ctr(state.key, counterBlock(state.j0, this.blocks), data);
    if (this.encrypting) state.ghash.update(out);
    this.blocks += data.length / 16; // a partial block only comes last
    return out;
  }

  async update(chunk: Uint8Array): Promise<Uint8Array> {
    const data = this.framer.take(chunk);
    if (data.length === 0) return EMPTY;
    const copy = data.slice(); // hashed and encrypted after an await: not the caller's buffer
    return this.crypt(await (this.state ??= this.init()), copy);
  }

  setTag(tag: Uint8Array, aad: Uint8Array | undefined): void {
    this.tag = tag.slice();
    this.aad = aad && aad.length > 0 ? aad.slice() : undefined;
  }

  async final(): Promise<{ output: Uint8Array; tag?: Uint8Array }> {
    const state = await (this.state ??= this.init());
    const rest = this.framer.rest();
    const output = rest.length > 0 ? await this.crypt(state, rest) : EMPTY;
    const full = state.ghash.finish(this.aad);
    for (let i = 0; i < 16; i++) full[i]! ^= state.ekJ0[i]!;
    if (this.encrypting) return { output, tag: full.subarray(0, this.tagLength) };
    const tag = this.tag!;
    if (tag.length !== this.tagLength) throw failed.tagLength();
    if (!constantTimeEqual(full.subarray(0, tag.length), tag)) throw failed.tag();
    return { output };
  }
}
