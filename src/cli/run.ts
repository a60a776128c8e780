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

/**
 * The commands by name (`sst list`, `validate`, ...), each loaded when it is first needed: a run loads only its own
 * command's code (and the library parts it uses), which keeps the start of every run, and the memory of a streaming
 * one, smaller. Help listings load them all.
 */
const loaders = new Map<string, () => Promise<Command>>([
  ...['sst list', 'sst create', 'sst add', 'sst remove', 'sst export'].map(
    (name) => [name, async () => (await import('./commands/sst.js')).sstCommands[name]!] as const,
  ),
  ['validate', async () => (await import('./commands/validate.js')).validateCommand],
  ['encrypt', async () => (await import('./commands/encrypt.js')).encryptCommand],
  ['decrypt', async () => (await import('./commands/decrypt.js')).decryptCommand],
  ['read', async () => (await import('./commands/read.js')).readCommand],
  ['sign', async () => (await import('./commands/sign.js')).signCommand],
  ['verify', async () => (await import('./commands/verify.js')).verifyCommand],
  ['lookup', async () => (await import('./commands/lookup.js')).lookupCommand],
  ['compose', async () => (await import('./commands/compose.js')).composeCommand],
  ['publish', async () => (await import('./commands/publish.js')).publishCommand],
  ['p12', async () => (await import('./commands/p12.js')).p12Command],
]);
const loaded = new Map<string, Command>();

/** Replaces (or adds) a command: tests run the CLI with commands of their own. */
export function registerCommand(name: string, command: Command): void {
  loaded.set(name, command);
  if (!loaders.has(name)) loaders.set(name, () => Promise.resolve(command));
}

async function commandNamed(name: string): Promise<Command | undefined> {
  const known = loaded.get(name);
  if (known) return known;
  const load = loaders.get(name);
  if (!load) return undefined;
  const command = await load();
  loaded.set(name, command);
  return command;
}

/** Every command, in the order of the overview (for help and its tests). */
export async function loadAllCommands(): Promise<ReadonlyMap<string, Command>> {
  const all = new Map<string, Command>();
  for (const name of loaders.keys()) all.set(name, (await commandNamed(name))!);
  return all;
}

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
async function groupHelp(group: string): Promise<string | undefined> {
  const commands = await loadAllCommands();
  const names = [...commands.keys()].filter((k) => k.startsWith(`${group} `));
  if (names.length === 0) return undefined;
  const width = Math.max(...names.map((k) => k.length));
  return `${names.map((n) => `  smimekit ${n.padEnd(width)}  ${commands.get(n)!.summary}`).join('\n')}\n\nRun 'smimekit ${group} COMMAND --help' for a command's options.\n`;
}

/** Help for `smimekit help WORDS...` (one or two words); undefined when no command matches. */
async function helpFor(words: readonly string[]): Promise<string | undefined> {
  const two = words.slice(0, 2).join(' ');
  const name = loaders.has(two) ? two : (words[0] ?? '');
  const command = await commandNamed(name);
  if (command) return commandHelp(name, command);
  return groupHelp(words[0] ?? '');
}

async function overview(): Promise<string> {
  const commands = await loadAllCommands();
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
      io.stderr(await overview());
      throw new UsageError('no command given; run smimekit --help');
    }
    if (isHelpFlag(argv[0]) || (argv[0] === 'help' && argv.length === 1)) {
      io.stdout(await overview());
      return 0;
    }
    if (argv[0] === 'help') {
      const text = await helpFor(argv.slice(1));
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
    const useTwo = loaders.has(two);
    const name = useTwo ? two : argv[0]!;
    const command = await commandNamed(name);
    const group = command ? undefined : await groupHelp(argv[0]!);
    if (group !== undefined && argv.length > 1 && isHelpFlag(argv[1])) {
      io.stdout(group);
      return 0;
    }
    if (!command) {
      const group = [...loaders.keys()].filter((k) => k.startsWith(`${argv[0]} `));
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
