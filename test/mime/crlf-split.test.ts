/**
 * splitCrlfMessagePieces (the split encryption takes from the header section alone) against the split of the
 * whole parsed message: the same outer headers and the same inner bytes whenever it answers, and an answer for
 * every whole message whose body has no bare LF.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitCanonicalMessagePieces, splitCrlfMessagePieces } from '../../src/mime/canonical.js';
import { parseMime } from '../../src/mime/entity.js';
import { concatBytes, fromLatin1, toHex } from '../../src/util/bytes.js';

const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n');
const text = fc.array(fc.constantFrom('a', ' ', 'From ', '--b1', '\r', '\x00', '\xe9', '=41', 'QUJD'), {
  maxLength: 6,
});
const line = fc.tuple(text, eol).map(([t, e]) => t.join('') + e);
const lines = fc.array(line, { maxLength: 5 }).map((l) => l.join(''));
const field = fc.constantFrom(
  'From: a@example.com',
  'To: b@example.com',
  'Subject: hello\r\n world',
  'X-Mailer: test',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  'Content-Transfer-Encoding: binary',
  'Content-Transfer-Encoding: quoted-printable',
  'not a header line',
);
const leaf = fc
  .tuple(fc.array(field, { maxLength: 3 }), eol, lines)
  .map(([f, e, body]) => f.map((x) => x + e).join('') + e + body);
const multipart = fc
  .tuple(fc.array(leaf, { minLength: 1, maxLength: 3 }), eol, fc.boolean())
  .map(
    ([parts, e, closed]) =>
      `Content-Type: multipart/mixed; boundary="b1"${e}${e}preamble${e}` +
      parts.map((p) => `--b1${e}${p}${e}`).join('') +
      (closed ? `--b1--${e}epilogue${e}` : ''),
  );
const message = fc
  .tuple(fc.array(field, { maxLength: 4 }), eol, fc.oneof(leaf, multipart))
  .map(([f, e, entity]) => fromLatin1(f.map((x) => x + e).join('') + entity));

const bytesOf = (pieces: Uint8Array[]): string => toHex(concatBytes(...pieces));

describe('splitCrlfMessagePieces', () => {
  it('gives what the split of the parsed message gives, whenever it answers (fast-check)', () => {
    let answered = 0;
    fc.assert(
      fc.property(message, (input) => {
        const fast = splitCrlfMessagePieces(input);
        if (!fast) return;
        answered++;
        const slow = splitCanonicalMessagePieces(input, parseMime(input), { sevenBit: false });
        expect(fast.outerHeaders).toEqual(slow.outerHeaders);
        expect(bytesOf(fast.pieces)).toBe(bytesOf(slow.pieces));
      }),
      { numRuns: 2000 },
    );
    expect(answered).toBeGreaterThan(200);
  });

  it('answers for a whole message without bare LF in its body; not for a bare LF, a bare entity or no header section', () => {
    const crlf = fromLatin1('From: a@example.com\r\nContent-Type: text/plain\r\n\r\nline\r\n\rnot a line end\r\n');
    const fast = splitCrlfMessagePieces(crlf)!;
    expect(fast.outerHeaders.map((h) => h.name)).toEqual(['From']);
    expect(new TextDecoder().decode(concatBytes(...fast.pieces))).toBe(
      'Content-Type: text/plain\r\n\r\nline\r\n\rnot a line end\r\n',
    );
    expect(fast.pieces[1]!.buffer).toBe(crlf.buffer); // the body is not copied
    expect(splitCrlfMessagePieces(fromLatin1('From: a@example.com\r\n\r\nline\nbare\r\n'))).toBeUndefined();
    expect(splitCrlfMessagePieces(fromLatin1('Content-Type: text/plain\r\n\r\nbody\r\n'))).toBeUndefined();
    expect(splitCrlfMessagePieces(fromLatin1('just text\r\n'))).toBeUndefined();
  });
});
