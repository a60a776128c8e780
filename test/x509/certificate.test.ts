/** The one certificate model: decoded once, cached by its bytes, accepted everywhere, the same fields OpenSSL reports. */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { X509Certificate } from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Certificate,
  encryptMessage,
  parseCertificate,
  readCertificate,
  readMessage,
  signMessage,
  TrustList,
  verifyMessage,
} from '../../src/index.js';
import { tlv } from '../../src/asn1/index.js';
import { chainFile, certDer, identity, AT, type TestIdentity } from '../cms/fixtures.js';

const openssl = (args: string[], input?: Uint8Array) => execFileSync('openssl', args, { input }).toString('utf8');

describe('Certificate', () => {
  it('has the fields OpenSSL reports', () => {
    const der = certDer('ee-rsa.pem');
    const cert = parseCertificate(der);
    const text = openssl(
      [
        'x509',
        '-inform',
        'DER',
        '-noout',
        '-serial',
        '-subject',
        '-issuer',
        '-enddate',
        '-fingerprint',
        '-sha1',
        '-nameopt',
        'RFC2253',
      ],
      der,
    );
    expect(text).toContain(`serial=${cert.serialHex.toUpperCase()}`);
    expect(text).toContain(`subject=${cert.subject.text}`);
    expect(text).toContain(`issuer=${cert.issuer.text}`);
    expect(cert.fingerprints.sha1.toUpperCase().match(/../g)!.join(':')).toBe(
      /SHA1 Fingerprint=([0-9A-F:]+)/i.exec(text)![1],
    );
    expect(new Date(/notAfter=(.+)/.exec(text)![1]!).getTime()).toBe(cert.notAfter.getTime());
    expect(cert.emailAddresses).toContain('rsa.user@example.test');
    expect(cert.extKeyUsage).toContain('1.3.6.1.5.5.7.3.4');
    expect(typeof cert.keyUsage).toBe('number');
    expect(cert.toDer()).toEqual(der);
    expect(
      openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], new TextEncoder().encode(cert.toPem())),
    ).toContain(cert.subject.text);
  });

  it('is decoded once: the same bytes give the same object, and changing the caller’s buffer changes nothing', () => {
    const der = certDer('ee-p256.pem');
    const copy = der.slice();
    const a = parseCertificate(copy);
    expect(parseCertificate(der.slice())).toBe(a);
    copy.fill(0);
    expect(a.der).toEqual(der);
    expect(parseCertificate(der)).toBe(a);
  });

  it('takes DER, PEM, a Certificate, an @peculiar/x509 certificate and a PKI.js certificate’s bytes', () => {
    const der = certDer('ee-rsa.pem');
    const pem = readFileSync(chainFile('ee-rsa.pem'), 'utf8');
    const peculiar = new X509Certificate(der.slice().buffer);
    const pki = new pkijs.Certificate({ schema: asn1js.fromBER(der.slice().buffer).result });
    const fromPki = new Uint8Array(pki.toSchema(true).toBER());
    const expected = parseCertificate(der);
    for (const input of [pem, new TextEncoder().encode(pem), expected, peculiar, { der }, fromPki])
      expect(parseCertificate(input)).toBe(expected);
  });

  it('junk is malformed-certificate; readCertificate keeps a certificate whose extension is malformed and says why', () => {
    expect(() => parseCertificate(Uint8Array.of(1, 2, 3))).toThrow(
      expect.objectContaining({ code: 'malformed-certificate' }),
    );
    // Replace the keyUsage extension value of a real certificate with an INTEGER, keeping every length.
    const der = certDer('ee-rsa.pem').slice();
    const ku = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x0f);
    let at = -1;
    for (let i = 0; i < der.length - ku.length && at < 0; i++) if (ku.every((b, j) => der[i + j] === b)) at = i;
    expect(at).toBeGreaterThan(0);
    let v = at + ku.length;
    if (der[v] === 0x01) v += 3; // critical BOOLEAN
    expect(der[v]).toBe(0x04);
    der[v + 2] = 0x02; // the BIT STRING inside becomes an INTEGER
    expect(() => parseCertificate(der)).toThrow(
      expect.objectContaining({ code: 'malformed-certificate', message: expect.stringMatching(/2\.5\.29\.15/) }),
    );
    const lenient = readCertificate(der);
    expect(lenient.problem?.code).toBe('malformed-certificate');
    expect(lenient.subject.text).toBe(parseCertificate(certDer('ee-rsa.pem')).subject.text);
    expect(lenient.subjectKeyIdentifier).toBeDefined();
  });

  it('a certificate with trailing bytes is refused', () => {
    const der = certDer('ee-rsa.pem');
    const padded = new Uint8Array(der.length + 1);
    padded.set(der);
    expect(() => parseCertificate(padded)).toThrow(expect.objectContaining({ code: 'malformed-certificate' }));
    expect(() => parseCertificate(tlv(0x30, new Uint8Array(0)))).toThrow(
      expect.objectContaining({ code: 'malformed-certificate' }),
    );
  });
});

describe('a Certificate is accepted wherever a certificate is', () => {
  let rsa: TestIdentity;
  let p256: TestIdentity;
  let trust: TrustList;
  beforeAll(async () => {
    rsa = await identity('ee-rsa');
    p256 = await identity('ee-p256');
    trust = TrustList.fromCertificates([
      parseCertificate(certDer('root.pem')),
      parseCertificate(certDer('intermediate.pem')),
    ]);
  });
  const MESSAGE = 'From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: s\r\n\r\nHello.\r\n';

  it('sign, encrypt, the trust list and read', async () => {
    const signer = {
      certificate: parseCertificate(rsa.certificate),
      privateKey: rsa.privateKey,
      chain: [parseCertificate(certDer('intermediate.pem'))],
    };
    const signed = await signMessage(MESSAGE, { signer });
    expect((await verifyMessage(signed, { trust, at: AT })).ok).toBe(true);
    const encrypted = await encryptMessage(signed, {
      recipients: [parseCertificate(p256.certificate)],
      sender: signer.certificate,
      trust,
      at: AT,
    });
    const read = await readMessage(encrypted.message, {
      identities: [{ certificate: parseCertificate(p256.certificate), privateKey: p256.privateKey }],
      trust,
      at: AT,
    });
    expect(read.ok).toBe(true);
    expect(Certificate.name).toBe('Certificate');
  });
});
