/** Runs the CLI in-process with captured output, on the real file system. */
import { nodeIo } from '../../src/cli/node-io.js';
import { runCli } from '../../src/cli/run.js';
import { fromLatin1 } from '../../src/util/bytes.js';

export interface CliResult {
  code: number;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

export interface CliOptions {
  /**
   * Answers password prompts, as a terminal would (standard input and standard error being TTYs). Without it
   * the run is not interactive, whatever the test process's own streams are.
   */
  promptSecret?: (question: string) => Promise<string>;
}

export async function cli(
  argv: string[],
  stdin: Uint8Array | string = new Uint8Array(),
  options: CliOptions = {},
): Promise<CliResult> {
  const out: Uint8Array[] = [];
  let stderr = '';
  const { promptSecret: _terminal, streams, ...io } = nodeIo;
  const stdinBytes = typeof stdin === 'string' ? fromLatin1(stdin) : stdin;
  const code = await runCli(argv, {
    ...io,
    // Files stream from disk; standard input and output are the captured ones.
    streams: {
      stderrIsTerminal: false,
      openInput: async (path) =>
        path === undefined || path === '-'
          ? { stream: new Blob([stdinBytes as Uint8Array<ArrayBuffer>]).stream() as ReadableStream<Uint8Array> }
          : streams!.openInput(path),
      openOutput: async (path) => {
        if (path !== undefined && path !== '-') return streams!.openOutput(path);
        const staged: Uint8Array[] = [];
        return {
          stream: new WritableStream<Uint8Array>({ write: (chunk) => void staged.push(chunk) }),
          commit: async () => void out.push(...staged),
          discard: async () => void staged.splice(0),
        };
      },
    },
    stdout: (d) => out.push(typeof d === 'string' ? new TextEncoder().encode(d) : d),
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => stdinBytes,
    ...(options.promptSecret ? { promptSecret: options.promptSecret } : {}),
  });
  const stdoutBytes = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of out) {
    stdoutBytes.set(c, at);
    at += c.length;
  }
  return { code, stdout: new TextDecoder().decode(stdoutBytes), stdoutBytes, stderr };
}

export { tempDir } from './temp.js';

/**
 * The `error CODE: message` line contract: a non-zero exit writes exactly one such line, last on stderr (after the
 * human report of verify and read, which goes to stderr too).
 */
export function errorCode(result: CliResult): string | undefined {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  const errorLines = lines.filter((l) => l.startsWith('error '));
  if (errorLines.length !== 1 || lines.at(-1) !== errorLines[0]) {
    return `(${errorLines.length} error lines in: ${JSON.stringify(result.stderr)})`;
  }
  return /^error ([a-z0-9-]+): \S/.exec(errorLines[0]!)?.[1];
}
