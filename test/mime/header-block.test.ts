/**
 * parseHeaderBlock unfolds a value only when it is folded and leaves the final line break to trim(); names and
 * values must be exactly what the regular-expression reading gives for any header section.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { parseHeaderBlock } from '../../src/mime/headers.js';

/** The reading before the fast path, for one physical header (its raw text). */
function reference(text: string): { name: string; value: string } | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0 || /[\s]/.test(text.slice(0, colon).trimEnd()) || text.slice(0, colon).trimEnd() === '') {
    return text.trim() !== '' ? { name: '', value: text.replace(/\r?\n$/, '') } : undefined;
  }
  const name = text.slice(0, colon).trimEnd();
  const value = text
    .slice(colon + 1)
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/\r?\n$/, '')
    .trim();
  return { name, value };
}

const chunk = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('Subject', 'X-A', 'From', 'a', 'value', 'b c', '=?utf-8?q?x?=') },
  { weight: 4, arbitrary: fc.constantFrom(':', ' ', '\t', '\r\n', '\n', '\r\n ', '\n\t', ': ') },
  { weight: 1, arbitrary: fc.constantFrom('\u00a0', '\r', '\v', 'From ', '\r\n\r\n') },
);

it('names, values and raw bytes agree with the regular-expression reading for any header section (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 40 }), (chunks) => {
      const text = chunks.join('');
      const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
      const parsed = parseHeaderBlock(bytes);
      // The same physical headers (the raw bytes tile the input), each read as the reference reads its raw text.
      const expected = parsed.map((h) => reference(String.fromCharCode(...h.raw)));
      expect(parsed.map((h) => ({ name: h.name, value: h.value }))).toEqual(expected);
    }),
    { numRuns: 3000 },
  );
});
