/** A 30 MB message signs and verifies, detached and opaque (no O(n²) work, no asn1js default limits). */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { concatBytes, fromLatin1, toBase64Lines } from '../../src/util/bytes.js';
import { tempDir } from '../helpers/cli.js';
import { chainFile, identity, opensslVerifyMime, type TestIdentity } from '../cms/fixtures.js';

function bigMessage(): Uint8Array {
  const attachment = new Uint8Array(22 * 1024 * 1024);
  let x = 12345;
  for (let i = 0; i < attachment.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    attachment[i] = x >>> 24;
  }
  return concatBytes(
    fromLatin1(
      'From: rsa.user@example.test\r\nTo: bob@example.test\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbig file attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n',
    ),
    fromLatin1(toBase64Lines(attachment)),
    fromLatin1('\r\n--b--\r\n'),
  );
}

describe('30 MB messages', () => {
  let id: TestIdentity;
  let trust: TrustList;
  let message: Uint8Array;
  const dir = tempDir();
  beforeAll(async () => {
    id = await identity('ee-rsa');
    trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
    message = bigMessage();
  });

  for (const detached of [true, false]) {
    it(`${detached ? 'detached' : 'opaque'}: signs, verifies here and with OpenSSL`, async () => {
      expect(message.length).toBeGreaterThan(30_000_000);
      const t0 = Date.now();
      const signed = await signMessage(message, { signer: id, detached });
      const t1 = Date.now();
      const report = await verifyMessage(signed, { trust });
      const t2 = Date.now();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.content.length).toBeGreaterThan(30_000_000);
      console.log(
        `30 MB ${detached ? 'detached' : 'opaque'}: sign ${t1 - t0} ms, verify ${t2 - t1} ms, output ${signed.length} bytes`,
      );
      const res = opensslVerifyMime(dir, signed, ['-out', '/dev/null']);
      expect(res.stderr).toContain('Verification successful');
    }, 120_000);
  }
});
