/**
 * AES-CBC, AES-GCM and AES key wrap through WebCrypto. WebCrypto's AES-CBC
 * always adds and checks PKCS#7 padding; failures become `decryption-failed`.
 * On Node with the default backend, CBC and GCM (12-byte nonces) run on OpenSSL
 * directly (native.ts), synchronously; CBC padding is then checked here, in
 * constant time.
 */
import { getSubtle } from '../engine.js';
import { ArgumentError, CryptoError } from '../../errors.js';
import { joinPieces, toArrayBuffer } from '../../util/bytes.js';
import { nativeCrypto, plain } from '../native.js';
import { gcmDecryptAnyNonce, gcmEncryptAnyNonce } from './gcm-any-nonce.js';
import { pkcs7Unpad } from './modes.js';

function checkAesKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new ArgumentError('bad-key-length', `AES keys are 16, 24 or 32 bytes, not ${key.length}`);
  }
}

async function importAes(
  key: Uint8Array,
  name: 'AES-CBC' | 'AES-GCM' | 'AES-KW',
  usages: KeyUsage[],
): Promise<CryptoKey> {
  checkAesKey(key);
  return getSubtle().importKey('raw', toArrayBuffer(key), { name }, false, usages);
}

/** AES-CBC encryption with PKCS#7 padding. */
export async function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  return joinPieces(await aesCbcEncryptPieces(key, iv, plaintext));
}

/**
 * AES-CBC encryption (PKCS#7 padding) whose ciphertext comes in pieces, in order: on Node, what OpenSSL returns for
 * the bulk and then for the padded last block. A caller that writes the ciphertext into a larger structure copies
 * it once, there, instead of once to join it and again into the structure.
 */
export async function aesCbcEncryptPieces(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array | readonly Uint8Array[],
): Promise<Uint8Array[]> {
  if (iv.length !== 16) throw new ArgumentError('bad-iv', `AES-CBC IV must be 16 bytes, not ${iv.length}`);
  const pieces = plaintext instanceof Uint8Array ? [plaintext] : fewerPieces(plaintext);
  const node = nativeCrypto();
  if (node) {
    checkAesKey(key);
    const c = node.createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
    const out = pieces.map((piece) => plain(c.update(piece)));
    out.push(plain(c.final()));
    return out.filter((piece) => piece.length > 0);
  }
  const k = await importAes(key, 'AES-CBC', ['encrypt']);
  const data = joinPieces(pieces);
  return [
    new Uint8Array(await getSubtle().encrypt({ name: 'AES-CBC', iv: toArrayBuffer(iv) }, k, toArrayBuffer(data))),
  ];
}

/** Below this, pieces are joined before encryption: a cipher call costs more than copying a few KiB. */
const JOIN_BELOW = 64 * 1024;

/** The pieces of a small message joined into one (a message arrives as views of its parts, headers apart). */
function fewerPieces(pieces: readonly Uint8Array[]): readonly Uint8Array[] {
  if (pieces.length < 2) return pieces;
  let total = 0;
  for (const piece of pieces) total += piece.length;
  return total < JOIN_BELOW ? [joinPieces(pieces)] : pieces;
}

/** AES-CBC decryption; bad padding (wrong key, corrupted data) is `decryption-failed`. */
export async function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
  if (iv.length !== 16) throw new ArgumentError('bad-iv', `AES-CBC IV must be 16 bytes, not ${iv.length}`);
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new CryptoError('decryption-failed', 'decryption failed: ciphertext length is not a multiple of 16');
  }
  const node = nativeCrypto();
  if (node) {
    checkAesKey(key);
    const d = node.createDecipheriv(`aes-${key.length * 8}-cbc`, key, iv).setAutoPadding(false);
    // Without padding removal OpenSSL holds nothing back: update() returns every block and final() nothing, so the
    // plaintext is unpadded where it lies instead of being copied behind an empty tail.
    const blocks = plain(d.update(ciphertext));
    const tail = plain(d.final());
    return pkcs7Unpad(joinPieces([blocks, tail]), 16);
  }
  const k = await importAes(key, 'AES-CBC', ['decrypt']);
  try {
    return new Uint8Array(
      await getSubtle().decrypt({ name: 'AES-CBC', iv: toArrayBuffer(iv) }, k, toArrayBuffer(ciphertext)),
    );
  } catch (e) {
    throw new CryptoError('decryption-failed', 'decryption failed: bad padding (wrong key or corrupted data)', {
      cause: e,
    });
  }
}

/**
 * Options of AES-GCM. RFC 5084 recommends a 12-byte nonce and allows tags of 12 to 16 bytes; these functions also take
 * any other nonce length and the 4- and 8-byte tags of SP 800-38D (what to accept from a message is the CMS layer's
 * policy, see `parseGcmParameters`).
 */
export interface AesGcmOptions {
  /** Additional authenticated data (AuthEnvelopedData: DER of the authAttrs). */
  aad?: Uint8Array;
  /** Tag length in bytes; default 16. */
  tagLength?: number;
}

function gcmParams(iv: Uint8Array, options: AesGcmOptions | undefined): AesGcmParams {
  const tagLength = options?.tagLength ?? 16;
  if (![4, 8, 12, 13, 14, 15, 16].includes(tagLength))
    throw new ArgumentError('bad-argument', `invalid AES-GCM tag length ${tagLength}`);
  if (iv.length === 0) throw new ArgumentError('bad-iv', 'AES-GCM nonce must not be empty');
  const params: AesGcmParams = { name: 'AES-GCM', iv: toArrayBuffer(iv), tagLength: tagLength * 8 };
  if (options?.aad) params.additionalData = toArrayBuffer(options.aad);
  return params;
}

/**
 * AES-GCM encryption; returns ciphertext and tag separately (CMS stores the tag in its own field). A nonce that is
 * not 12 bytes goes through `gcm-any-nonce.ts` (WebCrypto implementations differ on those).
 */
export async function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  options?: AesGcmOptions,
): Promise<{ ciphertext: Uint8Array; tag: Uint8Array }> {
  const params = gcmParams(iv, options);
  checkAesKey(key);
  if (iv.length !== 12) return gcmEncryptAnyNonce(key, iv, plaintext, params.tagLength! / 8, options?.aad);
  const node = nativeCrypto();
  if (node) {
    const tagLength = params.tagLength! / 8;
    const c = node.createCipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, iv, { authTagLength: tagLength });
    if (options?.aad) c.setAAD(options.aad);
    // GCM holds nothing back: final() returns no bytes, and the ciphertext is update()'s output as it is.
    const head = plain(c.update(plaintext));
    const tail = plain(c.final());
    return { ciphertext: joinPieces([head, tail]), tag: plain(c.getAuthTag()).slice() };
  }
  const k = await importAes(key, 'AES-GCM', ['encrypt']);
  const out = new Uint8Array(await getSubtle().encrypt(params, k, toArrayBuffer(plaintext)));
  const tagLength = options?.tagLength ?? 16;
  return { ciphertext: out.subarray(0, out.length - tagLength), tag: out.slice(out.length - tagLength) };
}

/** AES-GCM decryption; a tag mismatch is `decryption-failed` and no plaintext is returned. */
export async function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  options?: Omit<AesGcmOptions, 'tagLength'>,
): Promise<Uint8Array> {
  const params = gcmParams(iv, { ...options, tagLength: tag.length });
  checkAesKey(key);
  if (iv.length !== 12) return gcmDecryptAnyNonce(key, iv, ciphertext, tag, options?.aad);
  const node = nativeCrypto();
  if (node) {
    const d = node.createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, iv, {
      authTagLength: tag.length,
    });
    d.setAuthTag(tag);
    if (options?.aad) d.setAAD(options.aad);
    const out = plain(d.update(ciphertext));
    try {
      d.final();
    } catch (e) {
      out.fill(0);
      throw new CryptoError('decryption-failed', 'decryption failed: authentication tag mismatch', { cause: e });
    }
    return out;
  }
  const k = await importAes(key, 'AES-GCM', ['decrypt']);
  const joined = new Uint8Array(ciphertext.length + tag.length);
  joined.set(ciphertext);
  joined.set(tag, ciphertext.length);
  try {
    return new Uint8Array(await getSubtle().decrypt(params, k, toArrayBuffer(joined)));
  } catch (e) {
    throw new CryptoError('decryption-failed', 'decryption failed: authentication tag mismatch', { cause: e });
  }
}

/** AES key wrap (RFC 3394) of a key (multiple of 8 bytes, at least 16). */
export async function aesKeyWrap(kek: Uint8Array, keyData: Uint8Array): Promise<Uint8Array> {
  if (keyData.length < 16 || keyData.length % 8 !== 0)
    throw new ArgumentError('bad-argument', 'AES key wrap input must be a multiple of 8 bytes, at least 16');
  const subtle = getSubtle();
  const wrapping = await importAes(kek, 'AES-KW', ['wrapKey']);
  // WebCrypto only wraps CryptoKeys; an extractable HMAC key carries arbitrary bytes.
  const inner = await subtle.importKey('raw', toArrayBuffer(keyData), { name: 'HMAC', hash: 'SHA-256' }, true, [
    'sign',
  ]);
  return new Uint8Array(await subtle.wrapKey('raw', inner, wrapping, 'AES-KW'));
}

/** AES key unwrap (RFC 3394); an integrity-check failure is `decryption-failed`. */
export async function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Promise<Uint8Array> {
  if (wrapped.length < 24 || wrapped.length % 8 !== 0)
    throw new CryptoError('decryption-failed', 'decryption failed: bad wrapped key length');
  const subtle = getSubtle();
  const unwrapping = await importAes(kek, 'AES-KW', ['unwrapKey']);
  try {
    const key = await subtle.unwrapKey(
      'raw',
      toArrayBuffer(wrapped),
      unwrapping,
      'AES-KW',
      { name: 'HMAC', hash: 'SHA-256' },
      true,
      ['sign'],
    );
    return new Uint8Array(await subtle.exportKey('raw', key));
  } catch (e) {
    throw new CryptoError('decryption-failed', 'decryption failed: key unwrap integrity check failed', { cause: e });
  }
}
