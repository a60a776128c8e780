/** The help contract (issue #10 item 8): every command has help with an example that parses; bare smimekit exits 2. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { EXAMPLES, registeredCommands } from '../../src/cli/run.js';
import { cli, errorCode } from '../helpers/cli.js';

const names = [...registeredCommands().keys()];

/** Shell words of an example: double quotes group, a trailing backslash continues the line. */
function words(example: readonly string[]): string[] {
  const text = example.map((l) => l.replace(/\\$/, '')).join(' ');
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('help', () => {
  it('bare smimekit prints the overview on standard error and exits 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('smimekit sign');
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^error usage: no command given/);
  });

  it('--help, -h and help list every command on standard output and exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      for (const name of names) expect(r.stdout).toContain(`smimekit ${name}`);
    }
  });

  it.each(names)('%s: "COMMAND --help" and "help COMMAND" show the usage and an example, exit 0', async (name) => {
    const viaFlag = await cli([...name.split(' '), '--help']);
    const viaHelp = await cli(['help', ...name.split(' ')]);
    expect(viaFlag.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaFlag.stdout).toMatch(/^Usage: smimekit /);
    expect(viaFlag.stdout).toContain('Example:');
  });

  it.each(names)('%s: its example is a valid command line', (name) => {
    const example = EXAMPLES[name];
    expect(example, `no example for ${name}`).toBeDefined();
    const argv = words(example!);
    expect(argv.slice(0, 1 + name.split(' ').length)).toEqual(['smimekit', ...name.split(' ')]);
    expect(() => parseArgs(argv.slice(1 + name.split(' ').length), registeredCommands().get(name)!.spec)).not.toThrow();
  });

  it('a command group lists its commands; an unknown command is a usage error', async () => {
    const group = await cli(['sst', '--help']);
    expect(group.code).toBe(0);
    for (const name of names.filter((n) => n.startsWith('sst '))) expect(group.stdout).toContain(`smimekit ${name}`);
    const unknown = await cli(['help', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(errorCode(unknown)).toBe('usage');
  });
});
