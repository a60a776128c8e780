/**
 * The OCSP client against real `openssl ocsp` responders on the loopback interface: good, revoked and unknown
 * answers signed by the CA and by delegated responders (byName and byKey), POST and GET, SHA-1 and SHA-256 CertIDs,
 * responders that must not be believed, stale answers, nonces, weak signatures, and the transport failures
 * (timeout, refused connection, error status, wrong content type, size limit).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlgorithmError,
  CryptoError,
  LimitError,
  NetworkError,
  RevocationError,
  SmimeError,
} from '../../../src/errors.js';
import { download } from '../../../src/trust/online/http.js';
import { queryOcsp, type OcspAnswer } from '../../../src/trust/online/ocsp.js';
import { createOcspRequest } from '../../../src/trust/online/ocsp-request.js';
import { parseOcspResponse } from '../../../src/trust/online/ocsp-response.js';
import { verifyOcspResponse } from '../../../src/trust/online/ocsp-verify.js';
import {
  freePort,
  makeOcspPki,
  startOcspResponder,
  type OcspPki,
  type OcspResponder,
  type ResponderOptions,
} from '../../helpers/ocsp-responder.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http-server.js';

const DAY = 24 * 3_600_000;
let pki: OcspPki;
const responders: OcspResponder[] = [];
let ca: OcspResponder; // CA-signed, nextUpdate +1 day
let delegated: OcspResponder; // delegated (nocheck), nextUpdate +1 day
let caByKey: OcspResponder; // CA-signed, responderID byKey, no nextUpdate
let delegatedByKey: OcspResponder; // delegated, byKey, nextUpdate +1 day
let http: TestHttpServer;

async function start(options: ResponderOptions): Promise<OcspResponder> {
  const r = await startOcspResponder(pki, options);
  responders.push(r);
  return r;
}

beforeAll(async () => {
  pki = await makeOcspPki();
  [ca, delegated, caByKey, delegatedByKey] = await Promise.all([
    start({ signer: 'ca', ndays: 1 }),
    start({ signer: 'delegated', ndays: 1 }),
    start({ signer: 'ca', respKeyId: true }),
    start({ signer: 'delegated', respKeyId: true, ndays: 1 }),
  ]);
  http = await startHttpServer();
});

afterAll(async () => {
  await Promise.all(responders.map((r) => r.stop()));
  await http?.close();
});

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<SmimeError> {
  const e: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  if (!(e instanceof SmimeError)) throw e;
  return e;
}

const ask = (url: string, leaf = pki.good, options = {}): Promise<OcspAnswer> =>
  queryOcsp(url, leaf.certificate, pki.ca.certificate, options);

describe('answers', () => {
  it('good, signed by the CA itself (POST)', async () => {
    const before = Date.now();
    const answer = await ask(ca.url);
    expect(answer.status).toBe('good');
    expect(answer.responder).toBe('issuer');
    expect(answer.responderSubject).toBe(pki.ca.certificate.subject.text);
    expect(answer.url).toBe(ca.url);
    expect(Math.abs(answer.thisUpdate.getTime() - before)).toBeLessThan(60_000);
    // OpenSSL reads the clock once for thisUpdate and again for nextUpdate (-ndays 1): a second may tick between.
    expect([DAY, DAY + 1000]).toContain(answer.nextUpdate!.getTime() - answer.thisUpdate.getTime());
    expect(answer.producedAt.getTime()).toBeGreaterThanOrEqual(answer.thisUpdate.getTime() - 1000);
    expect(answer.revocationTime).toBeUndefined();
    expect(answer.message).toMatch(/^OCSP: good according to .*OCSP Test CA.*\(the issuer\)/);
    expect(parseOcspResponse(answer.responseDer).basic!.responses[0]!.certId.serialNumber).toBe(
      pki.good.certificate.serialNumber,
    );
  });

  it('good, signed by a delegated responder with id-pkix-ocsp-nocheck', async () => {
    const answer = await ask(delegated.url);
    expect(answer).toMatchObject({ status: 'good', responder: 'delegated' });
    expect(answer.responderSubject).toBe(pki.delegated.certificate.subject.text);
    expect(answer.message).not.toMatch(/nocheck/);
  });

  it('a delegated responder without nocheck works, and the message says its revocation is not checked', async () => {
    const plain = await start({ signer: 'delegated-plain', ndays: 1 });
    const answer = await ask(plain.url);
    expect(answer).toMatchObject({ status: 'good', responder: 'delegated' });
    expect(answer.message).toMatch(/no id-pkix-ocsp-nocheck: its own revocation is not checked/);
  });

  it('revoked, with the time and reason of the index', async () => {
    for (const url of [ca.url, delegated.url]) {
      const answer = await ask(url, pki.revoked);
      expect(answer.status).toBe('revoked');
      expect(answer.revocationTime).toEqual(pki.revokedAt);
      expect(answer.reason).toBe(1);
      expect(answer.message).toMatch(/revoked on 2026-01-01T12:00:00.000Z \(keyCompromise\)/);
    }
  });

  it('unknown for a certificate the responder does not know', async () => {
    const answer = await ask(ca.url, pki.unknown);
    expect(answer.status).toBe('unknown');
    expect(answer.reason).toBeUndefined();
  });

  it('GET (RFC 5019) for a short request, POST when the URL would pass 255 bytes', async () => {
    const sent: string[] = [];
    const recording = (url: string, init: RequestInit) => {
      sent.push(`${init.method} ${url}`);
      return fetch(url, init);
    };
    expect((await ask(ca.url, pki.revoked, { method: 'get', fetch: recording })).status).toBe('revoked');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/ME[A-Za-z0-9%]+$/);
    // With a SHA-256 CertID and a 32-byte nonce the URL still fits (249 bytes here); a longer path does not.
    const fits = await ask(ca.url, pki.good, { method: 'get', hash: 'sha256', nonce: true, fetch: recording });
    expect(fits.status).toBe('good');
    expect(sent[1]!.length - 'GET '.length).toBeLessThanOrEqual(255);
    expect(sent[1]).toMatch(/^GET /);
    const longUrl = `${ca.url}${'ocsp/'.repeat(5)}`;
    const long = await ask(longUrl, pki.good, { method: 'get', hash: 'sha256', nonce: true, fetch: recording });
    expect(long.status).toBe('good');
    expect(sent[2]).toBe(`POST ${longUrl}`);
  });

  it('SHA-256 CertIDs', async () => {
    const answer = await ask(delegated.url, pki.revoked, { hash: 'sha256' });
    expect(answer.status).toBe('revoked');
    const single = parseOcspResponse(answer.responseDer).basic!.responses[0]!;
    expect(single.certId.hashAlgorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(single.certId.issuerNameHash).toHaveLength(32);
  });

  it('responderID byKey, for the CA and for a delegated responder', async () => {
    const byCa = await ask(caByKey.url);
    expect(byCa).toMatchObject({ status: 'good', responder: 'issuer' });
    expect('byKey' in parseOcspResponse(byCa.responseDer).basic!.responderId).toBe(true);
    const byDelegated = await ask(delegatedByKey.url, pki.revoked);
    expect(byDelegated).toMatchObject({ status: 'revoked', responder: 'delegated' });
    expect('byKey' in parseOcspResponse(byDelegated.responseDer).basic!.responderId).toBe(true);
  });
});

describe('responders that must not be believed', () => {
  it('a certificate of the CA without id-kp-OCSPSigning', async () => {
    const r = await start({ signer: 'no-eku', ndays: 1 });
    const e = await failure(ask(r.url));
    expect(e).toBeInstanceOf(RevocationError);
    expect(e.code).toBe('ocsp-unauthorized-responder');
    expect(e.message).toMatch(/CN=Not A Responder,.* is not authorised for OCSP \(no id-kp-OCSPSigning\)/);
  });

  it('an OCSP signing certificate issued by another CA', async () => {
    const r = await start({ signer: 'foreign', ndays: 1 });
    const e = await failure(ask(r.url, pki.revoked));
    expect(e.code).toBe('ocsp-unauthorized-responder');
    expect(e.message).toMatch(/Foreign Responder,.* is issued by CN=Other CA,.*, not by CN=OCSP Test CA/);
  });

  it('a delegated responder that does not send its certificate', async () => {
    const r = await start({ signer: 'delegated', ndays: 1, noCerts: true });
    const e = await failure(ask(r.url));
    expect(e.code).toBe('ocsp-unauthorized-responder');
    expect(e.message).toMatch(/carries no certificate for it/);
  });

  it('a delegated responder outside its validity at `now`', async () => {
    const response = parseOcspResponse((await ask(delegated.url)).responseDer);
    const now = new Date('2046-01-01T00:00:00Z'); // the responder certificate ends in 2045
    const e = await failure(
      verifyOcspResponse(response, { certificate: pki.good.certificate, issuer: pki.ca.certificate, now }),
    );
    expect(e.code).toBe('ocsp-unauthorized-responder');
    expect(e.message).toMatch(/is not valid at 2046-01-01/);
  });

  it('a delegated certificate whose own signature does not verify with the CA key', async () => {
    const der = (await ask(delegated.url)).responseDer.slice();
    const certSignature = pki.delegated.certificate.signature;
    const at = Buffer.from(der).indexOf(Buffer.from(certSignature));
    expect(at).toBeGreaterThan(0);
    der[at + certSignature.length - 1]! ^= 0x01; // the response's own signature still verifies
    const e = await failure(
      verifyOcspResponse(parseOcspResponse(der), { certificate: pki.good.certificate, issuer: pki.ca.certificate }),
    );
    expect(e.code).toBe('ocsp-unauthorized-responder');
    expect(e.message).toMatch(/OCSP Responder,.* does not verify with the key of CN=OCSP Test CA/);
  });

  it('SHA-1 signed answers are refused unless allowWeak', async () => {
    const r = await start({ signer: 'ca', ndays: 1, digest: 'sha1' });
    const e = await failure(ask(r.url));
    expect(e).toBeInstanceOf(AlgorithmError);
    expect(e.code).toBe('weak-algorithm');
    expect(e.message).toMatch(/SHA-1/);
    expect((await ask(r.url, pki.good, { allowWeak: true })).status).toBe('good');
  });
});

describe('freshness', () => {
  it('stale once nextUpdate has passed; not yet valid before thisUpdate; clock skew allowed', async () => {
    const answer = await ask(ca.url);
    const response = parseOcspResponse(answer.responseDer);
    const check = (now: Date, extra = {}) =>
      verifyOcspResponse(response, { certificate: pki.good.certificate, issuer: pki.ca.certificate, now, ...extra });
    const later = await failure(check(new Date(answer.thisUpdate.getTime() + 3 * DAY)));
    expect(later).toBeInstanceOf(RevocationError);
    expect(later.code).toBe('ocsp-stale');
    expect(later.message).toMatch(/expired: nextUpdate/);
    const earlier = await failure(check(new Date(answer.thisUpdate.getTime() - 3_600_000)));
    expect(earlier.code).toBe('ocsp-stale');
    expect(earlier.message).toMatch(/not valid yet/);
    // Two minutes early is within the default five minutes of skew, not within none.
    const slow = new Date(answer.thisUpdate.getTime() - 120_000);
    expect((await check(slow)).status).toBe('good');
    expect((await failure(check(slow, { clockSkewMs: 0 }))).code).toBe('ocsp-stale');
    // Just before nextUpdate + skew it is still fresh.
    expect((await check(new Date(answer.nextUpdate!.getTime() + 60_000))).status).toBe('good');
  });

  it('without nextUpdate, maxAgeMs (default 7 days) decides', async () => {
    const answer = await ask(caByKey.url);
    expect(answer.nextUpdate).toBeUndefined();
    const response = parseOcspResponse(answer.responseDer);
    const at = (days: number, extra = {}) =>
      verifyOcspResponse(response, {
        certificate: pki.good.certificate,
        issuer: pki.ca.certificate,
        now: new Date(answer.thisUpdate.getTime() + days * DAY),
        ...extra,
      });
    expect((await at(6)).status).toBe('good');
    expect((await failure(at(8))).code).toBe('ocsp-stale');
    expect((await failure(at(1, { maxAgeMs: 3_600_000 }))).code).toBe('ocsp-stale');
  });
});

describe('nonces and certificates', () => {
  it('a nonce is sent and echoed', async () => {
    const answer = await ask(ca.url, pki.good, { nonce: true });
    expect(answer.status).toBe('good');
    expect(parseOcspResponse(answer.responseDer).basic!.nonce).toHaveLength(32);
  });

  it('another nonce, or none, in the response is ocsp-nonce-mismatch; a nonce nobody asked for is ignored', async () => {
    const mine = await createOcspRequest(pki.good.certificate, pki.ca.certificate, { nonce: true });
    const got = await download(ca.url, { method: 'POST', body: mine.der, contentType: 'application/ocsp-request' });
    const response = parseOcspResponse(got.bytes);
    const base = { certificate: pki.good.certificate, issuer: pki.ca.certificate };
    expect((await verifyOcspResponse(response, { ...base, request: mine })).status).toBe('good');
    const other = await createOcspRequest(pki.good.certificate, pki.ca.certificate, { nonce: new Uint8Array(32) });
    const e = await failure(verifyOcspResponse(response, { ...base, request: other }));
    expect(e).toBeInstanceOf(RevocationError);
    expect(e.code).toBe('ocsp-nonce-mismatch');
    const plain = await createOcspRequest(pki.good.certificate, pki.ca.certificate);
    expect((await verifyOcspResponse(response, { ...base, request: plain })).status).toBe('good');
    const withoutNonce = parseOcspResponse((await ask(ca.url)).responseDer);
    const missing = await failure(verifyOcspResponse(withoutNonce, { ...base, request: mine }));
    expect(missing.code).toBe('ocsp-nonce-mismatch');
    expect(missing.message).toMatch(/carries no nonce/);
  });

  it('a response about another certificate is ocsp-wrong-certificate', async () => {
    const response = parseOcspResponse((await ask(ca.url, pki.good)).responseDer);
    const e = await failure(
      verifyOcspResponse(response, { certificate: pki.revoked.certificate, issuer: pki.ca.certificate }),
    );
    expect(e).toBeInstanceOf(RevocationError);
    expect(e.code).toBe('ocsp-wrong-certificate');
    // The request given must be about the certificate checked.
    const request = await createOcspRequest(pki.revoked.certificate, pki.ca.certificate);
    const mixed = await failure(
      verifyOcspResponse(response, { certificate: pki.good.certificate, issuer: pki.ca.certificate, request }),
    );
    expect(mixed.code).toBe('ocsp-wrong-certificate');
  });

  it('a corrupted signature from the right key is bad-signature', async () => {
    const der = (await ask(delegated.url)).responseDer.slice();
    const basic = parseOcspResponse(der).basic!;
    der[basic.signature.byteOffset - der.byteOffset + basic.signature.length - 1]! ^= 0x01;
    const e = await failure(
      verifyOcspResponse(parseOcspResponse(der), { certificate: pki.good.certificate, issuer: pki.ca.certificate }),
    );
    expect(e).toBeInstanceOf(CryptoError);
    expect(e.code).toBe('bad-signature');
  });
});

describe('transport', () => {
  it('a responder that accepts the connection but never answers: fetch-timeout within timeoutMs', async () => {
    const hung = await start({ signer: 'ca', ndays: 1 });
    hung.pause();
    const began = Date.now();
    const e = await failure(ask(hung.url, pki.good, { timeoutMs: 1500 }));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.code).toBe('fetch-timeout');
    expect(Date.now() - began).toBeLessThan(3000);
    hung.resume();
  });

  it('a refused connection is fetch-failed', async () => {
    const e = await failure(ask(`http://127.0.0.1:${await freePort()}/`));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.code).toBe('fetch-failed');
  });

  it('an error status from the responder is ocsp-error-response with details.ocspStatus', async () => {
    // An OCSPRequest with an empty requestList: openssl answers malformedRequest (1).
    const emptyRequest = Uint8Array.of(0x30, 0x09, 0x30, 0x07, 0xa0, 0x03, 0x02, 0x01, 0x00, 0x30, 0x00);
    const r = await start({ signer: 'ca' });
    const e = await failure(
      ask(r.url, pki.good, { fetch: (url: string, init: RequestInit) => fetch(url, { ...init, body: emptyRequest }) }),
    );
    expect(e).toBeInstanceOf(RevocationError);
    expect(e.code).toBe('ocsp-error-response');
    expect(e.details.ocspStatus).toBe(1);
    expect(e.message).toMatch(/malformedRequest/);
  });

  it('garbage as the request: openssl answers HTTP 400, which is fetch-failed', async () => {
    const garbage = Uint8Array.of(0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x02, 0x01, 0x03);
    // A responder of its own: openssl sends a second response after the 400 on the same connection, after which
    // Node's fetch leaves an idle connection open that blocks this single-threaded responder for a while.
    const r = await start({ signer: 'ca' });
    const e = await failure(
      ask(r.url, pki.good, { fetch: (url: string, init: RequestInit) => fetch(url, { ...init, body: garbage }) }),
    );
    expect(e.code).toBe('fetch-failed');
    expect(e.details.httpStatus).toBe(400);
  });

  it('content type: text/html is refused, a missing one is accepted', async () => {
    const { responseDer } = await ask(ca.url);
    http.routes.set('/html', { body: responseDer, contentType: 'text/html' });
    http.routes.set('/bare', (_request, _body, response) => {
      response.removeHeader('content-type');
      response.writeHead(200).end(Buffer.from(responseDer));
    });
    const e = await failure(ask(`${http.origin}/html`));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.code).toBe('fetch-failed');
    expect(e.message).toMatch(/text\/html, not an OCSP response/);
    expect((await ask(`${http.origin}/bare`)).status).toBe('good');
  });

  it('an answer larger than maxBytes is limit-exceeded', async () => {
    const e = await failure(ask(ca.url, pki.good, { maxBytes: 100 }));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.code).toBe('limit-exceeded');
  });
});
