import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GrowingBytes,
  base64Bytes,
  bytesEqual,
  concatBytes,
  fromBase64,
  latin1,
  portableBase64Bytes,
  portableFromBase64,
  toBase64,
  toBase64Lines,
  toBytes,
  toHex,
} from '../../src/util/bytes.js';

const nodeB64 = (d: Uint8Array) => Buffer.from(d).toString('base64');

/** `d` as a view starting `offset` bytes into a larger buffer. */
function concatOffset(d: Uint8Array, offset: number): Uint8Array {
  const backing = new Uint8Array(d.length + offset + 3).fill(0xaa);
  backing.set(d, offset);
  return backing.subarray(offset, offset + d.length);
}

describe('base64', () => {
  it('matches Node for every tail length, flat and wrapped at 76 with CRLF after every line', () => {
    for (const n of [0, 1, 2, 3, 56, 57, 58, 114, 1000, 1001, 1002]) {
      const data = new Uint8Array(n).map((_, i) => (i * 7 + 3) & 0xff);
      const flat = nodeB64(data);
      expect(toBase64(data)).toBe(flat);
      const wrapped =
        flat
          .match(/.{1,76}/g)
          ?.map((l) => `${l}\r\n`)
          .join('') ?? '';
      expect(latin1(base64Bytes(data, 76))).toBe(wrapped);
      expect(toBase64Lines(data, 64, '\n')).toBe(flat.match(/.{1,64}/g)?.join('\n') ?? '');
    }
  });
  it('the native (Node Buffer) and portable encoders write the same bytes, flat and wrapped (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1000, maxLength: 5000 }),
        fc.constantFrom(0, 64, 76, 77),
        fc.nat(7),
        (d, width, offset) => {
          // An offset view: the native path must encode the view, not its whole buffer.
          const view = concatOffset(d, offset);
          const fast = base64Bytes(view, width);
          expect(fast.constructor).toBe(Uint8Array);
          expect(latin1(fast)).toBe(latin1(portableBase64Bytes(view, width)));
        },
      ),
      { numRuns: 300 },
    );
  });
  it('with a prefix, both encoders write the prefix and then exactly the encoding without it (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom(0, 76, 77),
        (prefix, d, width) => {
          const expected = latin1(concatBytes(...prefix)) + latin1(portableBase64Bytes(d, width));
          expect(latin1(base64Bytes(d, width, prefix))).toBe(expected);
          expect(latin1(portableBase64Bytes(d, width, prefix))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('the native encoder works in blocks: a 300 KB input crosses several, byte-identical to the portable one', () => {
    const big = new Uint8Array(300_001).map((_, i) => (i * 2654435761) >>> 24);
    for (const width of [0, 76, 64])
      expect(latin1(base64Bytes(big, width))).toBe(latin1(portableBase64Bytes(big, width)));
  });
  it('decodes long input natively exactly as the strict decoder does: whitespace, padding, url alphabet, junk (fast-check)', () => {
    const outcome = (f: () => Uint8Array) => {
      try {
        return Buffer.from(f()).toString('hex');
      } catch (e) {
        return `error ${(e as { code?: string }).code}`;
      }
    };
    const noise = fc.constantFrom('', '\r\n', '\n', ' ', '\t', '=', '==', '===', '-', '_', '!', 'A', '\u00e9');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 760, maxLength: 1500 }), noise, noise, fc.nat(2000), (d, a, b, at) => {
        const clean = toBase64Lines(d, 64, '\n');
        const cut = at % (clean.length + 1);
        const text = clean.slice(0, cut) + a + clean.slice(cut) + b;
        const native = outcome(() => fromBase64(text));
        expect(native).toBe(outcome(() => portableFromBase64(text)));
        // and the fast path really is taken for the plain case: the same bytes as Node's decoder
        if (a === '' && b === '') expect(native).toBe(Buffer.from(d).toString('hex'));
      }),
      { numRuns: 500 },
    );
  });
  it('round-trips random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (d) => {
        expect(fromBase64(toBase64(d))).toEqual(d);
      }),
    );
  });
  it('encodes 30 MB quickly (no string building per byte)', () => {
    const big = new Uint8Array(30 * 1024 * 1024);
    const started = performance.now();
    const out = base64Bytes(big, 76);
    expect(out.length).toBeGreaterThan(40 * 1024 * 1024);
    expect(performance.now() - started).toBeLessThan(3000);
  });
  it('toBytes turns Buffers into plain Uint8Array views', () => {
    const b = toBytes(Buffer.from([1, 2, 3]));
    expect(b.constructor).toBe(Uint8Array);
  });
});

describe('bytesEqual', () => {
  it('agrees with a byte-by-byte comparison below and above the native threshold, views at any offset (fast-check)', () => {
    const pair = fc.uint8Array({ maxLength: 200 }).chain((a) =>
      fc.tuple(
        fc.constant(a),
        fc.oneof(
          fc.constant(a.slice()),
          fc.nat({ max: Math.max(0, a.length - 1) }).map((i) => {
            const b = a.slice();
            if (b.length) b[i]! ^= 1;
            return b;
          }),
          fc.uint8Array({ maxLength: 200 }),
        ),
        fc.nat({ max: 7 }),
      ),
    );
    fc.assert(
      fc.property(pair, ([a, b, offset]) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(bytesEqual(concatOffset(a, offset), b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('huge values never overflow the stack', () => {
  it('a 200 KB time value is malformed-der; a 200 KB name attribute decodes', async () => {
    const { derTime, tlv: encodeTlv, derParse: readRoot } = await import('../../src/asn1/index.js');
    const big = encodeTlv(0x17, new Uint8Array(200_000).fill(0x31));
    expect(() => derTime(readRoot(big))).toThrow(expect.objectContaining({ code: 'malformed-der' }));
    const { parseName } = await import('../../src/x509/index.js');
    const value = encodeTlv(0x13, new Uint8Array(200_000).fill(0x41));
    const atv = encodeTlv(0x30, Uint8Array.from([...[0x06, 0x03, 0x55, 0x04, 0x03], ...value]));
    const name = encodeTlv(0x30, encodeTlv(0x31, atv));
    expect(parseName(readRoot(name))[0]![0]!.value).toHaveLength(200_000);
  });
});

describe('ASN.1 times', () => {
  const time = async (tag: number, text: string) => {
    const { derTime, tlv: encodeTlv, derParse: readRoot } = await import('../../src/asn1/index.js');
    const der = encodeTlv(tag, new TextEncoder().encode(text));
    return derTime(readRoot(der));
  };
  it('UTCTime 49/50 boundary, GeneralizedTime years below 100, leap days', async () => {
    expect((await time(0x17, '491231235959Z')).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect((await time(0x17, '500101000000Z')).toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect((await time(0x18, '00050101000000Z')).getUTCFullYear()).toBe(5);
    expect((await time(0x18, '20240229120000Z')).toISOString()).toBe('2024-02-29T12:00:00.000Z');
  });
  it('any valid GeneralizedTime or UTCTime, with any offset, is the instant Date.UTC gives', async () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          year: fc.integer({ min: 0, max: 9999 }),
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.integer({ min: 1, max: 31 }),
          hour: fc.integer({ min: 0, max: 23 }),
          minute: fc.integer({ min: 0, max: 59 }),
          second: fc.integer({ min: 0, max: 60 }),
          offset: fc.option(fc.integer({ min: -1439, max: 1439 })),
          utc: fc.boolean(),
        }),
        async ({ year, month, day, hour, minute, second, offset, utc }) => {
          const y = utc ? 1950 + (year % 100) : year;
          const lastDay = new Date(Date.UTC(2000, month, 0)).getUTCDate();
          const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
          fc.pre(day <= (month === 2 && !leap ? 28 : lastDay));
          const zone =
            offset === null
              ? 'Z'
              : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60), 2)}${pad(Math.abs(offset) % 60, 2)}`;
          const fields = `${pad(month, 2)}${pad(day, 2)}${pad(hour, 2)}${pad(minute, 2)}${pad(second, 2)}${zone}`;
          const text = utc ? `${pad(y % 100, 2)}${fields}` : `${pad(y, 4)}${fields}`;
          const expected = new Date(Date.UTC(2000, month - 1, day, hour, minute, Math.min(second, 59)));
          expected.setUTCFullYear(y);
          const ms = expected.getTime() - (offset ?? 0) * 60_000;
          expect((await time(utc ? 0x17 : 0x18, text)).getTime(), text).toBe(ms);
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('out-of-range fields are malformed, not rolled over', async () => {
    for (const bad of ['20231301000000Z', '20230230000000Z', '20230229000000Z', '20230101240000Z', '20230101006000Z']) {
      await expect(time(0x18, bad)).rejects.toMatchObject({ code: 'malformed-der' });
    }
  });
});

describe('latin1 and toHex', () => {
  const oracle = (d: Uint8Array) => Buffer.from(d).toString('latin1');
  it('is one char per byte for any bytes and any length, a BOM and U+FFFD-looking bytes included', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    const ascii = new Uint8Array(100).fill(0x41);
    // A leading UTF-8 BOM must stay three chars (a decoder dropping it made "ASCII" of it once).
    expect(latin1(concatBytes(bom, ascii))).toBe(oracle(concatBytes(bom, ascii)));
    expect(latin1(concatBytes(ascii, Uint8Array.of(0x80), ascii))).toBe(
      oracle(concatBytes(ascii, Uint8Array.of(0x80), ascii)),
    );
    // 8-bit bytes only past the first KiB: the native decoding is tried, and its regular expression must notice.
    const late = concatBytes(
      new Uint8Array(3000).fill(0x61),
      Uint8Array.of(0xc3, 0xa9),
      bom,
      Uint8Array.of(0x80, 0xff, 0x7f),
      ascii,
    );
    expect(latin1(late)).toBe(oracle(late));
    // …also when they are valid UTF-8 for a Latin-1 letter (C3 A9 decodes to é, U+00E9).
    const utf8Late = concatBytes(new Uint8Array(3000).fill(0x61), Uint8Array.of(0xc3, 0xa9), ascii);
    expect(latin1(utf8Late)).toBe(oracle(utf8Late));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.nat(1500), (d, sevenBit, lead) => {
        const bytes = concatBytes(new Uint8Array(lead).fill(0x20), sevenBit ? d.map((b) => b & 0x7f) : d);
        expect(latin1(bytes)).toBe(oracle(bytes));
      }),
    );
  });
  it('toHex matches Node for every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
    expect(toHex(new Uint8Array(0))).toBe('');
  });
});

describe('GrowingBytes', () => {
  it('gathers what concatBytes joins, whatever the chunks, and never writes into a chunk it was given', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 20 }), (chunks) => {
        const copies = chunks.map((c) => c.slice());
        const gathered = new GrowingBytes();
        for (const c of chunks) gathered.append(c);
        expect(gathered.length).toBe(chunks.reduce((n, c) => n + c.length, 0));
        expect(gathered.view()).toEqual(concatBytes(...chunks));
        chunks.forEach((c, i) => expect(c).toEqual(copies[i]));
      }),
      { numRuns: 300 },
    );
  });
});
