/**
 * `npm run bench` still runs: a quick 4 KB sign/verify pass over every implementation, against the build. Checks
 * the table's rows and that every figure is a number — never a timing threshold (the bench is not a test).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

interface Row {
  op: string;
  size: string;
  impl: string;
  median: number;
  mbps: number;
  peakMb: number;
  runs: number;
}

let stdout = '';
let stderr = '';
let status: number | null = null;
const written = ['bench/results.json', 'docs/performance.svg', 'docs/performance.md'].map((f) => join(repoRoot, f));
let mtimes: (number | undefined)[] = [];

const mtime = (f: string) => (existsSync(f) ? statSync(f).mtimeMs : undefined);

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'index.js')) || !existsSync(join(repoRoot, 'dist', 'cli', 'main.js')))
    execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  mtimes = written.map(mtime);
  const r = spawnSync(
    process.execPath,
    ['bench/run.mjs', '--quick', '--sizes', '4k', '--ops', 'sign,verify', '--no-write'],
    { cwd: repoRoot, encoding: 'utf8', timeout: 110_000 },
  );
  stdout = r.stdout;
  stderr = r.stderr;
  status = r.status;
}, 120_000);

/** The measurement rows of the text table: `op size implementation median MB/s peak runs`. */
function rows(): Row[] {
  const out: Row[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(4 KB)\s+(.+?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s*$/.exec(line);
    if (m)
      out.push({
        op: m[1]!,
        size: m[2]!,
        impl: m[3]!,
        median: Number(m[4]),
        mbps: Number(m[5]),
        peakMb: Number(m[6]),
        runs: Number(m[7]),
      });
  }
  return out;
}

describe('npm run bench (smoke)', () => {
  it('exits 0, prints progress on stderr and the table on stdout', () => {
    expect(status, stderr).toBe(0);
    expect(stderr).toMatch(/\[1\/\d+\] sign 4 KB smimekit: /);
    expect(stdout).toMatch(/^smimekit bench — /);
    expect(stdout).toContain('Ratios (time / time; < 1: smimekit faster)');
    expect(stdout).toContain('Targets (issue #11)');
  });

  it('has a row with numbers for every implementation that supports the operation', () => {
    const got = rows();
    const key = (r: Pick<Row, 'op' | 'impl'>) => `${r.op} ${r.impl}`;
    const expected = [
      'sign smimekit',
      'sign smimekit CLI',
      'sign openssl cms',
      'sign openssl cms -stream',
      'sign PKI.js',
      'sign node-forge',
      'verify smimekit',
      'verify smimekit CLI',
      'verify openssl cms',
      'verify PKI.js',
    ];
    for (const e of expected) expect(got.map(key), stdout).toContain(e);
    // Columns that depend on the build (the streaming API, the CLI's --stream) come with numbers too when present.
    for (const r of got) {
      expect(r.op === 'sign' || r.op === 'verify').toBe(true);
      for (const v of [r.median, r.mbps, r.peakMb]) {
        expect(Number.isFinite(v), `${key(r)}: ${v}`).toBe(true);
        expect(v).toBeGreaterThan(0);
      }
      expect(r.runs).toBeGreaterThanOrEqual(1);
    }
    expect(got.filter((r) => r.impl === 'node-forge' && r.op === 'verify')).toEqual([]);
    expect(stdout).toMatch(/node-forge · verify: node-forge has no PKCS#7 signature verification/);
  });

  it('prints the ratios for both operations', () => {
    const ratioLines = stdout.split('\n').filter((l) => /^(sign|verify)\s+4 KB\s+[\d.—]/.test(l));
    expect(ratioLines.length).toBe(2);
    for (const l of ratioLines)
      expect(
        l
          .split(/\s+/)
          .slice(3)
          .some((x) => Number.isFinite(Number(x))),
      ).toBe(true);
  });

  it('--no-write leaves results.json and the docs alone', () => {
    expect(written.map(mtime)).toEqual(mtimes);
  });
});
