/**
 * How a PEM block's body is read (RFC 7468 §3, lax; RFC 1421 headers): decodePem against a reference written from
 * the grammar, and the streaming reader (pemDecodeStream, raw CMS in PEM) against decodePem, so that the buffered and
 * streaming readers accept and refuse the same text.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { decodePem } from '../../src/util/pem.js';
import { pemDecodeStream } from '../../src/mime/stream.js';
import { SmimeError } from '../../src/errors.js';
import { fromLatin1 } from '../../src/util/bytes.js';
import { chunked, collect } from '../helpers/streams.js';

type Decoded = { der: Uint8Array; headers: Record<string, string> } | 'malformed-pem';

/** Whitespace in PEM text (RFC 7468 §3: WSP, CR, LF, VT, FF). */
const W = ' \t\r\n\v\f';

/**
 * The grammar, character by character: blank lines, then RFC 1421 header lines only when a blank line follows
 * them, then base64 of the standard alphabet with whitespace anywhere and at most two `=` at the end.
 */
function reference(body: string): Decoded {
  const lines = body.split(/\r\n|\n|\r/);
  const blank = (l: string) => [...l].every((c) => ' \t\v\f'.includes(c));
  let i = 0;
  while (i < lines.length && blank(lines[i]!)) i++;
  let j = i;
  const headers: Record<string, string> = {};
  while (j < lines.length && /^[A-Za-z-]+:/.test(lines[j]!)) j++;
  if (j > i && j < lines.length && blank(lines[j]!)) {
    for (const l of lines.slice(i, j)) {
      const colon = l.indexOf(':');
      headers[l.slice(0, colon)] = l.slice(colon + 1).replace(/^\s+/, '');
    }
    i = j;
  }
  const text = [...lines.slice(i).join('')].filter((c) => !W.includes(c)).join('');
  const m = /^([A-Za-z0-9+/]*)(=*)$/.exec(text);
  if (!m || m[2]!.length > 2 || m[1]!.length % 4 === 1) return 'malformed-pem';
  return { der: new Uint8Array(Buffer.from(m[1]!, 'base64')), headers };
}

function decodeOne(body: string, label = 'CERTIFICATE'): Decoded {
  try {
    const [block] = decodePem(`-----BEGIN ${label}-----${body}-----END ${label}-----\n`);
    return { der: block!.der, headers: block!.headers };
  } catch (e) {
    return (e as { code: 'malformed-pem' }).code;
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
  {
    weight: 1,
    arbitrary: fc.constantFrom('\v', '\f', '\u00a0', ':', '=', '-', '_', '*', 'Proc-Type: 4,ENCRYPTED\n', 'A:b\n\n'),
  },
);
// The BEGIN line usually ends with a line break; the body begins at its closing dashes all the same.
const body = fc
  .tuple(fc.constantFrom('\n', '\n', '\r\n', '', '\v', ' '), fc.array(piece, { maxLength: 30 }))
  .map(([first, pieces]) => `${first}${pieces.join('')}\n`);

it('decodePem reads a block body as the grammar says (fast-check)', () => {
  fc.assert(
    fc.property(body, (b) => {
      expect(decodeOne(b)).toEqual(reference(b));
    }),
    { numRuns: 3000 },
  );
});

it('headers only before a blank line; VT and FF are whitespace; the url alphabet, NBSP and the like are refused', () => {
  const der = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05);
  const b64 = Buffer.from(der).toString('base64');
  expect(decodeOne(`\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${b64}\n`)).toEqual({
    der,
    headers: { 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES-128-CBC,00' },
  });
  expect(decodeOne(`\n${b64}\n\f\n`)).toEqual({ der, headers: {} });
  expect(decodeOne(`\n${b64.slice(0, 3)}\v${b64.slice(3)}\n`)).toEqual({ der, headers: {} });
  // A label ends at the first five dashes (it holds no '--'): a sixth begins the body.
  expect(decodeOne(`-A:b\n\n${b64}\n`)).toEqual({ der, headers: { '-A': 'b' } });
  expect(decodeOne(`-${b64}\n`)).toBe('malformed-pem');
  // A line that looks like a header with base64 right after it is text, and not base64.
  expect(decodeOne(`\nMI:${b64}\n${b64}\n`)).toBe('malformed-pem');
  for (const bad of ['!', '-', '_', '\u00a0', '*'])
    expect(decodeOne(`\n${b64.slice(0, 4)}${bad}${b64.slice(4)}\n`)).toBe('malformed-pem');
});

/** The streaming reader's verdict on a whole block, handed out in pieces of `sizes`. */
async function streamOne(body: string, sizes: number[]): Promise<Decoded> {
  try {
    const der = await collect(
      chunked(fromLatin1(`-----BEGIN PKCS7-----${body}-----END PKCS7-----\n`), sizes).pipeThrough(pemDecodeStream()),
    );
    return { der, headers: {} };
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
    return e.code as 'malformed-pem';
  }
}

it('the streaming reader accepts and refuses what decodePem does, for any chunking (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(
      body,
      fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 5 }),
      async (b, sizes) => {
        const buffered = decodeOne(b, 'PKCS7');
        // Raw CMS has no RFC 1421 headers: the stream takes such a line for text.
        const expected =
          buffered !== 'malformed-pem' && Object.keys(buffered.headers).length > 0 ? 'malformed-pem' : buffered;
        expect(await streamOne(b, sizes)).toEqual(expected);
      },
    ),
    { numRuns: 1500 },
  );
});

it('the streaming reader decodes a large block through the native path exactly', async () => {
  const der = new Uint8Array(Buffer.alloc(200_000, 'pem streaming '));
  const text = `\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n`;
  expect(await streamOne(text, [65536, 7, 9000])).toEqual({ der, headers: {} });
  const dashed = text.slice(0, 150_000) + '_' + text.slice(150_000);
  expect(await streamOne(dashed, [65536])).toBe('malformed-pem');
  expect(decodeOne(dashed, 'PKCS7')).toBe('malformed-pem');
});
