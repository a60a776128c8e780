/**
 * RSA PKCS#1 v1.5 signature verification in bigint from a digest: for the digests WebCrypto lacks (MD5), and for
 * content that was streamed and not kept (only its digest is left). Every other RSA verification goes to WebCrypto
 * or OpenSSL.
 */
import { AlgorithmError } from '../errors.js';
import { bytesEqual } from '../util/bytes.js';
import { modPow } from './bigint.js';
import { bitLength, rsaModulus } from './public-key-summary.js';
import type { PublicKeyInfo } from '../x509/algorithm.js';
import { decodeInteger, encodeOid, tlv } from '../asn1/index.js';

/** Largest RSA modulus / public exponent the bigint verifier accepts (as OpenSSL: 16384 bits; e of at most 64 bits). */
const MAX_RSA_BITS = 16384;
const MAX_RSA_EXPONENT_BITS = 64;

/**
 * RSA PKCS#1 v1.5 verification in bigint of a signature over `hash` (MD5, or the digest of streamed content).
 * The whole encoded message is compared with the one expected (RFC 8017 §8.2.2 step 4), so no
 * garbage can hide in the padding, the DigestInfo parameters or after the digest (BERserk-style
 * forgeries). DigestInfo parameters may be NULL or absent (RFC 8017 note to §9.2).
 */
export function rsaPkcs1VerifyDigest(
  info: PublicKeyInfo,
  hashOid: string,
  hash: Uint8Array,
  signature: Uint8Array,
): boolean {
  const { n, e } = rsaModulus(info.publicKey);
  const nBits = bitLength(n);
  const eBits = bitLength(e);
  if (nBits > MAX_RSA_BITS || eBits > MAX_RSA_EXPONENT_BITS)
    throw new AlgorithmError(
      'unsupported-algorithm',
      `RSA keys over ${MAX_RSA_BITS} bits or with exponents over ${MAX_RSA_EXPONENT_BITS} bits are not supported`,
    );
  const modulus = decodeInteger(Uint8Array.from([0, ...n]));
  const exponent = decodeInteger(Uint8Array.from([0, ...e]));
  if (modulus < 3n || exponent < 3n) return false;
  const k = Math.ceil(nBits / 8);
  if (signature.length !== k) return false;
  const s = decodeInteger(Uint8Array.from([0, ...signature]));
  if (s >= modulus) return false;
  let m = modPow(s, exponent, modulus);
  const em = new Uint8Array(k);
  for (let i = k - 1; i >= 0; i--, m >>= 8n) em[i] = Number(m & 0xffn);
  const oid = encodeOid(hashOid);
  const digestInfo = (withNull: boolean) =>
    tlv(
      0x30,
      new Uint8Array([...tlv(0x30, new Uint8Array([...oid, ...(withNull ? [0x05, 0x00] : [])])), ...tlv(0x04, hash)]),
    );
  for (const t of [digestInfo(true), digestInfo(false)]) {
    if (k < t.length + 11) continue;
    const expected = new Uint8Array(k).fill(0xff);
    expected[0] = 0;
    expected[1] = 1;
    expected[k - t.length - 1] = 0;
    expected.set(t, k - t.length);
    if (bytesEqual(em, expected)) return true;
  }
  return false;
}
