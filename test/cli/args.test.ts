/** The argument rules of docs/cli.md, on top of util.parseArgs (src/cli/args.ts). */
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError, type CommandSpec } from '../../src/cli/args.js';

const spec: CommandSpec = {
  usage: 'smimekit test',
  flags: { in: 'string', out: 'string', trust: 'repeat', json: 'boolean' },
  describe: { in: 'FILE  in', out: 'FILE  out', trust: 'FILE  trust', json: 'json' },
};
const noIn: CommandSpec = { usage: 'smimekit test', flags: { out: 'string' }, describe: { out: 'FILE  out' } };

const parse = (...argv: string[]) => parseArgs(argv, spec);
const failure = (argv: string[], s = spec): string => {
  try {
    parseArgs(argv, s);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error(`${argv.join(' ')} parsed`);
};

describe('parseArgs', () => {
  it('takes --flag value and --flag=value alike; repeat flags collect; booleans are true', () => {
    const a = parse('--in', 'a.eml', '--trust=x.pem', '--trust', 'y.sst', '--json', 'pos', '--out=');
    expect(a.flags).toEqual(
      new Map<string, unknown>([
        ['in', 'a.eml'],
        ['trust', ['x.pem', 'y.sst']],
        ['json', true],
        ['out', ''],
      ]),
    );
    expect(a.positionals).toEqual(['pos']);
  });

  it('a value may begin with one dash; "-" is standard input as a value or an argument', () => {
    expect(parse('--in', '-', '--out', '-draft-').flags.get('out')).toBe('-draft-');
    expect(parse('-').positionals).toEqual(['-']);
    expect(parse('--in=--odd').flags.get('in')).toBe('--odd');
  });

  it('"--" ends the options', () => {
    expect(parse('--json', '--', '--in', '-x', '-').positionals).toEqual(['--in', '-x', '-']);
  });

  it.each([
    [['--nope'], 'unknown option --nope'],
    [['--nope=1'], 'unknown option --nope'],
    [['--constructor'], 'unknown option --constructor'],
    [['-x'], 'unknown option -x'],
    [['-abc'], 'unknown option -abc'],
    [['--in', 'a', '--in', 'b'], 'option --in given more than once'],
    [['--in'], 'option --in needs a value'],
    [['--in', '--json'], 'option --in needs a value'],
    [['--trust'], 'option --trust needs a value'],
    [['--json=yes'], 'option --json takes no value'],
    [['--json='], 'option --json takes no value'],
  ])('%j: %s', (argv, message) => {
    expect(failure(argv)).toBe(message);
  });

  it('reports the first problem in argument order', () => {
    expect(failure(['--json=1', '--nope'])).toBe('option --json takes no value');
    expect(failure(['--nope', '--json=1'])).toBe('unknown option --nope');
  });

  it('says whether standard input carries data: "-" anywhere, or a command with --in run without it', () => {
    expect(parse('--in', 'a.eml').stdin).toBe(false);
    expect(parse().stdin).toBe(true);
    expect(parse('--in', '-').stdin).toBe(true);
    expect(parse('--in', 'a.eml', '--trust', 'x', '--trust', '-').stdin).toBe(true);
    expect(parseArgs([], noIn).stdin).toBe(false);
    expect(parseArgs(['-'], noIn).stdin).toBe(true);
  });
});
