import { defineConfig } from 'tsup';

const external: string[] = [];

export default defineConfig([
  {
    // The library: runtime-agnostic (Node and browsers), so no Node built-ins.
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    target: 'es2022',
    platform: 'neutral',
    sourcemap: true,
    clean: true,
    treeshake: true,
    external,
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    external,
  },
]);
