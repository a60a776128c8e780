/** CliIo on Node's file system and standard streams. Output files are written atomically. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isatty } from 'node:tty';
import { fileError } from '../node/files.js';
import type { CliIo } from './io.js';
import { nodeStreams } from './node-streams.js';

/**
 * Reads one line from the terminal with echo off (raw mode), after writing `question` to standard error:
 * Enter (or Ctrl-D) ends it, Backspace erases, Ctrl-C interrupts the program as it would at any other time.
 */
function promptSecret(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve) => {
    let secret: string[] = [];
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(secret.join(''));
          return;
        }
        if (ch === '\u0003') {
          finish();
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (ch === '\u001b') break; // an escape sequence (arrow keys ...): not part of a password
        if (ch === '\u007f' || ch === '\b') secret = secret.slice(0, -1);
        else if (ch >= ' ') secret.push(ch);
      }
    };
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/** A Buffer as a plain Uint8Array over the same memory (`new Uint8Array(buffer)` would copy it). */
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

export const nodeIo: CliIo = {
  stdout(data) {
    process.stdout.write(data);
  },
  stderr(text) {
    process.stderr.write(text);
  },
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return view(Buffer.concat(chunks));
  },
  async readFile(path) {
    try {
      return view(await readFile(path));
    } catch (e) {
      throw fileError(path, e);
    }
  },
  async writeFile(path, data) {
    const temp = `${path}.smimekit-${process.pid}.tmp`;
    try {
      await writeFile(temp, data);
      await rename(temp, path);
    } catch (e) {
      throw fileError(path, e, true);
    }
  },
  now: () => new Date(),
  streams: nodeStreams,
  // Only an interactive run can ask: in a pipe or a script a missing password stays an error.
  ...(isatty(0) && isatty(2) ? { promptSecret } : {}),
};
