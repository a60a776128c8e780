/**
 * The CLI's argument parser: Node's `util.parseArgs` splits the words
 * (`--flag value`, `--flag=value`, `--`, `-`), and the rules of docs/cli.md
 * are applied to its tokens, with our own messages.
 *
 * `parseArgs` runs in its non-strict token mode: its strict mode cannot say
 * everything the contract needs. It keeps the last value of a flag given
 * twice (we refuse it), refuses values that begin with `-` as ambiguous
 * (`--subject -draft-` is a value here), and reports three different
 * mistakes under one error code, ERR_PARSE_ARGS_INVALID_OPTION_VALUE,
 * told apart only by its English message.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { SmimeError } from '../errors.js';

export type FlagKind = 'boolean' | 'string' | 'repeat';

export interface CommandSpec {
  /** Flag name (without `--`) → kind. `repeat` flags take one value per occurrence (`--trust a --trust b`). */
  flags: Record<string, FlagKind>;
  /** Human usage line(s) shown by `--help` and after usage errors. */
  usage: string;
  /**
   * One line per flag for `--help`: flag name (without `--`) → description, value placeholder first, two
   * spaces after it, when the flag takes one (`'FILE  the message to read (default: standard input)'`).
   * Every flag of `flags` has one (a test checks).
   */
  describe: Record<string, string>;
}

export interface ParsedArgs {
  flags: Map<string, string | true | string[]>;
  positionals: string[];
  /**
   * True when standard input carries data in this run: a `-` value or argument, or no `--in` for a command
   * that reads its message from `--in` (standard input by default). A password prompt needs it free.
   */
  stdin?: boolean;
}

/** A usage error: exit 2, `error usage: ...`. */
export class UsageError extends SmimeError {
  override readonly name: string = 'UsageError';
  constructor(message: string) {
    super('usage', message);
  }
}

type Token = NonNullable<ReturnType<typeof nodeParseArgs>['tokens']>[number];
type OptionToken = Extract<Token, { kind: 'option' }>;

/** The spec's flags as `util.parseArgs` options: it then knows which flags take the next word as their value. */
function nodeOptions(spec: CommandSpec): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, kind] of Object.entries(spec.flags))
    options[name] = kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: kind === 'repeat' };
  return options;
}

/** Applies one option token to `flags`, or throws the usage error the contract names. */
function applyOption(token: OptionToken, argv: readonly string[], spec: CommandSpec, flags: ParsedArgs['flags']): void {
  const { name } = token;
  // No short options: `-x` (and a group `-abc`, which parseArgs splits) is unknown as the user wrote it.
  if (!token.rawName.startsWith('--')) throw new UsageError(`unknown option ${argv[token.index]}`);
  const kind = Object.hasOwn(spec.flags, name) ? spec.flags[name] : undefined;
  if (kind === undefined) throw new UsageError(`unknown option --${name}`);
  if (kind === 'boolean') {
    if (token.value !== undefined) throw new UsageError(`option --${name} takes no value`);
    flags.set(name, true);
    return;
  }
  const { value } = token;
  // parseArgs takes any next word as the value; a missing one is the end of argv or the next `--flag`.
  if (value === undefined || (!token.inlineValue && value.startsWith('--') && value.length > 2))
    throw new UsageError(`option --${name} needs a value`);
  if (kind === 'repeat') {
    const list = (flags.get(name) as string[] | undefined) ?? [];
    list.push(value);
    flags.set(name, list);
  } else {
    if (flags.has(name)) throw new UsageError(`option --${name} given more than once`);
    flags.set(name, value);
  }
}

/**
 * Parses a command's arguments (after the command words).
 *
 * @throws UsageError for an unknown option, a missing value, a value given to a boolean flag, or a
 *   single-value flag given twice — the first such problem in argv order
 */
export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const { tokens } = nodeParseArgs({
    args: [...argv],
    options: nodeOptions(spec),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags: ParsedArgs['flags'] = new Map();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    else if (token.kind === 'option') applyOption(token, argv, spec, flags);
  }
  const dash =
    positionals.includes('-') || [...flags.values()].some((v) => v === '-' || (Array.isArray(v) && v.includes('-')));
  const defaultIn = Object.hasOwn(spec.flags, 'in') && !flags.has('in');
  return { flags, positionals, stdin: dash || defaultIn };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagList(args: ParsedArgs, name: string): string[] {
  const v = args.flags.get(name);
  return Array.isArray(v) ? v : [];
}

export function flagBool(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

export function requireFlag(args: ParsedArgs, name: string): string {
  const v = flagString(args, name);
  if (v === undefined) throw new UsageError(`option --${name} is required`);
  return v;
}
