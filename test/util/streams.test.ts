/** The base64 decoding stream, against Buffer and fromBase64, with random chunking. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { base64Bytes, fromBase64 } from '../../src/util/bytes.js';
import { Base64StreamDecoder, base64DecodeStream } from '../../src/util/streams.js';

/** A stream of `bytes` in pieces whose sizes cycle through `sizes`. */
function piecesOf(bytes: Uint8Array, sizes: readonly number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) {
        c.close();
        return;
      }
      const n = Math.max(1, sizes[i++ % sizes.length]!);
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

async function chunksOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const next = await reader.read();
    if (next.done) return out;
    out.push(next.value);
  }
}

/** Buffer's base64 with CRLF after every 76 characters and after the last line (the MIME body form). */
function mimeBase64(data: Uint8Array, width = 76, eol = '\r\n'): string {
  const flat = Buffer.from(data).toString('base64');
  if (!flat) return '';
  if (width === 0) return flat;
  let out = '';
  for (let i = 0; i < flat.length; i += width) out += flat.slice(i, i + width) + eol;
  return out;
}

/** Everything a stream yields, joined. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(Buffer.concat(await chunksOf(stream)));
}
const ascii = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

describe('Base64StreamDecoder (synchronous use)', () => {
  it('push / finish round trip base64Bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), fc.integer({ min: 1, max: 200 }), (data, size) => {
        const decoder = new Base64StreamDecoder();
        const joined = base64Bytes(data, 76);
        const back: Uint8Array[] = [];
        for (let at = 0; at < joined.length; at += size) back.push(decoder.push(joined.subarray(at, at + size)));
        decoder.finish();
        expect(Buffer.concat(back)).toEqual(Buffer.from(data));
      }),
      { numRuns: 200 },
    );
  });
});

describe('base64DecodeStream', () => {
  const decode = async (text: string, sizes: number[]) =>
    readAll(piecesOf(ascii(text), sizes).pipeThrough(base64DecodeStream()));
  /** The stream decodes `text` in chunks of `sizes` as fromBase64 does: the same bytes, or the same error code. */
  const expectAsFromBase64 = async (text: string, sizes: number[]) => {
    let expected: Uint8Array | string;
    try {
      expected = fromBase64(text);
    } catch (e) {
      expected = (e as FormatError).code;
    }
    let got: Uint8Array | string;
    try {
      got = await decode(text, sizes);
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      got = (e as FormatError).code;
    }
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(Buffer.from(got as Uint8Array)).toEqual(Buffer.from(expected));
  };

  it('round trips with the encoder and decodes what fromBase64 decodes, in any chunking (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom('\r\n', '\n', ' \r\n\t'),
        fc.constantFrom(76, 64, 4, 0),
        async (data, sizes, eol, width) => {
          const text = mimeBase64(data, width, eol);
          expect(Buffer.from(await decode(text, sizes))).toEqual(Buffer.from(data));
          const unpadded = text.replace(/=/g, '');
          expect(Buffer.from(await decode(unpadded, sizes))).toEqual(Buffer.from(fromBase64(unpadded)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with fromBase64 on arbitrary text: same bytes, or both refuse with bad-base64 (fast-check)', async () => {
    const alphabet = 'AQgw/+=\r\n -_*.Zz09'.split('');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }).map((a) => a.join('')),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
        async (text, sizes) => {
          await expectAsFromBase64(text, sizes);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('large chunks (the native decoder for whole groups) decode and refuse as fromBase64 does, junk anywhere (fast-check)', async () => {
    const junk = fc.constantFrom(' ', '\t', '*', '-', '_', '=', '\r\n', 'A', '\u0080');
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 3000, maxLength: 16000 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('\r\n', '\n'),
        fc.array(fc.tuple(fc.nat(), junk), { maxLength: 2 }),
        async (data, sizes, eol, insertions) => {
          let text = mimeBase64(data, 76, eol);
          for (const [at, j] of insertions) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + j + text.slice(i);
          }
          await expectAsFromBase64(
            text,
            sizes.map((n) => n + 4000),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['an invalid character', 'QUJD\r\nR*VG', 7],
    ['data after padding', 'QUI=QUJD', 4],
    ['data after padding in a later chunk', 'QQ==\r\n\r\nQQ==', 8],
  ])('refuses %s with bad-base64 and the offset', async (_, text, offset) => {
    for (const sizes of [[1], [3], [100]]) {
      const error = await decode(text, sizes).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).code).toBe('bad-base64');
      expect((error as FormatError).offset).toBe(offset);
    }
  });

  it('refuses a dangling character and too much padding at the end', async () => {
    for (const text of ['QUJDR', 'QQ===', 'Q']) {
      const error = await decode(text, [2]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).code).toBe('bad-base64');
    }
    expect(await decode('', [1])).toHaveLength(0);
    expect(await decode('QQ', [1])).toEqual(Uint8Array.of(0x41));
  });
});

describe('throughput', () => {
  it('base64 decodes 32 MB at a useful speed', async () => {
    const data = new Uint8Array(32 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 97) data[i] = i & 0xff;
    const text = base64Bytes(data, 76);
    const t = performance.now();
    const back = await readAll(piecesOf(text, [64 * 1024]).pipeThrough(base64DecodeStream()));
    const decodeSeconds = (performance.now() - t) / 1000;
    expect(back.length).toBe(data.length);
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
    expect(32 / decodeSeconds).toBeGreaterThan(20);
  });
});

describe('base64DecodeStream({ mimeBody: true }): a MIME body, as decodeBase64Body reads one', () => {
  const decodeBody = async (text: Uint8Array, sizes: number[]) =>
    readAll(piecesOf(text, sizes).pipeThrough(base64DecodeStream({ mimeBody: true })));
  /** The same bytes as decodeBase64Body, or the same error code. */
  const outcome = async (f: () => Promise<Uint8Array> | Uint8Array): Promise<string> => {
    try {
      return Buffer.from(await f()).toString('hex');
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      return `error ${e.code}`;
    }
  };

  it('skips characters outside the alphabet (form feed, url alphabet), stops at the first =', async () => {
    expect(Buffer.from(await decodeBody(ascii('QUJD\fREVG-_\r\n'), [3])).toString()).toBe('ABCDEF');
    expect(Buffer.from(await decodeBody(ascii('QUI=\x0c\r\nQUJD garbage after the end'), [2])).toString()).toBe('AB');
    await expect(decodeBody(ascii('QUJDR'), [1])).rejects.toMatchObject({ code: 'malformed-mime' });
    // In a chunk long enough for Node's decoder, which would read '-' and '_' as the url alphabet.
    const long = mimeBase64(new Uint8Array(6000).fill(0x41));
    const stray = long.slice(0, 3000) + '-_' + long.slice(3000);
    expect(await decodeBody(ascii(stray), [8000])).toEqual(new Uint8Array(6000).fill(0x41));
  });

  it('gives what decodeBase64Body gives for any text and chunking, native path included (fast-check)', async () => {
    const { decodeBase64Body } = await import('../../src/mime/transfer-encoding.js');
    const piece = fc.oneof(
      // Whole groups mostly (no padding): the chunks that Node's decoder takes.
      {
        weight: 8,
        arbitrary: fc.uint8Array({ maxLength: 3000 }).map((d) => mimeBase64(d.subarray(0, d.length - (d.length % 3)))),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((d) => mimeBase64(d)) },
      { weight: 1, arbitrary: fc.constantFrom('=', '==', '\f', '-', '_', ' ', '\t', '\x00', '\xff', '*', 'Q') },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 4 }),
        async (pieces, sizes) => {
          const text = ascii(pieces.join(''));
          expect(await outcome(() => decodeBody(text, sizes))).toBe(await outcome(() => decodeBase64Body(text)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
