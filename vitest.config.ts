import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `smimekit` and `smimekit/<sub>` resolve to the source, one alias per sub-path export of package.json
// (`./cms` → src/cms.ts), so examples (docs, examples/) run without a build and an import of a sub-path
// that is not published fails here too.
const src = fileURLToPath(new URL('./src/', import.meta.url));
const { exports } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, unknown>;
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const smimekitAliases = Object.keys(exports)
  .filter((key) => key === '.' || /^\.\/[\w-]+$/.test(key))
  .map((key) => {
    const name = key === '.' ? 'smimekit' : `smimekit/${key.slice(2)}`;
    return { find: new RegExp(`^${escape(name)}$`), replacement: `${src}${key === '.' ? 'index' : key.slice(2)}.ts` };
  });

export default defineConfig({
  resolve: { alias: smimekitAliases },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]],
    pool: 'forks',
    // One temp folder per run, removed at the end (test/helpers/global-tmp.ts).
    globalSetup: ['test/helpers/global-tmp.ts'],
    // Folders made with tempDir() are removed after each test file (test/helpers/temp.ts).
    setupFiles: ['test/helpers/temp-cleanup.ts'],
  },
});
