/**
 * Every encrypted message of ../shared/vectors (expected.json: operation
 * decrypt / decrypt+verify, the parse-only .NET envelope and the broken
 * envelope) decrypts to the plaintext SOURCES.md states, or fails as stated.
 */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { decryptEncryptedData } from '../../src/cms/encrypted-data.js';
import { decryptEnvelope } from '../../src/cms/enveloped-decrypt.js';
import { parseEnvelope } from '../../src/cms/enveloped-parse.js';
import { recipientMatches } from '../../src/cms/recipient-recover.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { decryptMessage, type DecryptionIdentity } from '../../src/smime/decrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { readSmimeCms } from '../../src/smime/read-cms.js';
import { entityBytes, parseMime } from '../../src/mime/entity.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { fromHex } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { readCertificate } from '../../src/x509/index.js';
import { type ExpectedCase } from '../helpers/expected-cases.js';
import { describeVectors, readShared, readSharedJson } from '../helpers/vectors.js';

type Case = ExpectedCase;

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function certDer(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === 0x30) return bytes;
  return decodePem(bytes).find((b) => b.label === 'CERTIFICATE')!.der;
}

async function identityFor(c: Case): Promise<DecryptionIdentity> {
  const id = c.identity!;
  if (id.p12) return loadIdentity(readShared(id.p12), id.password ?? '');
  return { certificate: certDer(readShared(id.cert!)), privateKey: (await loadPrivateKey(readShared(id.key!))).pkcs8 };
}

/** Expected failure names of expected.json → smimekit codes. */
const FAILURE_CODES: Record<string, string> = {
  'key-length-mismatch': 'decryption-failed', // implicit rejection: a wrong-length CEK is replaced, content decryption fails
  'auth-tag-mismatch': 'decryption-failed',
  'not-enveloped': 'not-enveloped',
};

describeVectors('shared vectors: encrypted messages', () => {
  const all = readSharedJson<{ cases: Case[] }>('expected.json').cases;
  const cases = all.filter(
    (c) => c.operation.startsWith('decrypt') || (c.operation === 'parse' && c.cmsType === 'envelopedData'),
  );

  it('covers every encrypted vector', () => {
    expect(cases.length).toBeGreaterThanOrEqual(59);
  });

  for (const c of cases) {
    it(`${c.id} (${c.operation})`, async () => {
      const bytes = readShared(c.file);
      if (c.operation === 'parse') {
        // .NET EnvelopedCms: labelled signed-data, really EnvelopedData with an SKI recipient.
        const found = readSmimeCms(bytes);
        expect(found.declaredSmimeType).toBe('signed-data');
        const env = parseEnvelope(found.cms);
        expect(env.contentType).toBe('envelopedData');
        const ri = env.recipientInfos[0]!;
        expect(ri.kind).toBe('ktri');
        if (ri.kind !== 'ktri') return;
        expect(ri.rid.subjectKeyIdentifier).toEqual(fromHex(c.expect.recipientIdentifier!.subjectKeyIdentifier));
        const info = readCertificate(certDer(readShared(c.identity!.cert!)));
        expect(recipientMatches(ri.rid, info)).toBe('subjectKeyIdentifier');
        return;
      }
      if (c.cmsType === 'encryptedData') {
        const out = await decryptEncryptedData(bytes, fromHex(c.identity!.secretKey!));
        expect(sha256(out.content)).toBe(c.expect.plaintextSha256);
        return;
      }
      if (c.identity?.kek) {
        const run = decryptEnvelope(new TextDecoder().decode(bytes), {
          kek: { key: fromHex(c.identity.kek), keyIdentifier: fromHex(c.identity.kekId!) },
        });
        if (c.expect.decrypts) expect(sha256((await run).content)).toBe(c.expect.plaintextSha256);
        else await expect(run).rejects.toMatchObject({ code: FAILURE_CODES[c.expect.failure!] });
        return;
      }
      const identity = await identityFor(c);
      if (c.format !== 'mime') {
        const out = await decryptEnvelope(c.format === 'cms-pem' ? new TextDecoder().decode(bytes) : bytes, identity);
        expect(sha256(out.content)).toBe(c.expect.plaintextSha256);
        return;
      }
      if (c.layers?.every((l) => l.type === 'enveloped' && /^\/\d+$/.test((l as { path?: string }).path ?? ''))) {
        // EFAIL-style multipart of separately encrypted parts: smimekit never splices them, each part decrypts on its own.
        await expect(decryptMessage(bytes, { identity })).rejects.toMatchObject({ code: 'not-smime' });
        // readMessage does not decrypt parts of a multipart either: no layer, no plaintext, the input handed back as it is.
        const read = await readMessage(bytes, { identities: [identity] });
        expect(read).toMatchObject({ encrypted: false, layers: [] });
        expect(read.content).toEqual(bytes);
        const root = parseMime(bytes);
        for (const [i, l] of c.layers.entries()) {
          const out = await decryptMessage(entityBytes(root.children[i]!), { identity });
          expect(sha256(out.content)).toBe(l.outputSha256);
        }
        return;
      }
      if (!c.expect.decrypts) {
        await expect(decryptMessage(bytes, { identity })).rejects.toMatchObject({
          code: FAILURE_CODES[c.expect.failure!],
        });
        return;
      }
      if (c.operation === 'decrypt' && c.cmsType === 'envelopedData') {
        const out = await decryptMessage(bytes, { identity });
        if (c.expect.plaintextSha256) expect(sha256(out.content)).toBe(c.expect.plaintextSha256);
        const cipher = c.layers?.find((l) => l.type === 'enveloped')?.contentCipher;
        if (cipher) {
          expect(out.cipher).toBe(cipher);
          expect(out.legacyCipher).toBe(/^(des|rc2)/.test(cipher));
        }
      }
      // Every layer, any nesting.
      const trust = new TrustList();
      for (const t of c.trust) trust.addBytes(readShared(t));
      const read = await readMessage(bytes, {
        identities: [identity],
        trust,
        allowWeak: c.legacy === true,
        ...(c.at ? { at: new Date(c.at) } : {}),
      });
      const types = read.layers.map((l) => l.type);
      if (c.layers) {
        expect(types).toEqual(c.layers.map((l) => (l.type === 'enveloped' ? 'enveloped' : 'signed')));
        c.layers.forEach((l, i) => {
          const mine = read.layers[i]!;
          if (l.type === 'enveloped' && mine.type === 'enveloped' && l.contentCipher)
            expect(mine.cipher).toBe(l.contentCipher);
        });
      }
      if (c.expect.plaintextSha256) expect(sha256(read.content)).toBe(c.expect.plaintextSha256);
      if (c.expect.signatureValid === true && c.expect.chainValid === true) expect(read.problems).toEqual([]);
      if (c.expect.signatureValid === false) expect(read.ok).toBe(false);
      if (c.expect.signers) {
        const emails = read.layers.flatMap((l) =>
          l.type === 'signed' ? l.signers.map((s) => s.email?.toLowerCase()) : [],
        );
        expect(emails).toEqual(c.expect.signers.map((e) => e.toLowerCase()));
      }
    });
  }
});
