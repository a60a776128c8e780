/** The "Options:" section of a command's `--help`, from its spec's `flags` and `describe`. */
import type { CommandSpec } from './args.js';

const WIDTH = 100;
/** Flag columns longer than this put their description on the next line. */
const MAX_FLAG_COLUMN = 30;

/** Words of `text` in lines of at most `WIDTH` characters, every line but the first indented by `indent`. */
function wrap(first: string, text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const start = line.trim() === '' || line.endsWith('  ');
    if (!start && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = `${' '.repeat(indent)}${word}`;
    } else line += `${start ? '' : ' '}${word}`;
  }
  lines.push(line);
  return lines;
}

/**
 * A flag's left column and description: `--flag VALUE` (`VALUE...` for repeatable flags), the placeholder
 * being the part of its `describe` text before the first two spaces.
 */
function row(spec: CommandSpec, name: string): [string, string] {
  const kind = spec.flags[name];
  const text = spec.describe[name] ?? '';
  const split = kind === 'boolean' ? -1 : text.indexOf('  ');
  if (split <= 0) return [`--${name}`, text];
  return [`--${name} ${text.slice(0, split)}${kind === 'repeat' ? '...' : ''}`, text.slice(split + 2).trim()];
}

/** Every flag of the spec, then `--help`, aligned and wrapped. */
export function optionsHelp(spec: CommandSpec): string {
  const rows = Object.keys(spec.flags).map((name) => row(spec, name));
  rows.push(['--help, -h', 'show this help']);
  const column = Math.min(MAX_FLAG_COLUMN, Math.max(...rows.map(([flag]) => flag.length)));
  const indent = 2 + column + 2;
  const lines = rows.flatMap(([flag, text]) =>
    flag.length > column
      ? [`  ${flag}`, ...wrap(' '.repeat(indent), text, indent)]
      : wrap(`  ${flag.padEnd(column)}  `, text, indent),
  );
  return `Options:\n${lines.join('\n')}\n`;
}
