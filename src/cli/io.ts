/** The CLI's view of the outside world, so commands run the same in tests and in a terminal. */
import type { StagedFile } from '../node/files.js';

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
  /** Streaming input and staged output, for messages larger than memory (absent: everything is buffered). */
  streams?: CliStreams;
}

/** Streaming access to the input and output files. */
export interface CliStreams {
  /** `--in FILE` or standard input as a stream, with its size when it is a regular file. */
  openInput(path: string | undefined): Promise<{ stream: ReadableStream<Uint8Array>; size?: number }>;
  /**
   * Output that only appears when committed: a temporary file renamed into place (`--out FILE`), or spooled to a
   * temporary file and copied to standard output on commit. `discard` removes it: a failed check leaves nothing.
   */
  openOutput(path: string | undefined): Promise<StagedOutput>;
  /** Standard error is a terminal: progress lines are wanted (unless --quiet). */
  readonly stderrIsTerminal: boolean;
  /**
   * A private temporary file that holds the beginning of a piped input while the command finds out whether it is
   * small enough to read whole, so that a large one does not sit in memory (absent: it is held in memory).
   */
  spool?(): Promise<InputSpool>;
}

/** See `CliStreams.spool`. Each method that ends it (`readAll`, `stream`, `discard`) removes the file. */
export interface InputSpool {
  /** Appends bytes to the file. */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
  /** Everything written, in one buffer. */
  readAll(): Promise<Uint8Array>;
  /** Everything written, as a stream; the file goes when the stream ends or is cancelled. */
  stream(): Promise<ReadableStream<Uint8Array>>;
  discard(): Promise<void>;
}

/** Output being written; see `CliStreams.openOutput`. */
export type StagedOutput = StagedFile;

/** Reads `--in FILE` or standard input. */
export async function readInput(io: CliIo, path: string | undefined): Promise<Uint8Array> {
  return path === undefined || path === '-' ? io.readStdin() : io.readFile(path);
}

/** Writes to `--out FILE` or standard output. */
export async function writeOutput(io: CliIo, path: string | undefined, data: Uint8Array | string): Promise<void> {
  if (path === undefined || path === '-') io.stdout(data);
  else await io.writeFile(path, data);
}
