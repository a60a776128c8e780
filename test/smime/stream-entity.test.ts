/**
 * The streamed base64 body writer: whatever the chunking of its input (a BER header of two bytes, a ciphertext
 * block of 64 KiB, lines split anywhere), it writes exactly what `base64Bytes(all, 76)` writes for the whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64LinesStream } from '../../src/smime/stream-entity.js';
import { base64Bytes, concatBytes, latin1 } from '../../src/util/bytes.js';

async function collect(source: AsyncGenerator<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concatBytes(...parts);
}

async function* chunked(data: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of cuts) {
    const end = Math.min(data.length, at + cut);
    yield data.subarray(at, end);
    at = end;
  }
  if (at < data.length) yield data.subarray(at);
}

describe('base64LinesStream', () => {
  it('writes the same lines as the buffered encoder for any chunking, empty chunks included (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 50, max: 120 }), fc.nat(1200))),
        async (data, cuts) => {
          const streamed = await collect(base64LinesStream(chunked(data, cuts)));
          expect(latin1(streamed)).toBe(latin1(base64Bytes(data, 76)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('encodes large chunks natively and stays identical (a 300 KB chunk after a two-byte one)', async () => {
    const data = new Uint8Array(300_002).map((_, i) => (i * 2654435761) >>> 24);
    const streamed = await collect(base64LinesStream(chunked(data, [2, 300_000])));
    expect(latin1(streamed)).toBe(latin1(base64Bytes(data, 76)));
  });
});
