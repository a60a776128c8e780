/** `CliStreams` on Node: files and standard streams as Web Streams, output staged in temporary files. */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isatty } from 'node:tty';
import { fileError, type CliStreams, type StagedOutput } from './io.js';
import { gcPacer } from './gc-pacer.js';

/** Chunk size of file reads: small enough that few bytes are in flight between two collections (gc-pacer.ts). */
const READ_CHUNK = 64 * 1024;

/**
 * A file as a pull-driven stream: a read happens only when the consumer asks, so memory stays at one chunk
 * (`Readable.toWeb` on Node 20 counts its queue in chunks, and runs far ahead of a slow consumer).
 */
async function openFile(path: string): Promise<{ stream: ReadableStream<Uint8Array>; size?: number }> {
  let handle: FileHandle;
  let size: number | undefined;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (info.isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    if (info.isFile()) size = info.size;
  } catch (e) {
    throw fileError(path, e);
  }
  const pace = gcPacer();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const buffer = new Uint8Array(READ_CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
        pace(bytesRead);
        if (bytesRead === 0) {
          await handle.close();
          controller.close();
        } else controller.enqueue(buffer.subarray(0, bytesRead));
      },
      async cancel() {
        await handle.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, ...(size !== undefined ? { size } : {}) };
}

/** Standard input as a pull-driven stream (see openFile). */
function stdinStream(): ReadableStream<Uint8Array> {
  const iterator = process.stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const pace = gcPacer();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (!next.done) pace(next.value.length);
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.length));
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A temporary file next to `path` (same file system, so the rename is atomic), renamed into place on commit. Each
 * write waits for the file system (`Writable.toWeb` on Node 20 queues without bound ahead of a slow disk).
 */
async function stageFile(path: string): Promise<StagedOutput> {
  const temp = join(dirname(path), `.${basename(path)}.smimekit-${process.pid}-${Date.now()}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx');
  } catch (e) {
    throw fileError(path, e, true);
  }
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      for (let offset = 0; offset < chunk.length;) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, null);
        offset += bytesWritten;
      }
    },
    close,
    abort: close,
  });
  return {
    stream,
    async commit() {
      try {
        await close();
        await rename(temp, path);
      } catch (e) {
        await rm(temp, { force: true });
        throw fileError(path, e, true);
      }
    },
    async discard() {
      await close().catch(() => undefined);
      await rm(temp, { force: true });
    },
  };
}

/** Standard output: spooled to a private temporary file, copied out only on commit. */
async function stageStdout(): Promise<StagedOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'smimekit-'));
  const file = join(dir, 'out');
  const staged = await stageFile(file);
  return {
    stream: staged.stream,
    async commit() {
      await staged.commit();
      await pipeline(createReadStream(file), process.stdout, { end: false });
      await rm(dir, { recursive: true, force: true });
    },
    async discard() {
      await staged.discard();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const nodeStreams: CliStreams = {
  async openInput(path) {
    if (path === undefined || path === '-') return { stream: stdinStream() };
    return openFile(path);
  },
  openOutput(path) {
    return path === undefined || path === '-' ? stageStdout() : stageFile(path);
  },
  stderrIsTerminal: isatty(2),
};
