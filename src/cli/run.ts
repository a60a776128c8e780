/**
 * CLI entry: dispatch, and the conventions every command follows (docs/cli.md):
 * exit 0 success/valid, 1 the check failed (report on stdout), 2 usage error or
 * unreadable/malformed input; every non-zero exit prints exactly one line
 * `error CODE: message` on stderr, never a stack trace.
 */
import { CryptoError, SmimeError, ValidationError, CertificateMissingError } from '../errors.js';
import { parseArgs, UsageError } from './args.js';
import { CheckFailed, type Command } from './command.js';
import type { CliIo } from './io.js';
import { sstCommands } from './commands/sst.js';
import { validateCommand } from './commands/validate.js';
import { encryptCommand } from './commands/encrypt.js';
import { decryptCommand } from './commands/decrypt.js';
import { readCommand } from './commands/read.js';
import { signCommand } from './commands/sign.js';
import { verifyCommand } from './commands/verify.js';
import { lookupCommand } from './commands/lookup.js';
import { composeCommand } from './commands/compose.js';
import { publishCommand } from './commands/publish.js';

/** Registered commands by name (`sst list`, `validate`, ...). */
const commands = new Map<string, Command>();

export function registerCommand(name: string, command: Command): void {
  commands.set(name, command);
}

for (const [name, command] of Object.entries(sstCommands)) registerCommand(name, command);
registerCommand('validate', validateCommand);
registerCommand('encrypt', encryptCommand);
registerCommand('decrypt', decryptCommand);
registerCommand('read', readCommand);
registerCommand('sign', signCommand);
registerCommand('verify', verifyCommand);
registerCommand('lookup', lookupCommand);
registerCommand('compose', composeCommand);
registerCommand('publish', publishCommand);

function overview(): string {
  const width = Math.max(...[...commands.keys()].map((k) => k.length));
  const lines = [...commands.entries()].map(([name, c]) => `  smimekit ${name.padEnd(width)}  ${c.summary}`);
  return `smimekit — S/MIME toolkit\n\nUsage:\n${lines.join('\n')}\n\nRun 'smimekit COMMAND --help' for a command's options. Exit codes: 0 ok, 1 check failed, 2 usage or input error.\n`;
}

/** Failures of a check on well-formed input exit 1; everything else (usage, unreadable or malformed input) exits 2. */
function exitCodeFor(error: SmimeError): 1 | 2 {
  if (error instanceof CheckFailed || error instanceof ValidationError) return 1;
  if (error instanceof CryptoError && error.code !== 'key-mismatch') return 1;
  if (error instanceof CertificateMissingError) return 1;
  return 2;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Runs the CLI with `argv` (without `node` and the script path) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help' || argv[0] === '-h') {
      io.stdout(overview());
      return 0;
    }
    if (argv[0] === '--version') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    // Commands are one or two words ("validate", "sst list").
    const two = argv.length > 1 ? `${argv[0]} ${argv[1]}` : '';
    const useTwo = commands.has(two);
    const name = useTwo ? two : argv[0]!;
    const command = commands.get(name);
    if (!command) {
      const group = [...commands.keys()].filter((k) => k.startsWith(`${argv[0]} `));
      throw new UsageError(
        group.length > 0
          ? `unknown command "${two || name}"; try: ${group.join(', ')}`
          : `unknown command "${name}"; run smimekit --help`,
      );
    }
    const rest = argv.slice(useTwo ? 2 : 1);
    if (rest.includes('--help')) {
      io.stdout(`Usage: ${command.spec.usage}\n`);
      return 0;
    }
    await command.run(parseArgs(rest, command.spec), io);
    return 0;
  } catch (e) {
    const error =
      e instanceof SmimeError
        ? e
        : new SmimeError('internal', `unexpected failure: ${(e as Error)?.message ?? String(e)}`);
    io.stderr(`error ${error.code}: ${oneLine(error.message)}\n`);
    return exitCodeFor(error);
  }
}

declare const __SMIMEKIT_VERSION__: string | undefined;
const VERSION = typeof __SMIMEKIT_VERSION__ === 'string' ? __SMIMEKIT_VERSION__ : '0.1.0';
