/**
 * Every limit in docs/security.md's table, crossed: each test is named by the row's id (`[signers] …`) and checks
 * the exact code and `details` the row states. Rows crossed by an existing test elsewhere are listed in `ELSEWHERE`
 * with the file and the test's title; the last test keeps the table, this file and `ELSEWHERE` in step.
 *
 * The three "expensive inputs" of issue #14 (a 279 KB CompressedData expanding to 200 MiB, 5,000 SignerInfos,
 * a 2.8 MB SST of 199,000 elements) are rebuilt here (hostile-inputs.ts) and must fail at once at the defaults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  algorithmId,
  derChildren,
  derParse,
  derRead,
  encodeInt,
  encodeOid,
  octets,
  seq,
  set,
  tlv,
} from '../../src/asn1/index.js';
import { ATTRIBUTE } from '../../src/cms/attributes.js';
import { createCompressed, decompressCompressed, DEFAULT_MAX_DECOMPRESSED } from '../../src/cms/compressed.js';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo } from '../../src/cms/content-info.js';
import { createEnvelope } from '../../src/cms/enveloped-create.js';
import { parseEnvelope } from '../../src/cms/enveloped-parse.js';
import { DEFAULT_CMS_LIMITS } from '../../src/cms/limits.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { createSignedData } from '../../src/cms/signer.js';
import { verifySignedData } from '../../src/cms/verify-signed-data.js';
import { setCryptoBackend } from '../../src/crypto/engine.js';
import { OID } from '../../src/crypto/oids.js';
import { pbeDecrypt, pbePassword, MAX_PBKDF2_ITERATIONS } from '../../src/crypto/password-based.js';
import { parsePkcs12 } from '../../src/crypto/pkcs12.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { verifySignature } from '../../src/crypto/verify-signature.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import { DEFAULT_LDIF_LIMITS, parseLdif } from '../../src/directory/ldif.js';
import { SmimeError, LimitError } from '../../src/errors.js';
import { parseMime } from '../../src/mime/entity.js';
import { decryptMessage } from '../../src/smime/decrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { verifyMessage, verifySignedContent } from '../../src/smime/verify.js';
import { signMessage } from '../../src/smime/sign.js';
import { DEFAULT_SST_LIMITS, parseSst } from '../../src/sst/parse.js';
import { validateCertificate } from '../../src/trust/validate.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { concatBytes } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { parseAlgorithmIdentifier } from '../../src/x509/algorithm.js';
import { issue, NOW, x509 } from '../trust/helpers/pki.js';
import { describeVectors, projectVectorPath, readShared, repoRoot } from '../helpers/vectors.js';
import {
  compressedDataOf,
  compressedMessage,
  sstOfTinyElements,
  withSignerCopies,
  zlibBomb,
} from './hostile-inputs.js';

const MiB = 1024 * 1024;
const AT = new Date('2026-06-01T00:00:00Z');
const chain = (name: string) => projectVectorPath('chains', name);
const cert = (name: string) => decodePem(readFileSync(chain(name)))[0]!.der;
const trust = () => TrustList.fromCertificates([cert('root.pem')]);

/** Row ids crossed in this file (filled while the tests are collected). */
const covered = new Set<string>();

/** A test crossing the limit of row `id`. */
function limit(id: string, title: string, fn: () => Promise<void> | void, timeout?: number): void {
  covered.add(id);
  it(`[${id}] ${title}`, fn, timeout);
}

/** Rows whose crossing an existing test checks: id → [file, words of the test's title]. */
const ELSEWHERE: Record<string, [string, string]> = {
  'crl-download': ['test/trust/online/crl-fetch.test.ts', 'a CRL over maxCrlBytes is limit-exceeded and not read'],
  'download-time': [
    'test/trust/online/crl-fetch.test.ts',
    'a %s distribution point leaves the status unknown with the code %s',
  ],
  downloads: [
    'test/trust/online/crl-fetch.test.ts',
    'more downloads than maxDownloads: the rest is limit-exceeded, nothing fetched',
  ],
  'stream-header': [
    'test/smime/stream.test.ts',
    'a header section over 1 MiB: limit-exceeded maxHeaderBytes before any body is read',
  ],
  'stream-signature': ['test/smime/stream.test.ts', 'a signature part over 16 MiB: limit-exceeded maxSignaturePart'],
  'stream-element': [
    'test/smime/stream.test.ts',
    'RecipientInfos over 16 MiB: limit-exceeded maxElementLength before anything is decrypted',
  ],
  'name-constraints': [
    'test/trust/strictness.test.ts',
    'names x constraints past maxNameConstraintChecks: limit-exceeded with its detail, quickly',
  ],
  'rsa-max': [
    'test/crypto/security-review.test.ts',
    'a public key with e >= n or a modulus above 16384 bits is bad-key at once',
  ],
  'pbe-iterations': [
    'test/crypto/security-review.test.ts',
    'PBES1 and PKCS#12 PBE refuse more than 1M iterations without deriving',
  ],
  'pbe-work': [
    'test/crypto/security-review.test.ts',
    'a PKCS#12 bag whose PBKDF2 work exceeds the per-file budget fails at once with limit-exceeded',
  ],
  'ldap-size': [
    'test/directory/ldap.test.ts',
    'more matches than sizeLimit is directory-bad-response (a truncated answer could miss the entry)',
  ],
  'ldap-timeout': [
    'test/directory/ldap.test.ts',
    'a server that accepts and never answers is directory-timeout within the configured time',
  ],
  'directory-timeout': ['test/directory/composite.test.ts', 'directory-timeout'],
  'group-expansion': [
    'test/smime/resolve.test.ts',
    'stops expansion at groupExpansionTimeoutMs with directory-timeout on the list, and still resolves the rest',
  ],
};

/** The error a call throws (or rejects with). */
async function errorOf(fn: () => unknown): Promise<SmimeError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof SmimeError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

/** `code` and the `limit`/`value` details of a LimitError. */
async function limitOf(fn: () => unknown): Promise<[string, unknown, unknown]> {
  const e = await errorOf(fn);
  expect(e).toBeInstanceOf(LimitError);
  return [e.code, e.details.limit, e.details.value];
}

/** A WebCrypto that counts the calls of each `subtle` method. */
function countingCrypto(): { crypto: Crypto; calls: Record<string, number> } {
  const real = globalThis.crypto;
  const calls: Record<string, number> = {};
  const subtle = new Proxy(real.subtle, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const crypto = { subtle, getRandomValues: real.getRandomValues.bind(real), randomUUID: real.randomUUID.bind(real) };
  return { crypto: crypto as Crypto, calls };
}

afterEach(() => setCryptoBackend(globalThis.crypto));

async function rsaSigner() {
  return {
    certificate: cert('ee-rsa.pem'),
    privateKey: await loadPrivateKey(readFileSync(chain('ee-rsa.key'))),
    chain: [cert('intermediate.pem')],
  };
}

/** A SignedData over `hello`, by ee-rsa. */
async function signedHello(): Promise<Uint8Array> {
  return createSignedData(new TextEncoder().encode('hello'), { signers: [await rsaSigner()] });
}

/** Copies of a certificate that differ in their last signature byte (distinct DER, same everything else). */
function distinctCopies(der: Uint8Array, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const c = der.slice();
    c[c.length - 1] = i & 0xff;
    c[c.length - 2] = (i >> 8) & 0xff;
    return c;
  });
}

/** A multipart/mixed message nested `levels` deep. */
function nestedMime(levels: number): string {
  let body = 'Content-Type: text/plain\r\n\r\nhi\r\n';
  for (let i = 0; i < levels; i++)
    body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
  return body;
}

describe('messages and MIME', () => {
  limit('mime-depth', 'MIME nesting past maxDepth (32) is mime-limit-exceeded { maxDepth }', async () => {
    expect(await limitOf(() => parseMime(new TextEncoder().encode(nestedMime(33))))).toEqual([
      'mime-limit-exceeded',
      'maxDepth',
      32,
    ]);
    expect(parseMime(new TextEncoder().encode(nestedMime(32))).children).toHaveLength(1);
    // Through the facade, with the caller's value.
    expect(await limitOf(() => readMessage(nestedMime(4), { limits: { maxDepth: 3 } }))).toEqual([
      'mime-limit-exceeded',
      'maxDepth',
      3,
    ]);
  });

  limit('mime-parts', 'more than maxParts (10,000) parts is mime-limit-exceeded { maxParts }', async () => {
    const parts = (n: number) =>
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + '--b\r\n\r\nx\r\n'.repeat(n) + '--b--\r\n';
    // The multipart itself is a part: 10,000 children make 10,001.
    expect(await limitOf(() => parseMime(new TextEncoder().encode(parts(10_000))))).toEqual([
      'mime-limit-exceeded',
      'maxParts',
      10_000,
    ]);
    expect(parseMime(new TextEncoder().encode(parts(9_999))).children).toHaveLength(9_999);
    expect(await limitOf(() => readMessage(parts(5), { limits: { maxParts: 5 } }))).toEqual([
      'mime-limit-exceeded',
      'maxParts',
      5,
    ]);
  });

  limit('smime-layers', 'readMessage past maxLayers (8) is limit-exceeded { maxLayers }', async () => {
    let entity: Uint8Array = new TextEncoder().encode('Content-Type: text/plain\r\n\r\nhi\r\n');
    for (let i = 0; i < 9; i++) entity = compressedMessage(await createCompressed(entity));
    const e = await errorOf(() => readMessage(entity, {}));
    expect(e).toBeInstanceOf(LimitError);
    expect([e.code, e.details]).toEqual([
      'limit-exceeded',
      { limit: 'maxLayers', value: 8, maxDepth: 8, maxLayers: 8 },
    ]);
    expect((await readMessage(entity, { maxLayers: 16 })).layers).toHaveLength(9);
    // Exactly maxLayers layers read: the limit is on layers opened, not on the depth of the innermost content.
    let eight: Uint8Array = new TextEncoder().encode('Content-Type: text/plain\r\n\r\nhi\r\n');
    for (let i = 0; i < 8; i++) eight = compressedMessage(await createCompressed(eight));
    expect((await readMessage(eight, {})).layers).toHaveLength(8);
  });
});

describe('CMS', () => {
  limit(
    'cms-size',
    'a SignedData over maxContentLength (256 MiB) is cms-limit-exceeded { maxContentLength }',
    async () => {
      expect(DEFAULT_CMS_LIMITS.maxContentLength).toBe(256 * MiB);
      const sd = await signedHello();
      expect(await limitOf(() => parseSignedData(sd, { maxContentLength: 100 }))).toEqual([
        'cms-limit-exceeded',
        'maxContentLength',
        100,
      ]);
    },
  );

  limit(
    'cms-nodes',
    'more BER pieces and SignerInfos than maxNodes (1,000,000) is cms-limit-exceeded { maxNodes }',
    async () => {
      expect(DEFAULT_CMS_LIMITS.maxNodes).toBe(1_000_000);
      const sd = await signedHello();
      expect(await limitOf(() => parseSignedData(sd, { maxNodes: 0 }))).toEqual(['cms-limit-exceeded', 'maxNodes', 0]);
      // Content in 3 BER pieces with a budget of 2.
      const chunked = tlv(0x24, octets(Uint8Array.of(1)), octets(Uint8Array.of(2)), octets(Uint8Array.of(3)));
      const sdNode = derRead(parseContentInfo(sd).content, 0);
      const kids = derChildren(sdNode).map((k) => k.buf.subarray(k.start, k.end));
      kids[2] = seq(encodeOid(CONTENT_TYPE.data), tlv(0xa0, chunked));
      const ber = encodeContentInfo(CONTENT_TYPE.signedData, seq(...kids));
      expect(parseSignedData(ber).content).toEqual(Uint8Array.of(1, 2, 3));
      expect(await limitOf(() => parseSignedData(ber, { maxNodes: 2 }))).toEqual(['cms-limit-exceeded', 'maxNodes', 2]);
    },
  );

  limit(
    'signers',
    '5,000 SignerInfos fail at once with limit-exceeded { maxSigners: 16 }, no signature checked',
    async () => {
      expect(DEFAULT_CMS_LIMITS.maxSigners).toBe(16);
      const sd = await signedHello();
      const counting = countingCrypto();
      setCryptoBackend(counting.crypto);
      for (const copies of [17, 5_000]) {
        const hostile = withSignerCopies(sd, copies);
        expect(await limitOf(() => verifySignedContent(hostile, { trust: trust(), at: AT }))).toEqual([
          'limit-exceeded',
          'maxSigners',
          16,
        ]);
      }
      expect(counting.calls.verify ?? 0).toBe(0);
      // 16 copies are within the limit: each is verified.
      const sixteen = await verifySignedContent(withSignerCopies(sd, 16), { trust: trust(), at: AT });
      expect(sixteen.signers).toHaveLength(16);
      expect(counting.calls.verify).toBeGreaterThanOrEqual(16);
      // The caller's value, through `limits`.
      expect(
        await limitOf(() =>
          verifySignedContent(withSignerCopies(sd, 3), { trust: trust(), limits: { maxSigners: 2 } }),
        ),
      ).toEqual(['limit-exceeded', 'maxSigners', 2]);
    },
  );

  limit(
    'signers',
    'inside an outer signed layer, verifyMessage reports the crossing as a problem with the code',
    async () => {
      const hostile = withSignerCopies(await signedHello(), 17);
      const inner = `Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(hostile).toString('base64')}\r\n`;
      const outer = await signMessage(inner, { signer: await rsaSigner() });
      const report = await verifyMessage(outer, { trust: trust(), at: AT });
      expect(report.ok).toBe(false);
      expect(report.problems.map((p) => p.code)).toContain('limit-exceeded');
    },
  );

  limit(
    'signers',
    'countersignatures count as signatures: one SignerInfo with 16 of them crosses maxSigners',
    async () => {
      const sd = await signedHello();
      const sdNode = derRead(parseContentInfo(sd).content, 0);
      const kids = derChildren(sdNode).map((k) => k.buf.subarray(k.start, k.end));
      const signerSet = derChildren(sdNode).at(-1)!;
      const si = derChildren(signerSet)[0]!;
      const siKids = derChildren(si).map((k) => k.buf.subarray(k.start, k.end));
      const siDer = si.buf.subarray(si.start, si.end);
      const counter = (n: number) =>
        seq(
          ...siKids,
          tlv(0xa1, seq(encodeOid(ATTRIBUTE.countersignature), set(...Array.from({ length: n }, () => siDer)))),
        );
      const withCounters = (n: number) =>
        encodeContentInfo(CONTENT_TYPE.signedData, seq(...kids.slice(0, -1), set(counter(n))));
      expect(parseSignedData(withCounters(15)).signerInfos[0]!.unsignedAttributes![0]!.values).toHaveLength(15);
      expect(await limitOf(() => parseSignedData(withCounters(16)))).toEqual(['limit-exceeded', 'maxSigners', 16]);
    },
  );

  limit(
    'certificates',
    'more than maxCertificates (256) certificates and CRLs is limit-exceeded { maxCertificates }',
    async () => {
      expect(DEFAULT_CMS_LIMITS.maxCertificates).toBe(256);
      const signer = { ...(await rsaSigner()), includeCertificates: 'signer' as const };
      const extra = distinctCopies(cert('intermediate.pem'), 256);
      const sd = await createSignedData(new TextEncoder().encode('hello'), { signers: [signer], certificates: extra });
      expect(await limitOf(() => parseSignedData(sd))).toEqual(['limit-exceeded', 'maxCertificates', 256]);
      expect(parseSignedData(sd, { maxCertificates: 257 }).certificates).toHaveLength(257);
      // Certificates and CRLs count together.
      const small = await createSignedData(new TextEncoder().encode('hello'), { signers: [signer] });
      const node = derRead(parseContentInfo(small).content, 0);
      const kids = derChildren(node).map((k) => k.buf.subarray(k.start, k.end));
      const crl = decodePem(readFileSync(chain('intermediate.crl.pem')))[0]!.der;
      const withCrl = encodeContentInfo(
        CONTENT_TYPE.signedData,
        seq(...kids.slice(0, -1), tlv(0xa1, crl), kids.at(-1)!),
      );
      expect(parseSignedData(withCrl, { maxCertificates: 2 }).crls).toHaveLength(1);
      expect(await limitOf(() => parseSignedData(withCrl, { maxCertificates: 1 }))).toEqual([
        'limit-exceeded',
        'maxCertificates',
        1,
      ]);
    },
  );

  limit(
    'recipients',
    'more than maxRecipients (10,000) RecipientInfos is limit-exceeded { maxRecipients }',
    async () => {
      expect(DEFAULT_CMS_LIMITS.maxRecipients).toBe(10_000);
      const env = await createEnvelope(new TextEncoder().encode('hi'), [
        { certificate: cert('ee-p256.pem') },
        { certificate: cert('ee-rsa.pem') },
      ]);
      const node = derRead(parseContentInfo(env.der).content, 0);
      const kids = derChildren(node);
      const ri = derChildren(kids[1]!)[0]!;
      const many = tlv(0x31, concatBytes(...Array.from({ length: 10_001 }, () => ri.buf.subarray(ri.start, ri.end))));
      const raw = kids.map((k) => k.buf.subarray(k.start, k.end));
      const hostile = encodeContentInfo(CONTENT_TYPE.envelopedData, seq(raw[0]!, many, ...raw.slice(2)));
      expect(await limitOf(() => parseEnvelope(hostile))).toEqual(['limit-exceeded', 'maxRecipients', 10_000]);
      // The facade passes `limits` on: two RecipientInfos with a limit of one.
      const mime = `Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(env.der).toString('base64')}\r\n`;
      const identity = {
        certificate: cert('ee-rsa.pem'),
        privateKey: await loadPrivateKey(readFileSync(chain('ee-rsa.key'))),
      };
      expect(await limitOf(() => decryptMessage(mime, { identity, limits: { maxRecipients: 1 } }))).toEqual([
        'limit-exceeded',
        'maxRecipients',
        1,
      ]);
      expect(await limitOf(() => readMessage(mime, { identities: [identity], limits: { maxRecipients: 1 } }))).toEqual([
        'limit-exceeded',
        'maxRecipients',
        1,
      ]);
      expect((await decryptMessage(mime, { identity })).content).toEqual(new TextEncoder().encode('hi'));
    },
  );

  limit(
    'recipients-tried',
    'with tryAllRecipients at most 64 RecipientInfos are tried, then decryption-failed',
    async () => {
      const other = cert('ee-p256-ecca.pem');
      const env = await createEnvelope(new TextEncoder().encode('hi'), [{ certificate: other }], {
        cipher: 'aes-256-gcm',
      });
      const node = derRead(parseContentInfo(env.der).content, 0);
      const kids = derChildren(node);
      const ri = derChildren(kids[1]!)[0]!;
      const many = tlv(0x31, concatBytes(...Array.from({ length: 100 }, () => ri.buf.subarray(ri.start, ri.end))));
      const raw = kids.map((k) => k.buf.subarray(k.start, k.end));
      const hostile = encodeContentInfo(CONTENT_TYPE.authEnvelopedData, seq(raw[0]!, many, ...raw.slice(2)));
      const mime = `Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(hostile).toString('base64')}\r\n`;
      const identity = {
        certificate: cert('ee-p256.pem'),
        privateKey: await loadPrivateKey(readFileSync(chain('ee-p256.key'))),
      };
      const counting = countingCrypto();
      setCryptoBackend(counting.crypto);
      expect((await errorOf(() => decryptMessage(mime, { identity, tryAllRecipients: true }))).code).toBe(
        'decryption-failed',
      );
      expect(counting.calls.deriveBits).toBe(64);
    },
  );

  limit('signer-candidates', 'at most 8 certificates carrying a SignerInfo’s identifier are tried', async () => {
    // 20 look-alikes (same issuer and serial, other keys) before the real certificate.
    const ca = await issue({ name: 'CN=Limits CA', key: 'p256', keySlot: 900, ca: true });
    const real = await issue({ name: 'CN=Signer', key: 'p256', keySlot: 901, issuer: ca, serial: '4242' });
    const fakes: Uint8Array[] = [];
    for (let i = 0; i < 20; i++)
      fakes.push(
        (await issue({ name: 'CN=Signer', key: 'p256', keySlot: 910 + (i % 2), issuer: ca, serial: '4242' })).der,
      );
    const pkcs8 = new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', real.keys.privateKey));
    const signer = {
      certificate: real.der,
      privateKey: pkcs8,
      includeCertificates: 'none' as const,
      signingCertificateV2: false,
    };
    const sign = (certificates: Uint8Array[]) =>
      createSignedData(new TextEncoder().encode('hello'), { signers: [signer], certificates });
    const counting = countingCrypto();
    setCryptoBackend(counting.crypto);
    const [tooFar] = await verifySignedData(parseSignedData(await sign([...fakes, real.der])));
    expect(counting.calls.verify).toBe(8);
    expect(tooFar!.signatureValid).toBe(false);
    expect(tooFar!.problems.map((p) => p.code)).toContain('bad-signature');
    const [found] = await verifySignedData(parseSignedData(await sign([...fakes.slice(0, 7), real.der])));
    expect(found!.signatureValid).toBe(true);
  });
});

describe('decompression', () => {
  const zeros = (mib: number) => compressedMessage(compressedDataOf(zlibBomb(mib)));

  limit(
    'decompressed-layer',
    'a layer past maxDecompressedSize (256 MiB) is limit-exceeded { maxDecompressedSize }',
    async () => {
      expect(DEFAULT_MAX_DECOMPRESSED).toBe(256 * MiB);
      const bomb = compressedDataOf(zlibBomb(3));
      expect(await limitOf(() => decompressCompressed(bomb, { maxSize: 2 * MiB, maxRatio: Infinity }))).toEqual([
        'limit-exceeded',
        'maxDecompressedSize',
        2 * MiB,
      ]);
      expect(
        await limitOf(() =>
          readMessage(zeros(3), { maxDecompressedSize: 2 * MiB, limits: { maxCompressionRatio: Infinity } }),
        ),
      ).toEqual(['limit-exceeded', 'maxDecompressedSize', 2 * MiB]);
    },
  );

  limit(
    'decompressed-total',
    'all layers past maxDecompressedTotal (64 MiB) is limit-exceeded { maxDecompressedTotal }',
    async () => {
      expect(DEFAULT_CMS_LIMITS.maxDecompressedTotal).toBe(64 * MiB);
      // The issue's bomb with the ratio check off: the total stops it after 64 MiB.
      const started = Date.now();
      expect(await limitOf(() => readMessage(zeros(200), { limits: { maxCompressionRatio: Infinity } }))).toEqual([
        'limit-exceeded',
        'maxDecompressedTotal',
        64 * MiB,
      ]);
      expect(Date.now() - started).toBeLessThan(10_000);
      // Two layers of 600 KB each: each within every per-layer bound, together over a total of 1 MB.
      const text = (n: number) => `Content-Type: text/plain\r\nX-Fill: ${'x'.repeat(n)}\r\n\r\nhi\r\n`;
      const inner = compressedMessage(await createCompressed(new TextEncoder().encode(text(600_000))));
      const padded = concatBytes(new TextEncoder().encode(`X-Fill: ${'y'.repeat(600_000)}\r\n`), inner);
      const outer = compressedMessage(await createCompressed(padded));
      expect((await readMessage(outer, { limits: { maxDecompressedTotal: 1_300_000 } })).layers).toHaveLength(2);
      expect(await limitOf(() => readMessage(outer, { limits: { maxDecompressedTotal: 1_000_000 } }))).toEqual([
        'limit-exceeded',
        'maxDecompressedTotal',
        1_000_000,
      ]);
    },
  );

  limit(
    'compression-ratio',
    'the issue’s 279 KB → 200 MiB message: limit-exceeded { maxCompressionRatio: 100 } at once',
    async () => {
      expect(DEFAULT_CMS_LIMITS.maxCompressionRatio).toBe(100);
      const bomb = zeros(200);
      expect(bomb.length).toBeLessThan(300_000);
      const started = Date.now();
      expect(await limitOf(() => readMessage(bomb, {}))).toEqual(['limit-exceeded', 'maxCompressionRatio', 100]);
      // Loose: about 0.2 s where it took 9-12 s; the bound only guards against a return to inflating everything.
      expect(Date.now() - started).toBeLessThan(5_000);
      // Output up to 1 MiB is never judged by its ratio; past it, the caller's ratio applies.
      expect((await readMessage(zeros(1), {})).content.length).toBe(MiB);
      expect((await readMessage(zeros(2), { limits: { maxCompressionRatio: Infinity } })).content.length).toBe(2 * MiB);
      expect(await limitOf(() => decompressCompressed(compressedDataOf(zlibBomb(2)), { maxRatio: 10 }))).toEqual([
        'limit-exceeded',
        'maxCompressionRatio',
        10,
      ]);
    },
  );
});

describe('ASN.1, keys and password-based encryption', () => {
  limit('asn1-depth', 'BER indefinite lengths nested deeper than 64 are limit-exceeded { asn1-depth }', async () => {
    // Definite lengths are read lazily (no recursion); an indefinite length must be read through to find its end.
    const nest = (n: number) => {
      let ber: Uint8Array = Uint8Array.of(0x05, 0x00);
      for (let i = 0; i < n; i++) ber = concatBytes(Uint8Array.of(0x30, 0x80), ber, Uint8Array.of(0, 0));
      return ber;
    };
    expect(derParse(nest(64)).indefinite).toBe(true);
    expect(await limitOf(() => derParse(nest(65)))).toEqual(['limit-exceeded', 'asn1-depth', 64]);
    // Inside a message: a SignedData whose BER nests too deep is refused with the same code, not malformed-cms.
    const ci = concatBytes(
      Uint8Array.of(0x30, 0x80),
      encodeOid(CONTENT_TYPE.signedData),
      Uint8Array.of(0xa0, 0x80),
      nest(70),
      Uint8Array.of(0, 0, 0, 0),
    );
    expect(await limitOf(() => parseSignedData(ci))).toEqual(['limit-exceeded', 'asn1-depth', 64]);
  });

  limit('rsa-min', 'an RSA key under 2048 bits is weak-algorithm unless minRsaBits or allowWeak', async () => {
    const weak = cert('bad-weak-rsa1024.pem');
    const options = { trust: trust(), intermediates: [cert('intermediate.pem')], at: AT };
    const report = await validateCertificate(weak, options);
    expect(report.problems.map((p) => p.code)).toContain('weak-algorithm');
    const relaxed = await validateCertificate(weak, { ...options, minRsaBits: 1024 });
    expect(relaxed.problems.map((p) => p.code)).not.toContain('weak-algorithm');
  });

  limit('dsa-size', 'DSA parameters over 3072/256 bits are unsupported-algorithm before any arithmetic', async () => {
    const big = (bits: number) => encodeInt((1n << BigInt(bits - 1)) + 1n);
    const spki = (pBits: number, qBits: number) =>
      seq(algorithmId(OID.dsa, seq(big(pBits), big(qBits), encodeInt(2n))), tlv(0x03, Uint8Array.of(0), big(pBits)));
    const input = (p: number, q: number) => ({
      algorithm: parseAlgorithmIdentifier(algorithmId('2.16.840.1.101.3.4.3.2')),
      signature: seq(encodeInt(1n), encodeInt(1n)),
      data: new Uint8Array(1),
      publicKey: spki(p, q),
    });
    expect((await errorOf(() => verifySignature(input(3073, 256)))).code).toBe('unsupported-algorithm');
    expect((await errorOf(() => verifySignature(input(2048, 257)))).code).toBe('unsupported-algorithm');
  });

  limit(
    'pbkdf2-iterations',
    'PBKDF2 over 10,000,000 iterations is unsupported-algorithm without deriving',
    async () => {
      const pbes2 = (iterations: number) =>
        derParse(
          seq(
            encodeOid(OID.pbes2),
            seq(
              seq(encodeOid(OID.pbkdf2), seq(octets(new Uint8Array(8)), encodeInt(iterations))),
              seq(encodeOid(OID.aes256Cbc), octets(new Uint8Array(16))),
            ),
          ),
        );
      expect(MAX_PBKDF2_ITERATIONS).toBe(10_000_000);
      const started = Date.now();
      expect((await errorOf(() => pbeDecrypt(pbes2(10_000_001), new Uint8Array(16), pbePassword('pw')))).code).toBe(
        'unsupported-algorithm',
      );
      expect(Date.now() - started).toBeLessThan(1_000);
    },
  );

  limit('pkcs12-nesting', 'PKCS#12 SafeContents nested deeper than 8 is bad-pkcs12', async () => {
    const ctx0 = (v: Uint8Array) => tlv(0xa0, v);
    const nested = (depth: number) => {
      let contents = seq();
      for (let i = 0; i < depth; i++) contents = seq(seq(encodeOid('1.2.840.113549.1.12.10.1.6'), ctx0(contents)));
      return contents;
    };
    const pfx = (depth: number) => {
      const authSafe = seq(seq(encodeOid('1.2.840.113549.1.7.1'), ctx0(octets(nested(depth)))));
      return seq(encodeInt(3), seq(encodeOid('1.2.840.113549.1.7.1'), ctx0(octets(authSafe))));
    };
    expect((await parsePkcs12(pfx(8), 'pw', { allowMissingMac: true })).keys).toEqual([]);
    expect((await errorOf(() => parsePkcs12(pfx(9), 'pw', { allowMissingMac: true }))).code).toBe('bad-pkcs12');
  });
});

describe('path building and certificate policies', () => {
  const options = () => ({
    trust: trust(),
    intermediates: [cert('intermediate.pem')],
    at: AT,
    purpose: 'any' as const,
  });
  const ee = () => cert('ee-rsa.pem');

  limit(
    'path-depth',
    'a path longer than limits.maxDepth (12) is not found: untrusted-root, "stopped at its … limit"',
    async () => {
      expect((await validateCertificate(ee(), { ...options(), limits: { maxDepth: 3 } })).valid).toBe(true);
      const r = await validateCertificate(ee(), { ...options(), limits: { maxDepth: 2 } });
      expect(r.problems.map((p) => p.code)).toEqual(['untrusted-root']);
      expect(r.problems[0]!.message).toMatch(/stopped at its depth\/work limit/);
    },
  );

  limit(
    'path-work',
    'more issuer candidates than limits.maxWork (500): untrusted-root, "stopped at its … limit"',
    async () => {
      const r = await validateCertificate(ee(), { ...options(), limits: { maxWork: 1 } });
      expect(r.problems.map((p) => p.code)).toEqual(['untrusted-root']);
      expect(r.problems[0]!.message).toMatch(/stopped at its depth\/work limit/);
      expect((await validateCertificate(ee(), { ...options(), limits: { maxWork: 2 } })).valid).toBe(true);
    },
  );

  limit(
    'path-count',
    'only limits.maxPaths (16) complete paths are validated: the best failing one is reported',
    async () => {
      const root = await issue({ name: 'CN=Paths Root', key: 'p256', keySlot: 920, ca: true });
      // The same CA key certified twice: expired, then current. Ranking tries both; with maxPaths 1 only one.
      const expired = await issue({
        name: 'CN=Paths CA',
        key: 'p256',
        keySlot: 921,
        issuer: root,
        ca: true,
        notAfter: new Date(NOW.getTime() - 86_400_000),
      });
      const current = await issue({ name: 'CN=Paths CA', key: 'p256', keySlot: 921, issuer: root, ca: true });
      const leaf = await issue({ name: 'CN=Paths User', key: 'p256', keySlot: 922, issuer: current });
      const base = { trust: TrustList.fromCertificates([root.der]), at: NOW, purpose: 'any' as const };
      for (const intermediates of [
        [expired.der, current.der],
        [current.der, expired.der],
      ]) {
        const all = await validateCertificate(leaf.der, { ...base, intermediates });
        expect(all.valid).toBe(true);
        const one = await validateCertificate(leaf.der, { ...base, intermediates, limits: { maxPaths: 1 } });
        if (!one.valid) {
          expect(one.problems.map((p) => p.code)).toContain('expired');
          return;
        }
      }
      throw new Error('maxPaths 1 never stopped before the valid path: the test needs another pool');
    },
  );

  limit('policy-tree', 'a policy tree over 2,000 nodes fails the path with policy, not a blow-up', async () => {
    const oidDer = (oid: string) => encodeOid(oid);
    const policies = (prefix: string, n: number) =>
      seq(...Array.from({ length: n }, (_, i) => seq(oidDer(`${prefix}.${i + 1}`))));
    // CA1 asserts P1..P50 and maps every Pi to every Qj; the leaf asserts Q1..Q50: 50 × 50 nodes at its level.
    const n = 50;
    const mappings = seq(
      ...Array.from({ length: n * n }, (_, k) =>
        seq(oidDer(`1.3.6.1.4.1.55555.1.${Math.floor(k / n) + 1}`), oidDer(`1.3.6.1.4.1.55555.2.${(k % n) + 1}`)),
      ),
    );
    const ext = (oid: string, critical: boolean, value: Uint8Array) =>
      new x509.Extension(oid, critical, value as Uint8Array<ArrayBuffer>);
    const root = await issue({ name: 'CN=Policy Root', key: 'p256', keySlot: 930, ca: true });
    const ca = await issue({
      name: 'CN=Policy CA',
      key: 'p256',
      keySlot: 931,
      issuer: root,
      ca: true,
      extensions: [ext('2.5.29.32', false, policies('1.3.6.1.4.1.55555.1', n)), ext('2.5.29.33', true, mappings)],
    });
    const leaf = await issue({
      name: 'CN=Policy User',
      key: 'p256',
      keySlot: 932,
      issuer: ca,
      extensions: [ext('2.5.29.32', false, policies('1.3.6.1.4.1.55555.2', n))],
    });
    const started = Date.now();
    const r = await validateCertificate(leaf.der, {
      trust: TrustList.fromCertificates([root.der]),
      intermediates: [ca.der],
      at: NOW,
      purpose: 'any',
    });
    expect(r.problems.map((p) => p.code)).toContain('policy');
    expect(r.problems.find((p) => p.code === 'policy')!.message).toMatch(/2000 policy tree nodes/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('address books', () => {
  limit(
    'ldif',
    'each LDIF bound (maxBytes, maxLineLength, maxRecords, maxValuesPerRecord) is limit-exceeded with its name',
    async () => {
      expect(DEFAULT_LDIF_LIMITS).toEqual({
        maxBytes: 128 * MiB,
        maxRecords: 500_000,
        maxValuesPerRecord: 100_000,
        maxLineLength: 4 * MiB,
      });
      const ldif = 'dn: cn=a\ncn: a\nmail: a@x.test\nmail: b@x.test\n\ndn: cn=b\ncn: b\n';
      expect(parseLdif(ldif)).toHaveLength(2);
      for (const [options, name, value] of [
        [{ maxBytes: 20 }, 'maxBytes', 20],
        [{ maxLineLength: 10 }, 'maxLineLength', 10],
        [{ maxRecords: 1 }, 'maxRecords', 1],
        [{ maxValuesPerRecord: 2 }, 'maxValuesPerRecord', 2],
      ] as const)
        expect(await limitOf(() => parseLdif(ldif, options)), name).toEqual(['limit-exceeded', name, value]);
    },
  );

  limit('address-length', 'an address over 1,024 characters is bad-address', async () => {
    const book = new MemoryDirectory();
    expect(await book.lookup(`${'a'.repeat(1011)}@example.test`)).toEqual([]);
    expect((await errorOf(() => book.lookup(`${'a'.repeat(1012)}@example.test`))).code).toBe('bad-address');
  });
});

describe('SST', () => {
  limit('sst-file', 'a store over maxFileSize (64 MiB) is sst-limit-exceeded { maxFileSize }', async () => {
    expect(DEFAULT_SST_LIMITS.maxFileSize).toBe(64 * MiB);
    expect(await limitOf(() => parseSst(sstOfTinyElements(10), { maxFileSize: 100 }))).toEqual([
      'sst-limit-exceeded',
      'maxFileSize',
      100,
    ]);
  });

  limit('sst-element', 'an element over maxElementSize (16 MiB) is sst-limit-exceeded { maxElementSize }', async () => {
    expect(DEFAULT_SST_LIMITS.maxElementSize).toBe(16 * MiB);
    expect(await limitOf(() => parseSst(sstOfTinyElements(1), { maxElementSize: 1 }))).toEqual([
      'sst-limit-exceeded',
      'maxElementSize',
      1,
    ]);
  });

  limit(
    'sst-elements',
    'the issue’s 2.8 MB store of 199,000 elements is sst-limit-exceeded { maxElements: 20,000 }',
    async () => {
      expect(DEFAULT_SST_LIMITS.maxElements).toBe(20_000);
      const hostile = sstOfTinyElements(199_000);
      expect(hostile.length).toBeGreaterThan(2_700_000);
      expect(await limitOf(() => parseSst(hostile))).toEqual(['sst-limit-exceeded', 'maxElements', 20_000]);
      // 19,999 entries and the end marker are exactly the limit.
      expect(parseSst(sstOfTinyElements(19_999)).certificates).toHaveLength(19_999);
      expect(await limitOf(() => parseSst(sstOfTinyElements(20_000)))).toEqual([
        'sst-limit-exceeded',
        'maxElements',
        20_000,
      ]);
      expect(parseSst(hostile, { maxElements: 200_000 }).certificates).toHaveLength(199_000);
    },
  );
});

describeVectors('SST limits against real stores', () => {
  it('the largest real store of the shared vectors is far below maxElements', () => {
    const store = parseSst(readShared('sst', 'certutil-generateSSTFromWU-root.sst'));
    const elements = [...store.certificates, ...store.crls, ...store.ctls].reduce(
      (n, e) => n + e.properties.length + 1,
      1,
    );
    expect(elements).toBe(4_390);
    expect(elements * 4).toBeLessThan(DEFAULT_SST_LIMITS.maxElements);
  });
});

it('docs/security.md: every row of the limits table is crossed by a test here or in ELSEWHERE', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'security.md'), 'utf8');
  const section = (doc.split('\n## Limits\n')[1] ?? '').split(/\n#{2,3} /)[0]!;
  const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` +\|/gm)].map((m) => m[1]!);
  expect(rows.length).toBeGreaterThan(20);
  expect(new Set(rows).size, 'row ids are unique').toBe(rows.length);
  expect([...rows].sort()).toEqual([...new Set([...covered, ...Object.keys(ELSEWHERE)])].sort());
  for (const [id, [file, title]] of Object.entries(ELSEWHERE))
    expect(readFileSync(join(repoRoot, file), 'utf8').includes(title), `${id}: ${file} › ${title}`).toBe(true);
});
