/**
 * Issue #14, defect 2 — partly signed messages. A multipart/mixed whose first part is a valid multipart/signed and
 * whose other parts are unsigned must not come out as verified: `partially-signed` is a failure by default (API
 * `ok: false`, CLI exit 1 with `error partially-signed`), the report lists the unsigned parts with their paths and
 * media types (API and JSON), and `allowPartial` / `--allow-partial` accept it with a warning.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMessage } from '../../src/smime/read.js';
import { verifyReportToJson, verifyReportToText } from '../../src/smime/report.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { latin1 } from '../../src/util/bytes.js';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { chainFile, identity, type TestIdentity } from '../cms/fixtures.js';

const dir = tempDir();
const root = chainFile('root.pem');
const codes = (list: { code: string }[]) => list.map((p) => p.code);

/** The signed entity of `signed` (a whole signed message): from its Content-Type header on. */
const entityOf = (signed: Uint8Array) => {
  const text = latin1(signed);
  return text.slice(text.indexOf('Content-Type: multipart/signed'));
};

describe('coverage (issue #14, defect 2)', () => {
  let trust: TrustList;
  let rsa: TestIdentity;
  let p256: TestIdentity;
  let signed: Uint8Array;
  let partial: string;
  beforeAll(async () => {
    trust = TrustList.fromBytes(readFileSync(root));
    rsa = await identity('ee-rsa');
    p256 = await identity('ee-p256');
    signed = await signMessage(
      'From: rsa.user@example.test\r\nTo: bob@example.test\r\nSubject: invoice\r\nContent-Type: text/plain\r\n\r\nThe invoice is attached.\r\n',
      { signer: rsa },
    );
    // A valid signed part first, then what someone else added: HTML and an attachment, both unsigned.
    partial =
      'From: rsa.user@example.test\r\nTo: bob@example.test\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n' +
      `--MIX\r\n${entityOf(signed)}\r\n` +
      '--MIX\r\nContent-Type: text/html\r\n\r\n<p>New bank account: pay to XX00 0000</p>\r\n' +
      '--MIX\r\nContent-Type: application/octet-stream; name="invoice.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n' +
      '--MIX--\r\n';
  }, 60_000);

  it('a signed first part with unsigned parts after it is not verified: partially-signed', async () => {
    const report = await verifyMessage(partial, { trust });
    expect(report.ok).toBe(false);
    expect(codes(report.problems)).toEqual(['partially-signed']);
    expect(report.signers[0]!.signatureValid).toBe(true);
    expect(report.signers[0]!.chain!.valid).toBe(true);
    expect(report.coverage).toEqual({
      complete: false,
      signedParts: ['/1'],
      unsignedParts: ['/2', '/3'],
      unsigned: [
        { path: '/2', contentType: 'text/html' },
        { path: '/3', contentType: 'application/octet-stream' },
      ],
    });
    expect(report.problems[0]!.message).toContain('/2 (text/html), /3 (application/octet-stream)');
  });

  it('the JSON and text reports list the unsigned parts', async () => {
    const report = await verifyMessage(partial, { trust });
    const json = verifyReportToJson(report) as { coverage: unknown; problems: { code: string }[] };
    expect(json.coverage).toEqual(report.coverage);
    expect(json.problems[0]!.code).toBe('partially-signed');
    expect(verifyReportToText(report)).toContain(
      'coverage: only /1 is signed; not covered: /2 (text/html), /3 (application/octet-stream)',
    );
  });

  it('allowPartial accepts it with the warning partially-signed; coverage still says what is unsigned', async () => {
    const report = await verifyMessage(partial, { trust, allowPartial: true });
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(codes(report.warnings)).toEqual(['partially-signed']);
    expect(report.coverage.unsignedParts).toEqual(['/2', '/3']);
  });

  it('parts signed separately (no one signature over the whole message) are partially signed too', async () => {
    const other = await signMessage(
      'From: rsa.user@example.test\r\nContent-Type: text/plain\r\n\r\nsigned by someone else\r\n',
      { signer: p256 },
    );
    const two =
      'From: rsa.user@example.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="MIX"\r\n\r\n' +
      `--MIX\r\n${entityOf(signed)}\r\n--MIX\r\n${entityOf(other)}\r\n--MIX--\r\n`;
    const report = await verifyMessage(two, { trust });
    expect(report.coverage).toMatchObject({ complete: false, signedParts: ['/1', '/2'], unsignedParts: [] });
    expect(codes(report.problems)).toEqual(['partially-signed']);
    expect(report.problems[0]!.message).toContain('signed separately');
  });

  it('a message whose one signature covers the whole body is complete, with no coverage finding', async () => {
    const report = await verifyMessage(signed, { trust });
    expect(report.ok).toBe(true);
    expect(report.coverage).toEqual({ complete: true, signedParts: ['/'], unsignedParts: [], unsigned: [] });
    expect(report.warnings).toEqual([]);
  });

  it('readMessage does not present the mixed message as signed either (no S/MIME layer at its top)', async () => {
    const read = await readMessage(partial, { trust });
    expect(read.ok).toBe(false);
    expect(read.signed).toBe(false);
    expect(codes(read.problems)).toEqual(['not-smime']);
  });

  describe('command line', () => {
    let file: string;
    beforeAll(() => {
      file = join(dir, 'partial.eml');
      writeFileSync(file, partial, 'latin1');
    });

    it('smimekit verify exits 1 with error partially-signed, the report naming the unsigned parts, nothing on stdout', async () => {
      const v = await cli(['verify', '--trust', root, '--in', file]);
      expect(v.code).toBe(1);
      expect(errorCode(v)).toBe('partially-signed');
      expect(v.stdout).toBe('');
      expect(v.stderr).toContain('not covered: /2 (text/html), /3 (application/octet-stream)');
    });

    it('--json carries the unsigned parts; --allow-partial exits 0 with a warning line', async () => {
      const json = await cli(['verify', '--trust', root, '--json', '--in', file]);
      expect(json.code).toBe(1);
      const parsed = JSON.parse(json.stdout) as { ok: boolean; coverage: { unsigned: unknown } };
      expect(parsed.ok).toBe(false);
      expect(parsed.coverage.unsigned).toEqual([
        { path: '/2', contentType: 'text/html' },
        { path: '/3', contentType: 'application/octet-stream' },
      ]);
      const relaxed = await cli(['verify', '--trust', root, '--allow-partial', '--in', file]);
      expect(relaxed.code, relaxed.stderr).toBe(0);
      expect(relaxed.stderr).toMatch(/^warning partially-signed: /m);
      expect(relaxed.stdout).toContain('The invoice is attached.'); // the signed part only
      expect(relaxed.stdout).not.toContain('bank account');
    });
  });
});
