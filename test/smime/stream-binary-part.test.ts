/**
 * A binary signed part (AS2 transport, or `Content-Transfer-Encoding: binary`) through `verifyMessageStream` and
 * `readMessageStream`: signed as it is by `openssl cms -sign -binary`, it streams as it came (its LF and CR bytes
 * untouched) and verifies as `verifyMessage` verifies it; one that verifies only in canonical form, or a part whose
 * line ends were changed after signing, never streams out as verified.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyMessage } from '../../src/smime/verify.js';
import { verifyMessageStream } from '../../src/smime/verify-stream.js';
import { readMessage } from '../../src/smime/read.js';
import { readMessageStream } from '../../src/smime/read-stream.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { toCrlf } from '../../src/mime/crlf.js';
import { bytesEqual, concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';
import { chunked, collect } from '../helpers/streams.js';
import { AT, chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';

let alice: TestIdentity;
let trust: TrustList;
const options = () => ({ trust, at: AT, intermediates: [readFileSync(chainFile('intermediate.pem'))] });

beforeAll(async () => {
  alice = await identity('ee-rsa');
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
});

const AS2_HEADERS = 'AS2-Version: 1.2\r\nAS2-From: partner-a\r\nAS2-To: partner-b\r\n';
const BOUNDARY = 'as2-boundary-7f3a';

/** A binary payload with bare LFs, bare CRs, CRLFs, NULs and 8-bit bytes, as a ZIP or a PDF has them. */
function payload(size = 50_000): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  bytes.set([0x0a, 0x0a, 0x0d, 0x41, 0x0d, 0x0a, 0x00], 100);
  return bytes;
}

/** The signed part: its header section and `body`. */
function part(body: Uint8Array, cte: 'binary' | undefined): Uint8Array {
  const head = `Content-Type: application/octet-stream\r\n${cte ? `Content-Transfer-Encoding: ${cte}\r\n` : ''}\r\n`;
  return concatBytes(fromLatin1(head), body);
}

/** A detached SHA-256 signature of exactly `signed`, by OpenSSL (`-binary`: no canonical conversion). */
function opensslSignature(signed: Uint8Array): string {
  const r = openssl(
    ['cms', '-sign', '-binary', '-md', 'sha256', '-signer', alice.certFile, '-inkey', alice.keyFile, '-outform', 'DER'],
    signed,
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.toString('base64').replace(/.{64}/g, '$&\r\n');
}

/** A multipart/signed holding `shown` as its signed part and a signature over `signed`. */
function message(shown: Uint8Array, signed: Uint8Array, as2: boolean): Uint8Array {
  const top = `${as2 ? AS2_HEADERS : ''}From: ${alice.email}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${BOUNDARY}"\r\n\r\n--${BOUNDARY}\r\n`;
  const sig = `\r\n--${BOUNDARY}\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n${opensslSignature(signed)}\r\n--${BOUNDARY}--\r\n`;
  return concatBytes(fromLatin1(top), shown, fromLatin1(sig));
}

const CHUNKINGS: readonly (readonly number[])[] = [[1], [7, 4096, 3, 65537, 2], [65536]];

describe('verifyMessageStream: a binary signed part', () => {
  for (const [label, as2, cte] of [
    ['AS2 transport', true, undefined],
    ['Content-Transfer-Encoding: binary', false, 'binary'],
  ] as const) {
    it(`${label}, signed as it is: streams as it came and verifies, like verifyMessage`, async () => {
      const signedPart = part(payload(), cte);
      expect(bytesEqual(toCrlf(signedPart), signedPart)).toBe(false); // canonical form would corrupt it
      const msg = message(signedPart, signedPart, as2);
      const buffered = await verifyMessage(msg, options());
      expect(buffered.ok, JSON.stringify(buffered.problems)).toBe(true);
      expect(bytesEqual(buffered.content, signedPart)).toBe(true);
      for (const sizes of CHUNKINGS) {
        const { stream, report } = await verifyMessageStream(chunked(msg, sizes), options());
        const content = await collect(stream);
        expect(bytesEqual(content, signedPart)).toBe(true);
        const r = await report;
        expect(r.ok, JSON.stringify(r.problems)).toBe(true);
        expect(r.signers[0]?.signatureValid).toBe(true);
      }
    });
  }

  it('a message whose first header field begins "0" is still read as AS2, buffered as streamed', async () => {
    // "0S…" once made verifyMessage take the message for raw CMS (a SEQUENCE) when it looked for AS2 headers.
    const signedPart = part(payload(), undefined);
    const msg = concatBytes(fromLatin1('0S-Trace: relay 1\r\n'), message(signedPart, signedPart, true));
    const buffered = await verifyMessage(msg, options());
    expect(buffered.ok, JSON.stringify(buffered.problems)).toBe(true);
    const { stream, report } = await verifyMessageStream(chunked(msg, [999]), options());
    expect(bytesEqual(await collect(stream), signedPart)).toBe(true);
    expect((await report).ok).toBe(true);
  });

  it('readMessageStream gives what readMessage gives for an AS2 binary part', async () => {
    const signedPart = part(payload(), undefined);
    const msg = message(signedPart, signedPart, true);
    const buffered = await readMessage(msg, options());
    expect(buffered.ok, JSON.stringify(buffered.problems)).toBe(true);
    const { stream, result } = await readMessageStream(chunked(msg, [4093]), options());
    const content = await collect(stream);
    expect(bytesEqual(content, buffered.content)).toBe(true);
    expect((await result).ok).toBe(true);
  });

  it('a binary part signed in canonical form that arrives with bare LFs is not verified streamed (verifyMessage verifies it)', async () => {
    const shown = part(fromLatin1('line one\nline two\nline three\n'), 'binary');
    const msg = message(shown, toCrlf(shown), false);
    const buffered = await verifyMessage(msg, options());
    expect(buffered.ok, JSON.stringify(buffered.problems)).toBe(true);
    expect(bytesEqual(buffered.content, toCrlf(shown))).toBe(true);
    const { stream, report } = await verifyMessageStream(chunked(msg, [5]), options());
    await expect(collect(stream)).rejects.toMatchObject({ code: 'digest-mismatch' });
    const r = await report;
    expect(r.ok).toBe(false);
    expect(r.signers[0]?.signatureValid).toBe(false);
    expect(r.signers[0]?.problems[0]?.message).toMatch(/signed in canonical form .* arrived with bare LFs/);
  });

  it('a CRLF made a bare LF after signing never streams out as verified', async () => {
    // Signed as it is with CRLF line ends only (canonical and as-received the same): a changed line end leaves the
    // canonical form as signed, so only the bytes that arrived tell the change.
    const body = fromLatin1('UNB+UNOA:1+A+B+261206:0000+1\r\nUNH+1+ORDERS:D:96A:UN\r\nUNT+2+1\r\n');
    const signedPart = part(body, undefined);
    const good = message(signedPart, signedPart, true);
    const tampered = fromLatin1(latin1(good).replace('\r\nUNH+1', '\nUNH+1'));
    expect((await verifyMessage(good, options())).ok).toBe(true);
    const { stream, report } = await verifyMessageStream(chunked(tampered, [9]), options());
    const failure = await collect(stream).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'digest-mismatch' });
    expect((await report).ok).toBe(false);
  });

  it('a text part (not binary) still streams and verifies in canonical form', async () => {
    const shown = part(fromLatin1('hello\nworld\n'), undefined);
    const msg = message(shown, toCrlf(shown), false);
    const { stream, report } = await verifyMessageStream(chunked(msg, [3]), options());
    expect(bytesEqual(await collect(stream), toCrlf(shown))).toBe(true);
    expect((await report).ok).toBe(true);
  });
});
