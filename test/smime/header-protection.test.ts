/**
 * RFC 9788 header protection through the public functions: signMessage, encryptMessage and composeMessage with
 * `headerProtection`, read back by verifyMessage and readMessage (`headerProtection`, `header-mismatch`), and
 * OpenSSL as the independent reader (it verifies and decrypts what smimekit writes; what it outputs is what a
 * client without header protection support shows: the legacy display element at the top of the text).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import { composeMessage } from '../../src/smime/compose.js';
import { encryptMessage, type EncryptMessageOptions } from '../../src/smime/encrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { signMessage, type SignMessageOptions } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { verifyReportToJson, verifyReportToText } from '../../src/smime/report.js';
import type { HeaderProtectionResult } from '../../src/smime/header-protection-read.js';
import type { TrustList } from '../../src/trust/trust-list.js';
import { fromLatin1, latin1 } from '../../src/util/bytes.js';
import { openssl, opensslVerifyMime } from '../cms/fixtures.js';
import { PKI_AT as AT, type IssuedUser, issueAliceAndBob } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir();
let alice: IssuedUser;
let bob: IssuedUser;
let trust: TrustList;

beforeAll(async () => {
  ({ alice, bob, trust } = await issueAliceAndBob(dir));
});

const MESSAGE = [
  'From: Alice <alice@example.test>',
  'To: Bob <bob@example.test>',
  'Subject: Quarterly figures',
  'Date: Mon, 1 Jun 2026 09:00:00 +0000',
  'Message-ID: <hp-1@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'Hello Bob,',
  'the figures are in.',
  '',
].join('\r\n');

const PROTECTED: [string, string][] = [
  ['From', 'Alice <alice@example.test>'],
  ['To', 'Bob <bob@example.test>'],
  ['Subject', 'Quarterly figures'],
  ['Date', 'Mon, 1 Jun 2026 09:00:00 +0000'],
  ['Message-ID', '<hp-1@example.test>'],
];

const signOptions = (extra: Partial<SignMessageOptions> = {}): SignMessageOptions => ({
  signer: alice.identity,
  signingTime: AT,
  ...extra,
});
const encryptOptions = (extra: Partial<EncryptMessageOptions> = {}): EncryptMessageOptions => ({
  recipients: [bob.certificate],
  sender: alice.certificate,
  trust,
  at: AT,
  ...extra,
});
const readAsBob = (m: Uint8Array) => readMessage(m, { identities: [bob.identity], trust, at: AT });
const codes = (list: readonly { code: string }[]) => list.map((w) => w.code);
const hpWarnings = (list: readonly { code: string; message: string }[]) =>
  list.filter((w) => w.code === 'header-mismatch');

/** The result without the display bytes, and the display message parsed. */
function split(hp: HeaderProtectionResult | undefined) {
  expect(hp).toBeDefined();
  const { display, ...rest } = hp!;
  const shown = parseMime(display);
  return { rest, shown, body: latin1(decodedBody(shown)) };
}

function opensslDecrypt(m: Uint8Array): string {
  const file = join(dir, `enc-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, m);
  const r = openssl(['cms', '-decrypt', '-in', file, '-recip', bob.certFile, '-inkey', bob.keyFile]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.toString('latin1');
}

describe('signed only (hp="clear")', () => {
  it('signMessage protects the header fields; verifyMessage reports them, OpenSSL verifies', async () => {
    const signed = await signMessage(MESSAGE, signOptions({ headerProtection: true }));
    const report = await verifyMessage(signed, { trust, at: AT });
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([]);
    const { rest, shown, body } = split(report.headerProtection);
    expect(rest).toEqual({
      format: 'rfc9788',
      hp: 'clear',
      scheme: 'signed-only',
      trusted: true,
      protectedBy: { signature: true, encryption: false },
      protectedHeaders: PROTECTED,
      hpOuter: [],
      confidential: [],
      outerMismatches: [],
      displayHeaders: PROTECTED,
      legacyDisplayRemoved: false,
    });
    expect(shown.headers.map((h) => h.name)).toEqual([...PROTECTED.map(([n]) => n), 'Content-Type', 'MIME-Version']);
    expect(body).toBe('Hello Bob,\r\nthe figures are in.\r\n');
    expect(verifyReportToText(report)).toContain(
      '\nheader protection: signed-only (hp="clear"), the protected header fields are displayed\n',
    );
    expect((verifyReportToJson(report) as { headerProtection: unknown }).headerProtection).toEqual({
      ...rest,
      displayLength: report.headerProtection!.display.length,
    });
    // Outside: the header section as it was (nothing hidden when only signing).
    expect(latin1(signed).startsWith(MESSAGE.split('\r\n').slice(0, 6).join('\r\n'))).toBe(true);
    const r = opensslVerifyMime(dir, signed);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString('latin1')).toBe(
      `${PROTECTED.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\nContent-Type: text/plain; charset=us-ascii;\r\n hp="clear"\r\n\r\nHello Bob,\r\nthe figures are in.\r\n`,
    );
  });

  it('an outer Subject changed after signing is reported (header-mismatch), the protected one is displayed', async () => {
    for (const detached of [true, false]) {
      const signed = await signMessage(MESSAGE, signOptions({ headerProtection: true, detached }));
      const tampered = fromLatin1(latin1(signed).replace('Subject: Quarterly figures', 'Subject: Pay invoice 4711'));
      const report = await verifyMessage(tampered, { trust, at: AT });
      expect(report.ok).toBe(true); // the signature is fine: the outer header is not what it covers
      expect(report.warnings).toEqual([
        {
          code: 'header-mismatch',
          message:
            'the outer Subject header is "Pay invoice 4711" but the protected header says "Quarterly figures": changed in transit or by an attacker (show the protected value)',
        },
      ]);
      const hp = report.headerProtection!;
      expect(hp.outerMismatches).toEqual([
        { name: 'Subject', protected: ['Quarterly figures'], outer: ['Pay invoice 4711'] },
      ]);
      expect(hp.displayHeaders.find(([n]) => n === 'Subject')).toEqual(['Subject', 'Quarterly figures']);
      // readMessage says the same.
      const read = await readMessage(tampered, { trust, at: AT });
      expect(hpWarnings(read.warnings)).toEqual([{ layer: 0, ...report.warnings[0]! }]);
      expect(read.headerProtection!.displayHeaders).toEqual(hp.displayHeaders);
    }
  });

  it('a broken signature: the protected header fields are not trusted, the outer ones are displayed', async () => {
    const signed = await signMessage(MESSAGE, signOptions({ headerProtection: true }));
    // The inner (signed) Subject changed: the signature no longer verifies.
    const text = latin1(signed);
    const inner = text.indexOf('Subject: Quarterly figures', text.indexOf('This is an S/MIME signed message'));
    const forged = fromLatin1(
      `${text.slice(0, inner)}Subject: Quarterly figurez${text.slice(inner + 26)}`.replace(
        'Subject: Quarterly figures',
        'Subject: Outer subject',
      ),
    );
    const report = await verifyMessage(forged, { trust, at: AT });
    expect(report.ok).toBe(false);
    expect(codes(report.problems)).toContain('digest-mismatch');
    const hp = report.headerProtection!;
    expect([hp.trusted, hp.protectedBy.signature, hp.outerMismatches]).toEqual([false, false, []]);
    expect(hp.protectedHeaders[2]).toEqual(['Subject', 'Quarterly figurez']);
    // The outer header fields are displayed, as for a message without header protection.
    expect(hp.displayHeaders[2]).toEqual(['Subject', 'Outer subject']);
    expect(hpWarnings(report.warnings)).toEqual([]);
  });
});

describe('encrypted (hp="cipher")', () => {
  it('encryptMessage keeps the Subject out of the clear; readMessage shows it; OpenSSL decrypts to the legacy display', async () => {
    const { message } = await encryptMessage(MESSAGE, encryptOptions({ headerProtection: true }));
    const clear = latin1(message);
    expect(clear).not.toContain('Quarterly figures');
    expect(clear.split('\r\n').slice(0, 5)).toEqual([
      'From: Alice <alice@example.test>',
      'To: Bob <bob@example.test>',
      'Subject: [...]',
      'Date: Mon, 1 Jun 2026 09:00:00 +0000',
      'Message-ID: <hp-1@example.test>',
    ]);
    const read = await readAsBob(message);
    expect(read.encrypted).toBe(true);
    expect(hpWarnings(read.warnings)).toEqual([]);
    const { rest, shown, body } = split(read.headerProtection);
    expect(rest).toEqual({
      format: 'rfc9788',
      hp: 'cipher',
      scheme: 'encrypted',
      trusted: true,
      protectedBy: { signature: false, encryption: true },
      protectedHeaders: PROTECTED,
      hpOuter: PROTECTED.map(([n, v]) => [n, n === 'Subject' ? '[...]' : v]),
      confidential: ['Subject'],
      outerMismatches: [],
      displayHeaders: PROTECTED,
      legacyDisplayRemoved: true,
    });
    expect(shown.contentType.params['hp-legacy-display']).toBeUndefined();
    expect(body).toBe('Hello Bob,\r\nthe figures are in.\r\n');
    // The content itself is the payload as decrypted, legacy display element included.
    expect(latin1(decodedBody(parseMime(read.content)))).toBe(
      'Subject: Quarterly figures\r\n\r\nHello Bob,\r\nthe figures are in.\r\n',
    );
    // A client without RFC 9788 support (OpenSSL's output is what it renders) shows the real Subject in the text.
    const out = opensslDecrypt(message);
    expect(out).toContain('Content-Type: text/plain; charset="us-ascii"; hp-legacy-display="1";\r\n hp="cipher"\r\n');
    expect(out).toContain('HP-Outer: Subject: [...]\r\n');
    expect(out.endsWith('\r\n\r\nSubject: Quarterly figures\r\n\r\nHello Bob,\r\nthe figures are in.\r\n')).toBe(true);
  });

  it('an outer header changed in transit is reported against the HP-Outer record', async () => {
    const { message } = await encryptMessage(MESSAGE, encryptOptions({ headerProtection: true }));
    const changed = fromLatin1(
      latin1(message)
        .replace('Subject: [...]', 'Subject: [list] [...]')
        .replace('To: Bob', 'Cc: mallory@evil.test\r\nTo: Bob'),
    );
    const read = await readAsBob(changed);
    expect(read.headerProtection!.outerMismatches).toEqual([
      { name: 'Subject', protected: ['Quarterly figures'], outer: ['[list] [...]'], recorded: ['[...]'] },
      { name: 'Cc', protected: [], outer: ['mallory@evil.test'], recorded: [] },
    ]);
    expect(hpWarnings(read.warnings).map((w) => w.message)).toEqual([
      'the outer Subject header is "[list] [...]" but the sender wrote "[...]" outside (HP-Outer) and the protected header says "Quarterly figures": changed in transit or by an attacker (show the protected value)',
      'the outer Cc header is "mallory@evil.test" but the sender wrote no Cc header outside (no HP-Outer record) and the message has no protected Cc header: changed in transit or by an attacker (show the protected value)',
    ]);
    // A reply goes to the protected recipients: no Cc in what is displayed.
    expect(read.headerProtection!.displayHeaders.map(([n]) => n)).toEqual(PROTECTED.map(([n]) => n));
  });

  it('shy policy and no legacy display', async () => {
    const { message } = await encryptMessage(
      MESSAGE,
      encryptOptions({ headerProtection: { policy: 'shy', legacyDisplay: false } }),
    );
    expect(latin1(message).split('\r\n').slice(0, 4)).toEqual([
      'From: alice@example.test',
      'To: bob@example.test',
      'Subject: [...]',
      'Date: Mon, 01 Jun 2026 09:00:00 +0000',
    ]);
    const hp = (await readAsBob(message)).headerProtection!;
    expect(hp.confidential).toEqual(['From', 'To', 'Subject', 'Date']);
    expect([hp.legacyDisplayRemoved, hp.outerMismatches]).toEqual([false, []]);
  });

  it('signed for encryption, then encrypted: both layers vouch, OpenSSL decrypts and verifies', async () => {
    const signed = await signMessage(MESSAGE, signOptions({ headerProtection: { forEncryption: true } }));
    expect(latin1(signed)).toContain('\r\nSubject: [...]\r\n');
    const { message } = await encryptMessage(signed, encryptOptions({ headerProtection: true }));
    expect(latin1(message)).not.toContain('Quarterly figures');
    const read = await readAsBob(message);
    expect([read.ok, read.layers.map((l) => l.type)]).toEqual([true, ['enveloped', 'signed']]);
    expect(read.warnings).toEqual([]);
    const { rest, body } = split(read.headerProtection);
    expect([rest.hp, rest.trusted, rest.protectedBy, rest.confidential, rest.legacyDisplayRemoved]).toEqual([
      'cipher',
      true,
      { signature: true, encryption: true },
      ['Subject'],
      true,
    ]);
    expect(body).toBe('Hello Bob,\r\nthe figures are in.\r\n');
    const inner = fromLatin1(opensslDecrypt(message));
    const verified = opensslVerifyMime(dir, inner);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout.toString('latin1')).toContain('HP-Outer: Subject: [...]\r\n');
  });

  it('refuses to encrypt with header protection a message signed without it (or signed hp="clear")', async () => {
    for (const headerProtection of [undefined, true]) {
      const signed = await signMessage(MESSAGE, signOptions(headerProtection ? { headerProtection } : {}));
      const e = await encryptMessage(signed, encryptOptions({ headerProtection: true })).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as ArgumentError).code).toBe('bad-argument');
      expect((e as Error).message).toContain(
        headerProtection ? 'already signed with hp="clear"' : 'already signed without header protection',
      );
    }
  });

  it('refuses a bare entity and an unknown policy', async () => {
    const entity = 'Content-Type: text/plain\r\n\r\nhi\r\n';
    await expect(encryptMessage(entity, encryptOptions({ headerProtection: true }))).rejects.toThrow(/whole message/);
    await expect(
      encryptMessage(MESSAGE, encryptOptions({ headerProtection: { policy: 'paranoid' as 'shy' } })),
    ).rejects.toThrow(/unknown header confidentiality policy "paranoid"/);
  });
});

describe('composeMessage', () => {
  const compose = async (
    sign: boolean,
    encrypt: boolean,
    policy: { tripleWrap?: boolean; clearSign?: boolean } = {},
  ) => {
    const directory = new MemoryDirectory({ name: 'GAL' });
    directory.add({ mail: 'bob@example.test', userCertificate: [bob.certificate] });
    const { messages } = await composeMessage(
      {
        from: 'Alice <alice@example.test>',
        to: ['Bob <bob@example.test>'],
        subject: 'Board minutes',
        content: 'Minutes attached.\r\n',
        date: AT,
        messageId: 'compose-hp@example.test',
      },
      { identity: alice.identity, directory, trust, at: AT, sign, encrypt, headerProtection: true, policy },
    );
    return messages[0]!.message;
  };

  it('signed and encrypted: Subject [...] outside, the protected header fields inside the signature', async () => {
    const message = await compose(true, true);
    expect(latin1(message)).not.toContain('Board minutes');
    expect(latin1(message)).toContain('\r\nSubject: [...]\r\n');
    const read = await readAsBob(message);
    expect([read.ok, read.layers.map((l) => l.type), read.warnings]).toEqual([true, ['enveloped', 'signed'], []]);
    const hp = read.headerProtection!;
    expect([hp.hp, hp.trusted, hp.protectedBy, hp.confidential]).toEqual([
      'cipher',
      true,
      { signature: true, encryption: true },
      ['Subject'],
    ]);
    expect(hp.displayHeaders).toEqual([
      ['From', 'Alice <alice@example.test>'],
      ['To', 'Bob <bob@example.test>'],
      ['Subject', 'Board minutes'],
      ['Date', 'Mon, 01 Jun 2026 00:00:00 +0000'],
      ['Message-ID', '<compose-hp@example.test>'],
    ]);
    expect(latin1(decodedBody(parseMime(hp.display)))).toBe('Minutes attached.\r\n');
  });

  it('triple wrapped, opaque signatures: the payload inside both signatures and the envelope', async () => {
    const message = await compose(true, true, { tripleWrap: true, clearSign: false });
    expect(latin1(message)).not.toContain('Board minutes');
    const read = await readAsBob(message);
    expect([read.ok, read.layers.map((l) => l.type), read.warnings]).toEqual([
      true,
      ['signed', 'enveloped', 'signed'],
      [],
    ]);
    const hp = read.headerProtection!;
    expect([hp.hp, hp.protectedBy, hp.outerMismatches, hp.legacyDisplayRemoved]).toEqual([
      'cipher',
      { signature: true, encryption: true },
      [],
      true,
    ]);
    expect(hp.displayHeaders.find(([n]) => n === 'Subject')).toEqual(['Subject', 'Board minutes']);
  });

  it('signed only: hp="clear", nothing hidden; encrypted only: hp="cipher"', async () => {
    const signed = await compose(true, false);
    expect(latin1(signed)).toContain('\r\nSubject: Board minutes\r\n');
    const verified = await verifyMessage(signed, { trust, at: AT });
    expect([verified.ok, verified.headerProtection!.hp, verified.headerProtection!.trusted]).toEqual([
      true,
      'clear',
      true,
    ]);
    const encrypted = await compose(false, true);
    expect(latin1(encrypted)).not.toContain('Board minutes');
    const read = await readAsBob(encrypted);
    expect([read.headerProtection!.hp, read.headerProtection!.protectedBy]).toEqual([
      'cipher',
      { signature: false, encryption: true },
    ]);
  });
});

describe('messages without header protection read exactly as before', () => {
  it('no headerProtection field, no header-mismatch, and headerProtection: false writes the same bytes', async () => {
    const boundary = 'fixed-boundary-for-the-test';
    const plain = await signMessage(MESSAGE, signOptions({ boundary }));
    expect(await signMessage(MESSAGE, signOptions({ boundary, headerProtection: false }))).toEqual(plain);
    const report = await verifyMessage(plain, { trust, at: AT });
    expect(report.ok).toBe(true);
    expect('headerProtection' in report).toBe(false);
    // An outer Subject changed on a message without header protection: nothing to compare it with.
    const changed = fromLatin1(latin1(plain).replace('Quarterly figures', 'Changed'));
    expect((await verifyMessage(changed, { trust, at: AT })).warnings).toEqual([]);
    const { message } = await encryptMessage(plain, encryptOptions());
    const read = await readAsBob(message);
    expect(read.ok).toBe(true);
    expect('headerProtection' in read).toBe(false);
    expect(latin1(message)).toContain('Subject: Quarterly figures');
  });
});

describe('the sender check reads the protected From', () => {
  it('a signer whose certificate is not for the protected From is sender-mismatch, whatever the outer From says', async () => {
    const forged = MESSAGE.replace('From: Alice <alice@example.test>', 'From: CEO <ceo@example.test>');
    const signed = latin1(await signMessage(fromLatin1(forged), signOptions({ headerProtection: true })));
    // The outer From is made to match the signer; the protected one (what a client shows) still says ceo@.
    const disguised = fromLatin1(signed.replace('From: CEO <ceo@example.test>', 'From: Alice <alice@example.test>'));
    const report = await verifyMessage(disguised, { trust, at: AT });
    expect(report.ok).toBe(false);
    expect(codes(report.problems)).toContain('sender-mismatch');
    const read = await readMessage(disguised, { trust, at: AT });
    expect(read.ok).toBe(false);
    expect(codes(read.problems)).toContain('sender-mismatch');
  });
});
