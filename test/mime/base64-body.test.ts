/**
 * Base64 body decoding (RFC 2045 §6.8 as receivers must): characters outside the alphabet skipped, decoding stopped
 * at the first `=`, a single leftover character refused. The decoder takes whole groups of four at once; the
 * one-character-at-a-time decoder it replaced is the oracle, on inputs full of line breaks, junk and padding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Body, encodeBase64Body } from '../../src/mime/index.js';
import { FormatError } from '../../src/errors.js';
import { concatBytes, fromLatin1 } from '../../src/util/bytes.js';

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

  it('large bodies (the native decoder on Node) decode as the reference does, with junk, truncation or padding (fast-check)', () => {
    const junk = fc.constantFrom(0x20, 0x09, 0x3d, 0x2d, 0x5f, 0x21, 0x00, 0x80, 0xff, 0x2e, 0x0d, 0x0a, 0x41);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 3100, maxLength: 4200 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), junk), { maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        (data, lf, insertions, cut) => {
          let text = encodeBase64Body(data);
          if (lf) text = text.replace(/\r\n/g, '\n');
          let body = fromLatin1(text + '\r\n');
          for (const [at, c] of insertions) {
            const i = at % (body.length + 1);
            body = concatBytes(body.subarray(0, i), Uint8Array.of(c), body.subarray(i));
          }
          if (cut !== undefined) body = body.subarray(0, body.length - (cut % 8));
          const expected = referenceDecode(body);
          expect(decodeOrRefusal(body)).toEqual(expected ?? 'refused');
        },
      ),
      { numRuns: 300 },
    );
    // The clean case, which takes the native path: the same bytes back.
    const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff);
    expect(decodeBase64Body(fromLatin1(encodeBase64Body(data)))).toEqual(data);
  });
});
