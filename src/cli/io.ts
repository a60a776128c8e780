/** The CLI's view of the outside world, so commands run the same in tests and in a terminal. */
import { SmimeError } from '../errors.js';

export interface CliIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  readStdin(): Promise<Uint8Array>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Current time (overridable in tests). */
  now(): Date;
  /**
   * Asks for a secret on the terminal without echoing it (`question` goes to standard error) and returns the
   * line typed. Present only when standard input and standard error are terminals; commands ask only when
   * standard input carries no data and no password flag was given.
   */
  promptSecret?(question: string): Promise<string>;
}

/** Reads `--in FILE` or standard input. */
export async function readInput(io: CliIo, path: string | undefined): Promise<Uint8Array> {
  return path === undefined || path === '-' ? io.readStdin() : io.readFile(path);
}

/** Writes to `--out FILE` or standard output. */
export async function writeOutput(io: CliIo, path: string | undefined, data: Uint8Array | string): Promise<void> {
  if (path === undefined || path === '-') io.stdout(data);
  else await io.writeFile(path, data);
}

/** Error for files that cannot be read or written (exit 2). */
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
  );
}
