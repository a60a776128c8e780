/**
 * BerStreamReader: differential against derParse / derChildren / derOctets on real CMS files (./vectors,
 * ../shared/vectors when present, and files made here with `openssl cms -stream` and without), random chunkings,
 * truncation at every position, lying lengths, depth and size limits, and a 200 MB OCTET STRING with bounded memory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BerStreamReader, type BerHeader } from '../../src/asn1/stream-reader.js';
import { ChunkedOctetWriter, END_OF_CONTENTS, berIndefiniteHeader } from '../../src/asn1/stream-writer.js';
import { derChildren, derContent, derParse, type DerNode } from '../../src/asn1/read.js';
import { derOctets, derOid } from '../../src/asn1/values.js';
import { encodeOid, octets, seq, tlv } from '../../src/asn1/write.js';
import { FormatError, LimitError, SmimeError } from '../../src/errors.js';
import { concatBytes, toHex } from '../../src/util/bytes.js';
import { tempDir } from '../helpers/temp.js';
import { repoRoot, sharedVectorsDir } from '../helpers/vectors.js';

// ---- sources ----------------------------------------------------------------------------------------------------

/** An async iterable yielding `bytes` in pieces whose sizes cycle through `sizes` (fresh copies, like a socket). */
function chunked(bytes: Uint8Array, sizes: readonly number[] = [bytes.length || 1]): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      let at = 0;
      for (let i = 0; at < bytes.length; i++) {
        const n = Math.max(1, sizes[i % sizes.length]!);
        yield bytes.slice(at, at + n);
        at += n;
      }
    },
  };
}

/** A ReadableStream over the same pieces. */
function chunkedStream(bytes: Uint8Array, sizes: readonly number[]): ReadableStream<Uint8Array> {
  const it = chunked(bytes, sizes)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const n = await it.next();
      if (n.done) c.close();
      else c.enqueue(n.value);
    },
  });
}

// ---- trees ------------------------------------------------------------------------------------------------------

interface Tree {
  cls: number;
  tag: number;
  constructed: boolean;
  offset: number;
  headerLength: number;
  indefinite: boolean;
  content?: string;
  kids?: Tree[];
}

/** The tree derParse + derChildren see (every constructed node opened). */
function derTree(node: DerNode): Tree {
  const base = {
    cls: node.cls,
    tag: node.tag,
    constructed: node.constructed,
    offset: node.start,
    headerLength: node.contentStart - node.start,
    indefinite: node.indefinite,
  };
  return node.constructed
    ? { ...base, kids: derChildren(node).map(derTree) }
    : { ...base, content: toHex(derContent(node)) };
}

/** The same tree read with the stream reader: readHeader / readContent / endElement. */
async function streamTree(r: BerStreamReader): Promise<Tree[]> {
  const out: Tree[] = [];
  while (await r.peekHeader()) {
    const h = await r.readHeader();
    const base = {
      cls: h.cls,
      tag: h.tag,
      constructed: h.constructed,
      offset: h.offset,
      headerLength: h.headerLength,
      indefinite: h.length === undefined,
    };
    if (h.constructed) {
      const kids = await streamTree(r);
      await r.endElement(h);
      out.push({ ...base, kids });
    } else {
      out.push({ ...base, content: toHex(await r.readContent(h)) });
    }
  }
  return out;
}

async function readTree(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Tree> {
  const r = new BerStreamReader(source);
  const trees = await streamTree(r);
  // Two elements back to back are trailing data to derParse: the same verdict, as a format error.
  if (!(await r.atEnd()) || trees.length !== 1)
    throw new FormatError('malformed-der', `${trees.length} top-level elements`);
  return trees[0]!;
}

// ---- vectors ----------------------------------------------------------------------------------------------------

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const sharedPresent = existsSync(join(sharedVectorsDir, 'SOURCES.md'));

/** DER/BER structures among the vector files: binary files that derParse reads whole, and CMS/PKCS7 PEM blocks. */
function loadStructures(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  const dirs = [join(repoRoot, 'vectors')];
  if (sharedPresent) dirs.push(sharedVectorsDir);
  else console.warn(`[stream-reader] ${sharedVectorsDir} absent: only ./vectors and generated files are used`);
  for (const file of dirs.flatMap(filesUnder)) {
    if (statSync(file).size > 4_000_000) continue;
    const bytes = new Uint8Array(readFileSync(file));
    if (bytes[0] === 0x30) {
      try {
        const node = derParse(bytes);
        derTree(node);
        out.push({ name: file, bytes });
      } catch {
        // not (well-formed) ASN.1
      }
      continue;
    }
    const text = Buffer.from(bytes).toString('latin1');
    for (const m of text.matchAll(/-----BEGIN (CMS|PKCS7)-----([\s\S]*?)-----END \1-----/g)) {
      const der = new Uint8Array(Buffer.from(m[2]!, 'base64'));
      try {
        derTree(derParse(der));
        out.push({ name: `${file} (PEM)`, bytes: der });
      } catch {
        // skip
      }
    }
  }
  return out;
}

const structures = loadStructures();

// ---- openssl-made CMS -------------------------------------------------------------------------------------------

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

interface Made {
  name: string;
  bytes: Uint8Array;
  content: Uint8Array;
}

/** Signed, enveloped and auth-enveloped messages, each with -stream (BER) and without (definite). */
function makeOpensslMessages(): Made[] {
  const dir = tempDir('smimekit-stream-');
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'k.pem',
    '-out',
    'c.pem',
    '-subj',
    '/CN=stream',
    '-days',
    '2',
  ]);
  const content = new Uint8Array(50_000);
  for (let i = 0; i < content.length; i++) content[i] = (i * 7 + (i >> 8)) & 0xff;
  writeFileSync(join(dir, 'data.bin'), content);
  const out: Made[] = [];
  for (const stream of [true, false]) {
    const s = stream ? ['-stream'] : [];
    const tag = stream ? 'stream' : 'definite';
    run([
      'cms',
      '-sign',
      ...s,
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
      `s-${tag}.der`,
    ]);
    run([
      'cms',
      '-encrypt',
      ...s,
      '-binary',
      '-aes256',
      '-in',
      'data.bin',
      '-outform',
      'DER',
      '-out',
      `e-${tag}.der`,
      'c.pem',
    ]);
    run([
      'cms',
      '-encrypt',
      ...s,
      '-binary',
      '-aes-256-gcm',
      '-in',
      'data.bin',
      '-outform',
      'DER',
      '-out',
      `a-${tag}.der`,
      'c.pem',
    ]);
    for (const kind of ['s', 'e', 'a']) {
      out.push({
        name: `${kind}-${tag}`,
        bytes: new Uint8Array(readFileSync(join(dir, `${kind}-${tag}.der`))),
        content,
      });
    }
  }
  return out;
}

/** Reads a ContentInfo the way the streaming CMS reader will, collecting every part. */
async function walkCms(r: BerStreamReader) {
  const parts: Record<string, Uint8Array[]> = {};
  const add = (k: string, v: Uint8Array) => (parts[k] ??= []).push(v);
  const isCtx = (h: BerHeader | undefined, tag: number) => h !== undefined && h.cls === 2 && h.tag === tag;
  const contentPieces: Uint8Array[] = [];
  const streamOctets = async (h: BerHeader) => {
    for await (const piece of r.octetStringChunks(h)) {
      expect(piece.length).toBeGreaterThan(0);
      contentPieces.push(piece.slice());
    }
  };
  const readEncrypted = async () => {
    const eci = await r.readHeader();
    add('eContentType', await r.readElement());
    add('algorithm', await r.readElement());
    if (isCtx(await r.peekHeader(), 0)) await streamOctets(await r.readHeader()); // [0] IMPLICIT
    await r.endElement(eci);
  };

  const ci = await r.readHeader();
  const type = derOid(derParse(await r.readElement()));
  const explicit = await r.readHeader();
  const body = await r.readHeader();
  add('version', await r.readElement());
  if (type === '1.2.840.113549.1.7.2') {
    add('digestAlgorithms', await r.readElement());
    const encap = await r.readHeader();
    add('eContentType', await r.readElement());
    if (await r.peekHeader()) {
      const e0 = await r.readHeader();
      await streamOctets(await r.readHeader());
      await r.endElement(e0);
    }
    await r.endElement(encap);
    if (isCtx(await r.peekHeader(), 0)) add('certificates', await r.readElement());
    if (isCtx(await r.peekHeader(), 1)) add('crls', await r.readElement());
    add('signerInfos', await r.readElement());
  } else {
    if (isCtx(await r.peekHeader(), 0)) add('originatorInfo', await r.readElement());
    add('recipientInfos', await r.readElement());
    await readEncrypted();
    if (type === '1.2.840.113549.1.9.16.1.23') {
      if (isCtx(await r.peekHeader(), 1)) add('authAttrs', await r.readElement());
      add('mac', await r.readElement());
      if (isCtx(await r.peekHeader(), 2)) add('unauthAttrs', await r.readElement());
    } else if (isCtx(await r.peekHeader(), 1)) add('unprotectedAttrs', await r.readElement());
  }
  expect(await r.peekHeader()).toBeUndefined();
  await r.endElement(body);
  await r.endElement(explicit);
  await r.endElement(ci);
  expect(await r.atEnd()).toBe(true);
  return { type, parts, content: concatBytes(...contentPieces) };
}

/** The same parts taken with derParse / derChildren / derOctets. */
function cmsByDer(bytes: Uint8Array) {
  const [oid, explicit] = derChildren(derParse(bytes));
  const type = derOid(oid);
  const kids = derChildren(derChildren(explicit!)[0]!);
  const raw = (n: DerNode) => n.buf.subarray(n.start, n.end);
  const parts: Record<string, Uint8Array[]> = {};
  const add = (k: string, n: DerNode) => (parts[k] ??= []).push(raw(n));
  let content = new Uint8Array(0);
  let i = 0;
  add('version', kids[i++]!);
  const encrypted = (eci: DerNode) => {
    const [ct, alg, enc] = derChildren(eci);
    add('eContentType', ct!);
    add('algorithm', alg!);
    if (enc) content = derOctets(enc, 'encryptedContent', { implicitTag: 0 }).slice();
  };
  if (type === '1.2.840.113549.1.7.2') {
    add('digestAlgorithms', kids[i++]!);
    const [ect, e0] = derChildren(kids[i++]!);
    add('eContentType', ect!);
    if (e0) content = derOctets(derChildren(e0)[0]).slice();
    for (; i < kids.length; i++) {
      const k = kids[i]!;
      add(k.cls === 2 ? (k.tag === 0 ? 'certificates' : 'crls') : 'signerInfos', k);
    }
  } else {
    if (kids[i]!.cls === 2) add('originatorInfo', kids[i++]!);
    add('recipientInfos', kids[i++]!);
    encrypted(kids[i++]!);
    for (; i < kids.length; i++) {
      const k = kids[i]!;
      if (type === '1.2.840.113549.1.9.16.1.23')
        add(k.cls === 2 ? (k.tag === 1 ? 'authAttrs' : 'unauthAttrs') : 'mac', k);
      else add('unprotectedAttrs', k);
    }
  }
  return { type, parts, content };
}

const isCms = (bytes: Uint8Array): boolean => {
  try {
    const oid = derOid(derChildren(derParse(bytes))[0]);
    return ['1.2.840.113549.1.7.2', '1.2.840.113549.1.7.3', '1.2.840.113549.1.9.16.1.23'].includes(oid);
  } catch {
    return false;
  }
};

function hexParts(parts: Record<string, Uint8Array[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.map(toHex)]));
}

// ---- tests ------------------------------------------------------------------------------------------------------

describe('BerStreamReader: headers', () => {
  const header = async (bytes: number[]) => new BerStreamReader(chunked(Uint8Array.from(bytes), [1])).readHeader();

  it('reads short, long and high-tag-number headers, split across chunks', async () => {
    expect(await header([0x30, 0x03, 1, 2, 3])).toEqual({
      cls: 0,
      constructed: true,
      tag: 16,
      length: 3,
      headerLength: 2,
      offset: 0,
    });
    expect(await header([0x04, 0x82, 0x01, 0x00])).toMatchObject({ length: 256, headerLength: 4 });
    expect(await header([0xbf, 0x81, 0x00, 0x80])).toMatchObject({
      cls: 2,
      tag: 128,
      length: undefined,
      headerLength: 4,
    });
    expect(await header([0x5f, 0x1f, 0x00])).toMatchObject({ cls: 1, tag: 31, constructed: false, length: 0 });
    expect(await header([0x04, 0x88, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).toMatchObject({
      length: Number.MAX_SAFE_INTEGER,
      headerLength: 10,
    });
  });

  it.each([
    ['more than 8 length octets', [0x04, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['a length over 2^53', [0x04, 0x88, 0, 0x20, 0, 0, 0, 0, 0, 0]],
    ['the reserved length octet 0xFF', [0x04, 0xff]],
    ['indefinite length on a primitive', [0x04, 0x80]],
    ['a tag number of more than 4 octets', [0x1f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00]],
    ['end of input', []],
    ['a truncated identifier', [0x1f, 0x81]],
    ['a truncated length', [0x04, 0x82, 0x01]],
  ])('refuses %s with malformed-der', async (_, bytes) => {
    const error = await header(bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('malformed-der');
  });

  it('peekHeader does not consume; position, atEnd, readEndOfContents', async () => {
    const r = new BerStreamReader(chunked(Uint8Array.of(0x30, 0x80, 0x05, 0x00, 0x00, 0x00), [1]));
    expect(await r.peekHeader()).toMatchObject({ tag: 16, length: undefined });
    expect(r.position).toBe(0);
    const h = await r.readHeader();
    expect(r.position).toBe(2);
    expect(await r.readEndOfContents()).toBe(false);
    expect(await r.readElement()).toEqual(Uint8Array.of(5, 0));
    expect(await r.peekHeader()).toBeUndefined();
    expect(await r.readHeader().catch((e: unknown) => (e as SmimeError).code)).toBe('malformed-der');
    expect(await r.atEnd()).toBe(false);
    expect(await r.readEndOfContents()).toBe(true);
    await r.endElement(h); // already ended by readEndOfContents: no-op
    expect(r.depth).toBe(0);
    expect(await r.atEnd()).toBe(true);
    expect(await r.peekHeader()).toBeUndefined();
  });
});

describe('BerStreamReader: differential against derParse on vectors', () => {
  it(`found structures to test (${structures.length})`, () => {
    // ./vectors alone has a handful; ../shared/vectors adds hundreds (the test above says when it is absent).
    expect(structures.length).toBeGreaterThan(sharedPresent ? 10 : 2);
  });

  it('reads every structure to the same tree, whole and in 1-, 7- and 4096-byte chunks', async () => {
    for (const { name, bytes } of structures) {
      const expected = derTree(derParse(bytes));
      for (const sizes of [[bytes.length], [7], [4096, 1, 3]]) {
        const got = await readTree(chunked(bytes, sizes)).catch((e: unknown) => {
          throw new Error(`${name} ${sizes.join(',')}: ${String(e)}`);
        });
        expect(got, name).toEqual(expected);
      }
      if (bytes.length < 20_000) expect(await readTree(chunkedStream(bytes, [1])), name).toEqual(expected);
    }
  });

  it('readElement returns each structure exactly (and derParse accepts it)', async () => {
    for (const { name, bytes } of structures) {
      const r = new BerStreamReader(chunked(bytes, [5, 1000]));
      const got = await r.readElement();
      expect(toHex(got), name).toBe(toHex(bytes));
      expect(await r.atEnd()).toBe(true);
      derParse(got);
    }
  });

  it('readElement of every child of the top-level element, readContent of the top-level element', async () => {
    for (const { name, bytes } of structures) {
      const top = derParse(bytes);
      const r = new BerStreamReader(chunked(bytes, [3, 64]));
      const h = await r.readHeader();
      for (const kid of derChildren(top))
        expect(toHex(await r.readElement()), name).toBe(toHex(kid.buf.subarray(kid.start, kid.end)));
      await r.endElement(h);
      expect(await r.atEnd()).toBe(true);

      const r2 = new BerStreamReader(chunked(bytes, [13]));
      const content = await r2.readContent(await r2.readHeader());
      expect(toHex(content), name).toBe(toHex(derContent(top)));
    }
  });

  it('CMS messages among the vectors walk like the streaming CMS reader will', async () => {
    const cms = structures.filter((s) => isCms(s.bytes));
    if (!sharedPresent && cms.length === 0) {
      console.warn(
        '[stream-reader] no CMS among ./vectors without ../shared/vectors: the OpenSSL-made ones below cover it',
      );
      return;
    }
    expect(cms.length).toBeGreaterThan(0);
    for (const { name, bytes } of cms) {
      const expected = cmsByDer(bytes);
      const got = await walkCms(new BerStreamReader(chunked(bytes, [11, 300])));
      expect(got.type, name).toBe(expected.type);
      expect(hexParts(got.parts), name).toEqual(hexParts(expected.parts));
      expect(toHex(got.content), name).toBe(toHex(expected.content));
    }
  });

  it('random chunkings give the same tree (fast-check)', async () => {
    const pool = structures.filter((s) => s.bytes.length < 30_000);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: pool.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 20 }),
        async (index, sizes) => {
          const { bytes } = pool[index]!;
          expect(await readTree(chunked(bytes, sizes))).toEqual(derTree(derParse(bytes)));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe.skipIf(!hasOpenssl)('BerStreamReader: openssl cms with and without -stream', () => {
  const made = hasOpenssl ? makeOpensslMessages() : [];

  it('the -stream files are BER with indefinite lengths and chunked content', () => {
    for (const m of made.filter((x) => x.name.endsWith('-stream'))) {
      expect(m.bytes[1], m.name).toBe(0x80);
    }
    for (const m of made.filter((x) => x.name.endsWith('-definite'))) {
      expect(m.bytes[1], m.name).not.toBe(0x80);
    }
  });

  it('walks SignedData, EnvelopedData and AuthEnvelopedData, streaming the content, in random chunkings', async () => {
    for (const m of made) {
      const expected = cmsByDer(m.bytes);
      if (m.name.startsWith('s-')) expect(toHex(expected.content)).toBe(toHex(m.content));
      for (const sizes of [[m.bytes.length], [1], [65536], [4099, 17], [100, 1, 2, 3, 5000]]) {
        const got = await walkCms(new BerStreamReader(chunked(m.bytes, sizes)));
        expect(got.type, m.name).toBe(expected.type);
        expect(hexParts(got.parts), m.name).toEqual(hexParts(expected.parts));
        expect(toHex(got.content), m.name).toBe(toHex(expected.content));
      }
      expect(await readTree(chunked(m.bytes, [333]))).toEqual(derTree(derParse(m.bytes)));
    }
  });

  it('never yields a content piece larger than the source chunk it came from', async () => {
    const m = made.find((x) => x.name === 's-definite')!;
    const r = new BerStreamReader(chunked(m.bytes, [1000]));
    await r.readHeader();
    await r.readElement();
    await r.readHeader();
    await r.readHeader();
    await r.readElement();
    await r.readElement();
    await r.readHeader();
    await r.readElement();
    await r.readHeader();
    const os = await r.readHeader();
    let total = 0;
    for await (const piece of r.octetStringChunks(os)) {
      expect(piece.length).toBeLessThanOrEqual(1000);
      total += piece.length;
    }
    expect(total).toBe(m.content.length);
  });
});

/** A small BER message shaped like a streamed SignedData, with 16-byte content chunks. */
function syntheticBer(): { bytes: Uint8Array; content: Uint8Array } {
  const content = Uint8Array.from({ length: 300 }, (_, i) => (i * 13) & 0xff);
  const w = new ChunkedOctetWriter({ chunkSize: 16 });
  const os = concatBytes(
    w.start(),
    ...w.write(content.subarray(0, 100)),
    ...w.write(content.subarray(100)),
    ...w.end(),
  );
  const bytes = concatBytes(
    berIndefiniteHeader(0x30),
    encodeOid('1.2.840.113549.1.7.2'),
    berIndefiniteHeader(0xa0),
    berIndefiniteHeader(0x30),
    tlv(0x02, Uint8Array.of(1)),
    tlv(0x31, seq(encodeOid('2.16.840.1.101.3.4.2.1'))),
    berIndefiniteHeader(0x30),
    encodeOid('1.2.840.113549.1.7.1'),
    berIndefiniteHeader(0xa0),
    os,
    END_OF_CONTENTS,
    END_OF_CONTENTS,
    tlv(
      0xa0,
      seq(tlv(0x02, Uint8Array.of(5))),
      berIndefiniteHeader(0x30),
      octets(Uint8Array.of(1, 2)),
      END_OF_CONTENTS,
    ),
    tlv(0x31, seq(tlv(0x02, Uint8Array.of(1)))),
    END_OF_CONTENTS,
    END_OF_CONTENTS,
    END_OF_CONTENTS,
  );
  return { bytes, content };
}

describe('BerStreamReader: truncation and lying lengths', () => {
  const expectFormatError = async (work: Promise<unknown>, what: string) => {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, what).toBeInstanceOf(FormatError);
    expect((error as FormatError).code, what).toMatch(/^(malformed-der|limit-exceeded)$/);
  };

  it('the synthetic BER message reads like derParse does', async () => {
    const { bytes, content } = syntheticBer();
    expect(await readTree(chunked(bytes, [7]))).toEqual(derTree(derParse(bytes)));
    const got = await walkCms(new BerStreamReader(chunked(bytes, [5])));
    expect(toHex(got.content)).toBe(toHex(content));
    expect(hexParts(got.parts)).toEqual(hexParts(cmsByDer(bytes).parts));
  });

  it('truncation at every position is a FormatError, never a hang or a success', async () => {
    const samples = [
      syntheticBer().bytes,
      ...structures
        .filter((s) => isCms(s.bytes))
        .sort((a, b) => a.bytes.length - b.bytes.length)
        .slice(0, 2)
        .map((s) => s.bytes),
    ];
    for (const bytes of samples) {
      for (let n = 1; n < bytes.length; n++) {
        const cut = bytes.subarray(0, n);
        await expectFormatError(readTree(chunked(cut, [3])), `tree, cut at ${n}`);
        await expectFormatError(
          new BerStreamReader(chunked(cut, [n + 1])).readElement().then(derParse),
          `element, cut at ${n}`,
        );
        if (isCms(bytes)) await expectFormatError(walkCms(new BerStreamReader(chunked(cut, [2]))), `cms, cut at ${n}`);
      }
    }
  });

  it('a child longer than its definite parent is refused when its header is read', async () => {
    // SEQUENCE (4) { OCTET STRING (5) ... }
    const bytes = Uint8Array.of(0x30, 0x04, 0x04, 0x05, 1, 2, 3, 4, 5);
    const r = new BerStreamReader(chunked(bytes));
    await r.readHeader();
    const e = (await r.readHeader().catch((x: unknown) => x)) as FormatError;
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/past the end of its enclosing element/);
    const r2 = new BerStreamReader(chunked(bytes));
    await r2.readHeader();
    await expect(r2.readElement()).rejects.toThrow(/past the end of its enclosing element/);
  });

  it('an indefinite child of a definite parent must end within it', async () => {
    // SEQUENCE (4) { SEQUENCE indefinite { NULL } ... } — the EOC would lie outside
    const bytes = Uint8Array.of(0x30, 0x04, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00);
    await expect(new BerStreamReader(chunked(bytes)).readElement()).resolves.toHaveLength(6); // taken whole
    const r = new BerStreamReader(chunked(bytes, [1]));
    await r.readHeader();
    await expect(r.readElement()).rejects.toThrow(/past the end/);
    const r2 = new BerStreamReader(chunked(bytes, [1]));
    await r2.readHeader();
    const inner = await r2.readHeader();
    await r2.readElement();
    await expect(r2.endElement(inner)).rejects.toThrow(FormatError);
  });

  it('endElement refuses unread bytes, missing end-of-contents and extra children', async () => {
    const r = new BerStreamReader(chunked(Uint8Array.of(0x30, 0x04, 0x05, 0x00, 0x05, 0x00)));
    const h = await r.readHeader();
    await r.readElement();
    await expect(r.endElement(h)).rejects.toThrow(/2 unread bytes/);

    const r2 = new BerStreamReader(chunked(Uint8Array.of(0x30, 0x80, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00)));
    const h2 = await r2.readHeader();
    await r2.readElement();
    await expect(r2.endElement(h2)).rejects.toThrow(/expected end-of-contents/);

    const r3 = new BerStreamReader(chunked(Uint8Array.of(0x30, 0x80, 0x05, 0x00)));
    const h3 = await r3.readHeader();
    await r3.readElement();
    await expect(r3.endElement(h3)).rejects.toThrow(/without end-of-contents/);
  });

  it('readHeader at the end of a definite parent or at an end-of-contents is an error; peekHeader says undefined', async () => {
    const r = new BerStreamReader(chunked(Uint8Array.of(0x30, 0x02, 0x05, 0x00, 0x05, 0x00)));
    const h = await r.readHeader();
    await r.readElement();
    expect(await r.peekHeader()).toBeUndefined();
    await expect(r.readHeader()).rejects.toThrow(/no more elements/);
    await expect(r.readElement()).rejects.toThrow(/no more elements/);
    await r.endElement(h);
    expect(await r.atEnd()).toBe(false); // trailing data
  });

  it('misuse is an ArgumentError', async () => {
    const r = new BerStreamReader(chunked(Uint8Array.of(0x30, 0x80, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00)));
    const outer = await r.readHeader();
    const inner = await r.readHeader();
    await expect(r.endElement(outer)).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(r.readContent(outer)).rejects.toMatchObject({ code: 'bad-argument' });
    await r.endElement(inner);
    await r.endElement(outer);
    await expect(r.endElement({ ...outer })).rejects.toMatchObject({ code: 'bad-argument' });
    const r2 = new BerStreamReader(chunked(Uint8Array.of(0x04, 0x02, 0x05, 0x00)));
    await r2.readHeader();
    await expect(r2.readHeader()).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(r2.peekHeader()).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(r2.readElement()).rejects.toMatchObject({ code: 'bad-argument' });
  });

  it('random corruption: the reader agrees with derParse/derChildren or fails with a typed error (fast-check)', async () => {
    const pool = [
      syntheticBer().bytes,
      ...structures
        .filter((s) => s.bytes.length < 3000)
        .slice(0, 20)
        .map((s) => s.bytes),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: pool.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 50 }),
        async (index, edits, size) => {
          const bytes = pool[index]!.slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          let expected: Tree | Error;
          try {
            expected = derTree(derParse(bytes));
          } catch (e) {
            expected = e as Error;
          }
          let got: Tree | Error;
          try {
            got = await readTree(chunked(bytes, [size]));
          } catch (e) {
            got = e as Error;
          }
          if (got instanceof Error) {
            expect(got).toBeInstanceOf(SmimeError);
            // Both refuse, or the reader's stricter limits (nesting of definite elements) refused it.
            if (!(expected instanceof Error)) expect(got).toBeInstanceOf(LimitError);
          } else {
            expect(got).toEqual(expected);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('BerStreamReader: limits', () => {
  const nested = (depth: number) =>
    concatBytes(
      ...Array.from({ length: depth }, () => berIndefiniteHeader(0x30)),
      ...Array.from({ length: depth }, () => END_OF_CONTENTS),
    );

  it('nesting deeper than maxDepth is a LimitError in readHeader and in readElement', async () => {
    const bytes = nested(100);
    const r = new BerStreamReader(chunked(bytes, [3]));
    const e = await (async () => {
      for (;;) await r.readHeader();
    })().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LimitError);
    expect((e as LimitError).details).toMatchObject({ limit: 'asn1-depth', value: 64 });
    expect(r.depth).toBe(64);
    await expect(new BerStreamReader(chunked(bytes, [3])).readElement()).rejects.toBeInstanceOf(LimitError);
    await expect(new BerStreamReader(chunked(nested(10)), { maxDepth: 9 }).readElement()).rejects.toBeInstanceOf(
      LimitError,
    );
    expect(await new BerStreamReader(chunked(nested(10)), { maxDepth: 10 }).readElement()).toHaveLength(40);
    expect(await new BerStreamReader(chunked(nested(60))).readElement()).toHaveLength(240);
  });

  it('readElement over maxLength: LimitError before buffering a definite element, while reading an indefinite one', async () => {
    let pulled = 0;
    const huge: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff); // 2 GiB declared
        for (;;) {
          pulled++;
          yield new Uint8Array(65536);
        }
      },
    };
    const e = await new BerStreamReader(huge, { maxElementLength: 1 << 20 }).readElement().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LimitError);
    expect((e as LimitError).code).toBe('limit-exceeded');
    expect((e as LimitError).details).toMatchObject({ limit: 'maxElementLength', value: 1 << 20 });
    expect(pulled).toBe(0);

    const w = new ChunkedOctetWriter({ chunkSize: 1000 });
    const big = concatBytes(w.start(), ...w.write(new Uint8Array(10_000)), ...w.end());
    const limited = (max: number) => new BerStreamReader(chunked(big, [512]), { maxElementLength: max });
    await expect(limited(5000).readElement()).rejects.toBeInstanceOf(LimitError);
    expect(await limited(big.length).readElement()).toHaveLength(big.length);
    await expect(limited(big.length - 1).readElement()).rejects.toBeInstanceOf(LimitError);
    const r2 = limited(5000);
    await expect(r2.readContent(await r2.readHeader())).rejects.toBeInstanceOf(LimitError);
    const r3 = limited(big.length - 4);
    expect(await r3.readContent(await r3.readHeader())).toHaveLength(big.length - 4);
  });

  it("a field's own bound, below the reader's limit, is a broken structure (malformed-der), not a limit to raise", async () => {
    const w = new ChunkedOctetWriter({ chunkSize: 1000 });
    const big = concatBytes(w.start(), ...w.write(new Uint8Array(10_000)), ...w.end());
    // Indefinite: found while reading; definite (a 2 GiB OID header): before buffering anything.
    await expect(new BerStreamReader(chunked(big, [512])).readElement(5000)).rejects.toMatchObject({
      code: 'malformed-der',
    });
    expect(await new BerStreamReader(chunked(big, [512])).readElement(big.length)).toHaveLength(big.length);
    const oid = new BerStreamReader(chunked(Uint8Array.of(0x06, 0x84, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3), [4]));
    await expect(oid.readElement(1024)).rejects.toMatchObject({ code: 'malformed-der' });
    const r = new BerStreamReader(chunked(big, [512]));
    await expect(r.readContent(await r.readHeader(), 5000)).rejects.toMatchObject({ code: 'malformed-der' });
  });

  it('source errors propagate; abort rejects with the reason; cancel cancels the source', async () => {
    const failing: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield Uint8Array.of(0x30, 0x80);
        throw new Error('socket closed');
      },
    };
    const r = new BerStreamReader(failing);
    await r.readHeader();
    await expect(r.readElement()).rejects.toThrow('socket closed');

    let cancelled: unknown;
    const stream = new ReadableStream<Uint8Array>({
      pull: () => new Promise(() => {}), // never delivers
      cancel: (reason) => void (cancelled = reason),
    });
    const controller = new AbortController();
    const r2 = new BerStreamReader(stream, { signal: controller.signal });
    const pending = r2.readHeader();
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(cancelled).toBeInstanceOf(Error);

    let cancelled2 = false;
    const r3 = new BerStreamReader(
      new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(Uint8Array.of(1)),
        cancel: () => void (cancelled2 = true),
      }),
    );
    await r3.cancel('done');
    expect(cancelled2).toBe(true);
  });
});

describe('BerStreamReader: octetStringChunks', () => {
  const collect = async (bytes: Uint8Array, sizes: number[] = [bytes.length]) => {
    const r = new BerStreamReader(chunked(bytes, sizes));
    const h = await r.readHeader();
    const pieces: Uint8Array[] = [];
    for await (const p of r.octetStringChunks(h)) pieces.push(p.slice());
    expect(await r.atEnd()).toBe(true);
    return concatBytes(...pieces);
  };
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

  it('primitive, constructed definite, constructed indefinite, nested, [0] IMPLICIT, empty pieces', async () => {
    const forms = [
      octets(data),
      tlv(0x24, octets(data.subarray(0, 10)), octets(data.subarray(10))),
      concatBytes(
        Uint8Array.of(0x24, 0x80),
        octets(data.subarray(0, 600)),
        octets(new Uint8Array(0)),
        octets(data.subarray(600)),
        END_OF_CONTENTS,
      ),
      tlv(
        0x24,
        tlv(0x24, octets(data.subarray(0, 1))),
        concatBytes(Uint8Array.of(0x24, 0x80), octets(data.subarray(1)), END_OF_CONTENTS),
      ),
      tlv(0x80, data),
      tlv(0xa0, octets(data.subarray(0, 500)), octets(data.subarray(500))),
    ];
    for (const form of forms) {
      for (const sizes of [[form.length], [1], [7, 100]]) expect(toHex(await collect(form, sizes))).toBe(toHex(data));
    }
    expect(await collect(Uint8Array.of(0x24, 0x80, 0x00, 0x00))).toHaveLength(0);
    expect(await collect(Uint8Array.of(0x04, 0x00))).toHaveLength(0);
  });

  it('refuses a wrong inner tag, truncation and lengths past the parent', async () => {
    await expect(collect(tlv(0x24, tlv(0x0c, data)))).rejects.toThrow(/non-OCTET STRING/);
    await expect(collect(tlv(0x24, tlv(0x84, data)))).rejects.toThrow(/non-OCTET STRING/);
    await expect(collect(octets(data).subarray(0, 500), [100])).rejects.toThrow(/truncated/);
    await expect(collect(Uint8Array.of(0x24, 0x80, 0x04, 0x01, 0x01))).rejects.toThrow(FormatError);
    await expect(collect(Uint8Array.of(0x24, 0x03, 0x04, 0x02, 0x01, 0x02))).rejects.toThrow(/past the end/);
  });
});

describe('BerStreamReader: a 200 MB OCTET STRING', () => {
  const TOTAL = 200 * 1024 * 1024;
  const CHUNK = 64 * 1024;

  /** Fresh 64 KiB chunks: `prefix`, then the content. */
  function source(prefix: Uint8Array): ReadableStream<Uint8Array> {
    let sent = 0;
    let started = false;
    return new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (!started) {
            started = true;
            c.enqueue(prefix.slice());
            return;
          }
          if (sent < TOTAL) {
            const n = Math.min(CHUNK, TOTAL - sent);
            const chunk = new Uint8Array(n);
            for (let i = 0; i < n; i += 256) chunk[i] = (sent + i) & 0xff;
            sent += n;
            c.enqueue(chunk);
            return;
          }
          c.close();
        },
      },
      { highWaterMark: 0 },
    );
  }

  // A garbage collector to call, so that what is measured is what the reader retains, not garbage awaiting a GC.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  async function measure(stream: ReadableStream<Uint8Array>, label: string) {
    const r = new BerStreamReader(stream);
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let retained = 0;
    let total = 0;
    let count = 0;
    const started = performance.now();
    const h = await r.readHeader();
    for await (const piece of r.octetStringChunks(h)) {
      total += piece.length;
      if ((++count & 63) === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
      if ((count & 1023) === 0) {
        gc();
        gc(); // the first may leave array buffers to a concurrent sweeper
        retained = Math.max(retained, process.memoryUsage().arrayBuffers - baseline);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    expect(await r.atEnd()).toBe(true);
    expect(total).toBe(TOTAL);
    const mb = (n: number) => (n / 1048576).toFixed(1);
    console.log(
      `[stream-reader] ${label}: ${(TOTAL / 1048576 / seconds).toFixed(0)} MB/s (with GCs), arrayBuffers growth: ${mb(retained)} MB after GC, ${mb(peak)} MB peak before GC`,
    );
    expect(retained).toBeLessThan(4 * 1024 * 1024);
    expect(peak).toBeLessThan(100 * 1024 * 1024); // garbage awaiting GC: V8 lets ~32-64 MB of external memory build up
  }

  it('primitive with a definite length, 64 KiB chunks, memory bounded', async () => {
    const header = Uint8Array.of(
      0x04,
      0x84,
      (TOTAL >>> 24) & 0xff,
      (TOTAL >>> 16) & 0xff,
      (TOTAL >>> 8) & 0xff,
      TOTAL & 0xff,
    );
    await measure(source(header), 'primitive 200 MB');
  });

  it('constructed indefinite (openssl -stream form, 4096-byte pieces), memory bounded', async () => {
    // Source chunks of 16 pieces of 4096 bytes (65 600 bytes), headers inline.
    const TOTAL_PIECES = TOTAL / 4096;
    let made = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (made === 0) c.enqueue(Uint8Array.of(0x24, 0x80));
          if (made === TOTAL_PIECES) {
            c.enqueue(END_OF_CONTENTS.slice());
            c.close();
            made++;
            return;
          }
          const chunk = new Uint8Array(16 * 4100);
          for (let k = 0; k < 16; k++) chunk.set([0x04, 0x82, 0x10, 0x00], k * 4100);
          made += 16;
          c.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    await measure(stream, 'constructed 200 MB');
  });
});
