/**
 * Online revocation for one certificate whose status the local CRLs could not tell: its OCSP responders first
 * (authorityInfoAccess), then its CRL distribution points (HTTP; LDAP through the caller's fetcher). Answers come
 * from the revocation cache when they are still fresh and are re-verified every time they are used; every failed
 * attempt is kept with its error code so the report can say why a status stayed unknown.
 */
import { SmimeError } from '../../errors.js';
import { isSmimeErrorCode, type SmimeErrorCode } from '../../error-codes.js';
import { authorityAccess, parseCrl, type Certificate, type Crl } from '../../x509/index.js';
import type { ValidationContext } from '../context.js';
import type { OnlineRevocation } from '../options.js';
import type { CertificateRevocationInput, CrlRevocationStatus, EstablishedStatus } from '../revocation.js';
import { download } from './http.js';
import { parseOcspResponse } from './ocsp-response.js';
import { verifyOcspResponse, type OcspVerdict } from './ocsp-verify.js';
import { queryOcsp } from './ocsp.js';

/** An OCSP answer used for a certificate. */
export interface OcspUse {
  url: string;
  responder: OcspVerdict['responder'];
  responderSubject: string;
  producedAt: Date;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Taken from the revocation cache. */
  cached: boolean;
}

/** An online source that gave no usable answer. */
export interface OnlineAttempt {
  kind: 'ocsp' | 'crl';
  url: string;
  code: SmimeErrorCode;
  message: string;
}

/** Most responder URLs and distribution-point URLs tried per certificate. */
const MAX_URLS_PER_SOURCE = 4;

function attemptOf(kind: OnlineAttempt['kind'], url: string, e: unknown): OnlineAttempt {
  if (e instanceof SmimeError) return { kind, url, code: e.code, message: e.message };
  return { kind, url, code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** Failures of the source itself (not of its answer): worth not repeating for a while. */
const UNREACHABLE = new Set<SmimeErrorCode>([
  'fetch-failed',
  'fetch-timeout',
  'limit-exceeded',
  'directory-unreachable',
  'directory-timeout',
]);

const failureKey = (kind: OnlineAttempt['kind'], url: string) => `failed ${kind} ${url}`;

/** True (with the attempt noted) when `url` failed less than `retryAfterMs` ago. */
async function failedRecently(
  online: OnlineRevocation,
  kind: OnlineAttempt['kind'],
  url: string,
  attempts: OnlineAttempt[],
): Promise<boolean> {
  if (online.retryAfterMs === 0) return false;
  const stored = await online.cache.get(failureKey(kind, url));
  if (!stored) return false;
  const [code = '', ...why] = new TextDecoder().decode(stored).split('\n');
  attempts.push({
    kind,
    url,
    code: isSmimeErrorCode(code) ? code : 'fetch-failed',
    message: `not asked again within ${online.retryAfterMs} ms of its last failure: ${why.join(' ')}`,
  });
  return true;
}

/** Notes a failed attempt, and remembers an unreachable source for `retryAfterMs`. */
async function failed(online: OnlineRevocation, attempts: OnlineAttempt[], attempt: OnlineAttempt): Promise<void> {
  attempts.push(attempt);
  if (online.retryAfterMs === 0 || !UNREACHABLE.has(attempt.code)) return;
  const until = new Date(online.now().getTime() + online.retryAfterMs);
  await online.cache.set(
    failureKey(attempt.kind, attempt.url),
    new TextEncoder().encode(`${attempt.code}\n${attempt.message}`),
    until,
  );
}

function spend(ctx: ValidationContext, kind: OnlineAttempt['kind'], url: string, attempts: OnlineAttempt[]): boolean {
  if (ctx.downloads.left > 0) {
    ctx.downloads.left--;
    return true;
  }
  attempts.push({
    kind,
    url,
    code: 'limit-exceeded',
    message: `not downloaded: this validation already made its ${ctx.options.online?.maxDownloads ?? 0} downloads (maxDownloads)`,
  });
  return false;
}

function ocspKey(online: OnlineRevocation, url: string, cert: Certificate, issuer: Certificate): string {
  return `ocsp ${online.ocspHash} ${url} ${issuer.fingerprint} ${cert.serialHex}`;
}

/** A fresh cached answer from `url`, re-verified; undefined when there is none (or it no longer verifies). */
async function cachedOcsp(
  ctx: ValidationContext,
  online: OnlineRevocation,
  url: string,
  input: CertificateRevocationInput,
): Promise<OcspVerdict | undefined> {
  const key = ocspKey(online, url, input.cert, input.issuer);
  const bytes = await online.cache.get(key);
  if (!bytes) return undefined;
  try {
    return await verifyOcspResponse(parseOcspResponse(bytes), {
      certificate: input.cert,
      issuer: input.issuer,
      now: online.now(),
      clockSkewMs: online.clockSkewMs,
      maxAgeMs: online.maxOcspAgeMs,
      allowWeak: ctx.options.allowWeak,
    });
  } catch {
    return undefined; // stale or no longer acceptable: ask again
  }
}

function ocspStatus(verdict: OcspVerdict, url: string, cached: boolean): EstablishedStatus {
  const ocsp: OcspUse = {
    url,
    responder: verdict.responder,
    responderSubject: verdict.responderSubject,
    producedAt: verdict.producedAt,
    thisUpdate: verdict.thisUpdate,
    cached,
  };
  if (verdict.nextUpdate) ocsp.nextUpdate = verdict.nextUpdate;
  const out: EstablishedStatus = { status: verdict.status, source: 'ocsp', ocsp, message: verdict.message };
  if (verdict.reason !== undefined) out.reason = verdict.reason;
  if (verdict.revocationTime) out.revocationDate = verdict.revocationTime;
  return out;
}

/** Asks the certificate's OCSP responders in turn; the first good or revoked answer wins. */
async function fromOcsp(
  ctx: ValidationContext,
  online: OnlineRevocation,
  input: CertificateRevocationInput,
  urls: readonly string[],
  attempts: OnlineAttempt[],
): Promise<EstablishedStatus | undefined> {
  for (const url of urls.slice(0, MAX_URLS_PER_SOURCE)) {
    const cached = await cachedOcsp(ctx, online, url, input);
    if (cached && cached.status !== 'unknown') return ocspStatus(cached, url, true);
    if (await failedRecently(online, 'ocsp', url, attempts)) continue;
    if (!spend(ctx, 'ocsp', url, attempts)) break;
    try {
      const answer = await queryOcsp(url, input.cert, input.issuer, {
        hash: online.ocspHash,
        nonce: online.nonce,
        method: online.ocspMethod,
        timeoutMs: online.timeoutMs,
        now: online.now(),
        clockSkewMs: online.clockSkewMs,
        maxAgeMs: online.maxOcspAgeMs,
        allowWeak: ctx.options.allowWeak,
        ...(online.fetch ? { fetch: online.fetch } : {}),
      });
      // Without nextUpdate a responder says newer information is always available: nothing to keep.
      if (answer.nextUpdate)
        await online.cache.set(ocspKey(online, url, input.cert, input.issuer), answer.responseDer, answer.nextUpdate);
      if (answer.status !== 'unknown') return ocspStatus(answer, url, false);
      attempts.push({
        kind: 'ocsp',
        url,
        code: 'revocation-unknown',
        message: `the responder does not know the certificate: ${answer.message}`,
      });
    } catch (e) {
      await failed(online, attempts, attemptOf('ocsp', url, e));
    }
  }
  return undefined;
}

/** The HTTP(S) and LDAP URLs of the certificate's CRL distribution points, in order, without repeats. */
function distributionPointUrls(cert: Certificate): string[] {
  const urls: string[] = [];
  for (const dp of cert.crlDistributionPoints ?? []) {
    if (!dp.name || !('fullName' in dp.name)) continue;
    for (const n of dp.name.fullName) if (n.type === 'uri' && !urls.includes(n.value)) urls.push(n.value);
  }
  return urls;
}

async function downloadCrls(online: OnlineRevocation, url: string): Promise<Uint8Array[]> {
  if (/^ldaps?:/i.test(url)) {
    if (!online.ldap) throw new SmimeError('unsupported-format', `no LDAP fetcher for ${url} (pass revocation.ldap)`);
    return online.ldap(url, { timeoutMs: online.timeoutMs, maxBytes: online.maxCrlBytes });
  }
  const got = await download(url, {
    timeoutMs: online.timeoutMs,
    maxBytes: online.maxCrlBytes,
    accept: 'application/pkix-crl, application/x-pkcs7-crl, */*',
    ...(online.fetch ? { fetch: online.fetch } : {}),
  });
  return [got.bytes];
}

/** Adds a CRL to the validation (once), remembering where it came from. */
function addCrl(ctx: ValidationContext, crl: Crl, url: string, cached: boolean): void {
  if (ctx.crls.some((c) => c.fingerprint === crl.fingerprint)) return;
  ctx.crls.push(crl);
  ctx.crlOrigins.set(crl.fingerprint, cached ? { origin: 'fetched', url, cached } : { origin: 'fetched', url });
}

/** Gets the CRLs at `url` (cache first) into the validation. */
async function fetchCrl(ctx: ValidationContext, online: OnlineRevocation, url: string, attempts: OnlineAttempt[]) {
  const key = `crl ${url}`;
  const cached = await online.cache.get(key);
  if (cached) {
    try {
      addCrl(ctx, parseCrl(cached), url, true);
      return;
    } catch {
      // An unreadable cache entry is fetched again.
    }
  }
  if (await failedRecently(online, 'crl', url, attempts)) return;
  if (!spend(ctx, 'crl', url, attempts)) return;
  try {
    for (const der of await downloadCrls(online, url)) {
      const crl = parseCrl(der);
      addCrl(ctx, crl, url, false);
      if (crl.nextUpdate && crl.nextUpdate > online.now()) await online.cache.set(key, der, crl.nextUpdate);
    }
  } catch (e) {
    await failed(online, attempts, attemptOf('crl', url, e));
  }
}

/** Downloads the distribution points' CRLs one URL at a time until the status is known. */
async function fromDistributionPoints(
  ctx: ValidationContext,
  online: OnlineRevocation,
  urls: readonly string[],
  attempts: OnlineAttempt[],
  recheck: () => Promise<CrlRevocationStatus>,
): Promise<CrlRevocationStatus | undefined> {
  let last: CrlRevocationStatus | undefined;
  for (const url of urls.slice(0, MAX_URLS_PER_SOURCE)) {
    const before = ctx.crls.length;
    await fetchCrl(ctx, online, url, attempts);
    if (ctx.crls.length === before) continue;
    last = await recheck();
    if (last.status !== 'unknown') return last;
  }
  return last;
}

/** The status from online sources, or `unknown` with every reason. */
export async function onlineStatus(
  ctx: ValidationContext,
  input: CertificateRevocationInput,
  local: CrlRevocationStatus,
  recheck: () => Promise<CrlRevocationStatus>,
): Promise<EstablishedStatus> {
  const online = ctx.options.online!;
  const attempts: OnlineAttempt[] = [];
  const ocspUrls = authorityAccess(input.cert.extensions).ocsp;
  const crlUrls = distributionPointUrls(input.cert);
  if (online.ocsp) {
    const answer = await fromOcsp(ctx, online, input, ocspUrls, attempts);
    if (answer) return attempts.length ? { ...answer, attempts } : answer;
  }
  let crls = local;
  if (online.crl) crls = (await fromDistributionPoints(ctx, online, crlUrls, attempts, recheck)) ?? local;
  if (crls.status !== 'unknown') return { ...crls, source: 'crl', ...(attempts.length ? { attempts } : {}) };
  const tried = attempts.map((a) => `${a.url}: ${a.message}`);
  const none =
    ocspUrls.length === 0 && crlUrls.length === 0
      ? 'the certificate names no OCSP responder and no CRL distribution point'
      : undefined;
  const message = [crls.message, ...tried, none].filter(Boolean).join('; ');
  const out: EstablishedStatus = { ...crls, status: 'unknown', source: 'none', message };
  if (attempts.length) out.attempts = attempts;
  return out;
}
