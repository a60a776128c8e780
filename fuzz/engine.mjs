/**
 * The fuzzing engine: schedules inputs (seeds, mutations of the corpus, generated inputs) per target, runs
 * them in worker threads under a watchdog, applies the oracle, keeps the corpus growing with inputs that
 * reached new code or a new outcome, saves findings and builds the report.
 *
 * Oracle, per input:
 * - it threw something that is not a `SmimeError` (or left a rejected promise nobody handled, or killed
 *   the worker): finding `exception` / `unhandled-rejection` / `crash`;
 * - it ran past the time bound (default 2 s): the worker is terminated and the input re-run once alone in
 *   a fresh worker; still past the bound: finding `hang` (otherwise it is only listed as slow);
 * - it made the worker's heap and buffers grow past the memory bound (default 512 MiB), or the process's
 *   resident memory grow that much over its baseline while it ran, or the worker hit its heap limit:
 *   finding `memory`.
 * A `SmimeError` is an outcome, counted by code. With `strict`, a `SmimeError` wrapping a programming error
 * (TypeError, RangeError, ...) is a finding too (`wrapped`); without, it is listed under "wrapped".
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { generate } from './generators.mjs';
import { Rng, mutate } from './mutate.mjs';
import { loadSeeds, vectorDirs } from './seeds.mjs';
import { createContext, REPO_ROOT, TARGETS } from './targets.mjs';

const WORKER = new URL('./worker.mjs', import.meta.url);
const MiB = 1024 * 1024;
/** Inputs kept per target for mutation (besides the seeds): at most this many, this many bytes, each this big. */
const CORPUS_LIMIT = 3000;
const CORPUS_BYTES = 48 * MiB;
const CORPUS_MAX_INPUT = MiB;

const DEFAULTS = {
  seed: 1,
  timeoutMs: 2000,
  memoryMb: 512,
  findingsDir: join(REPO_ROOT, 'fuzz', 'findings'),
  distDir: join(REPO_ROOT, 'dist'),
  coverage: true,
  jobs: 1,
  /** A target's time is cut into slices of at most this many seconds, run in rounds over all targets. */
  sliceSeconds: 60,
};

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * A private copy of the built library for the length of a run, so that a rebuild of dist/ meanwhile
 * (`npm test`, `npm run build` in another terminal) cannot pull the files away from under the workers.
 * `node_modules` next to it is a link to the repository's, for the library's own dependencies (ldapts).
 * Returns the copy's dist folder and a function that maps its paths in stacks back to `distDir`.
 */
function snapshotDist(distDir) {
  const source = resolve(distDir);
  if (!existsSync(join(source, 'index.js'))) throw usageError(`no built library in ${source}: run npm run build first`);
  const root = mkdtempSync(join(tmpdir(), 'smimekit-fuzz-'));
  const copy = join(root, 'dist');
  cpSync(source, copy, { recursive: true, filter: (f) => !f.endsWith('.map') });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const href = pathToFileURL(copy).href;
  const back = (text) =>
    typeof text === 'string' ? text.split(href).join(pathToFileURL(source).href).split(copy).join(source) : text;
  return { dir: copy, back, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function usageError(message) {
  const e = new Error(message);
  e.usage = true;
  return e;
}

/** Extra targets from modules (each exporting `targets`), for the oracle test and for users' own targets. */
async function extraTargets(paths) {
  const out = [];
  for (const p of paths) {
    const mod = await import(pathToFileURL(resolve(p)).href);
    out.push(...(mod.targets ?? []));
  }
  return out;
}

/** One worker thread with a request/response channel and a watchdog. */
class Runner {
  constructor(options) {
    this.options = options;
    this.worker = undefined;
    this.pending = undefined;
    this.nextId = 1;
  }

  async start() {
    const { distDir, vectorsDir, targetModules, coverage, memoryMb } = this.options;
    const worker = new Worker(WORKER, {
      workerData: { distDir, vectorsDir, targetModules, coverage },
      resourceLimits: { maxOldGenerationSizeMb: memoryMb + 256 },
      stdout: false,
      stderr: false,
    });
    this.worker = worker;
    this.strays = [];
    await new Promise((resolveReady, rejectReady) => {
      const onError = (e) => rejectReady(e);
      worker.once('error', onError);
      worker.once('message', (m) => {
        worker.off('error', onError);
        if (m.type === 'ready') resolveReady();
        else rejectReady(new Error(`unexpected first message ${m.type}`));
      });
    });
    worker.on('message', (m) => {
      if (m.type === 'stray') {
        this.strays.push(m);
        return;
      }
      if (m.type === 'result' && this.pending?.id === m.id) this.pending.settle({ kind: 'result', ...m });
    });
    worker.on('error', (e) => this.pending?.settle({ kind: 'crash', error: e }));
    worker.on('exit', (code) => this.pending?.settle({ kind: 'exit', code }));
  }

  /** Runs one input; resolves `{ kind: 'result' | 'timeout' | 'crash' | 'exit' | 'memory', ... }`. */
  run(target, bytes) {
    const id = this.nextId++;
    const { timeoutMs } = this.options;
    return new Promise((settleRun) => {
      let done = false;
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
      const settle = (r) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending = undefined;
        settleRun(r);
      };
      this.pending = { id, settle };
      const copy = bytes.slice();
      this.worker.postMessage({ type: 'run', id, target, bytes: copy.buffer }, [copy.buffer]);
    });
  }

  /** Ends the current input by force (a runaway input), from the memory watch. */
  abort(reason) {
    this.pending?.settle(reason);
  }

  async stop() {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

/** Per-target state: corpus, counters, outcomes, slowest inputs, findings. */
function targetState(target, seeds, seed) {
  const seedList = target.seedKinds
    .flatMap((k) => seeds.get(k) ?? [])
    .filter((s) => s.bytes.length > 0 && (!target.seedFilter || target.seedFilter(s.bytes)));
  const unique = [];
  const seen = new Set();
  for (const s of seedList) {
    const h = sha(s.bytes);
    if (!seen.has(h)) {
      seen.add(h);
      unique.push(s);
    }
  }
  const rng = new Rng(`${seed}:${target.name}`);
  // A seeded shuffle, so that a short run gets a spread of seeds rather than the first folder.
  const order = unique.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return {
    target,
    rng,
    seeds: unique,
    seedOrder: order,
    generatedSeeds: unique.filter((s) => s.name.startsWith('generated:')),
    seedsRun: 0,
    found: [],
    foundBytes: 0,
    iterations: 0,
    ms: 0,
    outcomes: new Map(),
    slowest: [],
    slowestBytes: new Map(),
    findings: [],
    wrapped: new Map(),
    slow: [],
    blocks: 0,
    done: false,
  };
}

/** The next input of a target, and how it was made. */
function nextInput(state) {
  const { rng, target, seeds, found } = state;
  // A base to mutate: an input that reached new code (half the time), a seed made with the library (they
  // decrypt and verify with the test PKI), or any seed.
  const pool = () => {
    const r = rng.u32() / 4294967296;
    if (found.length && r < 0.5) return rng.pick(found).bytes;
    if (state.generatedSeeds.length && r < 0.65) return rng.pick(state.generatedSeeds).bytes;
    let pick = rng.pick(seeds);
    // Big inputs are slow to mutate and to run: most of the time, draw again.
    if (pick && pick.bytes.length > 256 * 1024 && rng.chance(0.75)) pick = rng.pick(seeds);
    return pick?.bytes;
  };
  // A quarter of the time the next seed, until each has run once; a fifth of the rest a generated input;
  // otherwise a mutation.
  if (state.seedsRun < seeds.length && rng.chance(0.25))
    return { how: 'seed', bytes: seeds[state.seedOrder[state.seedsRun++]].bytes };
  if ((rng.chance(0.2) || !seeds.length) && target.generators?.length)
    return { how: 'generated', bytes: generate(rng.pick(target.generators), rng) };
  const base = pool();
  if (!base) return { how: 'generated', bytes: generate(rng.pick(target.generators), rng) };
  if (rng.chance(0.03)) return { how: 'seed', bytes: base };
  return { how: 'mutated', bytes: mutate(rng, base, pool()) };
}

function outcomeLabel(o) {
  if (o.status === 'ok') return o.label;
  if (o.status === 'error') return o.code;
  return 'FINDING';
}

/** A short signature of a finding, to save a few inputs per distinct bug rather than thousands. */
function signature(target, kind, error) {
  const frame = (error?.stack ?? '').split('\n').find((l) => /^\s+at /.test(l)) ?? '';
  return `${target}|${kind}|${error?.name ?? ''}|${frame.replace(/:\d+:\d+\)?$/, '').trim()}`;
}

/** Saves a finding: `<dir>/<target>-<hash>.bin` and a `.json` sidecar. */
function saveFinding(dir, finding, bytes) {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${finding.target}-${sha(bytes).slice(0, 16)}`);
  writeFileSync(`${base}.bin`, bytes);
  writeFileSync(
    `${base}.json`,
    JSON.stringify({ ...finding, input: `${base}.bin`, replay: `npm run fuzz -- --replay ${base}.bin` }, null, 2) +
      '\n',
  );
  return `${base}.bin`;
}

/**
 * Runs the fuzzer. Options: `targets` (names; default all), `iterations` (per target), `seconds` (in total,
 * shared equally by the targets), `seed`, `timeoutMs`, `memoryMb`, `findingsDir`, `distDir`, `vectorDirs`,
 * `targetModules` (extra target files), `coverage`, `jobs`, `strict`, `saveSlowest` (write the five slowest
 * inputs of each target to `<findingsDir>/slowest/`), `log`, `signal` (an AbortSignal that
 * ends the run early, with the report so far). Resolves the report.
 */
export async function runFuzz(opts = {}) {
  const options = { ...DEFAULTS, ...opts };
  const log = options.log ?? (() => {});
  const targetModules = (options.targetModules ?? []).map((p) => resolve(p));
  const all = [...TARGETS, ...(await extraTargets(targetModules))];
  const wanted = options.targets?.length ? options.targets : all.map((t) => t.name);
  const unknown = wanted.filter((n) => !all.some((t) => t.name === n));
  if (unknown.length)
    throw usageError(`unknown target(s): ${unknown.join(', ')} (known: ${all.map((t) => t.name).join(', ')})`);
  if (!options.iterations && !options.seconds) throw usageError('give --iterations or --seconds (or both)');

  const vectorsDir = join(REPO_ROOT, 'vectors');
  const started = Date.now();
  const snapshot = snapshotDist(options.distDir);
  try {
    return await fuzzWith(options, { all, wanted, targetModules, vectorsDir, started, snapshot, log });
  } finally {
    snapshot.remove();
  }
}

async function fuzzWith(options, { all, wanted, targetModules, vectorsDir, started, snapshot, log }) {
  const ctx = await createContext({ distDir: snapshot.dir, vectorsDir });
  const seeds = await loadSeeds({ dirs: options.vectorDirs ?? vectorDirs(), ctx, log });
  log(`seeds: ${[...seeds].map(([k, v]) => `${k} ${v.length}`).join(', ')}`);
  const states = wanted.map((name) =>
    targetState(
      all.find((t) => t.name === name),
      seeds,
      options.seed,
    ),
  );

  const runnerOptions = {
    distDir: snapshot.dir,
    vectorsDir,
    targetModules,
    coverage: options.coverage,
    memoryMb: options.memoryMb,
    timeoutMs: options.timeoutMs,
  };
  // Findings are grouped by signature (target, kind, error name, top frame): at most three inputs of each are
  // saved, each distinct input once.
  const record = (state, kind, bytes, details) => {
    const sig = signature(state.target.name, kind, details.error);
    const hash = sha(bytes).slice(0, 16);
    let group = state.findings.find((f) => f.signature === sig);
    if (!group) {
      group = { kind, error: undefined, count: 0, files: [], hashes: [], signature: sig };
      state.findings.push(group);
    }
    group.count++;
    if (group.hashes.includes(hash)) return;
    group.hashes.push(hash);
    if (details.error)
      details.error = {
        ...details.error,
        message: snapshot.back(details.error.message),
        stack: snapshot.back(details.error.stack),
      };
    if (details.stack) details.stack = snapshot.back(details.stack);
    const finding = {
      target: state.target.name,
      kind,
      ...details,
      size: bytes.length,
      seed: options.seed,
      iteration: state.iterations,
      timeoutMs: options.timeoutMs,
      memoryMb: options.memoryMb,
      at: new Date().toISOString(),
    };
    const file = group.files.length < 3 ? saveFinding(options.findingsDir, finding, bytes) : undefined;
    if (file) group.files.push(file);
    group.error ??= details.error;
    log(
      `FINDING ${state.target.name} ${kind}: ${details.error?.name ?? ''} ${details.error?.message ?? ''}${file ? ` -> ${file}` : ' (same as an earlier finding, not saved again)'}`,
    );
  };

  // Resident memory of the whole process, watched while inputs run: growth since the input started.
  const active = new Set();
  const watch = setInterval(() => {
    const rss = process.memoryUsage.rss();
    for (const runner of active) {
      if (rss - runner.rssAtStart > options.memoryMb * MiB)
        runner.abort({ kind: 'memory', rss: rss - runner.rssAtStart });
    }
  }, 100);
  watch.unref?.();

  /** Re-runs an input alone in a fresh worker: does it still run past the bound? */
  const confirm = async (state, bytes) => {
    const runner = new Runner(runnerOptions);
    try {
      await runner.start();
      runner.rssAtStart = process.memoryUsage.rss();
      active.add(runner);
      const t0 = performance.now();
      const r = await runner.run(state.target.name, bytes);
      return { r, ms: performance.now() - t0 };
    } finally {
      active.delete(runner);
      await runner.stop();
    }
  };

  /** Runs one target for up to `seconds` (or until its iteration budget), on `runner`. */
  const runSlice = async (runner, state, seconds) => {
    const until = seconds ? Date.now() + seconds * 1000 : Infinity;
    while (
      Date.now() < until &&
      !(options.iterations && state.iterations >= options.iterations) &&
      !options.signal?.aborted
    ) {
      if (!runner.worker) await runner.start();
      let input;
      try {
        input = nextInput(state);
      } catch (e) {
        // A bug of the harness (a mutator, a generator), not of the library: reported, and the run goes on.
        state.harnessErrors = (state.harnessErrors ?? 0) + 1;
        if (state.harnessErrors <= 3) log(`harness error on ${state.target.name} (not a finding): ${e?.stack ?? e}`);
        input = { how: 'seed', bytes: state.seeds[state.rng.int(state.seeds.length)]?.bytes ?? new Uint8Array(1) };
      }
      const bytes = input.bytes;
      state.iterations++;
      runner.rssAtStart = process.memoryUsage.rss();
      active.add(runner);
      const t0 = performance.now();
      const r = await runner.run(state.target.name, bytes);
      const wall = performance.now() - t0;
      active.delete(runner);
      for (const stray of runner.strays.splice(0))
        record(state, 'unhandled-rejection', bytes, {
          error: stray.error,
          stack: stray.error.stack,
          ms: wall,
          how: input.how,
        });
      if (r.kind === 'result') {
        state.ms += r.ms;
        const label = outcomeLabel(r.outcome);
        const isNewOutcome = !state.outcomes.has(label);
        state.outcomes.set(label, (state.outcomes.get(label) ?? 0) + 1);
        if (r.outcome.status === 'exception')
          record(state, 'exception', bytes, {
            error: r.outcome.error,
            stack: r.outcome.error.stack,
            ms: r.ms,
            how: input.how,
          });
        if (r.outcome.wrapped) {
          const key = `${r.outcome.code}<${r.outcome.wrapped.name}: ${r.outcome.wrapped.message.slice(0, 80)}`;
          const w = state.wrapped.get(key) ?? {
            count: 0,
            stack: snapshot.back(r.outcome.wrapped.stack),
            hash: sha(bytes).slice(0, 16),
          };
          w.count++;
          state.wrapped.set(key, w);
          if (options.strict && w.count === 1)
            record(state, 'wrapped', bytes, {
              error: r.outcome.wrapped,
              stack: r.outcome.wrapped.stack,
              ms: r.ms,
              how: input.how,
            });
        }
        if (r.grown > options.memoryMb * MiB)
          record(state, 'memory', bytes, {
            error: { name: 'MemoryGrowth', message: `heap and buffers grew by ${Math.round(r.grown / MiB)} MiB` },
            ms: r.ms,
            how: input.how,
          });
        if (options.saveSlowest) state.slowestBytes.set(sha(bytes).slice(0, 16), bytes);
        state.slowest.push({
          ms: Math.round(r.ms * 10) / 10,
          size: bytes.length,
          outcome: label,
          hash: sha(bytes).slice(0, 16),
        });
        state.slowest.sort((a, b) => b.ms - a.ms);
        state.slowest.length = Math.min(state.slowest.length, 5);
        if (options.saveSlowest)
          for (const h of state.slowestBytes.keys())
            if (!state.slowest.some((x) => x.hash === h)) state.slowestBytes.delete(h);
        if (r.blocks) state.blocks = r.blocks;
        if ((r.fresh > 0 || isNewOutcome) && input.how !== 'seed' && bytes.length <= CORPUS_MAX_INPUT) {
          // Kept for mutation. Over the limits, a random earlier find makes room.
          while (
            state.found.length &&
            (state.found.length >= CORPUS_LIMIT || state.foundBytes + bytes.length > CORPUS_BYTES)
          ) {
            const i = state.rng.int(state.found.length);
            state.foundBytes -= state.found[i].bytes.length;
            state.found[i] = state.found[state.found.length - 1];
            state.found.pop();
          }
          state.found.push({ bytes });
          state.foundBytes += bytes.length;
        }
        continue;
      }
      // The input did not come back: a hang, a crash or a memory blow-up. The worker is gone or stuck.
      await runner.stop();
      const key = `(${r.kind})`;
      state.outcomes.set(key, (state.outcomes.get(key) ?? 0) + 1);
      const outOfMemory = (x) => x.kind === 'memory' || x.error?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (r.kind === 'timeout' || outOfMemory(r)) {
        // Confirmed alone, in a fresh worker: load from other jobs or the machine must not make a finding.
        const again = await confirm(state, bytes);
        const hash = sha(bytes).slice(0, 16);
        if (again.r.kind === 'timeout')
          record(state, 'hang', bytes, {
            error: { name: 'Hang', message: `still running after ${options.timeoutMs} ms (twice)` },
            ms: options.timeoutMs,
            how: input.how,
          });
        else if (outOfMemory(again.r) || (again.r.kind === 'result' && again.r.grown > options.memoryMb * MiB))
          record(state, 'memory', bytes, {
            error: {
              name: 'Memory',
              message: again.r.rss
                ? `process resident memory grew by ${Math.round(again.r.rss / MiB)} MiB`
                : again.r.grown
                  ? `heap and buffers grew by ${Math.round(again.r.grown / MiB)} MiB`
                  : `worker heap limit (${options.memoryMb + 256} MiB) reached`,
            },
            ms: again.ms,
            how: input.how,
          });
        else {
          state.slow.push({ ms: Math.round(again.ms), size: bytes.length, hash, first: r.kind });
          log(`${state.target.name}: input ${hash} ended as ${r.kind} once, fine alone (${Math.round(again.ms)} ms)`);
        }
      } else {
        const error = r.error
          ? { name: r.error.name, message: r.error.message, stack: r.error.stack, code: r.error.code }
          : { name: 'WorkerExit', message: `worker exited with code ${r.code}` };
        record(state, 'crash', bytes, { error, stack: error.stack, ms: wall, how: input.how });
      }
    }
  };

  // Scheduling: each target gets seconds / targets of time, in rounds of slices; with jobs > 1, several
  // targets run at once, each on its own worker.
  const jobs = Math.max(1, Math.min(options.jobs, states.length));
  const share = options.seconds ? (options.seconds * jobs) / states.length : 0;
  const rounds = share ? Math.max(1, Math.ceil(share / options.sliceSeconds)) : 1;
  const runners = Array.from({ length: jobs }, () => new Runner(runnerOptions));
  try {
    for (let round = 0; round < rounds; round++) {
      const queue = [...states];
      await Promise.all(
        runners.map(async (runner) => {
          for (let s = queue.shift(); s && !options.signal?.aborted; s = queue.shift()) {
            const t0 = Date.now();
            await runSlice(runner, s, share ? share / rounds : 0);
            s.wall = (s.wall ?? 0) + (Date.now() - t0);
            log(
              `${s.target.name}: ${s.iterations} iterations, ${s.outcomes.size} outcomes, ${s.findings.length} findings${round + 1 < rounds ? ` (round ${round + 1}/${rounds})` : ''}`,
            );
          }
        }),
      );
    }
  } finally {
    clearInterval(watch);
    await Promise.all(runners.map((r) => r.stop()));
  }

  let slowestDir;
  if (options.saveSlowest) {
    slowestDir = join(options.findingsDir, 'slowest');
    mkdirSync(slowestDir, { recursive: true });
    for (const s of states) {
      for (const x of s.slowest) {
        const bytes = s.slowestBytes.get(x.hash);
        if (!bytes) continue;
        const base = join(slowestDir, `${s.target.name}-${x.hash}`);
        writeFileSync(`${base}.bin`, bytes);
        writeFileSync(`${base}.json`, `${JSON.stringify({ target: s.target.name, kind: 'slow', ...x }, null, 2)}\n`);
      }
    }
  }

  return {
    seed: options.seed,
    ...(slowestDir ? { slowestDir } : {}),
    ...(options.signal?.aborted ? { interrupted: true } : {}),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    timeoutMs: options.timeoutMs,
    memoryMb: options.memoryMb,
    coverage: options.coverage,
    findingsDir: options.findingsDir,
    targets: states.map((s) => ({
      name: s.target.name,
      iterations: s.iterations,
      execsPerSecond: s.wall ? Math.round((s.iterations / s.wall) * 10000) / 10 : undefined,
      seeds: s.seeds.length,
      corpus: s.found.length,
      blocks: s.blocks,
      outcomes: Object.fromEntries([...s.outcomes].sort((a, b) => b[1] - a[1])),
      slowest: s.slowest,
      slow: s.slow,
      ...(s.harnessErrors ? { harnessErrors: s.harnessErrors } : {}),
      wrapped: Object.fromEntries([...s.wrapped].map(([k, v]) => [k, v])),
      findings: s.findings.map(({ hashes: _, ...f }) => f),
    })),
    findings: states.reduce((n, s) => n + s.findings.length, 0),
    findingInputs: states.reduce((n, s) => n + s.findings.reduce((m, f) => m + f.count, 0), 0),
  };
}

/** The report as text. */
export function formatReport(report) {
  const lines = [];
  lines.push(
    `smimekit fuzz: seed ${report.seed}, ${report.seconds} s${report.interrupted ? ' (interrupted)' : ''}, time bound ${report.timeoutMs} ms, memory bound ${report.memoryMb} MiB, coverage ${report.coverage ? 'on' : 'off'}`,
  );
  for (const t of report.targets) {
    lines.push('');
    lines.push(
      `${t.name}: ${t.iterations} iterations${t.execsPerSecond ? ` (${t.execsPerSecond}/s)` : ''}, ${t.seeds} seeds, corpus +${t.corpus}${t.blocks ? `, ${t.blocks} blocks` : ''}, ${t.findings.length} findings`,
    );
    lines.push(
      `  outcomes (${Object.keys(t.outcomes).length}): ${Object.entries(t.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    lines.push(`  slowest: ${t.slowest.map((s) => `${s.ms} ms/${s.size} B (${s.outcome})`).join(', ')}`);
    if (t.slow.length)
      lines.push(
        `  past the time bound once, not twice: ${t.slow.map((s) => `${s.ms} ms/${s.size} B ${s.hash}`).join(', ')}`,
      );
    for (const [k, v] of Object.entries(t.wrapped))
      lines.push(`  wrapped programming error (${v.count}×, e.g. input ${v.hash}): ${k}`);
    for (const f of t.findings) {
      lines.push(`  FINDING ${f.kind} (${f.count}×): ${f.error?.name ?? ''}: ${f.error?.message ?? ''}`);
      for (const file of f.files) lines.push(`    ${file}`);
    }
  }
  lines.push('');
  lines.push(
    report.findings
      ? `${report.findings} distinct finding(s) from ${report.findingInputs} input(s), saved under ${report.findingsDir}`
      : 'no findings',
  );
  if (report.slowestDir) lines.push(`the slowest inputs of each target are in ${report.slowestDir}`);
  return lines.join('\n');
}

/**
 * Re-runs one saved input (`file.bin`, with its `file.json` sidecar naming the target unless `target`
 * is given) under the same bounds. Resolves `{ target, kind, outcome, ms, error? }`; `kind` is 'ok' when
 * the input no longer produces a finding.
 */
export async function replay(file, opts = {}) {
  const options = { ...DEFAULTS, ...opts };
  const bytes = new Uint8Array(readFileSync(file));
  let sidecar = {};
  try {
    sidecar = JSON.parse(readFileSync(file.replace(/\.bin$/, '') + '.json', 'utf8'));
  } catch {
    // no sidecar: the target must be given
  }
  const target = options.target ?? sidecar.target;
  if (!target) throw usageError(`no target for ${file}: give --target`);
  const snapshot = snapshotDist(options.distDir);
  const runner = new Runner({
    distDir: snapshot.dir,
    vectorsDir: join(REPO_ROOT, 'vectors'),
    targetModules: (options.targetModules ?? []).map((p) => resolve(p)),
    coverage: false,
    memoryMb: options.memoryMb,
    timeoutMs: options.timeoutMs,
  });
  let r;
  const t0 = performance.now();
  try {
    await runner.start();
    r = await runner.run(target, bytes);
  } finally {
    await runner.stop();
    snapshot.remove();
  }
  for (const x of [r.error, r.outcome?.error, r.outcome?.wrapped])
    if (x) Object.assign(x, { message: snapshot.back(x.message), stack: snapshot.back(x.stack) });
  const ms = Math.round(performance.now() - t0);
  if (r.kind === 'timeout') return { target, kind: 'hang', ms, size: bytes.length };
  if (r.kind === 'memory' || r.error?.code === 'ERR_WORKER_OUT_OF_MEMORY')
    return { target, kind: 'memory', ms, size: bytes.length };
  if (r.kind !== 'result')
    return {
      target,
      kind: 'crash',
      ms,
      size: bytes.length,
      error: r.error
        ? { name: r.error.name, message: r.error.message, stack: r.error.stack }
        : { message: `exit ${r.code}` },
    };
  if (r.outcome.status === 'exception')
    return { target, kind: 'exception', ms: Math.round(r.ms), size: bytes.length, error: r.outcome.error };
  if (r.grown > options.memoryMb * MiB) return { target, kind: 'memory', ms: Math.round(r.ms), size: bytes.length };
  return {
    target,
    kind: 'ok',
    ms: Math.round(r.ms),
    size: bytes.length,
    outcome: outcomeLabel(r.outcome),
    wrapped: r.outcome.wrapped,
    message: r.outcome.message,
  };
}
