/**
 * OCSP requests and responses as bytes: our requests against OpenSSL's (byte for byte, and as `openssl ocsp
 * -req_text` reads them), our decoding against `openssl ocsp -resp_text`, a multi-certificate response, nonces in
 * both encodings, hand-built responses signed with the test CA's key (critical extensions, disagreeing answers,
 * SHA-384 CertIDs, UTCTime), error statuses, truncated and mutated input.
 */
import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NULL, algorithmId, encodeOid, octets, seq, tlv } from '../../../src/asn1/index.js';
import { FormatError, SmimeError } from '../../../src/errors.js';
import { download } from '../../../src/trust/online/http.js';
import { OCSP_NONCE, certIdFor, createOcspRequest, ocspGetUrl } from '../../../src/trust/online/ocsp-request.js';
import { OCSP_BASIC, parseOcspResponse } from '../../../src/trust/online/ocsp-response.js';
import { verifyOcspResponse } from '../../../src/trust/online/ocsp-verify.js';
import { fromBase64, toHex, utf8 } from '../../../src/util/bytes.js';
import { sha384 } from '@noble/hashes/sha2.js';
import {
  makeOcspPki,
  opensslQuery,
  opensslRequest,
  opensslRequestText,
  opensslResponseText,
  startOcspResponder,
  type OcspPki,
  type OcspResponder,
  type PkiCert,
} from '../../helpers/ocsp-responder.js';

let pki: OcspPki;
let responder: OcspResponder;

beforeAll(async () => {
  pki = await makeOcspPki();
  responder = await startOcspResponder(pki, { signer: 'delegated', ndays: 1 });
});
afterAll(() => responder?.stop());

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<SmimeError> {
  let e: unknown = new Error('expected a failure');
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    e = err;
  }
  if (!(e instanceof SmimeError)) throw e;
  return e;
}

const check = (der: Uint8Array, leaf: PkiCert = pki.good, extra = {}) =>
  verifyOcspResponse(parseOcspResponse(der), { certificate: leaf.certificate, issuer: pki.ca.certificate, ...extra });

describe('requests', () => {
  it('are byte for byte what the OpenSSL client sends (SHA-1, no nonce)', async () => {
    const ours = await createOcspRequest(pki.revoked.certificate, pki.ca.certificate);
    expect(toHex(ours.der)).toBe(toHex(opensslRequest(pki, pki.revoked)));
    expect(ours.nonce).toBeUndefined();
    expect(ours.certId.serialNumber).toBe(pki.revoked.certificate.serialNumber);
  });

  it('with SHA-256 and a nonce, read back by openssl ocsp -req_text', async () => {
    const ours = await createOcspRequest(pki.good.certificate, pki.ca.certificate, { hash: 'sha256', nonce: true });
    expect(ours.nonce).toHaveLength(32);
    expect(ours.certId.issuerKeyHash).toHaveLength(32);
    const text = opensslRequestText(pki.dir, ours.der);
    expect(text).toMatch(/Hash Algorithm: sha256/);
    expect(text).toContain(`Issuer Key Hash: ${toHex(ours.certId.issuerKeyHash).toUpperCase()}`);
    const serial = /Serial Number: ([0-9A-F]+)/.exec(text)![1]!;
    expect(BigInt(`0x${serial}`)).toBe(pki.good.certificate.serialNumber);
    // RFC 8954: the extnValue is an OCTET STRING holding the nonce (OpenSSL's own encoding, `0420...`).
    expect(text.replace(/\s+/g, '')).toContain(`OCSPNonce:0420${toHex(ours.nonce!).toUpperCase()}`);
  });

  it('refuse an issuer that did not issue the certificate, and nonces outside 1..32 bytes', async () => {
    const wrongIssuer = await failure(createOcspRequest(pki.good.certificate, pki.foreign.certificate));
    expect(wrongIssuer.code).toBe('bad-argument');
    for (const nonce of [new Uint8Array(0), new Uint8Array(33)]) {
      expect((await failure(createOcspRequest(pki.good.certificate, pki.ca.certificate, { nonce }))).code).toBe(
        'bad-argument',
      );
    }
  });

  it('GET URLs: URL-encoded base64 after one slash (RFC 6960 A.1)', async () => {
    const { der } = await createOcspRequest(pki.good.certificate, pki.ca.certificate, { nonce: true });
    const a = ocspGetUrl('http://ocsp.example.test', der);
    const b = ocspGetUrl('http://ocsp.example.test/', der);
    expect(a).toBe(b);
    const tail = a.slice('http://ocsp.example.test/'.length);
    expect(tail).toMatch(/^[A-Za-z0-9%]+$/);
    expect(toHex(fromBase64(decodeURIComponent(tail)))).toBe(toHex(der));
    expect(ocspGetUrl('http://h/ocsp', Uint8Array.of(0xfb, 0xff))).toBe('http://h/ocsp/%2B%2F8%3D');
  });
});

describe('responses from openssl ocsp', () => {
  it('one response about three certificates: decoded as openssl -resp_text reads it, each matched', async () => {
    const der = opensslQuery(pki, responder.url, [pki.good, pki.revoked, pki.unknown]);
    const response = parseOcspResponse(der);
    const basic = response.basic!;
    expect(response.responseStatus).toBe(0);
    expect(basic.responses.map((r) => r.status)).toEqual(['good', 'revoked', 'unknown']);
    expect('byName' in basic.responderId && basic.responderId.byName.text).toBe(pki.delegated.certificate.subject.text);
    expect(basic.certificates.map((c) => c.fingerprint)).toEqual([pki.delegated.certificate.fingerprint]);
    expect(basic.nonce).toHaveLength(16); // the OpenSSL client sends a 16-byte nonce by default
    const text = opensslResponseText(pki.dir, der);
    const serials = [...text.matchAll(/Serial Number: ([0-9A-F]+)\n/g)].map((m) => BigInt(`0x${m[1]}`));
    expect(serials.slice(0, 3)).toEqual(basic.responses.map((r) => r.certId.serialNumber));
    expect([...text.matchAll(/Cert Status: (\w+)/g)].map((m) => m[1])).toEqual(['good', 'revoked', 'unknown']);
    expect(text).toMatch(/Revocation Reason: keyCompromise \(0x1\)/);
    expect(basic.responses[1]!.revocationReason).toBe(1);
    expect(basic.responses[1]!.revocationTime).toEqual(pki.revokedAt);
    const produced = /Produced At: (.+ GMT)/.exec(text)![1]!;
    expect(basic.producedAt).toEqual(new Date(produced));
    const updates = (label: string): Date[] =>
      [...text.matchAll(new RegExp(`${label}: (.+ GMT)`, 'g'))].map((m) => new Date(m[1]!));
    expect(basic.responses.map((r) => r.thisUpdate)).toEqual(updates('This Update'));
    expect(basic.responses.map((r) => r.nextUpdate)).toEqual(updates('Next Update'));
    // -ndays 1; OpenSSL reads the clock once for thisUpdate and again for nextUpdate, so a second may tick between.
    const interval = basic.responses[0]!.nextUpdate!.getTime() - basic.responses[0]!.thisUpdate.getTime();
    expect([86_400_000, 86_401_000]).toContain(interval);
    expect(toHex(basic.nonce!).toUpperCase()).toBe(/OCSP Nonce: *\n\s*0410([0-9A-F]+)/.exec(text)![1]);
    for (const [leaf, status] of [
      [pki.good, 'good'],
      [pki.revoked, 'revoked'],
      [pki.unknown, 'unknown'],
    ] as const) {
      expect((await check(der, leaf)).status).toBe(status);
    }
  });

  it('a nonce sent raw (not wrapped in an OCTET STRING) is echoed raw and accepted', async () => {
    const plain = await createOcspRequest(pki.good.certificate, pki.ca.certificate);
    const nonce = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    const rawExtension = tlv(0xa2, seq(seq(encodeOid(OCSP_NONCE), octets(nonce))));
    const der = seq(seq(seq(seq(plain.certId.der)), rawExtension));
    const got = await download(responder.url, { method: 'POST', body: der, contentType: 'application/ocsp-request' });
    const response = parseOcspResponse(got.bytes);
    expect(toHex(response.basic!.extensions.find((e) => e.oid === OCSP_NONCE)!.value)).toBe(toHex(nonce));
    const request = { der, certId: plain.certId, nonce };
    expect((await check(got.bytes, pki.good, { request })).status).toBe('good');
    const other = { der, certId: plain.certId, nonce: nonce.map((b) => b ^ 1) };
    expect((await failure(check(got.bytes, pki.good, { request: other }))).code).toBe('ocsp-nonce-mismatch');
  });
});

/** GeneralizedTime of `d`, or UTCTime with `utc`. */
const time = (d: Date, utc = false) => {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return utc ? tlv(0x17, utf8(s.slice(2))) : tlv(0x18, utf8(s));
};

interface Built {
  singles?: Uint8Array[];
  extensions?: Uint8Array[];
  version?: number;
  utc?: boolean;
}

/** A BasicOCSPResponse by hand, signed with the CA's key (ecdsa-with-SHA256), responderID byName = the CA. */
async function build(options: Built = {}): Promise<Uint8Array> {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const singles = options.singles ?? [await single(pki.good, 'good')];
  const data = seq(
    ...(options.version !== undefined ? [tlv(0xa0, tlv(0x02, Uint8Array.of(options.version)))] : []),
    tlv(0xa1, pki.ca.certificate.subject.der),
    time(now, options.utc),
    seq(...singles),
    ...(options.extensions ? [tlv(0xa1, seq(...options.extensions))] : []),
  );
  const key = readFileSync(pki.ca.keyFile, 'utf8');
  const signature = new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'der' }));
  const basic = seq(data, algorithmId('1.2.840.10045.4.3.2'), tlv(0x03, Uint8Array.of(0), signature));
  return seq(tlv(0x0a, Uint8Array.of(0)), tlv(0xa0, seq(encodeOid(OCSP_BASIC), octets(basic))));
}

async function single(leaf: PkiCert, status: 'good' | 'revoked', certId?: Uint8Array): Promise<Uint8Array> {
  const id = certId ?? (await certIdFor(leaf.certificate, pki.ca.certificate)).der;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const certStatus =
    status === 'good'
      ? Uint8Array.of(0x80, 0x00)
      : tlv(0xa1, time(pki.revokedAt), tlv(0xa0, Uint8Array.of(0x0a, 1, 4)));
  return seq(id, certStatus, time(now), tlv(0xa0, time(new Date(now.getTime() + 3_600_000))));
}

const extension = (oid: string, critical: boolean, value: Uint8Array) =>
  seq(encodeOid(oid), ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), octets(value));

describe('hand-built responses', () => {
  it('a plain one verifies (the builder is right)', async () => {
    expect(await check(await build())).toMatchObject({ status: 'good', responder: 'issuer' });
  });

  it('an unknown critical extension makes it unusable; a non-critical one is ignored', async () => {
    const ext = (critical: boolean) => [extension('1.2.3.4', critical, Uint8Array.of(0x05, 0x00))];
    expect((await check(await build({ extensions: ext(false) }))).status).toBe('good');
    const e = await failure(check(await build({ extensions: ext(true) })));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.code).toBe('malformed-ocsp');
    expect(e.message).toMatch(/critical extension 1\.2\.3\.4/);
  });

  it('two answers for the certificate that disagree: revoked wins', async () => {
    const der = await build({ singles: [await single(pki.good, 'good'), await single(pki.good, 'revoked')] });
    expect(await check(der)).toMatchObject({ status: 'revoked', reason: 4 });
  });

  it('a SHA-384 CertID is matched by recomputing it', async () => {
    const c = pki.good.certificate;
    const certId = seq(
      algorithmId('2.16.840.1.101.3.4.2.2', NULL),
      octets(sha384(c.issuer.der)),
      octets(sha384(pki.ca.certificate.publicKey)),
      tlv(0x02, Uint8Array.from(Buffer.from(c.serialHex, 'hex'))),
    );
    expect((await check(await build({ singles: [await single(pki.good, 'good', certId)] }))).status).toBe('good');
    expect(
      (await failure(check(await build({ singles: [await single(pki.good, 'good', certId)] }), pki.revoked))).code,
    ).toBe('ocsp-wrong-certificate');
  });

  it('UTCTime and version 2 are malformed-ocsp', () => {
    return Promise.all([build({ utc: true }), build({ version: 1 })]).then((ders) => {
      for (const der of ders) {
        expect(() => parseOcspResponse(der)).toThrow(FormatError);
        try {
          parseOcspResponse(der);
        } catch (e) {
          expect((e as FormatError).code).toBe('malformed-ocsp');
          expect((e as FormatError).offset).toBeGreaterThan(0);
        }
      }
    });
  });
});

describe('error statuses and malformed bytes', () => {
  it('unsuccessful responses decode without basic; verifying says which status', async () => {
    for (const [status, name] of [
      [1, 'malformedRequest'],
      [2, 'internalError'],
      [3, 'tryLater'],
      [5, 'sigRequired'],
      [6, 'unauthorized'],
      [4, 'status 4'],
    ] as const) {
      const response = parseOcspResponse(Uint8Array.of(0x30, 0x03, 0x0a, 0x01, status));
      expect(response.responseStatus).toBe(status);
      expect(response.basic).toBeUndefined();
      const e = await failure(check(response.der));
      expect(e.code).toBe('ocsp-error-response');
      expect(e.details.ocspStatus).toBe(status);
      expect(e.message).toContain(name);
    }
  });

  it('every truncation, trailing bytes, a foreign responseType and missing responseBytes are malformed-ocsp', () => {
    const der = opensslQuery(pki, responder.url, [pki.good]);
    const expectMalformed = (bytes: Uint8Array) => {
      let error: unknown;
      try {
        parseOcspResponse(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).code).toBe('malformed-ocsp');
      return error as FormatError;
    };
    for (let n = 0; n < der.length; n++) expectMalformed(der.subarray(0, n));
    expect(expectMalformed(Uint8Array.from([...der, 0])).offset).toBe(der.length);
    expectMalformed(Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x00));
    const foreign = seq(tlv(0x0a, Uint8Array.of(0)), tlv(0xa0, seq(encodeOid('1.3.6.1.5.5.7.48.1.99'), octets(NULL))));
    expect(expectMalformed(foreign).message).toMatch(/not id-pkix-ocsp-basic/);
    expectMalformed(utf8('<html>not OCSP</html>'));
  });

  it('mutated responses throw only malformed-ocsp, and verifying what still parses throws only SmimeErrors', async () => {
    const der = opensslQuery(pki, responder.url, [pki.revoked]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: der.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (edits) => {
          const bytes = der.slice();
          for (const [at, value] of edits) bytes[at] = value;
          let parsed;
          try {
            parsed = parseOcspResponse(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(FormatError);
            expect((e as FormatError).code).toBe('malformed-ocsp');
            return;
          }
          try {
            await verifyOcspResponse(parsed, { certificate: pki.revoked.certificate, issuer: pki.ca.certificate });
          } catch (e) {
            expect(e).toBeInstanceOf(SmimeError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
