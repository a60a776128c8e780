/**
 * Code-shape rules from issue #13: no source file over 400 lines unless a comment at its top says why, and no
 * function over 80 lines in the library (parsers and validators above all: long ones hide missed cases).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const src = join(repoRoot, 'src');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

it(`no source file is over ${MAX_FILE_LINES} lines without a comment at its top saying why`, () => {
  const long = files(src).filter((p) => {
    const text = readFileSync(p, 'utf8');
    const head = /^\/\*\*[\s\S]*?\*\//.exec(text)?.[0] ?? '';
    return text.split('\n').length > MAX_FILE_LINES && !/\blong\b|\blines\b/i.test(head);
  });
  expect(long.map((p) => relative(src, p))).toEqual([]);
});

it(`no function in src/ is over ${MAX_FUNCTION_LINES} lines`, () => {
  const offenders: string[] = [];
  for (const path of files(src)) {
    const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      const isFunction =
        ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node) ||
        ts.isConstructorDeclaration(node);
      if (isFunction && node.body) {
        const first = sf.getLineAndCharacterOfPosition(node.getStart()).line;
        const last = sf.getLineAndCharacterOfPosition(node.end).line;
        if (last - first + 1 > MAX_FUNCTION_LINES)
          offenders.push(`${relative(src, path)}:${first + 1} (${last - first + 1} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  expect(offenders).toEqual([]);
});
