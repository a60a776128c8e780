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
 * Adding one (say, another library) is one module and one line below.
 */
import smimekit from './smimekit.mjs';
import smimekitStream from './smimekit-stream.mjs';
import { smimekitCli, smimekitCliStream } from './smimekit-cli.mjs';
import { openssl, opensslStream } from './openssl.mjs';
import pkijs from './pkijs.mjs';
import forge from './forge.mjs';

export const IMPLEMENTATIONS = [
  smimekit,
  smimekitStream,
  smimekitCli,
  smimekitCliStream,
  openssl,
  opensslStream,
  pkijs,
  forge,
];

export async function implementation(name) {
  const impl = IMPLEMENTATIONS.find((i) => i.name === name);
  if (!impl) throw new Error(`no implementation ${name}`);
  return impl;
}
