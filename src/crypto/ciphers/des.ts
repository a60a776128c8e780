/**
 * DES and 3DES-EDE block ciphers in pure TypeScript (FIPS 46-3). Browsers'
 * WebCrypto has no DES, but old mail and PKCS#12 files use 3DES-CBC.
 * Tables are built at load time from the standard's permutation tables.
 */
import { ArgumentError } from '../../errors.js';
import type { BlockCipher } from './modes.js';

// FIPS 46-3 tables (1-based bit numbers, bit 1 = most significant).
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24,
  16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31,
  23, 15, 7,
];
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55,
  47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30,
  40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1,
    14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14,
    7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6,
    4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6,
    9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1,
    11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14,
    15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4,
    11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11,
    4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

/** Byte-indexed lookup tables for a 64-bit permutation: [byte position][byte value] -> (hi, lo). */
function permutationTables(table: number[]): Uint32Array {
  const out = new Uint32Array(8 * 256 * 2);
  for (let pos = 0; pos < 8; pos++) {
    for (let v = 0; v < 256; v++) {
      let hi = 0;
      let lo = 0;
      for (let o = 0; o < 64; o++) {
        const src = table[o]! - 1; // 0-based input bit, 0 = MSB
        if (src >> 3 !== pos) continue;
        if ((v >> (7 - (src & 7))) & 1) {
          if (o < 32) hi |= 1 << (31 - o);
          else lo |= 1 << (63 - o);
        }
      }
      out[(pos * 256 + v) * 2] = hi >>> 0;
      out[(pos * 256 + v) * 2 + 1] = lo >>> 0;
    }
  }
  return out;
}

const FP = (() => {
  const inv = new Array<number>(64);
  for (let i = 0; i < 64; i++) inv[IP[i]! - 1] = i + 1;
  return inv;
})();
/** The permutation tables, built on first use: every program loads this module, few read 3DES mail. */
let permutations: { ip: Uint32Array; fp: Uint32Array } | undefined;
function permutationTablesOnce(): { ip: Uint32Array; fp: Uint32Array } {
  return (permutations ??= { ip: permutationTables(IP), fp: permutationTables(FP) });
}

/** SP[i][v]: P applied to the output of S-box i for 6-bit input v. */
const SP = (() => {
  const out: Uint32Array[] = [];
  for (let i = 0; i < 8; i++) {
    const t = new Uint32Array(64);
    for (let v = 0; v < 64; v++) {
      const row = ((v >> 4) & 2) | (v & 1);
      const col = (v >> 1) & 15;
      const s = S[i]![row * 16 + col]! << (28 - 4 * i);
      let p = 0;
      for (let o = 0; o < 32; o++) if ((s >>> (32 - P[o]!)) & 1) p |= 1 << (31 - o);
      t[v] = p >>> 0;
    }
    out.push(t);
  }
  return out;
})();

function permute(t: Uint32Array, hi: number, lo: number): [number, number] {
  let a = 0;
  let b = 0;
  const bytes = [
    hi >>> 24,
    (hi >>> 16) & 255,
    (hi >>> 8) & 255,
    hi & 255,
    lo >>> 24,
    (lo >>> 16) & 255,
    (lo >>> 8) & 255,
    lo & 255,
  ];
  for (let pos = 0; pos < 8; pos++) {
    const idx = (pos * 256 + bytes[pos]!) * 2;
    a |= t[idx]!;
    b |= t[idx + 1]!;
  }
  return [a >>> 0, b >>> 0];
}

/** 16 round keys, each as eight 6-bit values. */
function keySchedule(key: Uint8Array): Uint8Array {
  const bit = (n: number): number => (key[(n - 1) >> 3]! >> (7 - ((n - 1) & 7))) & 1;
  const c: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < 28; i++) c.push(bit(PC1[i]!));
  for (let i = 28; i < 56; i++) d.push(bit(PC1[i]!));
  const out = new Uint8Array(16 * 8);
  for (let r = 0; r < 16; r++) {
    for (let s = 0; s < SHIFTS[r]!; s++) {
      c.push(c.shift()!);
      d.push(d.shift()!);
    }
    const cd = c.concat(d);
    for (let j = 0; j < 8; j++) {
      let v = 0;
      for (let b = 0; b < 6; b++) v = (v << 1) | cd[PC2[j * 6 + b]! - 1]!;
      out[r * 8 + j] = v;
    }
  }
  return out;
}

function desRounds(ks: Uint8Array, decrypt: boolean, l0: number, r0: number): [number, number] {
  let l = l0;
  let r = r0;
  for (let round = 0; round < 16; round++) {
    const k = (decrypt ? 15 - round : round) * 8;
    const x = ((r >>> 1) | (r << 31)) >>> 0;
    const f =
      SP[0]![((x >>> 26) & 63) ^ ks[k]!]! ^
      SP[1]![((x >>> 22) & 63) ^ ks[k + 1]!]! ^
      SP[2]![((x >>> 18) & 63) ^ ks[k + 2]!]! ^
      SP[3]![((x >>> 14) & 63) ^ ks[k + 3]!]! ^
      SP[4]![((x >>> 10) & 63) ^ ks[k + 4]!]! ^
      SP[5]![((x >>> 6) & 63) ^ ks[k + 5]!]! ^
      SP[6]![((x >>> 2) & 63) ^ ks[k + 6]!]! ^
      SP[7]![(((r << 1) | (r >>> 31)) & 63) ^ ks[k + 7]!]!;
    const t = r;
    r = (l ^ f) >>> 0;
    l = t;
  }
  // The last round is not swapped.
  return [r, l];
}

function readBlock(b: Uint8Array, off: number): [number, number] {
  return [
    ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0,
    ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0,
  ];
}

function writeBlock(out: Uint8Array, off: number, hi: number, lo: number): void {
  out[off] = hi >>> 24;
  out[off + 1] = hi >>> 16;
  out[off + 2] = hi >>> 8;
  out[off + 3] = hi;
  out[off + 4] = lo >>> 24;
  out[off + 5] = lo >>> 16;
  out[off + 6] = lo >>> 8;
  out[off + 7] = lo;
}

/**
 * DES (8-byte key) or 3DES-EDE (16- or 24-byte key; a 16-byte key means
 * K3 = K1) as a block cipher. Parity bits are ignored.
 */
export function createDes(key: Uint8Array): BlockCipher {
  let keys: Uint8Array[];
  if (key.length === 8) keys = [keySchedule(key)];
  else if (key.length === 16 || key.length === 24) {
    const k1 = keySchedule(key.subarray(0, 8));
    const k2 = keySchedule(key.subarray(8, 16));
    const k3 = key.length === 24 ? keySchedule(key.subarray(16, 24)) : k1;
    keys = [k1, k2, k3];
  } else {
    throw new ArgumentError('bad-key-length', `DES keys are 8, 16 or 24 bytes, not ${key.length}`);
  }
  const { ip: IP_T, fp: FP_T } = permutationTablesOnce();
  const crypt = (decrypt: boolean, input: Uint8Array, inOff: number, output: Uint8Array, outOff: number): void => {
    let [hi, lo] = permute(IP_T, ...readBlock(input, inOff));
    if (keys.length === 1) {
      [hi, lo] = desRounds(keys[0]!, decrypt, hi, lo);
    } else if (!decrypt) {
      [hi, lo] = desRounds(keys[0]!, false, hi, lo);
      [hi, lo] = desRounds(keys[1]!, true, hi, lo);
      [hi, lo] = desRounds(keys[2]!, false, hi, lo);
    } else {
      [hi, lo] = desRounds(keys[2]!, true, hi, lo);
      [hi, lo] = desRounds(keys[1]!, false, hi, lo);
      [hi, lo] = desRounds(keys[0]!, true, hi, lo);
    }
    // IP and FP cancel between the three DES operations, so they are applied once.
    [hi, lo] = permute(FP_T, hi, lo);
    writeBlock(output, outOff, hi, lo);
  };
  return {
    blockSize: 8,
    encryptBlock: (i, io, o, oo) => crypt(false, i, io, o, oo),
    decryptBlock: (i, io, o, oo) => crypt(true, i, io, o, oo),
  };
}
