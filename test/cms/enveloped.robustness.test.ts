/**
 * Mutation robustness of EnvelopedData / AuthEnvelopedData / CompressedData
 * reading: random bit flips, byte overwrites, truncations and insertions in
 * several encrypted messages (written here, and third-party ones from
 * ../shared/vectors) only ever end in a SmimeError — never a TypeError,
 * RangeError or DOMException — each run is time-bounded, and a mutated
 * AES-GCM message never "successfully" decrypts to anything but the original
 * plaintext (a mutation of an unauthenticated field such as the version or a
 * recipient identifier may still open it).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SmimeError } from '../../src/errors.js';
import { loadPrivateKey, type LoadedPrivateKey } from '../../src/crypto/private-key.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { createCompressed, decompressCompressed } from '../../src/cms/compressed.js';
import { createEnvelope } from '../../src/cms/enveloped-create.js';
import { decryptEnvelope, type DecryptEnvelopeOptions } from '../../src/cms/enveloped-decrypt.js';
import { decryptMessage } from '../../src/smime/decrypt.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { decodePem } from '../../src/util/pem.js';
import { fromHex } from '../../src/util/bytes.js';
import { describeVectors, projectVectorPath, readShared, readSharedJson } from '../helpers/vectors.js';
import { fraction } from '../helpers/arbitraries.js';

const chain = (name: string): string => projectVectorPath('chains', name);
const cert = (name: string): Uint8Array =>
  decodePem(readFileSync(chain(name))).find((b) => b.label === 'CERTIFICATE')!.der;
const plaintext = new TextEncoder().encode('Content-Type: text/plain\r\n\r\nrobust\r\n');
const RUNS = 120;
/** SMIMEKIT_FUZZ_SCALE=20 for a longer local search. */
const SCALE = Number(process.env.SMIMEKIT_FUZZ_SCALE ?? 1);

/** A mutation: flip bits / overwrite / truncate / insert at positions relative to the length. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('xor' as const),
    at: fraction(),
    value: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fraction(),
    value: fc.constantFrom(0x00, 0x80, 0xff, 0x30, 0x04, 0xa0, 0xa1, 0x81, 0x84),
  }),
  fc.record({
    kind: fc.constant('truncate' as const),
    at: fraction(),
    value: fc.constant(0),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fraction(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
);
type Mutation = { kind: 'xor' | 'set' | 'truncate' | 'insert'; at: number; value: number };

function mutate(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of ms) {
    const i = Math.floor(m.at * out.length);
    if (m.kind === 'xor') out[i]! ^= m.value;
    else if (m.kind === 'set') out[i] = m.value;
    else if (m.kind === 'truncate') out = out.slice(0, i);
    else {
      const n = new Uint8Array(out.length + 1);
      n.set(out.subarray(0, i));
      n[i] = m.value;
      n.set(out.subarray(i), i + 1);
      out = n;
    }
  }
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Runs `open` on mutants of `original`: every failure must be a SmimeError,
 * every run must finish quickly, and with `authenticated` a success must give
 * back exactly `expected` (`open` returns undefined when nothing was decrypted).
 */
async function fuzz(
  original: Uint8Array,
  open: (bytes: Uint8Array) => Promise<Uint8Array | undefined>,
  expected: Uint8Array,
  authenticated: boolean,
  runs = RUNS,
): Promise<void> {
  // The unmutated message opens (the harness itself is right).
  expect(sameBytes((await open(original)) ?? new Uint8Array(0), expected)).toBe(true);
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
      const bytes = mutate(original, ms);
      const started = Date.now();
      let content: Uint8Array | undefined;
      try {
        content = await open(bytes);
      } catch (e) {
        if (!(e instanceof SmimeError))
          throw new Error(`non-SmimeError escaped: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, {
            cause: e,
          });
      }
      expect(Date.now() - started).toBeLessThan(5000);
      if (authenticated && content && !sameBytes(content, expected))
        throw new Error(
          `mutant opened to different content: ${JSON.stringify(new TextDecoder().decode(content.subarray(0, 200)))}`,
        );
    }),
    { numRuns: Math.round(runs * SCALE) },
  );
}

let rsa: LoadedPrivateKey;
let p256: LoadedPrivateKey;
beforeAll(async () => {
  rsa = await loadPrivateKey(readFileSync(chain('ee-rsa.key')));
  p256 = await loadPrivateKey(readFileSync(chain('ee-p256.key')));
});

describe('mutated messages written by smimekit', () => {
  const cases: {
    name: string;
    cipher: 'aes-256-gcm' | 'aes-128-gcm' | 'aes-256-cbc';
    recipient: 'rsa' | 'p256';
    keyTransport?: 'rsa-oaep';
  }[] = [
    { name: 'AuthEnvelopedData, RSA PKCS#1 v1.5, AES-256-GCM', cipher: 'aes-256-gcm', recipient: 'rsa' },
    { name: 'AuthEnvelopedData, ECDH P-256, AES-128-GCM', cipher: 'aes-128-gcm', recipient: 'p256' },
    { name: 'EnvelopedData, RSA-OAEP, AES-256-CBC', cipher: 'aes-256-cbc', recipient: 'rsa', keyTransport: 'rsa-oaep' },
    { name: 'EnvelopedData, ECDH P-256, AES-256-CBC', cipher: 'aes-256-cbc', recipient: 'p256' },
  ];
  for (const c of cases) {
    it(
      c.name,
      async () => {
        const certificate = cert(`ee-${c.recipient}.pem`);
        const env = await createEnvelope(
          plaintext,
          [{ certificate, ...(c.keyTransport ? { keyTransport: c.keyTransport } : {}) }],
          { cipher: c.cipher },
        );
        const options: DecryptEnvelopeOptions = { certificate, privateKey: c.recipient === 'rsa' ? rsa : p256 };
        await fuzz(
          env.der,
          async (b) => (await decryptEnvelope(b, options)).content,
          plaintext,
          c.cipher.endsWith('gcm'),
        );
      },
      60_000,
    );
  }

  it('S/MIME facade: decryptMessage and readMessage on a mutated base64 MIME message', async () => {
    const r = await encryptMessage(plaintext, {
      recipients: [cert('ee-rsa.pem')],
      sender: cert('ee-p256.pem'),
      cipher: 'aes-256-gcm',
      validate: false,
    });
    const identity = { certificate: cert('ee-rsa.pem'), privateKey: rsa };
    await fuzz(r.message, async (b) => (await decryptMessage(b, { identity })).content, plaintext, true, 80);
    // readMessage hands back input it does not recognise as S/MIME unchanged (no layers): only decrypted content counts.
    await fuzz(
      r.message,
      async (b) => {
        const read = await readMessage(b, { identities: [identity] });
        return read.encrypted ? read.content : undefined;
      },
      plaintext,
      true,
      80,
    );
  }, 60_000);

  it('CompressedData', async () => {
    const data = new TextEncoder().encode('compressible '.repeat(200));
    const der = await createCompressed(data);
    await fuzz(der, async (b) => (await decompressCompressed(b, { maxSize: 1 << 20 })).content, data, false, 200);
  }, 60_000);
});

interface Case {
  id: string;
  file: string;
  identity: { p12?: string; password?: string; cert?: string; key?: string; kek?: string; kekId?: string };
  expect: { plaintextSha256?: string };
}

describeVectors('mutated third-party encrypted messages (../shared/vectors)', () => {
  const cases = readSharedJson<{ cases: Case[] }>('expected.json').cases;
  const byId = (id: string): Case => cases.find((c) => c.id === id)!;

  it('OpenSSL AuthEnvelopedData with authAttrs (AES-GCM, KEK)', async () => {
    const c = byId('openssl/authenveloped_attrs');
    const bytes = readShared(c.file);
    const kek = { key: fromHex(c.identity.kek!), keyIdentifier: fromHex(c.identity.kekId!) };
    const expected = (await decryptEnvelope(new TextDecoder().decode(bytes), { kek })).content;
    const der = decodePem(bytes)[0]!.der;
    await fuzz(der, async (b) => (await decryptEnvelope(b, { kek })).content, expected, true, 300);
  }, 60_000);

  for (const id of [
    'rfc4134/5.1',
    'rfc4134/5.2',
    'cryptography/pkcs7/enveloped-rsa-oaep',
    'thunderbird/smime-interop/fran-ec_ossl-aes128-sha256',
  ]) {
    it(
      id,
      async () => {
        const c = byId(id);
        let identity: DecryptEnvelopeOptions;
        if (c.identity.p12) {
          const p = await loadIdentity(readShared(c.identity.p12), c.identity.password ?? '');
          identity = { certificate: p.certificate, privateKey: p.privateKey };
        } else {
          const raw = readShared(c.identity.cert!);
          const certificate = raw[0] === 0x30 ? raw : decodePem(raw).find((b) => b.label === 'CERTIFICATE')!.der;
          identity = { certificate, privateKey: await loadPrivateKey(readShared(c.identity.key!)) };
        }
        const bytes = readShared(c.file);
        if (c.file.endsWith('.bin') || c.file.endsWith('.pem')) {
          const der = bytes[0] === 0x30 ? bytes : decodePem(bytes)[0]!.der;
          const expected = (await decryptEnvelope(der, identity)).content;
          await fuzz(der, async (b) => (await decryptEnvelope(b, identity)).content, expected, false, 80);
        } else {
          const id2 = { certificate: identity.certificate!, privateKey: identity.privateKey! };
          const expected = (await decryptMessage(bytes, { identity: id2 })).content;
          await fuzz(bytes, async (b) => (await decryptMessage(b, { identity: id2 })).content, expected, false, 80);
        }
      },
      60_000,
    );
  }
});
