/**
 * CLI entry: dispatch, and the conventions every command follows (docs/cli.md):
 * exit 0 success/valid, 1 the check failed (report on stdout), 2 usage error or
 * unreadable/malformed input; every non-zero exit prints exactly one line
 * `error CODE: message` on stderr, never a stack trace.
 */
import { CryptoError, SmimeError, ValidationError, CertificateMissingError } from '../errors.js';
import { parseArgs, UsageError } from './args.js';
import { CheckFailed, type Command } from './command.js';
import { optionsHelp } from './help.js';
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
import { p12Command } from './commands/p12.js';

/** Registered commands by name (`sst list`, `validate`, ...). */
const commands = new Map<string, Command>();

export function registerCommand(name: string, command: Command): void {
  commands.set(name, command);
}

/** The registered commands (for help and its tests). */
export function registeredCommands(): ReadonlyMap<string, Command> {
  return commands;
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
registerCommand('p12', p12Command);

/** One example per command, shown by `COMMAND --help` and `smimekit help COMMAND` (a test parses each one). */
export const EXAMPLES: Record<string, string[]> = {
  'sst list': ['smimekit sst list tenant.sst --json'],
  'sst create': ['smimekit sst create --out tenant.sst --friendly-name "Contoso Root" root.pem intermediate.pem'],
  'sst add': ['smimekit sst add tenant.sst --out tenant.sst new-intermediate.pem'],
  'sst remove': ['smimekit sst remove tenant.sst --sha1 0123456789abcdef0123456789abcdef01234567 --out tenant.sst'],
  'sst export': ['smimekit sst export tenant.sst --pem --out tenant.pem'],
  validate: ['smimekit validate --trust tenant.sst --cert alice.pem --purpose sign --email alice@contoso.com'],
  encrypt: ['smimekit encrypt --trust tenant.sst --to bob.pem --from alice.pem --in message.eml --out encrypted.eml'],
  decrypt: ['smimekit decrypt --p12 bob.p12 --password-file bob.pass --in encrypted.eml --out decrypted.eml'],
  read: [
    'smimekit read --trust tenant.sst --p12 bob.p12 --password-env BOB_P12_PASSWORD --in received.eml --out content.eml',
  ],
  sign: ['smimekit sign --p12 alice.p12 --password-file alice.pass --in message.eml --out signed.eml'],
  verify: ['smimekit verify --trust tenant.sst --from alice@contoso.com --in signed.eml --out content.eml'],
  lookup: ['smimekit lookup bob@contoso.com --trust tenant.sst --ldap ldaps://dc.contoso.com --base DC=contoso,DC=com'],
  compose: [
    'smimekit compose --from alice@contoso.com --to bob@contoso.com --subject Figures --in body.txt --sign --encrypt \\',
    '  --p12 alice.p12 --password-file alice.pass --trust tenant.sst --dir contacts.ldif --out message.eml',
  ],
  publish: ['smimekit publish --p12 alice.p12 --password-file alice.pass --ldif "CN=Alice,OU=Users,DC=contoso,DC=com"'],
  p12: [
    'smimekit p12 --cert alice.pem --key alice.key --chain ca.pem --password-file alice.pass --friendly-name Alice --out alice.p12',
  ],
};

/** `COMMAND --help`: usage, summary, every option with its description, an example. */
function commandHelp(name: string, command: Command): string {
  const examples = EXAMPLES[name] ?? [];
  return (
    `Usage: ${command.spec.usage}\n\n${command.summary}\n\n${optionsHelp(command.spec)}` +
    (examples.length ? `\nExample:\n${examples.map((e) => `  ${e}`).join('\n')}\n` : '')
  );
}

const isHelpFlag = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

/** `smimekit sst --help`: the commands of a group. */
function groupHelp(group: string): string | undefined {
  const names = [...commands.keys()].filter((k) => k.startsWith(`${group} `));
  if (names.length === 0) return undefined;
  const width = Math.max(...names.map((k) => k.length));
  return `${names.map((n) => `  smimekit ${n.padEnd(width)}  ${commands.get(n)!.summary}`).join('\n')}\n\nRun 'smimekit ${group} COMMAND --help' for a command's options.\n`;
}

/** Help for `smimekit help WORDS...` (one or two words); undefined when no command matches. */
function helpFor(words: readonly string[]): string | undefined {
  const two = words.slice(0, 2).join(' ');
  const command = commands.get(two) ?? commands.get(words[0] ?? '');
  if (command) return commandHelp(commands.has(two) ? two : words[0]!, command);
  return groupHelp(words[0] ?? '');
}

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
    if (argv.length === 0) {
      // No command is a usage error: the help goes to standard error, and the exit code says it failed.
      io.stderr(overview());
      throw new UsageError('no command given; run smimekit --help');
    }
    if (isHelpFlag(argv[0]) || (argv[0] === 'help' && argv.length === 1)) {
      io.stdout(overview());
      return 0;
    }
    if (argv[0] === 'help') {
      const text = helpFor(argv.slice(1));
      if (!text) throw new UsageError(`unknown command "${argv.slice(1).join(' ')}"; run smimekit --help`);
      io.stdout(text);
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
    if (!command && argv.length > 1 && isHelpFlag(argv[1]) && groupHelp(argv[0]!)) {
      io.stdout(groupHelp(argv[0]!)!);
      return 0;
    }
    if (!command) {
      const group = [...commands.keys()].filter((k) => k.startsWith(`${argv[0]} `));
      throw new UsageError(
        group.length > 0
          ? `unknown command "${two || name}"; try: ${group.join(', ')}`
          : `unknown command "${name}"; run smimekit --help`,
      );
    }
    const rest = argv.slice(useTwo ? 2 : 1);
    if (rest.some(isHelpFlag)) {
      io.stdout(commandHelp(name, command));
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
