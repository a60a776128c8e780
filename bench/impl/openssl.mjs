/**
 * `openssl cms` (and `openssl verify`) as whole processes, process start included — what a script or a mail
 * server calling OpenSSL pays. The `-stream` variant writes BER with indefinite lengths as it reads; OpenSSL has
 * no streaming for reading (verify and decrypt load the whole message), so that column has writing operations only.
 */
import { DECRYPTOR, RECIPIENTS, SIGNER } from '../lib/material.mjs';

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function commands(m, op, size, stream, out) {
  const signer = m.user(SIGNER);
  const reader = m.user(DECRYPTOR);
  const s = stream ? ['-stream'] : [];
  const sign = (input, output) => [
    'openssl',
    'cms',
    '-sign',
    ...s,
    '-in',
    input,
    '-signer',
    signer.cert,
    '-inkey',
    signer.key,
    '-certfile',
    m.inter.cert,
    '-md',
    'sha256',
    ...(output ? ['-out', output] : []),
  ];
  const encrypt = (cipher, input, output) => [
    'openssl',
    'cms',
    '-encrypt',
    ...s,
    `-${cipher}`,
    ...(input ? ['-in', input] : []),
    '-out',
    output,
    ...RECIPIENTS.map((u) => m.user(u).cert),
  ];
  const decrypt = (input, output) => [
    'openssl',
    'cms',
    '-decrypt',
    '-in',
    input,
    '-recip',
    reader.cert,
    '-inkey',
    reader.key,
    ...(output ? ['-out', output] : []),
  ];
  const verify = (input, output) => [
    'openssl',
    'cms',
    '-verify',
    ...(input ? ['-in', input] : []),
    '-CAfile',
    m.root.cert,
    '-out',
    output,
  ];
  switch (op) {
    case 'sign':
      return { argv: sign(m.message(size), out) };
    case 'verify':
      return { argv: verify(m.input('signed', size), out) };
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
        shell: `${decrypt(m.input('signed-cbc', size)).map(q).join(' ')} | ${verify(undefined, out).map(q).join(' ')}`,
      };
    case 'chain-cold':
      return {
        argv: [
          'openssl',
          'verify',
          '-CAfile',
          m.anchorsPem,
          '-untrusted',
          m.inter.cert,
          '-purpose',
          'smimesign',
          signer.cert,
        ],
      };
    default:
      throw new Error(`openssl: no operation ${op}`);
  }
}

function supports(op) {
  if (op.startsWith('sst-')) return 'OpenSSL cannot read SST (Microsoft serialized certificate store) files';
  if (op === 'chain-warm') return 'every `openssl verify` is a new process: cold only';
  return true;
}

export const openssl = {
  name: 'openssl',
  label: 'openssl cms',
  kind: 'process',
  supports,
  command: (op, size, m) => commands(m, op, size, false, m.out(`openssl-${op}-${size}`)),
};

export const opensslStream = {
  name: 'openssl-stream',
  label: 'openssl cms -stream',
  kind: 'process',
  streaming: true,
  supports(op) {
    if (['sign', 'encrypt-cbc', 'encrypt-gcm', 'sign+encrypt'].includes(op)) return true;
    if (['verify', 'decrypt-cbc', 'decrypt-gcm', 'decrypt+verify'].includes(op))
      return 'OpenSSL streams only when writing (-stream); reading loads the whole message: see the openssl cms column';
    return supports(op) === true ? 'same as openssl cms' : supports(op);
  },
  command: (op, size, m) => commands(m, op, size, true, m.out(`openssl-stream-${op}-${size}`)),
};
