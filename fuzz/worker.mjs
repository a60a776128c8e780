/**
 * The worker thread that runs targets (engine.mjs starts it). It loads the built library and the target
 * context once, then runs one input per `run` message and answers with the outcome, the time taken, the
 * memory the input left behind and, with coverage on, how many new code blocks of dist/ it reached.
 *
 * The worker never judges time: the engine's watchdog terminates it when an input runs too long (a
 * synchronous infinite loop cannot be interrupted from inside).
 */
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { createContext, TARGETS } from './targets.mjs';

const { distDir, vectorsDir, targetModules = [], coverage } = workerData;
const ctx = await createContext({ distDir, vectorsDir });
const targets = new Map(TARGETS.map((t) => [t.name, t]));
for (const path of targetModules) {
  const mod = await import(pathToFileURL(resolve(path)).href);
  for (const t of mod.targets ?? []) targets.set(t.name, t);
}

/**
 * Block coverage of the library's scripts for one target, from V8's precise coverage (binary counts, reset
 * on every take). Only the functions that ran are reported; inside them, ranges with count 0 are the
 * blocks that did not run, so a range seen at 0 before and absent now is a block reached for the first time.
 */
class Coverage {
  constructor(distPath) {
    this.dist = pathToFileURL(resolve(distPath)).href;
    /** function key → { zero: Set of ranges seen not executed, hit: Set of ranges seen executed } */
    this.functions = new Map();
    this.blocks = 0;
  }

  /** Adds one input's coverage; returns how many blocks (and functions) it reached first. */
  add(result) {
    let fresh = 0;
    for (const script of result) {
      if (!script.url.startsWith(this.dist)) continue;
      for (const fn of script.functions) {
        const [whole, ...inner] = fn.ranges;
        if (!whole || whole.count === 0) continue;
        const key = `${script.url}:${whole.startOffset}`;
        let state = this.functions.get(key);
        if (!state) {
          state = { zero: new Set(), hit: new Set() };
          this.functions.set(key, state);
          fresh++;
          this.blocks++;
        }
        const zeros = new Set();
        for (const r of inner) {
          const rk = `${r.startOffset}:${r.endOffset}`;
          if (r.count === 0) zeros.add(rk);
          else if (!state.hit.has(rk)) {
            state.hit.add(rk);
            fresh++;
            this.blocks++;
          }
        }
        // A range that was not executed before and is absent from the zero list now ran this time.
        for (const rk of state.zero) {
          if (!zeros.has(rk) && !state.hit.has(rk)) {
            state.hit.add(rk);
            fresh++;
            this.blocks++;
          }
        }
        for (const rk of zeros) state.zero.add(rk);
      }
    }
    return fresh;
  }
}

let session;
const coverageByTarget = new Map();
if (coverage) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  await session.post('Profiler.takePreciseCoverage'); // loading the library is not an input's coverage
}

async function takeCoverage(target) {
  if (!session) return { fresh: 0, blocks: 0 };
  const { result } = await session.post('Profiler.takePreciseCoverage');
  let cov = coverageByTarget.get(target);
  if (!cov) coverageByTarget.set(target, (cov = new Coverage(distDir)));
  return { fresh: cov.add(result), blocks: cov.blocks };
}

const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};

/** A non-Error thrown value, or an Error, as plain data. */
function describe(e) {
  if (e instanceof Error)
    return { name: e.name, message: String(e.message).slice(0, 2000), stack: e.stack ?? '', code: e.code };
  return { name: typeof e, message: String(e).slice(0, 2000), stack: '' };
}

/** The first non-SmimeError in an error's cause chain (a programming error the library wrapped). */
function wrappedCause(e) {
  for (let c = e?.cause, depth = 0; c && depth < 8; c = c.cause, depth++) {
    if (
      !(c instanceof ctx.SmimeError) &&
      c instanceof Error &&
      /^(TypeError|RangeError|ReferenceError|SyntaxError|InternalError|AggregateError)$/.test(c.name)
    )
      return describe(c);
  }
  return undefined;
}

let current;
process.on('unhandledRejection', (reason) => {
  parentPort.postMessage({ type: 'stray', id: current, error: describe(reason) });
});

parentPort.on('message', async (msg) => {
  if (msg.type !== 'run') return;
  const target = targets.get(msg.target);
  const bytes = new Uint8Array(msg.bytes);
  current = msg.id;
  const before = memory();
  const t0 = performance.now();
  let outcome;
  try {
    if (!target) throw new Error(`no target ${msg.target}`);
    const label = await target.run(bytes, ctx);
    outcome = { status: 'ok', label: typeof label === 'string' ? label : 'ok' };
  } catch (e) {
    if (e instanceof ctx.SmimeError)
      outcome = { status: 'error', code: e.code, wrapped: wrappedCause(e), message: String(e.message).slice(0, 300) };
    else outcome = { status: 'exception', error: describe(e) };
  }
  const ms = performance.now() - t0;
  const grown = memory() - before;
  const { fresh, blocks } = await takeCoverage(msg.target);
  parentPort.postMessage({ type: 'result', id: msg.id, outcome, ms, grown, fresh, blocks });
});

parentPort.postMessage({ type: 'ready', targets: [...targets.keys()] });
