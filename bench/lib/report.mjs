/**
 * What a run produces: the text tables (stdout), bench/results.json, docs/performance.svg (the ratios, a
 * hand-written log-scale bar chart) and the generated sections of docs/performance.md (between markers).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { OPS } from './ops.mjs';
import { SIZES, HUGE } from './material.mjs';

const MB = 1024 * 1024;
const SIZE_BYTES = { ...SIZES, ...HUGE };
const SIZE_LABEL = { '4k': '4 KB', '1m': '1 MB', '25m': '25 MB', '150m': '150 MB', '2g': '2 GB', '-': '—' };
export const sizeLabel = (s) => SIZE_LABEL[s] ?? s;

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}
const fmtRatio = (r) => (Number.isFinite(r) ? (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toFixed(3)) : '—');
const fmtMb = (kib) => (Number.isFinite(kib) && kib > 0 ? (kib / 1024).toFixed(1) : '—');
const fmtRate = (x) =>
  Number.isFinite(x)
    ? x >= 100
      ? x.toFixed(0)
      : x >= 10
        ? x.toFixed(1)
        : x >= 1
          ? x.toFixed(2)
          : x.toPrecision(2)
    : '—';

/** Throughput in MB/s (MB = 2^20 bytes) of the message size, for sized operations. */
export function mbPerSecond(size, ms) {
  const bytes = SIZE_BYTES[size];
  return bytes && Number.isFinite(ms) ? bytes / MB / (ms / 1000) : NaN;
}

const opTitle = (op) => OPS.find((o) => o.id === op)?.title ?? op;
const orderOf = (op) => OPS.findIndex((o) => o.id === op);
const SIZE_ORDER = ['-', '4k', '1m', '25m', '150m', '2g'];

/** Ratio columns: label, numerator implementation(s) (first with a figure), denominator. */
const RATIOS = [
  { key: 'sk/openssl', label: 'smimekit / openssl', num: ['smimekit'], den: 'openssl' },
  { key: 'cli/openssl', label: 'CLI / openssl', num: ['smimekit-cli'], den: 'openssl' },
  {
    key: 'stream/openssl-stream',
    label: 'streaming / openssl -stream',
    num: ['smimekit-stream', 'smimekit-cli-stream', 'smimekit-cli'],
    den: 'openssl-stream',
  },
  { key: 'sk/pkijs', label: 'smimekit / PKI.js', num: ['smimekit'], den: 'pkijs' },
  { key: 'sk/forge', label: 'smimekit / node-forge', num: ['smimekit'], den: 'forge' },
];

function index(rows) {
  const map = new Map();
  for (const r of rows) map.set(`${r.op}|${r.size}|${r.impl}`, r);
  return (op, size, impl) => map.get(`${op}|${size}|${impl}`);
}

/** Ratio rows: one per operation × size that has at least one ratio. */
function ratios(rows) {
  const get = index(rows);
  const keys = [...new Set(rows.map((r) => `${r.op}|${r.size}`))].map((k) => k.split('|'));
  keys.sort(([a, s], [b, t]) => orderOf(a) - orderOf(b) || SIZE_ORDER.indexOf(s) - SIZE_ORDER.indexOf(t));
  const out = [];
  for (const [op, size] of keys) {
    const entry = { op, size, values: {}, via: {} };
    for (const ratio of RATIOS) {
      const den = get(op, size, ratio.den);
      const numImpl = ratio.num.find((n) => Number.isFinite(get(op, size, n)?.median));
      if (!numImpl || !Number.isFinite(den?.median)) continue;
      entry.values[ratio.key] = get(op, size, numImpl).median / den.median;
      entry.via[ratio.key] = numImpl;
    }
    if (Object.keys(entry.values).length) out.push(entry);
  }
  return out;
}

function sortedRows(rows) {
  return [...rows].sort(
    (a, b) =>
      orderOf(a.op) - orderOf(b.op) || SIZE_ORDER.indexOf(a.size) - SIZE_ORDER.indexOf(b.size) || a.order - b.order,
  );
}

/** Plain-text tables for stdout. */
export function textReport(run, labels) {
  const lines = [];
  const pad = (s, n, right) => (right ? String(s).padStart(n) : String(s).padEnd(n));
  lines.push(`smimekit bench — ${run.meta.date}, node ${run.meta.node}, ${run.meta.openssl}, ${run.meta.cpu}`);
  for (const x of run.meta.merged ?? []) lines.push(`+ ${x.rows} rows from \`${x.argv.join(' ')}\` of ${x.date}`);
  lines.push('');
  lines.push(
    [
      pad('operation', 16),
      pad('size', 7),
      pad('implementation', 22),
      pad('median ms', 10, 1),
      pad('MB/s', 8, 1),
      pad('peak MB', 8, 1),
      pad('n', 5, 1),
      ' note',
    ].join(' '),
  );
  for (const r of sortedRows(run.rows)) {
    if (r.status === 'unsupported') continue;
    lines.push(
      [
        pad(r.op, 16),
        pad(sizeLabel(r.size), 7),
        pad(labels[r.impl] ?? r.impl, 22),
        pad(r.status === 'ok' ? fmtMs(r.median) : r.status, 10, 1),
        pad(fmtRate(r.mbps), 8, 1),
        pad(fmtMb(r.peakKiB), 8, 1),
        pad(r.samples?.length ?? '', 5, 1),
        r.error ? ` ${r.error.slice(0, 100)}` : '',
      ].join(' '),
    );
  }
  lines.push('');
  lines.push('Ratios (time / time; < 1: smimekit faster)');
  lines.push([pad('operation', 16), pad('size', 7), ...RATIOS.map((x) => pad(x.label, 28, 1))].join(' '));
  for (const r of ratios(run.rows)) {
    lines.push(
      [pad(r.op, 16), pad(sizeLabel(r.size), 7), ...RATIOS.map((x) => pad(fmtRatio(r.values[x.key]), 28, 1))].join(' '),
    );
  }
  if (run.msgs.length) {
    lines.push('');
    lines.push('Messages per second, 4 KB sign + encrypt (AES-256-CBC) to 3 RSA-2048 recipients, in-process');
    for (const t of run.msgs)
      lines.push(
        `  ${pad(labels[t.impl] ?? t.impl, 18)} one core ${pad(fmtRate(t.oneCore), 7, 1)}${t.rsaLimit ? ` (${ceilingShare(t)} of the RSA operations alone: ${fmtRate(t.rsaLimit)})` : ''}   all ${t.workers} cores ${pad(fmtRate(t.allCores), 7, 1)}${t.error ? `  ${t.error}` : ''}`,
      );
  }
  if (run.targets.length) {
    lines.push('');
    lines.push('Targets (issue #11)');
    for (const t of run.targets) lines.push(`  [${t.status}] ${t.target}: ${t.figure}`);
  }
  const unsupported = unsupportedList(run.rows, labels);
  if (unsupported.length) {
    lines.push('');
    lines.push('Not measured');
    for (const u of unsupported) lines.push(`  ${u}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A messages-per-second row as a share of the RSA ceiling measured alongside it. */
function ceilingShare(t) {
  return Number.isFinite(t.oneCore) && t.rsaLimit ? `${Math.round((t.oneCore / t.rsaLimit) * 100)} %` : '—';
}

function unsupportedList(rows, labels) {
  const seen = new Map();
  for (const r of rows) {
    if (r.status !== 'unsupported') continue;
    const key = `${labels[r.impl] ?? r.impl} · ${r.op}`;
    if (!seen.has(key)) seen.set(key, r.error);
  }
  return [...seen].map(([k, why]) => `${k}: ${why}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Targets

const fig = (x, unit = '') => (Number.isFinite(x) ? `${fmtMs(x)}${unit}` : 'not measured');

/** The issue's targets, met or not, from this run's figures. */
export function targets(run) {
  const get = index(run.rows);
  const out = [];
  const status = (ok) => (ok === undefined ? 'not measured' : ok ? 'met' : 'not met');
  const ratio = (op, size, num, den) => {
    const a = get(op, size, num)?.median;
    const b = get(op, size, den)?.median;
    return Number.isFinite(a) && Number.isFinite(b) ? { r: a / b, a, b } : undefined;
  };
  for (const [op, name] of [
    ['verify', 'verify'],
    ['decrypt-cbc', 'decrypt (AES-256-CBC)'],
  ]) {
    const x = ratio(op, '25m', 'smimekit', 'openssl');
    out.push({
      target: `25 MB RSA-2048 ${name} ≤ 0.5× OpenSSL whole-process time`,
      status: status(x && x.r <= 0.5),
      figure: x ? `${fmtRatio(x.r)}× (smimekit ${fmtMs(x.a)} ms, openssl cms ${fmtMs(x.b)} ms)` : 'not measured',
    });
  }
  {
    const parts = [];
    let ok = true;
    let any = false;
    for (const size of ['25m', '150m'])
      for (const op of ['sign', 'encrypt-cbc', 'encrypt-gcm']) {
        const impl = ['smimekit-stream', 'smimekit-cli-stream', 'smimekit-cli'].find((i) =>
          Number.isFinite(get(op, size, i)?.median),
        );
        const x = impl && ratio(op, size, impl, 'openssl-stream');
        if (!x) continue;
        any = true;
        ok &&= x.r <= 1;
        parts.push(`${op} ${sizeLabel(size)} ${fmtRatio(x.r)}× (${impl})`);
      }
    out.push({
      target: 'sign and encrypt (streaming) ≤ 1.0× `openssl cms -stream`',
      status: status(any ? ok : undefined),
      figure: parts.join('; ') || 'not measured',
    });
  }
  {
    const parts = [];
    let ok = true;
    let any = false;
    const sizes = ['25m', '150m', '2g'];
    for (const size of sizes) {
      const streaming = run.rows.filter(
        (r) =>
          r.size === size &&
          r.status === 'ok' &&
          (r.impl === 'smimekit-stream' ||
            r.impl === 'smimekit-cli-stream' ||
            (r.impl === 'smimekit-cli' && size !== '25m')),
      );
      if (!streaming.length) {
        parts.push(`${sizeLabel(size)}: not measured`);
        continue;
      }
      any = true;
      const worst = streaming.reduce((a, b) => (b.peakKiB > a.peakKiB ? b : a));
      const best = streaming.reduce((a, b) => (b.peakKiB < a.peakKiB ? b : a));
      ok &&= worst.peakKiB < 64 * 1024;
      // An in-process row's process started with the bench's harness and the whole library loaded: say how much
      // the stream itself added.
      const above = (r) => (r.rssBeforeKiB ? `, ${fmtMb(r.peakKiB - r.rssBeforeKiB)} MB above its start` : '');
      parts.push(
        `${sizeLabel(size)}: ${fmtMb(best.peakKiB)} MB (${best.impl} ${best.op}${above(best)}) to ${fmtMb(worst.peakKiB)} MB (${worst.impl} ${worst.op}${above(worst)})`,
      );
    }
    const complete = sizes.every((s) => !parts.some((p) => p.startsWith(`${sizeLabel(s)}: not`)));
    out.push({
      target: 'streaming peak memory < 64 MB for 25 MB, 150 MB and 2 GB inputs',
      status: !any ? 'not measured' : !ok ? 'not met' : complete ? 'met' : 'met where measured',
      figure: parts.join('; '),
    });
  }
  {
    const t = run.msgs.find((x) => x.impl === 'smimekit');
    out.push({
      target: '4 KB sign + encrypt to 3 recipients ≥ 1,500 msg/s on one core, in-process',
      status: status(t && Number.isFinite(t.oneCore) ? t.oneCore >= 1500 : undefined),
      figure: t
        ? `${fmtRate(t.oneCore)} msg/s (all ${t.workers} cores: ${fmtRate(t.allCores)})${
            t.rsaLimit
              ? `; ${ceilingShare(t)} of what the RSA operations alone allow on one core, ${fmtRate(t.rsaLimit)} msg/s, measured alongside`
              : ''
          }`
        : 'not measured',
    });
  }
  {
    const r = get('sst-parse', '-', 'smimekit');
    const load = get('sst-load', '-', 'smimekit');
    out.push({
      target: 'SST parse of 400 certificates < 10 ms',
      status: status(r?.median !== undefined && Number.isFinite(r.median) ? r.median < 10 : undefined),
      figure:
        `parseSst ${fig(r?.median, ' ms')}` +
        (load ? `; loaded as a trust list, every certificate decoded: ${fig(load.median, ' ms')}` : ''),
    });
  }
  {
    const r = get('chain-warm', '-', 'smimekit');
    out.push({
      target: 'warm chain validation < 0.2 ms',
      status: status(r?.median !== undefined && Number.isFinite(r.median) ? r.median < 0.2 : undefined),
      figure: `${fig(r?.median, ' ms')}${get('chain-cold', '-', 'smimekit') ? ` (cold: ${fig(get('chain-cold', '-', 'smimekit').median, ' ms')})` : ''}`,
    });
  }
  for (const [peer, name, limit, text] of [
    ['forge', 'node-forge', 0.2, '≥ 5× faster than node-forge on every operation it supports'],
    ['pkijs', 'PKI.js', 1, 'faster than PKI.js on every operation it supports'],
  ]) {
    const pairs = ratios(run.rows).filter((x) => Number.isFinite(x.values[`sk/${peer}`]));
    const ok = (v) => (peer === 'forge' ? v <= limit : v < limit);
    const failing = pairs.filter((x) => !ok(x.values[`sk/${peer}`]));
    const worst = pairs.reduce((a, b) => (!a || b.values[`sk/${peer}`] > a.values[`sk/${peer}`] ? b : a), undefined);
    out.push({
      target: text,
      status: status(pairs.length ? failing.length === 0 : undefined),
      figure: pairs.length
        ? `${pairs.length} comparisons; worst ${worst.op} ${sizeLabel(worst.size)} at ${fmtRatio(worst.values[`sk/${peer}`])}× ${name}'s time` +
          (failing.length
            ? `; short on ${failing.map((x) => `${x.op} ${sizeLabel(x.size)} (${fmtRatio(x.values[`sk/${peer}`])}×)`).join(', ')}`
            : '')
        : 'not measured',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

function markdownResults(run, labels) {
  const L = [];
  const m = run.meta;
  L.push(
    `Run of ${m.date} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}; smimekit ${m.smimekit}; Node ${m.node}, ${m.openssl}; ` +
      `options: \`${m.argv.length ? m.argv.join(' ') : '(none)'}\`; ${m.durationS} s. Process start alone: ` +
      `\`node -e ""\` ${fmtMs(m.baseline.node?.ms)} ms / ${fmtMb(m.baseline.node?.peakKiB)} MB, ` +
      `\`openssl version\` ${fmtMs(m.baseline.openssl?.ms)} ms / ${fmtMb(m.baseline.openssl?.peakKiB)} MB.` +
      (m.merged ?? [])
        .map(
          (x) =>
            ` ${x.rows} rows${x.msgs ? ' and the messages per second' : ''} were measured later, by \`${x.argv.join(' ')}\` (${x.date}, ${x.durationS} s).`,
        )
        .join(''),
  );
  L.push('');
  L.push('#### Ratios (median time ÷ median time; below 1: smimekit is faster)');
  L.push('');
  L.push(`| operation | size | ${RATIOS.map((r) => r.label).join(' | ')} |`);
  L.push(`| --- | --- | ${RATIOS.map(() => '---:').join(' | ')} |`);
  for (const r of ratios(run.rows))
    L.push(`| ${r.op} | ${sizeLabel(r.size)} | ${RATIOS.map((x) => fmtRatio(r.values[x.key])).join(' | ')} |`);
  L.push('');
  L.push(
    '"streaming / openssl -stream" uses the first of smimekit stream (in-process), CLI --stream, CLI that has a figure.',
  );
  L.push('');
  const impls = [...new Set(sortedRows(run.rows).map((r) => r.impl))].sort(
    (a, b) => run.rows.find((r) => r.impl === a).order - run.rows.find((r) => r.impl === b).order,
  );
  const get = index(run.rows);
  const keys = [...new Set(sortedRows(run.rows).map((r) => `${r.op}|${r.size}`))].map((k) => k.split('|'));
  const failures = [];
  const wide = (title, cell, filter = () => true) => {
    L.push(`#### ${title}`);
    L.push('');
    L.push(`| operation | size | ${impls.map((i) => labels[i] ?? i).join(' | ')} |`);
    L.push(`| --- | --- | ${impls.map(() => '---:').join(' | ')} |`);
    for (const [op, size] of keys.filter(([op, size]) => filter(op, size))) {
      const cells = impls.map((i) => {
        const r = get(op, size, i);
        if (!r) return '';
        if (r.status === 'unsupported') return 'n/a';
        if (r.status !== 'ok') {
          if (!failures.includes(r)) failures.push(r);
          return `${r.status} (${failures.indexOf(r) + 1})`;
        }
        return cell(r);
      });
      L.push(`| ${op} | ${sizeLabel(size)} | ${cells.join(' | ')} |`);
    }
    L.push('');
  };
  wide('Median time (ms)', (r) => fmtMs(r.median));
  wide(
    'Throughput (MB/s of message)',
    (r) => fmtRate(r.mbps),
    (_op, size) => size !== '-',
  );
  wide('Peak memory (RSS high-water mark, MB)', (r) => fmtMb(r.peakKiB));
  L.push('n/a: not supported (see "Not measured" for why). `chain-cold` in the openssl column is `openssl verify`.');
  if (failures.length) {
    L.push('');
    failures.forEach((r, i) =>
      L.push(`${i + 1}. ${labels[r.impl] ?? r.impl}, ${r.op} ${sizeLabel(r.size)}: ${String(r.error).slice(0, 300)}`),
    );
  }
  if (run.msgs.length) {
    L.push('');
    L.push('#### Messages per second (4 KB sign + encrypt, AES-256-CBC, 3 RSA-2048 recipients, in-process)');
    L.push('');
    L.push('| implementation | one core | RSA operations alone, alongside | share of it | all cores |');
    L.push('| --- | ---: | ---: | ---: | ---: |');
    for (const t of run.msgs)
      L.push(
        `| ${labels[t.impl] ?? t.impl} | ${fmtRate(t.oneCore)} | ${t.rsaLimit ? fmtRate(t.rsaLimit) : '—'} | ${t.rsaLimit ? ceilingShare(t) : '—'} | ${fmtRate(t.allCores)} (${t.workers} workers) |`,
      );
    if (run.msgs.some((t) => t.rsaLimit)) {
      L.push('');
      L.push(
        "The RSA operations alone (one RSA-2048 signature and three RSA-2048 encryptions per message, through Node's OpenSSL) are the ceiling of every row. Each row's one-core figure and its ceiling come from the same worker thread, their one-second windows alternating, so that both see the same moments of the host.",
      );
    }
  }
  const unsupported = unsupportedList(run.rows, labels);
  if (unsupported.length) {
    L.push('');
    L.push('#### Not measured');
    L.push('');
    for (const u of unsupported) L.push(`- ${u}`);
  }
  return L.join('\n');
}

function markdownTargets(run) {
  const L = ['| target | result | figure |', '| --- | --- | --- |'];
  for (const t of run.targets) L.push(`| ${t.target} | **${t.status}** | ${t.figure.replace(/\|/g, '\\|')} |`);
  L.push('');
  L.push(`From the run of ${run.meta.date} (\`${run.meta.argv.join(' ') || 'npm run bench'}\`).`);
  return L.join('\n');
}

/** Replaces the text between `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->`. */
function replaceSection(doc, name, body) {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/performance.md lacks the ${begin} … ${end} markers`);
  return `${doc.slice(0, i + begin.length)}\n${body}\n${doc.slice(j)}`;
}

/**
 * Formats with the project's Prettier (a dev dependency), so that `npm run lint` (prettier --check) passes on what
 * the bench writes; unformatted when Prettier is not installed.
 */
export async function prettierFormat(text, file) {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...config, filepath: file });
  } catch {
    return text;
  }
}

export async function writeDocs(file, run, labels) {
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  let doc = readFileSync(file, 'utf8');
  doc = replaceSection(doc, 'results', markdownResults(run, labels));
  doc = replaceSection(doc, 'targets', markdownTargets(run));
  writeFileSync(file, await prettierFormat(doc, file));
}

// ---------------------------------------------------------------------------------------------------------------
// SVG

const PEERS = [
  { key: 'sk/openssl', label: 'vs openssl cms (process)', color: '#4e79a7' },
  { key: 'sk/pkijs', label: 'vs PKI.js', color: '#f28e2b' },
  { key: 'sk/forge', label: 'vs node-forge', color: '#59a14f' },
];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart of smimekit's time ratios, log scale, bars growing from 1. */
export function svgChart(run) {
  const groups = ratios(run.rows)
    .map((r) => ({
      op: r.op,
      label: `${r.op} ${r.size === '-' ? '' : sizeLabel(r.size)}`.trim(),
      bars: PEERS.filter((p) => Number.isFinite(r.values[p.key])).map((p) => ({ ...p, v: r.values[p.key] })),
    }))
    .filter((g) => g.bars.length);
  const all = groups.flatMap((g) => g.bars.map((b) => b.v));
  const lo = Math.min(0.01, 10 ** Math.floor(Math.log10(Math.min(...all, 1) / 1.2)));
  const hi = Math.max(10, 10 ** Math.ceil(Math.log10(Math.max(...all, 1) * 1.2)));
  const left = 190;
  const width = 560;
  const right = 70;
  const top = 70;
  const barH = 9;
  const gap = 2;
  const groupGap = 9;
  const x = (v) =>
    left + ((Math.log10(Math.min(Math.max(v, lo), hi)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * width;
  let y = top;
  const body = [];
  let lastOp;
  for (const g of groups) {
    if (lastOp !== undefined && g.op !== lastOp)
      body.push(
        `<line x1="10" y1="${y - groupGap / 2}" x2="${left + width + right - 10}" y2="${y - groupGap / 2}" class="s"/>`,
      );
    lastOp = g.op;
    const h = g.bars.length * (barH + gap) - gap;
    body.push(
      `<text x="${left - 8}" y="${(y + h / 2 + 4).toFixed(1)}" text-anchor="end" class="l">${esc(g.label)}</text>`,
    );
    for (const b of g.bars) {
      const x0 = x(1);
      const x1 = x(b.v);
      const bx = Math.min(x0, x1);
      const bw = Math.max(Math.abs(x1 - x0), 1);
      body.push(
        `<rect x="${bx.toFixed(1)}" y="${y}" width="${bw.toFixed(1)}" height="${barH}" fill="${b.color}"><title>${esc(`${g.label} ${b.label}: ${fmtRatio(b.v)}×`)}</title></rect>`,
      );
      const tx = x1 >= x0 ? x1 + 3 : x1 - 3;
      body.push(
        `<text x="${tx.toFixed(1)}" y="${y + barH - 1}" text-anchor="${x1 >= x0 ? 'start' : 'end'}" class="v">${fmtRatio(b.v)}</text>`,
      );
      y += barH + gap;
    }
    y += groupGap;
  }
  const height = y + 30;
  const ticks = [];
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    const tx = x(v).toFixed(1);
    ticks.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${y}" class="g"/>`);
    ticks.push(`<text x="${tx}" y="${y + 14}" text-anchor="middle" class="t">${v >= 1 ? v : v.toPrecision(1)}×</text>`);
  }
  const one = x(1).toFixed(1);
  let lx = left;
  const legend = PEERS.map((p) => {
    const item = `<rect x="${lx}" y="34" width="10" height="10" fill="${p.color}"/><text x="${lx + 14}" y="43" class="l">smimekit ${esc(p.label)}</text>`;
    lx += 14 + (9 + p.label.length) * 6.2 + 18;
    return item;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + right}" height="${height}" viewBox="0 0 ${left + width + right} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>.l{font-size:11px;fill:#222}.v{font-size:9px;fill:#444}.t{font-size:10px;fill:#555}.g{stroke:#ddd;stroke-width:1}.s{stroke:#eee;stroke-width:1}.one{stroke:#c00;stroke-width:1.5}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="18" class="l" font-weight="bold">smimekit time ÷ other implementation's time (log scale; left of 1: smimekit faster)</text>
${legend}
<text x="${one}" y="${top - 10}" text-anchor="end" class="t" dx="-4">← smimekit faster</text>
<text x="${one}" y="${top - 10}" text-anchor="start" class="t" dx="4">smimekit slower →</text>
${ticks.join('\n')}
<line x1="${one}" y1="${top - 6}" x2="${one}" y2="${y}" class="one"/>
${body.join('\n')}
<text x="10" y="${height - 6}" class="t">${esc(`npm run bench, ${run.meta.date.slice(0, 16).replace('T', ' ')} UTC · Node ${run.meta.node} · ${run.meta.openssl.split(' (')[0]} · ${run.meta.cpu}, ${run.meta.cores} cores · data: bench/results.json`)}</text>
</svg>
`;
}
