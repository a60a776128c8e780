/**
 * INTEGER and string decoding on the inputs the fuzzer found slow or throwing: a 64 KB INTEGER decodes in linear
 * time (it took seconds when decoded byte by byte), a UniversalString past U+10FFFF reads as U+FFFD; and the form
 * check the streaming differential test found missing (a ContentInfo whose OID had the constructed bit was read).
 */
import { describe, expect, it } from 'vitest';
import { decodeInteger } from '../../src/asn1/index.js';
import { parseDistinguishedNameDer } from '../../src/x509/index.js';
import { tlv, seq, set, encodeOid, derParse, derIsUniversal, derExpect, TAG } from '../../src/asn1/index.js';

describe('decodeInteger', () => {
  it('decodes two’s complement of every length, short and long alike', () => {
    const cases: [number[], bigint][] = [
      [[], 0n],
      [[0x00], 0n],
      [[0x7f], 127n],
      [[0x80], -128n],
      [[0x00, 0x80], 128n],
      [[0xff, 0xff], -1n],
      [[0x01, 0, 0, 0, 0, 0, 0, 0, 0], 1n << 64n],
      [[0xff, 0, 0, 0, 0, 0, 0, 0, 0], -(1n << 64n)],
    ];
    for (const [bytes, value] of cases) expect(decodeInteger(Uint8Array.from(bytes)), bytes.join(',')).toBe(value);
  });

  it('a 64 KB INTEGER takes milliseconds, not seconds', () => {
    const bytes = new Uint8Array(65_536).fill(0x5a);
    bytes[0] = 0x12;
    const started = performance.now();
    const value = decodeInteger(bytes);
    expect(performance.now() - started).toBeLessThan(200);
    expect(value.toString(16)).toBe('12' + '5a'.repeat(65_535));
    bytes[0] = 0x92;
    expect(decodeInteger(bytes)).toBe(BigInt(`0x92${'5a'.repeat(65_535)}`) - (1n << BigInt(65_536 * 8)));
  });
});

describe('UniversalString in names', () => {
  it('reads code points past U+10FFFF and surrogates as U+FFFD instead of throwing', () => {
    const value = Uint8Array.of(0, 0, 0, 0x41, 0x73, 0x6d, 0x69, 0x6d, 0, 0, 0xd8, 0x00, 0, 0x01, 0xf6, 0x00);
    const name = seq(set(seq(encodeOid('2.5.4.3'), tlv(0x1c, value))));
    expect(parseDistinguishedNameDer(name).text).toBe('CN=A\uFFFD\uFFFD\u{1F600}');
  });
});

describe('derIsUniversal: a universal type in a form X.690 does not allow for it is not that type', () => {
  it('a constructed OBJECT IDENTIFIER or INTEGER and a primitive SEQUENCE are refused; BER strings may be either', () => {
    const oid = encodeOid('1.2.840.113549.1.7.3');
    const constructedOid = Uint8Array.from(oid);
    constructedOid[0] = 0x26;
    expect(derIsUniversal(derParse(oid), TAG.OID)).toBe(true);
    expect(derIsUniversal(derParse(constructedOid), TAG.OID)).toBe(false);
    expect(() => derExpect(derParse(constructedOid), TAG.OID, 'contentType')).toThrow(/unexpected ASN.1 tag/);
    expect(derIsUniversal(derParse(Uint8Array.of(0x22, 0x03, 0x02, 0x01, 0x05)), TAG.INTEGER)).toBe(false);
    expect(derIsUniversal(derParse(Uint8Array.of(0x10, 0x00)), TAG.SEQUENCE)).toBe(false);
    expect(derIsUniversal(derParse(Uint8Array.of(0x30, 0x00)), TAG.SEQUENCE)).toBe(true);
    // A constructed OCTET STRING is BER (CMS content in pieces): still an OCTET STRING.
    expect(derIsUniversal(derParse(Uint8Array.of(0x24, 0x03, 0x04, 0x01, 0x61)), TAG.OCTET_STRING)).toBe(true);
  });
});
