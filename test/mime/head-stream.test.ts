/**
 * Where a streamed header section ends: `'fields'` (writing) at the first line that is no header field,
 * `'blank-line'` (reading S/MIME) where `parseMime` ends it on a buffer, at the first blank line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHeadStream, type HeaderSectionRule } from '../../src/mime/stream.js';
import { parseMime } from '../../src/mime/entity.js';
import { concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';
import { chunked } from '../helpers/streams.js';

async function head(text: string | Uint8Array, rule: HeaderSectionRule, sizes = [1]) {
  const bytes = typeof text === 'string' ? fromLatin1(text) : text;
  const { head, body } = await readHeadStream(chunked(bytes, sizes), undefined, rule);
  const rest: Uint8Array[] = [];
  for await (const chunk of body) rest.push(chunk);
  return { head: latin1(head), body: latin1(concatBytes(...rest)) };
}

describe('readHeadStream', () => {
  it("'fields': a first line that is no header field makes the whole input body", async () => {
    expect(await head('\xc6rom: a@b.test\r\nSubject: x\r\n\r\nbody', 'fields')).toEqual({
      head: '',
      body: '\xc6rom: a@b.test\r\nSubject: x\r\n\r\nbody',
    });
  });

  it("'blank-line': the section runs to the blank line, whatever its lines hold (as parseMime)", async () => {
    expect(
      await head('\xc6rom: a@b.test\r\nno colon here\r\nContent-Type: text/plain\r\n\r\nbody', 'blank-line'),
    ).toEqual({
      head: '\xc6rom: a@b.test\r\nno colon here\r\nContent-Type: text/plain\r\n\r\n',
      body: 'body',
    });
    expect(await head('\r\nbody', 'blank-line')).toEqual({ head: '\r\n', body: 'body' });
    expect(await head('A: 1\nB: 2\n\nbody\n', 'blank-line', [3])).toEqual({ head: 'A: 1\nB: 2\n\n', body: 'body\n' });
    // Ends inside its headers: all header (short inputs too, read before the BER probe could be made).
    expect(await head('A: 1', 'blank-line')).toEqual({ head: 'A: 1', body: '' });
  });

  it("'blank-line': input that begins like BER-encoded CMS has no header section; text starting with 0 has", async () => {
    for (const ber of [
      [0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7],
      [0x30, 0x82, 0x01, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48],
      [0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7],
    ]) {
      const r = await head(Uint8Array.from(ber), 'blank-line');
      expect(r.head).toBe('');
      expect(r.body).toBe(latin1(Uint8Array.from(ber)));
    }
    expect(await head('0123: x\r\n\r\nbody', 'blank-line')).toEqual({ head: '0123: x\r\n\r\n', body: 'body' });
  });

  it("'blank-line' splits where parseMime does, for any text and chunking (fast-check)", async () => {
    const line = fc.oneof(
      fc.stringMatching(/^[A-Za-z-]{1,12}: [ -~]{0,30}$/),
      fc.stringMatching(/^[ -~\x80-\xff]{0,30}$/),
      fc.constant(''),
      fc.constant(' folded'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(line, fc.constantFrom('\r\n', '\n')), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        async (lines, sizes) => {
          const text = lines.map(([l, end]) => l + end).join('') + 'tail';
          if (/^0/.test(text)) return; // a leading "0" can begin BER: covered above
          const r = await head(text, 'blank-line', sizes);
          expect(r.head + r.body).toBe(text);
          expect(r.head.length).toBe(parseMime(fromLatin1(text)).bodyStart);
        },
      ),
      { numRuns: 300 },
    );
  });
});
