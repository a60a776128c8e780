import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FormatError,
  LimitError,
  parseSst,
  serializeSst,
  SmimeError,
  type SstEntry,
  type SstStore,
} from '../../src/index.js';
import { describeVectors, readShared } from '../helpers/vectors.js';

const HEADER = [0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54];
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const element = (id: number, value: number[], enc = 1) => [...u32(id), ...u32(enc), ...u32(value.length), ...value];
const END = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const file = (...parts: number[][]) => Uint8Array.from(parts.flat());
const CERT = [0x30, 0x03, 0x02, 0x01, 0x01]; // not a real certificate: the container does not care

function codeOf(fn: () => unknown): { code: string; offset?: number } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SmimeError);
    return { code: (e as SmimeError).code, offset: (e as FormatError).offset };
  }
  throw new Error('expected an error');
}

describe('parseSst: what Windows tolerates', () => {
  it('reads an empty store (20 bytes)', () => {
    const s = parseSst(file(HEADER, END));
    expect(s).toEqual({ certificates: [], crls: [], ctls: [] });
    expect(serializeSst(s)).toEqual(file(HEADER, END));
  });
  it('reads a context without properties, zero-length and unknown properties, duplicates', () => {
    const bytes = file(
      HEADER,
      element(0x8001, [1, 2]),
      element(126, []),
      element(11, [0x41, 0, 0, 0]),
      element(11, [0x42, 0, 0, 0]),
      element(32, CERT),
      element(32, CERT),
      END,
    );
    const s = parseSst(bytes);
    expect(s.certificates).toHaveLength(2);
    expect(s.certificates[0]!.properties.map((p) => p.id)).toEqual([0x8001, 126, 11, 11]);
    expect(s.certificates[1]!.properties).toEqual([]);
    expect(serializeSst(s)).toEqual(bytes);
  });
  it('keeps bytes after the end marker and the interleaving of certificates, CRLs and CTLs', () => {
    const bytes = file(
      HEADER,
      element(33, CERT),
      element(3, new Array(20).fill(7)),
      element(32, CERT),
      element(34, CERT),
      element(32, CERT),
      END,
      [9, 9, 9],
    );
    const s = parseSst(bytes);
    expect([s.certificates.length, s.crls.length, s.ctls.length]).toEqual([2, 1, 1]);
    expect(Array.from(s.trailingBytes!)).toEqual([9, 9, 9]);
    expect(serializeSst(s)).toEqual(bytes);
  });
  it('does not alter or keep references that change the input', () => {
    const bytes = file(HEADER, element(11, [0x41, 0, 0, 0]), element(32, CERT), END);
    const copy = bytes.slice();
    const s = parseSst(bytes);
    serializeSst(s);
    expect(bytes).toEqual(copy);
  });
  it('writes entries added to a parsed store after the existing ones, certificates before CRLs', () => {
    const s = parseSst(file(HEADER, element(32, CERT), END));
    const added: SstEntry[] = [
      { kind: 'crl', der: Uint8Array.from([0x30, 0x00]), properties: [] },
      { kind: 'certificate', der: Uint8Array.from([0x30, 0x01, 0x05]), properties: [] },
    ];
    s.crls.push(added[0]!);
    s.certificates.push(added[1]!);
    const again = parseSst(serializeSst(s));
    expect(again.certificates.map((e) => e.position)).toEqual([0, 1]);
    expect(again.crls.map((e) => e.position)).toEqual([2]);
  });
});

describe('parseSst: errors with codes and offsets', () => {
  const cases: Array<[string, Uint8Array, string, number]> = [
    ['7 bytes', file(HEADER.slice(0, 7)), 'sst-truncated-header', 0],
    ['wrong magic', file([0, 0, 0, 0, 0x43, 0x45, 0x52, 0x55], END), 'sst-bad-magic', 0],
    ['version 1', file([1, 0, 0, 0, 0x43, 0x45, 0x52, 0x54], END), 'sst-bad-magic', 0],
    ['header only', file(HEADER), 'sst-missing-end-marker', 8],
    ['truncated element header', file(HEADER, [32, 0, 0]), 'sst-truncated-element', 8],
    [
      'length beyond the file',
      file(HEADER, [...u32(32), ...u32(1), ...u32(0xffffffff)], END),
      'sst-element-overrun',
      8,
    ],
    ['encoding type 2', file(HEADER, element(32, CERT, 2), END), 'sst-bad-encoding-type', 8],
    [
      'encoding type 0 on a property',
      file(HEADER, element(11, [0, 0], 0), element(32, CERT), END),
      'sst-bad-encoding-type',
      8,
    ],
    ['id above 0xFFFF', file(HEADER, element(0x10020, CERT), END), 'sst-bad-element-id', 8],
    ['bad end marker', file(HEADER, [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), 'sst-bad-end-marker', 8],
    ['empty certificate', file(HEADER, element(32, []), END), 'sst-empty-context', 8],
    ['reserved element 35', file(HEADER, element(35, [1]), END), 'sst-unsupported-element', 8],
    [
      'property after the last context',
      file(HEADER, element(32, CERT), element(11, [0, 0]), END),
      'sst-dangling-properties',
      25,
    ],
    ['missing end marker after a certificate', file(HEADER, element(32, CERT)), 'sst-missing-end-marker', 25],
  ];
  it.each(cases)('%s', (_name, bytes, code, offset) => {
    expect(codeOf(() => parseSst(bytes))).toEqual({ code, offset });
  });
  it('applies configurable limits', () => {
    const bytes = file(HEADER, element(32, CERT), element(32, CERT), END);
    expect(() => parseSst(bytes, { maxElements: 2 })).toThrow(LimitError);
    expect(codeOf(() => parseSst(bytes, { maxElementSize: 4 })).code).toBe('sst-limit-exceeded');
    expect(codeOf(() => parseSst(bytes, { maxFileSize: 10 })).code).toBe('sst-limit-exceeded');
  });
  it('names what the bytes look like instead', () => {
    expect(() => parseSst(new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n'))).toThrow(/PEM/);
    expect(() => parseSst(Uint8Array.from([0x30, 0x82, 1, 0, 0, 0, 0, 0]))).toThrow(/DER|PKCS#7/);
  });
  it('rejects non-bytes with a typed error', () => {
    expect(codeOf(() => parseSst('CERT' as unknown as Uint8Array)).code).toBe('bad-argument');
  });
  it('serializeSst refuses entries it cannot write', () => {
    const bad: SstStore = {
      certificates: [{ kind: 'certificate', der: new Uint8Array(), properties: [] }],
      crls: [],
      ctls: [],
    };
    expect(codeOf(() => serializeSst(bad)).code).toBe('bad-argument');
    const badId: SstStore = {
      certificates: [{ kind: 'certificate', der: Uint8Array.of(1), properties: [{ id: 32, value: new Uint8Array() }] }],
      crls: [],
      ctls: [],
    };
    expect(codeOf(() => serializeSst(badId)).code).toBe('bad-argument');
  });
});

const arbProperty = fc.record({
  id: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 64, max: 0xffff })),
  value: fc.uint8Array({ maxLength: 40 }),
});
const arbEntry = fc.record({
  kind: fc.constantFrom('certificate' as const, 'crl' as const, 'ctl' as const),
  der: fc.uint8Array({ minLength: 1, maxLength: 80 }),
  properties: fc.array(arbProperty, { maxLength: 5 }),
});

describe('property-based', () => {
  it('random stores round-trip through serialize → parse → serialize', () => {
    fc.assert(
      fc.property(
        fc.array(arbEntry, { maxLength: 12 }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 10 }), { nil: undefined }),
        (entries, trailing) => {
          const store: SstStore = {
            certificates: entries.filter((e) => e.kind === 'certificate'),
            crls: entries.filter((e) => e.kind === 'crl'),
            ctls: entries.filter((e) => e.kind === 'ctl'),
            ...(trailing ? { trailingBytes: trailing } : {}),
          };
          const bytes = serializeSst(store);
          const parsed = parseSst(bytes);
          expect(parsed.certificates.map((e) => [e.der, e.properties])).toEqual(
            store.certificates.map((e) => [e.der, e.properties]),
          );
          expect(parsed.crls.map((e) => e.der)).toEqual(store.crls.map((e) => e.der));
          expect(parsed.ctls.map((e) => e.der)).toEqual(store.ctls.map((e) => e.der));
          expect(serializeSst(parsed)).toEqual(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('random bytes never throw anything but a SmimeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, withHeader) => {
        const bytes = withHeader ? file(HEADER, Array.from(tail)) : tail;
        try {
          parseSst(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(SmimeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describeVectors('property-based corruption of real files', () => {
  const files = ['wu-pinrules.sst', 'synthetic-mixed.sst', 'wu-disallowedcert.sst'];
  for (const name of files) {
    it(`${name}: flipped, truncated and spliced bytes end in a SmimeError or a store`, () => {
      const original = readShared('sst', name);
      const pristine = original.slice();
      const corruption = fc.oneof(
        fc.record({
          kind: fc.constant('flip' as const),
          at: fc.nat(original.length - 1),
          value: fc.integer({ min: 0, max: 255 }),
        }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(original.length - 1), value: fc.constant(0) }),
        fc.record({
          kind: fc.constant('length' as const),
          at: fc.nat(original.length - 1),
          value: fc.integer({ min: 0, max: 0xffffffff }),
        }),
      );
      fc.assert(
        fc.property(fc.array(corruption, { minLength: 1, maxLength: 4 }), (changes) => {
          let bytes = original.slice();
          for (const c of changes) {
            if (c.kind === 'flip') bytes[c.at % bytes.length] = c.value;
            else if (c.kind === 'truncate') bytes = bytes.slice(0, c.at % (bytes.length + 1));
            else if (bytes.length >= 4)
              new DataView(bytes.buffer).setUint32(Math.min(c.at, bytes.length - 4), c.value, true);
          }
          const snapshot = Buffer.from(bytes);
          const started = performance.now();
          try {
            const s = parseSst(bytes);
            expect(Buffer.from(serializeSst(s)).equals(Buffer.from(bytes))).toBe(true); // whatever parses must still round-trip
          } catch (e) {
            expect(e).toBeInstanceOf(SmimeError);
            expect((e as SmimeError).code).toMatch(/^sst-/);
          }
          expect(performance.now() - started).toBeLessThan(1000);
          expect(snapshot.equals(Buffer.from(bytes))).toBe(true); // the parser never alters its input
        }),
        { numRuns: 300 },
      );
      expect(Buffer.from(original).equals(Buffer.from(pristine))).toBe(true);
    });
  }
});
