/**
 * Standard input without `--stream` (src/cli/streaming.ts): up to 64 MiB is read before deciding; a shorter input is
 * one buffer, a longer one continues as a stream with every byte in order, and the head read first is let go as
 * the stream passes it on, so that a large piped message does not keep 64 MiB to its end.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CliIo } from '../../src/cli/io.js';
import { openMessageInput } from '../../src/cli/streaming.js';

const MiB = 1024 * 1024;
const args = parseArgs([], { usage: 'smimekit test', flags: { stream: 'boolean' }, describe: { stream: 'stream' } });

/** A pipe of `chunks` MiB, each chunk made when pulled and filled with its index. */
function pipeIo(chunks: number, made: WeakRef<Uint8Array>[]): CliIo {
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === chunks) return controller.close();
      const chunk = new Uint8Array(MiB).fill(next++ & 0xff);
      made.push(new WeakRef(chunk));
      controller.enqueue(chunk);
    },
  });
  const unused = () => Promise.reject(new Error('not used'));
  return {
    stdout: () => undefined,
    stderr: () => undefined,
    readStdin: unused,
    readFile: unused,
    writeFile: unused,
    now: () => new Date(),
    streams: {
      openInput: async () => ({ stream }),
      openOutput: unused,
      stderrIsTerminal: false,
    },
  };
}

function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('a message on standard input', () => {
  it('up to 64 MiB is one buffer', async () => {
    const input = await openMessageInput(args, pipeIo(3, []), undefined);
    expect('bytes' in input && input.bytes.length).toBe(3 * MiB);
  });

  it('over 64 MiB continues as a stream, in order, and lets the head go as it passes it on', async () => {
    const made: WeakRef<Uint8Array>[] = [];
    const input = await openMessageInput(args, pipeIo(70, made), undefined);
    if (!('stream' in input)) throw new Error('a 70 MiB pipe was read into memory');
    const gc = exposedGc();
    const reader = input.stream.getReader();
    let index = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      expect([value.length, value[0], value[MiB - 1]]).toEqual([MiB, index & 0xff, index & 0xff]);
      index++;
      if (index === 40) {
        // 40 MiB passed on and dropped here: they are garbage, not held for the rest of the stream.
        await new Promise((resolve) => setImmediate(resolve));
        gc();
        const held = made.slice(0, 30).filter((ref) => ref.deref() !== undefined).length;
        expect(held).toBe(0);
      }
    }
    expect(index).toBe(70);
  }, 30_000);
});
