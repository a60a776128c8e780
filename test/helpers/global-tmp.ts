/**
 * vitest global setup: every temporary file of a test run (ours, OpenSSL's, slapd's) goes into one folder
 * that is removed when the run ends, so `npm test` leaves nothing in the system temp folder even when a
 * test fails half-way. Tests still remove their own folders; this is the safety net.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'smimekit-test-run-'));
  process.env.TMPDIR = dir; // inherited by the test workers and every child process they start
  return () => {
    const left = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    // Tests clean up after themselves (tempDir() does it for them); anything left here is a test that
    // writes temp files some other way, and fails the run so it gets fixed.
    if (left.length > 0) {
      // vitest reports an error thrown here but still exits 0, so the exit code is set as well.
      process.exitCode = 1;
      throw new Error(`tests left ${left.length} temp entries behind: ${left.join(', ')}`);
    }
  };
}
