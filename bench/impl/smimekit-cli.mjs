/**
 * The `smimekit` command line (package.json "bin": dist/cli/main.js) as whole processes, node start included —
 * what a script pays, next to `openssl cms`. By default the CLI reads inputs up to 64 MiB into memory and streams
 * larger ones; the `--stream` column forces streaming at every size (present when the build's commands take
 * `--stream`).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DECRYPTOR, RECIPIENTS, SIGNER } from '../lib/material.mjs';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Which commands take `--stream` in this build (asked once, from `COMMAND --help`). */
const streamFlag = new Map();
function takesStream(command) {
  if (!streamFlag.has(command)) {
    const r = spawnSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' });
    streamFlag.set(command, r.status === 0 && /--stream\b/.test(r.stdout));
  }
  return streamFlag.get(command);
}

const COMMAND_OF = {
  sign: ['sign'],
  verify: ['verify'],
  'encrypt-cbc': ['encrypt'],
  'encrypt-gcm': ['encrypt'],
  'decrypt-cbc': ['decrypt'],
  'decrypt-gcm': ['decrypt'],
  'sign+encrypt': ['sign', 'encrypt'],
  'decrypt+verify': ['read'],
};

function commands(m, op, size, stream, out) {
  const node = [process.execPath, CLI];
  const s = stream ? ['--stream', '--quiet'] : [];
  const signer = m.user(SIGNER);
  const reader = m.user(DECRYPTOR);
  const sign = (input, output) => [
    ...node,
    'sign',
    '--cert',
    signer.chain,
    '--key',
    signer.key,
    ...s,
    ...(input ? ['--in', input] : []),
    ...(output ? ['--out', output] : []),
  ];
  // Three recipients; the sender (always encrypted to) is one of them, so three RecipientInfos as for openssl.
  const encrypt = (cipher, input, output) => [
    ...node,
    'encrypt',
    ...RECIPIENTS.flatMap((u) => ['--to', m.user(u).cert]),
    '--from',
    m.user(RECIPIENTS[0]).cert,
    '--no-validate',
    '--cipher',
    cipher,
    ...s,
    ...(input ? ['--in', input] : []),
    '--out',
    output,
  ];
  const decrypt = (input, output) => [
    ...node,
    'decrypt',
    '--cert',
    reader.cert,
    '--key',
    reader.key,
    ...s,
    '--in',
    input,
    '--out',
    output,
  ];
  switch (op) {
    case 'sign':
      return { argv: sign(m.message(size), out) };
    case 'verify':
      return { argv: [...node, 'verify', '--trust', m.root.cert, ...s, '--in', m.input('signed', size), '--out', out] };
    case 'encrypt-cbc':
      return { argv: encrypt('aes-256-cbc', m.message(size), out) };
    case 'encrypt-gcm':
      return { argv: encrypt('aes-256-gcm', m.message(size), out) };
    case 'decrypt-cbc':
      return { argv: decrypt(m.input('cbc', size), out) };
    case 'decrypt-gcm':
      return { argv: decrypt(m.input('gcm', size), out) };
    case 'sign+encrypt':
      return {
        shell: `${sign(m.message(size)).map(q).join(' ')} | ${encrypt('aes-256-cbc', undefined, out).map(q).join(' ')}`,
      };
    case 'decrypt+verify':
      return {
        argv: [
          ...node,
          'read',
          '--trust',
          m.root.cert,
          '--cert',
          reader.cert,
          '--key',
          reader.key,
          ...s,
          '--in',
          m.input('signed-cbc', size),
          '--out',
          out,
        ],
      };
    case 'chain-cold':
      return {
        argv: [
          ...node,
          'validate',
          '--trust',
          m.anchorsPem,
          '--cert',
          signer.cert,
          '--untrusted',
          m.inter.cert,
          '--purpose',
          'sign',
          '--email',
          signer.email,
        ],
      };
    default:
      throw new Error(`smimekit CLI: no operation ${op}`);
  }
}

export const smimekitCli = {
  name: 'smimekit-cli',
  label: 'smimekit CLI',
  kind: 'process',
  supports(op) {
    if (op.startsWith('sst-')) return 'measured in-process (`smimekit sst list` also formats every entry)';
    if (op === 'chain-warm') return 'every CLI run is a new process: cold only';
    return true;
  },
  command: (op, size, m) => commands(m, op, size, false, m.out(`cli-${op}-${size}`)),
};

export const smimekitCliStream = {
  name: 'smimekit-cli-stream',
  label: 'smimekit CLI --stream',
  kind: 'process',
  streaming: true,
  available: () => takesStream('sign') || 'this build of the CLI has no --stream',
  supports(op) {
    const cmds = COMMAND_OF[op];
    if (!cmds) return 'not a message operation';
    const missing = cmds.filter((c) => !takesStream(c));
    return missing.length === 0 || `smimekit ${missing.join(', ')} take no --stream in this build`;
  },
  command: (op, size, m) => commands(m, op, size, true, m.out(`cli-stream-${op}-${size}`)),
};
