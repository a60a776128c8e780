/** The operations the bench measures, in table order. */
export const OPS = [
  { id: 'sign', sized: true, title: 'sign (detached multipart/signed, RSA-2048, SHA-256)' },
  { id: 'verify', sized: true, title: 'verify (detached) + chain validation' },
  { id: 'encrypt-cbc', sized: true, title: 'encrypt, 3 RSA-2048 recipients, AES-256-CBC' },
  { id: 'encrypt-gcm', sized: true, title: 'encrypt, 3 RSA-2048 recipients, AES-256-GCM' },
  { id: 'decrypt-cbc', sized: true, title: 'decrypt AES-256-CBC (RSA-2048 key transport)' },
  { id: 'decrypt-gcm', sized: true, title: 'decrypt AES-256-GCM (RSA-2048 key transport)' },
  { id: 'sign+encrypt', sized: true, title: 'sign + encrypt (AES-256-CBC, 3 recipients)' },
  { id: 'decrypt+verify', sized: true, title: 'decrypt + verify + chain validation (AES-256-CBC)' },
  { id: 'sst-parse', sized: false, title: 'parse an SST of 400 certificates (parseSst: entries and properties)' },
  {
    id: 'sst-load',
    sized: false,
    title: 'load an SST of 400 certificates as a trust list (every certificate decoded)',
  },
  { id: 'chain-cold', sized: false, title: 'chain validation, 400-anchor trust list, cold' },
  { id: 'chain-warm', sized: false, title: 'chain validation, 400-anchor trust list, warm' },
];

/** `--ops` accepts ids and these shorthands. `msgs` is the messages-per-second measurement. */
export const OP_ALIASES = {
  encrypt: ['encrypt-cbc', 'encrypt-gcm'],
  decrypt: ['decrypt-cbc', 'decrypt-gcm'],
  chain: ['chain-cold', 'chain-warm'],
  sst: ['sst-parse', 'sst-load'],
  throughput: ['msgs'],
};
export const EXTRA_OPS = ['msgs'];

/** Which openssl-made input an operation reads (bench/lib/material.mjs), or undefined for the plain message. */
export function inputKind(op) {
  return {
    verify: 'signed',
    'decrypt-cbc': 'cbc',
    'decrypt-gcm': 'gcm',
    'decrypt+verify': 'signed-cbc',
  }[op];
}

export const isSized = (op) => OPS.find((o) => o.id === op)?.sized ?? false;
