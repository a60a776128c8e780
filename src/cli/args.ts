/** A small, strict argument parser for the CLI conventions in docs/cli.md. */
import { SmimeError } from '../errors.js';

export type FlagKind = 'boolean' | 'string' | 'repeat';

export interface CommandSpec {
  /** Flag name (without `--`) → kind. `repeat` flags take one value per occurrence (`--trust a --trust b`). */
  flags: Record<string, FlagKind>;
  /** Human usage line(s) shown by `--help` and after usage errors. */
  usage: string;
  /**
   * One line per flag for `--help`: flag name (without `--`) → description, value placeholder first
   * when the flag takes one (`'FILE  the message to read (default: standard input)'`).
   */
  describe?: Record<string, string>;
}

export interface ParsedArgs {
  flags: Map<string, string | true | string[]>;
  positionals: string[];
}

/** A usage error: exit 2, `error usage: ...`. */
export class UsageError extends SmimeError {
  override readonly name: string = 'UsageError';
  constructor(message: string) {
    super('usage', message);
  }
}

export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const flags = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = spec.flags[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2))
        throw new UsageError(`option --${name} needs a value`);
      value = next;
      i++;
    }
    if (kind === 'repeat') {
      const list = (flags.get(name) as string[] | undefined) ?? [];
      list.push(value);
      flags.set(name, list);
    } else {
      if (flags.has(name)) throw new UsageError(`option --${name} given more than once`);
      flags.set(name, value);
    }
  }
  return { flags, positionals };
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
