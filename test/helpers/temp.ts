/**
 * Temporary folders for tests. Every folder made here is removed after its test file (the setup file
 * test/helpers/temp-cleanup.ts), so a test never has to remember to; the per-run folder of
 * test/helpers/global-tmp.ts then checks that nothing else was left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** A new empty folder under the run's temp folder, removed after the current test file. */
export function tempDir(prefix = 'smimekit-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every folder `tempDir` made in this test file. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
