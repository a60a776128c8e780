/** encodeTime (signingTime): the encoding RFC 5652 §11.3 asks for, read back by the DER reader, and refusals. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTime } from '../../src/cms/attributes.js';
import { derParse } from '../../src/asn1/read.js';
import { derTime } from '../../src/asn1/values.js';
import { latin1 } from '../../src/util/bytes.js';
import { SmimeError } from '../../src/errors.js';

/** The expected text, from toISOString: YYMMDDHHMMSSZ for 1950–2049, YYYYMMDDHHMMSSZ otherwise. */
function expectedText(date: Date): { tag: number; text: string } {
  const digits = date.toISOString().slice(0, 19).replace(/[-T:]/g, '');
  const y = date.getUTCFullYear();
  return y >= 1950 && y < 2050 ? { tag: 0x17, text: `${digits.slice(2)}Z` } : { tag: 0x18, text: `${digits}Z` };
}

describe('encodeTime', () => {
  it('UTCTime for 1950–2049 and GeneralizedTime otherwise, whole seconds, read back as the same second (fast-check)', () => {
    const dates = fc.date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    });
    const edges = fc.constantFrom(
      new Date('1949-12-31T23:59:59Z'),
      new Date('1950-01-01T00:00:00Z'),
      new Date('2049-12-31T23:59:59.999Z'),
      new Date('2050-01-01T00:00:00Z'),
      new Date('0999-02-28T09:08:07Z'),
    );
    fc.assert(
      fc.property(fc.oneof(dates, edges), (date) => {
        const der = encodeTime(date);
        const { tag, text } = expectedText(date);
        expect(der[0]).toBe(tag);
        expect(der[1]).toBe(text.length);
        expect(latin1(der.subarray(2))).toBe(text);
        expect(derTime(derParse(der)).getTime()).toBe(Math.floor(date.getTime() / 1000) * 1000);
      }),
      { numRuns: 3000 },
    );
  });

  it('an invalid date or a year past 9999 is bad-argument, not a crash', () => {
    for (const date of [new Date(NaN), new Date('+010000-01-01T00:00:00Z'), new Date('-000001-01-01T00:00:00Z')]) {
      expect(() => encodeTime(date)).toThrow(SmimeError);
      expect(() => encodeTime(date)).toThrow(expect.objectContaining({ code: 'bad-argument' }));
    }
  });
});
