/**
 * The streaming API against the buffered one and OpenSSL: every direction (stream → buffered, buffered → stream,
 * stream ↔ `openssl cms`, with and without `-stream`), odd chunkings, and the end-of-stream verdicts (a tampered GCM
 * tag or signature ends the stream with an error, never a clean close).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { signMessage } from '../../src/smime/sign.js';
import { signMessageStream } from '../../src/smime/sign-stream.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { verifyMessageStream } from '../../src/smime/verify-stream.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { encryptMessageStream } from '../../src/smime/encrypt-stream.js';
import { decryptMessage } from '../../src/smime/decrypt.js';
import { decryptMessageStream } from '../../src/smime/decrypt-stream.js';
import { readMessage } from '../../src/smime/read.js';
import { readMessageStream } from '../../src/smime/read-stream.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { SmimeError } from '../../src/errors.js';
import { bytesEqual, concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';
import { tempDir } from '../helpers/temp.js';
import { chunked, collect } from '../helpers/streams.js';
import { AT, chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';

let alice: TestIdentity;
let trust: TrustList;
let dir: string;

beforeAll(async () => {
  alice = await identity('ee-rsa');
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
  dir = tempDir();
});

function message(bodyLines: number, from = 'rsa.user@example.test'): Uint8Array {
  const body = Array.from({ length: bodyLines }, (_, i) => `line ${i} of the streamed test message`).join('\r\n');
  return fromLatin1(
    `From: ${from}\r\nTo: bob@example.test\r\nSubject: stream\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${body}\r\n`,
  );
}

const ODD_CHUNKS = [1, 7, 4096, 3, 65537, 2];

describe('encryptMessageStream / decryptMessageStream', () => {
  for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
    it(`${cipher}: a streamed envelope decrypts with decryptMessage and openssl cms`, async () => {
      const input = message(20000);
      const { stream, recipients, contentType } = await encryptMessageStream(chunked(input, ODD_CHUNKS), {
        recipients: [],
        sender: alice.certificate,
        validate: false,
        cipher,
      });
      expect(contentType).toBe(cipher.endsWith('gcm') ? 'authEnvelopedData' : 'envelopedData');
      expect(recipients).toHaveLength(1);
      const sealed = await collect(stream);
      expect(latin1(sealed.subarray(0, 200))).toMatch(/^From: rsa\.user@example\.test\r\n/);
      const opened = await decryptMessage(sealed, { identity: alice });
      expect(latin1(opened.content)).toContain('line 19999 of the streamed test message');
      const buffered = await decryptMessage(
        (await encryptMessage(input, { recipients: [], sender: alice.certificate, validate: false, cipher })).message,
        { identity: alice },
      );
      expect(bytesEqual(opened.content, buffered.content)).toBe(true);
      const file = join(dir, `sealed-${cipher}.eml`);
      writeFileSync(file, sealed);
      const r = openssl(['cms', '-decrypt', '-in', file, '-recip', alice.certFile, '-inkey', alice.keyFile]);
      expect(r.status, r.stderr).toBe(0);
      expect(bytesEqual(new Uint8Array(r.stdout), opened.content)).toBe(true);
    });

    it(`${cipher}: decryptMessageStream reads buffered, openssl and openssl -stream envelopes`, async () => {
      const input = message(5000);
      const inputFile = join(dir, `plain-${cipher}.eml`);
      writeFileSync(inputFile, input);
      const buffered = (
        await encryptMessage(input, { recipients: [], sender: alice.certificate, validate: false, cipher })
      ).message;
      const sources: [string, Uint8Array][] = [['buffered', buffered]];
      for (const extra of [[], ['-stream'], ['-outform', 'DER'], ['-stream', '-outform', 'DER']]) {
        const out = join(dir, `os-${cipher}-${extra.join('')}.eml`);
        const r = openssl(['cms', '-encrypt', `-${cipher}`, '-in', inputFile, '-out', out, ...extra, alice.certFile]);
        expect(r.status, r.stderr).toBe(0);
        sources.push([`openssl ${extra.join(' ')}`, new Uint8Array(readFileSync(out))]);
      }
      const expected = (await decryptMessage(buffered, { identity: alice })).content;
      for (const [name, sealed] of sources) {
        const { stream, result } = await decryptMessageStream(chunked(sealed, ODD_CHUNKS), { identity: alice });
        const out = await collect(stream);
        const r = await result;
        expect(r.authenticated, name).toBe(cipher.endsWith('gcm'));
        // OpenSSL's output has no outer headers; the decrypted entity is the same.
        expect(latin1(out), name).toContain(latin1(expected));
      }
    });
  }

  it('a tampered GCM ciphertext ends the stream with decryption-failed, and the result rejects', async () => {
    const { message: sealed } = await encryptMessage(message(3000), {
      recipients: [],
      sender: alice.certificate,
      validate: false,
      cipher: 'aes-256-gcm',
    });
    // Flip one bit deep inside the base64 body (the ciphertext), keeping valid base64.
    const text = latin1(sealed);
    const at = text.length - 2000;
    const flipped = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    const { stream, result } = await decryptMessageStream(chunked(fromLatin1(flipped)), { identity: alice });
    const failure = await collect(stream).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmimeError);
    expect((failure as SmimeError).code).toBe('decryption-failed');
    await expect(result).rejects.toMatchObject({ code: 'decryption-failed' });
  });

  it('requireAuthenticated refuses CBC before decrypting; not-recipient before any content', async () => {
    const { message: sealed } = await encryptMessage(message(10), {
      recipients: [],
      sender: alice.certificate,
      validate: false,
    });
    await expect(
      decryptMessageStream(chunked(sealed), { identity: alice, requireAuthenticated: true }),
    ).rejects.toMatchObject({
      code: 'unauthenticated-encryption',
    });
    const bob = await identity('ee-p256');
    await expect(decryptMessageStream(chunked(sealed), { identity: bob })).rejects.toMatchObject({
      code: 'not-recipient',
    });
  });
});

describe('signMessageStream / verifyMessageStream', () => {
  for (const detached of [true, false]) {
    it(`${detached ? 'detached' : 'opaque'}: streamed signatures verify with verifyMessage and openssl`, async () => {
      const input = message(20000);
      const signed = await collect(
        await signMessageStream(chunked(input, ODD_CHUNKS), { signer: alice, detached, signingTime: AT }),
      );
      const report = await verifyMessage(signed, { trust, at: AT });
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      const file = join(dir, `signed-${detached}.eml`);
      writeFileSync(file, signed);
      const r = openssl([
        'cms',
        '-verify',
        '-in',
        file,
        '-CAfile',
        chainFile('root.pem'),
        '-certfile',
        chainFile('intermediate.pem'),
        '-attime',
        String(AT.getTime() / 1000),
        '-purpose',
        'any',
      ]);
      expect(r.status, r.stderr).toBe(0);
    });

    it(`${detached ? 'detached' : 'opaque'}: verifyMessageStream reads buffered and openssl signatures`, async () => {
      const input = message(5000);
      const inputFile = join(dir, `plain-sign-${detached}.eml`);
      writeFileSync(inputFile, input);
      const sources: [string, Uint8Array][] = [
        ['buffered', await signMessage(input, { signer: alice, detached, signingTime: AT })],
      ];
      for (const extra of [[], ['-stream']]) {
        const out = join(dir, `os-sign-${detached}-${extra.join('')}.eml`);
        const r = openssl([
          'cms',
          '-sign',
          '-in',
          inputFile,
          '-out',
          out,
          '-signer',
          alice.certFile,
          '-inkey',
          alice.keyFile,
          ...(detached ? [] : ['-nodetach']),
          ...extra,
        ]);
        expect(r.status, r.stderr).toBe(0);
        sources.push([`openssl ${extra.join(' ')}`, new Uint8Array(readFileSync(out))]);
      }
      for (const [name, signed] of sources) {
        const { stream, report, kind } = await verifyMessageStream(chunked(signed, ODD_CHUNKS), {
          trust,
          at: AT,
          intermediates: [readFileSync(chainFile('intermediate.pem'))],
          allowSenderMismatch: name !== 'buffered',
        });
        expect(kind, name).toBe(detached ? 'multipart-signed' : 'opaque');
        const content = await collect(stream);
        const r = await report;
        expect(r.problems, name).toEqual([]);
        expect(r.ok, name).toBe(true);
        expect(latin1(content), name).toContain('line 4999 of the streamed test message');
      }
    });
  }

  it('a signature without signed attributes (openssl -noattr): RSA checked from the streamed digest, ECDSA explained', async () => {
    const input = message(2000);
    const inputFile = join(dir, 'plain-noattr.eml');
    writeFileSync(inputFile, input);
    for (const who of ['ee-rsa', 'ee-p256']) {
      const signer = await identity(who);
      const out = join(dir, `noattr-${who}.eml`);
      const r = openssl([
        ...['cms', '-sign', '-noattr', '-in', inputFile, '-out', out],
        ...['-signer', signer.certFile, '-inkey', signer.keyFile],
      ]);
      expect(r.status, r.stderr).toBe(0);
      const signed = new Uint8Array(readFileSync(out));
      const options = {
        trust,
        at: AT,
        intermediates: [readFileSync(chainFile(who === 'ee-rsa' ? 'intermediate.pem' : 'intermediate-ec.pem'))],
      };
      const buffered = await verifyMessage(signed, options);
      expect(buffered.signers[0]!.signatureValid, who).toBe(true);
      const { stream, report } = await verifyMessageStream(chunked(signed, ODD_CHUNKS), options);
      const content = await collect(stream).catch((e: unknown) => e);
      const streamed = await report;
      if (who === 'ee-rsa') {
        // PKCS#1 v1.5 signs DigestInfo(hash): the digest of the streamed part is all it needs.
        expect(streamed.signers[0]!.signatureValid).toBe(true);
        expect(streamed.ok, JSON.stringify(streamed.problems)).toBe(buffered.ok);
        expect(latin1(content as Uint8Array)).toContain('line 1999 of the streamed test message');
      } else {
        // ECDSA verification APIs hash the bytes themselves: the stream cannot check it, and says so.
        expect(streamed.signers[0]!.signatureValid).toBe(false);
        expect(streamed.problems[0]).toMatchObject({ code: 'no-content' });
        expect(streamed.problems[0]!.message).toMatch(/only RSA PKCS#1 v1\.5 and DSA can be checked from a digest/);
        expect((content as SmimeError).code).toBe('no-content');
      }
    }
  });

  it('a binary signature part (AS2: Content-Transfer-Encoding binary, raw DER) is read as it came, not as lines', async () => {
    const signed = latin1(await signMessage(message(300), { signer: alice, signingTime: AT }));
    const boundary = /boundary="([^"]+)"/.exec(signed)![1]!;
    const [head, rest] = [
      signed.slice(0, signed.indexOf(`--${boundary}`)),
      signed.slice(signed.indexOf(`--${boundary}`)),
    ];
    const parts = rest.split(`\r\n--${boundary}`);
    const sigPart = parts[1]!;
    const der = Buffer.from(sigPart.slice(sigPart.indexOf('\r\n\r\n') + 4), 'base64');
    expect(der.includes(0x0a) || der.includes(0x0d)).toBe(true); // line-end bytes inside: CRLF conversion breaks it
    const binaryPart = `\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: binary\r\n\r\n${latin1(der)}`;
    const as2 = fromLatin1(`${head}${parts[0]}\r\n--${boundary}${binaryPart}\r\n--${boundary}--\r\n`);
    const options = { trust, at: AT, intermediates: [readFileSync(chainFile('intermediate.pem'))] };
    const buffered = await verifyMessage(as2, options);
    expect(buffered.ok, JSON.stringify(buffered.problems)).toBe(true);
    const { stream, report } = await verifyMessageStream(chunked(as2, ODD_CHUNKS), options);
    expect(bytesEqual(await collect(stream), buffered.content)).toBe(true);
    expect((await report).ok).toBe(true);
  });

  it('a changed signed part errors the stream with digest-mismatch; the report says why', async () => {
    const signed = latin1(await signMessage(message(100), { signer: alice, signingTime: AT }));
    const tampered = fromLatin1(signed.replace('line 42 of', 'line 24 of'));
    const { stream, report } = await verifyMessageStream(chunked(tampered, [5]), { trust, at: AT });
    const failure = await collect(stream).catch((e: unknown) => e);
    expect((failure as SmimeError).code).toBe('digest-mismatch');
    const r = await report;
    expect(r.ok).toBe(false);
    expect(r.problems[0]?.code).toBe('digest-mismatch');
  });

  it('a signer that is not the From address: sender-mismatch, as verifyMessage says', async () => {
    const signed = await signMessage(message(10, 'ceo@example.test'), { signer: alice, signingTime: AT });
    const buffered = await verifyMessage(signed, { trust, at: AT });
    const { stream, report } = await verifyMessageStream(chunked(signed), { trust, at: AT });
    await expect(collect(stream)).rejects.toMatchObject({ code: 'sender-mismatch' });
    expect((await report).problems.map((p) => p.code)).toEqual(buffered.problems.map((p) => p.code));
  });

  it('a multipart body with 8-bit data cannot be streamed detached: content-not-7bit', async () => {
    const input = fromLatin1(
      'From: rsa.user@example.test\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=latin1\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n--b--\r\n',
    );
    const stream = await signMessageStream(chunked(input), { signer: alice });
    await expect(collect(stream)).rejects.toMatchObject({ code: 'content-not-7bit' });
  });

  it('a single 8-bit text part is re-encoded as quoted-printable and verifies', async () => {
    const input = fromLatin1(
      'From: rsa.user@example.test\r\nContent-Type: text/plain; charset=latin1\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\nFrom here\r\n',
    );
    const signed = await collect(await signMessageStream(chunked(input, [3]), { signer: alice, signingTime: AT }));
    expect(latin1(signed)).toContain(
      'Content-Type: text/plain; charset=latin1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
    );
    expect(latin1(signed)).toContain('caf=E9');
    expect(latin1(signed)).toContain('=46rom here');
    expect((await verifyMessage(signed, { trust, at: AT })).ok).toBe(true);
  });

  it('quoted-printable keeps every line: bare LF, and a 100 KB line whose CRLF is split between chunks', async () => {
    const long = 'x'.repeat(100_000);
    const body = `first\nsecond\r\n${long}\r\nlast\r\n`;
    const input = fromLatin1(
      `From: rsa.user@example.test\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${body}`,
    );
    const head = input.length - body.length;
    // The piece ends on the CR of the long line's CRLF, after the 64 KiB cut of a partial line.
    const cut = head + 'first\nsecond\r\n'.length + long.length + 1;
    const signed = await collect(
      await signMessageStream(chunked(input, [cut, input.length]), { signer: alice, signingTime: AT }),
    );
    const verified = await verifyMessage(signed, { trust, at: AT });
    expect(verified.ok).toBe(true);
    expect(latin1(verified.content)).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(latin1(decodedBody(parseMime(verified.content)))).toBe(body.replace(/\r?\n/g, '\r\n'));
  });
});

describe('readMessageStream', () => {
  it('signed then encrypted (CBC): decrypts, verifies, authenticated by the signature, same content as readMessage', async () => {
    const signed = await signMessage(message(3000), { signer: alice, signingTime: AT });
    const { message: sealed } = await encryptMessage(signed, {
      recipients: [],
      sender: alice.certificate,
      validate: false,
    });
    const buffered = await readMessage(sealed, { identities: [alice], trust, at: AT });
    const { stream, result } = await readMessageStream(chunked(sealed, ODD_CHUNKS), {
      identities: [alice],
      trust,
      at: AT,
    });
    const content = await collect(stream);
    const r = await result;
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.authenticated).toBe(buffered.authenticated);
    expect(r.layers.map((l) => l.type)).toEqual(buffered.layers.map((l) => l.type));
    expect(bytesEqual(content, buffered.content)).toBe(true);
  });

  it('encrypted only with CBC: the unauthenticated-encryption warning; refused with requireAuthenticated', async () => {
    const { message: sealed } = await encryptMessage(message(10), {
      recipients: [],
      sender: alice.certificate,
      validate: false,
    });
    const plain = await readMessageStream(chunked(sealed), { identities: [alice], trust, at: AT });
    await collect(plain.stream);
    expect((await plain.result).warnings.map((w) => w.code)).toContain('unauthenticated-encryption');
    const strict = await readMessageStream(chunked(sealed), {
      identities: [alice],
      trust,
      at: AT,
      requireAuthenticated: true,
    });
    await expect(collect(strict.stream)).rejects.toMatchObject({ code: 'unauthenticated-encryption' });
    expect((await strict.result).ok).toBe(false);
  });

  it('signed by someone else than From, inside the encryption: sender-mismatch, content not released', async () => {
    const signed = await signMessage(message(10, 'ceo@example.test'), { signer: alice, signingTime: AT });
    const { message: sealed } = await encryptMessage(signed, {
      recipients: [],
      sender: alice.certificate,
      validate: false,
      cipher: 'aes-256-gcm',
    });
    const { stream, result } = await readMessageStream(chunked(sealed), { identities: [alice], trust, at: AT });
    await expect(collect(stream)).rejects.toMatchObject({ code: 'sender-mismatch' });
    const r = await result;
    expect(r.problems.map((p) => p.code)).toEqual(['sender-mismatch']);
  });
});

describe('an opaque signature with no content inside', () => {
  it('readMessage, readMessageStream and verifyMessage all report no-content (readMessage threw malformed-mime)', async () => {
    const { createSignedData } = await import('../../src/cms/signer.js');
    const { toBase64Lines } = await import('../../src/util/bytes.js');
    const der = await createSignedData(fromLatin1('the content, not included'), {
      detached: true,
      signers: [{ certificate: alice.certificate, privateKey: alice.privateKey }],
    });
    const mime = fromLatin1(
      'MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n' +
        `Content-Transfer-Encoding: base64\r\n\r\n${toBase64Lines(der)}\r\n`,
    );
    const options = { trust, at: AT, intermediates: [readFileSync(chainFile('intermediate.pem'))] };
    const verified = await verifyMessage(mime, options);
    // PEM text as intermediates, as verifyMessage takes it: the same option object fits every reader.
    const read = await readMessage(mime, {
      ...options,
      intermediates: [readFileSync(chainFile('intermediate.pem'), 'utf8')],
    });
    expect(read.layers[0]).toMatchObject({ type: 'signed', signers: [{ chainValid: true }] });
    const { stream, result } = await readMessageStream(chunked(mime, ODD_CHUNKS), options);
    await collect(stream).catch(() => undefined);
    for (const r of [verified, read, await result]) {
      expect(r.ok).toBe(false);
      expect(r.problems.map((p) => p.code)).toContain('no-content');
    }
    expect(read.content).toHaveLength(0);
  });
});

describe('streaming limits (docs/security.md)', () => {
  it('a header section over 1 MiB: limit-exceeded maxHeaderBytes before any body is read', async () => {
    const huge = fromLatin1(
      `From: rsa.user@example.test\r\n${'X-Filler: 0123456789012345678901234567890123456789\r\n'.repeat(25000)}\r\nbody\r\n`,
    );
    await expect(signMessageStream(chunked(huge), { signer: alice })).rejects.toMatchObject({
      code: 'limit-exceeded',
      details: { limit: 'maxHeaderBytes', value: 1024 * 1024 },
    });
  });

  it('a signature part over 16 MiB: limit-exceeded maxSignaturePart', async () => {
    const body = `${'QUJD'.repeat(19)}\r\n`.repeat(240000);
    const message = fromLatin1(
      `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}--b--\r\n`,
    );
    const { stream, report } = await verifyMessageStream(chunked(message), { trust, at: AT });
    await expect(collect(stream)).rejects.toMatchObject({
      code: 'limit-exceeded',
      details: { limit: 'maxSignaturePart' },
    });
    await expect(report).rejects.toMatchObject({ code: 'limit-exceeded' });
  });

  it('RecipientInfos over 16 MiB: limit-exceeded maxElementLength before anything is decrypted', async () => {
    // ContentInfo { envelopedData, [0] { SEQUENCE { version, SET of 17 MiB ... } } }, indefinite outer lengths.
    const open = (id: number) => Uint8Array.of(id, 0x80);
    const setHeader = Uint8Array.of(0x31, 0x84, 0x01, 0x10, 0x00, 0x00); // 17 MiB
    const head = concatBytes(
      open(0x30),
      Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03),
      open(0xa0),
      open(0x30),
      Uint8Array.of(0x02, 0x01, 0x00),
      setHeader,
    );
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head);
        controller.enqueue(new Uint8Array(1024));
        controller.close();
      },
    });
    await expect(decryptMessageStream(source, { identity: alice })).rejects.toMatchObject({
      code: 'limit-exceeded',
      details: { limit: 'maxElementLength' },
    });
  });
});
