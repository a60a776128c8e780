import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: runtime-agnostic (Node and browsers). `ldap` is the Node-only LDAP address book
    // (sub-path export `smimekit/ldap`); shared code lands in common chunks so both entries use one
    // copy of the error classes. The root entry never imports ldapts or Node built-ins.
    entry: { index: 'src/index.ts', ldap: 'src/ldap.ts' },
    format: ['esm'],
    dts: true,
    target: 'es2022',
    platform: 'neutral',
    splitting: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    external: ['ldapts', /^node:/],
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    external: ['ldapts'],
  },
]);
