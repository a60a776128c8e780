/**
 * Issue #14 defect 6: a line beginning `From ` in a signed part is rewritten as `>From ` by mbox stores, which
 * breaks the signature. Signing re-encodes such a part (quoted-printable, `=46rom`; base64 for non-text), so the
 * signed message has no line beginning `From `; smimekit and `openssl cms -verify` verify it and the decoded text
 * is the original. Parts of a multipart/signed being signed again keep their bytes (their signature holds).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalizeEntity } from '../../src/mime/canonical.js';
import { decodedBody, parseMime, type MimeEntity } from '../../src/mime/entity.js';
import { getHeader } from '../../src/mime/headers.js';
import { encodeQuotedPrintable, decodeQuotedPrintable } from '../../src/mime/transfer-encoding.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { fromLatin1, latin1, utf8 } from '../../src/util/bytes.js';
import { chainFile, identity, openssl, opensslVerifyMime, type TestIdentity } from '../cms/fixtures.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir();
let alice: TestIdentity;
let trust: TrustList;
beforeAll(async () => {
  alice = await identity('ee-rsa');
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
});

const TEXT = [
  'From the desk of Alice:',
  '',
  'From now on the signature survives mbox.',
  'Fromage is not a From line, nor is " From " indented.',
  'From',
  '.',
  '',
].join('\n');

const message = (body: string, headers = 'Content-Type: text/plain; charset=us-ascii\n') =>
  utf8(`From: ${'rsa.user@example.test'}\nTo: bob@example.test\nSubject: From lines\n${headers}\n${body}`);

/** mbox "From " quoting as mail stores apply it to a stored message. */
const mboxEscape = (bytes: Uint8Array): Uint8Array => fromLatin1(latin1(bytes).replace(/^From /gm, '>From '));

const cte = (e: MimeEntity) => getHeader(e.headers, 'content-transfer-encoding')?.trim().toLowerCase();

describe('signing re-encodes parts with lines that begin "From "', () => {
  it('detached: no line of the output begins "From "; smimekit and OpenSSL verify; the text decodes to the original', async () => {
    const signed = await signMessage(message(TEXT), { signer: alice });
    expect(latin1(signed)).not.toMatch(/^From /m);
    // mbox quoting therefore changes nothing.
    expect(mboxEscape(signed)).toEqual(signed);
    const report = await verifyMessage(signed, { trust });
    expect(report.signers[0]!.signatureValid).toBe(true);
    expect(report.signers[0]!.problems).toEqual([]);
    const inner = parseMime(report.content);
    expect(cte(inner)).toBe('quoted-printable');
    expect(latin1(report.content)).toContain('=46rom the desk');
    expect(latin1(report.content)).toContain('\r\n=46rom now on');
    expect(latin1(decodedBody(inner))).toBe(TEXT.replace(/\n/g, '\r\n'));
    const theirs = opensslVerifyMime(dir, signed, ['-purpose', 'smimesign']);
    expect(theirs.stderr).toContain('Verification successful');
    expect(new Uint8Array(theirs.stdout)).toEqual(report.content);
  });

  it('a body without such a line is left 7bit, byte for byte (apart from CRLF)', () => {
    const entity = utf8('Content-Type: text/plain\n\nFromage\nfrom lower case\n>From quoted already\n');
    expect(latin1(canonicalizeEntity(entity))).toBe(latin1(entity).replace(/\n/g, '\r\n'));
  });

  it('a quoted-printable body with a literal "From " line is re-encoded; non-text 7bit data goes to base64', () => {
    const qp = utf8('Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nFrom me=2C with love\n');
    const out = parseMime(canonicalizeEntity(qp));
    expect(cte(out)).toBe('quoted-printable');
    expect(latin1(out.source)).not.toMatch(/^From /m);
    expect(latin1(decodedBody(out))).toBe('From me, with love\r\n');
    const data = utf8('Content-Type: application/octet-stream\nContent-Transfer-Encoding: 7bit\n\nFrom 1 to 2\n');
    const bin = parseMime(canonicalizeEntity(data));
    expect(cte(bin)).toBe('base64');
    expect(latin1(decodedBody(bin))).toBe('From 1 to 2\n'); // exact bytes: binary data is never line-converted
  });

  it('multipart: only the part with the line is re-encoded; the message verifies with OpenSSL after mbox quoting', async () => {
    const body = [
      '--b1',
      'Content-Type: text/plain',
      '',
      'From Bob, forwarded.',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Nothing to see.',
      '--b1--',
      '',
    ].join('\n');
    const signed = await signMessage(message(body, 'Content-Type: multipart/mixed; boundary="b1"\n'), {
      signer: alice,
      detached: true,
    });
    const stored = mboxEscape(signed);
    expect(stored).toEqual(signed);
    const report = await verifyMessage(stored, { trust });
    expect(report.signers[0]!.problems).toEqual([]);
    const [first, second] = parseMime(report.content).children;
    expect(cte(first!)).toBe('quoted-printable');
    expect(cte(second!)).toBeUndefined();
    expect(opensslVerifyMime(dir, stored).stderr).toContain('Verification successful');
  });

  it('signing a multipart/signed again keeps its parts byte for byte, so the inner signature still verifies', async () => {
    const inFile = join(dir, 'inner.txt');
    writeFileSync(inFile, 'Content-Type: text/plain\r\n\r\nFrom the inner signer.\r\n');
    const r = openssl([
      'cms',
      '-sign',
      '-in',
      inFile,
      '-signer',
      alice.certFile,
      '-inkey',
      alice.keyFile,
      '-certfile',
      chainFile('intermediate.pem'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const inner = new Uint8Array(r.stdout);
    expect(latin1(inner)).toMatch(/^From the inner signer/m); // OpenSSL leaves the line as it is
    const outer = await signMessage(inner, { signer: alice });
    const report = await verifyMessage(outer, { trust });
    expect(report.signers).toHaveLength(2);
    for (const s of report.signers) {
      expect(s.signatureValid).toBe(true);
      expect(s.problems).toEqual([]);
    }
  });
});

describe('quoted-printable never starts an encoded line with "From " or "."', () => {
  it('also after a soft line break', () => {
    for (const next of ['From here', '.dot']) {
      const line = `${'x'.repeat(75)}${next}\u00e9`;
      const encoded = encodeQuotedPrintable(fromLatin1(line));
      expect(encoded).toContain('=\r\n'); // wrapped
      expect(encoded).not.toMatch(/^(From |\.)/m);
      expect(latin1(decodeQuotedPrintable(fromLatin1(encoded)))).toBe(line);
    }
  });
});
