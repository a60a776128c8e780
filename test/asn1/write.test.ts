/**
 * The DER writer: a structure of drafts written by one `tlv` is byte for byte the structure written level by level,
 * for any nesting and any lengths (short and long forms); `derEncode` writes a lone draft the same way.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { DerDraft, derEncode, derParse, draft, tlv, type DerPart } from '../../src/asn1/index.js';

interface Shape {
  identifier: number;
  children: (Shape | Uint8Array)[];
}

const leaf = fc.uint8Array({ maxLength: 300 });
const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.record({
    identifier: fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0x04, 0x80),
    children: fc.array(fc.oneof({ depthSize: 'small' }, leaf, tie('shape')), { maxLength: 5 }),
  }),
}));

/** Level by level: every TLV its own array, as nested tlv calls write it. */
function nested(s: Shape): Uint8Array {
  return tlv(s.identifier, ...s.children.map((c) => (c instanceof Uint8Array ? c : nested(c))));
}

function drafted(s: Shape): DerDraft {
  return draft(s.identifier, ...s.children.map((c): DerPart => (c instanceof Uint8Array ? c : drafted(c))));
}

it('drafts inside tlv write exactly what nested tlv calls write (fast-check)', () => {
  fc.assert(
    fc.property(shape, (s) => {
      const expected = nested(s);
      const asDraft = drafted(s);
      expect(asDraft.length).toBe(expected.length);
      expect(derEncode(asDraft)).toEqual(expected);
      expect(tlv(s.identifier, ...asDraft.parts)).toEqual(expected);
      expect(derParse(expected).end).toBe(expected.length);
    }),
    { numRuns: 500 },
  );
});

it('lengths cross into the long form where X.690 says: 127 short, 128 and 65,536 long', () => {
  for (const [n, header] of [
    [127, [0x04, 0x7f]],
    [128, [0x04, 0x81, 0x80]],
    [256, [0x04, 0x82, 0x01, 0x00]],
    [65536, [0x04, 0x83, 0x01, 0x00, 0x00]],
  ] as const) {
    const written = tlv(0x30, draft(0x04, new Uint8Array(n)));
    expect([...written.subarray(written.length - n - header.length, written.length - n)]).toEqual(header);
  }
});
