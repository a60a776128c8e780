/**
 * Defects found in the signature-verification audit (RFC 5652 §5.4–5.6, RFC 1847, RFC 8551): each test failed
 * before its fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSignedData } from '../../src/cms/signer.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { verifySignedData } from '../../src/cms/verify-signed-data.js';
import { CONTENT_TYPE, encodeContentInfo } from '../../src/cms/content-info.js';
import { ATTRIBUTE, encodeAttribute } from '../../src/cms/attributes.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage, verifySignedContent } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { concatBytes, fromLatin1, latin1, toBase64Lines, toHex } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { tempDir } from '../helpers/cli.js';
import { chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';
import { tlv, encodeOid } from '../../src/asn1/index.js';

const content = fromLatin1('Content-Type: text/plain\r\n\r\nsigned text\r\n');

/** A self-signed P-256 certificate made by OpenSSL with the given extra arguments, and its key. */
async function opensslCert(
  dir: string,
  name: string,
  args: string[],
): Promise<{ certificate: Uint8Array; privateKey: Awaited<ReturnType<typeof loadPrivateKey>> }> {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.pem`);
  const res = openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    crt,
    '-days',
    '3650',
    ...args,
  ]);
  expect(res.status, res.stderr).toBe(0);
  return { certificate: decodePem(readFileSync(crt))[0]!.der, privateKey: await loadPrivateKey(readFileSync(key)) };
}

describe('signature verification audit', () => {
  const dir = tempDir();
  let trust: TrustList;
  let p256: TestIdentity;
  let signed: string;
  beforeAll(async () => {
    trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
    p256 = await identity('ee-p256');
    signed = latin1(await signMessage(content, { signer: p256, boundary: 'BOUNDARY' }));
  }, 60_000);

  describe('multipart/signed structure (RFC 1847 §2.1)', () => {
    it('a third part in multipart/signed (covered by no signature) is malformed-smime, not a complete signed message', async () => {
      const third = signed.replace(
        '\r\n--BOUNDARY--',
        '\r\n--BOUNDARY\r\nContent-Type: text/plain\r\n\r\nUNSIGNED: wire the money\r\n--BOUNDARY--',
      );
      expect(third).not.toBe(signed);
      await expect(verifyMessage(third, { trust })).rejects.toMatchObject({ code: 'malformed-smime' });
    });

    it('a signature part that is not application/pkcs7-signature is malformed-smime', async () => {
      const wrong = signed.replace(
        'Content-Type: application/pkcs7-signature; name="smime.p7s"',
        'Content-Type: text/plain',
      );
      expect(wrong).not.toBe(signed);
      await expect(verifyMessage(wrong, { trust })).rejects.toMatchObject({ code: 'malformed-smime' });
      // The legacy x-pkcs7-signature and octet-stream labels stay accepted.
      for (const t of ['application/x-pkcs7-signature', 'application/octet-stream']) {
        expect(
          (await verifyMessage(signed.replace('application/pkcs7-signature; name', `${t}; name`), { trust })).ok,
        ).toBe(true);
      }
    });
  });

  describe('coverage with pkcs7-mime layers that are not signed-data', () => {
    const enveloped = () => {
      const fake = encodeContentInfo(CONTENT_TYPE.envelopedData, Uint8Array.of(0x30, 0x00));
      return `Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n${toBase64Lines(fake)}\r\n`;
    };

    it('an unopened enveloped part next to a signed part is not counted as signed', async () => {
      const mixed = `Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n${signed}\r\n--mix\r\n${enveloped()}--mix--\r\n`;
      // Issue #14: partial coverage fails by default; allowPartial accepts it with a warning.
      expect((await verifyMessage(mixed, { trust })).problems.map((p) => p.code)).toEqual(['partially-signed']);
      const report = await verifyMessage(mixed, { trust, allowPartial: true });
      expect(report.ok).toBe(true);
      expect(report.coverage).toEqual({
        complete: false,
        signedParts: ['/1'],
        unsignedParts: ['/2'],
        unsigned: [{ path: '/2', contentType: 'application/pkcs7-mime' }],
      });
      expect(report.warnings.map((w) => w.code)).toContain('partially-signed');
    });

    it('an unwrapped (decrypted) layer holding a signed part plus an unsigned part is partially signed', async () => {
      // Anyone can encrypt to the recipient: a valid signed part of someone else plus the attacker's text.
      const inner = fromLatin1(
        `Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n${signed}\r\n--mix\r\nContent-Type: text/plain\r\n\r\nUNSIGNED: wire the money\r\n--mix--\r\n`,
      );
      const strict = await verifyMessage(enveloped(), { trust, unwrap: async () => inner });
      expect(strict.ok).toBe(false);
      expect(strict.problems.map((p) => p.code)).toEqual(['partially-signed']);
      const report = await verifyMessage(enveloped(), { trust, unwrap: async () => inner, allowPartial: true });
      expect(report.ok).toBe(true);
      expect(report.coverage).toEqual({
        complete: false,
        signedParts: ['/enveloped/1'],
        unsignedParts: ['/enveloped/2'],
        unsigned: [{ path: '/enveloped/2', contentType: 'text/plain' }],
      });
      expect(report.warnings.map((w) => w.code)).toContain('partially-signed');
      expect(latin1(report.content)).toBe(latin1(content));
    });

    it('an unwrapped layer that is wholly signed is complete coverage', async () => {
      const report = await verifyMessage(enveloped(), { trust, unwrap: async () => fromLatin1(signed) });
      expect(report.ok).toBe(true);
      expect(report.coverage).toEqual({
        complete: true,
        signedParts: ['/enveloped'],
        unsignedParts: [],
        unsigned: [],
      });
    });
  });

  describe('signed attributes (RFC 5652 §5.3, §11)', () => {
    const signWith = (extra: Uint8Array[], signingTime: Date | null = null) =>
      createSignedData(content, {
        signingTime,
        signers: [{ certificate: p256.certificate, privateKey: p256.privateKey, extraSignedAttributes: extra }],
      });

    it('a huge signingTime value is malformed-cms, not a RangeError (it is read before the signature is checked)', async () => {
      const der = await signWith([
        encodeAttribute(ATTRIBUTE.signingTime, tlv(0x17, new Uint8Array(300_000).fill(0x30))),
      ]);
      const [r] = await verifySignedData(parseSignedData(der));
      expect(r!.signatureValid).toBe(false);
      expect(r!.problems[0]!.code).toBe('malformed-cms');
      const report = await verifySignedContent(der, { trust }).catch((e: unknown) => e);
      expect(report).not.toBeInstanceOf(Error);
    });

    // Regression guards (these held before the audit).
    it('a second messageDigest or contentType attribute, or a second signingTime, is malformed-cms', async () => {
      for (const extra of [
        encodeAttribute(ATTRIBUTE.messageDigest, tlv(0x04, new Uint8Array(32))),
        encodeAttribute(ATTRIBUTE.contentType, encodeOid(CONTENT_TYPE.data)),
        encodeAttribute(ATTRIBUTE.signingTime, tlv(0x17, fromLatin1('300101000000Z'))),
      ]) {
        const [r] = await verifySignedData(parseSignedData(await signWith([extra], new Date('2030-01-01T00:00:00Z'))));
        expect(r!.signatureValid).toBe(false);
        expect(r!.problems.map((p) => p.code)).toEqual(['malformed-cms']);
      }
    });

    it('a detached SignedData with a contentType other than the eContentType is content-type-mismatch', async () => {
      const der = await createSignedData(content, {
        contentType: '1.2.840.113549.1.9.16.1.4',
        signers: [{ certificate: p256.certificate, privateKey: p256.privateKey }],
      });
      const sd = parseSignedData(der);
      const [ok] = await verifySignedData(sd);
      expect(ok!.signatureValid).toBe(true);
      const [r] = await verifySignedData({ ...sd, contentType: CONTENT_TYPE.data });
      expect(r!.problems[0]!.code).toBe('content-type-mismatch');
    });
  });

  describe('algorithms', () => {
    it('an RSA-PSS saltLength too long for the key is bad-signature, not a DOMException (RFC 8017 §9.1.2 "inconsistent")', async () => {
      const rsa = await identity('ee-rsa');
      const hash = tlv(0x30, encodeOid('2.16.840.1.101.3.4.2.1'));
      const params = tlv(
        0x30,
        concatBytes(
          tlv(0xa0, hash),
          tlv(0xa1, tlv(0x30, concatBytes(encodeOid('1.2.840.113549.1.1.8'), hash))),
          tlv(0xa2, tlv(0x02, Uint8Array.of(0x01, 0x2c))),
        ),
      );
      const sd = parseSignedData(
        await createSignedData(content, {
          signers: [{ certificate: rsa.certificate, privateKey: rsa.privateKey, pss: true }],
        }),
      );
      sd.signerInfos[0] = {
        ...sd.signerInfos[0]!,
        signatureAlgorithm: { oid: '1.2.840.113549.1.1.10', parameters: params },
      };
      const [r] = await verifySignedData(sd);
      expect(r!.algorithms.pss).toEqual({ hash: 'SHA-256', mgfHash: 'SHA-256', saltLength: 300 });
      expect(r!.signatureValid).toBe(false);
      expect(r!.problems[0]!.code).toBe('bad-signature');
    });
  });

  describe('signer identification', () => {
    it('issuerAndSerialNumber serials compare as INTEGERs: 0x00ff… (positive) is not 0xff… (negative)', async () => {
      const id = await opensslCert(dir, 'serial', ['-subj', '/CN=Serial Test', '-set_serial', '0x81020304']);
      const der = await createSignedData(content, {
        signers: [{ certificate: id.certificate, privateKey: id.privateKey }],
      });
      const sd = parseSignedData(der);
      const si = sd.signerInfos[0]!;
      expect(si.sid.type === 'issuerAndSerialNumber' && si.sid.serialHex).toBe('0081020304');
      expect((await verifySignedData(sd))[0]!.signatureValid).toBe(true);
      // The sid is not signed: the same bytes naming serial -0x7efdfcfc (content 81020304) name another certificate.
      if (si.sid.type !== 'issuerAndSerialNumber') throw new Error('unreachable');
      sd.signerInfos[0] = {
        ...si,
        sid: { ...si.sid, serialNumber: si.sid.serialNumber.subarray(1), serialHex: '81020304' },
      };
      const [r] = await verifySignedData(sd);
      expect(r!.signatureValid).toBe(false);
      expect(r!.problems[0]!.code).toBe('sender-certificate-missing');
    });

    it('a certificate with the signer’s subjectKeyIdentifier but another key does not hide the real signer', async () => {
      const ski = toHex(parseSki(p256.certificate));
      const fake = await opensslCert(dir, 'ski', ['-subj', '/CN=Impostor', '-addext', `subjectKeyIdentifier=${ski}`]);
      const der = await createSignedData(content, {
        signers: [
          {
            certificate: p256.certificate,
            privateKey: p256.privateKey,
            identifier: 'subjectKeyIdentifier',
            includeCertificates: 'none',
          },
        ],
        certificates: [fake.certificate, p256.certificate, ...p256.chain.slice(0, 1)],
      });
      const [r] = await verifySignedData(parseSignedData(der));
      expect(r!.problems).toEqual([]);
      expect(r!.signatureValid).toBe(true);
      expect(r!.certificate).toEqual(p256.certificate);
      const report = await verifySignedContent(der, { trust });
      expect(report.ok).toBe(true);
      expect(report.signers[0]!.certificate).toEqual(p256.certificate);
      expect(report.signers[0]!.chain!.valid).toBe(true);
    });

    it('a certificate with the signer’s issuer and serial but another key does not hide the real signer', async () => {
      const fake = await opensslCert(dir, 'ias', [
        '-subj',
        '/C=XX/O=smimekit test/CN=smimekit Test Intermediate CA',
        '-set_serial',
        '0x0140F06DABD914B54847EED9B1C034C6',
      ]);
      const der = await createSignedData(content, {
        signers: [{ certificate: p256.certificate, privateKey: p256.privateKey, includeCertificates: 'none' }],
        certificates: [fake.certificate, p256.certificate, ...p256.chain.slice(0, 1)],
      });
      const [r] = await verifySignedData(parseSignedData(der));
      expect(r!.signatureValid).toBe(true);
      expect(r!.certificate).toEqual(p256.certificate);
      // And the other way round: the impostor's own signature is reported with the impostor's certificate.
      const forged = await createSignedData(content, {
        signers: [{ certificate: fake.certificate, privateKey: fake.privateKey, includeCertificates: 'none' }],
        certificates: [p256.certificate, fake.certificate],
      });
      const report = await verifySignedContent(forged, { trust });
      expect(report.signers[0]!.signatureValid).toBe(true);
      expect(report.signers[0]!.certificate).toEqual(fake.certificate);
      expect(report.ok).toBe(false);
    });
  });
});

/** The subjectKeyIdentifier extension value of a certificate. */
function parseSki(der: Uint8Array): Uint8Array {
  const hex = toHex(der);
  const at = hex.indexOf('0603551d0e'); // OID 2.5.29.14
  const octets = hex.slice(at + 10);
  // OCTET STRING { OCTET STRING keyIdentifier }
  const len = parseInt(octets.slice(6, 8), 16);
  return Uint8Array.from(
    octets
      .slice(8, 8 + len * 2)
      .match(/../g)!
      .map((h) => parseInt(h, 16)),
  );
}
