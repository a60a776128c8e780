/** composeMessage's RFC 5322 side and Bcc fork planning, without crypto: headers, encoded-words, the body entity. */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { decodeEncodedWords, getHeader, parseHeaderBlock } from '../../src/mime/headers.js';
import { planMessageCopies, type MailEnvelope } from '../../src/smime/compose.js';
import { buildHeaders, contentEntity } from '../../src/smime/compose-headers.js';

const AT = new Date('2026-06-01T00:00:00Z');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('headers and plans (no crypto)', () => {
  it('builds RFC 5322 headers: encoded-words for non-ASCII, quoted names, folding, and never Bcc', () => {
    const h = buildHeaders({
      from: { name: 'Zoë Müller', address: 'zoe@contoso.test' },
      to: [
        '"Doe, John" <john@contoso.test>',
        ...Array.from({ length: 6 }, (_, i) => `user${i}.with.a.long.name@contoso.test`),
      ],
      cc: ['john@CONTOSO.test', 'Plain Name <plain@contoso.test>'],
      bcc: ['secret@contoso.test', 'john@contoso.test', 'secret@CONTOSO.test'],
      subject: 'Grüße – 報告 for Q3 with a subject long enough to need more than one encoded word',
      date: AT,
      messageId: 'abc.123@contoso.test',
      headers: { 'X-Mailer': 'test' },
    });
    const fields = parseHeaderBlock(new TextEncoder().encode(h.text));
    expect(fields.map((f) => f.name)).toEqual([
      'From',
      'To',
      'Cc',
      'Subject',
      'Date',
      'Message-ID',
      'MIME-Version',
      'X-Mailer',
    ]);
    expect(h.text).not.toMatch(/^bcc:/im);
    expect(h.text).not.toContain('secret@');
    for (const line of h.text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(h.text).toMatch(/^[\x20-\x7e\r\n]*$/); // 7-bit
    expect(decodeEncodedWords(getHeader(fields, 'subject')!)).toBe(
      'Grüße – 報告 for Q3 with a subject long enough to need more than one encoded word',
    );
    expect(decodeEncodedWords(getHeader(fields, 'from')!)).toBe('Zoë Müller <zoe@contoso.test>');
    expect(getHeader(fields, 'to')).toMatch(/^"Doe, John" <john@contoso\.test>, user0/);
    expect(getHeader(fields, 'cc')).toBe('Plain Name <plain@contoso.test>'); // john@CONTOSO.test is already in To
    expect(getHeader(fields, 'date')).toBe('Mon, 01 Jun 2026 00:00:00 +0000');
    expect(getHeader(fields, 'message-id')).toBe('<abc.123@contoso.test>');
    expect(h.bcc).toEqual(['secret@contoso.test']); // deduplicated, To/Cc addresses removed
    expect(h.visible).toHaveLength(8);
  });

  it('refuses header injection, unwritable addresses and reserved extra headers', () => {
    const cases: [Partial<MailEnvelope>, string][] = [
      [{ subject: 'hi\r\nBcc: x@contoso.test' }, 'bad-argument'],
      [{ from: { name: 'A\nB', address: 'a@contoso.test' } }, 'bad-argument'],
      [{ to: ['bob@contoso.test, carol@contoso.test'] }, 'bad-address'],
      [{ to: ['not-an-address'] }, 'bad-address'],
      [{ to: ['jörg@contoso.test'] }, 'bad-address'],
      [{ headers: { Bcc: 'x@contoso.test' } }, 'bad-argument'],
      [{ headers: { 'Content-Type': 'text/html' } }, 'bad-argument'],
      [{ headers: { 'X-A': 'b\r\nBcc: x@contoso.test' } }, 'bad-argument'],
      [{ messageId: 'no at sign' }, 'bad-argument'],
      [{ date: new Date('x') }, 'bad-argument'],
    ];
    for (const [extra, code] of cases) {
      try {
        buildHeaders({ from: 'alice@contoso.test', to: ['bob@contoso.test'], ...extra });
        expect.unreachable(JSON.stringify(extra));
      } catch (e) {
        expect((e as ArgumentError).code, JSON.stringify(extra)).toBe(code);
      }
    }
  });

  it('turns plain text into text/plain and keeps a MIME entity; message headers in the content are refused', () => {
    expect(text(contentEntity('Hello.\n'))).toBe(
      'Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello.\r\n',
    );
    expect(text(contentEntity('Grüße\r\n'))).toBe(
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n',
    );
    expect(text(contentEntity('Note: this is text, not a header\r\n'))).toMatch(/^Content-Type: text\/plain/);
    const html = 'MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hé</p>\r\n';
    expect(text(contentEntity(html))).toBe(
      'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>h=C3=A9</p>\r\n',
    );
    expect(() => contentEntity('Content-Type: text/plain\r\nBcc: x@contoso.test\r\n\r\nx')).toThrow(
      /belong in the envelope/,
    );
  });

  it('plans 1, 2 or N+1 copies', () => {
    const v = ['bob@x.test', 'carol@x.test'];
    const b = ['dave@x.test', 'erin@x.test', 'grace@x.test'];
    expect(planMessageCopies(v, b, null)).toEqual([{ kind: 'main', rcptTo: [...v, ...b], encryptTo: [] }]);
    expect(planMessageCopies(v, b, 'none')).toEqual([{ kind: 'main', rcptTo: [...v, ...b], encryptTo: [...v, ...b] }]);
    expect(planMessageCopies(v, b, 'all-bcc')).toEqual([
      { kind: 'main', rcptTo: v, encryptTo: v },
      { kind: 'bcc', rcptTo: b, encryptTo: b },
    ]);
    expect(planMessageCopies(v, b, 'per-recipient').map((p) => [p.kind, p.rcptTo])).toEqual([
      ['main', v],
      ['bcc', [b[0]]],
      ['bcc', [b[1]]],
      ['bcc', [b[2]]],
    ]);
    expect(planMessageCopies([], b, 'per-recipient')).toHaveLength(3); // no To/Cc: no main copy
    expect(planMessageCopies(v, [], 'per-recipient')).toHaveLength(1);
    expect(() => planMessageCopies([], [], null)).toThrow(ArgumentError);
  });
});
