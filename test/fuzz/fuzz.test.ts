/**
 * The short fuzzing run of `npm test` (docs/fuzzing.md): every target of fuzz/targets.mjs, a fixed seeded
 * budget, against the built library (`npm test` builds dist/ first). It must end without findings, and every
 * target must have run and seen more than one outcome (a target stuck on one error tests nothing).
 *
 * The oracle is tested too, with deliberately broken targets: a TypeError, a synchronous endless loop, a
 * promise that never settles, an input that keeps 100 MiB, a stray rejected promise — each must be a finding,
 * saved with its sidecar, and replayable.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { repoRoot } from '../helpers/vectors.js';

const runner = join(repoRoot, 'fuzz', 'run.mjs');

interface TargetReport {
  name: string;
  iterations: number;
  blocks: number;
  corpus: number;
  outcomes: Record<string, number>;
  findings: { kind: string; count: number; files: string[]; error?: { name?: string; message?: string } }[];
}
interface Report {
  findings: number;
  targets: TargetReport[];
}

/** `node fuzz/run.mjs ARGS`: exit code, stdout, stderr. */
function fuzz(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [runner, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const readReport = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'index.js')))
    throw new Error('dist/ is missing: run npm run build (npm test does)');
});

describe('fuzzing harness', () => {
  it('runs every target for a short seeded budget without findings', { timeout: 240_000 }, async () => {
    const dir = tempDir('smimekit-fuzz-');
    const json = join(dir, 'report.json');
    const findings = join(dir, 'findings');
    const listed = await fuzz(['--list']);
    const names = listed.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(names.length).toBeGreaterThanOrEqual(13);

    const { code, stdout, stderr } = await fuzz([
      '--iterations',
      '150',
      '--seed',
      '1',
      '--no-coverage',
      '--quiet',
      '--json',
      json,
      '--findings',
      findings,
    ]);
    expect(stderr).toBe('');
    const report = readReport(json);
    const found = report.targets.flatMap((t) =>
      t.findings.map((f) => `${t.name} ${f.kind}: ${f.error?.name} ${f.error?.message} ${f.files.join(' ')}`),
    );
    expect(found, stdout).toEqual([]);
    expect(code).toBe(0);
    expect(report.targets.map((t) => t.name)).toEqual(names);
    for (const t of report.targets) {
      expect(t.iterations, t.name).toBe(150);
      expect(Object.keys(t.outcomes).length, `${t.name}: ${JSON.stringify(t.outcomes)}`).toBeGreaterThan(1);
    }
    expect(existsSync(findings)).toBe(false);
  });

  it('grows the corpus from V8 block coverage', { timeout: 120_000 }, async () => {
    const dir = tempDir('smimekit-fuzz-');
    const json = join(dir, 'report.json');
    const { code } = await fuzz([
      '--target',
      'crl,mime',
      '--iterations',
      '40',
      '--seed',
      '2',
      '--quiet',
      '--json',
      json,
      '--findings',
      join(dir, 'findings'),
    ]);
    expect(code).toBe(0);
    for (const t of readReport(json).targets) {
      expect(t.blocks, t.name).toBeGreaterThan(10);
      expect(t.corpus, t.name).toBeGreaterThan(0);
    }
  });

  it('is deterministic for a seed', { timeout: 120_000 }, async () => {
    const dir = tempDir('smimekit-fuzz-');
    const runs = [];
    for (const n of [1, 2]) {
      const json = join(dir, `report-${n}.json`);
      await fuzz([
        '--target',
        'sst,ldif,user-smime-certificate',
        '--iterations',
        '60',
        '--seed',
        '9',
        '--no-coverage',
        '--quiet',
        '--json',
        json,
        '--findings',
        join(dir, 'findings'),
      ]);
      runs.push(readReport(json).targets.map((t) => [t.name, t.outcomes, t.corpus]));
    }
    expect(runs[1]).toEqual(runs[0]);
  });
});

/** Targets that break the oracle's rules on every input. */
const BAD_TARGETS = `
const base = { seedKinds: ['der-crl'], generators: ['der'] };
export const targets = [
  { ...base, name: 'bad-exception', about: 'TypeError', run: (bytes) => bytes.nothing.at(0) },
  { ...base, name: 'bad-loop', about: 'synchronous endless loop', run: () => { for (;;); } },
  { ...base, name: 'bad-never', about: 'a promise that never settles', run: () => new Promise(() => {}) },
  { ...base, name: 'bad-memory', about: 'keeps 100 MiB', run: () => { globalThis.kept = new Uint8Array(100 * 1024 * 1024); return 'ok'; } },
  { ...base, name: 'bad-stray', about: 'a rejected promise nobody handles', run: () => { Promise.reject(new RangeError('stray')); return 'ok'; } },
];
`;

describe('fuzzing oracle', () => {
  it(
    'turns exceptions, hangs, memory growth and stray rejections into saved, replayable findings',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir('smimekit-fuzz-bad-');
      const module = join(dir, 'bad-targets.mjs');
      writeFileSync(module, BAD_TARGETS);
      const findings = join(dir, 'findings');
      const json = join(dir, 'report.json');
      const { code } = await fuzz([
        '--targets-module',
        module,
        '--target',
        'bad-exception,bad-loop,bad-never,bad-memory,bad-stray',
        '--iterations',
        '2',
        '--timeout',
        '500',
        '--memory',
        '64',
        '--no-coverage',
        '--quiet',
        '--json',
        json,
        '--findings',
        findings,
      ]);
      expect(code).toBe(1);
      const kinds = Object.fromEntries(
        readReport(json).targets.map((t) => [t.name, [...new Set(t.findings.map((f) => f.kind))]]),
      );
      expect(kinds).toEqual({
        'bad-exception': ['exception'],
        'bad-loop': ['hang'],
        'bad-never': ['hang'],
        'bad-memory': ['memory'],
        'bad-stray': ['unhandled-rejection'],
      });

      const saved = readdirSync(findings);
      const exception = saved.find((f) => f.startsWith('bad-exception-') && f.endsWith('.bin'));
      expect(exception).toBeDefined();
      const sidecar = JSON.parse(readFileSync(join(findings, exception!.replace(/\.bin$/, '.json')), 'utf8'));
      expect(sidecar).toMatchObject({ target: 'bad-exception', kind: 'exception', error: { name: 'TypeError' } });
      expect(sidecar.stack).toContain('bad-targets.mjs');
      expect(typeof sidecar.ms).toBe('number');

      const replayed = await fuzz(['--replay', join(findings, exception!), '--targets-module', module]);
      expect(replayed.code).toBe(1);
      expect(JSON.parse(replayed.stdout)).toMatchObject({
        target: 'bad-exception',
        kind: 'exception',
        error: { name: 'TypeError' },
      });
    },
  );
});
