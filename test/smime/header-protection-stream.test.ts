/**
 * RFC 9788 header protection in the streaming API: signMessageStream and encryptMessageStream write what
 * signMessage and encryptMessage write (the buffered readers report the same headerProtection, the payloads are
 * byte-identical, OpenSSL verifies and decrypts), the legacy display element goes before a streamed text/plain
 * body and is refused where it cannot, and verifyMessageStream / readMessageStream report headerProtection
 * (header section only) under the buffered readers' trust rule, once the verdict is final.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { encryptMessage, type EncryptMessageOptions } from '../../src/smime/encrypt.js';
import { encryptMessageStream } from '../../src/smime/encrypt-stream.js';
import { readMessage } from '../../src/smime/read.js';
import { readMessageStream } from '../../src/smime/read-stream.js';
import { signMessage, type SignMessageOptions } from '../../src/smime/sign.js';
import { signMessageStream } from '../../src/smime/sign-stream.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { verifyMessageStream } from '../../src/smime/verify-stream.js';
import type { HeaderProtectionResult } from '../../src/smime/header-protection-read.js';
import type { TrustList } from '../../src/trust/trust-list.js';
import { fromLatin1, latin1, utf8 } from '../../src/util/bytes.js';
import { openssl, opensslVerifyMime } from '../cms/fixtures.js';
import { PKI_AT as AT, type IssuedUser, issueAliceAndBob } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';
import { chunked as chunkedBy, collect } from '../helpers/streams.js';

const dir = tempDir();
let alice: IssuedUser;
let bob: IssuedUser;
let trust: TrustList;

beforeAll(async () => {
  ({ alice, bob, trust } = await issueAliceAndBob(dir));
});

const HEAD = [
  'From: Alice <alice@example.test>',
  'To: Bob <bob@example.test>',
  'Subject: Quarterly figures',
  'Date: Mon, 1 Jun 2026 09:00:00 +0000',
  'Message-ID: <hp-stream@example.test>',
  'MIME-Version: 1.0',
];
const BODY = Array.from({ length: 3000 }, (_, i) => `line ${i} of the figures`).join('\r\n') + '\r\n';
const message = (contentHeaders = ['Content-Type: text/plain; charset=us-ascii'], body = BODY, head = HEAD) =>
  fromLatin1([...head, ...contentHeaders, '', body].join('\r\n'));

/** Pieces of odd sizes, so the header section arrives split anywhere. */
const ODD = [1, 7, 300, 4096, 13];
const chunked = (bytes: Uint8Array): ReadableStream<Uint8Array> => chunkedBy(bytes, ODD);

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
const streamSigned = async (m: Uint8Array, o: Partial<SignMessageOptions>) =>
  collect(await signMessageStream(chunked(m), signOptions(o)));
const streamEncrypted = async (m: Uint8Array, o: Partial<EncryptMessageOptions>) =>
  collect((await encryptMessageStream(chunked(m), encryptOptions(o))).stream);

/** What must be the same whichever function wrote the message. */
function essentials(hp: HeaderProtectionResult | undefined) {
  expect(hp).toBeDefined();
  const { protectedHeaders, hpOuter, confidential, hp: value, trusted, legacyDisplayRemoved, display } = hp!;
  return {
    protectedHeaders,
    hpOuter,
    confidential,
    hp: value,
    trusted,
    legacyDisplayRemoved,
    display: latin1(display),
  };
}

/** The header section (up to the blank line) of a message. */
const headOf = (m: Uint8Array) => latin1(m).slice(0, latin1(m).indexOf('\r\n\r\n'));
/** Outer header section without the (differently encoded) S/MIME Content-* fields. */
const outerOf = (m: Uint8Array) =>
  headOf(m)
    .split(/\r\n(?![ \t])/)
    .filter((l) => !/^content-/i.test(l));

describe('signMessageStream with headerProtection', () => {
  it('detached, hp="clear": byte-identical to signMessage with the same boundary up to the signature; OpenSSL verifies', async () => {
    const input = message([
      'Content-Type: text/plain; charset=us-ascii',
      'Content-Transfer-Encoding: quoted-printable',
    ]);
    const options = { headerProtection: true, boundary: 'hp-stream-boundary' } as const;
    const streamed = await streamSigned(input, options);
    const buffered = await signMessage(input, signOptions(options));
    const cut = (m: Uint8Array) => latin1(m).slice(0, latin1(m).indexOf('Content-Type: application/pkcs7-signature'));
    expect(cut(streamed)).toBe(cut(buffered));
    const [s, b] = [await verifyMessage(streamed, { trust, at: AT }), await verifyMessage(buffered, { trust, at: AT })];
    expect([s.ok, s.warnings]).toEqual([true, []]);
    expect(essentials(s.headerProtection)).toEqual(essentials(b.headerProtection));
    expect(s.headerProtection!.protectedHeaders.find(([n]) => n === 'Subject')).toEqual([
      'Subject',
      'Quarterly figures',
    ]);
    const r = opensslVerifyMime(dir, streamed);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString('latin1')).toContain('Subject: Quarterly figures\r\n');
  });

  it('opaque, forEncryption: Subject [...] outside, the same payload as signMessage, legacy display before the body', async () => {
    const options = { headerProtection: { forEncryption: true }, detached: false } as const;
    const streamed = await streamSigned(message(), options);
    const buffered = await signMessage(message(), signOptions(options));
    expect(outerOf(streamed)).toEqual(outerOf(buffered));
    expect(latin1(streamed)).toContain('\r\nSubject: [...]\r\n');
    const [s, b] = [await verifyMessage(streamed, { trust, at: AT }), await verifyMessage(buffered, { trust, at: AT })];
    expect(latin1(s.content)).toBe(latin1(b.content));
    expect(latin1(decodedBody(parseMime(s.content))).startsWith('Subject: Quarterly figures\r\n\r\nline 0 ')).toBe(
      true,
    );
    expect(essentials(s.headerProtection)).toEqual(essentials(b.headerProtection));
    expect(opensslVerifyMime(dir, streamed).status).toBe(0);
  });

  it('a bare entity and an unknown policy are refused as signMessage refuses them', async () => {
    const entity = fromLatin1('Content-Type: text/plain\r\n\r\nhi\r\n');
    await expect(signMessageStream(chunked(entity), signOptions({ headerProtection: true }))).rejects.toThrow(
      /whole message/,
    );
    await expect(
      signMessageStream(chunked(message()), signOptions({ headerProtection: { policy: 'x' as 'shy' } })),
    ).rejects.toThrow(/unknown header confidentiality policy "x"/);
  });
});

describe('encryptMessageStream with headerProtection', () => {
  it('baseline: Subject [...] outside, the payload byte-identical to encryptMessage, readMessage reports the same; OpenSSL decrypts', async () => {
    const streamed = await streamEncrypted(message(), { headerProtection: true });
    const { message: buffered } = await encryptMessage(message(), encryptOptions({ headerProtection: true }));
    expect(latin1(streamed)).not.toContain('Quarterly figures');
    expect(outerOf(streamed)).toEqual(outerOf(buffered));
    const [s, b] = [await readAsBob(streamed), await readAsBob(buffered)];
    expect(latin1(s.content)).toBe(latin1(b.content));
    expect(essentials(s.headerProtection)).toEqual(essentials(b.headerProtection));
    expect(s.headerProtection).toMatchObject({ confidential: ['Subject'], legacyDisplayRemoved: true, trusted: true });
    const file = join(dir, 'hp-stream-enc.eml');
    writeFileSync(file, streamed);
    const r = openssl(['cms', '-decrypt', '-in', file, '-recip', bob.certFile, '-inkey', bob.keyFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString('latin1')).toContain(
      '\r\n\r\nSubject: Quarterly figures\r\n\r\nline 0 of the figures\r\n',
    );
  });

  it('a non-ASCII Subject over a 7bit body: the part becomes quoted-printable as it streams, as encryptMessage makes it', async () => {
    const head = HEAD.map((h) => (h.startsWith('Subject:') ? 'Subject: =?utf-8?q?Zahlen_f=C3=BCr_Q2?=' : h));
    const body = `${BODY}a line with = and trailing space \r\n`;
    const input = message(['Content-Type: text/plain; charset=us-ascii'], body, head);
    const streamed = await streamEncrypted(input, { headerProtection: true });
    const { message: buffered } = await encryptMessage(input, encryptOptions({ headerProtection: true }));
    const [s, b] = [await readAsBob(streamed), await readAsBob(buffered)];
    expect(latin1(s.content)).toBe(latin1(b.content));
    expect(latin1(s.content)).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(decodedBody(parseMime(s.content)).subarray(0, 21)).toEqual(utf8('Subject: Zahlen für Q2'.slice(0, 20)));
    expect(essentials(s.headerProtection)).toEqual(essentials(b.headerProtection));
  });

  it('8bit and quoted-printable bodies, shy policy, no legacy display: the same as encryptMessage', async () => {
    const cases: [string[], Partial<EncryptMessageOptions>][] = [
      [['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'], { headerProtection: true }],
      [
        ['Content-Type: text/plain', 'Content-Transfer-Encoding: quoted-printable'],
        { headerProtection: { policy: 'shy' } },
      ],
      [['Content-Type: multipart/mixed; boundary="b1"'], { headerProtection: { legacyDisplay: false } }],
    ];
    const multipart = '--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n';
    for (const [content, options] of cases) {
      const input = message(content, content[0]!.includes('multipart') ? multipart : BODY);
      const streamed = await streamEncrypted(input, options);
      const { message: buffered } = await encryptMessage(input, encryptOptions(options));
      expect(outerOf(streamed)).toEqual(outerOf(buffered));
      const [s, b] = [await readAsBob(streamed), await readAsBob(buffered)];
      expect(latin1(s.content)).toBe(latin1(b.content));
      expect(essentials(s.headerProtection)).toEqual(essentials(b.headerProtection));
    }
  });

  it('a body the legacy display element cannot be streamed into is refused (legacy-display-unsupported), before any output', async () => {
    const bodies: [string[], string][] = [
      [['Content-Type: multipart/mixed; boundary="b1"'], '--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n'],
      [['Content-Type: text/html; charset=utf-8'], '<p>hi</p>\r\n'],
      [['Content-Type: text/plain', 'Content-Transfer-Encoding: base64'], 'aGkNCg==\r\n'],
    ];
    for (const [content, body] of bodies) {
      const e = await encryptMessageStream(
        chunked(message(content, body)),
        encryptOptions({ headerProtection: true }),
      ).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as ArgumentError).code).toBe('legacy-display-unsupported');
      expect((e as Error).message).toContain('legacyDisplay: false');
    }
    // An attachment-only body gets no legacy display element from encryptMessage either: accepted.
    const pdf = message(['Content-Type: application/pdf', 'Content-Transfer-Encoding: base64'], 'JVBERi0=\r\n');
    const s = await readAsBob(await streamEncrypted(pdf, { headerProtection: true }));
    expect(s.headerProtection).toMatchObject({ confidential: ['Subject'], legacyDisplayRemoved: false });
  });

  it('signed for encryption (streamed), then encrypted (streamed): both layers vouch; hp="clear" or no hp is refused', async () => {
    const signed = await streamSigned(message(), { headerProtection: { forEncryption: true } });
    const streamed = await streamEncrypted(signed, { headerProtection: true });
    const { message: buffered } = await encryptMessage(signed, encryptOptions({ headerProtection: true }));
    const [s, b] = [await readAsBob(streamed), await readAsBob(buffered)];
    expect([s.ok, s.layers.map((l) => l.type)]).toEqual([true, ['enveloped', 'signed']]);
    expect(essentials(s.headerProtection)).toEqual(essentials(b.headerProtection));
    expect(s.headerProtection!.protectedBy).toEqual({ signature: true, encryption: true });
    for (const hp of [undefined, true]) {
      const clear = await streamSigned(message(), hp ? { headerProtection: hp } : {});
      await expect(streamEncrypted(clear, { headerProtection: true })).rejects.toThrow(
        hp ? 'already signed with hp="clear"' : 'already signed without header protection',
      );
    }
    const opaque = await signMessage(
      message(),
      signOptions({ detached: false, headerProtection: { forEncryption: true } }),
    );
    await expect(streamEncrypted(opaque, { headerProtection: true })).rejects.toThrow(/opaque signed message/);
  });
});

describe('the streaming readers report headerProtection', () => {
  it('verifyMessageStream: as verifyMessage, with the header section to display; a changed Subject is header-mismatch', async () => {
    const signed = await signMessage(message(), signOptions({ headerProtection: true }));
    const changed = fromLatin1(latin1(signed).replace('Subject: Quarterly figures', 'Subject: Re: nothing'));
    for (const m of [signed, changed]) {
      const { stream, report } = await verifyMessageStream(chunked(m), { trust, at: AT });
      await collect(stream);
      const r = await report;
      const b = await verifyMessage(m, { trust, at: AT });
      const { display, legacyDisplayRemoved: _l, ...rest } = b.headerProtection!;
      void _l;
      const { displayHead, ...streamedRest } = r.headerProtection!;
      expect(streamedRest).toEqual(rest);
      expect(latin1(displayHead)).toBe(headOf(display) + '\r\n\r\n');
      expect(r.warnings).toEqual(b.warnings);
    }
    const r = await (async () => {
      const v = await verifyMessageStream(chunked(changed), { trust, at: AT });
      await collect(v.stream);
      return v.report;
    })();
    expect(r.warnings.map((w) => w.code)).toEqual(['header-mismatch']);
    expect(r.headerProtection!.displayHeaders).toContainEqual(['Subject', 'Quarterly figures']);
  });

  it('verifyMessageStream: a broken signature: the stream errors, the report does not trust the protected fields', async () => {
    const signed = latin1(
      await signMessage(
        message(['Content-Type: text/plain', 'Content-Transfer-Encoding: quoted-printable']),
        signOptions({ headerProtection: true }),
      ),
    );
    const tampered = fromLatin1(signed.replace('line 5 of', 'line 6 of'));
    const { stream, report } = await verifyMessageStream(chunked(tampered), { trust, at: AT });
    await expect(collect(stream)).rejects.toThrow();
    const hp = (await report).headerProtection!;
    expect([hp.trusted, hp.protectedBy.signature, hp.outerMismatches]).toEqual([false, false, []]);
    expect(hp.displayHeaders).toContainEqual(['Subject', 'Quarterly figures']); // the outer one, unchanged here
  });

  it('readMessageStream: encrypted, and signed then encrypted, as readMessage reports them', async () => {
    const signed = await signMessage(message(), signOptions({ headerProtection: { forEncryption: true } }));
    const inputs = [
      (await encryptMessage(message(), encryptOptions({ headerProtection: true }))).message,
      (await encryptMessage(signed, encryptOptions({ headerProtection: true }))).message,
    ];
    for (const m of inputs) {
      const read = await readMessageStream(chunked(m), { identities: [bob.identity], trust, at: AT });
      const content = await collect(read.stream);
      const r = await read.result;
      const b = await readAsBob(m);
      expect(latin1(content)).toBe(latin1(b.content));
      const { display: _d, legacyDisplayRemoved: _l, ...rest } = b.headerProtection!;
      void [_d, _l];
      const { displayHead, ...streamedRest } = r.headerProtection!;
      expect(streamedRest).toEqual(rest);
      expect(latin1(displayHead)).toContain('Subject: Quarterly figures\r\n');
      expect(latin1(displayHead).endsWith('\r\n\r\n')).toBe(true);
      expect(r.warnings).toEqual(b.warnings);
      expect(r.headerProtection!.trusted).toBe(true);
    }
  });

  it('readMessageStream: an outer Subject changed in transit is header-mismatch; no header protection, no field', async () => {
    const { message: m } = await encryptMessage(message(), encryptOptions({ headerProtection: true }));
    const changed = fromLatin1(latin1(m).replace('Subject: [...]', 'Subject: [list] [...]'));
    const read = await readMessageStream(chunked(changed), { identities: [bob.identity], trust, at: AT });
    await collect(read.stream);
    const r = await read.result;
    expect(r.warnings).toEqual((await readAsBob(changed)).warnings);
    expect(r.warnings.filter((w) => w.code === 'header-mismatch')).toHaveLength(1);
    expect(r.headerProtection!.outerMismatches[0]).toMatchObject({ name: 'Subject', outer: ['[list] [...]'] });
    const plain = (await encryptMessage(message(), encryptOptions())).message;
    const other = await readMessageStream(chunked(plain), { identities: [bob.identity], trust, at: AT });
    await collect(other.stream);
    expect('headerProtection' in (await other.result)).toBe(false);
  });
});
