/**
 * The WebCrypto backend. smimekit uses the runtime's WebCrypto (browsers,
 * Node >= 20 `globalThis.crypto`).
 * A caller may install another implementation (e.g. `@peculiar/webcrypto`, an
 * HSM-backed provider) with `setCryptoBackend`.
 */
import { SmimeError } from '../errors.js';

let current: Crypto | undefined;

/**
 * Installs the WebCrypto implementation smimekit will use. Every signature, verification, digest, cipher and random
 * number then comes from it. With the runtime's own WebCrypto (the default), smimekit on Node ≥ 20.16 calls the same
 * OpenSSL directly through `node:crypto` where that is faster; another backend (an HSM, `@peculiar/webcrypto`)
 * switches that off.
 */
export function setCryptoBackend(crypto: Crypto): void {
  current = crypto;
  platformBackend = crypto === (globalThis as { crypto?: Crypto }).crypto;
}

let platformBackend = true;

/** True while the backend is the runtime's own WebCrypto (what the native fast path of native.ts requires). */
export function usesPlatformBackend(): boolean {
  return platformBackend;
}

/** The active WebCrypto implementation. */
export function getCrypto(): Crypto {
  if (current) return current;
  const global = (globalThis as { crypto?: Crypto }).crypto;
  if (!global?.subtle) {
    throw new SmimeError('no-webcrypto', 'no WebCrypto implementation is available; call setCryptoBackend() with one');
  }
  current = global;
  return current;
}

export function getSubtle(): SubtleCrypto {
  return getCrypto().subtle;
}

/** Small requests (keys, IVs, boundaries) are served from one batch: each call to the platform costs a few µs. */
const RANDOM_BATCH = 4096;
const RANDOM_SMALL = 64;
let randomBatch = new Uint8Array(0);
let randomUsed = 0;

/** Cryptographically strong random bytes. Every byte is handed out once, and the batch is wiped as it goes. */
export function randomBytes(length: number): Uint8Array {
  if (length <= RANDOM_SMALL) {
    if (randomUsed + length > randomBatch.length) {
      randomBatch = getCrypto().getRandomValues(new Uint8Array(RANDOM_BATCH));
      randomUsed = 0;
    }
    const out = randomBatch.slice(randomUsed, randomUsed + length);
    randomBatch.fill(0, randomUsed, randomUsed + length);
    randomUsed += length;
    return out;
  }
  const out = new Uint8Array(length);
  const crypto = getCrypto();
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}
