/**
 * DSA signature verification (FIPS 186-4 §4.7) with bigint arithmetic.
 * WebCrypto has no DSA; smimekit only needs to *verify* legacy DSA
 * signatures (RFC 3279 certificates, old CMS messages), never to create them.
 */
import { AlgorithmError, FormatError } from '../errors.js';
import { bigintBitLength, modInverse, modPow } from './bigint.js';
import { TAG, derParse, derChildren, derContent, derExpect, decodeInteger } from '../asn1/index.js';

/** DSA domain parameters (Dss-Parms). */
export interface DsaParameters {
  p: bigint;
  q: bigint;
  g: bigint;
}

function integersOf(der: Uint8Array, count: number, what: string): bigint[] {
  const root = derExpect(derParse(der), TAG.SEQUENCE, what);
  const kids = derChildren(root);
  if (kids.length !== count) throw new FormatError('malformed-der', `${what}: expected ${count} integers`);
  return kids.map((k) => decodeInteger(derContent(derExpect(k, TAG.INTEGER, what))));
}

/** Parses DER `Dss-Parms ::= SEQUENCE { p, q, g }`. */
export function parseDsaParameters(der: Uint8Array): DsaParameters {
  const [p, q, g] = integersOf(der, 3, 'DSA parameters') as [bigint, bigint, bigint];
  if (p <= 3n || q <= 1n || g <= 1n || g >= p)
    throw new FormatError('malformed-der', 'DSA parameters are out of range');
  return { p, q, g };
}

/** Parses the DSA public key `y` (an INTEGER inside the SPKI BIT STRING). */
function parseDsaPublicKey(der: Uint8Array): bigint {
  const node = derExpect(derParse(der), TAG.INTEGER, 'DSA public key');
  return decodeInteger(derContent(node));
}

/** Parses `Dss-Sig-Value ::= SEQUENCE { r, s }`. */
function parseDsaSignature(der: Uint8Array): { r: bigint; s: bigint } {
  const [r, s] = integersOf(der, 2, 'DSA signature') as [bigint, bigint];
  return { r, s };
}

/**
 * Verifies a DSA signature over an already computed digest.
 * Returns false (never throws) for a signature that is out of range or wrong.
 */
function dsaVerifyDigest(
  params: DsaParameters,
  y: bigint,
  digest: Uint8Array,
  signature: { r: bigint; s: bigint },
): boolean {
  const { p, q, g } = params;
  const { r, s } = signature;
  if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
  if (y <= 1n || y >= p) return false;
  const w = modInverse(s, q);
  if (w === undefined) return false;
  // z = leftmost min(N, outlen) bits of the digest.
  let z = 0n;
  for (const b of digest) z = (z << 8n) | BigInt(b);
  const n = bigintBitLength(q);
  const outLen = digest.length * 8;
  if (outLen > n) z >>= BigInt(outLen - n);
  const u1 = (z * w) % q;
  const u2 = (r * w) % q;
  const v = ((modPow(g, u1, p) * modPow(y, u2, p)) % p) % q;
  return v === r;
}

// FIPS 186-4 sizes at most (L = 3072, N = 256): larger ones would only make the bigint arithmetic a
// denial-of-service lever for hostile certificate pools.
const MAX_DSA_P_BITS = 3072;
const MAX_DSA_Q_BITS = 256;

/**
 * Verifies a DER DSA signature over `hash` with the public key (subjectPublicKey content) under `params`.
 *
 * @throws AlgorithmError `unsupported-algorithm` for parameters over FIPS 186-4 sizes; FormatError `malformed-key`
 *   for a key that cannot be read (an unreadable signature is simply invalid)
 */
export function dsaVerifyWithKey(
  params: DsaParameters,
  publicKey: Uint8Array,
  signature: Uint8Array,
  hash: Uint8Array,
): boolean {
  if (bigintBitLength(params.p) > MAX_DSA_P_BITS || bigintBitLength(params.q) > MAX_DSA_Q_BITS) {
    throw new AlgorithmError(
      'unsupported-algorithm',
      `DSA parameters over ${MAX_DSA_P_BITS}/${MAX_DSA_Q_BITS} bits are not supported`,
    );
  }
  let y: bigint;
  try {
    y = parseDsaPublicKey(publicKey);
  } catch (e) {
    throw new FormatError(
      'malformed-key',
      `the public key cannot be used: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  let sig: { r: bigint; s: bigint };
  try {
    sig = parseDsaSignature(signature);
  } catch {
    return false;
  }
  return dsaVerifyDigest(params, y, hash, sig);
}
