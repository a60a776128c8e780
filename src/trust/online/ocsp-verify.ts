/**
 * Whether an OCSP response can be relied on for one certificate (RFC 6960 §3.2 and §4.2.2.2, RFC 8954 nonces):
 * it is successful, it is signed by the certificate's issuer or by a responder the issuer authorised directly, it
 * answers for this certificate, it is fresh at the caller's clock, and it echoes the request's nonce.
 */
import { AlgorithmError, CryptoError, FormatError, RevocationError, SmimeError } from '../../errors.js';
import { digestAlgorithm, isWebCryptoDigest } from '../../crypto/algorithms.js';
import { publicKeyWeakness, signatureAlgorithmWeakness } from '../../crypto/policy.js';
import { summarizePublicKey } from '../../crypto/public-key-summary.js';
import { signatureParametersValid, verifySignature } from '../../crypto/verify-signature.js';
import { bytesEqual } from '../../util/bytes.js';
import { sha1 } from '../../util/hash.js';
import {
  EKU_OCSP_SIGNING,
  KeyUsage,
  OCSP_NO_CHECK,
  reasonName,
  type AlgorithmIdentifier,
  type Certificate,
} from '../../x509/index.js';
import { OCSP_NONCE, certIdHashes, type OcspRequest } from './ocsp-request.js';
import {
  OCSP_RESPONSE_STATUS,
  nonceValue,
  type BasicOcspResponse,
  type OcspResponse,
  type SingleOcspResponse,
} from './ocsp-response.js';

/** What a response is checked against. */
export interface OcspCheckOptions {
  /** The certificate whose status is asked. */
  certificate: Certificate;
  /** Its issuer: the response must be signed by it or by a responder it authorised. */
  issuer: Certificate;
  /** The request sent, for its nonce (and to check it was about `certificate`). */
  request?: OcspRequest;
  /** The current time freshness is checked against (default: the system clock). */
  now?: Date;
  /** Allowance for clocks that disagree (default 5 minutes). */
  clockSkewMs?: number;
  /** Without nextUpdate, a thisUpdate older than this is stale (default 7 days). */
  maxAgeMs?: number;
  /** Accept SHA-1 (and other weak) response signatures and responder keys. Default false. */
  allowWeak?: boolean;
}

/** What a verified response says about the certificate. */
export interface OcspVerdict {
  status: 'good' | 'revoked' | 'unknown';
  revocationTime?: Date;
  /** CRLReason (RFC 5280 §5.3.1) of a revocation, when given. */
  reason?: number;
  thisUpdate: Date;
  nextUpdate?: Date;
  producedAt: Date;
  /** Signed by the issuer itself, or by a responder certificate the issuer issued for that (id-kp-OCSPSigning). */
  responder: 'issuer' | 'delegated';
  /** Subject of the certificate whose key signed the response. */
  responderSubject: string;
  /** One sentence for reports. */
  message: string;
}

const DEFAULT_OCSP_CLOCK_SKEW_MS = 5 * 60_000;
const DEFAULT_OCSP_MAX_AGE_MS = 7 * 24 * 3_600_000;

/** Single-response extensions and response extensions this module understands (only the nonce). */
const UNDERSTOOD_EXTENSIONS = new Set([OCSP_NONCE]);

const iso = (d: Date) => d.toISOString();

/** The BasicOCSPResponse of a successful response; the error status of any other. */
function successful(response: OcspResponse): BasicOcspResponse {
  if (response.responseStatus !== 0) {
    const name = OCSP_RESPONSE_STATUS[response.responseStatus] ?? `status ${response.responseStatus}`;
    throw new RevocationError(
      'ocsp-error-response',
      `the OCSP responder answered ${name} (${response.responseStatus})`,
      {
        details: { ocspStatus: response.responseStatus },
      },
    );
  }
  if (!response.basic)
    throw new FormatError('malformed-ocsp', 'a successful OCSP response without a BasicOCSPResponse');
  return response.basic;
}

/** RFC 6960 §4.4: a critical extension that is not understood makes the response unusable. */
function checkCriticalExtensions(basic: BasicOcspResponse, single: SingleOcspResponse): void {
  for (const ext of [...basic.extensions, ...single.extensions]) {
    if (ext.critical && !UNDERSTOOD_EXTENSIONS.has(ext.oid)) {
      throw new FormatError(
        'malformed-ocsp',
        `the OCSP response has a critical extension ${ext.oid} smimekit does not process`,
      );
    }
  }
}

const SEVERITY = { revoked: 2, unknown: 1, good: 0 } as const;

/** The SingleResponse about `certificate`, recomputing the CertID with each hash the response uses. */
async function findSingle(
  basic: BasicOcspResponse,
  certificate: Certificate,
  issuer: Certificate,
): Promise<SingleOcspResponse> {
  const hashes = new Map<string, Promise<{ issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array }>>();
  let found: SingleOcspResponse | undefined;
  for (const single of basic.responses) {
    const id = single.certId;
    if (id.serialNumber !== certificate.serialNumber) continue;
    const name = digestAlgorithm(id.hashAlgorithm)?.name;
    if (!name || !isWebCryptoDigest(name)) continue; // SHA-1/256/384/512; others cannot match
    let mine = hashes.get(name);
    if (!mine) hashes.set(name, (mine = certIdHashes(certificate, issuer, name)));
    const { issuerNameHash, issuerKeyHash } = await mine;
    if (!bytesEqual(issuerNameHash, id.issuerNameHash) || !bytesEqual(issuerKeyHash, id.issuerKeyHash)) continue;
    // Two answers for one certificate that disagree: the more severe one counts.
    if (!found || SEVERITY[single.status] > SEVERITY[found.status]) found = single;
  }
  if (!found) {
    throw new RevocationError(
      'ocsp-wrong-certificate',
      `the OCSP response has no status for ${certificate.subject.text} (serial ${certificate.serialHex}) issued by ${issuer.subject.text}`,
      { details: { subject: certificate.subject.text } },
    );
  }
  return found;
}

/** The request must be about the certificate checked (a caller mixing up requests must not get a verdict). */
async function checkRequest(
  request: OcspRequest | undefined,
  certificate: Certificate,
  issuer: Certificate,
): Promise<void> {
  if (!request) return;
  const id = request.certId;
  const mine = await certIdHashes(certificate, issuer, id.hashAlgorithm === 'sha256' ? 'SHA-256' : 'SHA-1');
  if (
    id.serialNumber !== certificate.serialNumber ||
    !bytesEqual(id.issuerNameHash, mine.issuerNameHash) ||
    !bytesEqual(id.issuerKeyHash, mine.issuerKeyHash)
  ) {
    throw new RevocationError('ocsp-wrong-certificate', `the OCSP request was not about ${certificate.subject.text}`, {
      details: { subject: certificate.subject.text },
    });
  }
}

interface Signed {
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  signatureUnusedBits: number;
}

/** Whether `signed` verifies with `spki`; unsupported algorithms propagate, anything else unusable is `false`. */
async function signatureVerifies(signed: Signed, spki: Uint8Array): Promise<boolean> {
  if (signed.signatureUnusedBits !== 0 || !signatureParametersValid(signed.signatureAlgorithm)) return false;
  try {
    return await verifySignature({
      algorithm: signed.signatureAlgorithm,
      signature: signed.signature,
      data: signed.tbs,
      publicKey: spki,
    });
  } catch (e) {
    if (e instanceof AlgorithmError && e.code !== 'key-algorithm-mismatch') throw e;
    return false;
  }
}

/** Refuses weak signature algorithms and keys unless `allowWeak` (policy.ts). */
function checkStrength(
  what: string,
  algorithm: AlgorithmIdentifier,
  spki: Uint8Array | undefined,
  allowWeak: boolean,
): void {
  const weak = signatureAlgorithmWeakness(algorithm, { allowWeak });
  let keyWeak: string | undefined;
  if (!weak && spki) {
    try {
      keyWeak = publicKeyWeakness(summarizePublicKey(spki), { allowWeak });
    } catch {
      keyWeak = undefined; // an unreadable key fails signature verification instead
    }
  }
  const why = weak ?? keyWeak;
  if (why) {
    throw new AlgorithmError('weak-algorithm', `${what} refused: ${why} (allowWeak accepts it)`, {
      details: { algorithm: algorithm.oid },
    });
  }
}

function matchesResponderId(basic: BasicOcspResponse, cert: Certificate): boolean {
  const id = basic.responderId;
  return 'byName' in id ? id.byName.key === cert.subject.key : bytesEqual(id.byKey, sha1(cert.publicKey));
}

/** Why `cert` may not answer for `issuer`'s certificates (RFC 6960 §4.2.2.2), or undefined when it may. */
async function delegationProblem(
  cert: Certificate,
  issuer: Certificate,
  now: Date,
  skewMs: number,
  allowWeak: boolean,
): Promise<string | undefined> {
  const who = `the responder certificate ${cert.subject.text}`;
  if (cert.issuer.key !== issuer.subject.key)
    return `${who} is issued by ${cert.issuer.text}, not by ${issuer.subject.text}`;
  if (!(await signatureVerifies(cert, issuer.spki)))
    return `${who} does not verify with the key of ${issuer.subject.text}`;
  checkStrength(`${who}: its signature`, cert.signatureAlgorithm, undefined, allowWeak);
  if (!cert.extKeyUsage?.includes(EKU_OCSP_SIGNING)) return `${who} is not authorised for OCSP (no id-kp-OCSPSigning)`;
  if (cert.keyUsage !== undefined && (cert.keyUsage & KeyUsage.digitalSignature) === 0)
    return `${who} has a keyUsage without digitalSignature`;
  if (cert.notBefore.getTime() > now.getTime() + skewMs || cert.notAfter.getTime() < now.getTime() - skewMs)
    return `${who} is not valid at ${iso(now)} (valid ${iso(cert.notBefore)} to ${iso(cert.notAfter)})`;
  return undefined;
}

interface Signer {
  responder: OcspVerdict['responder'];
  cert: Certificate;
  noCheck: boolean;
}

/** Finds who signed the response, checks it may answer for `issuer`'s certificates, and checks the signature. */
async function authenticate(
  basic: BasicOcspResponse,
  options: OcspCheckOptions,
  now: Date,
  skewMs: number,
): Promise<Signer> {
  const { issuer } = options;
  const allowWeak = options.allowWeak ?? false;
  let signer: Signer | undefined;
  if (matchesResponderId(basic, issuer)) signer = { responder: 'issuer', cert: issuer, noCheck: true };
  const problems: string[] = [];
  for (const cert of signer ? [] : basic.certificates.filter((c) => matchesResponderId(basic, c))) {
    const problem = await delegationProblem(cert, issuer, now, skewMs, allowWeak);
    if (problem) problems.push(problem);
    else {
      signer = { responder: 'delegated', cert, noCheck: cert.extensions.some((e) => e.oid === OCSP_NO_CHECK) };
      break;
    }
  }
  if (!signer) {
    const named = 'byName' in basic.responderId ? basic.responderId.byName.text : 'the key hash in responderID';
    const why = problems.length
      ? problems.join('; ')
      : `${named} is not ${issuer.subject.text} and the response carries no certificate for it`;
    throw new RevocationError(
      'ocsp-unauthorized-responder',
      `the OCSP response is not signed by an authorised responder: ${why}`,
      {
        details: { subject: issuer.subject.text },
      },
    );
  }
  checkStrength('the OCSP response signature', basic.signatureAlgorithm, signer.cert.spki, allowWeak);
  if (!(await signatureVerifies(basic, signer.cert.spki))) {
    throw new CryptoError(
      'bad-signature',
      `the OCSP response signature does not verify with the key of ${signer.cert.subject.text}`,
      {
        details: { subject: signer.cert.subject.text },
      },
    );
  }
  return signer;
}

/** RFC 6960 §4.2.2.1 / RFC 5019 §4: thisUpdate not in the future, nextUpdate not past, else not too old. */
function checkFreshness(single: SingleOcspResponse, now: Date, skewMs: number, maxAgeMs: number): void {
  const t = now.getTime();
  let why: string | undefined;
  if (single.thisUpdate.getTime() > t + skewMs)
    why = `it is not valid yet: thisUpdate ${iso(single.thisUpdate)} is after ${iso(now)}`;
  else if (single.nextUpdate && single.nextUpdate.getTime() < t - skewMs)
    why = `it expired: nextUpdate ${iso(single.nextUpdate)} is before ${iso(now)}`;
  else if (!single.nextUpdate && single.thisUpdate.getTime() < t - maxAgeMs)
    why = `it names no nextUpdate and thisUpdate ${iso(single.thisUpdate)} is older than ${Math.round(maxAgeMs / 60_000)} minutes`;
  if (why) throw new RevocationError('ocsp-stale', `the OCSP response is stale: ${why}`);
}

/** RFC 8954: the response must carry the request's nonce (either encoding of the extnValue). */
function checkNonce(basic: BasicOcspResponse, request: OcspRequest | undefined): void {
  if (!request?.nonce) return;
  const ext = basic.extensions.find((e) => e.oid === OCSP_NONCE);
  if (!ext)
    throw new RevocationError(
      'ocsp-nonce-mismatch',
      'the OCSP response carries no nonce although the request sent one',
    );
  if (!bytesEqual(nonceValue(ext.value), request.nonce) && !bytesEqual(ext.value, request.nonce))
    throw new RevocationError('ocsp-nonce-mismatch', 'the OCSP response carries another nonce than the request sent');
}

function describe(single: SingleOcspResponse, signer: Signer, producedAt: Date): string {
  const by = `${signer.cert.subject.text} (${signer.responder === 'issuer' ? 'the issuer' : 'delegated responder'})`;
  const what =
    single.status === 'revoked'
      ? `revoked on ${iso(single.revocationTime!)} (${reasonName(single.revocationReason)})`
      : single.status === 'good'
        ? 'good'
        : 'unknown to the responder';
  const until = single.nextUpdate ? `, next update ${iso(single.nextUpdate)}` : '';
  const noCheck = signer.noCheck
    ? ''
    : '; the responder certificate has no id-pkix-ocsp-nocheck: its own revocation is not checked';
  return `OCSP: ${what} according to ${by}, produced ${iso(producedAt)}${until}${noCheck}`;
}

/**
 * Checks an OCSP response for `options.certificate` and says what it states.
 *
 * @example
 * ```ts
 * const verdict = await verifyOcspResponse(parseOcspResponse(der), { certificate, issuer, request });
 * if (verdict.status === 'revoked') console.log(verdict.revocationTime, verdict.reason);
 * ```
 * @throws RevocationError `ocsp-error-response` (details.ocspStatus), `ocsp-unauthorized-responder`,
 *   `ocsp-wrong-certificate`, `ocsp-nonce-mismatch`, `ocsp-stale`; CryptoError `bad-signature`;
 *   AlgorithmError `weak-algorithm` (SHA-1 signatures, short keys, unless `allowWeak`) or `unsupported-algorithm`;
 *   FormatError `malformed-ocsp` (an unprocessed critical extension)
 */
export async function verifyOcspResponse(response: OcspResponse, options: OcspCheckOptions): Promise<OcspVerdict> {
  const now = options.now ?? new Date();
  const skewMs = options.clockSkewMs ?? DEFAULT_OCSP_CLOCK_SKEW_MS;
  const basic = successful(response);
  try {
    await checkRequest(options.request, options.certificate, options.issuer);
    const signer = await authenticate(basic, options, now, skewMs);
    const single = await findSingle(basic, options.certificate, options.issuer);
    checkCriticalExtensions(basic, single);
    checkNonce(basic, options.request);
    checkFreshness(single, now, skewMs, options.maxAgeMs ?? DEFAULT_OCSP_MAX_AGE_MS);
    const verdict: OcspVerdict = {
      status: single.status,
      thisUpdate: single.thisUpdate,
      producedAt: basic.producedAt,
      responder: signer.responder,
      responderSubject: signer.cert.subject.text,
      message: describe(single, signer, basic.producedAt),
    };
    if (single.nextUpdate) verdict.nextUpdate = single.nextUpdate;
    if (single.revocationTime) verdict.revocationTime = single.revocationTime;
    if (single.revocationReason !== undefined) verdict.reason = single.revocationReason;
    return verdict;
  } catch (e) {
    if (e instanceof SmimeError) throw e;
    throw new FormatError(
      'malformed-ocsp',
      `the OCSP response cannot be checked: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}
