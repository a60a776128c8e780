import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: runtime-agnostic (Node and browsers). Each sub-path export is an entry; `ldap` is
    // the Node-only LDAP address book. Shared code lands in common chunks so all entries use one copy
    // of the error classes. The root entry never imports ldapts or Node built-ins.
    entry: {
      index: 'src/index.ts',
      cms: 'src/cms.ts',
      x509: 'src/x509.ts',
      asn1: 'src/asn1.ts',
      mime: 'src/mime.ts',
      sst: 'src/sst.ts',
      trust: 'src/trust.ts',
      directory: 'src/directory.ts',
      ldap: 'src/ldap.ts',
    },
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
