/**
 * The x509 side of issue #14 defect 7: what the certificate and CRL model records for the validator's
 * profile rules (a CRL's critical cRLNumber; authorityInfoAccess and subjectInfoAccess are not processed).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EXT, PROCESSED_EXTENSIONS, parseCertificate, parseCrl } from '../../src/x509/index.js';
import { tempDir } from '../helpers/temp.js';
import { CA_EXT, EE_EXT, OpensslPki, type OsslCert } from '../trust/helpers/openssl-pki.js';

let pki: OpensslPki;
let root: OsslCert;
beforeAll(() => {
  pki = new OpensslPki(tempDir('smimekit-x509-profile-'));
  root = pki.root('root', { subject: '/CN=x509 profile root', ext: CA_EXT });
});

describe('CRL profile violations', () => {
  it('a critical cRLNumber is recorded, a non-critical one is not', () => {
    const critical = parseCrl(pki.crl('critical', root, ['2.5.29.20=critical,DER:02:01:05']).der);
    expect(critical.crlNumber).toBe(5n);
    expect(critical.profileViolation).toMatch(/cRLNumber is critical/);
    expect(critical.unsupportedCriticalExtension).toBeUndefined();
    const plain = parseCrl(pki.crl('plain', root, ['2.5.29.20=DER:02:01:06']).der);
    expect(plain.crlNumber).toBe(6n);
    expect(plain.profileViolation).toBeUndefined();
  });

  it('a critical freshestCRL is recorded too', () => {
    const freshest =
      '2.5.29.46=critical,DER:30:1a:30:18:a0:16:a0:14:86:12:68:74:74:70:3a:2f:2f:78:2e:65:78:61:6d:70:6c:65:2f:64';
    const crl = parseCrl(pki.crl('freshest', root, ['2.5.29.20=DER:02:01:07', freshest]).der);
    expect(crl.profileViolation).toMatch(/freshestCRL is critical/);
  });
});

describe('info-access extensions', () => {
  it('are not processed, so a critical one is refused by the validator; the certificate still decodes', () => {
    expect(PROCESSED_EXTENSIONS.has(EXT.authorityInfoAccess)).toBe(false);
    expect(PROCESSED_EXTENSIONS.has(EXT.subjectInfoAccess)).toBe(false);
    const leaf = pki.issue('aia', root, {
      subject: '/CN=Critical AIA',
      ext: [...EE_EXT, '1.3.6.1.5.5.7.1.1=critical,DER:05:00'],
    });
    const cert = parseCertificate(leaf.der);
    expect(cert.extensions.find((e) => e.oid === EXT.authorityInfoAccess)?.critical).toBe(true);
  });
});
