/** BigInt helpers shared by the RSA and DSA code (WebCrypto offers neither raw RSA nor DSA). */

/** Bit length of a non-negative bigint. */
export function bigintBitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

function bigintByteLength(v: bigint): number {
  return Math.ceil(v.toString(16).length / 2);
}

/** Big-endian unsigned bytes of a bigint, left-padded to `length`. */
export function bigintToBytes(v: bigint, length = bigintByteLength(v)): Uint8Array {
  const out = new Uint8Array(length);
  let x = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Unsigned big-endian bytes → bigint. */
export function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** base^exp mod m with a fixed 4-bit window (the same multiplications for every exponent of a given length). */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  const b = ((base % m) + m) % m;
  const table: bigint[] = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * b) % m);
  const hex = exp.toString(16);
  let r = 1n;
  for (let i = 0; i < hex.length; i++) {
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * table[parseInt(hex[i]!, 16)]!) % m;
  }
  return r % m;
}

/** Modular inverse (extended Euclid); `undefined` when none exists. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) return undefined;
  return ((oldS % m) + m) % m;
}
