/**
 * The WebCrypto backend. smimekit uses the runtime's WebCrypto (browsers,
 * Node >= 20 `globalThis.crypto`) and configures PKI.js to use the same one.
 * A caller may install another implementation (e.g. `@peculiar/webcrypto`, an
 * HSM-backed provider) with `setCryptoBackend`.
 */
import * as pkijs from 'pkijs';
import { SmimeError } from '../errors.js';

let current: Crypto | undefined;
let pkijsConfiguredFor: Crypto | undefined;

/** Installs the WebCrypto implementation smimekit (and PKI.js under it) will use. */
export function setCryptoBackend(crypto: Crypto): void {
  current = crypto;
  pkijsConfiguredFor = undefined;
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

/** Makes sure PKI.js uses the same WebCrypto as smimekit; returns its engine. */
export function pkijsEngine(): pkijs.ICryptoEngine {
  const crypto = getCrypto();
  if (pkijsConfiguredFor !== crypto) {
    pkijs.setEngine('smimekit', new pkijs.CryptoEngine({ name: 'smimekit', crypto }));
    pkijsConfiguredFor = crypto;
  }
  return pkijs.getEngine().crypto!;
}

/** Cryptographically strong random bytes. */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  const crypto = getCrypto();
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}
