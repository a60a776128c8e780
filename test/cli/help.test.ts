/** The help contract (issue #10 item 8): every command has help with an example that parses; bare smimekit exits 2. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { EXAMPLES, loadAllCommands } from '../../src/cli/run.js';
import { cli, errorCode } from '../helpers/cli.js';

const registry = await loadAllCommands();
const names = [...registry.keys()];

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
    expect(() => parseArgs(argv.slice(1 + name.split(' ').length), registry.get(name)!.spec)).not.toThrow();
  });

  it.each(names)('%s: its help describes every flag it has, and only those; stdout only, exit 0', async (name) => {
    const { spec } = registry.get(name)!;
    // The spec: one description per flag; a placeholder first (two spaces after it) exactly when the flag takes a value.
    expect(Object.keys(spec.describe).sort()).toEqual(Object.keys(spec.flags).sort());
    for (const [flag, kind] of Object.entries(spec.flags)) {
      const text = spec.describe[flag]!;
      if (kind === 'boolean') expect(text, flag).not.toMatch(/^\S+ {2}/);
      else expect(text, flag).toMatch(/^\S+ {2}\S/);
    }
    for (const argv of [
      [...name.split(' '), '--help'],
      [...name.split(' '), '-h'],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      const options = /\nOptions:\n([\s\S]*?)\n\n/.exec(r.stdout)?.[1];
      expect(options, 'an Options: section').toBeDefined();
      const listed = [...options!.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map((m) => m[1]);
      expect(listed.sort()).toEqual([...Object.keys(spec.flags), 'help'].sort());
      expect(options).toMatch(/^ {2}--help, -h +show this help$/m);
      const flat = options!.replace(/\s+/g, ' ');
      for (const [flag, kind] of Object.entries(spec.flags)) {
        const text = spec.describe[flag]!;
        const cut = kind === 'boolean' ? -1 : text.indexOf('  ');
        const value = cut < 0 ? '' : ` ${text.slice(0, cut)}${kind === 'repeat' ? '...' : ''}`;
        expect(flat).toContain(
          ` --${flag}${value} ${text
            .slice(cut + 1)
            .replace(/\s+/g, ' ')
            .trim()}`,
        );
      }
    }
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
