/**
 * Access to the shared third-party vectors in ../shared/vectors. They are not
 * part of this repository: tests that need them use `describeVectors`, which
 * skips with a clear message when the folder is absent (fresh clone).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedVectorsDir = process.env.SMIMEKIT_SHARED_VECTORS ?? resolve(repoRoot, '..', 'shared', 'vectors');
const hasSharedVectors = existsSync(join(sharedVectorsDir, 'SOURCES.md'));

/** Absolute path of a shared vector file. */
export function sharedPath(...parts: string[]): string {
  return join(sharedVectorsDir, ...parts);
}

export function readShared(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(sharedPath(...parts)));
}

export function readSharedJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(sharedPath(...parts), 'utf8')) as T;
}

/** Project-owned vectors in ./vectors. */
export function projectVectorPath(...parts: string[]): string {
  return join(repoRoot, 'vectors', ...parts);
}

let warned = false;
/**
 * `describe` that runs only when ../shared/vectors exists. Otherwise the body is
 * never evaluated (it would read missing files) and one skipped test says why.
 */
export function describeVectors(name: string, fn: () => void): void {
  if (hasSharedVectors) {
    describe(name, fn);
    return;
  }
  if (!warned) {
    warned = true;
    console.warn(
      `[smimekit] ../shared/vectors not found at ${sharedVectorsDir}: third-party vector tests are skipped.`,
    );
  }
  describe(`${name} (skipped: ../shared/vectors absent)`, () => {
    it.skip(`needs ${sharedVectorsDir}`, () => {});
  });
}
