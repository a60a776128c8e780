/** The revocation cache's bounds and expiry, and `download`'s limits against a real loopback HTTP server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRevocationCache } from '../../../src/trust/online/cache.js';
import { download } from '../../../src/trust/online/http.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http-server.js';

describe('MemoryRevocationCache', () => {
  it('keeps entries until their expiry, returns copies, and drops the least recently used first', () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const cache = new MemoryRevocationCache({ maxEntries: 2, now: () => new Date(now) });
    const inOneHour = new Date(now + 3_600_000);
    cache.set('a', Uint8Array.of(1), inOneHour);
    cache.set('b', Uint8Array.of(2), inOneHour);
    const a = cache.get('a')!; // a is now the most recently used
    a[0] = 9;
    expect(cache.get('a')).toEqual(Uint8Array.of(1));
    cache.set('c', Uint8Array.of(3), inOneHour);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(2);
    cache.set('past', Uint8Array.of(4), new Date(now - 1));
    expect(cache.get('past')).toBeUndefined();
    now += 3_600_000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBeUndefined();
  });

  it('bounds the bytes it holds', () => {
    const cache = new MemoryRevocationCache({ maxBytes: 10 });
    const later = new Date(Date.now() + 60_000);
    cache.set('x', new Uint8Array(6), later);
    cache.set('y', new Uint8Array(6), later);
    expect(cache.get('x')).toBeUndefined();
    expect(cache.get('y')).toHaveLength(6);
    cache.set('huge', new Uint8Array(11), later);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('y')).toHaveLength(6);
  });
});

describe('download', () => {
  let http: TestHttpServer;
  beforeAll(async () => {
    http = await startHttpServer();
    http.routes.set('/ok', { body: Uint8Array.of(1, 2, 3), contentType: 'application/pkix-crl; charset=binary' });
    http.routes.set('/big', { body: new Uint8Array(2048) });
    http.routes.set('/chunked', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no content-length: counted while reading
      for (let i = 0; i < 8; i++) res.write(new Uint8Array(512));
      res.end();
    });
    http.routes.set('/error', { body: new Uint8Array(0), status: 503 });
    http.routes.set('/hang', { hang: true });
    http.routes.set('/echo', (req, body, res) => {
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? '' });
      res.end(body);
    });
  });
  afterAll(async () => {
    await http?.close();
  });

  it('returns the body and its content type', async () => {
    expect(await download(`${http.origin}/ok`)).toEqual({
      bytes: Uint8Array.of(1, 2, 3),
      contentType: 'application/pkix-crl',
    });
    const posted = await download(`${http.origin}/echo`, {
      method: 'POST',
      body: Uint8Array.of(7, 8),
      contentType: 'application/ocsp-request',
    });
    expect(posted).toEqual({ bytes: Uint8Array.of(7, 8), contentType: 'application/ocsp-request' });
  });

  it.each([
    ['/big', { maxBytes: 1024 }, 'limit-exceeded'],
    ['/chunked', { maxBytes: 1024 }, 'limit-exceeded'],
    ['/error', {}, 'fetch-failed'],
    ['/missing', {}, 'fetch-failed'],
    ['/hang', { timeoutMs: 300 }, 'fetch-timeout'],
  ])('%s → %s', async (path, options, code) => {
    await expect(download(`${http.origin}${path}`, options)).rejects.toMatchObject({ code });
  });

  it('refuses what is not HTTP(S) without trying', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.test/x.crl', 'not a url', 'ldap://h/cn=x'])
      await expect(download(url)).rejects.toMatchObject({ code: 'fetch-failed' });
  });

  it('reports the HTTP status, and a refused connection', async () => {
    await expect(download(`${http.origin}/error`)).rejects.toMatchObject({ details: { httpStatus: 503 } });
    await expect(download('http://127.0.0.1:1/x')).rejects.toMatchObject({
      code: 'fetch-failed',
      name: 'NetworkError',
    });
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      download(`${http.origin}/hang`, { signal: controller.signal, timeoutMs: 10_000 }),
    ).rejects.toMatchObject({
      code: 'fetch-failed',
    });
  });
});
