import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// The library's entries, one per sub-path export (package.json "exports"). `ldap`, `nodemailer` and `node` are
// Node-only; every other entry is runtime-agnostic (Node and browsers) and never imports `node:`.
const library = {
  index: 'src/index.ts',
  cms: 'src/cms.ts',
  x509: 'src/x509.ts',
  asn1: 'src/asn1.ts',
  mime: 'src/mime.ts',
  sst: 'src/sst.ts',
  trust: 'src/trust.ts',
  directory: 'src/directory.ts',
  ldap: 'src/ldap.ts',
  nodemailer: 'src/nodemailer.ts',
  node: 'src/node.ts',
};

const shared: Options = {
  target: 'es2022',
  platform: 'neutral',
  // Shared code lands in common chunks, so all entries (and the CLI) use one copy of the error
  // classes and caches; `instanceof SmimeError` holds across sub-paths.
  splitting: true,
  sourcemap: true,
  treeshake: true,
  // @noble/hashes is bundled (a devDependency): dist/ then runs in a browser without a bundler.
  external: ['ldapts', 'nodemailer', /^node:/],
  define: { __SMIMEKIT_VERSION__: JSON.stringify(version) },
};

export default defineConfig([
  {
    ...shared,
    entry: library,
    format: ['esm'],
    dts: { entry: library },
  },
  {
    // The CLI is built on its own (its chunks in dist/cli/): in the library's build, its lazily loaded commands
    // split the library into 71 chunks where 29 do, and Node 20 loads ES modules at about 0.6 ms each, so
    // `import('smimekit')` and every CLI run started ~40 ms later. The price is a second copy of the code the CLI
    // uses, in the package only.
    ...shared,
    entry: { main: 'src/cli/main.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
  },
  {
    // CommonJS for `require('smimekit')`, with its own declaration files (.d.cts).
    ...shared,
    entry: library,
    format: ['cjs'],
    dts: true,
  },
]);
