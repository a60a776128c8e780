import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bodyBytes,
  canonicalizeEntity,
  decodedBody,
  decodeEncodedWords,
  decodeQuotedPrintable,
  encodeBase64Body,
  encodeQuotedPrintable,
  entityBytes,
  isSevenBitSafe,
  joinMessage,
  parseAddresses,
  parseContentType,
  parseMime,
  splitMessage,
  toCrlf,
  decodeBase64Body,
} from '../../src/mime/index.js';
import { fromLatin1, latin1, utf8 } from '../../src/util/bytes.js';
import { SmimeError } from '../../src/errors.js';

const text = (b: Uint8Array) => latin1(b);

describe('headers', () => {
  it('unfolds, keeps raw bytes, and parses parameters', () => {
    const m = parseMime(
      'Subject: a\r\n  folded\r\nContent-Type: multipart/signed;\r\n\tprotocol="application/pkcs7-signature";\r\n micalg=sha-256; boundary="b\\"q"\r\n\r\nbody',
    );
    expect(m.headers.map((h) => h.value)).toEqual([
      'a  folded',
      'multipart/signed;\tprotocol="application/pkcs7-signature"; micalg=sha-256; boundary="b\\"q"',
    ]);
    expect(text(m.headers[0]!.raw)).toBe('Subject: a\r\n  folded\r\n');
    expect(m.contentType).toEqual({
      mediaType: 'multipart/signed',
      type: 'multipart',
      subtype: 'signed',
      params: { protocol: 'application/pkcs7-signature', micalg: 'sha-256', boundary: 'b"q' },
    });
  });
  it('RFC 2231 continuations and charsets', () => {
    const ct = parseContentType(`application/octet-stream; name*0*=utf-8''%E2%9C%93%20a; name*1=" b.txt"; x=1`);
    expect(ct.params).toEqual({ name: '✓ a b.txt', x: '1' });
  });
  it('defaults to text/plain; charset=us-ascii', () => {
    expect(parseContentType(undefined).mediaType).toBe('text/plain');
    expect(parseContentType('garbage').mediaType).toBe('text/plain');
  });
  it('encoded words and addresses', () => {
    expect(decodeEncodedWords('=?utf-8?B?4pyT?= =?ISO-8859-1?Q?caf=E9_au_lait?=')).toBe('✓café au lait');
    expect(parseAddresses('"Doe, John" <john@example.com>, jane@example.org (Jane), bad')).toEqual([
      'john@example.com',
      'jane@example.org',
    ]);
  });
});

describe('multipart parsing keeps exact bytes', () => {
  const msg =
    'Content-Type: multipart/mixed; boundary=XYZ\r\n\r\npreamble\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nhello --XYZ not a delimiter\r\n--XYZ  \r\n' +
    'Content-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\n\r\nA\r\n--inner--\r\n\r\n--XYZ--\r\nepilogue\r\n';
  it('finds parts, nested parts, and excludes the CRLF before each delimiter', () => {
    const m = parseMime(msg);
    expect(m.children).toHaveLength(2);
    expect(text(entityBytes(m.children[0]!))).toBe('Content-Type: text/plain\r\n\r\nhello --XYZ not a delimiter');
    expect(text(bodyBytes(m.children[0]!))).toBe('hello --XYZ not a delimiter');
    const alt = m.children[1]!;
    expect(alt.contentType.mediaType).toBe('multipart/alternative');
    expect(alt.children).toHaveLength(1);
    expect(alt.children[0]!.headers).toEqual([]);
    expect(text(bodyBytes(alt.children[0]!))).toBe('A');
  });
  it('works the same with LF-only line endings', () => {
    const lf = parseMime(msg.replace(/\r\n/g, '\n'));
    expect(text(entityBytes(lf.children[0]!))).toBe('Content-Type: text/plain\n\nhello --XYZ not a delimiter');
    expect(lf.children[1]!.children).toHaveLength(1);
  });
  it('an empty part ends where the next delimiter begins: canonical form keeps every byte as it is', () => {
    for (const eol of ['\r\n', '\n']) {
      const src = `Content-Type: multipart/mixed; boundary=b${eol}${eol}--b${eol}${eol}--b${eol}${eol}x${eol}--b--${eol}`;
      const m = parseMime(src);
      expect(m.children).toHaveLength(2);
      const empty = m.children[0]!;
      expect([empty.start, empty.bodyStart, empty.end]).toEqual([empty.start, empty.start, empty.start]);
      expect(empty.headers).toEqual([]);
      expect(text(bodyBytes(m.children[1]!))).toBe('x');
      if (eol === '\r\n') expect(text(canonicalizeEntity(fromLatin1(src)))).toBe(src);
    }
  });
  it('tolerates a missing close delimiter and enforces limits', () => {
    const m = parseMime('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nlast part');
    expect(text(bodyBytes(m.children[0]!))).toBe('last part');
    let nested = 'X';
    for (let i = 0; i < 40; i++)
      nested = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${nested}\r\n--b${i}--\r\n`;
    expect(() => parseMime(nested)).toThrow(SmimeError);
    try {
      parseMime(nested);
    } catch (e) {
      expect((e as SmimeError).code).toBe('mime-limit-exceeded');
    }
    expect(() => parseMime(new Uint8Array())).toThrow(/empty/);
  });
});

describe('transfer encodings', () => {
  it('quoted-printable: soft breaks, escapes, round trip of any bytes', () => {
    expect(text(decodeQuotedPrintable(fromLatin1('a=3Db=\r\nc =\nd=XY')))).toBe('a=bc d=XY');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const crlf = toCrlf(bytes.filter((b) => b !== 0x0d));
        const encoded = encodeQuotedPrintable(crlf);
        expect(isSevenBitSafe(fromLatin1(encoded))).toBe(true);
        for (const line of encoded.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
        expect(decodeQuotedPrintable(fromLatin1(encoded))).toEqual(crlf);
      }),
      { numRuns: 300 },
    );
  });
  it('base64 bodies decode from bytes, ignoring line breaks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        const body = encodeBase64Body(bytes);
        expect(body.split('\r\n').every((l) => l.length <= 76)).toBe(true);
        expect(decodeBase64Body(fromLatin1(body))).toEqual(bytes);
      }),
    );
  });
  it('unknown encodings are a typed error', () => {
    const m = parseMime('Content-Transfer-Encoding: x-uuencode\r\n\r\nabc');
    expect(() => decodedBody(m)).toThrow(SmimeError);
  });
});

describe('canonicalization for signing', () => {
  it('7-bit entities only get CRLF', () => {
    const e = utf8('Content-Type: text/plain\n\nline 1\nline 2\n');
    expect(text(canonicalizeEntity(e))).toBe('Content-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n');
  });
  it('8-bit text becomes quoted-printable, binary becomes base64, inside multiparts too', () => {
    const e = utf8(
      'Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\nFrom here\r\n--q\r\nContent-Type: application/octet-stream\r\n\r\n\u0000\u0001binary\r\n--q--\r\n',
    );
    const out = canonicalizeEntity(e);
    expect(isSevenBitSafe(out)).toBe(true);
    const m = parseMime(out);
    expect(m.children[0]!.headers.find((h) => h.name === 'Content-Transfer-Encoding')!.value).toBe('quoted-printable');
    expect(new TextDecoder().decode(decodedBody(m.children[0]!))).toBe('Grüße\r\nFrom here');
    expect(text(bodyBytes(m.children[0]!))).toContain('=46rom here');
    expect(m.children[1]!.headers.find((h) => h.name === 'Content-Transfer-Encoding')!.value).toBe('base64');
    expect(decodedBody(m.children[1]!)).toEqual(utf8('\u0000\u0001binary'));
  });
});

describe('whole messages', () => {
  it('splits outer headers from the body entity and joins them back', () => {
    const msg = utf8(
      'From: a@example.com\nTo: b@example.com\nSubject: hi\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nbody ✓\n',
    );
    const { outerHeaders, inner } = splitMessage(msg);
    expect(outerHeaders.map((h) => h.name)).toEqual(['From', 'To', 'Subject', 'MIME-Version']);
    // Headers get CRLF; the body is kept as given (canonicalizeEntity decides, per part, what may be converted).
    expect(new TextDecoder().decode(inner)).toBe(
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nbody ✓\n',
    );
    const joined = joinMessage(outerHeaders, utf8('Content-Type: text/plain\r\n\r\nx'));
    expect(text(joined)).toBe(
      'From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nx',
    );
  });
  it('a message without Content-Type gets text/plain inside', () => {
    const { inner } = splitMessage(utf8('From: a@b.c\r\n\r\nhello'));
    expect(text(inner)).toBe('Content-Type: text/plain; charset=us-ascii\r\n\r\nhello');
  });
});

describe('canonicalization never changes binary data', () => {
  it('a binary part with bare LF bytes is base64-encoded from its original bytes', () => {
    const binary = Uint8Array.from([0x0a, 0x00, 0x0d, 0x0a, 0xff, 0x0a, 0x41]);
    const entity = new Uint8Array([
      ...utf8(
        'Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n',
      ),
      ...binary,
      ...utf8('\n--q--\n'),
    ]);
    const m = parseMime(canonicalizeEntity(entity));
    expect(decodedBody(m.children[0]!)).toEqual(binary);
    expect(isSevenBitSafe(canonicalizeEntity(entity))).toBe(true);
  });
  it('an ASCII non-text body with bare LF is base64-encoded rather than line-converted', () => {
    const e = utf8('Content-Type: application/octet-stream\n\nline1\nline2');
    const m = parseMime(canonicalizeEntity(e));
    expect(text(decodedBody(m))).toBe('line1\nline2');
  });
});
