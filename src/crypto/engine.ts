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

/** Cryptographically strong random bytes. */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  const crypto = getCrypto();
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}
