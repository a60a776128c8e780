#!/usr/bin/env node
/**
 * `npm run bench`: smimekit next to OpenSSL, PKI.js and node-forge on the same inputs, in one run — every
 * operation × message size × implementation, with median time, MB/s, peak memory and ratios; the targets
 * computed from the figures. Writes bench/results.json, docs/performance.svg and the generated sections of
 * docs/performance.md (unless --no-write). Not a test: numbers vary by machine; nothing asserts.
 *
 *   npm run bench                                   the full run (15–25 minutes on 2 cores)
 *   npm run bench -- --quick                        fewer repetitions, no 150 MB
 *   npm run bench -- --sizes 4k,1m --ops sign,verify
 *   npm run bench -- --impl smimekit,openssl        some implementations only
 *   npm run bench -- --huge                         2 GB through the streaming implementations only
 *   npm run bench -- --no-write                     print, touch no file
 *   npm run bench -- timing                         bench/timing.mjs instead (PKCS#1 v1.5 timing, Welch's t)
 *
 * Progress goes to stderr, the tables to stdout. Everything it needs is made with `openssl` in a temporary
 * folder, removed at the end (--keep keeps it). docs/performance.md explains the method.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

// Internal entry points first: a measurement child, a throughput child or worker (bench/lib/*.mjs).
if (!isMainThread && workerData?.benchThroughputWorker) {
  const { throughputWorker } = await import('./lib/throughput.mjs');
  await throughputWorker(parentPort, workerData.benchThroughputWorker);
} else if (process.argv[2] === '--child') {
  const { runChild } = await import('./lib/child.mjs');
  await runChild(JSON.parse(process.argv[3]));
} else if (process.argv[2] === '--throughput') {
  const { throughputChild } = await import('./lib/throughput.mjs');
  await throughputChild(JSON.parse(process.argv[3]));
} else if (process.argv.slice(2).includes('timing')) {
  // `npm run bench -- timing`: the PKCS#1 v1.5 implicit-rejection timing benchmark instead (bench/timing.mjs).
  await import('./timing.mjs');
} else {
  const { main } = await import('./lib/main.mjs');
  await main(process.argv.slice(2));
}
