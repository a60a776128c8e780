/**
 * Implicit rejection proven against vectors, not only read: src's
 * `rsaPkcs1v15DecryptImplicit` must return exactly the bytes that
 *
 * - the published test vectors of draft-irtf-cfrg-rsa-guidance Appendix B expect
 *   (vectors/implicit-rejection/draft-appendix-b.json, 2048/2049/3072/4096-bit keys), and
 * - an independent second implementation of the same construction computes
 *   (test/crypto/implicit-rejection-reference.ts; its outputs are stored in
 *   vectors/implicit-rejection/vectors.json by generate.mjs and re-derived here),
 *
 * and OpenSSL 3.0 (explicit PKCS#1 v1.5 rejection) cross-checks the RSA
 * operation and the padding verdicts. See vectors/implicit-rejection/README.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rsaPkcs1v15DecryptImplicit, rsaPkcs1v15Encrypt } from '../../src/crypto/rsa.js';
import { tempDir } from '../helpers/temp.js';
import { projectVectorPath } from '../helpers/vectors.js';
import {
  decodePkcs1,
  i2osp,
  os2ip,
  rsadp,
  rsaEncryptRaw,
  referenceDecrypt,
  referenceKey,
  type ReferenceKey,
  type ReferenceOutcome,
} from './implicit-rejection-reference.js';

interface DraftFile {
  keys: {
    key: string;
    bits: number;
    section: string;
    cases: { id: string; title: string; ciphertext: string; expected: string }[];
  }[];
}

interface VectorFile {
  keys: {
    key: string;
    bits: number;
    cases: {
      id: string;
      category: 'valid' | 'bad-padding' | 'wrong-length' | 'random' | 'out-of-range';
      description: string;
      ciphertext: string;
      checks: { expectedLength: number | null; outcome: ReferenceOutcome; output: string }[];
    }[];
  }[];
}

interface LoadedKey {
  file: string;
  path: string;
  /** PKCS#8 DER, what src takes. */
  pkcs8: Uint8Array;
  ref: ReferenceKey;
}

const dir = (...parts: string[]) => projectVectorPath('implicit-rejection', ...parts);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const json = <T>(name: string): T => JSON.parse(readFileSync(dir(name), 'utf8')) as T;

function loadKey(file: string): LoadedKey {
  const pem = readFileSync(dir(file), 'utf8');
  const body = /-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----/.exec(pem)?.[1];
  if (!body) throw new Error(`${file}: not a PKCS#8 PEM`);
  return { file, path: dir(file), pkcs8: new Uint8Array(Buffer.from(body, 'base64')), ref: referenceKey(pem) };
}

const draft = json<DraftFile>('draft-appendix-b.json');
const vectors = json<VectorFile>('vectors.json');
const keys = new Map<string, LoadedKey>();
const keyFor = (file: string): LoadedKey => {
  let key = keys.get(file);
  if (!key) keys.set(file, (key = loadKey(file)));
  return key;
};

const src = async (key: LoadedKey, ciphertext: Uint8Array, expectedLength?: number | null) =>
  hex(await rsaPkcs1v15DecryptImplicit(key.pkcs8, ciphertext, expectedLength == null ? {} : { expectedLength }));

// ---------------------------------------------------------------------------
// OpenSSL 3.0 as a third party: the raw RSA operation and the explicit PKCS#1 verdict.

const work = tempDir('smimekit-ir-');
let fileNo = 0;
function openssl(
  key: LoadedKey,
  ciphertext: Uint8Array,
  mode: 'pkcs1' | 'none',
): { ok: true; out: string } | { ok: false; err: string } {
  const inPath = join(work, `c${fileNo++}.bin`);
  writeFileSync(inPath, ciphertext);
  try {
    const out = execFileSync(
      'openssl',
      ['pkeyutl', '-decrypt', '-inkey', key.path, '-pkeyopt', `rsa_padding_mode:${mode}`, '-in', inPath],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { ok: true, out: hex(new Uint8Array(out)) };
  } catch (e) {
    return { ok: false, err: String((e as { stderr?: Buffer }).stderr ?? e) };
  }
}

/**
 * OpenSSL's verdict on a ciphertext must match the reference's: a valid padding
 * decrypts to the same message; anything else is refused (OpenSSL 3.0-3.1,
 * explicit rejection) or — OpenSSL 3.2+, implicit rejection — gives exactly the
 * synthetic message the reference computes.
 */
function expectOpensslAgrees(key: LoadedKey, ciphertext: Uint8Array, id: string, implicitRejection: boolean) {
  const r = referenceDecrypt(key.ref, ciphertext);
  const got = openssl(key, ciphertext, 'pkcs1');
  if (r.outcome === 'valid') {
    expect(got, id).toEqual({ ok: true, out: hex(r.output) });
  } else if (!implicitRejection) {
    expect(got.ok, `${id}: OpenSSL (explicit rejection) accepted an input the reference rejects`).toBe(false);
  } else if (got.ok) {
    expect(r.outcome, `${id}: OpenSSL accepted an input the reference rejects`).not.toBe('out-of-range');
    expect(got.out, `${id}: OpenSSL's synthetic message`).toBe(hex(r.synthetic));
  }
}

// ---------------------------------------------------------------------------

describe('the reference implementation', () => {
  it('reproduces every draft-irtf-cfrg-rsa-guidance Appendix B vector (48, 2048/2049/3072/4096-bit keys)', () => {
    let n = 0;
    for (const family of draft.keys) {
      const key = keyFor(family.key);
      expect(key.ref.bits, family.key).toBe(family.bits);
      for (const c of family.cases) {
        const r = referenceDecrypt(key.ref, unhex(c.ciphertext));
        expect(hex(r.output), `${c.id} ${c.title}`).toBe(c.expected);
        expect(r.outcome, `${c.id} ${c.title}`).toBe(c.title.startsWith('Valid') ? 'valid' : 'bad-padding');
        n++;
      }
    }
    expect(n).toBe(48);
  });

  it('produced the stored vectors (vectors.json is what generate.mjs writes today)', () => {
    for (const family of vectors.keys) {
      const key = keyFor(family.key);
      expect(key.ref.bits, family.key).toBe(family.bits);
      for (const c of family.cases) {
        for (const check of c.checks) {
          const r = referenceDecrypt(
            key.ref,
            unhex(c.ciphertext),
            check.expectedLength === null ? {} : { expectedLength: check.expectedLength },
          );
          expect(
            { outcome: r.outcome, output: hex(r.output) },
            `${c.id} (expectedLength ${check.expectedLength})`,
          ).toEqual({
            outcome: check.outcome,
            output: check.output,
          });
        }
      }
    }
  });

  it('covers every category for every key size', () => {
    for (const family of vectors.keys) {
      const categories = new Set(family.cases.map((c) => c.category));
      expect([...categories].sort(), family.key).toEqual([
        'bad-padding',
        'out-of-range',
        'random',
        'valid',
        'wrong-length',
      ]);
      const outcomes = new Set(family.cases.flatMap((c) => c.checks.map((check) => check.outcome)));
      expect([...outcomes].sort(), family.key).toEqual(['bad-padding', 'out-of-range', 'valid', 'wrong-length']);
    }
  });
});

describe('rsaPkcs1v15DecryptImplicit against the published vectors', () => {
  for (const family of draft.keys) {
    it(`${family.section}: returns exactly the expected bytes (message or synthetic message)`, async () => {
      const key = keyFor(family.key);
      for (const c of family.cases) expect(await src(key, unhex(c.ciphertext)), `${c.id} ${c.title}`).toBe(c.expected);
    });
  }

  it('a ciphertext given without its leading zero byte decrypts as the whole one (as OpenSSL does)', async () => {
    let n = 0;
    for (const family of draft.keys) {
      const key = keyFor(family.key);
      for (const c of family.cases.filter((c) => c.ciphertext.startsWith('00'))) {
        expect(await src(key, unhex(c.ciphertext.slice(2))), `${c.id} ${c.title}`).toBe(c.expected);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(8); // "Valid with ciphertext starting with a zero byte", "Invalid with null padded ciphertext", ...
  });

  it('fixed-length mode (expectedLength 16 and 32) agrees with the reference on the draft keys', async () => {
    for (const family of draft.keys) {
      const key = keyFor(family.key);
      for (const c of family.cases) {
        for (const expectedLength of [16, 32]) {
          const want = referenceDecrypt(key.ref, unhex(c.ciphertext), { expectedLength });
          expect(want.outcome).not.toBe('valid'); // no draft plaintext is 16 or 32 bytes long
          expect(await src(key, unhex(c.ciphertext), expectedLength), `${c.id} (${expectedLength})`).toBe(
            hex(want.output),
          );
        }
      }
    }
  });
});

describe('rsaPkcs1v15DecryptImplicit against the reference vectors', () => {
  for (const family of vectors.keys) {
    it(`${family.key}: ${family.cases.length} ciphertexts — returns exactly the reference's bytes for every check`, async () => {
      const key = keyFor(family.key);
      for (const c of family.cases) {
        for (const check of c.checks) {
          expect(
            await src(key, unhex(c.ciphertext), check.expectedLength),
            `${c.id}: ${c.description} (expectedLength ${check.expectedLength})`,
          ).toBe(check.output);
        }
      }
    });
  }

  it('fresh random ciphertexts, fresh encryptions and short inputs agree with the reference (with and without expectedLength)', async () => {
    for (const family of vectors.keys) {
      const key = keyFor(family.key);
      const { n, k } = key.ref;
      const spki = new Uint8Array(
        Buffer.from(execFileSync('openssl', ['pkey', '-in', key.path, '-pubout', '-outform', 'DER'])),
      );
      const inputs: Uint8Array[] = [];
      for (let i = 0; i < 4; i++) inputs.push(i2osp(os2ip(new Uint8Array(randomBytes(k + 8))) % n, k));
      for (const len of [0, 16, 32]) inputs.push(await rsaPkcs1v15Encrypt(spki, new Uint8Array(randomBytes(len))));
      inputs.push(new Uint8Array(0), new Uint8Array(randomBytes(10))); // short: left-padded, then bad padding
      for (const ct of inputs) {
        for (const expectedLength of [undefined, 32]) {
          const want = referenceDecrypt(key.ref, ct, expectedLength === undefined ? {} : { expectedLength });
          expect(await src(key, ct, expectedLength), `${family.key} ${hex(ct).slice(0, 16)}… (${expectedLength})`).toBe(
            hex(want.output),
          );
        }
      }
    }
  });
});

describe('OpenSSL 3.0 cross-check', () => {
  let version = '';
  beforeAll(() => {
    version = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  });

  it('valid paddings decrypt to the same message with `openssl pkeyutl -decrypt` (PKCS#1); the others are refused or (OpenSSL 3.2+) give the same synthetic message', () => {
    expect(version).toMatch(/^OpenSSL [3-9]\./);
    // OpenSSL 3.2 made implicit rejection the default for PKCS#1 v1.5 decryption.
    const [major, minor] = /^OpenSSL (\d+)\.(\d+)/.exec(version)!.slice(1).map(Number) as [number, number];
    const implicitRejection = major > 3 || minor >= 2;
    let valid = 0;
    let rejected = 0;
    for (const family of [...draft.keys, ...vectors.keys]) {
      const key = keyFor(family.key);
      for (const c of family.cases as { id: string; ciphertext: string }[]) {
        const ct = unhex(c.ciphertext);
        expectOpensslAgrees(key, ct, c.id, implicitRejection);
        if (referenceDecrypt(key.ref, ct).outcome === 'valid') valid++;
        else rejected++;
      }
    }
    // 12 draft + 3 × 8 own valid paddings (valid-* and wrong-length-*); the rest bad padding, random or out of range.
    expect(valid).toBe(12 + 3 * 8);
    expect(rejected).toBe(36 + 3 * 14);
  });

  it('the RSA operation agrees (raw decryption): each ciphertext below n decrypts to the encoded message the reference sees, with the defect it is named for', () => {
    for (const family of vectors.keys) {
      const key = keyFor(family.key);
      for (const c of family.cases) {
        let ct = unhex(c.ciphertext);
        if (ct.length < key.ref.k) ct = new Uint8Array([...new Uint8Array(key.ref.k - ct.length), ...ct]);
        if (ct.length !== key.ref.k || os2ip(ct) >= key.ref.n) continue;
        const em = openssl(key, ct, 'none');
        expect(em, c.id).toEqual({ ok: true, out: hex(rsadp(key.ref, ct)) });
        if (!em.ok) continue;
        // ...and the reference's public operation (the generator's encryption) gives the ciphertext back.
        expect(hex(rsaEncryptRaw(key.ref, unhex(em.out))), c.id).toBe(hex(ct));
        const decoded = decodePkcs1(unhex(em.out));
        const wantReason: Record<string, RegExp> = {
          'bad-first-byte': /first byte/,
          'bad-second-byte': /second byte/,
          'bad-second-byte-00': /second byte/,
          'bad-second-byte-03': /second byte/,
          'bad-short-ciphertext': /second byte/,
          'no-separator': /no zero separator/,
          'separator-ps7': /PS of 7 bytes/,
          'separator-ps0': /PS of 0 bytes/,
        };
        const name = c.id.split('/')[1]!;
        if (c.category === 'bad-padding')
          expect('reason' in decoded ? decoded.reason : 'decoded', c.id).toMatch(wantReason[name]!);
        if (c.category === 'valid' || c.category === 'wrong-length') expect('message' in decoded, c.id).toBe(true);
      }
    }
  });
});
