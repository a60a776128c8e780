/**
 * OCSP inside validation, against real `openssl ocsp` responders reached through the URL in each certificate's
 * authorityInfoAccess: good, revoked (delegated responder), unknown then the CRL distribution point, an
 * unauthorised responder, a stale answer, a hanging responder, and the cache.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRevocationCache } from '../../../src/trust/online/cache.js';
import type { RevocationOptions } from '../../../src/trust/options.js';
import { TrustList } from '../../../src/trust/trust-list.js';
import { validateCertificate } from '../../../src/trust/validate.js';
import type { Certificate } from '../../../src/x509/index.js';
import { parseCertificate } from '../../../src/x509/index.js';
import { issueUser, type TestCa } from '../../helpers/pki.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http-server.js';
import {
  makeOcspPki,
  startOcspResponder,
  type OcspPki,
  type OcspResponder,
  type ResponderSigner,
} from '../../helpers/ocsp-responder.js';

let pki: OcspPki;
let http: TestHttpServer;
let trust: TrustList;
const responders = new Map<string, OcspResponder>();
/** Which responder the proxy at /ocsp forwards to. */
let target: OcspResponder | undefined;
const leaves: Record<string, Certificate> = {};

/** YYMMDDHHMMSSZ and the serial as OpenSSL's CA index holds them. */
const dbTime = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
const dbSerial = (c: Certificate) => {
  const hex = c.serialNumber.toString(16).toUpperCase();
  return hex.length % 2 ? `0${hex}` : hex;
};

async function responder(signer: ResponderSigner, options: { ndays?: number } = {}): Promise<OcspResponder> {
  const key = `${signer}/${options.ndays ?? ''}`;
  let r = responders.get(key);
  if (!r) {
    r = await startOcspResponder(pki, { signer, ...options });
    responders.set(key, r);
  }
  return r;
}

const online = (extra: Partial<RevocationOptions> = {}): RevocationOptions => ({
  online: true,
  timeoutMs: 5000,
  cache: new MemoryRevocationCache(),
  ...extra,
});

beforeAll(async () => {
  pki = await makeOcspPki();
  http = await startHttpServer();
  // The certificates name one URL; the proxy forwards each request to the responder a test picked.
  http.routes.set('/ocsp', (req, body, res) => {
    if (!target) return void res.writeHead(503).end();
    void fetch(target.url, {
      method: 'POST',
      body: body as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': req.headers['content-type'] ?? '' },
    })
      .then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
        res.end(new Uint8Array(await answer.arrayBuffer()));
      })
      .catch(() => res.destroy());
  });
  const ca: TestCa = {
    name: 'OCSP Test CA',
    certFile: pki.ca.certFile,
    keyFile: pki.ca.keyFile,
    certificate: pki.ca.certificate.der,
    certPem: readFileSync(pki.ca.certFile, 'utf8'),
    chain: [pki.ca.certificate.der],
  };
  const aia = `authorityInfoAccess = OCSP;URI:${http.origin}/ocsp`;
  for (const name of ['good', 'revoked', 'unknown']) {
    const u = await issueUser(pki.dir, {
      name: `aia-${name}`,
      email: `${name}@example.test`,
      keyType: 'p256',
      issuer: ca,
      extensions: [aia, `crlDistributionPoints = URI:${http.origin}/${name}.crl`],
    });
    leaves[name] = parseCertificate(u.certificate);
  }
  const line = (state: string, c: Certificate, revocation: string) =>
    [state, dbTime(c.notAfter), revocation, dbSerial(c), 'unknown', `/CN=${c.subject.text}`].join('\t');
  appendFileSync(
    pki.indexFile,
    `${line('V', leaves.good!, '')}\n${line('R', leaves.revoked!, `${dbTime(pki.revokedAt)},keyCompromise`)}\n`,
  );
  trust = TrustList.fromCertificates([pki.ca.certificate.der]);
}, 60_000);

afterAll(async () => {
  for (const r of responders.values()) await r.stop();
  await http?.close();
});

describe('OCSP during validation', () => {
  it('good from the CA-signed responder, then from the cache', async () => {
    target = await responder('ca', { ndays: 1 });
    const cache = new MemoryRevocationCache();
    const report = await validateCertificate(leaves.good!, { trust, purpose: 'any', revocation: online({ cache }) });
    expect(report.valid).toBe(true);
    expect(report.warnings).toEqual([]);
    expect(report.revocation[0]).toMatchObject({
      status: 'good',
      source: 'ocsp',
      ocsp: { url: `${http.origin}/ocsp`, responder: 'issuer', cached: false },
    });
    expect(report.revocation[0]!.ocsp!.nextUpdate!.getTime()).toBeGreaterThan(Date.now());
    const hits = http.hits.get('/ocsp');
    const again = await validateCertificate(leaves.good!, { trust, purpose: 'any', revocation: online({ cache }) });
    expect(again.revocation[0]).toMatchObject({ status: 'good', source: 'ocsp', ocsp: { cached: true } });
    expect(http.hits.get('/ocsp')).toBe(hits);
  });

  it('revoked, from a delegated responder, with reason and date', async () => {
    target = await responder('delegated');
    const report = await validateCertificate(leaves.revoked!, { trust, purpose: 'any', revocation: online() });
    expect(report.problems.map((p) => p.code)).toEqual(['revoked']);
    expect(report.revocation[0]).toMatchObject({
      status: 'revoked',
      source: 'ocsp',
      reason: 1,
      revocationDate: pki.revokedAt,
      ocsp: { responder: 'delegated' },
    });
  });

  it('a responder that does not know the certificate: the CRL distribution point answers', async () => {
    target = await responder('ca');
    http.routes.set('/unknown.crl', { body: new Uint8Array(0), status: 404 });
    const report = await validateCertificate(leaves.unknown!, { trust, purpose: 'any', revocation: online() });
    expect(report.revocation[0]!.status).toBe('unknown');
    expect(report.revocation[0]!.attempts!.map((a) => [a.kind, a.code])).toEqual([
      ['ocsp', 'revocation-unknown'],
      ['crl', 'fetch-failed'],
    ]);
    const require = await validateCertificate(leaves.unknown!, {
      trust,
      purpose: 'any',
      revocation: online({ mode: 'require' }),
    });
    expect(require.problems.map((p) => p.code)).toEqual(['revocation-unknown']);
  });

  it.each([
    ['foreign', 'ocsp-unauthorized-responder'],
    ['no-eku', 'ocsp-unauthorized-responder'],
  ] as const)('a responder signing as %s is not believed: %s', async (signer, code) => {
    target = await responder(signer);
    http.routes.set('/revoked.crl', { body: new Uint8Array(0), status: 404 });
    const report = await validateCertificate(leaves.revoked!, { trust, purpose: 'any', revocation: online() });
    expect(report.revocation[0]!.status).toBe('unknown');
    expect(report.revocation[0]!.attempts![0]).toMatchObject({ kind: 'ocsp', code });
  });

  it('a stale answer is not used (the clock two days after a one-day nextUpdate)', async () => {
    target = await responder('ca', { ndays: 1 });
    http.routes.set('/good.crl', { body: new Uint8Array(0), status: 404 });
    const later = () => new Date(Date.now() + 2 * 86_400_000);
    const report = await validateCertificate(leaves.good!, {
      trust,
      purpose: 'any',
      revocation: online({ now: later }),
    });
    expect(report.revocation[0]!.attempts![0]).toMatchObject({ kind: 'ocsp', code: 'ocsp-stale' });
  });

  it('a responder that hangs: fetch-timeout within the time limit', async () => {
    const hung = await responder('delegated-plain');
    target = hung;
    hung.pause();
    try {
      const started = Date.now();
      const report = await validateCertificate(leaves.good!, {
        trust,
        purpose: 'any',
        revocation: online({ timeoutMs: 1000 }),
      });
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(report.revocation[0]!.attempts![0]).toMatchObject({ kind: 'ocsp', code: 'fetch-timeout' });
    } finally {
      hung.resume();
    }
  });
});
