/** Every error code the source can throw or report is documented in docs/errors.md (codes are a public contract). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { repoRoot } from '../helpers/vectors.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

it('docs/errors.md lists every code', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
  const codes = new Set<string>();
  for (const f of files(join(repoRoot, 'src'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/new [A-Z][A-Za-z]*Error\(\s*'([a-z0-9-]+)'/g)) codes.add(m[1]!);
    for (const m of text.matchAll(/\bcode: '([a-z0-9-]+)'/g)) codes.add(m[1]!);
  }
  expect(codes.size).toBeGreaterThan(50);
  const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``));
  expect(missing).toEqual([]);
  // The exported union (SmimeErrorCode) covers every code the source uses, and each of its codes is documented.
  expect([...codes].filter((c) => !(ERROR_CODES as readonly string[]).includes(c))).toEqual([]);
  expect(ERROR_CODES.filter((c) => !doc.includes(`\`${c}\``))).toEqual([]);
});

it('docs/errors.md documents every ErrorDetails field', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
  const source = readFileSync(join(repoRoot, 'src', 'errors.ts'), 'utf8');
  const body = /export interface ErrorDetails \{([\s\S]*?)\n\}/.exec(source)![1]!;
  const fields = [...body.matchAll(/readonly (\w+)\?:/g)].map((m) => m[1]!);
  expect(fields.length).toBeGreaterThan(20);
  expect(fields.filter((f) => !doc.includes(`\`${f}\``))).toEqual([]);
});
