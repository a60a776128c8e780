/**
 * userSMIMECertificate values (RFC 2798, MS-OXOABK 2.2.4.36): what smimekit publishes parses back and
 * verifies here and with OpenSSL, SignedData written by OpenSSL parses, Outlook's security-settings
 * (TLV) form round-trips, and malformed or random values end in `malformed-user-smime-certificate`.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, SmimeError } from '../../src/errors.js';
import {
  ATTRIBUTE,
  CAPABILITY_OID,
  DEFAULT_CAPABILITIES,
  encodeAttribute,
  encodeIssuerAndSerial,
} from '../../src/cms/attributes.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { createSignedData } from '../../src/cms/signer.js';
import { concatBytes, fromHex, utf8 } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { sha1 } from '../../src/util/hash.js';
import { readCertificate } from '../../src/x509/index.js';
import { candidatesFromAttributes } from '../../src/directory/candidates.js';
import { parseUserSmimeCertificate, verifyUserSmimeCertificate } from '../../src/directory/user-smime-certificate.js';
import { MS_ENCRYPTION_KEY_PREFERENCE } from '../../src/directory/user-smime-signed-data.js';
import { OUTLOOK_SETTING } from '../../src/directory/outlook-security-settings.js';
import {
  buildOutlookSecuritySettings,
  buildUserSmimeCertificate,
} from '../../src/directory/user-smime-certificate-build.js';
import { AT, certDer, chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';
import { tlv } from '../../src/asn1/index.js';
import { tempDir } from '../helpers/temp.js';
import { fraction } from '../helpers/arbitraries.js';

const CODE = 'malformed-user-smime-certificate';
const dir = tempDir('smimekit-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let rsa: TestIdentity;
let p256: TestIdentity;
let ed25519: TestIdentity;
const intermediate = certDer('intermediate.pem');
const root = certDer('root.pem');
beforeAll(async () => {
  [rsa, p256, ed25519] = await Promise.all([identity('ee-rsa'), identity('ee-p256'), identity('ee-ed25519')]);
});

/** The error a call throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectMalformed(value: Uint8Array, offset?: number): FormatError {
  const e = thrown(() => parseUserSmimeCertificate(value));
  expect(e, `value ${Buffer.from(value.subarray(0, 24)).toString('hex')}`).toBeInstanceOf(FormatError);
  expect((e as FormatError).code).toBe(CODE);
  if (offset !== undefined) expect((e as FormatError).offset).toBe(offset);
  return e as FormatError;
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** `openssl cms -sign` of `content` with extra flags, DER out. */
function opensslSign(name: string, content: Uint8Array, flags: string[], signer = 'ee-rsa'): Uint8Array {
  const out = join(dir, `${name}.der`);
  const args = [
    'cms',
    '-sign',
    '-binary',
    '-in',
    file(`${name}.txt`, content),
    '-signer',
    chainFile(`${signer}.pem`),
    '-inkey',
    chainFile(`${signer}.key`),
    '-outform',
    'DER',
    '-out',
    out,
    ...flags,
  ];
  const r = openssl(args);
  expect(r.status, r.stderr).toBe(0);
  return new Uint8Array(openssl(['cms', '-cmsout', '-inform', 'DER', '-in', out, '-outform', 'DER']).stdout);
}

describe('buildUserSmimeCertificate → parseUserSmimeCertificate', () => {
  it('round-trips certificates, capabilities, preference and signingTime (RSA and P-256)', async () => {
    const signingTime = new Date('2026-03-04T05:06:07Z');
    const capabilities = [
      { oid: CAPABILITY_OID.aes256Gcm },
      { oid: CAPABILITY_OID.aes128Cbc },
      { oid: '1.2.840.113549.3.2', parameters: fromHex('02020080') },
    ];
    for (const id of [rsa, p256]) {
      const value = await buildUserSmimeCertificate(
        { certificate: id.certificate, privateKey: id.privateKey, chain: id.chain },
        { capabilities, signingTime },
      );
      const parsed = parseUserSmimeCertificate(value);
      expect(parsed.format).toBe('signed-data');
      // The self-signed root stays out by default.
      expect(parsed.certificates).toEqual([id.certificate, intermediate]);
      expect(parsed.signingCertificate).toEqual(id.certificate);
      expect(parsed.encryptionCertificate).toEqual(id.certificate);
      expect(parsed.capabilities).toEqual(capabilities);
      expect(parsed.signingTime).toEqual(signingTime);
      expect(await verifyUserSmimeCertificate(value)).toEqual({
        format: 'signed-data',
        signed: true,
        signatureValid: true,
        signer: id.certificate,
      });
    }
  });

  it('defaults: DEFAULT_CAPABILITIES, identity.chain, a current signingTime; includeRoot adds the root', async () => {
    const before = Date.now() - 2000;
    const parsed = parseUserSmimeCertificate(await buildUserSmimeCertificate(rsa, { includeRoot: true }));
    expect(parsed.capabilities).toEqual(DEFAULT_CAPABILITIES);
    expect(parsed.certificates).toEqual([rsa.certificate, intermediate, root]);
    expect(parsed.signingTime!.getTime()).toBeGreaterThanOrEqual(before);
    const noChain = parseUserSmimeCertificate(await buildUserSmimeCertificate(rsa, { chain: [] }));
    expect(noChain.certificates).toEqual([rsa.certificate]);
  });

  it('a separate encryption certificate is published and named by both preference attributes', async () => {
    const value = await buildUserSmimeCertificate(rsa, { encryptionCertificate: p256.certificate });
    const parsed = parseUserSmimeCertificate(value);
    expect(parsed.signingCertificate).toEqual(rsa.certificate);
    expect(parsed.encryptionCertificate).toEqual(p256.certificate);
    expect(parsed.certificates).toEqual([rsa.certificate, intermediate, p256.certificate]);
    const attrs = parseSignedData(value).signerInfos[0]!.signedAttributes!;
    const info = readCertificate(p256.certificate);
    const ms = attrs.find((a) => a.oid === MS_ENCRYPTION_KEY_PREFERENCE)!;
    expect(ms.values).toEqual([encodeIssuerAndSerial(info.issuer.der, fromHex(info.serialHex))]);
    expect(attrs.filter((a) => a.oid === ATTRIBUTE.smimeEncryptionKeyPreference)).toHaveLength(1);
    expect((await verifyUserSmimeCertificate(value)).signatureValid).toBe(true);
    // What the address book makes of it: the preferred certificate first and flagged.
    const { candidates } = candidatesFromAttributes(
      { directory: 'GAL', entry: 'cn=rsa' },
      { userSMIMECertificate: [value] },
    );
    expect(candidates.map((c) => [c.certificate, c.preferred])).toEqual([
      [p256.certificate, true],
      [rsa.certificate, false],
    ]);
  });

  it('an Ed25519 identity needs an encryption certificate; a key that is not the certificate’s is refused', async () => {
    expect(await buildUserSmimeCertificate(ed25519, {}).catch((e: SmimeError) => e.code)).toBe('bad-argument');
    const value = await buildUserSmimeCertificate(
      { ...ed25519, chain: [] },
      { encryptionCertificate: p256.certificate },
    );
    expect(parseUserSmimeCertificate(value).encryptionCertificate).toEqual(p256.certificate);
    expect(await verifyUserSmimeCertificate(value)).toMatchObject({
      signatureValid: true,
      signer: ed25519.certificate,
    });
    expect(
      await buildUserSmimeCertificate(rsa, { encryptionCertificate: ed25519.certificate }).catch(
        (e: SmimeError) => e.code,
      ),
    ).toBe('bad-argument');
    expect(
      await buildUserSmimeCertificate(rsa, { encryptionCertificate: utf8('nope') }).catch((e: SmimeError) => e.code),
    ).toBe('bad-argument');
    expect(
      await buildUserSmimeCertificate({ ...rsa, privateKey: p256.privateKey }).catch((e: SmimeError) => e.code),
    ).toBe('key-mismatch');
  });

  it('OpenSSL verifies it without -content and lists its certificates', async () => {
    for (const id of [rsa, p256]) {
      const path = file(
        `built-${id.name}.der`,
        await buildUserSmimeCertificate(id, { encryptionCertificate: id === rsa ? p256.certificate : undefined }),
      );
      const verify = openssl([
        'cms',
        '-verify',
        '-noverify',
        '-inform',
        'DER',
        '-in',
        path,
        '-out',
        join(dir, 'out.bin'),
      ]);
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stderr).toContain('Verification successful');
      // With the chain too: the signature and the certificates are what OpenSSL expects of S/MIME.
      const full = openssl([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        path,
        '-CAfile',
        chainFile('root.pem'),
        '-purpose',
        'smimesign',
        '-attime',
        String(AT.getTime() / 1000),
        '-out',
        join(dir, 'out.bin'),
      ]);
      expect(full.status, full.stderr).toBe(0);
      const listed = openssl(['pkcs7', '-inform', 'DER', '-in', path, '-print_certs']);
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout.toString()).toMatch(/^subject=.*\n/m);
      expect(decodePem(new Uint8Array(listed.stdout)).map((b) => b.der)).toEqual(
        parseUserSmimeCertificate(readFileSync(path)).certificates,
      );
      expect(decodePem(new Uint8Array(listed.stdout))).toHaveLength(id === rsa ? 3 : 2);
    }
  });
});

describe('verifyUserSmimeCertificate', () => {
  it('is false after a flipped byte in the signature or in a signed attribute', async () => {
    const value = await buildUserSmimeCertificate(rsa);
    const si = parseSignedData(value).signerInfos[0]!;
    const signatureAt = si.signature.byteOffset - value.byteOffset;
    const flipped = value.slice();
    flipped[signatureAt + 10]! ^= 0x01;
    expect(await verifyUserSmimeCertificate(flipped)).toMatchObject({
      signed: true,
      signatureValid: false,
      problem: { code: 'bad-signature' },
    });
    // Flip a byte inside the signed capabilities (the AES-256-GCM OID becomes AES-192-GCM): still parses, no longer verifies.
    const attrFlipped = value.slice();
    const oidAt = Buffer.from(value).indexOf(Buffer.from('060960864801650304012e', 'hex'));
    expect(oidAt).toBeGreaterThan(0);
    attrFlipped[oidAt + 10] = 0x1a;
    expect(parseUserSmimeCertificate(attrFlipped).format).toBe('signed-data');
    expect(await verifyUserSmimeCertificate(attrFlipped)).toMatchObject({
      signatureValid: false,
      problem: { code: 'bad-signature' },
    });
  });

  it('the TLV form and certs-only SignedData are reported unsigned', async () => {
    const tlv = buildOutlookSecuritySettings({ keyExchangeCertificate: rsa.certificate });
    expect(await verifyUserSmimeCertificate(tlv)).toMatchObject({
      format: 'outlook-tlv',
      signed: false,
      signatureValid: false,
      problem: { code: 'unsigned' },
    });
    const certsOnly = new Uint8Array(
      openssl(['crl2pkcs7', '-nocrl', '-certfile', chainFile('ee-p256.pem'), '-outform', 'DER']).stdout,
    );
    expect(await verifyUserSmimeCertificate(certsOnly)).toMatchObject({
      format: 'signed-data',
      signed: false,
      problem: { code: 'unsigned' },
    });
  });

  it('throws malformed-user-smime-certificate for values that do not decode', async () => {
    expect(
      await verifyUserSmimeCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)).catch((e: SmimeError) => e.code),
    ).toBe(CODE);
  });
});

describe('SignedData written by others', () => {
  it('openssl cms -sign -nodetach (empty content, -certfile): certificates, signer, capabilities, time', async () => {
    const value = opensslSign('attached', new Uint8Array(), ['-nodetach', '-certfile', chainFile('intermediate.pem')]);
    const parsed = parseUserSmimeCertificate(value);
    expect(parsed.certificates).toEqual([rsa.certificate, intermediate]);
    expect(parsed.signingCertificate).toEqual(rsa.certificate);
    expect(parsed.capabilities!.map((c) => c.oid)).toContain(CAPABILITY_OID.aes256Cbc);
    expect(parsed.signingTime).toBeInstanceOf(Date);
    expect(parsed.encryptionCertificate).toBeUndefined(); // OpenSSL writes no preference
    expect((await verifyUserSmimeCertificate(value)).signatureValid).toBe(true);
  });

  it('detached (eContent absent) is checked over empty content; non-empty eContent as in MS-OXOABK §4.2', async () => {
    const detached = opensslSign('detached', new Uint8Array(), []);
    expect(parseSignedData(detached).content).toBeUndefined();
    expect(parseUserSmimeCertificate(detached).signingCertificate).toEqual(rsa.certificate);
    expect((await verifyUserSmimeCertificate(detached)).signatureValid).toBe(true);
    const emptyBody = opensslSign('empty-body', utf8('Empty Body'), ['-nodetach', '-nosmimecap'], 'ee-p256');
    const parsed = parseUserSmimeCertificate(emptyBody);
    expect(parsed.signingCertificate).toEqual(p256.certificate);
    expect(parsed.capabilities).toBeUndefined();
    expect((await verifyUserSmimeCertificate(emptyBody)).signatureValid).toBe(true);
  });

  it('-nocerts, -keyid and SHA-1 signatures', async () => {
    const noCerts = opensslSign('nocerts', new Uint8Array(), ['-nodetach', '-nocerts']);
    expect(parseUserSmimeCertificate(noCerts)).toMatchObject({ certificates: [] });
    expect(parseUserSmimeCertificate(noCerts).signingCertificate).toBeUndefined();
    expect((await verifyUserSmimeCertificate(noCerts)).problem?.code).toBe('sender-certificate-missing');
    expect(await verifyUserSmimeCertificate(noCerts, { certificates: [rsa.certificate] })).toMatchObject({
      signatureValid: true,
      signer: rsa.certificate,
    });
    // SignerInfo naming the certificate by subjectKeyIdentifier.
    const keyId = opensslSign('keyid', new Uint8Array(), ['-nodetach', '-keyid']);
    expect(parseSignedData(keyId).signerInfos[0]!.sid.type).toBe('subjectKeyIdentifier');
    expect(parseUserSmimeCertificate(keyId).signingCertificate).toEqual(rsa.certificate);
    // Older Outlook versions published SHA-1 values: weak unless allowWeak.
    const sha1Signed = opensslSign('sha1', new Uint8Array(), ['-nodetach', '-md', 'sha1']);
    expect((await verifyUserSmimeCertificate(sha1Signed)).problem?.code).toBe('weak-algorithm');
    expect((await verifyUserSmimeCertificate(sha1Signed, { allowWeak: true })).signatureValid).toBe(true);
  });

  it('certs-only PKCS#7 (openssl crl2pkcs7 -nocrl) lists the certificates, nothing else', () => {
    const certsOnly = new Uint8Array(
      openssl([
        'crl2pkcs7',
        '-nocrl',
        '-certfile',
        chainFile('ee-p256.pem'),
        '-certfile',
        chainFile('intermediate.pem'),
        '-outform',
        'DER',
      ]).stdout,
    );
    expect(parseUserSmimeCertificate(certsOnly)).toEqual({
      format: 'signed-data',
      certificates: [p256.certificate, intermediate],
    });
  });

  it('resolves the Microsoft preference alone, and an RFC 8551 preference by subjectKeyIdentifier', async () => {
    const info = readCertificate(p256.certificate);
    const msOnly = encodeAttribute(
      MS_ENCRYPTION_KEY_PREFERENCE,
      encodeIssuerAndSerial(info.issuer.der, fromHex(info.serialHex)),
    );
    const bySki = encodeAttribute(ATTRIBUTE.smimeEncryptionKeyPreference, tlv(0x82, info.subjectKeyIdentifier!));
    for (const attribute of [msOnly, bySki]) {
      const value = await createSignedData(new Uint8Array(), {
        signers: [
          {
            certificate: rsa.certificate,
            privateKey: rsa.privateKey,
            encryptionCertificate: false,
            extraSignedAttributes: [attribute],
          },
        ],
        certificates: [p256.certificate],
      });
      expect(parseUserSmimeCertificate(value).encryptionCertificate).toEqual(p256.certificate);
    }
  });
});

describe('Outlook security settings (TLV form)', () => {
  const setting = (tag: number, data: Uint8Array) =>
    concatBytes(Uint8Array.of(tag & 0xff, tag >> 8, (data.length + 4) & 0xff, (data.length + 4) >> 8), data);
  const version = setting(OUTLOOK_SETTING.version, Uint8Array.of(1, 0, 0, 0));

  it('round-trips every setting', () => {
    const caps = [{ oid: CAPABILITY_OID.aes256Cbc }, { oid: '1.2.840.113549.3.2', parameters: fromHex('02020080') }];
    const value = buildOutlookSecuritySettings({
      signCertificate: rsa.certificate,
      keyExchangeCertificate: p256.certificate,
      chain: [intermediate, root],
      capabilities: caps,
      defaultSettings: 3,
      messageFormats: 1,
      displayName: 'My S/MIME Settings (p256.user@example.test)',
      keyExchangeSha1Hash: sha1(p256.certificate),
    });
    expect(value[0]).not.toBe(0x30);
    const parsed = parseUserSmimeCertificate(value);
    expect(parsed).toMatchObject({
      format: 'outlook-tlv',
      signingCertificate: rsa.certificate,
      encryptionCertificate: p256.certificate,
      capabilities: caps,
    });
    expect(parsed.displayName).toBe('My S/MIME Settings (p256.user@example.test)');
    expect(parsed.certificates).toEqual([p256.certificate, rsa.certificate, intermediate, root]);
    expect(parsed.settings).toEqual({
      version: 1,
      messageFormats: 1,
      defaultSettings: 3,
      keyExchangeSha1Hash: sha1(p256.certificate),
      chain: [intermediate, root],
      unknown: [],
    });
    const unicode = parseUserSmimeCertificate(
      buildOutlookSecuritySettings({ displayName: 'Grüße – 証明書 😀', signCertificate: rsa.certificate }),
    );
    expect(unicode.displayName).toBe('Grüße – 証明書 😀');
    expect(unicode.settings!.unknown).toEqual([]);
    // One certificate for both purposes is listed once.
    const same = parseUserSmimeCertificate(
      buildOutlookSecuritySettings({ signCertificate: rsa.certificate, keyExchangeCertificate: rsa.certificate }),
    );
    expect(same.certificates).toEqual([rsa.certificate]);
  });

  it('SHA-1 hash settings resolve against the certificates present', () => {
    const value = buildOutlookSecuritySettings({
      chain: [p256.certificate, rsa.certificate, intermediate],
      keyExchangeSha1Hash: sha1(p256.certificate),
      signSha1Hash: sha1(rsa.certificate),
    });
    const parsed = parseUserSmimeCertificate(value);
    expect(parsed.encryptionCertificate).toEqual(p256.certificate);
    expect(parsed.signingCertificate).toEqual(rsa.certificate);
    // A hash of a certificate that is not in the value resolves to nothing.
    const elsewhere = parseUserSmimeCertificate(
      buildOutlookSecuritySettings({ chain: [intermediate], keyExchangeSha1Hash: sha1(p256.certificate) }),
    );
    expect(elsewhere.encryptionCertificate).toBeUndefined();
  });

  it('unknown tags are ignored wherever they appear, and kept for migration', () => {
    const base = buildOutlookSecuritySettings({ keyExchangeCertificate: p256.certificate });
    const extra = setting(0x7777, Uint8Array.of(1, 2));
    const empty = setting(0x0005, new Uint8Array());
    const variants: [Uint8Array, number][] = [
      [concatBytes(base, extra), 0x7777],
      [concatBytes(extra, base), 0x7777],
      [concatBytes(version, empty, base.subarray(version.length)), 0x0005],
      [
        buildOutlookSecuritySettings({
          keyExchangeCertificate: p256.certificate,
          extraSettings: [{ tag: 0x7777, data: Uint8Array.of(1, 2) }],
        }),
        0x7777,
      ],
    ];
    for (const [v, tag] of variants) {
      const parsed = parseUserSmimeCertificate(v);
      expect(parsed.encryptionCertificate).toEqual(p256.certificate);
      expect(parsed.settings!.unknown.map((u) => u.tag)).toEqual([tag]);
    }
  });

  it('each malformation is malformed-user-smime-certificate with the offset of the setting', () => {
    const good = buildOutlookSecuritySettings({ keyExchangeCertificate: rsa.certificate });
    const kex = good.subarray(version.length);
    expectMalformed(new Uint8Array(), 0);
    expectMalformed(concatBytes(version, Uint8Array.of(3, 0, 8)), 8); // truncated header
    expectMalformed(concatBytes(good, Uint8Array.of(0)), good.length); // trailing garbage
    expectMalformed(concatBytes(version, Uint8Array.of(3, 0, 3, 0)), 8); // LENGTH < 4
    expectMalformed(concatBytes(version, Uint8Array.of(3, 0, 200, 0, 1, 2)), 8); // LENGTH overruns the value
    expectMalformed(concatBytes(good, kex), good.length); // KeyExchangeCertificate twice
    expectMalformed(concatBytes(good, version), good.length); // Property Version twice
    expectMalformed(kex, 0); // no Property Version
    expectMalformed(concatBytes(setting(OUTLOOK_SETTING.version, Uint8Array.of(2, 0, 0, 0)), kex), 0); // version 2
    expectMalformed(concatBytes(setting(OUTLOOK_SETTING.version, Uint8Array.of(1, 0)), kex), 0); // short version
    expectMalformed(
      concatBytes(version, setting(OUTLOOK_SETTING.keyExchangeCertificate, Uint8Array.of(0x30, 3, 2, 1, 1))),
      12,
    ); // not a certificate
    expectMalformed(
      concatBytes(version, setting(OUTLOOK_SETTING.signCertificate, concatBytes(rsa.certificate, Uint8Array.of(0)))),
      12,
    ); // bytes after it
    expectMalformed(concatBytes(version, setting(OUTLOOK_SETTING.chainCertificate, new Uint8Array())), 8); // empty certificate
    expectMalformed(concatBytes(version, setting(OUTLOOK_SETTING.keyExchangeSha1Hash, Uint8Array.of(1, 2, 3))), 8); // hash of the wrong size
    expectMalformed(
      concatBytes(version, setting(OUTLOOK_SETTING.asymmetricCapabilities, Uint8Array.of(0x30, 3, 2, 1, 1))),
    ); // not SMIMECapabilities
  });

  it('the SignedData form: trailing bytes, bare certificates, other content types, broken DER', async () => {
    const value = await buildUserSmimeCertificate(rsa);
    expectMalformed(concatBytes(value, Uint8Array.of(0)), value.length);
    expect(expectMalformed(rsa.certificate, 0).message).toContain('bare certificate');
    expectMalformed(value.subarray(0, value.length - 1));
    expectMalformed(Uint8Array.of(0x30, 0x0d, 0x06, 0x09, ...fromHex('2a864886f70d010701'), 0xa0, 0x00)); // id-data ContentInfo
    expectMalformed(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01));
    // A certificate entry that is not a certificate.
    const bogus = await createSignedData(new Uint8Array(), {
      signers: [{ certificate: rsa.certificate, privateKey: rsa.privateKey }],
      certificates: [Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05)],
    });
    expectMalformed(bogus);
  });

  it('buildOutlookSecuritySettings refuses what it cannot write', () => {
    const refused = (init: Parameters<typeof buildOutlookSecuritySettings>[0]) =>
      (thrown(() => buildOutlookSecuritySettings(init)) as SmimeError | undefined)?.code;
    expect(refused({ signCertificate: rsa.certificate, signSha1Hash: sha1(rsa.certificate) })).toBe('bad-argument');
    expect(refused({ keyExchangeCertificate: utf8('not a certificate') })).toBe('bad-argument');
    expect(refused({ extraSettings: [{ tag: OUTLOOK_SETTING.signCertificate, data: rsa.certificate }] })).toBe(
      'bad-argument',
    );
    expect(refused({ extraSettings: [{ tag: 0x10000, data: new Uint8Array() }] })).toBe('bad-argument');
    expect(refused({ extraSettings: [{ tag: 0x7000, data: new Uint8Array(0xfffc) }] })).toBe('bad-argument');
    expect(refused({ defaultSettings: -1 })).toBe('bad-argument');
    expect(refused({ keyExchangeSha1Hash: Uint8Array.of(1) })).toBe('bad-argument');
  });
});

describe('robustness', () => {
  type Mutation = [kind: 'xor' | 'set' | 'cut' | 'insert', at: number, value: number];
  const mutation = fc.tuple(
    fc.constantFrom<Mutation[0]>('xor', 'set', 'cut', 'insert'),
    fraction(),
    fc.integer({ min: 1, max: 255 }),
  );
  function mutate(seed: Uint8Array, ms: Mutation[]): Uint8Array {
    let out: Uint8Array = seed.slice();
    for (const [kind, at, value] of ms) {
      const i = Math.floor(at * out.length);
      if (kind === 'xor') out[i]! ^= value;
      else if (kind === 'set') out[i] = [0x00, 0x30, 0x80, 0x82, 0xff, 0x04, 0xa0][value % 7]!;
      else if (kind === 'cut') out = out.slice(0, i);
      else out = concatBytes(out.subarray(0, i), Uint8Array.of(value), out.subarray(i));
    }
    return out;
  }
  let seeds: Uint8Array[] = [];
  beforeAll(async () => {
    seeds = [
      await buildUserSmimeCertificate(rsa, { encryptionCertificate: p256.certificate }),
      await buildUserSmimeCertificate(p256),
      buildOutlookSecuritySettings({
        signCertificate: rsa.certificate,
        keyExchangeCertificate: p256.certificate,
        chain: [intermediate],
        capabilities: DEFAULT_CAPABILITIES,
        displayName: 'x',
        keyExchangeSha1Hash: sha1(p256.certificate),
      }),
    ];
  });

  /** Parses, returning the error code; anything but a SmimeError fails the property. */
  function parseCode(bytes: Uint8Array): string | undefined {
    const started = performance.now();
    const e = thrown(() => parseUserSmimeCertificate(bytes));
    expect(performance.now() - started).toBeLessThan(250);
    if (e === undefined) return undefined;
    expect(e).toBeInstanceOf(SmimeError);
    expect((e as SmimeError).code).toBe(CODE);
    return (e as SmimeError).code;
  }

  it('random bytes and mutations of both forms only ever throw malformed-user-smime-certificate, quickly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => void parseCode(bytes)),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        (s, ms) => void parseCode(mutate(seeds[s]!, ms as Mutation[])),
      ),
      { numRuns: 600 },
    );
  });

  it('verification of mutated SignedData values never escapes as anything but a SmimeError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (s, ms) => {
          const value = mutate(seeds[s]!, ms as Mutation[]);
          const result = await verifyUserSmimeCertificate(value).catch((e: unknown) => e);
          if (result instanceof Error) expect((result as SmimeError).code).toBe(CODE);
          else expect(typeof (result as { signatureValid: boolean }).signatureValid).toBe('boolean');
        },
      ),
      { numRuns: 80 },
    );
  });
});
