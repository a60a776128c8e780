/**
 * `npm run docs` (TypeDoc, typedoc.json) documents every published entry point, into a folder that is neither
 * committed nor published. TypeDoc itself is not run here (about 20 s); run `npx typedoc` after changing TSDoc.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const config = JSON.parse(read('typedoc.json')) as {
  entryPoints: string[];
  out: string;
  treatWarningsAsErrors: boolean;
};
const pkg = JSON.parse(read('package.json')) as { exports: Record<string, unknown> };

it('typedoc.json has one entry point per sub-path export of package.json', () => {
  const published = Object.keys(pkg.exports)
    .filter((key) => key === '.' || /^\.\/[\w-]+$/.test(key))
    .map((key) => (key === '.' ? 'src/index.ts' : `src/${key.slice(2)}.ts`));
  expect([...config.entryPoints].sort()).toEqual([...published].sort());
  for (const file of config.entryPoints) expect(existsSync(join(repoRoot, file)), file).toBe(true);
  expect(config.treatWarningsAsErrors).toBe(true);
});

it('the API reference is built into docs/api/, which is gitignored and not published', () => {
  expect(config.out).toBe('docs/api');
  expect(read('.gitignore').split('\n')).toContain('docs/api/');
  expect(read('docs/.npmignore').split('\n')).toContain('api/');
});
