/**
 * The streamed 7-bit check (what a detached signature needs of a body it writes as it is) against its one-rule-per-
 * byte definition: the same first finding, reason and offset, however the stream is cut into chunks.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { SevenBitScanner, type SevenBitFinding } from '../../src/mime/seven-bit.js';
import { sevenBitCheckStream } from '../../src/mime/stream.js';
import { chunked } from '../helpers/streams.js';
import { iterateBytes } from '../../src/util/byte-source.js';
import { concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';
import { toCrlf } from '../../src/mime/canonical.js';

/** The first finding by the rules, one byte at a time, in the body as given (a LF alone ends a line too). */
function reference(b: Uint8Array, lineEnds: 'convert' | 'finding' = 'convert'): SevenBitFinding | undefined {
  let lineStart = 0;
  let counted = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (i === lineStart && latin(b, i, 5) === 'From ') return { reason: 'from-line', offset: i };
    if (c === 0) return { reason: 'nul', offset: i };
    if (c >= 0x80) return { reason: '8bit', offset: i };
    if (c === 0x0d && b[i + 1] !== 0x0a) return { reason: 'bare-cr', offset: i };
    if (c === 0x0a) {
      if (lineEnds === 'finding' && b[i - 1] !== 0x0d) return { reason: 'bare-lf', offset: i };
      lineStart = i + 1;
      counted = 0;
    } else if (c !== 0x0d && ++counted > 998) return { reason: 'long-line', offset: i };
  }
  return undefined;
}

const latin = (b: Uint8Array, at: number, n: number): string => Buffer.from(b.subarray(at, at + n)).toString('latin1');

/** Text with CRLF and LF line ends, "From " lines, stray CRs, NUL, 8-bit bytes and runs around 998 octets. */
const body = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('A', ' ', 'F', 'From ', 'Fro', '\r\n', '\n', 'x\r\nFrom ') },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.constantFrom(995, 997, 998, 999, 1000).map((n) => 'y'.repeat(n)) },
    ),
    { maxLength: 40 },
  )
  .map((parts) => fromLatin1(parts.join('')));

/** Cut points, as chunk sizes (the last one repeats). */
const cuts = fc.array(fc.integer({ min: 1, max: 1100 }), { minLength: 1, maxLength: 6 });

function scanAll(
  bytes: Uint8Array,
  sizes: number[],
  lineEnds: 'convert' | 'finding' = 'convert',
): SevenBitFinding | undefined {
  const scanner = new SevenBitScanner(lineEnds);
  let found: SevenBitFinding | undefined;
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = sizes[Math.min(k, sizes.length - 1)]!;
    const f = scanner.scan(bytes.subarray(at, at + n));
    if (f && found) throw new Error('a second finding');
    found ??= f;
    at += n;
  }
  const last = scanner.finish();
  if (last && found) throw new Error('a second finding');
  return found ?? last;
}

it('finds what the byte-by-byte definition finds, at the same offset, however the stream is chunked', () => {
  fc.assert(
    fc.property(body, cuts, fc.nat(3), fc.boolean(), (bytes, sizes, skip, convert) => {
      // Views that start mid-word: the word-at-a-time pass must cover unaligned heads and tails.
      const view = bytes.subarray(Math.min(skip, bytes.length));
      const lineEnds = convert ? 'convert' : 'finding';
      expect(scanAll(view, sizes, lineEnds)).toEqual(reference(view, lineEnds));
    }),
    { numRuns: 4000 },
  );
});

it('tests every position of a 32-bit word, in chunks at any alignment', () => {
  for (const bad of [0x00, 0x80, 0xff])
    for (let at = 0; at < 9; at++) {
      const data = new Uint8Array(48).fill(0x61);
      data[20 + at] = bad;
      const view = data.subarray(at % 4);
      expect(scanAll(view, [view.length]), `0x${bad.toString(16)} at ${at}`).toEqual({
        reason: bad === 0 ? 'nul' : '8bit',
        offset: 20 + at - (at % 4),
      });
    }
});

async function pass(source: ReadableStream<Uint8Array>, seen: SevenBitFinding[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of sevenBitCheckStream(iterateBytes(source), (f) => seen.push(f))) parts.push(chunk);
  return concatBytes(...parts);
}

it('sevenBitCheckStream passes every byte through and reports the first finding once', async () => {
  const text = fromLatin1(`ok line\r\n${'z'.repeat(998)}\r\nFrom me\r\nmore\r\n`);
  const seen: SevenBitFinding[] = [];
  const out = await pass(chunked(text, [5, 3]), seen);
  expect(Buffer.from(out).equals(Buffer.from(text))).toBe(true);
  expect(seen).toEqual([{ reason: 'from-line', offset: 9 + 1000 }]);
  const clean = fromLatin1(`Fro\r\nFrom\r\n${'z'.repeat(998)}\r\n >From\nlf\n\n`);
  const none: SevenBitFinding[] = [];
  // Bare LFs become CRLF as they pass, split between chunks or not.
  for (const sizes of [[1], [5, 3], [4096]])
    expect(latin1(await pass(chunked(clean, sizes), none))).toBe(latin1(toCrlf(clean)));
  expect(none).toEqual([]);
  await pass(chunked(fromLatin1('ends with a CR\r'), [3]), none);
  expect(none).toEqual([{ reason: 'bare-cr', offset: 14 }]);
});
