/**
 * Files as Web Streams on Node, for the streaming functions: a pull-driven source (one chunk read ahead of the
 * consumer, so memory stays at two chunks) and staged output (a temporary file renamed into place only once the
 * stream has ended without error, so unverified content never sits under the final name).
 */
import { randomUUID } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ArgumentError, SmimeError } from '../errors.js';
import { gcPacer, DEFAULT_GC_PACE } from './gc-pacer.js';

/**
 * Default chunk size of file reads. Measured on 25 and 150 MB: 64 KiB holds the least in flight between two
 * collections (the CLI's choice) but costs 10–15% in time in a program's own process; 128 KiB is as fast as
 * 256 KiB there and about as lean as 64 KiB.
 */
const DEFAULT_CHUNK_SIZE = 128 * 1024;
const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
/** Output gathered before one write to a staged file. */
const WRITE_BUFFER = 256 * 1024;

/** An error for a file that cannot be read (`unreadable-input`) or written (`unwritable-output`). */
export function fileError(path: string, e: unknown, writing = false): SmimeError {
  const code = (e as { code?: string }).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : (e as Error).message;
  return new SmimeError(
    writing ? 'unwritable-output' : 'unreadable-input',
    `cannot ${writing ? 'write' : 'read'} ${path}: ${reason}`,
    { cause: e },
  );
}

/** Options of {@link openFileStream}. */
export interface FileStreamOptions {
  /** Bytes per read, 1 byte to 64 MiB (default 128 KiB). */
  chunkSize?: number;
  /**
   * Run a minor garbage collection every 512 KiB read (`true`), or every this many bytes, to keep the process's
   * peak memory flat whatever the file's size (see {@link gcPacer}). Off by default: it sets `--expose-gc` at run
   * time, a process-wide change the caller opts into.
   */
  collectGarbage?: boolean | number;
}

/** A file being read as a stream. */
export interface FileStream {
  /** The file's bytes, read one chunk ahead of the consumer; cancelling closes the file. */
  stream: ReadableStream<Uint8Array>;
  /** The file's size when it is a regular file (for progress), undefined for a pipe or device. */
  size: number | undefined;
}

/**
 * Opens a file as a pull-driven byte stream for the streaming functions (`signMessageStream`,
 * `readMessageStream`, …). Unlike `Readable.toWeb(createReadStream(path))`, which on Node 20 reads far ahead of a
 * slow consumer, it reads one chunk ahead of what the consumer has taken, so memory stays at two chunks while the
 * next read overlaps the work on the last one (reading only when asked left the process idle for a fifth of a
 * streamed encryption, waiting for each read).
 *
 * @throws {SmimeError} `unreadable-input` (no such file, permission denied, a directory)
 * @throws {ArgumentError} `bad-argument` (`chunkSize` or `collectGarbage` out of range)
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { openFileStream } from 'smimekit/node';
 *
 * await writeFile('note.txt', 'hello');
 * const { stream, size } = await openFileStream('note.txt');
 * console.log(size, await new Response(stream).text()); // 5 hello
 * ```
 */
export async function openFileStream(path: string, options: FileStreamOptions = {}): Promise<FileStream> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE)
    throw new ArgumentError(
      'bad-argument',
      `chunkSize must be an integer from 1 to ${MAX_CHUNK_SIZE}, not ${chunkSize}`,
    );
  const { collectGarbage = false } = options;
  const pace =
    collectGarbage === false ? undefined : gcPacer(collectGarbage === true ? DEFAULT_GC_PACE : collectGarbage);
  let opened: FileHandle | undefined;
  let size: number | undefined;
  try {
    opened = await open(path, 'r');
    const info = await opened.stat();
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (info.isFile()) size = info.size;
  } catch (e) {
    await opened?.close().catch(() => undefined);
    throw fileError(path, e);
  }
  const handle = opened;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const buffer = new Uint8Array(chunkSize);
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buffer, 0, chunkSize, null));
        } catch (e) {
          await handle.close().catch(() => undefined);
          throw fileError(path, e);
        }
        pace?.(bytesRead);
        if (bytesRead === 0) {
          await handle.close();
          controller.close();
        } else controller.enqueue(buffer.subarray(0, bytesRead));
      },
      async cancel() {
        await handle.close();
      },
    },
    { highWaterMark: 1 },
  );
  return { stream, size };
}

/** Output that appears under its name only when committed; see {@link stageFile}. */
export interface StagedFile {
  /** Where the bytes go: small writes are gathered into 256 KiB, and each write to the file waits for it. */
  stream: WritableStream<Uint8Array>;
  /** Closes the temporary file and renames it into place (replacing a file of that name). */
  commit(): Promise<void>;
  /** Closes and removes the temporary file: nothing is left. */
  discard(): Promise<void>;
}

/**
 * A temporary file next to `path` (same directory, so the rename is atomic), renamed to `path` on commit. Use it for
 * the output of a streaming function: commit when the stream has ended normally, discard when it errored.
 * {@link writeStreamToFile} does both.
 *
 * @throws {SmimeError} `unwritable-output` (the directory is missing or not writable)
 */
export async function stageFile(path: string): Promise<StagedFile> {
  // The random part keeps two writers of the same path (in one process, in the same millisecond) apart.
  const temp = join(dirname(path), `.${basename(path)}.smimekit-${process.pid}-${randomUUID().slice(0, 8)}.tmp`);
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
  const writeAll = async (bytes: Uint8Array) => {
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
      offset += bytesWritten;
    }
  };
  // Small chunks are gathered into one reused buffer: a write is a round trip to the thread pool, and a streamed
  // message arrives in pieces of a few KiB to 100 KiB.
  let pending: Uint8Array | undefined;
  let filled = 0;
  const flush = async () => {
    if (pending && filled > 0) await writeAll(pending.subarray(0, filled));
    filled = 0;
  };
  // `Writable.toWeb` on Node 20 queues without bound ahead of a slow disk: each write here waits for it.
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (filled + chunk.length > WRITE_BUFFER) await flush();
      if (chunk.length >= WRITE_BUFFER) return writeAll(chunk);
      pending ??= new Uint8Array(WRITE_BUFFER);
      pending.set(chunk, filled);
      filled += chunk.length;
    },
    async close() {
      await flush();
      await close();
    },
    abort: close,
  });
  return {
    stream,
    async commit() {
      try {
        await flush(); // when the stream was not closed: what it gathered is part of the output
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

/**
 * Writes a stream to `path` only if it ends without error: the bytes go to a temporary file next to `path`, which is
 * renamed into place at the end, or removed when the stream errors, and the stream's error is rethrown. The streaming
 * functions error their output when the end-of-stream check fails (a signature, a GCM tag, CBC padding), so content
 * that did not verify never appears under `path`, and an existing file there is left as it was.
 *
 * @returns the number of bytes written
 * @throws the stream's own error (for example `digest-mismatch`, `decryption-failed`); {@link SmimeError}
 *   `unwritable-output` when the file cannot be written
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { writeStreamToFile } from 'smimekit/node';
 *
 * const bytes = new TextEncoder().encode('verified content');
 * await writeStreamToFile(new Blob([bytes]).stream(), 'out.txt');
 * console.log(await readFile('out.txt', 'utf8')); // verified content
 * ```
 */
export async function writeStreamToFile(source: ReadableStream<Uint8Array>, path: string): Promise<number> {
  const staged = await stageFile(path);
  let written = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      written += chunk.length;
      controller.enqueue(chunk);
    },
  });
  try {
    await source.pipeThrough(counter).pipeTo(staged.stream);
  } catch (e) {
    await staged.discard();
    throw e;
  }
  await staged.commit();
  return written;
}
