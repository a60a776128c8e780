/**
 * smimekit/nodemailer with a real nodemailer and its stream transport: every message is read back by OpenSSL
 * (`cms -verify` against the chains' root, `cms -decrypt` with the recipient's and the sender's keys) and by
 * smimekit's own readMessage. Failures must reach nodemailer's callback/promise and nothing may be sent.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { StreamSentMessageInfo, Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { smimeNodemailer, type SmimeNodemailerOptions, type SmimeProtectedMessage } from '../../src/nodemailer.js';
import { ArgumentError, CertificateMissingError, SmimeError } from '../../src/errors.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { readMessage } from '../../src/smime/read.js';
import type { SmimeSigner } from '../../src/smime/sign.js';
import { chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir('smimekit-nodemailer-');
const FROM = 'rsa.user@example.test';
const TO = 'p256.user@example.test';
const BCC = 'p384.user@example.test';
const pem = (name: string): string => readFileSync(chainFile(name), 'utf8');

let alice: TestIdentity; // the sender (RSA)
let bob: TestIdentity; // To (P-256)
let carol: TestIdentity; // Bcc (P-384)
let signer: SmimeSigner;
let trust: TrustList;
let directory: MemoryDirectory;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([identity('ee-rsa'), identity('ee-p256'), identity('ee-p384')]);
  signer = { certificate: alice.certificate, privateKey: alice.privateKey, chain: [pem('intermediate.pem')] };
  trust = new TrustList().addBytes(readFileSync(chainFile('root.pem')));
  directory = new MemoryDirectory({ name: 'GAL' });
  for (const name of ['ee-rsa', 'ee-p256', 'ee-p384'])
    directory.add({ mail: `${name.slice(3)}.user@example.test`, userCertificate: [pem(`${name}.pem`)] });
  directory.add({ mail: 'nocert.user@example.test' });
  directory.add({ mail: 'expired.user@example.test', userCertificate: [pem('bad-expired.pem')] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The stream transport with `buffer: true`: the message is a Buffer. */
type Sent = StreamSentMessageInfo & { message: Buffer };

function transport(options: SmimeNodemailerOptions, newline = 'windows'): Transporter<Sent> {
  // nodemailer's names for CRLF are 'windows', 'win', 'dos' and '\r\n'; any other value (even 'crlf') means LF.
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline });
  t.use('stream', smimeNodemailer({ intermediates: [pem('intermediate.pem')], ...options }));
  return t as unknown as Transporter<Sent>;
}

const mail = {
  from: `Alice <${FROM}>`,
  to: `Bob <${TO}>`,
  subject: 'Quarterly figures',
  text: 'Hello Bob,\nthe figures are attached.\n',
  html: '<p>Hello Bob,<br>the figures are attached.</p>',
  attachments: [{ filename: 'figures.csv', content: 'q,value\n1,42\n' }],
  messageId: '<figures-1@example.test>',
};

let n = 0;
function save(message: Uint8Array): string {
  const file = join(dir, `out-${++n}.eml`);
  writeFileSync(file, message);
  return file;
}
const headerBlock = (m: Buffer): string => m.toString('latin1').split('\r\n\r\n')[0]!;

/** `openssl cms -verify` against the chains' root: the signed content OpenSSL outputs. */
function opensslVerify(message: Uint8Array): string {
  const r = openssl(['cms', '-verify', '-in', save(message), '-CAfile', chainFile('root.pem')]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain('Verification successful');
  return r.stdout.toString('latin1');
}

/** `openssl cms -decrypt` with one party's key: the decrypted entity. */
function opensslDecrypt(message: Uint8Array, who: TestIdentity): Buffer {
  const r = openssl(['cms', '-decrypt', '-in', save(message), '-recip', who.certFile, '-inkey', who.keyFile]);
  expect(r.status, `${who.name}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function recipientCount(message: Uint8Array): number {
  const r = openssl(['cms', '-cmsout', '-print', '-in', save(message)]);
  expect(r.status, r.stderr).toBe(0);
  return (r.stdout.toString().match(/^\s+d\.(ktri|kari):/gm) ?? []).length;
}

const party = (who: TestIdentity) => ({ certificate: who.certificate, privateKey: who.privateKey });

describe('smimeNodemailer: signing', () => {
  it('signs the body entity; the outer headers stay outside; OpenSSL and readMessage verify it', async () => {
    const info = await transport({ sign: signer }).sendMail(mail);
    const head = headerBlock(info.message);
    expect(head).toMatch(/^Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256;/m);
    for (const h of [`From: Alice <${FROM}>`, `To: Bob <${TO}>`, 'Subject: Quarterly figures'])
      expect(head).toContain(h);
    expect(head).toMatch(/^Message-ID: <figures-1@example\.test>$/m);
    expect(head).toMatch(/^Date: /m);
    expect(info.messageId).toBe('<figures-1@example.test>');

    const content = opensslVerify(info.message);
    expect(content).toMatch(/^Content-Type: multipart\/mixed;/);
    expect(content).toContain('figures.csv');
    expect(content).not.toContain('Subject:');

    const read = await readMessage(info.message, { trust, from: FROM });
    expect(read.ok).toBe(true);
    expect(read.layers.map((l) => l.type)).toEqual(['signed']);
  });

  it('the output is CRLF; with newline: unix it is LF and still verifies', async () => {
    const crlf = await transport({ sign: signer }).sendMail(mail);
    expect(crlf.message.toString('latin1').replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lf = await transport({ sign: signer }, 'unix').sendMail(mail);
    expect(lf.message.toString('latin1')).not.toContain('\r');
    expect(opensslVerify(lf.message)).toContain('figures.csv');
    expect((await readMessage(lf.message, { trust })).ok).toBe(true);
  });

  it('detached: false writes opaque signed-data; digest sha384 is used', async () => {
    const info = await transport({ sign: signer, detached: false, digest: 'sha384' }).sendMail(mail);
    expect(headerBlock(info.message)).toContain('smime-type=signed-data');
    expect(opensslVerify(info.message)).toContain('Hello Bob,');
    const read = await readMessage(info.message, { trust });
    expect(read.ok).toBe(true);
    const print = openssl(['cms', '-cmsout', '-print', '-in', save(info.message)]).stdout.toString();
    expect(print).toContain('sha384');
  });
});

describe('smimeNodemailer: with the rest of nodemailer', () => {
  it('DKIM (applied by nodemailer after the stream plugins) signs the protected message', async () => {
    const t = transport({ sign: signer });
    const dkim = { domainName: 'example.test', keySelector: 'mail', privateKey: readFileSync(alice.keyFile, 'utf8') };
    const info = await t.sendMail({ ...mail, dkim });
    const text = info.message.toString('latin1');
    expect(text).toMatch(/^DKIM-Signature: /);
    // The body hash covers the multipart/signed body (DKIM relaxed body canonicalization, RFC 6376 §3.4.4).
    const body =
      text
        .slice(text.indexOf('\r\n\r\n') + 4)
        .split('\r\n')
        .map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
        .join('\r\n')
        .replace(/(\r\n)+$/, '') + '\r\n';
    const bh = /bh=([A-Za-z0-9+/=]+)/.exec(text.replace(/\r\n\s+/g, ''))![1];
    expect(bh).toBe(createHash('sha256').update(body, 'latin1').digest('base64'));
    expect(body).toContain('application/pkcs7-signature');
    expect(opensslVerify(info.message)).toContain('Hello Bob,');
  });

  it('a raw message (sendMail({ raw })) is protected like a composed one', async () => {
    const raw =
      `From: ${FROM}\r\nTo: ${TO}\r\nSubject: raw\r\nMessage-ID: <raw-1@example.test>\r\n` +
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nA raw message.\r\n';
    const info = await transport({ sign: signer, encrypt: true, trust, directory }).sendMail({
      raw,
      envelope: { from: FROM, to: [TO] },
    });
    expect(headerBlock(info.message)).toContain('Subject: raw');
    expect(opensslVerify(opensslDecrypt(info.message, bob))).toContain('A raw message.');
  });
});

describe('smimeNodemailer: encryption', () => {
  const encrypting = (extra: SmimeNodemailerOptions = {}) => transport({ encrypt: true, trust, directory, ...extra });

  it('encrypts to the To recipient and the sender; both decrypt with OpenSSL and readMessage', async () => {
    const results: SmimeProtectedMessage[] = [];
    const info = await encrypting({
      senderCertificate: pem('ee-rsa.pem'),
      onProtected: (r) => results.push(r),
    }).sendMail(mail);
    const head = headerBlock(info.message);
    expect(head).toContain('Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"');
    expect(head).toContain('Subject: Quarterly figures');
    expect(info.message.toString('latin1')).not.toContain('Hello Bob');
    expect(recipientCount(info.message)).toBe(2);
    for (const who of [bob, alice]) {
      const inner = opensslDecrypt(info.message, who).toString('latin1');
      expect(inner).toMatch(/^Content-Type: multipart\/mixed;/);
      expect(inner).toContain('figures.csv');
    }
    const read = await readMessage(info.message, { identities: [party(bob)], trust });
    expect(read.encrypted).toBe(true);
    expect(read.signed).toBe(false);
    expect(new TextDecoder().decode(read.content)).toContain('Hello Bob,');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ signed: false, encrypted: true, messageId: '<figures-1@example.test>' });
    expect(results[0]!.encryptedTo).toEqual([TO, FROM]);
    expect(results[0]!.warnings.map((w) => w.code)).toContain('ecdh-recipient-mixed');
  });

  it('signs then encrypts: decrypts with either key, the inner entity verifies with OpenSSL', async () => {
    const info = await encrypting({ sign: signer }).sendMail(mail);
    for (const who of [bob, alice]) {
      const inner = opensslDecrypt(info.message, who);
      expect(inner.toString('latin1')).toMatch(/^Content-Type: multipart\/signed;/);
      expect(opensslVerify(inner)).toContain('figures.csv');
    }
    const read = await readMessage(info.message, { identities: [party(alice)], trust, from: FROM });
    expect(read.ok).toBe(true);
    expect(read.layers.map((l) => l.type)).toEqual(['enveloped', 'signed']);
  });

  it('Bcc recipients get a RecipientInfo and can decrypt, while no Bcc header is written', async () => {
    const info = await encrypting({ sign: signer }).sendMail({ ...mail, bcc: `Carol <${BCC}>` });
    expect(info.envelope.to).toEqual([TO, BCC]);
    expect(info.message.toString('latin1')).not.toMatch(/^Bcc:/im);
    expect(recipientCount(info.message)).toBe(3);
    const inner = opensslDecrypt(info.message, carol);
    expect(opensslVerify(inner)).toContain('Hello Bob,');
    const read = await readMessage(info.message, { identities: [party(carol)], trust, from: FROM });
    expect(read.ok).toBe(true);
  });

  it('a custom envelope decides who the message is encrypted to (one Bcc copy per recipient)', async () => {
    const info = await encrypting({ sign: signer }).sendMail({ ...mail, envelope: { from: FROM, to: [BCC] } });
    expect(info.envelope.to).toEqual([BCC]);
    expect(recipientCount(info.message)).toBe(2);
    opensslDecrypt(info.message, carol);
    opensslDecrypt(info.message, alice);
    const r = openssl(['cms', '-decrypt', '-in', save(info.message), '-recip', bob.certFile, '-inkey', bob.keyFile]);
    expect(r.status).not.toBe(0);
  });
});

describe('smimeNodemailer: per-message options', () => {
  it('smime: { sign: false, encrypt: true } encrypts an unsigned message; smime: false sends it as it is', async () => {
    const t = transport({ sign: signer, trust, directory });
    const encrypted = await t.sendMail({ ...mail, smime: { sign: false, encrypt: true } });
    expect(headerBlock(encrypted.message)).toContain('smime-type=enveloped-data');
    expect(opensslDecrypt(encrypted.message, alice).toString('latin1')).toMatch(/^Content-Type: multipart\/mixed;/);

    const plain = await t.sendMail({ ...mail, smime: false });
    expect(headerBlock(plain.message)).toMatch(/^Content-Type: multipart\/mixed;/m);
    expect(plain.message.toString('latin1')).toContain('Hello Bob,');

    const signed = await t.sendMail(mail); // the plugin's default: signed only
    expect(headerBlock(signed.message)).toMatch(/^Content-Type: multipart\/signed;/m);
  });

  it('a message can bring its own signer, which is then its sender for encryption', async () => {
    const t = transport({ trust, directory });
    const info = await t.sendMail({
      ...mail,
      from: TO,
      to: FROM,
      smime: { sign: { ...party(bob), chain: [pem('intermediate.pem')] }, encrypt: true },
    });
    expect(opensslVerify(opensslDecrypt(info.message, bob))).toContain('Hello Bob,');
    opensslDecrypt(info.message, alice);
  });

  it('allowMessageOptions: false refuses a message that has an smime option', async () => {
    const t = transport({ sign: signer, encrypt: true, trust, directory, allowMessageOptions: false });
    await expect(t.sendMail({ ...mail, smime: false })).rejects.toMatchObject({ code: 'bad-argument' });
    expect(headerBlock((await t.sendMail(mail)).message)).toContain('smime-type=enveloped-data');
  });

  it('a malformed per-message option fails the send with bad-argument', async () => {
    const t = transport({ sign: signer });
    await expect(t.sendMail({ ...mail, smime: { encrypt: 'yes' as unknown as boolean } })).rejects.toMatchObject({
      code: 'bad-argument',
    });
    // Encrypting needs trust and a directory, which this plugin was not given.
    await expect(t.sendMail({ ...mail, smime: { encrypt: true } })).rejects.toBeInstanceOf(ArgumentError);
  });
});

describe('smimeNodemailer: errors', () => {
  it('recipients without a valid certificate fail the send, naming every one of them; nothing is sent', async () => {
    const t = transport({ sign: signer, encrypt: true, trust, directory });
    const send = vi.spyOn(t.transporter, 'send');
    const error = await t.sendMail({ ...mail, cc: ['nocert.user@example.test', 'expired.user@example.test'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CertificateMissingError);
    expect((error as SmimeError).code).toBe('recipient-certificate-missing');
    expect((error as SmimeError).details.addresses).toEqual(['nocert.user@example.test', 'expired.user@example.test']);
    expect(send).not.toHaveBeenCalled();
  });

  it('the callback form receives the typed error too', async () => {
    const t = transport({ encrypt: true, trust, directory, senderCertificate: pem('ee-rsa.pem') });
    const [err, info] = await new Promise<[Error | null, unknown]>((resolve) =>
      t.sendMail({ ...mail, to: 'unknown.user@example.test' }, (e, i) => resolve([e, i])),
    );
    expect(err).toBeInstanceOf(SmimeError);
    expect((err as SmimeError).code).toBe('recipient-certificate-missing');
    expect(info).toBeUndefined();
  });

  it('a sender without a certificate cannot encrypt: sender-certificate-missing', async () => {
    await expect(transport({ encrypt: true, trust, directory }).sendMail(mail)).rejects.toMatchObject({
      name: 'CertificateMissingError',
      code: 'sender-certificate-missing',
      details: { address: FROM },
    });
    // A sender certificate that is not valid for the From address is no better.
    const other = transport({ encrypt: true, trust, directory, senderCertificate: pem('ee-p384.pem') });
    await expect(other.sendMail(mail)).rejects.toMatchObject({ code: 'sender-certificate-missing' });
    // Signing asked for by the message, with no identity anywhere.
    const none = transport({});
    await expect(none.sendMail({ ...mail, smime: { sign: true } })).rejects.toMatchObject({
      code: 'sender-certificate-missing',
    });
  });

  it('a key that does not belong to the certificate fails the send with key-mismatch', async () => {
    const t = transport({ sign: { certificate: alice.certificate, privateKey: bob.privateKey } });
    await expect(t.sendMail(mail)).rejects.toMatchObject({ name: 'CryptoError', code: 'key-mismatch' });
  });

  it("nodemailer's own errors (an unreadable attachment) are passed on as they are", async () => {
    const t = transport({ sign: signer });
    const attachments = [{ filename: 'gone.csv', path: join(dir, 'does-not-exist.csv') }];
    await expect(t.sendMail({ ...mail, attachments })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('unusable plugin options throw when the plugin is created', () => {
    expect(() => smimeNodemailer({ encrypt: true, directory })).toThrow(/options\.trust/);
    expect(() => smimeNodemailer({ encrypt: true, trust })).toThrow(/options\.directory/);
    expect(() => smimeNodemailer({ sign: { certificate: alice.certificate } as SmimeSigner })).toThrow(
      /certificate and privateKey/,
    );
    expect(() => smimeNodemailer(undefined as unknown as SmimeNodemailerOptions)).toThrow(ArgumentError);
  });

  it('registered for the compile step it refuses to run (the message is not built yet)', async () => {
    const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
    t.use('compile', smimeNodemailer({ sign: signer }));
    await expect(t.sendMail(mail)).rejects.toMatchObject({ code: 'bad-argument', message: /'stream'/ });
  });
});
