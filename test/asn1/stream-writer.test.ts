/**
 * BER writing helpers for streaming output: headers, chunks, the chunked OCTET STRING (checked with derParse /
 * derOctets, with the stream reader, and byte for byte against what `openssl cms -stream` writes).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derChildren, derContent, derParse } from '../../src/asn1/read.js';
import { BerStreamReader } from '../../src/asn1/stream-reader.js';
import {
  ChunkedOctetWriter,
  DEFAULT_OCTET_CHUNK_SIZE,
  END_OF_CONTENTS,
  berDefiniteHeader,
  berIndefiniteHeader,
  chunkedOctetString,
  octetStringChunk,
} from '../../src/asn1/stream-writer.js';
import { derOctets } from '../../src/asn1/values.js';
import { tlv } from '../../src/asn1/write.js';
import { ArgumentError } from '../../src/errors.js';
import { concatBytes, toHex } from '../../src/util/bytes.js';
import { tempDir } from '../helpers/temp.js';

/** Splits `bytes` into pieces whose sizes cycle through `sizes`. */
function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

function encodeWith(
  content: Uint8Array,
  sizes: readonly number[],
  chunkSize?: number,
  identifier?: number,
): Uint8Array {
  const w = new ChunkedOctetWriter({ chunkSize, identifier });
  const out = [w.start()];
  for (const piece of split(content, sizes)) out.push(...w.write(piece));
  out.push(...w.end());
  return concatBytes(...out);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p.slice());
  return concatBytes(...parts);
}

describe('headers and chunks', () => {
  it('berIndefiniteHeader and END_OF_CONTENTS', () => {
    expect(berIndefiniteHeader(0x30)).toEqual(Uint8Array.of(0x30, 0x80));
    expect(berIndefiniteHeader(0xa0)).toEqual(Uint8Array.of(0xa0, 0x80));
    expect(berIndefiniteHeader(0x24)).toEqual(Uint8Array.of(0x24, 0x80));
    expect(END_OF_CONTENTS).toEqual(Uint8Array.of(0, 0));
    for (const bad of [0x04, 0x80, 0x3f, 0x100, -1, 1.5]) expect(() => berIndefiniteHeader(bad)).toThrow(ArgumentError);
  });

  it('octetStringChunk and berDefiniteHeader write minimal definite lengths', () => {
    for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536, 70_000]) {
      const content = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
      const chunk = octetStringChunk(content);
      expect(chunk).toEqual(tlv(0x04, content));
      const node = derParse(chunk);
      expect(node.nonMinimalLength).toBe(false);
      expect(toHex(derContent(node))).toBe(toHex(content));
      expect(berDefiniteHeader(0x04, n)).toEqual(chunk.subarray(0, chunk.length - n));
    }
    expect(berDefiniteHeader(0x04, 2 ** 40)).toEqual(Uint8Array.of(0x04, 0x86, 0x01, 0, 0, 0, 0, 0));
    expect(() => berDefiniteHeader(0x04, -1)).toThrow(ArgumentError);
    expect(() => berDefiniteHeader(0x1f, 1)).toThrow(ArgumentError);
  });
});

describe('ChunkedOctetWriter / chunkedOctetString', () => {
  it('empty content is 24 80 00 00', async () => {
    expect(encodeWith(new Uint8Array(0), [1])).toEqual(Uint8Array.of(0x24, 0x80, 0, 0));
    expect(await collect(chunkedOctetString([]))).toEqual(Uint8Array.of(0x24, 0x80, 0, 0));
  });

  it('writes fixed-size chunks whatever the input pieces, readable by derOctets and the stream reader (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.boolean(),
        async (content, sizes, chunkSize, implicit) => {
          const identifier = implicit ? 0xa0 : 0x24;
          const bytes = encodeWith(content, sizes, chunkSize, identifier);
          // The same bytes however the content arrives.
          expect(toHex(bytes)).toBe(toHex(encodeWith(content, [content.length || 1], chunkSize, identifier)));
          const node = derParse(bytes);
          expect(node.indefinite).toBe(true);
          expect(bytes[0]).toBe(identifier);
          const kids = derChildren(node);
          expect(kids).toHaveLength(Math.ceil(content.length / chunkSize));
          kids.forEach((k, i) => {
            expect(k.constructed).toBe(false);
            expect(k.tag).toBe(4);
            expect(k.nonMinimalLength).toBe(false);
            const expected = i < kids.length - 1 ? chunkSize : content.length - chunkSize * (kids.length - 1);
            expect(k.contentEnd - k.contentStart).toBe(expected);
          });
          const joined = implicit ? derOctets(node, 'x', { implicitTag: 0 }) : derOctets(node);
          expect(toHex(joined)).toBe(toHex(content));
          const r = new BerStreamReader(split(bytes, [37]));
          const pieces: Uint8Array[] = [];
          for await (const p of r.octetStringChunks(await r.readHeader())) pieces.push(p.slice());
          expect(toHex(concatBytes(...pieces))).toBe(toHex(content));
          expect(await collect(chunkedOctetString(split(content, sizes), { chunkSize, identifier }))).toEqual(bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('chunkedOctetString takes async iterables and defaults to 4096-byte chunks', async () => {
    const content = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) & 0xff);
    async function* gen() {
      for (const p of split(content, [1, 999, 5000])) yield p;
    }
    const bytes = await collect(chunkedOctetString(gen()));
    expect(DEFAULT_OCTET_CHUNK_SIZE).toBe(4096);
    expect(derChildren(derParse(bytes)).map((k) => k.contentEnd - k.contentStart)).toEqual([4096, 4096, 1808]);
  });

  it('misuse is an ArgumentError', () => {
    expect(() => new ChunkedOctetWriter({ chunkSize: 0 })).toThrow(ArgumentError);
    expect(() => new ChunkedOctetWriter({ identifier: 0x04 })).toThrow(ArgumentError);
    const w = new ChunkedOctetWriter();
    expect(() => w.write(Uint8Array.of(1))).toThrow(ArgumentError);
    w.start();
    expect(() => w.start()).toThrow(ArgumentError);
    w.end();
    expect(() => w.end()).toThrow(ArgumentError);
  });

  const hasOpenssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasOpenssl)('writes the eContent byte for byte as openssl cms -stream does', () => {
    const dir = tempDir('smimekit-stream-writer-');
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'k.pem',
      '-out',
      'c.pem',
      '-subj',
      '/CN=w',
      '-days',
      '2',
    ]);
    for (const size of [1, 4095, 4096, 4097, 20_000]) {
      const content = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
      writeFileSync(join(dir, 'data.bin'), content);
      run([
        'cms',
        '-sign',
        '-stream',
        '-nodetach',
        '-binary',
        '-in',
        'data.bin',
        '-signer',
        'c.pem',
        '-inkey',
        'k.pem',
        '-outform',
        'DER',
        '-out',
        's.der',
      ]);
      const cms = new Uint8Array(readFileSync(join(dir, 's.der')));
      const signedData = derChildren(derChildren(derChildren(derParse(cms))[1]!)[0]!);
      const [, e0] = derChildren(signedData[2]!);
      const os = derChildren(e0!)[0]!;
      const openssl = os.buf.subarray(os.start, os.end);
      const ours = encodeWith(content, [size || 1]);
      expect(toHex(ours), `size ${size}`).toBe(toHex(openssl));
    }
  });
});
