/**
 * The child side of an in-process measurement (`node --expose-gc bench/run.mjs --child SPEC`): prepares the
 * inputs, warms up, collects garbage, resets the RSS high-water mark (Linux: /proc/self/clear_refs), runs the
 * samples and prints one JSON line: `{ samples, peakKiB, rssBeforeKiB, peakReset }`.
 */
import { writeFileSync } from 'node:fs';
import { material } from './material.mjs';
import { sampleLoop } from './measure.mjs';
import { implementation } from '../impl/index.mjs';

/** Resets the peak RSS to the current RSS; false where the kernel does not allow it (the peak then covers setup). */
function resetPeak() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export async function runChild(spec) {
  const impl = await implementation(spec.impl);
  const m = material(spec.dir);
  const state = await impl.prepare?.(spec.op, spec.size, m);
  globalThis.gc?.();
  const peakReset = resetPeak();
  const rssBeforeKiB = Math.round(process.memoryUsage().rss / 1024);
  const samples = await sampleLoop(spec.plan, async () => {
    const start = performance.now();
    await impl.run(spec.op, spec.size, m, state);
    return performance.now() - start;
  });
  const peakKiB = process.resourceUsage().maxRSS;
  process.stdout.write(`${JSON.stringify({ samples, peakKiB, rssBeforeKiB, peakReset })}\n`);
}
