/**
 * Synchronous SHA-1. Only for identifiers that formats define as SHA-1
 * (SST hash properties, key identifiers, thumbprints) — never for signatures.
 */
export function sha1(data: Uint8Array): Uint8Array {
  const h = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  const w = new Uint32Array(80);
  for (const block of blocks(data, false)) {
    for (let i = 0; i < 16; i++) w[i] = block.getUint32(i * 4, false);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let [a, b, c, d, e] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) >>> 0;
      e = d;
      d = c;
      c = ((b << 30) | (b >>> 2)) >>> 0;
      b = a;
      a = t;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
  }
  return wordsOut(h, false);
}

/** Splits a message into padded 64-byte blocks (MD-style padding, 64-bit bit length). */
export function* blocks(data: Uint8Array, littleEndian: boolean): Generator<DataView> {
  const full = Math.floor(data.length / 64);
  for (let i = 0; i < full; i++) yield new DataView(data.buffer, data.byteOffset + i * 64, 64);
  const rest = data.length - full * 64;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(data.subarray(full * 64));
  tail[rest] = 0x80;
  const bits = data.length * 8;
  const view = new DataView(tail.buffer);
  const hi = Math.floor(bits / 2 ** 32);
  const lo = bits >>> 0;
  if (littleEndian) {
    view.setUint32(tail.length - 8, lo, true);
    view.setUint32(tail.length - 4, hi, true);
  } else {
    view.setUint32(tail.length - 8, hi, false);
    view.setUint32(tail.length - 4, lo, false);
  }
  for (let i = 0; i < tail.length; i += 64) yield new DataView(tail.buffer, i, 64);
}

export function wordsOut(words: Uint32Array, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((v, i) => view.setUint32(i * 4, v, littleEndian));
  return out;
}
