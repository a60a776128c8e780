/**
 * Bodies kept unconverted until written: digesting them block by block and writing them in place must give exactly
 * the bytes `toCrlf` gives, whatever falls on the block boundaries, and a message signed that way must verify.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadIdentity, signMessage } from '../../src/index.js';
import { deferCrlf, feedPieces, flattenPieces, hasBareLf, toCrlf, type EntityPiece } from '../../src/mime/crlf.js';
import { chainFile, opensslVerifyMime } from '../cms/fixtures.js';
import { tempDir } from '../helpers/temp.js';

const reference = (bytes: Uint8Array) =>
  Buffer.from(
    Buffer.from(bytes)
      .toString('latin1')
      .replace(/(?<!\r)\n/g, '\r\n'),
    'latin1',
  );
const fed = (pieces: EntityPiece[]) => {
  const parts: Buffer[] = [];
  feedPieces(pieces, (view) => parts.push(Buffer.from(view))); // copies: the scratch buffer is reused
  return Buffer.concat(parts);
};

describe('deferred CRLF bodies', () => {
  it('digest blocks and the written form are toCrlf, across 64 KiB block boundaries', () => {
    const BLOCK = 64 * 1024;
    const lines = fc.array(fc.oneof(fc.constantFrom('\n', '\r\n', '\r', 'x'), fc.string({ maxLength: 40 })), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(lines, fc.integer({ min: -3, max: 3 }), fc.nat(2), (parts, shift, blocks) => {
        // Filler puts the generated text right at a block boundary (CR at the end of one block, LF at the start of
        // the next among the cases).
        const filler = 'a'.repeat(Math.max(0, blocks * BLOCK + shift));
        const body = Buffer.from(filler + parts.join(''), 'latin1');
        const piece = deferCrlf(body);
        const expected = reference(body);
        expect(Buffer.from(toCrlf(body)).equals(expected)).toBe(true);
        expect(hasBareLf(body)).toBe(expected.length !== body.length);
        const offset = new Uint8Array(body.length + 5);
        offset.set(body, 5); // a view that does not start its buffer (the native search runs over the same memory)
        expect(hasBareLf(offset.subarray(5))).toBe(expected.length !== body.length);
        expect(Buffer.from(toCrlf(offset.subarray(5))).equals(expected)).toBe(true);
        expect(piece.length).toBe(expected.length);
        expect(Buffer.from(flattenPieces([piece])).equals(expected)).toBe(true);
        expect(fed([piece]).equals(expected)).toBe(true);
        const head = Buffer.from('H\n');
        expect(Buffer.from(flattenPieces([head, piece, head])).equals(Buffer.concat([head, expected, head]))).toBe(
          true,
        );
      }),
      { numRuns: 200 },
    );
    // No bare LF: the bytes themselves, not a deferred body.
    const crlf = Buffer.from('a\r\nb\r\n');
    expect(deferCrlf(crlf)).toBe(crlf);
  });

  it('a large message with bare LFs signs to a message OpenSSL verifies, its content the CRLF form', async () => {
    const signer = await loadIdentity(readFileSync(chainFile('ee-rsa.p12')), 'test');
    const line = 'A line of text that ends with a bare LF, as files on Unix do. 0123456789\n';
    const body = line.repeat(Math.ceil((300 * 1024) / line.length));
    const message = Buffer.from(`From: a@example.com\nSubject: lf\nContent-Type: text/plain\n\n${body}`);
    const signed = await signMessage(message, { signer });
    const result = opensslVerifyMime(tempDir('smimekit-crlf-'), signed);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.toString('latin1')).toContain(body.replace(/\n/g, '\r\n'));
  });
});

describe('crlfStream', () => {
  it('gives what toCrlf gives on the whole, however the text is cut into chunks (CRLF split between two too)', async () => {
    const { crlfStream } = await import('../../src/mime/stream.js');
    const { chunked } = await import('../helpers/streams.js');
    const { iterateBytes } = await import('../../src/util/byte-source.js');
    const text = fc
      .array(fc.oneof(fc.constantFrom('\n', '\r\n', '\r', '\n\n', 'x', '\x00'), fc.string({ maxLength: 30 })), {
        maxLength: 60,
      })
      .map((parts) => Buffer.from(parts.join(''), 'latin1'));
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 4 }),
        async (t, sizes) => {
          const parts: Uint8Array[] = [];
          for await (const chunk of crlfStream(iterateBytes(chunked(new Uint8Array(t), sizes)))) parts.push(chunk);
          expect(Buffer.concat(parts).equals(reference(t))).toBe(true);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('CrlfConverter hands back the very chunk when nothing changes, and only then (the streamed verifier relies on it)', async () => {
    const { CrlfConverter } = await import('../../src/mime/stream.js');
    const chunk = fc.array(fc.constantFrom(0x0a, 0x0d, 0x41), { maxLength: 12 }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 8 }), (chunks) => {
        const converter = new CrlfConverter();
        for (const c of chunks) {
          const out = converter.convert(c);
          expect(out === c).toBe(out.length === c.length);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
