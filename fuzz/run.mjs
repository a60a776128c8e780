#!/usr/bin/env node
/**
 * `npm run fuzz -- [options]` (the script builds dist/ first, then runs this file). See docs/fuzzing.md.
 *
 *   --target NAME        a target (repeatable, or comma-separated); default: all
 *   --iterations N       inputs per target
 *   --seconds S          total time, shared equally by the targets (in rounds of slices of at most 60 s)
 *   --seed X             random seed (default 1): the same seed gives the same inputs
 *   --timeout MS         time bound per input (default 2000)
 *   --memory MB          memory bound per input (default 512)
 *   --jobs N             targets run at once, one worker each (default 1)
 *   --no-coverage        no V8 block coverage feedback (faster per input, blind)
 *   --strict             a SmimeError wrapping a TypeError/RangeError/... is a finding too
 *   --findings DIR       where findings go (default fuzz/findings)
 *   --save-slowest       also write the five slowest inputs of each target to <findings>/slowest/ (replayable)
 *   --dist DIR           the built library to fuzz (default dist)
 *   --targets-module F   extra targets from a module exporting `targets` (repeatable)
 *   --json FILE          also write the report as JSON
 *   --replay FILE        re-run one saved input (FILE.bin with its FILE.json) and print what it does
 *   --list               list the targets
 *   --quiet              no progress lines on stderr
 *
 * Exit status: 0 without findings, 1 with findings (or when a replayed input still fails), 2 for bad usage.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatReport, replay, runFuzz } from './engine.mjs';
import { TARGETS } from './targets.mjs';

const usage = (message) => {
  process.stderr.write(
    `${message}\nusage: npm run fuzz -- [--target NAME] [--iterations N] [--seconds S] [--seed X] [--replay FILE] (docs/fuzzing.md)\n`,
  );
  process.exit(2);
};

let values;
try {
  ({ values } = parseArgs({
    options: {
      target: { type: 'string', multiple: true },
      iterations: { type: 'string' },
      seconds: { type: 'string' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      memory: { type: 'string' },
      jobs: { type: 'string' },
      'no-coverage': { type: 'boolean' },
      strict: { type: 'boolean' },
      'save-slowest': { type: 'boolean' },
      findings: { type: 'string' },
      dist: { type: 'string' },
      'targets-module': { type: 'string', multiple: true },
      json: { type: 'string' },
      replay: { type: 'string' },
      list: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  }));
} catch (e) {
  usage(e.message);
}

const number = (name, fallback) => {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) usage(`--${name} needs a number, not "${v}"`);
  return n;
};

if (values.list) {
  for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(24)} ${t.about}\n`);
  process.exit(0);
}

const common = {
  timeoutMs: number('timeout', undefined),
  memoryMb: number('memory', undefined),
  ...(values.dist ? { distDir: values.dist } : {}),
  ...(values['targets-module'] ? { targetModules: values['targets-module'] } : {}),
};
for (const k of Object.keys(common)) if (common[k] === undefined) delete common[k];

if (values.replay) {
  let result;
  try {
    result = await replay(values.replay, { ...common, ...(values.target ? { target: values.target[0] } : {}) });
  } catch (e) {
    if (e.usage) usage(e.message);
    throw e;
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(result.kind === 'ok' ? 0 : 1);
}

const targets = (values.target ?? []).flatMap((t) => t.split(',')).filter(Boolean);
const iterations = number('iterations', undefined);
const seconds = number('seconds', undefined);
if (!iterations && !seconds) usage('give --iterations N and/or --seconds S');

const log = values.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
// Ctrl-C ends the run after the current input and still prints the report; a second one exits at once.
const stop = new AbortController();
process.on('SIGINT', () => {
  if (stop.signal.aborted) process.exit(130);
  process.stderr.write('interrupted: finishing the current inputs, then the report (Ctrl-C again to quit)\n');
  stop.abort();
});
let report;
try {
  report = await runFuzz({
    ...common,
    targets,
    iterations,
    seconds,
    seed: values.seed ?? 1,
    jobs: number('jobs', 1),
    coverage: !values['no-coverage'],
    strict: Boolean(values.strict),
    saveSlowest: Boolean(values['save-slowest']),
    signal: stop.signal,
    ...(values.findings ? { findingsDir: values.findings } : {}),
    log,
  });
} catch (e) {
  if (e.usage) usage(e.message);
  throw e;
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${formatReport(report)}\n`);
process.exit(report.findings ? 1 : 0);
