/**
 * Byte-stream plumbing shared by the streaming CMS writers and readers: one way to iterate a source (a Web
 * `ReadableStream` or any async iterable — `for await` over a ReadableStream is missing in some browsers), and
 * re-chunking so that the ciphers and the OCTET STRING chunks see blocks of a sensible size however the input
 * arrives (one byte at a time or 16 MiB at once).
 */

/** What the streaming functions accept as content. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Size of the OCTET STRING chunks written (and of the blocks the ciphers get). */
const STREAM_CHUNK_SIZE = 64 * 1024;

function isReadableStream(source: ByteSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}

/** Iterates a source; leaving the loop early cancels a ReadableStream. */
export async function* iterateBytes(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (!isReadableStream(source)) {
    for await (const chunk of source) yield chunk;
    return;
  }
  const reader = source.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * Re-chunks a source into blocks of exactly `size` bytes (the last one shorter, never empty). Large incoming chunks
 * are cut without copying; small ones are gathered into one buffer.
 */
export async function* rechunk(source: ByteSource, size = STREAM_CHUNK_SIZE): AsyncGenerator<Uint8Array> {
  let pending = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of iterateBytes(source)) {
    let offset = 0;
    if (filled === 0) {
      for (; chunk.length - offset >= size; offset += size) yield chunk.subarray(offset, offset + size);
    }
    while (offset < chunk.length) {
      const take = Math.min(size - filled, chunk.length - offset);
      pending.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        yield pending;
        pending = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if (filled) yield pending.subarray(0, filled);
}

/**
 * A pull-based ReadableStream over an async generator: nothing runs ahead of the consumer, cancel ends the generator
 * and then runs `release`, for what the generator holds (one cancelled before its first read runs no `finally`).
 */
export function generatorStream(
  generator: AsyncGenerator<Uint8Array>,
  release?: () => Promise<unknown>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const next = await generator.next();
            if (next.done) {
              controller.close();
              return;
            }
            if (next.value.length) {
              controller.enqueue(next.value);
              return;
            }
          }
        } catch (e) {
          controller.error(e);
        }
      },
      async cancel() {
        await generator.return(undefined);
        await release?.();
      },
    },
    { highWaterMark: 0 },
  );
}
