/**
 * The body scans signing runs over every byte (line ends to CRLF, the 7-bit check) against their one-rule-per-byte
 * definitions: the fast versions find line ends natively and skip ordinary bytes by table, and must agree.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isSevenBitSafe, scanBody, toCrlf } from '../../src/mime/canonical.js';

function referenceToCrlf(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  bytes.forEach((c, i) => {
    if (c === 0x0a && (i === 0 || bytes[i - 1] !== 0x0d)) out.push(0x0d);
    out.push(c);
  });
  return Uint8Array.from(out);
}

function referenceSevenBitSafe(bytes: Uint8Array): boolean {
  let lineLength = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c >= 0x80 || c === 0) return false;
    if (c === 0x0d && bytes[i + 1] !== 0x0a) return false;
    if (c === 0x0a) lineLength = 0;
    else if (c !== 0x0d && ++lineLength > 998) return false;
  }
  return true;
}

/** Mostly text, with line ends, NUL, 8-bit bytes and runs long enough to cross the 998-octet line limit. */
const body = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0x41, 0x20, 0x0d, 0x0a) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
      { weight: 1, arbitrary: fc.constantFrom(...[995, 997, 998, 999, 1000].map((n) => -n)) },
    ),
    { maxLength: 60 },
  )
  .map((items) => Uint8Array.from(items.flatMap((v) => (v < 0 ? new Array<number>(-v).fill(0x78) : [v]))));

it('toCrlf writes what the byte-by-byte definition writes, and returns its input when nothing changes', () => {
  fc.assert(
    fc.property(body, (bytes) => {
      const fast = toCrlf(bytes);
      expect(Buffer.from(fast).equals(Buffer.from(referenceToCrlf(bytes)))).toBe(true);
      if (fast.length === bytes.length) expect(fast).toBe(bytes);
    }),
    { numRuns: 3000 },
  );
});

it('isSevenBitSafe agrees with the byte-by-byte definition (8-bit, NUL, bare CR, 998-octet lines)', () => {
  fc.assert(
    fc.property(body, fc.nat(3), (bytes, offset) => {
      expect(isSevenBitSafe(bytes)).toBe(referenceSevenBitSafe(bytes));
      // Views that start mid-word: the word-at-a-time pass must cover the unaligned head and tail.
      const view = bytes.subarray(Math.min(offset, bytes.length));
      expect(isSevenBitSafe(view)).toBe(referenceSevenBitSafe(view));
    }),
    { numRuns: 3000 },
  );
  expect(isSevenBitSafe(new Uint8Array(998).fill(0x78))).toBe(true);
  // One bad byte anywhere in a long clean run: each position of a 32-bit word, NUL and 8-bit alike.
  for (const bad of [0x00, 0x80, 0xff])
    for (let at = 0; at < 9; at++) {
      const clean = new Uint8Array(40).fill(0x61);
      clean[20 + at] = bad;
      expect(isSevenBitSafe(clean.subarray(at % 4)), `0x${bad.toString(16)} at ${at}`).toBe(false);
    }
  expect(isSevenBitSafe(new Uint8Array(999).fill(0x78))).toBe(false);
});

it('a body is 7-bit safe exactly when its CRLF form is: signing scans a body once, before converting it', () => {
  fc.assert(
    fc.property(body, (bytes) => {
      expect(scanBody(bytes).sevenBit).toBe(referenceSevenBitSafe(referenceToCrlf(bytes)));
    }),
    { numRuns: 3000 },
  );
});

it('splitCanonicalMessage gives what splitMessage then canonicalizeEntity give, for every kind of body', async () => {
  const { canonicalizeEntity, splitCanonicalMessage, splitMessage } = await import('../../src/mime/canonical.js');
  const { fromLatin1 } = await import('../../src/util/bytes.js');
  const heads = [
    '',
    'Content-Type: text/plain; charset=utf-8\r\n',
    'Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n',
    'Content-Type: application/octet-stream\r\n',
    'Content-Type: multipart/mixed; boundary="b"\r\n',
    'Content-Type: message/rfc822\n',
  ];
  const bodies = [
    'plain text\r\nline two\n',
    'From here\r\ncaf\xe9\r\n',
    'x'.repeat(1200) + '\r\n',
    'nul\x00byte\rcr\n',
    '--b\r\nContent-Type: text/plain\r\n\r\nFrom inside\nbare lf\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n\x80\x81\n--b--\r\n',
  ];
  for (const head of heads)
    for (const body of bodies) {
      const input = fromLatin1(`From: a@example.test\r\nSubject: s\nMIME-Version: 1.0\r\n${head}\r\n${body}`);
      const old = splitMessage(input);
      const fast = splitCanonicalMessage(input);
      expect(fast.outerHeaders).toEqual(old.outerHeaders);
      expect(Buffer.from(fast.inner).equals(Buffer.from(canonicalizeEntity(old.inner)))).toBe(true);
    }
});

it('scanBody finds bare LFs and "From " lines as the byte-by-byte searches do, at any alignment', () => {
  const withFrom = fc
    .array(fc.oneof(body, fc.constant(Uint8Array.from([0x46, 0x72, 0x6f, 0x6d, 0x20]))), { maxLength: 6 })
    .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));
  fc.assert(
    fc.property(withFrom, fc.nat(3), (bytes, offset) => {
      const view = bytes.subarray(Math.min(offset, bytes.length));
      const text = Buffer.from(view).toString('latin1');
      const scan = scanBody(view);
      expect(scan.bareLf).toBe(/(^|[^\r])\n/.test(text));
      expect(scan.fromLine).toBe(/(^|\n)From /.test(text));
      expect(scan.sevenBit).toBe(referenceSevenBitSafe(view));
    }),
    { numRuns: 3000 },
  );
});
