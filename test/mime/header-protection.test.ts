/**
 * RFC 9788 header protection at the MIME level (src/mime/header-protection.ts, header-policy.ts,
 * legacy-display.ts): the header confidentiality policies, composing a Cryptographic Payload (protected header
 * fields, HP-Outer, hp parameter, legacy display element), reading it back (protected fields, confidentiality,
 * outer mismatches) and removing the legacy display element, also on the RFC's own example payloads.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitMessage, toCrlf } from '../../src/mime/canonical.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { parseHeaderBlock } from '../../src/mime/headers.js';
import {
  hcpBaseline,
  hcpNoConfidentiality,
  hcpShy,
  headerConfidentialityPolicy,
} from '../../src/mime/header-policy.js';
import {
  confidentialFields,
  outerHeaderMismatches,
  payloadAsMessage,
  protectHeaders,
  protectedHeaderSection,
} from '../../src/mime/header-protection.js';
import { addLegacyDisplay, mainBodyParts, removeLegacyDisplay } from '../../src/mime/legacy-display.js';
import { fromLatin1, latin1, utf8 } from '../../src/util/bytes.js';
import { projectVectorPath } from '../helpers/vectors.js';

const crlf = (s: string): Uint8Array => toCrlf(utf8(s));
const text = (b: Uint8Array): string => latin1(b);

const MESSAGE = [
  'From: Alice <alice@example.test>',
  'To: Bob <bob@example.test>, "Carol C." <carol@example.test>',
  'Subject: Quarterly figures',
  'Keywords: finance',
  'Date: Mon, 1 Jun 2026 09:00:00 -0400',
  'Message-ID: <m1@example.test>',
  'Bcc: audit@example.test',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'Hello Bob.',
  '',
].join('\n');

function split(message = MESSAGE) {
  const s = splitMessage(crlf(message));
  return { outer: s.outerHeaders, inner: s.inner };
}

describe('header confidentiality policies (RFC 9788)', () => {
  it('hcp_baseline obscures Subject, removes Keywords and Comments, keeps everything else', () => {
    expect(hcpBaseline('Subject', 'Secret')).toBe('[...]');
    expect(hcpBaseline('SUBJECT', 'Secret')).toBe('[...]');
    expect(hcpBaseline('Keywords', 'a, b')).toBeNull();
    expect(hcpBaseline('Comments', 'x')).toBeNull();
    for (const [n, v] of [
      ['From', 'Alice <a@x.test>'],
      ['To', 'b@x.test'],
      ['Date', 'Mon, 1 Jun 2026 09:00:00 -0400'],
      ['Message-ID', '<1@x.test>'],
      ['User-Agent', 'Sample MUA'],
    ] as const)
      expect(hcpBaseline(n, v)).toBe(v);
  });

  it('hcp_shy also drops display names from From/To/Cc and moves the Date to UTC', () => {
    expect(hcpShy('From', 'Alice <alice@example.test>')).toBe('alice@example.test');
    expect(hcpShy('To', 'Bob <b@x.test>, "Carol, C." <c@x.test>, d@x.test')).toBe('b@x.test, c@x.test, d@x.test');
    expect(hcpShy('Date', 'Sat, 20 Feb 2021 10:09:02 -0500')).toBe('Sat, 20 Feb 2021 15:09:02 +0000');
    expect(hcpShy('Date', 'Sun, 31 Dec 2023 23:30:00 -0100')).toBe('Mon, 01 Jan 2024 00:30:00 +0000');
    expect(hcpShy('Subject', 'x')).toBe('[...]');
    expect(hcpShy('Keywords', 'x')).toBeNull();
    // What it cannot read it leaves alone: an undeliverable message is worse than a visible name.
    expect(hcpShy('To', 'undisclosed-recipients:;')).toBe('undisclosed-recipients:;');
    expect(hcpShy('Date', 'yesterday')).toBe('yesterday');
  });

  it('hcp_no_confidentiality and the option names', () => {
    expect(hcpNoConfidentiality('Subject', 'x')).toBe('x');
    expect(headerConfidentialityPolicy(undefined)).toBe(hcpBaseline);
    expect(headerConfidentialityPolicy('baseline')).toBe(hcpBaseline);
    expect(headerConfidentialityPolicy('shy')).toBe(hcpShy);
    expect(headerConfidentialityPolicy('none')).toBe(hcpNoConfidentiality);
    const own = (n: string, v: string) => (n === 'Date' ? null : v);
    expect(headerConfidentialityPolicy(own)).toBe(own);
  });
});

describe('protectHeaders: composing the Cryptographic Payload', () => {
  it('hp="clear": every header field but Bcc inside, the outer section untouched, no HP-Outer', () => {
    const { outer, inner } = split();
    const p = protectHeaders(outer, inner, { hp: 'clear' });
    expect(p.outerHeaders).toEqual(outer);
    expect(p.confidential).toEqual([]);
    expect(p.legacyDisplay).toBe(false);
    expect(text(p.payload)).toBe(
      [
        'From: Alice <alice@example.test>',
        'To: Bob <bob@example.test>, "Carol C." <carol@example.test>',
        'Subject: Quarterly figures',
        'Keywords: finance',
        'Date: Mon, 1 Jun 2026 09:00:00 -0400',
        'Message-ID: <m1@example.test>',
        'Content-Type: text/plain; charset=us-ascii;',
        ' hp="clear"',
        '',
        'Hello Bob.',
        '',
      ].join('\r\n'),
    );
  });

  it('hp="cipher" with hcp_baseline: Subject [...] and no Keywords outside, HP-Outer for each outer field, legacy display', () => {
    const { outer, inner } = split();
    const p = protectHeaders(outer, inner, { hp: 'cipher' });
    expect(p.outerHeaders.map((h) => `${h.name}: ${h.value}`)).toEqual([
      'From: Alice <alice@example.test>',
      'To: Bob <bob@example.test>, "Carol C." <carol@example.test>',
      'Subject: [...]',
      'Date: Mon, 1 Jun 2026 09:00:00 -0400',
      'Message-ID: <m1@example.test>',
      'Bcc: audit@example.test',
      'MIME-Version: 1.0',
    ]);
    expect(p.confidential).toEqual(['Subject', 'Keywords']);
    expect(p.legacyDisplay).toBe(true);
    expect(text(p.payload)).toBe(
      [
        'From: Alice <alice@example.test>',
        'To: Bob <bob@example.test>, "Carol C." <carol@example.test>',
        'Subject: Quarterly figures',
        'Keywords: finance',
        'Date: Mon, 1 Jun 2026 09:00:00 -0400',
        'Message-ID: <m1@example.test>',
        'HP-Outer: From: Alice <alice@example.test>',
        'HP-Outer: To: Bob <bob@example.test>, "Carol C." <carol@example.test>',
        'HP-Outer: Subject: [...]',
        'HP-Outer: Date: Mon, 1 Jun 2026 09:00:00 -0400',
        'HP-Outer: Message-ID: <m1@example.test>',
        'Content-Type: text/plain; charset="us-ascii"; hp-legacy-display="1";',
        ' hp="cipher"',
        '',
        'Subject: Quarterly figures',
        '',
        'Hello Bob.',
        '',
      ].join('\r\n'),
    );
  });

  it('hcp_shy: the legacy display element lists every user-facing field it changed, decoded', () => {
    const { outer, inner } = split(MESSAGE.replace('Subject: Quarterly figures', 'Subject: =?UTF-8?B?R3LDvMOfZQ==?='));
    const p = protectHeaders(outer, inner, { hp: 'cipher', policy: hcpShy });
    expect(p.outerHeaders.slice(0, 4).map((h) => `${h.name}: ${h.value}`)).toEqual([
      'From: alice@example.test',
      'To: bob@example.test, carol@example.test',
      'Subject: [...]',
      'Date: Mon, 01 Jun 2026 13:00:00 +0000',
    ]);
    const payload = parseMime(p.payload);
    // Grüße is not ASCII: the us-ascii part becomes utf-8 to carry it.
    expect(payload.contentType.params.charset).toBe('utf-8');
    expect(payload.headers.find((h) => h.name === 'Content-Transfer-Encoding')?.value).toBe('quoted-printable');
    expect(new TextDecoder().decode(decodedBody(payload))).toBe(
      'From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>, "Carol C." <carol@example.test>\r\n' +
        'Subject: Grüße\r\nDate: Mon, 1 Jun 2026 09:00:00 -0400\r\n\r\nHello Bob.\r\n',
    );
    expect(protectedHeaderSection(payload)!.hpOuter.slice(0, 2)).toEqual([
      ['From', 'alice@example.test'],
      ['To', 'bob@example.test, carol@example.test'],
    ]);
  });

  it('legacyDisplay: false, and a policy that hides nothing, add no legacy display element', () => {
    const { outer, inner } = split();
    expect(protectHeaders(outer, inner, { hp: 'cipher', legacyDisplay: false }).legacyDisplay).toBe(false);
    const none = protectHeaders(outer, inner, { hp: 'cipher', policy: hcpNoConfidentiality });
    expect(none.legacyDisplay).toBe(false);
    expect(none.confidential).toEqual([]);
    expect(text(none.payload)).toContain('HP-Outer: Subject: Quarterly figures\r\n');
  });

  it('refuses a bare entity and content that already carries hp', () => {
    const { outer, inner } = split();
    expect(() => protectHeaders([], inner, { hp: 'clear' })).toThrow(/no header field to protect/);
    const again = protectHeaders(outer, inner, { hp: 'clear' }).payload;
    expect(() => protectHeaders(outer, again, { hp: 'clear' })).toThrow(/already carries header protection/);
  });
});

const ALTERNATIVE = [
  'Content-Type: multipart/mixed; boundary="m"',
  '',
  '--m',
  'Content-Type: multipart/alternative; boundary="a"',
  '',
  '--a',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hello=20Bob.',
  '--a',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('<html><body class="x"><p>Hello Bob.</p></body></html>').toString('base64'),
  '--a--',
  '--m',
  'Content-Type: text/plain; name="notes.txt"',
  'Content-Disposition: attachment; filename="notes.txt"',
  '',
  'notes',
  '--m--',
  '',
].join('\r\n');

describe('legacy display element', () => {
  it('goes into every alternative of the first part, never into an attachment, and comes back out', () => {
    const entity = fromLatin1(ALTERNATIVE);
    expect(mainBodyParts(parseMime(entity)).map((p) => p.contentType.mediaType)).toEqual(['text/plain', 'text/html']);
    const { entity: decorated, decorated: count } = addLegacyDisplay(entity, [['Subject', 'Figures & <plans>']]);
    expect(count).toBe(2);
    const [plain, html] = mainBodyParts(parseMime(decorated));
    expect(plain!.contentType.params['hp-legacy-display']).toBe('1');
    expect(text(decodedBody(plain!))).toBe('Subject: Figures & <plans>\r\n\r\nHello Bob.');
    expect(text(decodedBody(html!))).toBe(
      '<html><body class="x">\r\n<div class="header-protection-legacy-display">\r\n<pre>Subject: Figures &amp; &lt;plans&gt;</pre>\r\n</div>\r\n<p>Hello Bob.</p></body></html>',
    );
    const attachment = parseMime(decorated).children[1]!;
    expect(text(decodedBody(attachment))).toBe('notes');
    // Reading it back: the element and the mark go, the text is what was written.
    const { entity: restored, removed } = removeLegacyDisplay(decorated);
    expect(removed).toBe(true);
    const [plain2, html2] = mainBodyParts(parseMime(restored));
    expect(plain2!.contentType.params['hp-legacy-display']).toBeUndefined();
    expect(text(decodedBody(plain2!))).toBe('Hello Bob.');
    // The line break written before the element stays: HTML does not show it.
    expect(text(decodedBody(html2!))).toBe('<html><body class="x">\r\n<p>Hello Bob.</p></body></html>');
  });

  it('HTML: nested divs are kept whole, and a hostile part costs no more than reading it', () => {
    const html = (body: string) => fromLatin1(`Content-Type: text/html; hp-legacy-display="1"\r\n\r\n<body>${body}`);
    const nested = removeLegacyDisplay(
      html('<DIV id=a Class="x header-protection-legacy-display"><div>Subject: S</div></DIV>\r\n<p>text</p>'),
    );
    expect(text(decodedBody(parseMime(nested.entity)))).toBe('<body><p>text</p>');
    const started = Date.now();
    for (const body of [`<div class="${'<div class="'.repeat(200_000)}`, `<div ${'class="a '.repeat(200_000)}>`])
      expect(removeLegacyDisplay(html(body)).removed).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('is not removed from parts without the mark, nor from a text part without a blank line', () => {
    const plain = fromLatin1('Content-Type: text/plain\r\n\r\nSubject: not an element\r\n\r\nbody\r\n');
    expect(removeLegacyDisplay(plain)).toEqual({ entity: plain, removed: false });
    const noBlank = fromLatin1('Content-Type: text/plain; hp-legacy-display="1"\r\n\r\nonly one line');
    expect(removeLegacyDisplay(noBlank).removed).toBe(false);
  });
});

describe('reading protected header fields', () => {
  const protectedPayload = (hp: 'clear' | 'cipher') => {
    const { outer, inner } = split();
    return protectHeaders(outer, inner, { hp });
  };

  it('hp="clear": the protected fields, nothing confidential, a changed outer Subject is a mismatch', () => {
    const p = protectedPayload('clear');
    const section = protectedHeaderSection(parseMime(p.payload))!;
    expect(section.hp).toBe('clear');
    expect(section.fields.map((h) => h.name)).toEqual(['From', 'To', 'Subject', 'Keywords', 'Date', 'Message-ID']);
    expect(section.hpOuter).toEqual([]);
    expect(confidentialFields(section)).toEqual([]);
    expect(outerHeaderMismatches(p.outerHeaders, section)).toEqual([]);
    const tampered = parseHeaderBlock(
      crlf(text(fromLatin1(MESSAGE.split('\n\n')[0]!)).replace('Quarterly figures', 'Pay invoice 4711') + '\n'),
    );
    expect(outerHeaderMismatches(tampered, section)).toEqual([
      { name: 'Subject', protected: ['Quarterly figures'], outer: ['Pay invoice 4711'] },
    ]);
  });

  it('hp="cipher": outer fields are compared with the HP-Outer records; an added Cc is reported', () => {
    const p = protectedPayload('cipher');
    const section = protectedHeaderSection(parseMime(p.payload))!;
    expect(confidentialFields(section)).toEqual(['Subject', 'Keywords']);
    expect(outerHeaderMismatches(p.outerHeaders, section)).toEqual([]);
    const replayed = [
      ...p.outerHeaders,
      ...parseHeaderBlock(fromLatin1('Cc: mallory@evil.test\r\nReceived: from relay\r\n')),
    ];
    expect(outerHeaderMismatches(replayed, section)).toEqual([
      { name: 'Cc', protected: [], outer: ['mallory@evil.test'], recorded: [] },
    ]);
  });

  it('no hp parameter, or an unknown value: no header protection', () => {
    expect(protectedHeaderSection(parseMime(crlf(MESSAGE)))).toBeUndefined();
    expect(protectedHeaderSection(parseMime(crlf(MESSAGE.replace('us-ascii', 'us-ascii; hp=maybe'))))).toBeUndefined();
  });
});

interface VectorExpectation {
  file: string;
  hp: 'clear' | 'cipher';
  display: Record<string, string>;
  confidential: string[];
  legacyDisplayRemoved: boolean;
  bodyText?: string;
  bodyIncludes?: string[];
  bodyExcludes?: string[];
}
const expected = JSON.parse(readFileSync(projectVectorPath('rfc9788', 'expected.json'), 'utf8')) as {
  vectors: VectorExpectation[];
};

describe('RFC 9788 example payloads (vectors/rfc9788)', () => {
  for (const v of expected.vectors) {
    it(`${v.file}: parses and renders as the RFC says`, () => {
      const payload = parseMime(toCrlf(readFileSync(projectVectorPath('rfc9788', v.file))));
      const section = protectedHeaderSection(payload)!;
      expect(section.hp).toBe(v.hp);
      for (const [name, value] of Object.entries(v.display))
        expect(section.fields.find((h) => h.name === name)?.value).toBe(value);
      expect(confidentialFields(section)).toEqual(v.confidential);
      const { entity, removed } = removeLegacyDisplay(payload.source);
      expect(removed).toBe(v.legacyDisplayRemoved);
      const shown = parseMime(payloadAsMessage(parseMime(entity)));
      expect(shown.headers.some((h) => h.name === 'HP-Outer')).toBe(false);
      const body = text(decodedBody(shown));
      if (v.bodyText !== undefined) expect(body).toBe(v.bodyText);
      for (const s of v.bodyIncludes ?? []) expect(body).toContain(s);
      for (const s of v.bodyExcludes ?? []) expect(body).not.toContain(s);
    });
  }
});
