/**
 * Quoted-printable writing (what signing uses to re-encode 8-bit text and `From ` lines): it round-trips through
 * the reader for any bytes, keeps lines within 76 characters, and escapes what relays and mbox storage would change.
 * The megabyte case is the fuzzer's finding (a 4 MiB body took 3 s to encode, building strings a byte at a time).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeQuotedPrintable, encodeQuotedPrintable } from '../../src/mime/transfer-encoding.js';
import { canonicalizeEntity } from '../../src/mime/canonical.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';
import { quotedPrintableDecodeStream } from '../../src/mime/stream.js';
import { chunked, collect } from '../helpers/streams.js';

/** CRLF line ends: what the encoder keeps as hard line breaks (bare CR or LF inside a line are escaped). */
const toCanonical = (bytes: Uint8Array) => fromLatin1(latin1(bytes).replace(/\r?\n/g, '\r\n'));

/**
 * The encoder as first written (one rule per byte, no fast path): the oracle for the table-driven one, which must
 * write the same bytes.
 */
function referenceEncode(bytes: Uint8Array): string {
  let out = '';
  const line = (start: number, end: number) => {
    let width = 0;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      const startsLine = i === start || width + 1 > 75;
      const escape =
        c === 0x3d ||
        c > 0x7e ||
        (c < 0x20 && c !== 0x09) ||
        ((c === 0x20 || c === 0x09) && i === end - 1) ||
        (startsLine && c === 0x2e) ||
        (startsLine && c === 0x46 && latin1(bytes.subarray(i, i + 5)) === 'From ' && i + 4 < end);
      const size = escape ? 3 : 1;
      if (width + size > 75) {
        out += '=\r\n';
        width = 0;
      }
      out += escape ? `=${c.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(c);
      width += size;
    }
  };
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    line(start, i > start && bytes[i - 1] === 0x0d ? i - 1 : i);
    out += '\r\n';
    start = i + 1;
  }
  line(start, bytes.length);
  return out;
}

describe('encodeQuotedPrintable', () => {
  it('writes what the one-rule-per-byte encoder writes, for text and for any bytes (fast-check)', () => {
    const text = fc.constantFrom(...'From .= \tab\r\nxyz0123456789'.split('').map((c) => c.charCodeAt(0)));
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: text }, fc.integer({ min: 0, max: 255 })), {
          maxLength: 800,
          size: 'max',
        }),
        (values) => {
          const input = Uint8Array.from(values);
          expect(encodeQuotedPrintable(input)).toBe(referenceEncode(input));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('writes the same bytes through the block-copy path: text that is mostly plain, at every alignment (fast-check)', () => {
    // Long plain runs (lines up to three encoded lines wide) with rare specials, in a view at offset 0-3 of its buffer,
    // so that the four-bytes-at-a-time scan meets every alignment and every special at every word position.
    const plain = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 ,;'.split('').map((c) => [c.charCodeAt(0)]));
    const rare = fc.constantFrom(
      ...[0x0d, 0x0a, 0x3d, 0x2e, 0x46, 0x09, 0x20, 0x7f, 0x80, 0xff, 0x00, 0x1f].map((c) => [c]),
    );
    const from = fc.constant([...fromLatin1('From ')]);
    const lineEnd = fc.constantFrom([0x0d, 0x0a], [0x0a]);
    const line = fc.tuple(
      fc.array(fc.oneof({ weight: 40, arbitrary: plain }, rare, from), { maxLength: 240 }),
      lineEnd,
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.integer({ min: 0, max: 3 }), (lines, offset) => {
        const values = lines.flatMap(([text, end]) => [...text.flat(), ...end]);
        const input = new Uint8Array(values.length + offset).subarray(offset);
        input.set(values);
        expect(encodeQuotedPrintable(input)).toBe(referenceEncode(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips any bytes (line ends as CRLF) and keeps every line within 76 characters (fast-check)', () => {
    const interesting = [0x46, 0x72, 0x6f, 0x6d, 0x20, 0x2e, 0x0d, 0x0a, 0x3d, 0x09, 0x41, 0xe9, 0x00];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 255 })), {
          maxLength: 600,
          size: 'max',
        }),
        (values) => {
          const input = toCanonical(Uint8Array.from(values));
          const encoded = encodeQuotedPrintable(input);
          for (const line of encoded.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
          expect(encoded).not.toMatch(/(^|\r\n)(From |\.)/);
          expect(latin1(decodeQuotedPrintable(fromLatin1(encoded)))).toBe(latin1(input));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('escapes exactly what must be escaped', () => {
    expect(encodeQuotedPrintable(fromLatin1('From here\r\n.\r\ncaf\xe9 = ok \r\n'))).toBe(
      '=46rom here\r\n=2E\r\ncaf=E9 =3D ok=20\r\n',
    );
  });

  it('re-encodes a 4 MiB binary body inside a signed entity, byte-exact after decoding (fuzzer finding)', () => {
    // No NUL, so the text is quoted-printable (a NUL would make it base64).
    const body = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 37 + (i >> 9)) & 0xff || 1);
    const entity = concatBytes(fromLatin1('Content-Type: text/plain; charset=x-binary\r\n\r\n'), body);
    const canonical = canonicalizeEntity(entity);
    expect(latin1(canonical.subarray(0, 200))).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(Buffer.from(decodedBody(parseMime(canonical))).equals(Buffer.from(toCanonical(body)))).toBe(true);
  });
});

describe('quotedPrintableDecodeStream (a pkcs7-mime body read by the streaming readers)', () => {
  /** Bytes rich in what decides a `=`: escapes, soft breaks with whitespace before them, bare CR and LF. */
  const qpText = fc
    .array(
      fc.oneof(
        fc.constantFrom('=', '=\r\n', '= \t\r\n', '=\n', '=3D', '=3d', '=A', '=G1', '\r', '\n', '\r\n', ' ', '\t'),
        fc.stringMatching(/^[ -~]{0,12}$/),
      ),
      { maxLength: 60 },
    )
    .map((parts) => fromLatin1(parts.join('')));

  it('gives what decodeQuotedPrintable gives for the whole body, however the body is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        qpText,
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }),
        async (text, sizes) => {
          const decoded = await collect(chunked(text, sizes).pipeThrough(quotedPrintableDecodeStream()));
          expect(latin1(decoded)).toBe(latin1(decodeQuotedPrintable(text)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses more whitespace after a `=` than a line holds (it would have to keep it all), whatever the chunks', async () => {
    const text = fromLatin1(`a=${' '.repeat(5000)}b=41`);
    for (const sizes of [[100], [text.length]]) {
      await expect(collect(chunked(text, sizes).pipeThrough(quotedPrintableDecodeStream()))).rejects.toMatchObject({
        code: 'malformed-mime',
      });
    }
    const line = fromLatin1(`a=${' '.repeat(900)}\r\nb=41`);
    expect(latin1(await collect(chunked(line, [100]).pipeThrough(quotedPrintableDecodeStream())))).toBe('abA');
  });
});
