/**
 * The one way online checking talks to the network: the platform `fetch` (Node 18+, browsers) or the caller's,
 * with a time limit over the whole exchange (body included) and a size limit enforced while reading.
 */
import { ArgumentError, LimitError, NetworkError } from '../../errors.js';

/** The subset of the platform `fetch` smimekit calls; pass your own to add a proxy, logging or a test double. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** Limits and transport of a download. */
export interface DownloadOptions {
  /** Default: the platform `fetch`. */
  fetch?: FetchFunction;
  /** Whole exchange, connection to last byte (default 10 000 ms). */
  timeoutMs?: number;
  /** Largest body accepted (default 10 MiB). */
  maxBytes?: number;
  /** Aborts the download from outside (e.g. the caller's own cancellation). */
  signal?: AbortSignal;
}

export interface DownloadRequest extends DownloadOptions {
  method?: 'GET' | 'POST';
  body?: Uint8Array;
  /** Content-Type of `body`. */
  contentType?: string;
  accept?: string;
}

export interface Downloaded {
  bytes: Uint8Array;
  /** The response's Content-Type, lowercased, without parameters; '' when absent. */
  contentType: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024;

/** Only HTTP(S): a URL from a certificate must not make the library read files or speak other protocols. */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NetworkError('fetch-failed', `"${url.slice(0, 200)}" is not a URL`, {
      details: { url: url.slice(0, 200) },
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NetworkError('fetch-failed', `${parsed.protocol} URLs are not fetched over HTTP: ${url.slice(0, 200)}`, {
      details: { url: url.slice(0, 200) },
    });
  }
}

async function readLimited(response: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const tooBig = (value: number) =>
    new LimitError('limit-exceeded', `the answer from ${url} is larger than ${maxBytes} bytes`, {
      details: { limit: 'maxBytes', value, url },
    });
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooBig(declared);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooBig(total);
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Downloads `url` within the time and size limits.
 *
 * @throws NetworkError `fetch-failed` (unreachable, not HTTP(S), status other than 2xx) or `fetch-timeout`
 * @throws LimitError `limit-exceeded` when the body is larger than `maxBytes`
 */
export async function download(url: string, request: DownloadRequest = {}): Promise<Downloaded> {
  checkUrl(url);
  const fetchFn = request.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function') throw new ArgumentError('bad-argument', 'no fetch function: pass options.fetch');
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = request.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onOuterAbort = () => controller.abort();
  request.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const details = { url: url.slice(0, 500) };
  try {
    const headers: Record<string, string> = {};
    if (request.contentType) headers['content-type'] = request.contentType;
    if (request.accept) headers.accept = request.accept;
    const init: RequestInit = {
      method: request.method ?? 'GET',
      headers,
      signal: controller.signal,
      redirect: 'follow',
    };
    if (request.body) init.body = request.body as Uint8Array<ArrayBuffer>;
    const response = await fetchFn(url, init);
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new NetworkError('fetch-failed', `${url} answered HTTP ${response.status}`, {
        details: { ...details, httpStatus: response.status },
      });
    }
    const bytes = await readLimited(response, url, maxBytes);
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    return { bytes, contentType };
  } catch (e) {
    if (timedOut) {
      throw new NetworkError('fetch-timeout', `${url} did not answer within ${timeoutMs} ms`, {
        details: { ...details, timeoutMs },
        cause: e,
      });
    }
    if (e instanceof LimitError || e instanceof NetworkError) throw e;
    const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    throw new NetworkError('fetch-failed', `cannot download ${url}: ${why}`, { details, cause: e });
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onOuterAbort);
  }
}
