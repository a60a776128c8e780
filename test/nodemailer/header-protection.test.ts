/**
 * smimekit/nodemailer's `headerProtection` (RFC 9788), plugin-wide and per message, with a real nodemailer and
 * its stream transport: the sent message's outer Subject is `[...]` when it is encrypted, readMessage shows the
 * real one, and OpenSSL decrypts and verifies what was sent.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { StreamSentMessageInfo, Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smimeNodemailer, type SmimeNodemailerOptions } from '../../src/nodemailer.js';
import { ArgumentError } from '../../src/errors.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { readMessage } from '../../src/smime/read.js';
import type { SmimeSigner } from '../../src/smime/sign.js';
import { chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir('smimekit-nodemailer-hp-');
const FROM = 'rsa.user@example.test';
const TO = 'p256.user@example.test';
const pem = (name: string): string => readFileSync(chainFile(name), 'utf8');

let alice: TestIdentity;
let bob: TestIdentity;
let signer: SmimeSigner;
let trust: TrustList;
let directory: MemoryDirectory;

beforeAll(async () => {
  [alice, bob] = await Promise.all([identity('ee-rsa'), identity('ee-p256')]);
  signer = { certificate: alice.certificate, privateKey: alice.privateKey, chain: [pem('intermediate.pem')] };
  trust = new TrustList().addBytes(readFileSync(chainFile('root.pem')));
  directory = new MemoryDirectory({ name: 'GAL' });
  for (const name of ['ee-rsa', 'ee-p256'])
    directory.add({ mail: `${name.slice(3)}.user@example.test`, userCertificate: [pem(`${name}.pem`)] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Sent = StreamSentMessageInfo & { message: Buffer };

function transport(options: SmimeNodemailerOptions): Transporter<Sent> {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  t.use('stream', smimeNodemailer({ intermediates: [pem('intermediate.pem')], ...options }));
  return t as unknown as Transporter<Sent>;
}

const mail = {
  from: `Alice <${FROM}>`,
  to: `Bob <${TO}>`,
  subject: 'Quarterly figures',
  text: 'Hello Bob,\nthe figures are in.\n',
  messageId: '<hp-nodemailer@example.test>',
};

const outerSubject = (m: Buffer) => /^Subject: (.*)$/m.exec(m.toString('latin1').split('\r\n\r\n')[0]!)?.[1];

let n = 0;
function opensslDecrypt(message: Uint8Array, who: TestIdentity): Buffer {
  const file = join(dir, `hp-${++n}.eml`);
  writeFileSync(file, message);
  const r = openssl(['cms', '-decrypt', '-in', file, '-recip', who.certFile, '-inkey', who.keyFile]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('smimeNodemailer: headerProtection', () => {
  it('plugin-wide, signed and encrypted: outer Subject [...], readMessage shows the real one, OpenSSL verifies inside', async () => {
    const info = await transport({ sign: signer, encrypt: true, trust, directory, headerProtection: true }).sendMail(
      mail,
    );
    expect(outerSubject(info.message)).toBe('[...]');
    expect(info.message.toString('latin1')).not.toContain('Quarterly figures');
    const read = await readMessage(info.message, { identities: [bob], trust });
    expect([read.ok, read.layers.map((l) => l.type)]).toEqual([true, ['enveloped', 'signed']]);
    expect(read.headerProtection).toMatchObject({
      hp: 'cipher',
      trusted: true,
      protectedBy: { signature: true, encryption: true },
      confidential: ['Subject'],
      legacyDisplayRemoved: true,
    });
    expect(read.headerProtection!.displayHeaders).toContainEqual(['Subject', 'Quarterly figures']);
    const inner = opensslDecrypt(info.message, bob);
    const file = join(dir, 'hp-inner.eml');
    writeFileSync(file, inner);
    const verified = openssl(['cms', '-verify', '-in', file, '-CAfile', chainFile('root.pem')]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout.toString('latin1')).toContain('Subject: Quarterly figures\r\n\r\nHello Bob,');
  });

  it('per message: encrypt only with the shy policy; signed only (hp="clear") keeps the Subject outside', async () => {
    const t = transport({ sign: signer, trust, directory });
    const encrypted = await t.sendMail({
      ...mail,
      smime: { sign: false, encrypt: true, headerProtection: { policy: 'shy', legacyDisplay: false } },
    });
    expect(outerSubject(encrypted.message)).toBe('[...]');
    expect(encrypted.message.toString('latin1')).toMatch(/^From: rsa\.user@example\.test$/m);
    const read = await readMessage(encrypted.message, { identities: [bob], trust });
    expect(read.headerProtection).toMatchObject({ hp: 'cipher', confidential: ['From', 'To', 'Subject'] }); // nodemailer's Date is UTC already
    expect(read.headerProtection!.displayHeaders).toContainEqual(['Subject', 'Quarterly figures']);

    const signed = await t.sendMail({ ...mail, smime: { headerProtection: true } });
    expect(outerSubject(signed.message)).toBe('Quarterly figures');
    const verified = await readMessage(signed.message, { trust });
    expect(verified.headerProtection).toMatchObject({ hp: 'clear', trusted: true, confidential: [] });
  });

  it('a message option turns the plugin-wide setting off; an unusable value is bad-argument', async () => {
    const t = transport({
      encrypt: true,
      trust,
      directory,
      senderCertificate: pem('ee-rsa.pem'),
      headerProtection: true,
    });
    const off = await t.sendMail({ ...mail, smime: { headerProtection: false } });
    expect(outerSubject(off.message)).toBe('Quarterly figures');
    expect((await readMessage(off.message, { identities: [bob], trust })).headerProtection).toBeUndefined();
    await expect(t.sendMail({ ...mail, smime: { headerProtection: 'yes' as unknown as boolean } })).rejects.toThrow(
      ArgumentError,
    );
    expect(() => smimeNodemailer({ headerProtection: { policy: 'open' as 'shy' } })).toThrow(
      /unknown header confidentiality policy/,
    );
  });
});
