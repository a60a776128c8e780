/**
 * The Node Buffer fast paths of src/util/native-buffer.ts give what a plain loop gives, on both sides of the sizes
 * where they switch to the native code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteSearch, countLineEnds, findByte, forEachLf } from '../../src/util/native-buffer.js';

/** The first `needle` in `src[from, end)`, one position at a time. */
function naiveSearch(src: Uint8Array, needle: Uint8Array, from: number, end: number): number {
  outer: for (let i = from; i + needle.length <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (src[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Bytes from a small alphabet, so that the needle and near misses of it occur. */
const text = (maxLength: number) =>
  fc.array(fc.constantFrom(0x2d, 0x61, 0x62, 0x0d, 0x0a), { maxLength, size: 'max' }).map((a) => Uint8Array.from(a));

describe('byteSearch', () => {
  it('finds what a naive search finds, in short and long stretches, within [from, end)', () => {
    fc.assert(
      fc.property(
        text(6000),
        text(6).filter((n) => n.length > 0),
        fc.nat(),
        fc.nat(),
        fc.nat(8),
        (body, needle, a, b, offset) => {
          // A view at an offset into a larger buffer: the native search must honour byteOffset.
          const backing = new Uint8Array(body.length + offset);
          backing.set(body, offset);
          const src = backing.subarray(offset);
          const end = body.length === 0 ? 0 : b % (body.length + 1);
          const from = end === 0 ? 0 : a % (end + 1);
          expect(byteSearch(needle)(src, from, end)).toBe(naiveSearch(src, needle, from, end));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a long body of the needle’s first byte, and a match that runs past end, are not matches', () => {
    const needle = Uint8Array.from('--boundary', (c) => c.charCodeAt(0));
    const body = new Uint8Array(100_000).fill(0x2d);
    body.set(needle.subarray(0, 5), 99_995);
    const search = byteSearch(needle);
    expect(search(body, 0, body.length)).toBe(-1);
    body.set(needle, 50_000);
    expect(search(body, 0, body.length)).toBe(50_000);
    expect(search(body, 0, 50_009)).toBe(-1);
    expect(search(body, 50_001, body.length)).toBe(-1);
  });
});

describe('findByte and countLineEnds', () => {
  it('agree with indexOf and a count, below and above the native threshold', () => {
    fc.assert(
      fc.property(text(9000), (body) => {
        expect(findByte(body, 0x0a)).toBe(body.indexOf(0x0a));
        expect(countLineEnds(body)).toBe(body.filter((c) => c === 0x0a || c === 0x0d).length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('forEachLf', () => {
  /** Lines of random lengths: runs of short ones (the word-scan fallback) and long ones (a search per line). */
  const lines = fc
    .array(fc.tuple(fc.oneof(fc.nat(3), fc.integer({ min: 30, max: 400 })), fc.constantFrom('\n', '\r\n', '\r')), {
      maxLength: 400,
      size: 'max',
    })
    .map((ls) => Uint8Array.from(ls.flatMap(([n, end]) => [...'x'.repeat(n), ...end].map((c) => c.charCodeAt(0)))));

  it('visits every LF in order, as a loop over every byte does, and stops when told (fast-check)', () => {
    fc.assert(
      fc.property(lines, fc.nat(8), fc.nat(), (body, offset, stopAfter) => {
        const backing = new Uint8Array(body.length + offset);
        backing.set(body, offset);
        const src = backing.subarray(offset);
        const expected: number[] = [];
        for (let i = 0; i < src.length; i++) if (src[i] === 0x0a) expected.push(i);
        const seen: number[] = [];
        forEachLf(src, (i) => void seen.push(i));
        expect(seen).toEqual(expected);
        const stop = expected.length ? stopAfter % expected.length : 0;
        const until: number[] = [];
        forEachLf(src, (i) => until.push(i) > stop);
        expect(until).toEqual(expected.slice(0, stop + 1));
      }),
      { numRuns: 300 },
    );
  });
});
