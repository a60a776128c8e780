/**
 * CRLs downloaded from CRL distribution points, against a real HTTP server on the loopback interface: fresh,
 * revoked, expired, wrong issuer, huge, missing, unreachable and hanging distribution points; the cache; caIssuers
 * downloads; and the proof that nothing is downloaded unless the caller turns the network on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRevocationCache } from '../../../src/trust/online/cache.js';
import { TrustList } from '../../../src/trust/trust-list.js';
import { validateCertificate } from '../../../src/trust/validate.js';
import { validationReportToJson } from '../../../src/trust/report.js';
import type { RevocationOptions } from '../../../src/trust/options.js';
import { decodePem } from '../../../src/util/pem.js';
import { issueUser, makeCa, type IssuedUser, type TestCa } from '../../helpers/pki.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http-server.js';
import { tempDir } from '../../helpers/temp.js';
import { makeCrl, openssl, revoke } from '../../helpers/crl-ca.js';

const der = (pemFile: string) => decodePem(readFileSync(pemFile))[0]!.der;

/** A CA under `parent`, made by hand (issueUser makes end-entities only). */
function makeSubCa(dir: string, parent: TestCa, name: string): TestCa {
  const stem = join(dir, `sub-${name}`);
  writeFileSync(
    `${stem}.ext`,
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n',
  );
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${stem}.key`]);
  openssl(['req', '-new', '-key', `${stem}.key`, '-subj', `/O=smimekit test/CN=${name}`, '-out', `${stem}.csr`]);
  openssl([
    'x509',
    '-req',
    '-in',
    `${stem}.csr`,
    '-CA',
    parent.certFile,
    '-CAkey',
    parent.keyFile,
    '-CAcreateserial',
    '-days',
    '3650',
    '-sha256',
    '-extfile',
    `${stem}.ext`,
    '-out',
    `${stem}.pem`,
  ]);
  const certPem = readFileSync(`${stem}.pem`, 'utf8');
  const certificate = der(`${stem}.pem`);
  return {
    name,
    certFile: `${stem}.pem`,
    keyFile: `${stem}.key`,
    certificate,
    certPem,
    chain: [certificate, ...parent.chain],
  };
}

let dir: string;
let http: TestHttpServer;
let ca: TestCa;
let trust: TrustList;
const users: Record<string, IssuedUser> = {};

async function user(name: string, path: string): Promise<IssuedUser> {
  return issueUser(dir, {
    name,
    email: `${name}@example.test`,
    keyType: 'p256',
    issuer: ca,
    extensions: [`crlDistributionPoints = URI:${http.origin}${path}`],
  });
}

const online = (extra: Partial<RevocationOptions> = {}): RevocationOptions => ({
  mode: 'prefer',
  online: true,
  timeoutMs: 5000,
  cache: new MemoryRevocationCache(),
  ...extra,
});

beforeAll(async () => {
  dir = tempDir('smimekit-crlfetch-');
  http = await startHttpServer();
  ca = makeCa(dir, 'Online CRL CA');
  trust = TrustList.fromCertificates([ca.certificate]);
  users.good = await user('good', '/ca.crl');
  users.revoked = await user('revoked', '/ca.crl');
  users.expired = await user('expired', '/expired.crl');
  users.wrongIssuer = await user('wrongissuer', '/other.crl');
  users.huge = await user('huge', '/huge.crl');
  users.missing = await user('missing', '/missing.crl');
  users.hang = await user('hang', '/hang.crl');
  users.unreachable = await issueUser(dir, {
    name: 'unreachable',
    email: 'unreachable@example.test',
    keyType: 'p256',
    issuer: ca,
    extensions: ['crlDistributionPoints = URI:http://127.0.0.1:1/ca.crl'],
  });
  users.twoPoints = await issueUser(dir, {
    name: 'twopoints',
    email: 'twopoints@example.test',
    keyType: 'p256',
    issuer: ca,
    extensions: [`crlDistributionPoints = URI:${http.origin}/missing.crl, URI:${http.origin}/ca.crl`],
  });
  users.none = await issueUser(dir, { name: 'none', email: 'none@example.test', keyType: 'p256', issuer: ca });
  revoke(dir, ca, users.revoked.certFile);
  http.routes.set('/ca.crl', { body: makeCrl(dir, ca) });
  http.routes.set('/expired.crl', {
    body: makeCrl(dir, ca, { last: '20250101000000Z', next: '20250108000000Z' }),
  });
  const otherDir = tempDir('smimekit-crlfetch-other-'); // same file names as `ca`: another folder
  const other = makeCa(otherDir, 'Online CRL CA');
  await issueUser(otherDir, { name: 'other-user', email: 'x@example.test', keyType: 'p256', issuer: other });
  http.routes.set('/other.crl', { body: makeCrl(otherDir, other) }); // same name, another key
  http.routes.set('/huge.crl', { body: new Uint8Array(11 * 1024 * 1024).fill(0x30) });
  http.routes.set('/hang.crl', { hang: true });
}, 60_000);

afterAll(async () => {
  await http?.close();
});

describe('CRL distribution points over HTTP', () => {
  it('downloads the CRL of a distribution point and reports where the status came from', async () => {
    const cache = new MemoryRevocationCache();
    const report = await validateCertificate(users.good!.certificate, {
      trust,
      purpose: 'any',
      revocation: online({ cache }),
    });
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.revocation).toHaveLength(1);
    const r = report.revocation[0]!;
    expect(r).toMatchObject({ index: 0, status: 'good', source: 'crl' });
    expect(r.crls).toHaveLength(1);
    expect(r.crls![0]).toMatchObject({
      origin: 'fetched',
      url: `${http.origin}/ca.crl`,
      issuer: expect.stringContaining('Online CRL CA'),
    });
    expect(r.crls![0]!.cached).toBeUndefined();
    const json = validationReportToJson(report) as { revocation: { crls: { thisUpdate: string }[] }[] };
    expect(json.revocation[0]!.crls[0]!.thisUpdate).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('uses the cached CRL until its nextUpdate instead of downloading it again', async () => {
    const cache = new MemoryRevocationCache();
    const before = http.hits.get('/ca.crl') ?? 0;
    await validateCertificate(users.good!.certificate, { trust, purpose: 'any', revocation: online({ cache }) });
    expect(http.hits.get('/ca.crl')).toBe(before + 1);
    const again = await validateCertificate(users.revoked!.certificate, {
      trust,
      purpose: 'any',
      revocation: online({ cache }),
    });
    expect(http.hits.get('/ca.crl')).toBe(before + 1);
    expect(again.revocation[0]).toMatchObject({ status: 'revoked', source: 'crl' });
    expect(again.revocation[0]!.crls![0]).toMatchObject({ origin: 'fetched', cached: true });
    // Past the CRL's nextUpdate the cache no longer answers.
    const later = new MemoryRevocationCache({ now: () => new Date(Date.now() + 8 * 86_400_000) });
    later.set('crl x', new Uint8Array([1]), new Date(Date.now() + 86_400_000));
    expect(later.get('crl x')).toBeUndefined();
  });

  it('finds a revoked certificate with its reason and date', async () => {
    const report = await validateCertificate(users.revoked!.certificate, {
      trust,
      purpose: 'any',
      revocation: online(),
    });
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => p.code)).toEqual(['revoked']);
    expect(report.revocation[0]).toMatchObject({ status: 'revoked', source: 'crl', reason: 1 });
    expect(report.revocation[0]!.revocationDate).toBeInstanceOf(Date);
  });

  it('does not use an expired CRL: unknown (a warning with prefer, a problem with require)', async () => {
    const prefer = await validateCertificate(users.expired!.certificate, {
      trust,
      purpose: 'any',
      revocation: online(),
    });
    expect(prefer.valid).toBe(true);
    expect(prefer.warnings.map((w) => w.code)).toEqual(['revocation-unknown']);
    expect(prefer.revocation[0]).toMatchObject({ status: 'unknown', source: 'none' });
    expect(prefer.revocation[0]!.message).toMatch(/not current/);
    const require = await validateCertificate(users.expired!.certificate, {
      trust,
      purpose: 'any',
      revocation: online({ mode: 'require' }),
    });
    expect(require.valid).toBe(false);
    expect(require.problems.map((p) => p.code)).toEqual(['revocation-unknown']);
  });

  it('does not use a CRL signed by another key of the same name', async () => {
    const report = await validateCertificate(users.wrongIssuer!.certificate, {
      trust,
      purpose: 'any',
      revocation: online(),
    });
    expect(report.revocation[0]).toMatchObject({ status: 'unknown', source: 'none' });
    expect(report.revocation[0]!.message).toMatch(/signature|verifies/i);
  });

  it('a CRL over maxCrlBytes is limit-exceeded and not read', async () => {
    const report = await validateCertificate(users.good!.certificate, {
      trust,
      purpose: 'any',
      revocation: online({ maxCrlBytes: 100 }),
    });
    expect(report.revocation[0]!.attempts).toEqual([
      expect.objectContaining({
        kind: 'crl',
        code: 'limit-exceeded',
        message: expect.stringContaining('larger than 100 bytes'),
      }),
    ]);
  });

  it.each([
    ['huge', 'limit-exceeded'],
    ['missing', 'fetch-failed'],
    ['unreachable', 'fetch-failed'],
    ['hang', 'fetch-timeout'],
  ])('a %s distribution point leaves the status unknown with the code %s', async (name, code) => {
    const started = Date.now();
    const report = await validateCertificate(users[name]!.certificate, {
      trust,
      purpose: 'any',
      revocation: online({ timeoutMs: 1000 }),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.valid).toBe(true);
    expect(report.warnings.map((w) => w.code)).toEqual(['revocation-unknown']);
    expect(report.revocation[0]!.status).toBe('unknown');
    expect(report.revocation[0]!.attempts).toEqual([
      expect.objectContaining({ kind: 'crl', code, url: expect.stringContaining('.crl') }),
    ]);
  });

  it('more downloads than maxDownloads: the rest is limit-exceeded, nothing fetched', async () => {
    const before = http.hits.get('/ca.crl') ?? 0;
    const report = await validateCertificate(users.twoPoints!.certificate, {
      trust,
      purpose: 'any',
      revocation: online({ maxDownloads: 1 }),
    });
    expect(report.revocation[0]!.attempts).toEqual([
      expect.objectContaining({ url: `${http.origin}/missing.crl`, code: 'fetch-failed' }),
      expect.objectContaining({ url: `${http.origin}/ca.crl`, code: 'limit-exceeded' }),
    ]);
    expect(http.hits.get('/ca.crl') ?? 0).toBe(before);
    const enough = await validateCertificate(users.twoPoints!.certificate, {
      trust,
      purpose: 'any',
      revocation: online(),
    });
    expect(enough.revocation[0]).toMatchObject({ status: 'good', source: 'crl' });
  });

  it('a distribution point that did not answer is not asked again within retryAfterMs', async () => {
    const cache = new MemoryRevocationCache();
    const options = { trust, purpose: 'any' as const, revocation: online({ cache, timeoutMs: 800 }) };
    await validateCertificate(users.hang!.certificate, options);
    const hits = http.hits.get('/hang.crl');
    const started = Date.now();
    const again = await validateCertificate(users.hang!.certificate, options);
    expect(Date.now() - started).toBeLessThan(500);
    expect(http.hits.get('/hang.crl')).toBe(hits);
    expect(again.revocation[0]!.attempts).toEqual([
      expect.objectContaining({
        kind: 'crl',
        code: 'fetch-timeout',
        message: expect.stringContaining('not asked again'),
      }),
    ]);
    // retryAfterMs: 0 asks every time.
    await validateCertificate(users.hang!.certificate, {
      ...options,
      revocation: online({ cache, timeoutMs: 300, retryAfterMs: 0 }),
    });
    expect(http.hits.get('/hang.crl')).toBe(hits! + 1);
  });

  it('says when a certificate names no online source', async () => {
    const report = await validateCertificate(users.none!.certificate, { trust, purpose: 'any', revocation: online() });
    expect(report.revocation[0]!.message).toMatch(/names no OCSP responder and no CRL distribution point/);
  });

  it('makes no request at all unless online is turned on', async () => {
    const calls: string[] = [];
    const spy = async (url: string): Promise<Response> => {
      calls.push(url);
      throw new Error('must not be called');
    };
    const before = http.total();
    for (const revocation of [
      'prefer',
      'require',
      { mode: 'prefer', fetch: spy },
      { online: false, fetch: spy },
    ] as const) {
      const report = await validateCertificate(users.good!.certificate, { trust, purpose: 'any', revocation });
      expect(report.revocation[0]).toMatchObject({ status: 'unknown', source: 'none' });
      expect(report.revocation[0]!.attempts).toBeUndefined();
    }
    expect(calls).toEqual([]);
    expect(http.total()).toBe(before);
    // The same calls with online on do reach the network through the caller's fetch.
    await validateCertificate(users.good!.certificate, { trust, purpose: 'any', revocation: online({ fetch: spy }) });
    expect(calls).toEqual([`${http.origin}/ca.crl`]);
  });

  it('with revocation off, nothing is checked and nothing downloaded', async () => {
    const before = http.total();
    const report = await validateCertificate(users.revoked!.certificate, {
      trust,
      purpose: 'any',
      revocation: { mode: 'off', online: true },
    });
    expect(report.valid).toBe(true);
    expect(report.revocation).toEqual([]);
    expect(http.total()).toBe(before);
  });
});

describe('caIssuers', () => {
  it('downloads a missing intermediate (DER and PKCS#7) only when online', async () => {
    const sub = makeSubCa(dir, ca, 'Online Sub CA');
    http.routes.set('/sub.cer', { body: sub.certificate, contentType: 'application/pkix-cert' });
    const p7c = join(dir, 'sub.p7c');
    openssl(['crl2pkcs7', '-nocrl', '-certfile', sub.certFile, '-outform', 'DER', '-out', p7c]);
    http.routes.set('/sub.p7c', { body: new Uint8Array(readFileSync(p7c)), contentType: 'application/pkcs7-mime' });
    for (const path of ['/sub.cer', '/sub.p7c']) {
      const leaf = await issueUser(dir, {
        name: `leaf${path.replace(/\W/g, '')}`,
        email: 'leaf@example.test',
        keyType: 'p256',
        issuer: sub,
        extensions: [`authorityInfoAccess = caIssuers;URI:${http.origin}${path}`],
      });
      const offline = await validateCertificate(leaf.certificate, { trust, purpose: 'any' });
      expect(offline.problems.map((p) => p.code)).toEqual(['untrusted-root']);
      const before = http.hits.get(path) ?? 0;
      const report = await validateCertificate(leaf.certificate, { trust, purpose: 'any', revocation: online() });
      expect(report.problems).toEqual([]);
      expect(report.path.map((p) => p.subject)).toEqual([
        expect.stringContaining('leaf'),
        expect.stringContaining('Online Sub CA'),
        expect.stringContaining('Online CRL CA'),
      ]);
      expect(http.hits.get(path)).toBe(before + 1);
    }
  });
});
