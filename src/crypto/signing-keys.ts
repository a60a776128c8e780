/**
 * Private keys ready to sign, imported once per key: a WebCrypto `CryptoKey` per backend, key array and algorithm,
 * and on Node (native path, see native.ts) an OpenSSL `KeyObject` that signs synchronously, without a WebCrypto job
 * per signature. Both are cached by the identity of the PKCS#8 array (never by a hash of its secret bytes).
 */
import { BytesCache, nativeCrypto, NODE_HASH, plain, type NativeKey } from './native.js';
import { toArrayBuffer } from '../util/bytes.js';

/** How to sign, in WebCrypto terms. */
export type SignatureScheme =
  | { name: 'RSASSA-PKCS1-v1_5'; hash: string }
  | { name: 'RSA-PSS'; hash: string; saltLength: number }
  | { name: 'ECDSA'; hash: string }
  | { name: 'Ed25519' };

const nativeKeys = new BytesCache<NativeKey | null>();

/**
 * A synchronous OpenSSL signer for a PKCS#8 key, or undefined when the native path is off or OpenSSL refuses the
 * key (the caller then uses WebCrypto, which reports why). ECDSA signatures come out as DER ECDSA-Sig-Value.
 *
 * @param pkcs8 the caller's key array (the cache key).
 * @param importable the PKCS#8 to import, when it must differ from `pkcs8` (an id-RSASSA-PSS key as rsaEncryption).
 */
export function nativeSigner(
  pkcs8: Uint8Array,
  scheme: SignatureScheme,
  importable: (pkcs8: Uint8Array) => Uint8Array = (b) => b,
): ((data: Uint8Array) => Uint8Array) | undefined {
  const node = nativeCrypto();
  if (!node) return undefined;
  const key = nativeKeys.get(pkcs8, (bytes) => {
    try {
      return node.createPrivateKey({ key: importable(bytes) as never, format: 'der', type: 'pkcs8' });
    } catch {
      return null;
    }
  });
  if (!key) return undefined;
  const { constants } = node;
  switch (scheme.name) {
    case 'RSASSA-PKCS1-v1_5':
      return (data) => plain(node.sign(NODE_HASH[scheme.hash], data, { key, padding: constants.RSA_PKCS1_PADDING }));
    case 'RSA-PSS':
      return (data) =>
        plain(
          node.sign(NODE_HASH[scheme.hash], data, {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: scheme.saltLength,
          }),
        );
    case 'ECDSA':
      return (data) => plain(node.sign(NODE_HASH[scheme.hash], data, { key, dsaEncoding: 'der' }));
    case 'Ed25519':
      return (data) => plain(node.sign(null, data, key));
  }
}

const webCryptoKeys = new WeakMap<SubtleCrypto, BytesCache<Map<string, CryptoKey>>>();

/**
 * `subtle.importKey('pkcs8', …, ['sign'])`, once per backend, key array and algorithm. A refusal is thrown as the
 * backend reports it and not cached.
 */
export async function importSigningKeyOnce(
  subtle: SubtleCrypto,
  pkcs8: Uint8Array,
  algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm,
  importable: (pkcs8: Uint8Array) => Uint8Array = (b) => b,
): Promise<CryptoKey> {
  let perKey = webCryptoKeys.get(subtle);
  if (!perKey) webCryptoKeys.set(subtle, (perKey = new BytesCache()));
  const byAlgorithm = perKey.get(pkcs8, () => new Map());
  const id = JSON.stringify(algorithm);
  let key = byAlgorithm.get(id);
  if (!key) {
    key = await subtle.importKey('pkcs8', toArrayBuffer(importable(pkcs8)), algorithm, false, ['sign']);
    byAlgorithm.set(id, key);
  }
  return key;
}
