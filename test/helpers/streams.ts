/** Byte streams for the streaming tests: a source handing out odd-sized pieces, and a reader that joins them. */
import { concatBytes } from '../../src/util/bytes.js';

/** A source that hands out `bytes` in pieces of the given sizes (cycled), so boundaries fall anywhere. */
export function chunked(bytes: Uint8Array, sizes: readonly number[] = [65536]): ReadableStream<Uint8Array> {
  let offset = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const n = sizes[i++ % sizes.length]!;
      controller.enqueue(bytes.slice(offset, offset + n));
      offset += n;
    },
  });
}

/** Everything a stream yields, joined. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return concatBytes(...parts);
}
