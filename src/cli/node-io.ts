/** CliIo on Node's file system and standard streams. Output files are written atomically. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileError, type CliIo } from './io.js';

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
    return new Uint8Array(Buffer.concat(chunks));
  },
  async readFile(path) {
    try {
      return new Uint8Array(await readFile(path));
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
};
