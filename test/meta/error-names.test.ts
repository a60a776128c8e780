/** Error classes keep their names in minified bundles (minifiers rename classes; `error.name` must not become one letter). */
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

it('every error class reports its own name after minification', async () => {
  const out = buildSync({
    entryPoints: [join(repoRoot, 'src', 'errors.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    platform: 'neutral',
  });
  const code = out.outputFiles[0]!.text;
  expect(code).not.toMatch(/class SmimeError/); // really minified
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<
    string,
    unknown
  >;
  const names: string[] = [];
  for (const value of Object.values(mod)) {
    if (typeof value !== 'function' || !(value.prototype instanceof Error || value === Error)) continue;
    const Ctor = value as new (code: string, message: string) => Error;
    names.push(new Ctor('x', 'y').name);
  }
  expect(names.sort()).toEqual(
    [
      'AlgorithmError',
      'ArgumentError',
      'CertificateMissingError',
      'CryptoError',
      'DirectoryError',
      'FormatError',
      'LimitError',
      'NetworkError',
      'PasswordError',
      'RevocationError',
      'SmimeError',
      'ValidationError',
    ].sort(),
  );
});
