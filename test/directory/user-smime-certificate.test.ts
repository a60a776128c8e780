/** userSMIMECertificate values: both forms parse, what smimekit publishes verifies with OpenSSL, hostile values fail cleanly. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmimeError } from '../../src/errors.js';
import { CAPABILITY_OID } from '../../src/cms/attributes.js';
import {
  OUTLOOK_SETTING,
  buildOutlookSecuritySettings,
  buildUserSmimeCertificate,
  parseUserSmimeCertificate,
  verifyUserSmimeCertificate,
} from '../../src/directory/user-smime-certificate.js';
import { certDer, chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'smimekit-usc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let rsa: TestIdentity;
let p256: TestIdentity;
beforeAll(async () => {
  rsa = await identity('ee-rsa');
  p256 = await identity('ee-p256');
});

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof SmimeError ? e.code : `not a SmimeError: ${String(e)}`;
  }
  return undefined;
};

describe('buildUserSmimeCertificate → parseUserSmimeCertificate', () => {
  it('round-trips certificates, capabilities and the preference (RSA and P-256)', async () => {
    for (const id of [rsa, p256]) {
      const caps = [{ oid: CAPABILITY_OID.aes256Cbc }, { oid: CAPABILITY_OID.aes128Cbc }];
      const value = await buildUserSmimeCertificate(id, { capabilities: caps });
      const parsed = parseUserSmimeCertificate(value);
      expect(parsed.format).toBe('signed-data');
      expect(parsed.encryptionCertificate).toEqual(id.certificate);
      expect(parsed.signingCertificate).toEqual(id.certificate);
      expect(parsed.capabilities!.map((c) => c.oid)).toEqual(caps.map((c) => c.oid));
      // The self-signed root stays out by default; the intermediate is published.
      expect(parsed.certificates).toEqual([id.certificate, certDer('intermediate.pem')]);
      expect(await verifyUserSmimeCertificate(value)).toMatchObject({ signed: true, signatureValid: true });
    }
  });

  it('a separate encryption certificate is published and preferred over the signing one', async () => {
    const value = await buildUserSmimeCertificate(rsa, { encryptionCertificate: p256.certificate, includeRoot: true });
    const parsed = parseUserSmimeCertificate(value);
    expect(parsed.signingCertificate).toEqual(rsa.certificate);
    expect(parsed.encryptionCertificate).toEqual(p256.certificate);
    expect(parsed.certificates).toContainEqual(certDer('root.pem'));
  });

  it('OpenSSL verifies what smimekit publishes and lists its certificates', async () => {
    const value = await buildUserSmimeCertificate(rsa);
    const file = join(dir, 'usc.der');
    writeFileSync(file, value);
    const verify = openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', file, '-out', join(dir, 'content.bin')]);
    expect(verify.status, verify.stderr).toBe(0);
    const certs = openssl(['pkcs7', '-inform', 'DER', '-in', file, '-print_certs', '-noout']);
    expect(certs.stdout.toString()).toMatch(/subject=.*RSA User[\s\S]*subject=.*Intermediate/);
  });

  it('a flipped byte in the signature is reported, not accepted', async () => {
    const value = await buildUserSmimeCertificate(rsa);
    value[value.length - 5]! ^= 1;
    const r = await verifyUserSmimeCertificate(value);
    expect(r.signatureValid).toBe(false);
    expect(r.problem?.code).toBe('bad-signature');
  });

  it('reads SignedData made by OpenSSL: signed with attributes, and certs-only', () => {
    const body = join(dir, 'empty.txt');
    writeFileSync(body, '');
    const signed = join(dir, 'ossl.der');
    const s = openssl(['cms', '-sign', '-nodetach', '-binary', '-in', body, '-signer', chainFile('ee-rsa.pem'), '-inkey', chainFile('ee-rsa.key'), '-certfile', chainFile('intermediate.pem'), '-outform', 'DER', '-out', signed]);
    expect(s.status, s.stderr).toBe(0);
    const fromSigned = parseUserSmimeCertificate(openssl(['cms', '-cmsout', '-inform', 'DER', '-in', signed, '-outform', 'DER']).stdout);
    expect(fromSigned.signingCertificate).toEqual(rsa.certificate);
    expect(fromSigned.capabilities!.length).toBeGreaterThan(0); // OpenSSL adds SMIMECapabilities
    const certsOnly = openssl(['crl2pkcs7', '-nocrl', '-certfile', chainFile('ee-p256.pem'), '-outform', 'DER']);
    const parsed = parseUserSmimeCertificate(certsOnly.stdout);
    expect(parsed.certificates).toEqual([p256.certificate]);
    expect(parsed.signingCertificate).toBeUndefined();
  });
});

describe('Outlook security-settings (TLV) form', () => {
  it('round-trips and resolves hash references; unknown tags are ignored', () => {
    const blob = buildOutlookSecuritySettings({
      signCertificate: rsa.certificate,
      keyExchangeCertificate: p256.certificate,
      chain: [certDer('intermediate.pem')],
      capabilities: [{ oid: CAPABILITY_OID.aes256Cbc }],
      displayName: 'My S/MIME settings',
    });
    const withUnknown = new Uint8Array([...blob, 0x77, 0x77, 6, 0, 1, 2]);
    for (const value of [blob, withUnknown]) {
      const parsed = parseUserSmimeCertificate(value);
      expect(parsed.format).toBe('outlook-tlv');
      expect(parsed.encryptionCertificate).toEqual(p256.certificate);
      expect(parsed.signingCertificate).toEqual(rsa.certificate);
      expect(parsed.certificates).toHaveLength(3);
      expect(parsed.capabilities).toEqual([{ oid: CAPABILITY_OID.aes256Cbc }]);
      expect(parsed.displayName).toBe('My S/MIME settings');
      expect(parsed.defaults).toBe(1);
    }
  });

  it('every malformation is malformed-user-smime-certificate', () => {
    const good = buildOutlookSecuritySettings({ keyExchangeCertificate: rsa.certificate });
    const cases: Uint8Array[] = [
      new Uint8Array(),
      Uint8Array.of(1, 0, 4), // truncated header
      Uint8Array.of(1, 0, 3, 0), // length below 4
      Uint8Array.of(3, 0, 200, 0, 1, 2), // overrun
      new Uint8Array([...good, ...good.subarray(8)]), // KeyExchangeCertificate twice
      Uint8Array.of(OUTLOOK_SETTING.keyExchangeCertificate, 0, 8, 0, 0x30, 2, 1, 1), // not a certificate
      Uint8Array.of(OUTLOOK_SETTING.signSha1Hash, 0, 6, 0, 1, 2), // hash of the wrong size
      Uint8Array.of(0x30, 3, 2, 1, 1), // a SEQUENCE that is not a ContentInfo
    ];
    for (const c of cases) expect(code(() => parseUserSmimeCertificate(c))).toBe('malformed-user-smime-certificate');
  });

  it('random bytes and mutations of both forms only ever throw SmimeError, quickly', async () => {
    const seeds = [await buildUserSmimeCertificate(rsa), buildOutlookSecuritySettings({ keyExchangeCertificate: rsa.certificate, capabilities: [{ oid: CAPABILITY_OID.aes128Cbc }] })];
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([seed, edits]) => {
        const copy = seed.slice();
        for (const [at, v] of edits) copy[at % copy.length] = v;
        return copy;
      })), (bytes) => {
        const started = Date.now();
        const c = code(() => parseUserSmimeCertificate(bytes));
        expect(c === undefined || !c.startsWith('not a SmimeError')).toBe(true);
        expect(Date.now() - started).toBeLessThan(500);
      }),
      { numRuns: 400 },
    );
  });
});
