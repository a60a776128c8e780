/**
 * RSAES-OAEP (RFC 8017 §7.1) encryption and decryption, and the
 * RSAES-OAEP-params AlgorithmIdentifier parameters (RFC 8017 A.2.1).
 */
import { AlgorithmError, ArgumentError, CryptoError } from '../errors.js';
import { concatBytes, toArrayBuffer } from '../util/bytes.js';
import { getSubtle, randomBytes } from './engine.js';
import { NODE_HASH, nativeCrypto, nativePublicKey, plain } from './native.js';
import { digest, hashLength } from './kdf.js';
import type { KdfHash } from './kdf.js';
import { OID } from './oids.js';
import {
  belowModulus,
  ctEq,
  ctIsZero,
  ctSelect,
  lengthOf,
  parsePrivate,
  parsePublic,
  rsaPrivateRawBytes,
  rsaPublicRawBytes,
} from './rsa-primitives.js';
import {
  derParse,
  derChildren,
  derSequence,
  derOctets,
  derAlgorithm,
  seq,
  octets,
  NULL,
  encodeOid,
} from '../asn1/index.js';

/** Hashes allowed for RSA-OAEP (and its MGF1). */
export type OaepHash = KdfHash;

/** RSA-OAEP parameters (RFC 8017 A.2.1). Defaults are SHA-1 / MGF1-SHA-1 / empty label, as in RSAES-OAEP-params. */
export interface OaepOptions {
  hash?: OaepHash;
  /** MGF1 hash; defaults to `hash`. */
  mgfHash?: OaepHash;
  /** pSourceFunc label; default empty. */
  label?: Uint8Array;
}

function oaepParams(options: OaepOptions): { hash: OaepHash; mgfHash: OaepHash; label: Uint8Array } {
  const hash = options.hash ?? 'SHA-1';
  const mgfHash = options.mgfHash ?? hash;
  for (const h of [hash, mgfHash]) {
    if (!['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].includes(h))
      throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP hash ${h}`);
  }
  return { hash, mgfHash, label: options.label ?? new Uint8Array(0) };
}

async function mgf1(hash: OaepHash, seed: Uint8Array, length: number): Promise<Uint8Array> {
  const hLen = hashLength(hash);
  const out = new Uint8Array(Math.ceil(length / hLen) * hLen);
  const counter = new Uint8Array(4);
  for (let i = 0, at = 0; at < length; i++, at += hLen) {
    counter[0] = i >>> 24;
    counter[1] = i >>> 16;
    counter[2] = i >>> 8;
    counter[3] = i;
    out.set(await digest(hash, concatBytes(seed, counter)), at);
  }
  return out.subarray(0, length);
}

/** Whether WebCrypto can do this OAEP variant (it ties the MGF1 hash to the OAEP hash). */
function webCryptoOaep(hash: OaepHash, mgfHash: OaepHash): boolean {
  return hash === mgfHash;
}

/**
 * RSAES-OAEP encryption (RFC 8017 §7.1.1): OpenSSL on Node and WebCrypto elsewhere when the MGF1 hash equals the
 * OAEP hash; otherwise this code's encoding on the raw public operation.
 *
 * @param publicKey SubjectPublicKeyInfo, X.509 certificate or PKCS#1 RSAPublicKey DER.
 */
export async function rsaOaepEncrypt(
  publicKey: Uint8Array,
  message: Uint8Array,
  options: OaepOptions = {},
): Promise<Uint8Array> {
  const pub = parsePublic(publicKey);
  const { hash, mgfHash, label } = oaepParams(options);
  const hLen = hashLength(hash);
  const k = pub.k;
  if (message.length > k - 2 * hLen - 2)
    throw new ArgumentError('message-too-long', `message too long for RSA-OAEP (max ${k - 2 * hLen - 2} bytes)`);
  if (webCryptoOaep(hash, mgfHash)) {
    const node = nativeCrypto();
    const native = node && nativePublicKey(node, pub.spki);
    if (node && native) {
      const params = { key: native, padding: node.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: NODE_HASH[hash] };
      return plain(node.publicEncrypt(label.length ? { ...params, oaepLabel: label } : params, message));
    }
    if (!node) {
      const subtle = getSubtle();
      const cryptoKey = await subtle.importKey('spki', toArrayBuffer(pub.spki), { name: 'RSA-OAEP', hash }, false, [
        'encrypt',
      ]);
      const params: RsaOaepParams = { name: 'RSA-OAEP' };
      if (label.length) params.label = toArrayBuffer(label);
      return new Uint8Array(await subtle.encrypt(params, cryptoKey, toArrayBuffer(message)));
    }
  }
  const lHash = await digest(hash, label);
  const db = new Uint8Array(k - hLen - 1);
  db.set(lHash);
  db[db.length - message.length - 1] = 1;
  db.set(message, db.length - message.length);
  const seed = randomBytes(hLen);
  const dbMask = await mgf1(mgfHash, seed, db.length);
  for (let i = 0; i < db.length; i++) db[i] = db[i]! ^ dbMask[i]!;
  const seedMask = await mgf1(mgfHash, db, hLen);
  for (let i = 0; i < hLen; i++) seed[i] = seed[i]! ^ seedMask[i]!;
  return rsaPublicRawBytes(pub, concatBytes(Uint8Array.of(0), seed, db));
}

/**
 * RSAES-OAEP decryption (RFC 8017 §7.1.2). On Node, OpenSSL's raw private operation (native.ts); elsewhere
 * WebCrypto when it can (same OAEP and MGF1 hash, rsaEncryption key), otherwise the bigint private operation. The
 * raw results are decoded here with a branch-free check. Every failure is the single error CryptoError
 * `decryption-failed` (no Manger-style distinction).
 *
 * @param privateKey PKCS#8 or PKCS#1 DER.
 */
export async function rsaOaepDecrypt(
  privateKey: Uint8Array,
  ciphertext: Uint8Array,
  options: OaepOptions = {},
): Promise<Uint8Array> {
  const { key, pkcs8 } = parsePrivate(privateKey);
  const { hash, mgfHash, label } = oaepParams(options);
  const hLen = hashLength(hash);
  const k = key.k;
  if (ciphertext.length > k || k < 2 * hLen + 2) throw oaepFailed();
  // Some encoders drop leading zero bytes of the ciphertext integer; restore the k-byte form.
  if (ciphertext.length < k) ciphertext = concatBytes(new Uint8Array(k - ciphertext.length), ciphertext);
  if (webCryptoOaep(hash, mgfHash) && pkcs8 && !nativeCrypto()) {
    const subtle = getSubtle();
    let cryptoKey: CryptoKey | undefined;
    try {
      cryptoKey = await subtle.importKey('pkcs8', toArrayBuffer(pkcs8), { name: 'RSA-OAEP', hash }, false, ['decrypt']);
    } catch {
      cryptoKey = undefined; // e.g. a key WebCrypto refuses: use the bigint path
    }
    if (cryptoKey) {
      const params: RsaOaepParams = { name: 'RSA-OAEP' };
      if (label.length) params.label = toArrayBuffer(label);
      try {
        return new Uint8Array(await subtle.decrypt(params, cryptoKey, toArrayBuffer(ciphertext)));
      } catch (e) {
        throw oaepFailed(e);
      }
    }
  }
  if (!belowModulus(key, ciphertext)) throw oaepFailed();
  const em = rsaPrivateRawBytes(key, ciphertext);
  try {
    return await oaepDecode(em, hLen, hash, mgfHash, label);
  } finally {
    em.fill(0);
  }
}

function oaepFailed(cause?: unknown): CryptoError {
  return new CryptoError(
    'decryption-failed',
    'RSA-OAEP decryption failed',
    cause === undefined ? undefined : { cause },
  );
}

/** EME-OAEP decoding (RFC 8017 §7.1.2 step 3) of the raw result, checked without branches on its content. */
async function oaepDecode(
  em: Uint8Array,
  hLen: number,
  hash: OaepHash,
  mgfHash: OaepHash,
  label: Uint8Array,
): Promise<Uint8Array> {
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seedMask = await mgf1(mgfHash, maskedDb, hLen);
  const seed = new Uint8Array(hLen);
  for (let i = 0; i < hLen; i++) seed[i] = maskedSeed[i]! ^ seedMask[i]!;
  const dbMask = await mgf1(mgfHash, seed, maskedDb.length);
  const db = new Uint8Array(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ dbMask[i]!;
  const lHash = await digest(hash, label);
  let good = ctIsZero(em[0]!);
  for (let i = 0; i < hLen; i++) good &= ctEq(db[i]!, lHash[i]!);
  // After lHash: zero bytes, then 0x01, then the message.
  let found = 0;
  let index = 0;
  for (let i = hLen; i < db.length; i++) {
    const isOne = ctEq(db[i]!, 1);
    const isZero = ctIsZero(db[i]!);
    index = ctSelect(~found & isOne, i, index);
    good &= found | isZero | isOne; // before the separator only zeros are allowed
    found |= isOne;
  }
  good &= found;
  if (!good) throw oaepFailed();
  return db.slice(index + 1);
}

// ---------------------------------------------------------------------------
// RSAES-OAEP-params

/** Parameters of an `RSAES-OAEP-params` AlgorithmIdentifier parameter (RFC 8017 A.2.1); absent = all defaults. */
export function parseOaepParams(params: Uint8Array | undefined): Required<OaepOptions> {
  const out: Required<OaepOptions> = { hash: 'SHA-1', mgfHash: 'SHA-1', label: new Uint8Array(0) };
  if (!params || params.length === 0 || (params[0] === 5 && params.length === 2)) return out;
  const hashes: Record<string, OaepHash> = {
    [OID.sha1]: 'SHA-1',
    [OID.sha256]: 'SHA-256',
    [OID.sha384]: 'SHA-384',
    [OID.sha512]: 'SHA-512',
  };
  const lookup = (oid: string): OaepHash => {
    const h = hashes[oid];
    if (!h) throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP hash ${oid}`);
    return h;
  };
  for (const field of derSequence(derParse(params), 'RSAES-OAEP-params')) {
    if (field.cls !== 2) continue;
    const inner = derChildren(field)[0];
    if (field.tag === 0) out.hash = lookup(derAlgorithm(inner).oid);
    else if (field.tag === 1) {
      const mgf = derAlgorithm(inner);
      if (mgf.oid !== '1.2.840.113549.1.1.8')
        throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP mask generation function ${mgf.oid}`);
      out.mgfHash = lookup(derAlgorithm(mgf.params).oid);
    } else if (field.tag === 2) {
      const src = derAlgorithm(inner);
      if (src.oid !== '1.2.840.113549.1.1.9')
        throw new AlgorithmError('unsupported-algorithm', `unsupported OAEP label source ${src.oid}`);
      out.label = src.params ? derOctets(src.params).slice() : new Uint8Array(0);
    }
  }
  return out;
}

/** DER `RSAES-OAEP-params` for the given options (defaults omitted, as DER requires). */
export function encodeOaepParams(options: OaepOptions = {}): Uint8Array {
  const { hash, mgfHash, label } = oaepParams(options);
  const oids: Record<OaepHash, string> = {
    'SHA-1': OID.sha1,
    'SHA-256': OID.sha256,
    'SHA-384': OID.sha384,
    'SHA-512': OID.sha512,
  };
  const alg = (h: OaepHash): Uint8Array => seq(encodeOid(oids[h]), NULL);
  const fields: Uint8Array[] = [];
  const ctx = (n: number, content: Uint8Array): Uint8Array =>
    concatBytes(Uint8Array.of(0xa0 | n), lengthOf(content.length), content);
  if (hash !== 'SHA-1') fields.push(ctx(0, alg(hash)));
  if (mgfHash !== 'SHA-1') fields.push(ctx(1, seq(encodeOid('1.2.840.113549.1.1.8'), alg(mgfHash))));
  if (label.length) fields.push(ctx(2, seq(encodeOid('1.2.840.113549.1.1.9'), octets(label))));
  return seq(...fields);
}
