/**
 * Base64 body decoding (RFC 2045 §6.8 as receivers must): characters outside the alphabet skipped, decoding stopped
 * at the first `=`, a single leftover character refused. The decoder takes whole groups of four at once; the
 * one-character-at-a-time decoder it replaced is the oracle, on inputs full of line breaks, junk and padding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Body, encodeBase64Body } from '../../src/mime/index.js';
import { FormatError } from '../../src/errors.js';
import { fromLatin1 } from '../../src/util/bytes.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The reference: one character at a time. `undefined` where it must refuse (one character left over). */
function referenceDecode(bytes: Uint8Array): Uint8Array | undefined {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of bytes) {
    if (c === 0x3d) break;
    const v = ALPHABET.indexOf(String.fromCharCode(c));
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return bits === 6 ? undefined : Uint8Array.from(out);
}

function decodeOrRefusal(bytes: Uint8Array): Uint8Array | 'refused' {
  try {
    return decodeBase64Body(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).code).toBe('malformed-mime');
    return 'refused';
  }
}

describe('decodeBase64Body', () => {
  it('decodes what the character-at-a-time decoder decodes, with junk, line breaks and padding anywhere (fast-check)', () => {
    const alphabet = fc.constantFrom(...ALPHABET.split('').map((c) => c.charCodeAt(0)));
    const other = fc.constantFrom(0x0d, 0x0a, 0x20, 0x09, 0x3d, 0x2d, 0x5f, 0x21, 0x00, 0x80, 0xff, 0x2e);
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 25, arbitrary: alphabet }, other), { maxLength: 400 }),
        fc.integer({ min: 0, max: 3 }),
        (values, offset) => {
          const input = new Uint8Array(values.length + offset).subarray(offset);
          input.set(values);
          const expected = referenceDecode(input);
          expect(decodeOrRefusal(input)).toEqual(expected ?? 'refused');
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('decodes MIME bodies (CRLF or LF, any line length) of any bytes (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 80 }),
        (data, lf, width) => {
          const lines =
            encodeBase64Body(data)
              .replace(/\r\n/g, '')
              .match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
          const body = fromLatin1(lines.join(lf ? '\n' : '\r\n') + (lf ? '\n' : '\r\n'));
          expect(decodeBase64Body(body)).toEqual(data);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('stops at padding and refuses a single leftover character', () => {
    expect(decodeBase64Body(fromLatin1('YWJj\r\nZA==\r\nYWJj'))).toEqual(fromLatin1('abcd'));
    expect(decodeBase64Body(fromLatin1('YW!J j'))).toEqual(fromLatin1('abc'));
    expect(decodeOrRefusal(fromLatin1('YWJjZ'))).toBe('refused');
    expect(decodeOrRefusal(fromLatin1('YWJj\r\nZ\r\n'))).toBe('refused');
  });
});
