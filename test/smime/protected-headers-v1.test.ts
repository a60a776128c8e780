/**
 * The schemes older than RFC 9788 on messages built for the test (what the notmuch samples do not cover):
 * `protected-headers="v1"` with a Subject changed outside, only the Subject protected (mutt), a
 * text/rfc822-headers legacy display part (Enigmail), parts that must not be taken for one; RFC 8551's
 * `message/rfc822; forwarded="no"` wrapper, and a plain forwarded message that is not header protection.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '../../src/cms/enveloped-create.js';
import { createSignedData } from '../../src/cms/signer.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { pkcs7MimeHead } from '../../src/smime/encrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { OPAQUE_SIGNED_HEAD } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import type { TrustList } from '../../src/trust/trust-list.js';
import { base64Bytes, concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';
import { PKI_AT as AT, type IssuedUser, issueAliceAndBob } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir();
let alice: IssuedUser;
let bob: IssuedUser;
let trust: TrustList;

beforeAll(async () => {
  ({ alice, bob, trust } = await issueAliceAndBob(dir));
});

const crlf = (lines: string[]) => lines.join('\r\n');
const FROM = 'Alice <alice@example.test>';
const TO = 'Bob <bob@example.test>';
const DATE = 'Mon, 1 Jun 2026 09:00:00 +0000';
const outer = (subject: string, from = FROM) =>
  `From: ${from}\r\nTo: ${TO}\r\nSubject: ${subject}\r\nDate: ${DATE}\r\nMessage-ID: <v1@example.test>\r\nReceived: from relay.example.test\r\n`;

/** `payload` signed (opaque) and/or encrypted to Bob, under the outer header section `head`. */
async function wrap(payload: string, head: string, how: { sign?: boolean; encrypt?: boolean }): Promise<Uint8Array> {
  let inner = fromLatin1(payload);
  if (how.sign) {
    const cms = await createSignedData(inner, {
      signers: [{ certificate: alice.certificate, privateKey: alice.privateKey, digest: 'sha256', chain: alice.chain }],
      signingTime: AT,
    });
    inner = concatBytes(OPAQUE_SIGNED_HEAD, base64Bytes(cms, 76));
  }
  if (how.encrypt) {
    const envelope = await createEnvelope(inner, [{ certificate: bob.certificate }], { cipher: 'aes-256-gcm' });
    inner = concatBytes(pkcs7MimeHead(envelope.contentType), base64Bytes(envelope.der, 76));
  }
  return concatBytes(fromLatin1(`${head}MIME-Version: 1.0\r\n`), inner);
}
const readAsBob = (m: Uint8Array) => readMessage(m, { identities: [bob.identity], trust, at: AT });
const subjectOf = (display: Uint8Array) => parseMime(display).headers.find((h) => h.name === 'Subject')?.value;

const SIGNED_V1 = crlf([
  `From: ${FROM}`,
  `To: ${TO}`,
  'Subject: Quarterly figures',
  'Content-Type: text/plain; charset=us-ascii; protected-headers=V1',
  '',
  'The figures are in.',
  '',
]);

describe('protected-headers="v1"', () => {
  it('signed only, the outer Subject changed on the way: header-mismatch, the protected Subject displayed', async () => {
    const message = await wrap(SIGNED_V1, outer('Pay invoice 4711'), { sign: true });
    const report = await verifyMessage(message, { trust, at: AT });
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([
      {
        code: 'header-mismatch',
        message:
          'the outer Subject header is "Pay invoice 4711" but the protected header says "Quarterly figures": changed in transit or by an attacker (show the protected value)',
      },
    ]);
    const { display, ...hp } = report.headerProtection!;
    expect(hp).toEqual({
      format: 'protected-headers-v1',
      hp: 'clear',
      scheme: 'signed-only',
      trusted: true,
      protectedBy: { signature: true, encryption: false },
      protectedHeaders: [
        ['From', FROM],
        ['To', TO],
        ['Subject', 'Quarterly figures'],
      ],
      hpOuter: [],
      confidential: [],
      outerMismatches: [{ name: 'Subject', protected: ['Quarterly figures'], outer: ['Pay invoice 4711'] }],
      // Date and Message-ID were not copied inside: shown from outside; Received (a trace field) is not.
      displayHeaders: [
        ['From', FROM],
        ['To', TO],
        ['Subject', 'Quarterly figures'],
        ['Date', DATE],
        ['Message-ID', '<v1@example.test>'],
      ],
      legacyDisplayRemoved: false,
    });
    expect(subjectOf(display)).toBe('Quarterly figures');
    expect(latin1(decodedBody(parseMime(display)))).toBe('The figures are in.\r\n');
    // A Subject of "..." outside a message that is not encrypted is not the expected obscuring either.
    const dotted = await verifyMessage(await wrap(SIGNED_V1, outer('...'), { sign: true }), { trust, at: AT });
    expect(dotted.headerProtection!.outerMismatches.map((m) => m.outer)).toEqual([['...']]);
  });

  it('encrypted, only the Subject protected (mutt): the outer From, To, Date still shown, "Encrypted Message" expected', async () => {
    const payload = crlf([
      'Subject: Board minutes',
      'Content-Type: text/plain; protected-headers="v1"',
      '',
      'Minutes attached.',
      '',
    ]);
    const read = await readAsBob(await wrap(payload, outer('Encrypted Message'), { encrypt: true }));
    expect([read.ok, read.warnings]).toEqual([true, []]);
    const { display, ...hp } = read.headerProtection!;
    expect([hp.format, hp.hp, hp.trusted, hp.protectedBy, hp.confidential, hp.outerMismatches]).toEqual([
      'protected-headers-v1',
      'cipher',
      true,
      { signature: false, encryption: true },
      ['Subject'],
      [],
    ]);
    expect(hp.displayHeaders).toEqual([
      ['Subject', 'Board minutes'],
      ['From', FROM],
      ['To', TO],
      ['Date', DATE],
      ['Message-ID', '<v1@example.test>'],
    ]);
    expect(subjectOf(display)).toBe('Board minutes');
  });

  it('a text/rfc822-headers legacy display part (Enigmail) is removed, the other parts stay', async () => {
    const payload = crlf([
      `From: ${FROM}`,
      'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=',
      'Content-Type: multipart/mixed; boundary="b1"; protected-headers="v1"',
      '',
      '--b1',
      'Content-Type: text/rfc822-headers; charset=utf-8; protected-headers="v1"',
      'Content-Disposition: inline',
      'Content-Transfer-Encoding: 8bit',
      '',
      latin1(new TextEncoder().encode('Subject: Grüße')),
      '',
      '--b1',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Hello Bob.',
      '--b1',
      'Content-Type: application/octet-stream',
      'Content-Disposition: attachment; filename="a.bin"',
      '',
      'AAAA',
      '--b1--',
      '',
    ]);
    const read = await readAsBob(await wrap(payload, outer('...'), { sign: true, encrypt: true }));
    const hp = read.headerProtection!;
    expect([read.ok, hp.confidential, hp.legacyDisplayRemoved, hp.outerMismatches]).toEqual([
      true,
      ['Subject'],
      true,
      [],
    ]);
    expect(hp.displayHeaders.find(([n]) => n === 'Subject')).toEqual(['Subject', 'Grüße']);
    const shown = parseMime(hp.display);
    expect(shown.headers.find((h) => h.name === 'Subject')?.value).toBe('=?utf-8?q?Gr=C3=BC=C3=9Fe?=');
    expect(shown.children.map((c) => c.contentType.mediaType)).toEqual(['text/plain', 'application/octet-stream']);
    expect(latin1(decodedBody(shown.children[0]!))).toBe('Hello Bob.');
  });

  it('a first part with text of its own, or on a message that is not encrypted, is not removed', async () => {
    const mixed = (first: string) =>
      crlf([
        `From: ${FROM}`,
        'Subject: Quarterly figures',
        'Content-Type: multipart/mixed; boundary="b2"; protected-headers="v1"',
        '',
        '--b2',
        'Content-Type: text/plain; protected-headers="v1"',
        'Content-Disposition: inline',
        '',
        first,
        '--b2',
        'Content-Type: text/plain',
        '',
        'Second part.',
        '--b2--',
        '',
      ]);
    const partsShown = (display: Uint8Array) => parseMime(display).children.length;
    const wordy = await readAsBob(
      await wrap(mixed('Subject: Quarterly figures\r\nSee the numbers.'), outer('...'), { encrypt: true }),
    );
    expect([wordy.headerProtection!.legacyDisplayRemoved, partsShown(wordy.headerProtection!.display)]).toEqual([
      false,
      2,
    ]);
    // A line for a field that is not confidential (From is shown outside as it is) is not a legacy display.
    const from = await readAsBob(await wrap(mixed(`From: ${FROM}`), outer('...'), { encrypt: true }));
    expect(from.headerProtection!.legacyDisplayRemoved).toBe(false);
    const signedOnly = await verifyMessage(
      await wrap(mixed('Subject: Quarterly figures'), outer('Quarterly figures'), { sign: true }),
      { trust, at: AT },
    );
    expect([
      signedOnly.headerProtection!.legacyDisplayRemoved,
      partsShown(signedOnly.headerProtection!.display),
    ]).toEqual([false, 2]);
  });

  it('thousands of protected fields and legacy display lines are read in linear time', async () => {
    const n = 20_000;
    const fields = Array.from({ length: n }, (_, i) => `Keywords: k${i}`);
    const payload = crlf([
      'Subject: Many',
      ...fields,
      'Content-Type: multipart/mixed; boundary="b3"; protected-headers="v1"',
      '',
      '--b3',
      'Content-Type: text/rfc822-headers; protected-headers="v1"',
      '',
      ...fields,
      '--b3',
      'Content-Type: text/plain',
      '',
      'Body.',
      '--b3--',
      '',
    ]);
    const message = await wrap(payload, outer('...') + fields.slice(0, 100).join('\r\n') + '\r\n', { encrypt: true });
    const started = performance.now();
    const hp = (await readAsBob(message)).headerProtection!;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect([hp.protectedHeaders.length, hp.confidential, hp.legacyDisplayRemoved]).toEqual([n + 1, ['Subject'], true]);
    // The outer Keywords are the first 100 of the 20 000 protected ones: a mismatch, reported once.
    expect(hp.outerMismatches.map((m) => [m.name, m.protected.length, m.outer.length])).toEqual([['Keywords', n, 100]]);
  });

  it('hp wins over protected-headers; an unknown hp value leaves v1; v1 without copied fields is nothing', async () => {
    const typed = (params: string) => SIGNED_V1.replace('protected-headers=V1', params);
    const hpFormat = async (params: string) =>
      (await verifyMessage(await wrap(typed(params), outer('Quarterly figures'), { sign: true }), { trust, at: AT }))
        .headerProtection?.format;
    expect(await hpFormat('hp="clear"; protected-headers="v1"')).toBe('rfc9788');
    expect(await hpFormat('hp="other"; protected-headers="v1"')).toBe('protected-headers-v1');
    expect(await hpFormat('protected-headers="v2"')).toBeUndefined();
    const bare = 'Content-Type: text/plain; protected-headers="v1"\r\n\r\nNo fields.\r\n';
    const report = await verifyMessage(await wrap(bare, outer('x'), { sign: true }), { trust, at: AT });
    expect([report.ok, 'headerProtection' in report]).toEqual([true, false]);
  });
});

describe('RFC 8551 §3.1: message/rfc822; forwarded="no"', () => {
  const wrapped = (params: string) =>
    crlf([
      `Content-Type: message/rfc822${params}`,
      '',
      `From: ${FROM}`,
      `To: ${TO}`,
      'Subject: Wrapped subject',
      `Date: ${DATE}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Inside the wrapper.',
      '',
    ]);

  it('the wrapped message is what is displayed; the obscured outer Subject is expected', async () => {
    const read = await readAsBob(await wrap(wrapped('; forwarded="no"'), outer('...'), { sign: true, encrypt: true }));
    const { display, ...hp } = read.headerProtection!;
    expect([read.ok, read.warnings]).toEqual([true, []]);
    expect(hp).toEqual({
      format: 'rfc8551-wrapped',
      hp: 'cipher',
      scheme: 'encrypted',
      trusted: true,
      protectedBy: { signature: true, encryption: true },
      protectedHeaders: [
        ['From', FROM],
        ['To', TO],
        ['Subject', 'Wrapped subject'],
        ['Date', DATE],
      ],
      hpOuter: [],
      confidential: ['Subject'],
      outerMismatches: [],
      displayHeaders: [
        ['From', FROM],
        ['To', TO],
        ['Subject', 'Wrapped subject'],
        ['Date', DATE],
        ['Message-ID', '<v1@example.test>'],
      ],
      legacyDisplayRemoved: false,
    });
    expect(subjectOf(display)).toBe('Wrapped subject');
    expect(latin1(decodedBody(parseMime(display)))).toBe('Inside the wrapper.\r\n');
  });

  it('a forwarded message (no forwarded="no") is not header protection', async () => {
    for (const params of ['', '; forwarded="yes"']) {
      const read = await readAsBob(await wrap(wrapped(params), outer('Fwd: something'), { sign: true, encrypt: true }));
      expect([read.ok, 'headerProtection' in read, read.warnings]).toEqual([true, false, []]);
    }
  });
});
