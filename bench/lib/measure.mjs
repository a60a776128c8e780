/**
 * Timing and memory. A whole-process implementation is timed around `spawnSync` (process start included) and its
 * peak memory is the RSS high-water mark of the process (`/usr/bin/time -f %M`; without it, /proc is polled). An
 * in-process implementation is measured in a fresh `node` child per cell (bench/lib/child.mjs), which reports its
 * samples and its `process.resourceUsage().maxRSS` over the measured runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TIME_BIN = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const RUN = fileURLToPath(new URL('../run.mjs', import.meta.url));

export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Repetitions per size: warm-up runs, then samples until `max` or until `min` are taken and `budgetMs` has passed
 * (so a slow implementation at 150 MB stops after one sample instead of running for minutes).
 */
export function plan(size, { quick, kind, cold }) {
  if (cold) return { warmup: 0, min: quick ? 3 : 7, max: quick ? 3 : 7, budgetMs: 0 };
  const inProcess = kind === 'in-process';
  const table = {
    '4k': inProcess ? { warmup: 20, min: 30, max: 1000, budgetMs: 1000 } : { warmup: 1, min: 7, max: 7, budgetMs: 0 },
    '1m': inProcess ? { warmup: 2, min: 10, max: 200, budgetMs: 1500 } : { warmup: 1, min: 5, max: 5, budgetMs: 0 },
    // In-process from 25 MB on, warm-up runs until the process is in the steady state a gateway's process is in:
    // the first runs of a size are slower run after run (the allocator and the heap grow into the size; in-process
    // streaming at 25 MB went 230, 187, 146, 131, 100, 89, 93 ms). Every in-process implementation gets the same.
    // Then the median of few runs.
    '25m': inProcess ? { warmup: 4, min: 3, max: 7, budgetMs: 4000 } : { warmup: 0, min: 3, max: 5, budgetMs: 4000 },
    '150m': inProcess ? { warmup: 1, min: 1, max: 3, budgetMs: 8000 } : { warmup: 0, min: 1, max: 3, budgetMs: 8000 },
    '2g': { warmup: 0, min: 1, max: 1, budgetMs: 0 },
    '-': inProcess ? { warmup: 20, min: 50, max: 1000, budgetMs: 1000 } : { warmup: 1, min: 10, max: 10, budgetMs: 0 },
  };
  const p = { ...table[size] };
  if (quick) {
    p.warmup = Math.min(p.warmup, size === '4k' || size === '-' ? 5 : 0);
    p.min = Math.min(p.min, 3);
    p.max = Math.min(p.max, size === '4k' || size === '-' ? 200 : 3);
    p.budgetMs = Math.min(p.budgetMs, 300);
  }
  return p;
}

/** The samples loop shared by both kinds: `once()` returns one duration in ms. */
export async function sampleLoop(p, once) {
  for (let i = 0; i < p.warmup; i++) await once();
  const samples = [];
  const start = performance.now();
  while (samples.length < p.max) {
    samples.push(await once());
    if (samples.length >= p.min && performance.now() - start >= p.budgetMs) break;
  }
  return samples;
}

class CellError extends Error {}

/** Peak RSS (KiB) of a process and its descendants, polled from /proc until it exits. */
function pollPeak(pid, done) {
  let peak = 0;
  const visit = (p) => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
      for (const t of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean)) visit(c);
      }
    } catch {
      // gone already
    }
  };
  const timer = setInterval(() => visit(pid), 2);
  return done.then((r) => {
    clearInterval(timer);
    return { ...r, peakKiB: peak };
  });
}

/**
 * Runs a command once: wall time (ms) and peak RSS (KiB; for a shell pipeline, the largest process of it).
 * `spec` is `{ argv }` or `{ shell }`; stdout is discarded.
 */
export async function runCommand(spec, { timeoutMs = 600_000, env } = {}) {
  const argv = spec.shell ? ['sh', '-c', spec.shell] : spec.argv;
  const memFile = `${spec.tmp}/time-${process.pid}.txt`;
  let result;
  if (TIME_BIN) {
    const start = performance.now();
    const r = spawnSync(TIME_BIN, ['-f', '%M', '-o', memFile, ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: env ?? process.env,
    });
    const ms = performance.now() - start;
    const peakKiB = Number(readFileSync(memFile, 'utf8').trim().split('\n').pop()) || NaN;
    rmSync(memFile, { force: true });
    result = { ms, peakKiB, status: r.status, signal: r.signal, stderr: r.stderr?.toString() ?? '', error: r.error };
  } else {
    const start = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs, env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise((resolve) =>
      child.on('close', (status, signal) => resolve({ ms: performance.now() - start, status, signal, stderr })),
    );
    result = await pollPeak(child.pid, done);
  }
  if (result.error || result.status !== 0) {
    const why = result.error?.code === 'ETIMEDOUT' || result.signal === 'SIGTERM' ? 'timeout' : `exit ${result.status}`;
    throw new CellError(
      `${why}: ${argv.join(' ').slice(0, 200)}: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`,
    );
  }
  return result;
}

/** Measures a whole-process implementation: samples (ms) and the highest peak RSS (KiB) of the runs. */
export async function measureProcess(impl, op, size, m, p) {
  const spec = { ...impl.command(op, size, m), tmp: m.dir };
  let peakKiB = 0;
  const samples = await sampleLoop(p, async () => {
    const r = await runCommand(spec);
    peakKiB = Math.max(peakKiB, r.peakKiB);
    return r.ms;
  });
  return { samples, peakKiB };
}

/**
 * Measures an in-process implementation in a fresh child `node` (`--expose-gc`, so that what `prepare` left is
 * collected before the peak is reset). Cold operations get one child per sample.
 */
/** One fresh `node` child measuring `spec` (bench/lib/child.mjs); its last line is the JSON result. */
function inProcessChild(spec, timeoutMs) {
  const r = spawnSync(process.execPath, ['--expose-gc', RUN, '--child', JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = r.stdout?.toString() ?? '';
  const line = out.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    const why = r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM' ? 'timeout' : `exit ${r.status ?? r.signal}`;
    const err = (r.stderr?.toString() ?? '').trim().split('\n');
    const msg =
      err.find((l) => /^\s*\w*Error\b/.test(l)) ?? err.find((l) => /Error|error/.test(l)) ?? err.slice(-1)[0] ?? '';
    throw new CellError(`${why}: ${msg.slice(0, 300)}`);
  }
  return JSON.parse(line);
}

export async function measureInProcess(impl, op, size, m, p, { cold, timeoutMs = 300_000 } = {}) {
  const base = { impl: impl.name, op, size, dir: m.dir };
  if (!cold) return inProcessChild({ ...base, plan: p }, timeoutMs);
  return (await measureColdRounds([impl], op, m, p, { timeoutMs })).get(impl.name);
}

/**
 * A cold operation (a fresh process each run) for several in-process implementations, run after run in turn: one
 * sample of each per round, so that the host's changes of speed (a third from one hour to the next here) fall on
 * all of them alike and their ratios hold. Returns, per implementation, its samples and peak, or the error that
 * stopped it (the others go on).
 */
export async function measureColdRounds(impls, op, m, p, { timeoutMs = 300_000 } = {}) {
  const results = new Map(impls.map((impl) => [impl.name, { samples: [], peakKiB: 0 }]));
  for (let i = 0; i < p.max; i++) {
    for (const impl of impls) {
      const result = results.get(impl.name);
      if (result instanceof Error) continue;
      try {
        const r = inProcessChild(
          { impl: impl.name, op, size: '-', dir: m.dir, plan: { warmup: 0, min: 1, max: 1, budgetMs: 0 } },
          timeoutMs,
        );
        result.samples.push(...r.samples);
        result.peakKiB = Math.max(result.peakKiB, r.peakKiB);
      } catch (e) {
        results.set(impl.name, e);
      }
    }
  }
  return results;
}
