/**
 * How the message commands (sign, verify, encrypt, decrypt, read) handle inputs of any size: an input up to
 * `STREAM_THRESHOLD` is read into memory and goes through the buffered functions (every feature, byte-identical
 * output); a larger one — or any with `--stream` — goes through the streaming functions with a fixed memory peak.
 * Streamed output is staged and appears only on success; progress goes to standard error on a terminal.
 */
import { concatBytes } from '../util/bytes.js';
import { generatorStream, iterateBytes } from '../util/byte-source.js';
import { flagBool, type ParsedArgs } from './args.js';
import { readInput, type CliIo } from './io.js';

/** Inputs larger than this are streamed (64 MiB: well above any ordinary mail, well below memory). */
const STREAM_THRESHOLD = 64 * 1024 * 1024;
/** A pipe longer than this goes to a temporary file until it ends or passes the threshold. */
const SPOOL_AFTER = 4 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

/** The `describe` lines of the streaming flags. */
export const STREAM_DESCRIBE = {
  stream: `process the input as a stream with a fixed memory peak (automatic above ${STREAM_THRESHOLD / 1024 / 1024} MiB)`,
  quiet: 'no progress lines on standard error',
} as const;

/** The message input: in memory, or a stream (with its size when known). */
export type MessageInput = { bytes: Uint8Array } | { stream: ReadableStream<Uint8Array>; size?: number };

/**
 * Opens `--in FILE` / standard input: small inputs are read whole; a large one (or `--stream`) stays a stream. A pipe
 * has no size to decide by: past its first `SPOOL_AFTER` bytes it is written to a private temporary file until it
 * ends (then read whole, as a file of that size) or passes the threshold (then streamed: the file, then the rest of
 * the pipe). Without a spool the beginning is held in memory.
 */
export async function openMessageInput(args: ParsedArgs, io: CliIo, path: string | undefined): Promise<MessageInput> {
  const force = flagBool(args, 'stream');
  if (!io.streams) return { bytes: await readInput(io, path) };
  const opened = await io.streams.openInput(path);
  if (force) return opened;
  if (opened.size !== undefined) {
    if (opened.size > STREAM_THRESHOLD) return opened;
    // A file of known size is read in one call into one buffer: gathering chunks costs a copy and, here, more time
    // than the operation itself (page faults on fresh memory).
    await opened.stream.cancel();
    return { bytes: await readInput(io, path) };
  }
  const source = iterateBytes(opened.stream);
  const streams = io.streams;
  const head: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const next = await source.next();
    if (next.done) return { bytes: concatBytes(...head) };
    head.push(next.value);
    length += next.value.length;
    if (length > (streams.spool ? SPOOL_AFTER : STREAM_THRESHOLD)) break;
  }
  if (!streams.spool)
    return { stream: generatorStream(concatSources(head.splice(0), source), () => source.return(undefined)) };
  const file = await streams.spool();
  try {
    for (const chunk of head.splice(0)) await file.write(chunk);
    while (file.size <= STREAM_THRESHOLD) {
      const next = await source.next();
      if (next.done) return { bytes: await file.readAll() };
      await file.write(next.value);
    }
    const spooled = await file.stream();
    return {
      stream: generatorStream(concatSources([spooled], source), async () => {
        await spooled.cancel().catch(() => undefined);
        await source.return(undefined);
      }),
    };
  } catch (e) {
    await file.discard();
    await source.return(undefined);
    throw e;
  }
}

/** Pieces (bytes or streams) and then the rest of a source; each piece is let go once passed on. */
async function* concatSources(
  first: (Uint8Array | ReadableStream<Uint8Array>)[],
  rest: AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  try {
    for (let i = 0; i < first.length; i++) {
      const piece = first[i]!;
      first[i] = EMPTY;
      if (piece instanceof Uint8Array) yield piece;
      else yield* iterateBytes(piece);
    }
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

/** Formats a byte count for progress lines. */
function size(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(0)} KiB`;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The input with progress on standard error (bytes done, rate, ETA when the size is known), refreshed at most
 * four times a second, on a terminal only and not with `--quiet`.
 */
export function withProgress(
  args: ParsedArgs,
  io: CliIo,
  input: { stream: ReadableStream<Uint8Array>; size?: number },
  label: string,
): ReadableStream<Uint8Array> {
  if (!io.streams?.stderrIsTerminal || flagBool(args, 'quiet')) return input.stream;
  const started = Date.now();
  let done = 0;
  let shown = 0;
  const show = (final: boolean) => {
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    let line = `${label}: ${size(done)}`;
    if (input.size) line += ` of ${size(input.size)} (${Math.floor((done / input.size) * 100)} %)`;
    line += `, ${size(rate)}/s`;
    if (input.size && rate > 0 && !final) line += `, ETA ${duration((input.size - done) / rate)}`;
    if (final) line += `, ${duration(elapsed)}`;
    io.stderr(`\r${line}\u001b[K${final ? '\n' : ''}`);
  };
  return input.stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        done += chunk.length;
        const now = Date.now();
        if (now - shown >= 250) {
          shown = now;
          show(false);
        }
        controller.enqueue(chunk);
      },
      flush() {
        show(true);
      },
    }),
  );
}

/**
 * Writes `content` to the staged output for `path` and commits it only when `content` ends without error and
 * `accept` (the verdict, known at the end) holds; otherwise nothing is left behind.
 */
export async function writeStaged(
  io: CliIo,
  path: string | undefined,
  content: ReadableStream<Uint8Array>,
  accept: () => Promise<boolean> = async () => true,
): Promise<void> {
  const staged = await io.streams!.openOutput(path);
  try {
    await content.pipeTo(staged.stream);
    if (!(await accept())) {
      await staged.discard();
      return;
    }
  } catch (e) {
    await staged.discard();
    throw e;
  }
  await staged.commit();
}

/** Drains a stream without keeping it (the verdict needs every byte; nothing is to be written). */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const chunk of iterateBytes(stream)) void chunk;
}
