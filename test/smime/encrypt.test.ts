/**
 * encryptMessage / decryptMessage / readMessage behaviour: always the sender,
 * missing certificates, validation, per-recipient algorithm choice, warnings,
 * recipient matching, the PKCS#1 v1.5 no-oracle property, AES-GCM tampering,
 * CompressedData, nested layers.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateMissingError, CryptoError, ValidationError } from '../../src/errors.js';
import { loadPrivateKey, type LoadedPrivateKey } from '../../src/crypto/private-key.js';
import { rsaPkcs1v15DecryptImplicit, rsaPkcs1v15Encrypt } from '../../src/crypto/rsa.js';
import { aesGcmEncrypt } from '../../src/crypto/ciphers/aes.js';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo } from '../../src/cms/content-info.js';
import { createEnvelope } from '../../src/cms/enveloped-create.js';
import { decryptEnvelope } from '../../src/cms/enveloped-decrypt.js';
import { parseEnvelope } from '../../src/cms/enveloped-parse.js';
import { encodeRecipientInfo } from '../../src/cms/recipient-encode.js';
import { encryptContent, generateCek } from '../../src/cms/content-cipher.js';
import { createCompressed, decompressCompressed, zlibCompress } from '../../src/cms/compressed.js';
import { CAPABILITY, encodeSmimeCapabilities, parseSmimeCapabilities } from '../../src/smime/capabilities.js';
import { decryptMessage, type DecryptionIdentity } from '../../src/smime/decrypt.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { signMessage } from '../../src/smime/sign.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { concatBytes, toBase64Lines } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { readCertificate } from '../../src/x509/index.js';
import { projectVectorPath } from '../helpers/vectors.js';
import { tlv, seq, set, encodeOid, encodeInt } from '../../src/asn1/index.js';

const chain = (name: string): string => projectVectorPath('chains', name);
const cert = (name: string): Uint8Array =>
  decodePem(readFileSync(chain(name))).find((b) => b.label === 'CERTIFICATE')!.der;
const AT = new Date('2026-06-01T00:00:00Z');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

const MESSAGE = 'From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: secret\r\n\r\nHello.\r\n';

let trust: TrustList;
const keys: Record<string, LoadedPrivateKey> = {};
const id = (name: 'rsa' | 'p256' | 'p384'): DecryptionIdentity => ({
  certificate: cert(`ee-${name}.pem`),
  privateKey: keys[name]!,
});
const validation = () => ({
  trust,
  intermediates: [readFileSync(chain('intermediate.pem'))],
  at: AT,
  revocation: 'off' as const,
});

beforeAll(async () => {
  trust = new TrustList();
  trust.addBytes(readFileSync(chain('root.pem')));
  for (const n of ['rsa', 'p256', 'p384']) keys[n] = await loadPrivateKey(readFileSync(chain(`ee-${n}.key`)));
});

describe('encryptMessage: always the sender', () => {
  it('adds the sender as a recipient and keeps the outer headers outside', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [{ address: 'p256.user@example.test', certificate: cert('ee-p256.pem') }],
      sender: { address: 'rsa.user@example.test', certificate: cert('ee-rsa.pem') },
      ...validation(),
    });
    expect(r.recipients.map((x) => [x.address, x.sender])).toEqual([
      ['p256.user@example.test', false],
      ['rsa.user@example.test', true],
    ]);
    const out = text(r.message);
    expect(out).toMatch(
      /^From: rsa\.user@example\.test\r\nTo: p256\.user@example\.test\r\nSubject: secret\r\nMIME-Version: 1\.0\r\nContent-Type: application\/pkcs7-mime; smime-type=enveloped-data; name="smime\.p7m"\r\n/,
    );
    for (const line of out.split('\r\n\r\n')[1]!.trimEnd().split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    for (const who of ['rsa', 'p256'] as const) {
      const d = await decryptMessage(r.message, { identity: id(who) });
      expect(text(d.content)).toBe('Content-Type: text/plain; charset=us-ascii\r\n\r\nHello.\r\n');
      expect(text(d.message)).toContain('Subject: secret\r\n');
    }
  });

  it('a sender who is also a recipient gets one RecipientInfo; string input is UTF-8 text', async () => {
    const r = await encryptMessage('Content-Type: text/plain; charset=utf-8\r\n\r\nGr\u00fc\u00dfe \u2014 ok\r\n', {
      recipients: [cert('ee-rsa.pem')],
      sender: cert('ee-rsa.pem'),
      validate: false,
    });
    expect(r.recipients).toHaveLength(1);
    expect(r.recipients[0]!.sender).toBe(true);
    const d = await decryptMessage(r.message, { identity: id('rsa') });
    expect(text(d.content)).toBe('Content-Type: text/plain; charset=utf-8\r\n\r\nGr\u00fc\u00dfe \u2014 ok\r\n');
  });

  it('missing sender certificate → sender-certificate-missing', async () => {
    const run = encryptMessage(MESSAGE, {
      recipients: [cert('ee-p256.pem')],
      sender: { address: 'me@example.test' },
      validate: false,
    });
    await expect(run).rejects.toBeInstanceOf(CertificateMissingError);
    await expect(run).rejects.toMatchObject({ code: 'sender-certificate-missing' });
    await expect(encryptMessage(MESSAGE, { recipients: [cert('ee-p256.pem')], validate: false })).rejects.toMatchObject(
      { code: 'sender-certificate-missing' },
    );
  });

  it('includeSender: false is explicit and then needs no sender', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-p256.pem')],
      includeSender: false,
      validate: false,
    });
    expect(r.recipients).toHaveLength(1);
    await expect(decryptMessage(r.message, { identity: id('rsa') })).rejects.toMatchObject({ code: 'not-recipient' });
  });

  it('lists every recipient without a usable certificate', async () => {
    const run = encryptMessage(MESSAGE, {
      recipients: [
        { address: 'a@example.test' },
        { address: 'ok@example.test', certificate: cert('ee-p256.pem') },
        { address: 'b@example.test', certificate: null },
        { address: 'ed@example.test', certificate: cert('ee-ed25519.pem') },
      ],
      sender: cert('ee-rsa.pem'),
      validate: false,
    });
    await expect(run).rejects.toBeInstanceOf(CertificateMissingError);
    await expect(run).rejects.toMatchObject({
      code: 'recipient-certificate-missing',
      details: { addresses: ['a@example.test', 'b@example.test', 'ed@example.test'] },
    });
  });

  it('validates recipient and sender certificates for encryption (trust codes)', async () => {
    const base = {
      recipients: [{ address: 'rsa.user@example.test', certificate: cert('ee-rsa.pem') }],
      sender: { address: 'p256.user@example.test', certificate: cert('ee-p256.pem') },
      ...validation(),
    };
    await expect(encryptMessage(MESSAGE, base)).resolves.toBeDefined();
    await expect(
      encryptMessage(MESSAGE, {
        ...base,
        recipients: [{ address: 'someone.else@example.test', certificate: cert('ee-rsa.pem') }],
      }),
    ).rejects.toMatchObject({ code: 'email-mismatch' });
    const expired = encryptMessage(MESSAGE, { ...base, recipients: [cert('bad-expired.pem')] });
    await expect(expired).rejects.toBeInstanceOf(ValidationError);
    await expect(expired).rejects.toMatchObject({ code: 'expired' });
    await expect(encryptMessage(MESSAGE, { ...base, sender: cert('bad-untrusted-root.pem') })).rejects.toMatchObject({
      code: 'untrusted-root',
    });
    await expect(
      encryptMessage(MESSAGE, { recipients: [cert('ee-rsa.pem')], sender: cert('ee-p256.pem') }),
    ).rejects.toMatchObject({ code: 'bad-argument' });
  });
});

describe('algorithm choice and warnings', () => {
  const gcmAndOaep = [CAPABILITY.aes256Gcm, CAPABILITY.aes256Cbc, CAPABILITY.rsaesOaep];
  it('AES-256-GCM only when every party advertises it, else AES-256-CBC', async () => {
    const all = await encryptMessage(MESSAGE, {
      recipients: [{ certificate: cert('ee-rsa.pem'), capabilities: gcmAndOaep }],
      sender: { certificate: cert('ee-p256.pem'), capabilities: encodeSmimeCapabilities() },
      validate: false,
    });
    expect(all.cipher).toBe('aes-256-gcm');
    expect(all.contentType).toBe('authEnvelopedData');
    expect(text(all.message)).toContain('smime-type=authEnveloped-data');
    const one = await encryptMessage(MESSAGE, {
      recipients: [{ certificate: cert('ee-rsa.pem'), capabilities: gcmAndOaep }],
      sender: cert('ee-p256.pem'),
      validate: false,
    });
    expect(one.cipher).toBe('aes-256-cbc');
    expect(one.contentType).toBe('envelopedData');
  });

  it('OAEP only where advertised; explicit options override', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [{ certificate: cert('ee-rsa.pem'), capabilities: gcmAndOaep }],
      sender: cert('ee-p256.pem'),
      validate: false,
    });
    expect(r.recipients[0]!.keyManagement).toBe('rsa-oaep');
    expect(r.recipients[0]!.algorithm).toBe('RSAES-OAEP/SHA-256');
    expect(r.warnings.map((w) => w.code)).toContain('oaep-limited-interop');
    const plain = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-rsa.pem')],
      sender: cert('ee-p256.pem'),
      validate: false,
    });
    expect(plain.recipients[0]!.keyManagement).toBe('rsa-pkcs1');
    const forced = await encryptMessage(MESSAGE, {
      recipients: [{ certificate: cert('ee-rsa.pem'), capabilities: gcmAndOaep }],
      sender: cert('ee-p256.pem'),
      keyTransport: 'rsa-pkcs1',
      cipher: 'aes-128-cbc',
      validate: false,
    });
    expect(forced.recipients[0]!.keyManagement).toBe('rsa-pkcs1');
    expect(forced.cipher).toBe('aes-128-cbc');
    await expect(
      encryptMessage(MESSAGE, {
        recipients: [cert('ee-rsa.pem')],
        sender: cert('ee-p256.pem'),
        cipher: 'des-ede3-cbc' as never,
        validate: false,
      }),
    ).rejects.toMatchObject({ code: 'bad-argument' });
  });

  it('warns when an ECDH recipient is mixed with RSA recipients (NSS lock-out)', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-rsa.pem')],
      sender: cert('ee-p256.pem'),
      validate: false,
    });
    expect(r.recipients.map((x) => x.keyManagement)).toEqual(['rsa-pkcs1', 'ecdh']);
    expect(r.warnings.map((w) => w.code)).toEqual(['ecdh-recipient-mixed']);
    const rsaOnly = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-rsa.pem')],
      includeSender: false,
      validate: false,
    });
    expect(rsaOnly.warnings).toEqual([]);
  });

  it('parses and writes SMIMECapabilities', () => {
    const caps = parseSmimeCapabilities(encodeSmimeCapabilities()).map((c) => c.capability);
    expect(caps[0]).toBe(CAPABILITY.aes256Gcm);
    expect(caps).toContain(CAPABILITY.rsaesOaep);
    expect(caps).not.toContain(CAPABILITY.desEde3Cbc);
  });
});

describe('recipient matching', () => {
  it('subjectKeyIdentifier recipients (option) are found; a key matching nothing is not-recipient', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-rsa.pem')],
      sender: cert('ee-p384.pem'),
      recipientIdentifier: 'subjectKeyIdentifier',
      validate: false,
    });
    expect(r.recipients.every((x) => x.identifier === 'subjectKeyIdentifier')).toBe(true);
    const env = parseEnvelope(parseContentInfo(r.cms));
    expect(env.version).toBe(2);
    const d = await decryptMessage(r.message, { identity: id('rsa') });
    expect(d.recipient.matchedBy).toBe('subjectKeyIdentifier');
    const e = await decryptMessage(r.message, { identity: id('p384') });
    expect(e.recipient).toMatchObject({ keyManagement: 'ecdh', matchedBy: 'subjectKeyIdentifier' });
    await expect(decryptMessage(r.message, { identity: id('p256') })).rejects.toMatchObject({ code: 'not-recipient' });
  });

  it('tryAllRecipients finds the RecipientInfo when the certificate does not name it', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-rsa.pem')],
      includeSender: false,
      cipher: 'aes-256-gcm',
      validate: false,
    });
    const wrongCert = { certificate: cert('ee-rsa-pss.pem'), privateKey: keys.rsa! };
    // The pair itself is inconsistent: said before any RecipientInfo is looked at.
    await expect(decryptMessage(r.message, { identity: wrongCert })).rejects.toMatchObject({ code: 'key-mismatch' });
    const d = await decryptMessage(r.message, { identity: wrongCert, tryAllRecipients: true });
    expect(d.recipient.matchedBy).toBe('trial');
  });
});

describe('no padding oracle on the PKCS#1 v1.5 path', () => {
  it('bad padding and a wrong key give the same error, and the RSA step never exits early', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-rsa.pem')],
      includeSender: false,
      cipher: 'aes-256-gcm',
      validate: false,
    });
    const env = parseEnvelope(parseContentInfo(r.cms));
    const ktri = env.recipientInfos[0]!;
    if (ktri.kind !== 'ktri') throw new Error('expected a KTRI');
    // A ciphertext whose plaintext is not PKCS#1 v1.5 (random block below n) — bad padding.
    const badPadding = new Uint8Array(ktri.encryptedKey.length);
    crypto.getRandomValues(badPadding);
    badPadding[0] = 0;
    // Same structure with the bad ciphertext in place of the real one.
    const bytes = r.cms.slice();
    const at = indexOf(bytes, ktri.encryptedKey);
    bytes.set(badPadding, at);

    // RSA step: both return a CEK of the requested length (implicit rejection), no exception to time or catch.
    const synthetic = await rsaPkcs1v15DecryptImplicit(keys.rsa!.pkcs8, badPadding, { expectedLength: 32 });
    expect(synthetic).toHaveLength(32);
    const wrongLength = await rsaPkcs1v15DecryptImplicit(
      keys.rsa!.pkcs8,
      await rsaPkcs1v15Encrypt(cert('ee-rsa.pem'), new Uint8Array(24)),
      { expectedLength: 32 },
    );
    expect(wrongLength).toHaveLength(32);

    const otherKey = await otherRsaKey();
    const errors: unknown[] = [];
    // Each attempt is started only when awaited, so no rejection is ever left without a handler.
    for (const run of [
      () => decryptEnvelope(bytes, { certificate: cert('ee-rsa.pem'), privateKey: keys.rsa! }), // bad padding
      () => decryptEnvelope(r.cms, { certificate: cert('ee-rsa.pem'), privateKey: otherKey, checkKeyMatch: false }), // wrong key
    ]) {
      errors.push(
        await run().then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
    }
    for (const e of errors) {
      expect(e).toBeInstanceOf(CryptoError);
      expect((e as CryptoError).code).toBe('decryption-failed');
    }
    expect((errors[0] as Error).message).toBe((errors[1] as Error).message);
    // No early exit: in both cases the RSA step handed a (synthetic) key on and the AES-GCM tag check ran.
    for (const e of errors) expect(((e as Error).cause as Error).message).toMatch(/authentication tag mismatch/);
  });
});

async function otherRsaKey(): Promise<LoadedPrivateKey> {
  // Any other RSA key: the intermediate CA's.
  return loadPrivateKey(readFileSync(chain('intermediate.key')));
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}

describe('AES-GCM integrity', () => {
  it('a tampered AuthEnvelopedData fails with decryption-failed and returns nothing', async () => {
    const r = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-rsa.pem')],
      includeSender: false,
      cipher: 'aes-256-gcm',
      validate: false,
    });
    const env = parseEnvelope(parseContentInfo(r.cms));
    for (const target of [env.encryptedContent, env.mac!]) {
      const bytes = r.cms.slice();
      const at = indexOf(bytes, target);
      bytes[at + target.length - 1]! ^= 1;
      const mime = `Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n${toBase64Lines(bytes)}\r\n`;
      await expect(decryptMessage(mime, { identity: id('rsa') })).rejects.toMatchObject({ code: 'decryption-failed' });
    }
  });

  it('reads GCM inside EnvelopedData (the PKI.js form) as tolerated legacy', async () => {
    const cek = generateCek('aes-128-gcm');
    const ri = await encodeRecipientInfo({ certificate: cert('ee-rsa.pem') }, cek);
    const parts = await encryptContent('aes-128-gcm', cek, new TextEncoder().encode('legacy gcm'));
    const eci = seq(
      encodeOid(CONTENT_TYPE.data),
      parts.algorithm,
      tlv(0x80, concatBytes(parts.ciphertext, parts.tag!)),
    );
    const der = encodeContentInfo(CONTENT_TYPE.envelopedData, seq(encodeInt(0), set(ri.der), eci));
    const d = await decryptEnvelope(der, { certificate: cert('ee-rsa.pem'), privateKey: keys.rsa! });
    expect(text(d.content)).toBe('legacy gcm');
    expect(d.legacyGcmInEnvelopedData).toBe(true);
    const bad = der.slice();
    bad[bad.length - 1]! ^= 1;
    await expect(
      decryptEnvelope(bad, { certificate: cert('ee-rsa.pem'), privateKey: keys.rsa! }),
    ).rejects.toMatchObject({ code: 'decryption-failed' });
  });

  it('GCM parameters as encoded: ICV length 12 (the DEFAULT) to 16, shorter refused; authAttrs are the AAD; nothing returned on tampering', async () => {
    const build = async (
      icv: number | undefined,
      tagLength: number,
      aad?: Uint8Array,
      macOverride?: Uint8Array,
    ): Promise<Uint8Array> => {
      const cek = generateCek('aes-128-gcm');
      const ri = await encodeRecipientInfo({ certificate: cert('ee-rsa.pem') }, cek);
      const nonce = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await aesGcmEncrypt(cek, nonce, new TextEncoder().encode('gcm params'), {
        tagLength,
        ...(aad ? { aad } : {}),
      });
      const params = icv === undefined ? seq(tlv(0x04, nonce)) : seq(tlv(0x04, nonce), encodeInt(icv));
      const eci = seq(
        encodeOid(CONTENT_TYPE.data),
        seq(encodeOid('2.16.840.1.101.3.4.1.6'), params),
        tlv(0x80, sealed.ciphertext),
      );
      const authAttrs = aad ? [tlv(0xa1, aad.subarray(2))] : [];
      return encodeContentInfo(
        CONTENT_TYPE.authEnvelopedData,
        seq(encodeInt(0), set(ri.der), eci, ...authAttrs, tlv(0x04, macOverride ?? sealed.tag)),
      );
    };
    const open = (der: Uint8Array) => decryptEnvelope(der, { certificate: cert('ee-rsa.pem'), privateKey: keys.rsa! });
    expect(text((await open(await build(undefined, 12))).content)).toBe('gcm params'); // aes-ICVlen absent: 12
    for (const n of [13, 14, 15, 16]) expect(text((await open(await build(n, n))).content)).toBe('gcm params');
    // A mac whose length differs from aes-ICVlen never opens; an ICV length below 12 (RFC 5084) only as legacy.
    await expect(open(await build(undefined, 16))).rejects.toMatchObject({ code: 'decryption-failed' });
    await expect(open(await build(8, 8))).rejects.toMatchObject({ code: 'legacy-gcm-parameters' });
    await expect(open(await build(4, 4))).rejects.toMatchObject({ code: 'legacy-gcm-parameters' });
    // authAttrs (re-tagged as a DER SET) are the additional data: changing one byte of them fails the tag.
    const attrs = set(seq(encodeOid('1.2.840.113549.1.9.3'), set(encodeOid(CONTENT_TYPE.data))));
    const withAttrs = await build(16, 16, attrs);
    expect(text((await open(withAttrs)).content)).toBe('gcm params');
    const tampered = withAttrs.slice();
    tampered[indexOf(tampered, attrs.subarray(2)) + attrs.length - 3]! ^= 1;
    await expect(open(tampered)).rejects.toMatchObject({ code: 'decryption-failed' });
  });

  it('never writes RC2/DES/3DES', async () => {
    await expect(
      createEnvelope(new Uint8Array(1), [{ certificate: cert('ee-rsa.pem') }], { cipher: 'des-ede3-cbc' as never }),
    ).rejects.toMatchObject({ code: 'bad-argument' });
  });
});

describe('CompressedData', () => {
  it('round-trips and refuses a decompression bomb', async () => {
    const data = new TextEncoder().encode('compress me '.repeat(1000));
    const der = await createCompressed(data);
    expect(parseContentInfo(der).name).toBe('compressedData');
    expect(text((await decompressCompressed(der)).content)).toBe(text(data));
    const bomb = await createCompressed(new Uint8Array(5 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(10_000);
    await expect(decompressCompressed(bomb, { maxSize: 1024 * 1024 })).rejects.toMatchObject({
      code: 'limit-exceeded',
    });
    const garbage = encodeContentInfo(CONTENT_TYPE.compressedData, parseContentInfo(der).content.slice());
    const bytes = garbage.slice();
    bytes.fill(0x41, bytes.length - 20);
    await expect(decompressCompressed(bytes)).rejects.toMatchObject({ code: 'malformed-compressed-data' });
    expect((await zlibCompress(data))[0]).toBe(0x78); // zlib header
  });
});

describe('readMessage: any nesting', () => {
  it('sign → compress → encrypt → sign (triple wrap) is unwrapped and every layer reported', async () => {
    const signer = { certificate: cert('ee-rsa.pem'), privateKey: keys.rsa!, chain: [cert('intermediate.pem')] };
    const signed = await signMessage(MESSAGE, { signer });
    const compressed = await createCompressed(signed);
    const compressedEntity = `Content-Type: application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"\r\nContent-Transfer-Encoding: base64\r\n\r\n${toBase64Lines(compressed)}\r\n`;
    const encrypted = await encryptMessage(compressedEntity, {
      recipients: [cert('ee-p256.pem')],
      sender: cert('ee-rsa.pem'),
      validate: false,
    });
    const outer = await signMessage(encrypted.message, { signer, detached: false });
    const read = await readMessage(outer, { identities: [id('p384'), id('p256')], trust, at: AT });
    expect(read.layers.map((l) => l.type)).toEqual(['signed', 'enveloped', 'compressed', 'signed']);
    expect(read.ok).toBe(true);
    expect(read.layers[1]).toMatchObject({ type: 'enveloped', identity: 1, cipher: 'aes-256-cbc' });
    expect(text(read.content)).toContain('Hello.');
    const unknownSigner = await readMessage(outer, {
      identities: [id('p256')],
      trust: new TrustList().addBytes(readFileSync(chain('untrusted-root.pem'))),
      at: AT,
    });
    expect(unknownSigner.ok).toBe(false);
    await expect(readMessage(outer, { identities: [id('p384')], trust, at: AT })).rejects.toMatchObject({
      code: 'not-recipient',
    });
    await expect(readMessage(outer, { identities: [id('p256')], trust, at: AT, maxDepth: 2 })).rejects.toMatchObject({
      code: 'limit-exceeded',
    });
  });

  it('a plain message has no layers', async () => {
    const read = await readMessage(MESSAGE, {});
    expect(read.layers).toEqual([]);
    // Nothing was checked: plain mail is never ok (a client would show it as secure).
    expect(read.ok).toBe(false);
    expect(read.unprotected).toBe(true);
    // Text that happens to start with "0" (0x30, the SEQUENCE tag) is still MIME.
    expect((await readMessage('0 is a number\r\n', {})).layers).toEqual([]);
  });
});

it('certificate info helper sees the SKI used for matching', () => {
  expect(readCertificate(cert('ee-rsa.pem')).subjectKeyIdentifier).toBeDefined();
});

describe('encryption policy', () => {
  it('refuses an RSA recipient key under 2048 bits even without validation, unless allowWeak', async () => {
    const weak = cert('bad-weak-rsa1024.pem');
    await expect(
      encryptMessage(MESSAGE, { recipients: [weak], includeSender: false, validate: false }),
    ).rejects.toMatchObject({ code: 'weak-algorithm' });
    const r = await encryptMessage(MESSAGE, {
      recipients: [weak],
      includeSender: false,
      validate: false,
      allowWeak: true,
    });
    expect(r.recipients).toHaveLength(1);
  });
});

describe('readMessage never calls plain mail ok', () => {
  it('a message without any S/MIME layer is unprotected, not ok, with not-smime', async () => {
    const r = await readMessage(MESSAGE, { trust, at: AT });
    expect(r).toMatchObject({ ok: false, unprotected: true, signed: false, encrypted: false, layers: [] });
    expect(r.problems.map((p) => p.code)).toEqual(['not-smime']);
  });

  it('only compressed is unprotected too; signed or encrypted mail is not', async () => {
    const compressed = await createCompressed(new TextEncoder().encode('Content-Type: text/plain\r\n\r\nhi\r\n'));
    const entity = `Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n${toBase64Lines(compressed)}\r\n`;
    expect(await readMessage(entity, { trust, at: AT })).toMatchObject({ ok: false, unprotected: true });
    const enc = await encryptMessage(MESSAGE, {
      recipients: [cert('ee-p256.pem')],
      sender: cert('ee-rsa.pem'),
      ...validation(),
    });
    expect(await readMessage(enc.message, { identities: [id('rsa')], trust, at: AT })).toMatchObject({
      ok: true,
      unprotected: false,
    });
  });
});
