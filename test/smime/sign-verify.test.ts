/**
 * S/MIME signing and verification: the acceptance matrix against OpenSSL
 * in both directions (every key type × digest, detached and opaque, UTF-8 body,
 * attachment, LF-only input), plus message structure, nesting, mailing-list
 * wrapping, tampering and signer-validation failures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { parseMime, entityBytes, decodedBody } from '../../src/mime/entity.js';
import { fromLatin1, latin1, utf8, concatBytes, toBase64Lines } from '../../src/util/bytes.js';
import { tempDir } from '../helpers/cli.js';
import {
  chainFile,
  identity,
  makeP521Identity,
  openssl,
  opensslVerifyMime,
  certDer,
  type TestIdentity,
} from '../cms/fixtures.js';
import type { SigningDigest } from '../../src/cms/signer.js';

const KEYS = ['ee-rsa', 'ee-rsa-pss', 'ee-p256', 'ee-p384', 'ee-ed25519', 'ee-p521'];
const DIGESTS: SigningDigest[] = ['sha256', 'sha384', 'sha512'];

/** A whole message with a UTF-8 8-bit body and LF-only line endings (as stored by many Unix tools). */
function utf8Message(from: string): Uint8Array {
  return utf8(
    [
      `From: Test User <${from}>`,
      'To: Bob <bob@example.test>',
      'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=',
      'Date: Tue, 24 Nov 2026 22:00:00 +0000',
      'Message-ID: <utf8-test@example.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Grüße aus Köln — ✓',
      'From the second line on, trailing spaces stay:   ',
      '.',
      '',
    ].join('\n'),
  );
}

/** A CRLF message with a text part and a binary attachment (base64). */
function attachmentMessage(from: string): Uint8Array {
  const binary = new Uint8Array(3000).map((_, i) => (i * 37 + 11) & 0xff);
  return fromLatin1(
    [
      `From: ${from}`,
      'To: bob@example.test',
      'Subject: report with attachment',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer-boundary"',
      '',
      'preamble',
      '--outer-boundary',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'See the attachment.',
      '--outer-boundary',
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Disposition: attachment; filename="data.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      toBase64Lines(binary),
      '--outer-boundary--',
      '',
    ].join('\r\n'),
  );
}

describe('S/MIME sign/verify', () => {
  const dir = tempDir();
  const ids: Record<string, TestIdentity> = {};
  let trust: TrustList;
  beforeAll(async () => {
    for (const k of KEYS.filter((k) => k !== 'ee-p521')) ids[k] = await identity(k);
    ids['ee-p521'] = await makeP521Identity(dir);
    trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
  }, 60_000);

  describe('smimekit signs, OpenSSL verifies', () => {
    for (const k of KEYS) {
      for (const digest of k === 'ee-ed25519' ? (['sha512'] as SigningDigest[]) : DIGESTS) {
        for (const detached of [true, false]) {
          it(`${k} ${digest} ${detached ? 'detached' : 'opaque'}`, async () => {
            const id = ids[k]!;
            for (const [name, msg] of [
              ['utf8-lf', utf8Message(id.email)],
              ['attachment', attachmentMessage(id.email)],
            ] as const) {
              const signed = await signMessage(msg, { signer: id, digest, detached });
              // Outer headers stay outside, the body entity is signed.
              const root = parseMime(signed);
              expect(root.headers.map((h) => h.name)).toContain('From');
              expect(root.headers.map((h) => h.name)).toContain('Subject');
              expect(root.contentType.mediaType).toBe(detached ? 'multipart/signed' : 'application/pkcs7-mime');
              if (detached)
                expect(root.contentType.params.micalg).toBe(k === 'ee-ed25519' ? 'sha-512' : `sha-${digest.slice(3)}`);
              else expect(root.contentType.params['smime-type']).toBe('signed-data');
              expect(latin1(signed)).not.toMatch(/[^\r]\n/); // CRLF only

              const report = await verifyMessage(signed, { trust, from: id.email });
              expect(report.problems).toEqual([]);
              expect(report.ok).toBe(true);
              expect(report.signers[0]!.email).toBe(id.email);
              const inner = parseMime(report.content);
              expect(inner.headers.some((h) => /^(from|subject)$/i.test(h.name))).toBe(false);
              if (name === 'utf8-lf') {
                // 8-bit UTF-8 became quoted-printable; decoding gives the text back
                expect(inner.headers.find((h) => h.name.toLowerCase() === 'content-transfer-encoding')!.value).toBe(
                  'quoted-printable',
                );
                expect(new TextDecoder().decode(decodedBody(inner))).toContain('Grüße aus Köln — ✓\r\n');
              }
              if (k === 'ee-ed25519') continue; // OpenSSL 3.0 cannot verify Ed25519 CMS (see test/cms: checked with its primitives)
              const res = opensslVerifyMime(dir, signed, ['-purpose', 'smimesign']);
              expect(res.stderr).toContain('Verification successful');
              expect(new Uint8Array(res.stdout)).toEqual(report.content);
            }
          });
        }
      }
    }
  });

  describe('OpenSSL signs, smimekit verifies', () => {
    const entity = (from: string) => {
      const msg = utf8Message(from);
      return msg.subarray(latin1(msg).indexOf('Content-Type'));
    };
    for (const k of KEYS.filter((k) => k !== 'ee-ed25519')) {
      for (const digest of DIGESTS) {
        for (const detached of [true, false]) {
          for (const pss of k === 'ee-rsa' ? [false, true] : [false]) {
            it(`${k} ${digest} ${detached ? 'detached' : 'opaque'}${pss ? ' pss' : ''}`, async () => {
              const id = ids[k]!;
              for (const [name, body] of [
                ['utf8-lf', entity(id.email)],
                ['attachment', attachmentMessage(id.email)],
              ] as const) {
                const inFile = join(dir, `in-${k}-${digest}-${name}.eml`);
                // The 8-bit UTF-8 body: OpenSSL signs it as is (canonical CRLF), which is fine for verification.
                writeFileSync(inFile, body);
                const args = [
                  'cms',
                  '-sign',
                  '-in',
                  inFile,
                  '-signer',
                  id.certFile,
                  '-inkey',
                  id.keyFile,
                  '-certfile',
                  chainFile('intermediate.pem'),
                  '-md',
                  digest,
                ];
                if (!detached) args.push('-nodetach');
                // OpenSSL 3.0 needs the padding mode even for id-RSASSA-PSS keys, or it writes rsaEncryption (which it cannot verify itself).
                if (pss || k === 'ee-rsa-pss') args.push('-keyopt', 'rsa_padding_mode:pss');
                const r = openssl(args);
                expect(r.status, r.stderr).toBe(0);
                const signed = new Uint8Array(r.stdout);
                const report = await verifyMessage(signed, { trust, from: id.email });
                expect(report.problems).toEqual([]);
                expect(report.ok).toBe(true);
                expect(report.signers[0]!.email).toBe(id.email);
                if (pss || k === 'ee-rsa-pss') expect(report.signers[0]!.algorithms.signature).toBe('RSASSA-PSS');
                const theirs = opensslVerifyMime(dir, signed);
                expect(new Uint8Array(theirs.stdout)).toEqual(report.content);
              }
            });
          }
        }
      }
    }
  });

  it('OpenSSL PSS with a non-default salt length verifies (any stated salt is accepted)', async () => {
    const id = ids['ee-rsa']!;
    const inFile = join(dir, 'salt.txt');
    writeFileSync(inFile, 'Content-Type: text/plain\r\n\r\nsalt\r\n');
    const r = openssl([
      'cms',
      '-sign',
      '-in',
      inFile,
      '-signer',
      id.certFile,
      '-inkey',
      id.keyFile,
      '-certfile',
      chainFile('intermediate.pem'),
      '-keyopt',
      'rsa_padding_mode:pss',
      '-keyopt',
      'rsa_pss_saltlen:max',
    ]);
    expect(r.status).toBe(0);
    const report = await verifyMessage(new Uint8Array(r.stdout), { trust });
    expect(report.ok).toBe(true);
    expect(report.signers[0]!.algorithms.pss!.saltLength).toBeGreaterThan(32);
  });

  it('a bare entity and bare text are signed without outer headers', async () => {
    const id = ids['ee-p256']!;
    const signed = await signMessage('Content-Type: text/plain\n\nhello\n', { signer: id });
    expect(parseMime(signed).headers.map((h) => h.name.toLowerCase())).toEqual(['content-type']);
    const report = await verifyMessage(signed, { trust });
    expect(latin1(report.content)).toBe('Content-Type: text/plain\r\n\r\nhello\r\n');
    const text = await signMessage('just text, no headers\n', { signer: id, detached: false });
    expect(latin1((await verifyMessage(text, { trust })).content)).toBe(
      'Content-Type: text/plain; charset=us-ascii\r\n\r\njust text, no headers\r\n',
    );
  });

  it('uses a fresh random boundary each time', async () => {
    const id = ids['ee-p256']!;
    const a = parseMime(await signMessage('Content-Type: text/plain\n\nx\n', { signer: id })).contentType.params
      .boundary;
    const b = parseMime(await signMessage('Content-Type: text/plain\n\nx\n', { signer: id })).contentType.params
      .boundary;
    expect(a).not.toBe(b);
  });

  it('refuses a key that does not match the certificate', async () => {
    const rsa = ids['ee-rsa']!;
    await expect(
      signMessage('Content-Type: text/plain\n\nx\n', {
        signer: { certificate: rsa.certificate, privateKey: ids['ee-p256']!.privateKey },
      }),
    ).rejects.toMatchObject({ code: 'key-mismatch' });
  });

  it('stored with LF line endings after signing, a message still verifies', async () => {
    const signed = await signMessage(attachmentMessage(ids['ee-rsa']!.email), { signer: ids['ee-rsa']! });
    const lf = fromLatin1(latin1(signed).replace(/\r\n/g, '\n'));
    const report = await verifyMessage(lf, { trust });
    expect(report.ok).toBe(true);
  });

  it('tampering: body changed → digest-mismatch; signature changed → bad-signature', async () => {
    const signed = latin1(await signMessage(attachmentMessage(ids['ee-rsa']!.email), { signer: ids['ee-rsa']! }));
    const changed = await verifyMessage(fromLatin1(signed.replace('See the attachment.', 'See the attachment!')), {
      trust,
    });
    expect(changed.ok).toBe(false);
    expect(changed.signers[0]!.signatureValid).toBe(false);
    expect(changed.problems[0]!.code).toBe('digest-mismatch');

    // Flip one bit inside the RSA signature value (the last base64 line before the closing boundary carries it).
    const root = parseMime(fromLatin1(signed));
    const sigPart = root.children[1]!;
    const der = decodedBody(sigPart);
    der[der.length - 5]! ^= 0x01;
    const rebuilt = concatBytes(
      fromLatin1(signed).subarray(0, sigPart.bodyStart),
      fromLatin1(toBase64Lines(der)),
      fromLatin1(signed).subarray(sigPart.end),
    );
    const bad = await verifyMessage(rebuilt, { trust });
    expect(bad.problems[0]!.code).toBe('bad-signature');
    expect(bad.signers[0]!.signatureValid).toBe(false);
  });

  it('nested signatures are all verified, outermost first', async () => {
    const inner = await signMessage(utf8Message('rsa.user@example.test'), { signer: ids['ee-rsa']!, detached: false });
    const outer = await signMessage(inner, { signer: ids['ee-p384']!, digest: 'sha384' });
    const report = await verifyMessage(outer, { trust });
    expect(report.ok).toBe(true);
    expect(report.layers.map((l) => l.kind)).toEqual(['multipart-signed', 'opaque']);
    expect(report.layers.map((l) => l.path)).toEqual(['/', '/signed']);
    expect(report.signers.map((s) => s.email)).toEqual(['p384.user@example.test', 'rsa.user@example.test']);
    expect(new TextDecoder().decode(decodedBody(parseMime(report.content)))).toContain('Grüße');
  });

  it('a signed part wrapped by a mailing list (multipart/mixed + footer) is found; the footer is reported as not covered', async () => {
    const signed = latin1(await signMessage(utf8Message('rsa.user@example.test'), { signer: ids['ee-rsa']! }));
    const headerEnd = signed.indexOf('Content-Type: multipart/signed');
    const outerHeaders = signed.slice(0, headerEnd).replace(/MIME-Version: 1.0\r\n/, '');
    const signedEntity = signed.slice(headerEnd);
    const wrapped = fromLatin1(
      `${outerHeaders}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="list"\r\n\r\n--list\r\n${signedEntity}\r\n--list\r\nContent-Type: text/plain\r\n\r\n-- \r\nlist footer: unsubscribe at ...\r\n--list--\r\n`,
    );
    // Not verified by default (issue #14: partially-signed is a failure); allowPartial accepts it with a warning.
    const strict = await verifyMessage(wrapped, { trust });
    expect(strict.ok).toBe(false);
    expect(strict.problems.map((p) => p.code)).toEqual(['partially-signed']);
    const report = await verifyMessage(wrapped, { trust, allowPartial: true });
    expect(report.ok).toBe(true);
    expect(report.layers[0]!.path).toBe('/1');
    expect(report.coverage).toEqual({
      complete: false,
      signedParts: ['/1'],
      unsignedParts: ['/2'],
      unsigned: [{ path: '/2', contentType: 'text/plain' }],
    });
    expect(report.warnings.map((w) => w.code)).toContain('partially-signed');
  });

  it('an unsigned message is not-signed', async () => {
    await expect(verifyMessage('Content-Type: text/plain\r\n\r\nhi\r\n', { trust })).rejects.toMatchObject({
      code: 'not-signed',
    });
  });

  describe('signer certificate fails validation → signatureValid true, ok false', () => {
    const cases: [string, string, string[]][] = [
      ['bad-expired', 'expired', ['intermediate.pem']],
      ['bad-eku', 'bad-eku', ['intermediate.pem']],
      ['bad-key-usage', 'bad-key-usage', ['intermediate.pem']],
      ['bad-untrusted-root', 'untrusted-root', ['untrusted-intermediate.pem', 'untrusted-root.pem']],
      ['bad-weak-sha1', 'weak-algorithm', ['intermediate.pem']],
    ];
    for (const [name, code, chain] of cases) {
      it(`${name} → ${code}`, async () => {
        const id = await identity(name, chain);
        const signed = await signMessage('Content-Type: text/plain\r\n\r\nhello\r\n', {
          signer: id,
          includeCertificates: 'chain-with-root',
        });
        const report = await verifyMessage(signed, { trust });
        expect(report.signers[0]!.signatureValid).toBe(true);
        expect(report.signers[0]!.chain!.valid).toBe(false);
        expect(report.ok).toBe(false);
        expect(report.signers[0]!.chain!.problems.map((p) => p.code)).toContain(code);
        expect(report.problems.map((p) => p.code)).toContain(code);
      });
    }

    it('wrong From address → email-mismatch', async () => {
      const signed = await signMessage(utf8Message('rsa.user@example.test'), { signer: ids['ee-rsa']! });
      const report = await verifyMessage(signed, { trust, from: 'mallory@example.test' });
      expect(report.signers[0]!.signatureValid).toBe(true);
      expect(report.ok).toBe(false);
      expect(report.problems[0]!.code).toBe('email-mismatch');
    });

    it('not trusted at all (empty-for-this-chain trust list) → untrusted', async () => {
      const other = TrustList.fromBytes(readFileSync(chainFile('untrusted-root.pem')));
      const signed = await signMessage('Content-Type: text/plain\r\n\r\nhello\r\n', { signer: ids['ee-rsa']! });
      const report = await verifyMessage(signed, { trust: other });
      expect(report.signers[0]!.signatureValid).toBe(true);
      expect(report.ok).toBe(false);
    });
  });

  it('SHA-1 message signatures verify only with allowWeak', async () => {
    const id = ids['ee-rsa']!;
    const inFile = join(dir, 'sha1.txt');
    writeFileSync(inFile, 'Content-Type: text/plain\r\n\r\nold mail\r\n');
    const r = openssl([
      'cms',
      '-sign',
      '-md',
      'sha1',
      '-in',
      inFile,
      '-signer',
      id.certFile,
      '-inkey',
      id.keyFile,
      '-certfile',
      chainFile('intermediate.pem'),
    ]);
    const signed = new Uint8Array(r.stdout);
    const strict = await verifyMessage(signed, { trust });
    expect(strict.ok).toBe(false);
    // The signature verifies; only the policy refuses SHA-1 (issue #14): allowWeak removes just that problem.
    expect(strict.signers[0]!.signatureValid).toBe(true);
    expect(strict.signers[0]!.problems.map((p) => p.code)).toEqual(['weak-algorithm']);
    const lenient = await verifyMessage(signed, { trust, allowWeak: true });
    expect(lenient.signers[0]!.signatureValid).toBe(true);
    expect(lenient.signers[0]!.problems).toEqual([]);
    expect(lenient.ok).toBe(true);
  });

  it('finds the signer in extra certificates when the message has none', async () => {
    const id = ids['ee-p256']!;
    const signed = await signMessage('Content-Type: text/plain\r\n\r\nhello\r\n', {
      signer: id,
      includeCertificates: 'none',
    });
    const missing = await verifyMessage(signed, { trust });
    expect(missing.problems[0]!.code).toBe('sender-certificate-missing');
    const found = await verifyMessage(signed, { trust, certificates: [id.certificate, certDer('intermediate.pem')] });
    expect(found.ok).toBe(true);
  });

  it('entityBytes of the signed part equals the canonical inner entity', async () => {
    const signed = await signMessage(utf8Message('x@example.test'), { signer: ids['ee-p256']! });
    const part = entityBytes(parseMime(signed).children[0]!);
    expect(latin1(part)).toMatch(
      /^Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n/,
    );
  });

  it('the old application/x-pkcs7-signature and x-pkcs7-mime types verify', async () => {
    const id = ids['ee-rsa']!;
    const detached = latin1(await signMessage(utf8Message(id.email), { signer: id }))
      .replace('protocol="application/pkcs7-signature"', 'protocol="application/x-pkcs7-signature"')
      .replace('Content-Type: application/pkcs7-signature', 'Content-Type: application/x-pkcs7-signature');
    expect(detached).toContain('x-pkcs7-signature');
    expect((await verifyMessage(fromLatin1(detached), { trust })).ok).toBe(true);
    const opaque = latin1(await signMessage(utf8Message(id.email), { signer: id, detached: false })).replace(
      'application/pkcs7-mime',
      'application/x-pkcs7-mime',
    );
    expect((await verifyMessage(fromLatin1(opaque), { trust })).ok).toBe(true);
  });

  it('OpenSSL messages with two signers, one identified by subjectKeyIdentifier, verify both', async () => {
    const a = ids['ee-rsa']!;
    const b = ids['ee-p256']!;
    const inFile = join(dir, 'two.txt');
    writeFileSync(inFile, 'Content-Type: text/plain\r\n\r\ntwo signers\r\n');
    for (const keyid of [false, true]) {
      const args = [
        'cms',
        '-sign',
        '-in',
        inFile,
        '-signer',
        a.certFile,
        '-inkey',
        a.keyFile,
        '-signer',
        b.certFile,
        '-inkey',
        b.keyFile,
        '-certfile',
        chainFile('intermediate.pem'),
      ];
      if (keyid) args.push('-keyid');
      const r = openssl(args);
      expect(r.status, r.stderr).toBe(0);
      const report = await verifyMessage(new Uint8Array(r.stdout), { trust });
      expect(report.ok).toBe(true);
      // DER sorts the SignerInfos; compare as a set.
      expect(report.signers.map((s) => s.email).sort()).toEqual([a.email, b.email].sort());
      if (keyid) expect(report.signers.every((s) => s.certificate !== undefined)).toBe(true);
    }
  });

  it('one bad signer of two makes the message not ok and names that signer', async () => {
    const a = ids['ee-rsa']!;
    const inFile = join(dir, 'two-bad.txt');
    writeFileSync(inFile, 'Content-Type: text/plain\r\n\r\ntwo signers\r\n');
    const expired = await identity('bad-expired');
    const r = openssl([
      'cms',
      '-sign',
      '-in',
      inFile,
      '-signer',
      a.certFile,
      '-inkey',
      a.keyFile,
      '-signer',
      expired.certFile,
      '-inkey',
      expired.keyFile,
      '-certfile',
      chainFile('intermediate.pem'),
    ]);
    const report = await verifyMessage(new Uint8Array(r.stdout), { trust });
    expect(report.ok).toBe(false);
    expect(report.signers.map((s) => s.signatureValid)).toEqual([true, true]);
    expect(report.problems[0]).toMatchObject({ code: 'expired', signer: 1 });
  });

  // NB: bytes 0x0a/0x0d are left out: canonicalizeEntity (src/mime) converts bare LF before parsing, which would alter them.
  it('a binary (8-bit) attachment is re-encoded to base64 before signing and survives', async () => {
    const id = ids['ee-p256']!;
    const raw = concatBytes(
      fromLatin1(
        'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n',
      ),
      Uint8Array.from([0, 1, 2, 9, 255, 128, 200]),
      fromLatin1('\r\n--x--\r\n'),
    );
    const signed = await signMessage(raw, { signer: id });
    const report = await verifyMessage(signed, { trust });
    expect(report.ok).toBe(true);
    const part = parseMime(report.content).children[0]!;
    expect(part.headers.find((h) => h.name.toLowerCase() === 'content-transfer-encoding')!.value).toBe('base64');
    expect(decodedBody(part)).toEqual(Uint8Array.from([0, 1, 2, 9, 255, 128, 200]));
    expect(opensslVerifyMime(dir, signed).stderr).toContain('Verification successful');
  });

  it('the unwrap hook opens non-signed pkcs7-mime layers (e.g. decryption) and verification continues inside', async () => {
    const { encodeContentInfo, CONTENT_TYPE } = await import('../../src/cms/content-info.js');
    const inner = await signMessage('Content-Type: text/plain\r\n\r\ninside\r\n', { signer: ids['ee-p256']! });
    const fakeEnveloped = encodeContentInfo(CONTENT_TYPE.envelopedData, Uint8Array.of(0x30, 0x00));
    const outer = concatBytes(
      fromLatin1(
        'Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      ),
      fromLatin1(toBase64Lines(fakeEnveloped)),
      fromLatin1('\r\n'),
    );
    await expect(verifyMessage(outer, { trust })).rejects.toMatchObject({ code: 'not-signed' });
    const report = await verifyMessage(outer, { trust, unwrap: async () => inner });
    expect(report.ok).toBe(true);
    expect(report.layers.map((l) => l.path)).toEqual(['/enveloped']);
    expect(latin1(report.content)).toBe('Content-Type: text/plain\r\n\r\ninside\r\n');
  });
});
