/**
 * `smimekit/node`: files as pull-driven streams, staged output that appears only when the stream ended without
 * error (a tampered signature leaves no file, and an existing file as it was), and the GC pacer (minor collections
 * observed through perf_hooks).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { gcPacer, openFileStream, stageFile, writeStreamToFile } from '../../src/node.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessageStream } from '../../src/smime/verify-stream.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { SmimeError } from '../../src/errors.js';
import { fromLatin1, latin1 } from '../../src/util/bytes.js';
import { chunked, collect } from '../helpers/streams.js';
import { tempDir } from '../helpers/temp.js';
import { AT, chainFile, identity, type TestIdentity } from '../cms/fixtures.js';

let dir: string;
let alice: TestIdentity;
let trust: TrustList;

beforeAll(async () => {
  dir = tempDir();
  alice = await identity('ee-rsa');
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
});

const MESSAGE = fromLatin1(
  'From: rsa.user@example.test\r\nTo: bob@example.test\r\nSubject: files\r\nMIME-Version: 1.0\r\n' +
    `Content-Type: text/plain\r\n\r\n${'a line of the message\r\n'.repeat(2000)}`,
);

/** The error a promise rejects with. */
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );

describe('openFileStream', () => {
  it('reads the file in chunks of the requested size and reports its size', async () => {
    const file = join(dir, 'in.bin');
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff);
    writeFileSync(file, bytes);
    const { stream, size } = await openFileStream(file, { chunkSize: 4096 });
    expect(size).toBe(100_000);
    const reader = stream.getReader();
    const sizes: number[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) sizes.push(r.value.length);
    expect(sizes.slice(0, -1).every((n) => n === 4096)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100_000);
    const again = await openFileStream(file, { collectGarbage: 8192 });
    expect(Buffer.from(await collect(again.stream)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads only when the consumer asks: bytes appended after opening are read too', async () => {
    const file = join(dir, 'growing.txt');
    writeFileSync(file, 'first ');
    const { stream } = await openFileStream(file, { chunkSize: 3 });
    const reader = stream.getReader();
    expect(latin1((await reader.read()).value!)).toBe('fir');
    appendFileSync(file, 'second');
    const rest: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(latin1(r.value));
    expect(rest.join('')).toBe('st second');
  });

  it('a missing file or a directory: unreadable-input; a bad chunk size: bad-argument', async () => {
    const missing = (await rejection(openFileStream(join(dir, 'nope.eml')))) as SmimeError;
    expect(missing).toBeInstanceOf(SmimeError);
    expect(missing.code).toBe('unreadable-input');
    expect(missing.message).toContain('no such file');
    const directory = (await rejection(openFileStream(dir))) as SmimeError;
    expect(directory.code).toBe('unreadable-input');
    expect(directory.message).toContain('is a directory');
    for (const chunkSize of [0, 1.5, 2 ** 30])
      expect(((await rejection(openFileStream(join(dir, 'in.bin'), { chunkSize }))) as SmimeError).code).toBe(
        'bad-argument',
      );
  });
});

describe('writeStreamToFile', () => {
  it('verified content lands under its name, with no temporary file left', async () => {
    const out = join(dir, 'ok', 'verified.eml');
    mkdirSync(join(dir, 'ok'));
    const signed = await signMessage(MESSAGE, { signer: alice, signingTime: AT });
    const { stream, report } = await verifyMessageStream(chunked(signed), { trust, at: AT });
    const written = await writeStreamToFile(stream, out);
    expect((await report).ok).toBe(true);
    expect(readFileSync(out).length).toBe(written);
    expect(latin1(readFileSync(out))).toContain('a line of the message');
    expect(readdirSync(join(dir, 'ok'))).toEqual(['verified.eml']);
  });

  it('a tampered signature: digest-mismatch, no file, an existing file untouched, no temporary file', async () => {
    const folder = join(dir, 'tampered');
    mkdirSync(folder);
    const signed = latin1(await signMessage(MESSAGE, { signer: alice, signingTime: AT }));
    const tampered = fromLatin1(signed.replace('a line of the message', 'a line of the massage'));
    for (const existing of [undefined, 'the previous content']) {
      const out = join(folder, 'out.eml');
      if (existing) writeFileSync(out, existing);
      const { stream, report } = await verifyMessageStream(chunked(tampered), { trust, at: AT });
      const failure = (await rejection(writeStreamToFile(stream, out))) as SmimeError;
      expect(failure.code).toBe('digest-mismatch');
      expect((await report).ok).toBe(false);
      if (existing) expect(readFileSync(out, 'utf8')).toBe(existing);
      else expect(existsSync(out)).toBe(false);
      expect(readdirSync(folder)).toEqual(existing ? ['out.eml'] : []);
    }
  });

  it('a missing directory: unwritable-output', async () => {
    const failure = (await rejection(
      writeStreamToFile(new Blob(['x']).stream(), join(dir, 'no', 'such', 'dir.txt')),
    )) as SmimeError;
    expect(failure.code).toBe('unwritable-output');
  });
});

describe('stageFile', () => {
  it('two staged writers of one path at once: each gets its own temporary file, the last commit wins', async () => {
    const folder = join(dir, 'twice');
    mkdirSync(folder);
    const [a, b] = await Promise.all([stageFile(join(folder, 'out.txt')), stageFile(join(folder, 'out.txt'))]);
    await new Blob(['first']).stream().pipeTo(a.stream);
    await new Blob(['second']).stream().pipeTo(b.stream);
    expect(readdirSync(folder)).toHaveLength(2);
    await a.commit();
    await b.commit();
    expect(readdirSync(folder)).toEqual(['out.txt']);
    expect(readFileSync(join(folder, 'out.txt'), 'utf8')).toBe('second');
  });

  it('small and large writes in any mix land in order, also when commit comes without closing the stream', async () => {
    const folder = join(dir, 'mixed');
    mkdirSync(folder);
    const sizes = [1, 3000, 70_000, 300_000, 5, 262_144, 262_143, 2, 100_000];
    const pieces = sizes.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + k * 7) & 0xff));
    const expected = Buffer.concat(pieces);
    const closed = await stageFile(join(folder, 'closed.bin'));
    const w1 = closed.stream.getWriter();
    for (const piece of pieces) await w1.write(piece);
    await w1.close();
    await closed.commit();
    const open = await stageFile(join(folder, 'open.bin'));
    const w2 = open.stream.getWriter();
    for (const piece of pieces) await w2.write(piece);
    await open.commit();
    expect(readFileSync(join(folder, 'closed.bin')).equals(expected)).toBe(true);
    expect(readFileSync(join(folder, 'open.bin')).equals(expected)).toBe(true);
  });

  it('commit renames into place; discard leaves nothing', async () => {
    const folder = join(dir, 'staged');
    mkdirSync(folder);
    const kept = await stageFile(join(folder, 'kept.txt'));
    await new Blob(['kept']).stream().pipeTo(kept.stream);
    expect(readdirSync(folder)).toHaveLength(1);
    expect(readdirSync(folder)[0]).toMatch(/^\.kept\.txt\.smimekit-\d+-[0-9a-f]{8}\.tmp$/);
    await kept.commit();
    const dropped = await stageFile(join(folder, 'dropped.txt'));
    const writer = dropped.stream.getWriter();
    await writer.write(fromLatin1('half'));
    await dropped.discard();
    expect(readdirSync(folder)).toEqual(['kept.txt']);
    expect(readFileSync(join(folder, 'kept.txt'), 'utf8')).toBe('kept');
  });
});

describe('gcPacer', () => {
  it('runs a minor collection every everyBytes bytes, and none in between', async () => {
    const entries: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    const minor = () =>
      entries.filter(
        (e) =>
          (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR,
      ).length;
    const pace = gcPacer(1000);
    // Let entries from before the pacer arrive, then count from here.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = minor();
    for (let i = 0; i < 40; i++) pace(100); // 4,000 bytes: 4 collections
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    expect(minor() - before).toBeGreaterThanOrEqual(4);
    expect(minor() - before).toBeLessThan(8);
    expect(() => gcPacer(0)).toThrow(expect.objectContaining({ code: 'bad-argument' }));
  });
});
