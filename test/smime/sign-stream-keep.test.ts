/**
 * `signMessageStream` with `bodyEncoding: 'keep'`: a 7-bit body goes out as it came in (the bytes `signMessage`
 * writes for it, and what `openssl cms -sign -stream` does), and a body that turns out not to be 7-bit fails the
 * stream with `content-not-7bit` instead of producing a signature transports would break.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { signMessage } from '../../src/smime/sign.js';
import { signMessageStream } from '../../src/smime/sign-stream.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { fromLatin1, latin1 } from '../../src/util/bytes.js';
import { tempDir } from '../helpers/temp.js';
import { chunked, collect } from '../helpers/streams.js';
import { AT, chainFile, identity, opensslVerifyMime, type TestIdentity } from '../cms/fixtures.js';

let alice: TestIdentity;
let trust: TrustList;
let dir: string;

beforeAll(async () => {
  alice = await identity('ee-rsa');
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
  dir = tempDir();
});

const HEAD = 'From: rsa.user@example.test\r\nTo: bob@example.test\r\nSubject: kept\r\nMIME-Version: 1.0\r\n';
const LINE = 'A line of 7-bit text that is longer than a quoted-printable line may be, as mail often is.';

describe("signMessageStream bodyEncoding: 'keep'", () => {
  it('writes a 7-bit body as it is: the same bytes as signMessage, verified by verifyMessage and openssl', async () => {
    const body = Array.from({ length: 3000 }, (_, i) => `${i} ${LINE}`).join('\r\n') + '\r\n';
    const input = fromLatin1(`${HEAD}Content-Type: text/plain; charset=us-ascii\r\n\r\n${body}`);
    const options = { signer: alice, signingTime: AT, boundary: 'kept-boundary' };
    const streamed = await collect(
      await signMessageStream(chunked(input, [1, 4097, 3, 65536]), { ...options, bodyEncoding: 'keep' }),
    );
    expect(latin1(streamed)).toContain(`\r\n\r\n${body}`);
    expect(latin1(streamed)).not.toContain('Content-Transfer-Encoding: quoted-printable');
    // RSA PKCS#1 v1.5 signatures are deterministic: same content, time and boundary, same message.
    expect(Buffer.from(streamed).equals(Buffer.from(await signMessage(input, options)))).toBe(true);
    const report = await verifyMessage(streamed, { trust, at: AT });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const r = opensslVerifyMime(dir, streamed, ['-attime', String(AT.getTime() / 1000), '-purpose', 'any']);
    expect(r.status, r.stderr).toBe(0);
  });

  it('brings bare LFs to CRLF and labels headerless text as us-ascii, as signMessage does', async () => {
    const input = fromLatin1('plain\nlines\n');
    const options = { signer: alice, signingTime: AT, boundary: 'b1' };
    const streamed = await collect(await signMessageStream(chunked(input, [2]), { ...options, bodyEncoding: 'keep' }));
    expect(latin1(streamed)).toContain('Content-Type: text/plain; charset=us-ascii\r\n\r\nplain\r\nlines\r\n');
    expect(Buffer.from(streamed).equals(Buffer.from(await signMessage(input, options)))).toBe(true);
    expect((await verifyMessage(streamed, { trust, at: AT })).ok).toBe(true);
  });

  const cases: [string, string, number][] = [
    ['8-bit data', `ok\r\ncaf\xe9\r\n`, 7],
    ['a NUL byte', `ok\r\nn\x00l\r\n`, 5],
    ['a bare CR', `ok\r\nbare\rcr\r\n`, 8],
    ['a line over 998 octets', `ok\r\n${'x'.repeat(999)}\r\n`, 4 + 998],
    ['a line beginning "From "', `ok\r\nFrom here\r\n`, 4],
  ];
  for (const [what, body, offset] of cases)
    it(`fails with content-not-7bit at the byte where the body has ${what}`, async () => {
      const input = fromLatin1(`${HEAD}Content-Type: text/plain; charset=us-ascii\r\n\r\n${body}`);
      const stream = await signMessageStream(chunked(input, [3]), { signer: alice, bodyEncoding: 'keep' });
      await expect(collect(stream)).rejects.toMatchObject({
        code: 'content-not-7bit',
        details: { offset },
      });
      // The default re-encodes the same body, and the signature verifies.
      const encoded = await collect(await signMessageStream(chunked(input, [3]), { signer: alice, signingTime: AT }));
      expect((await verifyMessage(encoded, { trust, at: AT })).ok).toBe(true);
    });

  it('leaves bodies that are already encoded, and opaque signatures, as they were', async () => {
    const b64 = `${HEAD}Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n`;
    const options = { signer: alice, signingTime: AT, boundary: 'b2' };
    for (const bodyEncoding of ['keep', 'encode'] as const) {
      const streamed = await collect(await signMessageStream(chunked(fromLatin1(b64)), { ...options, bodyEncoding }));
      expect(latin1(streamed)).toContain('Content-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n');
    }
    const eightBit = fromLatin1(`${HEAD}Content-Type: text/plain; charset=latin1\r\n\r\ncaf\xe9\r\n`);
    const opaque = await collect(
      await signMessageStream(chunked(eightBit), { signer: alice, detached: false, bodyEncoding: 'keep' }),
    );
    const report = await verifyMessage(opaque, { trust, at: AT });
    expect(report.ok).toBe(true);
  });

  it('refuses an unknown bodyEncoding before reading anything', async () => {
    await expect(
      signMessageStream(chunked(fromLatin1('x')), { signer: alice, bodyEncoding: 'as-is' as 'keep' }),
    ).rejects.toMatchObject({ code: 'bad-argument' });
  });
});
