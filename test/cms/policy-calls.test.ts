/**
 * Issue #14's policy calls and the signing defaults of defects 5 and 6, each with its exact code:
 * Ed25519 and SHA-512 (RFC 8419) on both sides; key-dependent default digests (RFC 5753/8551), checked by OpenSSL;
 * SHA-1 signatures that verify are `signatureValid` with `weak-algorithm`; AES-GCM nonces other than 12 bytes and
 * tags under 12 bytes only with `allowLegacyGcm` (an 8-byte nonce built with Node's OpenSSL, decrypted by smimekit
 * and by `openssl cms`); malformed IVs and cipher parameters are FormatErrors; RecipientInfo issuers match by
 * RFC 5280 name comparison, never falsely.
 */
import { createCipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  derBytes,
  derChildren,
  derParse,
  encodeInt,
  encodeOid,
  octets,
  seq,
  set,
  tlv,
  algorithmId,
  NULL,
} from '../../src/asn1/index.js';
import { ATTRIBUTE, encodeAttribute, encodeSetOf } from '../../src/cms/attributes.js';
import { CONTENT_TYPE, encodeContentInfo } from '../../src/cms/content-info.js';
import { decryptEncryptedData } from '../../src/cms/encrypted-data.js';
import { decryptEnvelope } from '../../src/cms/enveloped-decrypt.js';
import { encodeRecipientInfo } from '../../src/cms/recipient-encode.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { createSignedData, type SigningDigest } from '../../src/cms/signer.js';
import { verifySignedData } from '../../src/cms/verify-signed-data.js';
import { aesCbcEncrypt } from '../../src/crypto/ciphers/aes.js';
import { getSubtle } from '../../src/crypto/engine.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { AlgorithmError, ArgumentError, FormatError } from '../../src/errors.js';
import { parseMime } from '../../src/mime/entity.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { decryptMessage } from '../../src/smime/decrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { toArrayBuffer, utf8 } from '../../src/util/bytes.js';
import { sha256 } from '../../src/util/hash.js';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import {
  chainFile,
  certDer,
  identity,
  makeP521Identity,
  openssl,
  opensslEd25519Check,
  opensslVerifyMime,
  type TestIdentity,
} from './fixtures.js';

const dir = tempDir();
const ids: Record<string, TestIdentity> = {};
let trust: TrustList;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const signedDataOf = (message: Uint8Array) => {
  const root = parseMime(message);
  const sig = root.children[1]!;
  return parseSignedData(Buffer.from(text(sig.source.subarray(sig.bodyStart, sig.end)), 'base64'));
};

beforeAll(async () => {
  for (const k of ['ee-rsa', 'ee-p256', 'ee-p384', 'ee-ed25519']) ids[k] = await identity(k);
  ids['ee-p521'] = await makeP521Identity(dir);
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
}, 60_000);

const OID_SHA = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

describe('default signing digest by key (RFC 5753 / RFC 8551 / RFC 8419), checked by OpenSSL', () => {
  const cases: [string, SigningDigest][] = [
    ['ee-rsa', 'sha256'],
    ['ee-p256', 'sha256'],
    ['ee-p384', 'sha384'],
    ['ee-p521', 'sha512'],
    ['ee-ed25519', 'sha512'],
  ];
  for (const [k, expected] of cases) {
    it(`${k} signs with ${expected} when no digest is given`, async () => {
      const id = ids[k]!;
      const entity = utf8('Content-Type: text/plain\r\n\r\ndefault digest\r\n');
      const signed = await signMessage(entity, { signer: id });
      expect(parseMime(signed).contentType.params.micalg).toBe(`sha-${expected.slice(3)}`);
      const sd = signedDataOf(signed);
      expect(sd.signerInfos[0]!.digestAlgorithm.oid).toBe(OID_SHA[expected]);
      const report = await verifyMessage(signed, { trust });
      expect(report.signers[0]!.problems).toEqual([]);
      expect(report.signers[0]!.algorithms.digest).toBe(`SHA-${expected.slice(3)}`);
      if (k === 'ee-ed25519') {
        // OpenSSL 3.0 has no Ed25519 CMS: its SHA-512 and Ed25519 primitives check the pieces.
        expect(opensslEd25519Check(dir, id, sd, report.content)).toBe(true);
        return;
      }
      const res = opensslVerifyMime(dir, signed, ['-purpose', 'smimesign']);
      expect(res.stderr).toContain('Verification successful');
      expect(new Uint8Array(res.stdout)).toEqual(report.content);
    });
  }

  it('an explicit digest still wins (P-384 with SHA-256), and createSignedData follows the same default', async () => {
    const id = ids['ee-p384']!;
    const signed = await signMessage('Content-Type: text/plain\r\n\r\nx\r\n', { signer: id, digest: 'sha256' });
    expect(parseMime(signed).contentType.params.micalg).toBe('sha-256');
    const der = await createSignedData(utf8('x'), {
      signers: [{ certificate: id.certificate, privateKey: id.privateKey }],
    });
    expect(parseSignedData(der).signerInfos[0]!.digestAlgorithm.oid).toBe(OID_SHA.sha384);
  });

  it('CLI: --digest defaults to auto (P-384 → sha-384); auto may be named; Ed25519 with --digest sha256 is bad-argument', async () => {
    const msg = 'Content-Type: text/plain\r\n\r\ncli digest\r\n';
    const p384 = ['--cert', chainFile('ee-p384.pem'), '--key', chainFile('ee-p384.key')];
    for (const extra of [[], ['--digest', 'auto'], ['--digest', 'AUTO']]) {
      const r = await cli(['sign', ...p384, ...extra], msg);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('micalg=sha-384');
    }
    const ed = ['--cert', chainFile('ee-ed25519.pem'), '--key', chainFile('ee-ed25519.key')];
    const bad = await cli(['sign', ...ed, '--digest', 'sha256'], msg);
    expect(bad.code).toBe(2);
    expect(errorCode(bad)).toBe('bad-argument');
    const good = await cli(['sign', ...ed], msg);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('micalg=sha-512');
    const unknown = await cli(['sign', ...p384, '--digest', 'md5'], msg);
    expect(errorCode(unknown)).toBe('usage');
  });
});

describe('Ed25519 SignerInfos use SHA-512 (RFC 8419), signing and verifying', () => {
  it('signing: an explicit digest other than sha512 is bad-argument; none or sha512 gives SHA-512', async () => {
    const id = ids['ee-ed25519']!;
    for (const digest of ['sha256', 'sha384'] as SigningDigest[]) {
      const e = await signMessage('x', { signer: id, digest }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e).toMatchObject({ code: 'bad-argument' });
      await expect(
        createSignedData(utf8('x'), { signers: [{ certificate: id.certificate, privateKey: id.privateKey, digest }] }),
      ).rejects.toMatchObject({ code: 'bad-argument' });
    }
    for (const digest of [undefined, 'sha512'] as const) {
      const der = await createSignedData(utf8('x'), {
        signers: [{ certificate: id.certificate, privateKey: id.privateKey, ...(digest ? { digest } : {}) }],
      });
      const [check] = await verifySignedData(parseSignedData(der));
      expect(check!.signatureValid).toBe(true);
      expect(check!.algorithms.digest).toBe('SHA-512');
    }
  });

  /** An Ed25519 SignedData whose signature really verifies, with `digest` as message digest algorithm. */
  async function ed25519SignedWith(digest: 'SHA-256' | 'SHA-512', content: Uint8Array): Promise<Uint8Array> {
    const id = ids['ee-ed25519']!;
    const oid = digest === 'SHA-256' ? OID_SHA.sha256 : OID_SHA.sha512;
    const md = new Uint8Array(await getSubtle().digest(digest, toArrayBuffer(content)));
    const attrs = encodeSetOf([
      encodeAttribute(ATTRIBUTE.contentType, encodeOid(CONTENT_TYPE.data)),
      encodeAttribute(ATTRIBUTE.messageDigest, octets(md)),
    ]);
    const key = await getSubtle().importKey('pkcs8', toArrayBuffer(id.privateKey.pkcs8), { name: 'Ed25519' }, false, [
      'sign',
    ]);
    const signature = new Uint8Array(await getSubtle().sign({ name: 'Ed25519' }, key, toArrayBuffer(attrs)));
    const cert = derChildren(derParse(id.certificate));
    const tbs = derChildren(cert[0]!);
    const issuerAndSerial = seq(derBytes(tbs[3]!), derBytes(tbs[1]!));
    const implicitAttrs = attrs.slice();
    implicitAttrs[0] = 0xa0;
    const signerInfo = seq(
      encodeInt(1),
      issuerAndSerial,
      algorithmId(oid),
      implicitAttrs,
      algorithmId('1.3.101.112'),
      octets(signature),
    );
    return encodeContentInfo(
      CONTENT_TYPE.signedData,
      seq(
        encodeInt(1),
        set(algorithmId(oid)),
        seq(encodeOid(CONTENT_TYPE.data), tlv(0xa0, octets(content))),
        tlv(0xa0, id.certificate),
        set(signerInfo),
      ),
    );
  }

  it('verifying: a valid Ed25519 signature over a SHA-256 message digest is refused with wrong-digest-algorithm', async () => {
    const content = utf8('Ed25519 with SHA-256');
    const control = (await verifySignedData(parseSignedData(await ed25519SignedWith('SHA-512', content))))[0]!;
    expect(control.problems).toEqual([]);
    expect(control.signatureValid).toBe(true);
    const sd = parseSignedData(await ed25519SignedWith('SHA-256', content));
    for (const allowWeak of [false, true]) {
      const [check] = await verifySignedData(sd, { allowWeak });
      expect(check!.signatureValid).toBe(false);
      expect(check!.problems.map((p) => p.code)).toEqual(['wrong-digest-algorithm']);
    }
  });
});

describe('SHA-1 signatures: signatureValid reports the mathematics, weak-algorithm the policy', () => {
  let sd: ReturnType<typeof parseSignedData>;
  beforeAll(() => {
    const id = ids['ee-rsa']!;
    const inFile = join(dir, 'sha1.txt');
    writeFileSync(inFile, 'signed with SHA-1\r\n');
    const r = openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-md',
      'sha1',
      '-outform',
      'DER',
      '-in',
      inFile,
      '-signer',
      id.certFile,
      '-inkey',
      id.keyFile,
    ]);
    expect(r.status, r.stderr).toBe(0);
    sd = parseSignedData(new Uint8Array(r.stdout));
  });

  it('valid: signatureValid true with weak-algorithm; allowWeak removes only that problem', async () => {
    const [strict] = await verifySignedData(sd);
    expect(strict!.signatureValid).toBe(true);
    expect(strict!.problems.map((p) => p.code)).toEqual(['weak-algorithm']);
    expect(strict!.certificate).toEqual(ids['ee-rsa']!.certificate);
    const [lenient] = await verifySignedData(sd, { allowWeak: true });
    expect(lenient!.signatureValid).toBe(true);
    expect(lenient!.problems).toEqual([]);
  });

  it('tampered: signatureValid false with digest-mismatch, and weak-algorithm still listed without allowWeak', async () => {
    const changed = { ...sd, content: utf8('signed with SHA-1, then changed\r\n') };
    const [strict] = await verifySignedData(changed);
    expect(strict!.signatureValid).toBe(false);
    expect(strict!.problems.map((p) => p.code)).toEqual(['digest-mismatch', 'weak-algorithm']);
    const [lenient] = await verifySignedData(changed, { allowWeak: true });
    expect(lenient!.problems.map((p) => p.code)).toEqual(['digest-mismatch']);
  });
});

describe('AES-GCM: 12-byte nonces and 12–16-byte tags by default, others with allowLegacyGcm', () => {
  const recipient = () => ({ certificate: certDer('ee-rsa.pem'), privateKey: ids['ee-rsa']!.privateKey });
  const plaintext = utf8('Content-Type: text/plain\r\n\r\nAES-GCM with an unusual nonce\r\n');

  /** AuthEnvelopedData to ee-rsa, the content sealed by Node's OpenSSL (an implementation independent of ours). */
  async function authEnveloped(nonceLength: number, tagLength: number, icv: number | undefined = tagLength) {
    const cek = randomBytes(16);
    const nonce = randomBytes(nonceLength);
    const cipher = createCipheriv('aes-128-gcm' as CipherGCMTypes, cek, nonce, { authTagLength: tagLength });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const ri = await encodeRecipientInfo({ certificate: certDer('ee-rsa.pem') }, new Uint8Array(cek));
    const params = icv === undefined ? seq(octets(nonce)) : seq(octets(nonce), encodeInt(icv));
    const eci = seq(encodeOid(CONTENT_TYPE.data), algorithmId('2.16.840.1.101.3.4.1.6', params), tlv(0x80, ciphertext));
    return encodeContentInfo(
      CONTENT_TYPE.authEnvelopedData,
      seq(encodeInt(0), set(ri.der), eci, octets(cipher.getAuthTag())),
    );
  }

  it('an 8-byte nonce: refused by default (legacy-gcm-parameters, before any key is used), read with allowLegacyGcm', async () => {
    const der = await authEnveloped(8, 16);
    const e = await decryptEnvelope(der, recipient()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AlgorithmError);
    expect(e).toMatchObject({ code: 'legacy-gcm-parameters' });
    // Refused before the key is looked at: a key that is not the recipient's gives the same answer.
    await expect(
      decryptEnvelope(der, { certificate: certDer('ee-rsa.pem'), privateKey: ids['ee-p256']!.privateKey }),
    ).rejects.toMatchObject({ code: 'legacy-gcm-parameters' });
    const opened = await decryptEnvelope(der, { ...recipient(), allowLegacyGcm: true });
    expect(opened.content).toEqual(plaintext);
    expect(opened.authenticated).toBe(true);
    // The message was sealed by Node's OpenSSL EVP AES-GCM (independent of smimekit's GHASH-based nonce handling).
    // `openssl cms -decrypt` (3.0) cannot be the check: its CMS code ignores the nonce length of GCMParameters and
    // fails on anything but 12 bytes ("Error decrypting CMS structure"), while it reads the same message built
    // with a 12-byte nonce.
  });

  it('through the facade and the CLI: decryptMessage, readMessage and smimekit decrypt take allowLegacyGcm / --allow-legacy-gcm', async () => {
    const der = await authEnveloped(8, 16);
    const b64 = Buffer.from(der).toString('base64').replace(/.{76}/g, '$&\r\n');
    const message = utf8(
      'From: rsa.user@example.test\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name="smime.p7m"\r\n' +
        `Content-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`,
    );
    const identity = recipient();
    await expect(decryptMessage(message, { identity })).rejects.toMatchObject({ code: 'legacy-gcm-parameters' });
    expect((await decryptMessage(message, { identity, allowLegacyGcm: true })).content).toEqual(plaintext);
    const trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
    const read = await readMessage(message, { identities: [identity], trust, allowLegacyGcm: true });
    expect(read.content).toEqual(plaintext);
    await expect(readMessage(message, { identities: [identity], trust })).rejects.toMatchObject({
      code: 'legacy-gcm-parameters',
    });
    const file = join(dir, 'legacy-gcm.eml');
    writeFileSync(file, message);
    const p12 = ['--p12', chainFile('ee-rsa.p12'), '--password', 'test', '--in', file];
    const refused = await cli(['decrypt', ...p12]);
    expect([refused.code, errorCode(refused), refused.stdout]).toEqual([2, 'legacy-gcm-parameters', '']);
    const opened = await cli(['decrypt', ...p12, '--allow-legacy-gcm']);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdoutBytes).toEqual(plaintext);
  });

  it('other nonce lengths (1, 13, 16, 64 bytes) likewise; a changed tag is decryption-failed even with the option', async () => {
    for (const n of [1, 13, 16, 64]) {
      const der = await authEnveloped(n, 16);
      await expect(decryptEnvelope(der, recipient())).rejects.toMatchObject({ code: 'legacy-gcm-parameters' });
      expect((await decryptEnvelope(der, { ...recipient(), allowLegacyGcm: true })).content).toEqual(plaintext);
    }
    const tampered = await authEnveloped(8, 16);
    tampered[tampered.length - 1]! ^= 1;
    await expect(decryptEnvelope(tampered, { ...recipient(), allowLegacyGcm: true })).rejects.toMatchObject({
      code: 'decryption-failed',
    });
  });

  it('tags: 12–16 bytes by default; 8 and 4 bytes only with the option; other lengths are bad-gcm-parameters', async () => {
    for (const t of [12, 13, 16])
      expect((await decryptEnvelope(await authEnveloped(12, t), recipient())).content).toEqual(plaintext);
    expect((await decryptEnvelope(await authEnveloped(12, 12, undefined), recipient())).content).toEqual(plaintext);
    for (const t of [8, 4]) {
      const der = await authEnveloped(12, t);
      await expect(decryptEnvelope(der, recipient())).rejects.toMatchObject({ code: 'legacy-gcm-parameters' });
      expect((await decryptEnvelope(der, { ...recipient(), allowLegacyGcm: true })).content).toEqual(plaintext);
    }
    // A declared length GCM does not have (the mac is 16 bytes here: it never gets that far).
    for (const icv of [5, 11, 17, 0])
      await expect(
        decryptEnvelope(await authEnveloped(12, 16, icv), { ...recipient(), allowLegacyGcm: true }),
      ).rejects.toMatchObject({ code: 'bad-gcm-parameters' });
  });

  it('an empty nonce or one over 128 bytes is bad-gcm-parameters (a FormatError), with or without the option', async () => {
    const der = await authEnveloped(12, 16);
    for (const n of [0, 129, 1000]) {
      // The 12-byte nonce replaced by one of n bytes (every outer length re-encoded).
      const e = await decryptEnvelope(rebuildGcmNonce(der, new Uint8Array(n)), {
        ...recipient(),
        allowLegacyGcm: true,
      }).catch((x: unknown) => x);
      expect(e, `${n}`).toBeInstanceOf(FormatError);
      expect(e, `${n}`).toMatchObject({ code: 'bad-gcm-parameters' });
    }
  });
});

/** `der` (AuthEnvelopedData ContentInfo) with the GCM nonce replaced, re-encoded. */
function rebuildGcmNonce(der: Uint8Array, nonce: Uint8Array): Uint8Array {
  const aed = derChildren(derChildren(derChildren(derParse(der))[1]!)[0]!);
  const eci = derChildren(aed[2]!);
  const alg = derChildren(eci[1]!);
  const params = derChildren(alg[1]!);
  const newAlg = seq(derBytes(alg[0]!), seq(octets(nonce), ...params.slice(1).map(derBytes)));
  const newEci = seq(derBytes(eci[0]!), newAlg, derBytes(eci[2]!));
  return encodeContentInfo(
    CONTENT_TYPE.authEnvelopedData,
    seq(...aed.slice(0, 2).map(derBytes), newEci, ...aed.slice(3).map(derBytes)),
  );
}

describe('malformed IVs and cipher parameters are FormatErrors, not argument errors', () => {
  const AES128_CBC = '2.16.840.1.101.3.4.1.2';
  const DES_EDE3_CBC = '1.2.840.113549.3.7';
  const RC2_CBC = '1.2.840.113549.3.2';

  /** EnvelopedData to ee-rsa whose content-encryption AlgorithmIdentifier is `alg` (content: 32 random bytes). */
  async function enveloped(alg: Uint8Array, keyLength: number): Promise<Uint8Array> {
    const ri = await encodeRecipientInfo({ certificate: certDer('ee-rsa.pem') }, randomBytes(keyLength));
    const eci = seq(encodeOid(CONTENT_TYPE.data), alg, tlv(0x80, randomBytes(32)));
    return encodeContentInfo(CONTENT_TYPE.envelopedData, seq(encodeInt(0), set(ri.der), eci));
  }

  it('CMS content: a wrong-length or missing IV, for AES, 3DES and RC2, is malformed-cms before any key is used', async () => {
    const cases: [string, Uint8Array, number][] = [
      ['AES IV of 15 bytes', algorithmId(AES128_CBC, octets(new Uint8Array(15))), 16],
      ['AES IV of 8 bytes', algorithmId(AES128_CBC, octets(new Uint8Array(8))), 16],
      ['AES without IV', algorithmId(AES128_CBC), 16],
      ['AES IV as an INTEGER', algorithmId(AES128_CBC, encodeInt(7)), 16],
      ['3DES IV of 16 bytes', algorithmId(DES_EDE3_CBC, octets(new Uint8Array(16))), 24],
      ['RC2 IV of 7 bytes', algorithmId(RC2_CBC, seq(encodeInt(58), octets(new Uint8Array(7)))), 16],
    ];
    const wrongKey = { certificate: certDer('ee-rsa.pem'), privateKey: ids['ee-p256']!.privateKey };
    for (const [name, alg, keyLength] of cases) {
      const der = await enveloped(alg, keyLength);
      for (const options of [{ certificate: certDer('ee-rsa.pem'), privateKey: ids['ee-rsa']!.privateKey }, wrongKey]) {
        const e = await decryptEnvelope(der, options).catch((x: unknown) => x);
        expect(e, name).toBeInstanceOf(FormatError);
        expect(e, name).toMatchObject({ code: 'malformed-cms' });
      }
    }
  });

  it('EncryptedData: a 12-byte AES-CBC IV is malformed-cms; the right IV decrypts', async () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const ct = await aesCbcEncrypt(key, iv, utf8('encrypted data'));
    const build = (ivBytes: Uint8Array) =>
      encodeContentInfo(
        CONTENT_TYPE.encryptedData,
        seq(encodeInt(0), seq(encodeOid(CONTENT_TYPE.data), algorithmId(AES128_CBC, octets(ivBytes)), tlv(0x80, ct))),
      );
    expect(text((await decryptEncryptedData(build(iv), key)).content)).toBe('encrypted data');
    await expect(decryptEncryptedData(build(iv.subarray(0, 12)), key)).rejects.toMatchObject({
      code: 'malformed-cms',
    });
  });

  /** The PBES2 AlgorithmIdentifier of an encrypted PKCS#8 (from OpenSSL) with the cipher's IV replaced. */
  function withPbes2Iv(epki: Uint8Array, iv: Uint8Array | undefined): Uint8Array {
    const [alg, data] = derChildren(derParse(epki));
    const [pbes2Oid, params] = derChildren(alg!);
    const [kdf, enc] = derChildren(params!);
    const [encOid] = derChildren(enc!);
    const newEnc = iv === undefined ? seq(derBytes(encOid!), NULL) : seq(derBytes(encOid!), octets(iv));
    return seq(seq(derBytes(pbes2Oid!), seq(derBytes(kdf!), newEnc)), derBytes(data!));
  }

  it('PBES2 (encrypted PKCS#8 and PKCS#12 key bags): a bad or missing IV is bad-pbe-parameters, never bad-password', async () => {
    const r = openssl([
      'pkcs8',
      '-topk8',
      '-v2',
      'aes-256-cbc',
      '-in',
      chainFile('ee-p256.key'),
      '-passout',
      'pass:pw',
      '-outform',
      'DER',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const epki = new Uint8Array(r.stdout);
    expect((await loadPrivateKey(epki, 'pw')).type).toBe('ec');
    for (const iv of [new Uint8Array(15), new Uint8Array(8), undefined]) {
      const bad = withPbes2Iv(epki, iv);
      for (const password of ['pw', 'wrong']) {
        const e = await loadPrivateKey(bad, password).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(FormatError);
        expect(e).toMatchObject({ code: 'bad-pbe-parameters' });
      }
      // The same in a PKCS#12 shrouded key bag (read without MAC so that the bag is reached).
      const bag = seq(encodeOid('1.2.840.113549.1.12.10.1.2'), tlv(0xa0, bad));
      const authSafe = seq(seq(encodeOid(CONTENT_TYPE.data), tlv(0xa0, octets(seq(bag)))));
      const pfx = seq(encodeInt(3), seq(encodeOid(CONTENT_TYPE.data), tlv(0xa0, octets(authSafe))));
      await expect(loadIdentity(pfx, 'pw', { allowMissingMac: true })).rejects.toMatchObject({
        code: 'bad-pbe-parameters',
      });
    }
  });
});

describe('RecipientInfo issuer names compare by RFC 5280 rules, never falsely', () => {
  const content = utf8('Content-Type: text/plain\r\n\r\nfor the re-encoded issuer\r\n');

  /** ee-rsa's issuer, each attribute's value re-written as `rewrite` says (string type tag, value). */
  function issuerWith(rewrite: (oid: string, value: string) => [number, string] | undefined, extraRdn?: Uint8Array) {
    const tbs = derChildren(derChildren(derParse(certDer('ee-rsa.pem')))[0]!);
    const issuer = tbs[3]!;
    const rdns = derChildren(issuer).map((rdn) => {
      const atv = derChildren(derChildren(rdn)[0]!);
      const oidDer = derBytes(atv[0]!);
      const oid = oidString(oidDer);
      const value = Buffer.from(atv[1]!.buf.subarray(atv[1]!.contentStart, atv[1]!.contentEnd)).toString('utf8');
      const [tag, v] = rewrite(oid, value) ?? [atv[1]!.tag, value];
      const bytes = tag === 0x1e ? Buffer.from(v, 'utf16le').swap16() : Buffer.from(v, 'utf8');
      return set(seq(oidDer, tlv(tag, new Uint8Array(bytes))));
    });
    return seq(...rdns, ...(extraRdn ? [extraRdn] : []));
  }
  const oidString = (der: Uint8Array): string =>
    ({ '55 04 06': '2.5.4.6', '55 04 0a': '2.5.4.10', '55 04 03': '2.5.4.3' })[
      Buffer.from(der.subarray(2)).toString('hex').match(/../g)!.join(' ')
    ] ?? '?';

  /** An EnvelopedData (AES-128-CBC) whose one KTRI names `issuer` and `serial` (the key is ee-rsa's). */
  async function envelopeNaming(issuer: Uint8Array, serial?: Uint8Array): Promise<Uint8Array> {
    const cek = randomBytes(16);
    const iv = randomBytes(16);
    const ri = await encodeRecipientInfo({ certificate: certDer('ee-rsa.pem') }, new Uint8Array(cek));
    const [version, rid, alg, key] = derChildren(derParse(ri.der));
    const [, serialNode] = derChildren(rid!);
    const ktri = seq(derBytes(version!), seq(issuer, serial ?? derBytes(serialNode!)), derBytes(alg!), derBytes(key!));
    const eci = seq(
      encodeOid(CONTENT_TYPE.data),
      algorithmId('2.16.840.1.101.3.4.1.2', octets(iv)),
      tlv(0x80, await aesCbcEncrypt(cek, iv, content)),
    );
    return encodeContentInfo(CONTENT_TYPE.envelopedData, seq(encodeInt(0), set(ktri), eci));
  }
  const me = () => ({ certificate: certDer('ee-rsa.pem'), privateKey: ids['ee-rsa']!.privateKey });

  it('an issuer re-encoded (PrintableString ↔ UTF8String ↔ BMPString, case, spaces) still finds the recipient', async () => {
    const reencoded = issuerWith(
      (oid, value) =>
        oid === '2.5.4.6'
          ? [0x0c, value.toLowerCase()] // C=XX as UTF8String "xx"
          : oid === '2.5.4.10'
            ? [0x13, `  ${value.toUpperCase().replace(' ', '   ')} `] // O as PrintableString, upper case, extra spaces
            : [0x1e, value], // CN as BMPString
    );
    const original = derBytes(derChildren(derChildren(derParse(certDer('ee-rsa.pem')))[0]!)[3]!);
    expect(Buffer.from(reencoded).equals(Buffer.from(original))).toBe(false);
    const result = await decryptEnvelope(await envelopeNaming(reencoded), me());
    expect(result.content).toEqual(content);
    expect(result.recipient.matchedBy).toBe('issuerAndSerialNumber');
    // The serial compares as an INTEGER value: a redundant leading zero byte still names the certificate.
    const tbs = derChildren(derChildren(derParse(certDer('ee-rsa.pem')))[0]!);
    const serial = tbs[1]!.buf.subarray(tbs[1]!.contentStart, tbs[1]!.contentEnd);
    const padded = tlv(0x02, Uint8Array.of(0, ...serial));
    expect((await decryptEnvelope(await envelopeNaming(reencoded, padded), me())).content).toEqual(content);
  });

  it('a different issuer with the same serial, or the same issuer with another serial, is not-recipient', async () => {
    const otherCn = issuerWith((oid, value) => (oid === '2.5.4.3' ? [0x0c, `${value} 2`] : undefined));
    const otherO = issuerWith((oid) => (oid === '2.5.4.10' ? [0x0c, 'smimekit tests'] : undefined));
    const extraRdn = issuerWith(() => undefined, set(seq(encodeOid('2.5.4.11'), tlv(0x0c, utf8('Unit')))));
    const swapped = issuerWith((oid, value) =>
      oid === '2.5.4.3'
        ? [0x0c, 'smimekit test']
        : oid === '2.5.4.10'
          ? [0x0c, value.replace('test', 'Test Intermediate CA')]
          : undefined,
    );
    for (const issuer of [otherCn, otherO, extraRdn, swapped]) {
      await expect(decryptEnvelope(await envelopeNaming(issuer), me())).rejects.toMatchObject({
        code: 'not-recipient',
      });
    }
    const same = issuerWith(() => undefined);
    const wrongSerial = tlv(
      0x02,
      sha256(utf8('another serial'))
        .subarray(0, 16)
        .map((b, i) => (i === 0 ? b & 0x7f : b)),
    );
    await expect(decryptEnvelope(await envelopeNaming(same, wrongSerial), me())).rejects.toMatchObject({
      code: 'not-recipient',
    });
    expect((await decryptEnvelope(await envelopeNaming(same), me())).content).toEqual(content);
  });
});
