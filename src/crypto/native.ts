/**
 * The Node fast path: OpenSSL through `node:crypto`, reached lazily with `process.getBuiltinModule` (Node ≥ 20.16),
 * so nothing here imports a Node module and bundlers for browsers have nothing to follow. Browsers, older Node and
 * other runtimes keep the portable paths (WebCrypto and the bigint RSA of rsa-primitives.ts).
 *
 * The contract with `setCryptoBackend`: the native path is taken only while the active backend is the runtime's own
 * WebCrypto (`globalThis.crypto`, which in Node is the same OpenSSL). A caller who installed another implementation
 * (an HSM, `@peculiar/webcrypto`) gets every signature, verification, digest, cipher and random number from it, as
 * before.
 *
 * Keys are imported once per key object: the caches below are WeakMaps keyed by the caller's Uint8Array (identity),
 * never by a hash of secret bytes, and each entry keeps a copy of the bytes it was made from so that an array
 * changed in place is imported again rather than used stale.
 */
import { bytesEqual } from '../util/bytes.js';
import { nodeBuiltinModule } from '../util/node-builtin.js';
import { usesPlatformBackend } from './engine.js';

/** `node:crypto`, typed (types only: nothing is imported at run time). */
type NodeCrypto = typeof import('node:crypto');
type KeyObject = import('node:crypto').KeyObject;
export type NativeKey = KeyObject;

let builtin: NodeCrypto | null | undefined;
let portableOnly = false;

/** `node:crypto` when the runtime offers it without an import, whatever the backend. */
function nodeBuiltinCrypto(): NodeCrypto | undefined {
  if (builtin === undefined) {
    const mod = nodeBuiltinModule('node:crypto') as Partial<NodeCrypto> | undefined;
    builtin =
      typeof mod?.createPrivateKey === 'function' && typeof mod.privateDecrypt === 'function'
        ? (mod as NodeCrypto)
        : null;
  }
  return builtin ?? undefined;
}

/**
 * `node:crypto` when the native path may be used: Node ≥ 20.16, the runtime's own WebCrypto as backend, and not
 * switched off for tests.
 */
export function nativeCrypto(): NodeCrypto | undefined {
  if (portableOnly || !usesPlatformBackend()) return undefined;
  return nodeBuiltinCrypto();
}

/** @internal For tests: `true` forces the portable (WebCrypto / bigint) paths even on Node. */
export function setPortableOnly(on: boolean): void {
  portableOnly = on;
}

/** A Node Buffer as a plain Uint8Array over the same memory (no copy), so results compare like Uint8Arrays. */
export function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A per-Uint8Array cache: `get` returns the value made from these bytes, recomputing it when the array is new or
 * its content changed since (the entry keeps a private copy to compare). Values are never shared between arrays.
 */
export class BytesCache<V> {
  readonly #map = new WeakMap<Uint8Array, { copy: Uint8Array; value: V }>();

  get(bytes: Uint8Array, make: (bytes: Uint8Array) => V): V {
    const hit = this.#map.get(bytes);
    if (hit && bytesEqual(hit.copy, bytes)) return hit.value;
    const value = make(bytes);
    this.set(bytes, value);
    return value;
  }

  /** The value stored for these bytes, if any. */
  peek(bytes: Uint8Array): V | undefined {
    const hit = this.#map.get(bytes);
    return hit && bytesEqual(hit.copy, bytes) ? hit.value : undefined;
  }

  set(bytes: Uint8Array, value: V): void {
    this.#map.set(bytes, { copy: bytes.slice(), value });
  }
}

const privateKeys = new BytesCache<KeyObject | null>();
const publicKeys = new BytesCache<KeyObject | null>();

/** The native private key of PKCS#8 (or PKCS#1 with `type`) DER, imported once; undefined when OpenSSL refuses it. */
export function nativePrivateKey(
  node: NodeCrypto,
  der: Uint8Array,
  type: 'pkcs8' | 'pkcs1' = 'pkcs8',
): KeyObject | undefined {
  return (
    privateKeys.get(der, (bytes) => {
      try {
        return node.createPrivateKey({ key: bytes as never, format: 'der', type });
      } catch {
        return null;
      }
    }) ?? undefined
  );
}

/**
 * The native public key of SubjectPublicKeyInfo DER, imported once per array; undefined when OpenSSL refuses it.
 * `importable` may rewrite the SPKI before the import (another OID or curve form of the same key, never another key).
 */
export function nativePublicKey(
  node: NodeCrypto,
  der: Uint8Array,
  importable: (spki: Uint8Array) => Uint8Array = (b) => b,
): KeyObject | undefined {
  return (
    publicKeys.get(der, (bytes) => {
      try {
        return node.createPublicKey({ key: importable(bytes) as never, format: 'der', type: 'spki' });
      } catch {
        return null;
      }
    }) ?? undefined
  );
}

/** OpenSSL names of the WebCrypto digest names. */
export const NODE_HASH: Readonly<Record<string, string>> = {
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** A digest with OpenSSL, synchronously; undefined when the native path is off or the name unknown. */
export function nativeDigest(name: string, data: Uint8Array): Uint8Array | undefined {
  const node = nativeCrypto();
  const hash = NODE_HASH[name];
  if (!node || !hash) return undefined;
  return plain(node.createHash(hash).update(data).digest());
}

/** HMAC with OpenSSL, synchronously; undefined when the native path is off or the name unknown. */
export function nativeHmac(name: string, key: Uint8Array, data: Uint8Array): Uint8Array | undefined {
  const node = nativeCrypto();
  const hash = NODE_HASH[name];
  if (!node || !hash) return undefined;
  return plain(node.createHmac(hash, key).update(data).digest());
}

/**
 * The check with OpenSSL directly (native.ts): true/false, or undefined when the native path is off or OpenSSL
 * refuses the key or the input, and the WebCrypto path must decide (and report) as before.
 */
export function nativeVerify(
  info: { der: Uint8Array },
  hash: string | null,
  data: Uint8Array,
  signature: Uint8Array,
  options: { padding?: 'pkcs1' | 'pss'; saltLength?: number; p1363?: boolean } = {},
  importable?: (spki: Uint8Array) => Uint8Array,
): boolean | undefined {
  const node = nativeCrypto();
  const key = node && nativePublicKey(node, info.der, importable);
  if (!node || !key) return undefined;
  const c = node.constants;
  try {
    return node.verify(
      hash === null ? null : NODE_HASH[hash]!,
      data,
      {
        key,
        ...(options.padding === 'pkcs1' ? { padding: c.RSA_PKCS1_PADDING } : {}),
        ...(options.padding === 'pss' ? { padding: c.RSA_PKCS1_PSS_PADDING, saltLength: options.saltLength! } : {}),
        ...(options.p1363 ? { dsaEncoding: 'ieee-p1363' as const } : {}),
      },
      signature,
    );
  } catch {
    return undefined;
  }
}
