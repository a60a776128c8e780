import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]],
    pool: 'forks',
    // One temp folder per run, removed at the end (test/helpers/global-tmp.ts).
    globalSetup: ['test/helpers/global-tmp.ts'],
  },
});
