/**
 * The implementations, in table order. Each is a small object:
 *
 * - `name` (id, used in results.json and `--impl`), `label` (table heading), `kind`: `in-process` or `process`;
 * - `supports(op)`: `true`, or a string saying why not (shown in the table);
 * - in-process: `prepare(op, size, material)` (optional, not timed, returns a state) and
 *   `run(op, size, material, state)` (timed; throws unless the operation succeeded);
 * - process: `command(op, size, material)` → `{ argv }` or `{ shell }` (timed as a whole process);
 * - `available()` (optional): false, or a string, leaves the column out of this run (e.g. no streaming API yet);
 * - `streaming`: true for implementations whose memory does not grow with the message (`--huge` runs only these).
 *
 * Modules are imported on demand: a measurement child loads only the implementation it measures, so its peak
 * memory is not that of PKI.js and node-forge loaded next to smimekit. Adding one (say, another library) is one
 * module and one line below.
 */
const MODULES = [
  ['smimekit', () => import('./smimekit.mjs'), 'default'],
  ['smimekit-stream', () => import('./smimekit-stream.mjs'), 'default'],
  ['smimekit-cli', () => import('./smimekit-cli.mjs'), 'smimekitCli'],
  ['smimekit-cli-stream', () => import('./smimekit-cli.mjs'), 'smimekitCliStream'],
  ['openssl', () => import('./openssl.mjs'), 'openssl'],
  ['openssl-stream', () => import('./openssl.mjs'), 'opensslStream'],
  ['pkijs', () => import('./pkijs.mjs'), 'default'],
  ['forge', () => import('./forge.mjs'), 'default'],
];

/** The implementation names, in table order, without loading any. */
export const IMPLEMENTATION_NAMES = MODULES.map(([name]) => name);

/** One implementation, loading only its module. */
export async function implementation(name) {
  const entry = MODULES.find(([n]) => n === name);
  if (!entry) throw new Error(`no implementation ${name}`);
  const impl = (await entry[1]())[entry[2]];
  if (impl?.name !== name) throw new Error(`bench/impl: ${name} is exported under another name (${impl?.name})`);
  return impl;
}

/** Every implementation, in table order (the main process needs their labels and `supports`). */
export const implementations = () => Promise.all(IMPLEMENTATION_NAMES.map(implementation));
