/**
 * The bench's main process: options, material, the measurement loop, and the outputs (bench/lib/report.mjs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPLEMENTATION_NAMES, implementations } from '../impl/index.mjs';
import { HUGE, material, SIZES } from './material.mjs';
import { measureColdRounds, measureInProcess, measureProcess, median, plan, runCommand, TIME_BIN } from './measure.mjs';
import { EXTRA_OPS, inputKind, isSized, OP_ALIASES, OPS } from './ops.mjs';
import { fmtMs, mbPerSecond, prettierFormat, sizeLabel, svgChart, targets, textReport, writeDocs } from './report.mjs';
import { measureThroughput, THROUGHPUT_OP } from './throughput.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS = join(root, 'bench', 'results.json');
const DOC = join(root, 'docs', 'performance.md');
const SVG = join(root, 'docs', 'performance.svg');

const USAGE = `usage: node bench/run.mjs [--quick] [--sizes 4k,1m,25m,150m] [--ops LIST] [--impl LIST] [--huge] [--merge] [--render] [--no-write] [--keep]
       node bench/run.mjs timing [--iterations N]
ops: ${[...OPS.map((o) => o.id), ...EXTRA_OPS].join(', ')} (shorthands: ${Object.keys(OP_ALIASES).join(', ')})
implementations: ${IMPLEMENTATION_NAMES.join(', ')}`;

function parseOptions(argv) {
  const o = { quick: false, write: true, huge: false, keep: false };
  const list = (i) => {
    const v = argv[i + 1];
    if (!v || v.startsWith('--')) throw new Error(`${argv[i]} needs a value\n${USAGE}`);
    return v
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = (j) => (inline !== undefined ? inline.split(',').map((s) => s.trim().toLowerCase()) : (i++, list(j)));
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--huge':
        o.huge = true;
        break;
      case '--merge':
        o.merge = true;
        break;
      case '--render':
        o.render = true;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--sizes':
        o.sizes = value(i);
        break;
      case '--ops':
        o.ops = value(i);
        break;
      case '--impl':
        o.impl = value(i);
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    }
  }
  const known = { ...SIZES, ...HUGE };
  for (const s of o.sizes ?? [])
    if (!(s in known)) throw new Error(`unknown size ${s} (${Object.keys(known).join(', ')})`);
  if (o.ops) {
    o.ops = o.ops.flatMap((x) => OP_ALIASES[x] ?? [x]);
    for (const x of o.ops)
      if (!OPS.some((op) => op.id === x) && !EXTRA_OPS.includes(x)) throw new Error(`unknown operation ${x}\n${USAGE}`);
  }
  for (const x of o.impl ?? [])
    if (!IMPLEMENTATION_NAMES.includes(x)) throw new Error(`unknown implementation ${x}\n${USAGE}`);
  return o;
}

const log = (s) => process.stderr.write(`${s}\n`);

function machine() {
  const c = cpus();
  return {
    cpu: `${c[0]?.model?.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'}`,
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
  };
}

export async function main(argv) {
  let o;
  try {
    o = parseOptions(argv);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  const IMPLEMENTATIONS = await implementations();
  const labels = Object.fromEntries(IMPLEMENTATIONS.map((i) => [i.name, i.label]));
  if (o.render) {
    // Only re-render bench/results.json: the tables, targets, chart and docs, without measuring.
    const run = JSON.parse(readFileSync(RESULTS, 'utf8'));
    run.targets = targets(run);
    process.stdout.write(textReport(run, labels));
    if (o.write) await writeOutputs(run, labels);
    return;
  }
  const started = performance.now();
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');

  const sizes = o.huge ? ['2g'] : (o.sizes ?? (o.quick ? ['4k', '1m', '25m'] : Object.keys(SIZES)));
  const opIds = o.ops ?? [...OPS.map((x) => x.id), ...EXTRA_OPS];
  const ops = o.huge ? opIds.filter((x) => isSized(x) && !x.includes('+')) : opIds.filter((x) => x !== 'msgs');
  const wantMsgs = !o.huge && opIds.includes('msgs');

  // Implementations: those asked for, that this build has; --huge keeps the streaming ones and the CLI.
  const impls = [];
  for (const impl of IMPLEMENTATIONS) {
    if (o.impl && !o.impl.includes(impl.name)) continue;
    if (o.huge && !impl.streaming && impl.name !== 'smimekit-cli') continue;
    const avail = impl.available ? await impl.available() : true;
    if (avail !== true) {
      log(`(${impl.label}: left out — ${avail || 'not available'})`);
      continue;
    }
    impls.push(impl);
  }

  const work = mkdtempSync(join(tmpdir(), 'smimekit-bench-'));
  const m = material(work);
  const cleanup = () => {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  const rows = [];
  const msgs = [];
  try {
    const needsDecoys = ops.some((x) => x.startsWith('sst-') || x.startsWith('chain-'));
    log(`material in ${work}: PKI${needsDecoys ? ' + 399 decoy anchors' : ''} (openssl)…`);
    await m.make({ decoys: needsDecoys });
    if (needsDecoys) {
      const sk = await import('../../dist/index.js');
      writeFileSync(m.anchorsSst, sk.serializeSst(sk.createSst([readFileSync(m.anchorsPem)])));
    }

    const baseline = {};
    try {
      baseline.node = await runCommand({ argv: [process.execPath, '-e', ''], tmp: work });
      baseline.openssl = await runCommand({ argv: ['openssl', 'version'], tmp: work });
    } catch (e) {
      log(`baseline: ${e.message}`);
    }

    // Cold chain validation of every in-process implementation, measured in turns the first time one is asked for.
    let coldRounds;
    const coldSamples = async (impl, p) => {
      coldRounds ??= await measureColdRounds(
        impls.filter((i) => i.kind === 'in-process' && i.supports('chain-cold') === true),
        'chain-cold',
        m,
        p,
      );
      const r = coldRounds.get(impl.name);
      if (r instanceof Error) throw r;
      return r;
    };

    const cells = [];
    for (const op of ops.filter((x) => !isSized(x))) for (const impl of impls) cells.push({ op, size: '-', impl });
    for (const size of sizes)
      for (const op of ops.filter(isSized)) for (const impl of impls) cells.push({ op, size, impl });
    const measured = cells.filter((c) => c.impl.supports(c.op) === true).length;
    let done = 0;
    for (const { op, size, impl } of cells) {
      const order = IMPLEMENTATIONS.indexOf(impl);
      const supported = impl.supports(op);
      if (supported !== true) {
        rows.push({ op, size, impl: impl.name, order, status: 'unsupported', error: supported });
        continue;
      }
      done++;
      if (isSized(op)) {
        if (!existsSync(m.message(size))) {
          log(`  making the ${sizeLabel(size)} message…`);
          m.makeMessage(size, { ...SIZES, ...HUGE }[size]);
        }
        const kind = inputKind(op);
        if (kind && !existsSync(m.input(kind, size))) {
          log(`  making the ${sizeLabel(size)} ${kind} input (openssl cms)…`);
          m.makeInput(kind, size);
        }
      }
      const cold = op === 'chain-cold';
      const p = plan(size, { quick: o.quick, kind: impl.kind, cold: cold && impl.kind === 'in-process' });
      const prefix = `[${done}/${measured}] ${op} ${sizeLabel(size)} ${impl.label}`;
      const t0 = performance.now();
      let row;
      try {
        const r =
          impl.kind === 'process'
            ? await measureProcess(impl, op, size, m, p)
            : cold
              ? await coldSamples(impl, p)
              : await measureInProcess(impl, op, size, m, p);
        const med = median(r.samples);
        row = {
          op,
          size,
          impl: impl.name,
          order,
          status: 'ok',
          median: med,
          mbps: isSized(op) ? mbPerSecond(size, med) : undefined,
          peakKiB: r.peakKiB,
          rssBeforeKiB: r.rssBeforeKiB,
          peakReset: r.peakReset,
          samples: r.samples.map((x) => Number(x.toPrecision(4))),
        };
        log(
          `${prefix}: ${fmtMs(med)} ms, peak ${(r.peakKiB / 1024).toFixed(1)} MB (${r.samples.length} runs, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
      } catch (e) {
        const msg = String(e.message ?? e).split('\n')[0];
        row = { op, size, impl: impl.name, order, status: /^timeout/.test(msg) ? 'timeout' : 'failed', error: msg };
        log(`${prefix}: ${row.status} — ${msg}`);
      }
      rows.push(row);
      // Outputs of whole-process runs can be big (150 MB × implementations): drop them as we go.
      for (const f of [
        m.out(`${impl.name}-${op}-${size}`),
        m.out(`cli-${op}-${size}`),
        m.out(`cli-stream-${op}-${size}`),
      ])
        rmSync(f, { force: true });
    }

    if (wantMsgs) {
      if (!existsSync(m.message('4k'))) m.makeMessage('4k', SIZES['4k']);
      // Medians of one-second windows (throughput.mjs), after two seconds of warm-up: the rate of a warm
      // process (smimekit's rose for about a second past a half-second warm-up, run after run).
      const seconds = o.quick ? 1 : 5;
      const warmupMs = o.quick ? 500 : 2000;
      const cores = availableParallelism();
      for (const impl of impls.filter((i) => i.kind === 'in-process' && i.supports(THROUGHPUT_OP) === true)) {
        const entry = { impl: impl.name, workers: cores, seconds };
        try {
          // The ceiling of the row (the RSA operations of one message alone) in windows alternating with the
          // implementation's, in the same thread: this host's speed changes from minute to minute, their ratio not.
          const one = measureThroughput(impl.name, work, { workers: 1, seconds, warmupMs, ceiling: true });
          entry.oneCore = one.perSecond;
          entry.rsaLimit = one.ceiling;
          entry.allCores = measureThroughput(impl.name, work, { workers: cores, seconds, warmupMs }).perSecond;
          log(
            `msgs/s ${impl.label}: one core ${entry.oneCore.toFixed(0)} (RSA operations alone alongside: ${entry.rsaLimit.toFixed(0)}), ${cores} cores ${entry.allCores.toFixed(0)}`,
          );
        } catch (e) {
          entry.error = String(e.message).split('\n')[0];
          log(`msgs/s ${impl.label}: failed — ${entry.error}`);
        }
        msgs.push(entry);
      }
    }

    const run = {
      meta: {
        date: new Date().toISOString(),
        ...machine(),
        smimekit: `${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}, dist/ built ${statSync(join(root, 'dist', 'index.js')).mtime.toISOString()}`,
        node: process.version,
        openssl: execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim(),
        argv,
        durationS: Math.round((performance.now() - started) / 1000),
        memoryMethod: TIME_BIN
          ? 'whole processes: /usr/bin/time -f %M (for a pipeline, its largest process); in-process: maxRSS of a fresh node child'
          : 'whole processes: /proc VmHWM polling; in-process: maxRSS of a fresh node child',
        baseline,
        implementations: impls.map((i) => ({ name: i.name, label: i.label, kind: i.kind })),
        unit: 'ms; MB = 2^20 bytes; peakKiB = RSS high-water mark in KiB',
      },
      rows,
      msgs,
      targets: [],
    };
    if ((o.huge || o.merge) && existsSync(RESULTS)) {
      // --huge and --merge add their rows to the last full run (replacing the same operation × size ×
      // implementation) instead of replacing it; the merge is recorded.
      const last = JSON.parse(readFileSync(RESULTS, 'utf8'));
      const key = (r) => `${r.op}|${r.size}|${r.impl}`;
      const fresh = new Set(rows.map(key));
      run.rows = [...last.rows.filter((r) => !fresh.has(key(r))), ...rows];
      const freshMsgs = new Set(msgs.map((t) => t.impl));
      run.msgs = [...(last.msgs ?? []).filter((t) => !freshMsgs.has(t.impl)), ...msgs];
      const merged = {
        date: run.meta.date,
        argv,
        durationS: run.meta.durationS,
        smimekit: run.meta.smimekit,
        rows: rows.length,
        msgs: msgs.length,
      };
      run.meta = { ...last.meta, merged: [...(last.meta.merged ?? []), merged] };
    }
    run.targets = targets(run);
    process.stdout.write(textReport(run, labels));
    if (o.write) await writeOutputs(run, labels);
    log(`done in ${Math.round((performance.now() - started) / 1000)} s`);
  } finally {
    cleanup();
  }
}

async function writeOutputs(run, labels) {
  writeFileSync(RESULTS, await prettierFormat(`${JSON.stringify(run, null, 2)}\n`, RESULTS));
  writeFileSync(SVG, svgChart(run));
  await writeDocs(DOC, run, labels);
  log(`wrote ${RESULTS}, ${SVG}, ${DOC}`);
}
