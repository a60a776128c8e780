/**
 * verifyMessage, readMessage and decryptMessage walk a message's S/MIME layers with one shared walker
 * (src/smime/layers.ts): the same layers in the same order, the same MIME limits in every pass, one
 * classifier, one option vocabulary (with the old names still working).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityBytes, parseMime } from '../../src/mime/entity.js';
import { decryptMessage } from '../../src/smime/decrypt.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { classifyEntity } from '../../src/smime/classify.js';
import type { WalkedLayer } from '../../src/smime/layers.js';
import { readMessage } from '../../src/smime/read.js';
import { isPkcs7MimeEntity } from '../../src/smime/read-cms.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import type { VerifyReport } from '../../src/smime/report.js';
import { chainsIntermediate, issueUser, PKI_AT, trustListFromChains, type IssuedUser } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';

const MESSAGE =
  'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: layers\r\n\r\nHello through three layers.\r\n';
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

let dir: string;
let alice: IssuedUser;
let bob: IssuedUser;
/** sign (multipart/signed) → encrypt → sign (opaque): the classic triple wrap. */
let tripleWrapped: Uint8Array;
/** The enveloped entity in the middle of `tripleWrapped`. */
let envelopedEntity: Uint8Array;

const trust = () => trustListFromChains();
const unwrapFor =
  (user: IssuedUser, limits?: { maxParts?: number }) => async (e: Parameters<typeof classifyEntity>[0]) =>
    (await decryptMessage(entityBytes(e), { identity: user.identity, ...(limits ? { limits } : {}) })).content;

beforeAll(async () => {
  dir = tempDir('smimekit-layers-');
  alice = await issueUser(dir, { name: 'Alice', email: 'alice@example.test' });
  bob = await issueUser(dir, { name: 'Bob', email: 'bob@example.test', keyType: 'p256' });
  const inner = await signMessage(MESSAGE, { signer: alice.identity });
  const encrypted = await encryptMessage(inner, {
    recipients: [bob.certificate],
    sender: alice.certificate,
    validate: false,
  });
  tripleWrapped = await signMessage(encrypted.message, { signer: alice.identity, detached: false });
  const outer = await verifyMessage(tripleWrapped, { trust: trust(), at: PKI_AT });
  envelopedEntity = outer.content;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one walker for verify, read and decrypt', () => {
  it('a triple-wrapped message gives the same layer list through verify, read and decrypt', async () => {
    const viaRead: WalkedLayer[] = [];
    const read = await readMessage(tripleWrapped, {
      identities: [bob.identity],
      trust: trust(),
      at: PKI_AT,
      onLayer: (l) => viaRead.push(l),
    });
    expect(read.ok).toBe(true);
    expect(read.layers.map((l) => l.type)).toEqual(['signed', 'enveloped', 'signed']);
    expect(viaRead).toEqual([
      { kind: 'signed-data', path: '/', depth: 0 },
      { kind: 'enveloped-data', path: '/opaque', depth: 1 },
      { kind: 'multipart-signed', path: '/opaque/enveloped', depth: 2 },
    ]);

    // verify opens the enveloped layer through its unwrap hook (here: decryptMessage) and walks on.
    const viaVerify: WalkedLayer[] = [];
    const report = await verifyMessage(tripleWrapped, {
      trust: trust(),
      at: PKI_AT,
      unwrap: unwrapFor(bob),
      onLayer: (l) => viaVerify.push(l),
    });
    expect(report.ok).toBe(true);
    expect(viaVerify).toEqual(viaRead);
    expect(report.layers.map((l) => [l.kind, l.path])).toEqual([
      ['opaque', '/'],
      ['multipart-signed', '/opaque/enveloped'],
    ]);
    expect(text(report.content)).toBe(text(read.content));

    // decrypt walks the same middle layer with the same walker (one layer deep), with the same kind.
    const viaDecrypt: WalkedLayer[] = [];
    const decrypted = await decryptMessage(envelopedEntity, {
      identity: bob.identity,
      onLayer: (l) => viaDecrypt.push(l),
    });
    expect(viaDecrypt).toEqual([{ kind: viaRead[1]!.kind, path: '/', depth: 0 }]);
    expect(read.layers[1]).toMatchObject({
      type: 'enveloped',
      cipher: decrypted.cipher,
      envelopeType: decrypted.envelopeType,
    });

    // Without a way into the enveloped layer, verify stops there and says so.
    const closed = await verifyMessage(tripleWrapped, { trust: trust(), at: PKI_AT });
    expect(closed.layers.map((l) => l.path)).toEqual(['/']);
    expect(closed.warnings.map((w) => w.code)).toContain('not-verified-layer');
  });

  it('the walked layers are the layers each function reports', async () => {
    const read = await readMessage(tripleWrapped, { identities: [bob.identity], trust: trust(), at: PKI_AT });
    const signed = read.layers.filter((l) => l.type === 'signed');
    // `report` is the verify report (typed, no cast needed).
    const reports: (VerifyReport | undefined)[] = signed.map((l) => (l.type === 'signed' ? l.report : undefined));
    expect(reports.map((r) => r?.layers.map((l) => l.kind))).toEqual([['opaque'], ['multipart-signed']]);
    expect(reports.every((r) => r?.ok === true)).toBe(true);
  });
});

describe('MIME limits are honoured in every pass', () => {
  // Three MIME parts: one more than the limit below.
  const mixed = () =>
    `From: alice@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b--\r\n`;
  const limits = { maxParts: 2 };

  it('a message over the limit fails with the same code in verify, read and decrypt', async () => {
    const codes = await Promise.all([
      verifyMessage(mixed(), { trust: trust(), limits }).catch((e: { code: string }) => e.code),
      readMessage(mixed(), { trust: trust(), limits }).catch((e: { code: string }) => e.code),
      decryptMessage(mixed(), { identity: bob.identity, limits }).catch((e: { code: string }) => e.code),
    ]);
    expect(codes).toEqual(['mime-limit-exceeded', 'mime-limit-exceeded', 'mime-limit-exceeded']);
    // Under the default limits the same message is simply not S/MIME.
    await expect(verifyMessage(mixed(), { trust: trust() })).rejects.toMatchObject({ code: 'not-signed' });
    await expect(decryptMessage(mixed(), { identity: bob.identity })).rejects.toMatchObject({ code: 'not-smime' });
    expect((await readMessage(mixed(), { trust: trust() })).unprotected).toBe(true);
  });

  it('an inner layer over the limit fails the same way in verify and read (not only the outer parse)', async () => {
    // The innermost multipart/signed has three MIME parts; the outer layers have one each.
    const options = { trust: trust(), at: PKI_AT, limits };
    await expect(verifyMessage(tripleWrapped, { ...options, unwrap: unwrapFor(bob) })).rejects.toMatchObject({
      code: 'mime-limit-exceeded',
    });
    await expect(readMessage(tripleWrapped, { ...options, identities: [bob.identity] })).rejects.toMatchObject({
      code: 'mime-limit-exceeded',
    });
    expect(
      (
        await readMessage(tripleWrapped, {
          trust: trust(),
          at: PKI_AT,
          identities: [bob.identity],
          limits: { maxParts: 3 },
        })
      ).ok,
    ).toBe(true);
  });
});

describe('one option vocabulary; the old names still work', () => {
  it('verify: `intermediates`, and `certificates` as its deprecated alias', async () => {
    // Signed without the intermediate in the message: the chain needs it from the options.
    const bare = await signMessage(MESSAGE, {
      signer: { ...alice.identity, chain: [] },
      includeCertificates: 'signer',
    });
    const intermediate = chainsIntermediate().certificate;
    const without = await verifyMessage(bare, { trust: trust(), at: PKI_AT });
    expect(without.ok).toBe(false);
    expect((await verifyMessage(bare, { trust: trust(), at: PKI_AT, intermediates: [intermediate] })).ok).toBe(true);
    expect((await verifyMessage(bare, { trust: trust(), at: PKI_AT, certificates: [intermediate] })).ok).toBe(true);
    // readMessage takes the same name.
    expect((await readMessage(bare, { trust: trust(), at: PKI_AT, intermediates: [intermediate] })).ok).toBe(true);
  });

  it('read: `maxLayers`, and `maxDepth` as its deprecated alias (`maxLayers` wins)', async () => {
    const base = { identities: [bob.identity], trust: trust(), at: PKI_AT };
    await expect(readMessage(tripleWrapped, { ...base, maxLayers: 2 })).rejects.toMatchObject({
      code: 'limit-exceeded',
    });
    await expect(readMessage(tripleWrapped, { ...base, maxDepth: 2 })).rejects.toMatchObject({
      code: 'limit-exceeded',
    });
    expect((await readMessage(tripleWrapped, { ...base, maxDepth: 2, maxLayers: 8 })).ok).toBe(true);
    // verify counts the same layers against the same limit.
    const shallow = await verifyMessage(tripleWrapped, {
      trust: trust(),
      at: PKI_AT,
      unwrap: unwrapFor(bob),
      maxLayers: 2,
    });
    expect(shallow.warnings.map((w) => w.code)).toContain('too-many-layers');
    expect(shallow.layers).toHaveLength(1);
  });

  it('one classifier: isPkcs7MimeEntity is classifyEntity', () => {
    const entity = (headers: string) => parseMime(`${headers}\r\n\r\nbody\r\n`);
    const cases = [
      'Content-Type: application/pkcs7-mime; smime-type=enveloped-data',
      'Content-Type: application/x-pkcs7-mime',
      'Content-Type: application/octet-stream; name="smime.p7m"',
      'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="smime.p7z"',
      'Content-Type: application/octet-stream; name="report.pdf"',
      'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=x',
      'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=x',
      'Content-Type: application/pkcs7-signature',
      'Content-Type: text/plain',
    ];
    expect(cases.map((h) => classifyEntity(entity(h))?.form)).toEqual([
      'pkcs7-mime',
      'pkcs7-mime',
      'pkcs7-mime',
      'pkcs7-mime',
      undefined,
      'multipart-signed',
      'multipart-signed',
      'pkcs7-signature',
      undefined,
    ]);
    expect(classifyEntity(entity(cases[6]!))?.smime).toBe(false);
    expect(classifyEntity(entity(cases[2]!))).toMatchObject({ fileExtension: 'p7m', smimeType: '' });
    for (const h of cases) expect(isPkcs7MimeEntity(entity(h))).toBe(classifyEntity(entity(h))?.form === 'pkcs7-mime');
  });
});
