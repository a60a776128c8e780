/**
 * smimekit in-process through its streaming API (Web Streams), when the build has one: the message is read from
 * its file as a stream (see fileStream) and the output is drained (counted, not kept), so memory should not grow with
 * the size.
 * The functions are found at run time under either naming (`signStream` or `signMessageStream`, ...); without
 * them the column is left out. A result may be the output stream itself or an object with `stream` and a
 * `report` / `result` promise that settles at the end (then it must be ok).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { DECRYPTOR, PASSWORD, RECIPIENTS, SIGNER } from '../lib/material.mjs';
import { encryptOptions } from './smimekit.mjs';

const NAMES = {
  sign: ['signStream', 'signMessageStream'],
  verify: ['verifyStream', 'verifyMessageStream'],
  encrypt: ['encryptStream', 'encryptMessageStream'],
  decrypt: ['decryptStream', 'decryptMessageStream'],
  read: ['readStream', 'readMessageStream'],
};

let detected;
/** The streaming functions the build exports: `{ sign, verify, encrypt, decrypt, read }` (missing ones undefined). */
async function api() {
  if (!detected) {
    const sk = await import('../../dist/index.js');
    detected = { sk };
    for (const [k, names] of Object.entries(NAMES)) {
      const name = names.find((n) => typeof sk[n] === 'function');
      if (name) detected[k] = sk[name];
    }
  }
  return detected;
}

const NEEDS = {
  sign: ['sign'],
  verify: ['verify'],
  'encrypt-cbc': ['encrypt'],
  'encrypt-gcm': ['encrypt'],
  'decrypt-cbc': ['decrypt'],
  'decrypt-gcm': ['decrypt'],
  'sign+encrypt': ['sign', 'encrypt'],
  'decrypt+verify': ['read'],
};

/**
 * A file as a stream the way the docs tell a Node program to read one: `openFileStream` from `smimekit/node` (pull
 * reads, a minor collection every 512 KiB); builds without it fall back to `Readable.toWeb`.
 */
async function fileStream(file) {
  const node = await nodeHelpers();
  if (node) return (await node.openFileStream(file, { collectGarbage: true })).stream;
  return Readable.toWeb(createReadStream(file, { highWaterMark: 256 * 1024 }));
}

/**
 * The bench's messages are 7-bit text: they are signed with the body kept as it is (`bodyEncoding: 'keep'`), as a
 * gateway signing MIME from mail clients would, and as `openssl cms -sign -stream` writes it (builds without the
 * option ignore it and re-encode).
 */
const signOptions = (signer) => ({ signer, bodyEncoding: 'keep' });

let nodeModule;
async function nodeHelpers() {
  nodeModule ??= await import('../../dist/node.js').catch(() => null);
  return nodeModule;
}
const streamOf = (r) => (typeof r?.getReader === 'function' ? r : r?.stream);

/** Reads a stream to its end, counting bytes. */
async function drain(stream) {
  const reader = stream.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.length;
  }
}

/** Drains the output and waits for the verdict promise(s) the result carries. */
async function finish(result, what) {
  const stream = streamOf(result);
  if (!stream) throw new Error(`${what}: the streaming function returned no stream`);
  const n = await drain(stream);
  for (const key of ['report', 'result']) {
    if (result && typeof result[key]?.then === 'function') {
      const v = await result[key];
      if (v && v.ok === false)
        throw new Error(`${what} did not succeed: ${JSON.stringify(v.problems ?? v).slice(0, 300)}`);
    }
  }
  return n;
}

export default {
  name: 'smimekit-stream',
  label: 'smimekit stream',
  kind: 'in-process',
  streaming: true,
  async available() {
    const a = await api();
    return Object.keys(NAMES).some((k) => a[k]) || 'dist/index.js exports no streaming functions (signStream, …)';
  },
  supports(op) {
    const needs = NEEDS[op];
    if (!needs) return 'not a message operation';
    // supports() is synchronous: before detection ran (parent process), assume the functions exist; the child fails
    // clearly otherwise. available() leaves the column out when none exists.
    if (!detected) return true;
    const missing = needs.filter((k) => !detected[k]);
    return missing.length === 0 || `no streaming ${missing.join('/')} function in dist/index.js`;
  },
  async prepare(_op, _size, m) {
    const a = await api();
    const signer = await a.sk.loadIdentity(readFileSync(m.user(SIGNER).p12), PASSWORD);
    const reader = await a.sk.loadIdentity(readFileSync(m.user(DECRYPTOR).p12), PASSWORD);
    const recipients = RECIPIENTS.map((u) => readFileSync(m.user(u).cert));
    const trust = a.sk.TrustList.fromBytes(readFileSync(m.root.cert));
    return { a, signer, reader, trust, p: { recipients } };
  },
  async run(op, size, m, s) {
    const { a, signer, reader, trust } = s;
    switch (op) {
      case 'sign':
        return finish(await a.sign(await fileStream(m.message(size)), signOptions(signer)), 'sign');
      case 'verify':
        return finish(await a.verify(await fileStream(m.input('signed', size)), { trust }), 'verify');
      case 'encrypt-cbc':
      case 'encrypt-gcm': {
        const cipher = op === 'encrypt-cbc' ? 'aes-256-cbc' : 'aes-256-gcm';
        return finish(await a.encrypt(await fileStream(m.message(size)), encryptOptions(s.p, cipher)), 'encrypt');
      }
      case 'decrypt-cbc':
      case 'decrypt-gcm':
        return finish(await a.decrypt(await fileStream(m.input(op.slice(8), size)), { identity: reader }), 'decrypt');
      case 'sign+encrypt': {
        const signed = streamOf(await a.sign(await fileStream(m.message(size)), signOptions(signer)));
        return finish(await a.encrypt(signed, encryptOptions(s.p, 'aes-256-cbc')), 'sign+encrypt');
      }
      case 'decrypt+verify':
        return finish(
          await a.read(await fileStream(m.input('signed-cbc', size)), { identities: [reader], trust }),
          'read',
        );
      default:
        throw new Error(`smimekit stream: no operation ${op}`);
    }
  },
};
