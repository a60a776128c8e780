/**
 * The streamed multipart/signed splitter against the buffered parser: for bodies full of near-delimiters (a boundary
 * split by a chunk edge, `\r\n--` followed by other text, a bare CR, a longer boundary), whatever the chunking, the
 * signed part that streams out and the signature part it collects are the bytes `parseMime` gives for the two parts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitMultipartSigned } from '../../src/mime/multipart-stream.js';
import { entityBytes, parseMime } from '../../src/mime/index.js';
import { concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';

const BOUNDARY = 'b1_x';

async function* pieces(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.slice(offset, offset + n);
    offset += n;
  }
}

async function split(body: Uint8Array, sizes: number[]): Promise<{ signed: string; signature: string }> {
  const { signedPart, signaturePart } = splitMultipartSigned(pieces(body, sizes), BOUNDARY);
  const out: Uint8Array[] = [];
  for await (const piece of signedPart) out.push(piece.slice());
  return { signed: latin1(concatBytes(...out)), signature: latin1(await signaturePart) };
}

/** Text that looks like a delimiter without being one, or that a chunk edge could cut into one. */
const fragment = fc.constantFrom(
  'plain text ',
  '\r\n',
  '\r',
  '\n',
  '\r\n-',
  '\r\n--',
  `\r\n--${BOUNDARY.slice(0, 2)}`,
  `\r\n--${BOUNDARY}x`,
  `\r\n--${BOUNDARY}-`,
  `--${BOUNDARY}`,
  `\r\n\r\n--${BOUNDARY.slice(0, 3)}`,
  'x'.repeat(70),
);
const partBody = fc.array(fragment, { maxLength: 30 }).map((xs) => xs.join(''));

describe('splitMultipartSigned', () => {
  it('gives the parts parseMime gives, for any chunking (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        partBody,
        partBody,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        async (signedBody, signatureBody, sizes) => {
          const signedPart = `Content-Type: text/plain\r\n\r\n${signedBody}`;
          const signaturePart = `Content-Type: application/pkcs7-signature\r\n\r\n${signatureBody}`;
          const body =
            `preamble\r\n--${BOUNDARY}\r\n${signedPart}\r\n--${BOUNDARY}  \r\n${signaturePart}` +
            `\r\n--${BOUNDARY}--\r\nepilogue\r\n`;
          const message = parseMime(
            fromLatin1(
              `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="${BOUNDARY}"\r\n\r\n${body}`,
            ),
          );
          // Only bodies the buffered parser also splits into these two parts are the property's cases.
          fc.pre(message.children.length === 2);
          const expected = message.children.map((c) => latin1(entityBytes(c)));
          const streamed = await split(fromLatin1(body), sizes);
          expect(streamed.signed).toBe(expected[0]);
          expect(streamed.signature).toBe(expected[1]);
          expect(streamed.signed).toBe(signedPart);
          expect(streamed.signature).toBe(signaturePart);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('splits as received, LF or CRLF delimiters and any bytes in the parts, as parseMime does (fast-check)', async () => {
    const eol = fc.constantFrom('\n', '\r\n', ' \r\n', '\t\n', '\r\r\n', '');
    const bytesPart = fc.uint8Array({ maxLength: 60 }).map((b) => latin1(b));
    const anyBody = fc.array(fc.oneof(fragment, bytesPart, fc.constantFrom('\n--b1_x\n', '\n--b1_x--')), {
      maxLength: 12,
    });
    await fc.assert(
      fc.asyncProperty(
        anyBody,
        anyBody,
        fc.tuple(eol, eol, eol),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        async (signedBody, signatureBody, [e1, e2, e3], sizes) => {
          const body =
            `--${BOUNDARY}${e1}${signedBody.join('')}\n--${BOUNDARY}${e2}${signatureBody.join('')}` +
            `\n--${BOUNDARY}--${e3}`;
          const message = parseMime(
            fromLatin1(`Content-Type: multipart/signed; boundary="${BOUNDARY}"\r\n\r\n${body}`),
          );
          let streamed: { signed: string; signature: string } | string;
          try {
            streamed = await split(fromLatin1(body), sizes);
          } catch (e) {
            streamed = (e as { code: string }).code;
          }
          if (message.children.length !== 2) {
            expect(streamed).toBe('malformed-smime');
            return;
          }
          expect(streamed).toEqual({
            signed: latin1(entityBytes(message.children[0]!)),
            signature: latin1(entityBytes(message.children[1]!)),
          });
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('passes signed-part bytes on as views of the input chunks, not copies, when no delimiter is cut by a chunk end', async () => {
    // One long line: no chunk ends in a CR, so none can end in the start of a delimiter.
    const signed = `Content-Type: application/octet-stream\r\n\r\n${'abcdefghij'.repeat(6000)}`;
    const body = fromLatin1(`--${BOUNDARY}\r\n${signed}\r\n--${BOUNDARY}\r\nsig\r\n--${BOUNDARY}--\r\n`);
    const inputBuffers = new Set<ArrayBufferLike>();
    async function* recorded(): AsyncGenerator<Uint8Array> {
      for await (const chunk of pieces(body, [4096])) {
        inputBuffers.add(chunk.buffer);
        yield chunk;
      }
    }
    const { signedPart } = splitMultipartSigned(recorded(), BOUNDARY);
    let total = 0;
    let views = 0;
    let count = 0;
    for await (const piece of signedPart) {
      total += piece.length;
      count++;
      if (inputBuffers.has(piece.buffer)) views++;
    }
    expect(total).toBe(signed.length);
    // All but the piece that ends at the delimiter, which may have waited for the next chunk.
    expect(views).toBeGreaterThanOrEqual(count - 1);
    expect(count).toBeGreaterThan(10);
  });
});
