/**
 * decodePem decodes a block without headers in one pass over its body; the result (or the error) must be exactly
 * what the line-by-line reading gives: headers only before the base64, blank lines dropped, whitespace skipped.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { decodePem } from '../../src/util/pem.js';
import { fromBase64 } from '../../src/util/bytes.js';

/** The line-by-line reading of one block body, as decodePem did it before the one-pass path. */
function lineByLine(body: string): { der: Uint8Array; headers: Record<string, string> } | 'malformed-pem' {
  const headers: Record<string, string> = {};
  const lines: string[] = [];
  for (const line of body.split(/\r?\n|\r/)) {
    const h = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (h && lines.length === 0) headers[h[1]!] = h[2]!;
    else if (line.trim() !== '') lines.push(line);
  }
  try {
    return { der: fromBase64(lines.join('')), headers };
  } catch {
    return 'malformed-pem';
  }
}

function decodeOne(body: string): { der: Uint8Array; headers: Record<string, string> } | string {
  try {
    const [block] = decodePem(`-----BEGIN CERTIFICATE-----${body}-----END CERTIFICATE-----\n`);
    return { der: block!.der, headers: block!.headers };
  } catch (e) {
    return (e as { code: string }).code;
  }
}

// Base64 of random bytes, cut into lines and sprinkled with what PEM files carry: CR, blank lines, spaces, tabs,
// and now and then something the decoder must refuse or a header must explain (\v, \f, NBSP, ':', '=', '-').
const piece = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.uint8Array({ minLength: 0, maxLength: 60 }).map((b) => Buffer.from(b).toString('base64')),
  },
  { weight: 4, arbitrary: fc.constantFrom('\n', '\r\n', '\r', ' ', '\t', '\n\n', '\n  \n') },
  { weight: 1, arbitrary: fc.constantFrom('\v', '\f', '\u00a0', ':', '=', '-', '_', 'Proc-Type: 4,ENCRYPTED\n') },
);

it('one pass over a body without headers agrees with the line-by-line reading (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
      const body = `\n${pieces.join('')}\n`;
      expect(decodeOne(body)).toEqual(lineByLine(body));
    }),
    { numRuns: 3000 },
  );
});

it('headers before the base64 are kept; a blank line made of a form feed is dropped as before', () => {
  const der = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05);
  const b64 = Buffer.from(der).toString('base64');
  expect(decodeOne(`\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${b64}\n`)).toEqual({
    der,
    headers: { 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES-128-CBC,00' },
  });
  expect(decodeOne(`\n${b64}\n\f\n`)).toEqual({ der, headers: {} });
  expect(decodeOne(`\n${b64}!\n`)).toBe('malformed-pem');
});
