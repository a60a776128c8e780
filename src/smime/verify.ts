/**
 * `verifyMessage`: finds every S/MIME signature in a message from its raw
 * bytes (multipart/signed, application/pkcs7-mime signed-data, the old
 * x-pkcs7-* types, nested signatures, a signed part a mailing list wrapped
 * into multipart/mixed), hashes exactly the signed bytes (RFC 8551 §3.1.1:
 * canonical CRLF form, so LF-only storage is tolerated), verifies every
 * SignerInfo and validates each signer certificate through the trust layer.
 */
import { ArgumentError, FormatError, SmimeError } from '../errors.js';
import { bytesEqual, toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { parseSignedData, type SignedData } from '../cms/signed-data.js';
import { verifySignedData, type SignerCheck, type SignerProblem } from '../cms/verify-signed-data.js';
import type { CmsLimits } from '../cms/limits.js';
import { decodedBody, entityBytes, parseMime, type MimeEntity, type MimeParseOptions } from '../mime/entity.js';
import { toCrlf } from '../mime/canonical.js';
import { getHeader, parseAddresses } from '../mime/headers.js';
import { validateCertificate } from '../trust/validate.js';
import { parseCertificate } from '../trust/certificate.js';
import { certificateEmails, emailsMatch } from '../trust/smime-rules.js';
import { parseCertificates as trustParseCertificates, type TrustList } from '../trust/trust-list.js';
import type { RevocationMode, ValidationOptions } from '../trust/options.js';
import type { Crl } from '../trust/crl.js';
import type { Coverage, ReportProblem, SignedLayer, SignerReport, VerifyReport } from './report.js';

export interface VerifyMessageOptions {
  /** Trust anchors for the signer certificates. */
  trust: TrustList;
  /** Validation time (default now). Use the time the message was received for old mail, never its own Date. */
  at?: Date;
  /** The From address: each signer certificate must be for it (RFC 8550 §3). */
  from?: string;
  /** Extra certificates (DER or PEM bytes) to find signers and build chains when the message lacks them. */
  certificates?: readonly (BytesLike | string)[];
  /** CRLs for revocation checking of the signer chains. */
  crls?: readonly (BytesLike | string | Crl)[];
  /** Accept SHA-1/MD5/DSA signatures and weak certificates (to read old mail). Default false. */
  allowWeak?: boolean;
  /**
   * Also use the CRLs carried inside the SignedData for revocation checking. Default false, like
   * OpenSSL and mail clients: only CRLs from `crls` and the trust list count.
   */
  useMessageCrls?: boolean;
  /** Revocation mode of the chain validation (default `prefer`). */
  revocation?: RevocationMode;
  /** Further options for `validateCertificate` (EKU rules, policies, fetchers, ...). */
  validation?: Partial<Omit<ValidationOptions, 'trust' | 'at' | 'email' | 'purpose'>>;
  /** Limits for CMS parsing (default 256 MiB, 1 000 000 nodes) and MIME parsing. */
  limits?: CmsLimits & MimeParseOptions;
  /** Deepest nesting of signed layers followed (default 8). */
  maxLayers?: number;
  /**
   * Called for an application/pkcs7-mime entity that is not signed-data (e.g. enveloped-data);
   * return the inner entity's bytes to keep looking for signatures inside, or undefined.
   */
  unwrap?: (entity: MimeEntity) => Promise<Uint8Array | undefined>;
}

/** Options of `verifySignedContent` (a bare CMS SignedData, not MIME). */
export interface VerifyCmsOptions extends Omit<VerifyMessageOptions, 'unwrap' | 'maxLayers'> {
  /** Content of a detached signature, verified byte for byte (no canonicalization). */
  content?: BytesLike;
}

const SIGNATURE_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);
const MIME_TYPES = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);

interface Found {
  entity: MimeEntity;
  path: string;
}

interface Context {
  options: VerifyMessageOptions;
  extraCerts: Uint8Array[];
  layers: SignedLayer[];
  signers: SignerReport[];
  problems: ReportProblem[];
  warnings: ReportProblem[];
  /**
   * Signed parts may be hashed as received (not CRLF-canonicalized) only on
   * binary transports: AS2 over HTTP (RFC 4130) or parts declared
   * `Content-Transfer-Encoding: binary`. For mail, a signature over bare-LF
   * text is not an S/MIME signature (RFC 8551 §3.1.1) and must fail.
   */
  binaryTransport: boolean;
}

/** Route notation of expected.json: `/` the message, `/2` its 2nd part, `/signed` the content of a multipart/signed, `/1/opaque` ... */
function joinPath(path: string, step: string | number): string {
  return path === '/' ? `/${step}` : `${path}/${step}`;
}

function describePath(path: string): string {
  return path === '/' ? 'the whole message' : `part ${path}`;
}

function isOpaqueSigned(e: MimeEntity): boolean {
  const ct = e.contentType;
  const smimeType = (ct.params['smime-type'] ?? '').toLowerCase();
  if (MIME_TYPES.has(ct.mediaType)) return smimeType === '' || smimeType === 'signed-data';
  // Some clients send application/octet-stream with a .p7m name.
  if (ct.mediaType === 'application/octet-stream') {
    const name = (ct.params.name ?? getHeader(e.headers, 'content-disposition') ?? '').toLowerCase();
    return /\.p7m\b/.test(name) && (smimeType === '' || smimeType === 'signed-data');
  }
  return false;
}

function isDetachedSigned(e: MimeEntity): boolean {
  if (e.contentType.mediaType !== 'multipart/signed') return false;
  const protocol = (e.contentType.params.protocol ?? '').toLowerCase();
  return protocol === '' || SIGNATURE_TYPES.has(protocol);
}

/**
 * The outermost signed entities below `e` (also inside attached messages), and the
 * paths of the leaf parts no signature covers.
 */
function findSigned(e: MimeEntity, path: string, out: Found[], unsigned: string[], attached = 0): void {
  if (isDetachedSigned(e) || isOpaqueSigned(e) || (MIME_TYPES.has(e.contentType.mediaType) && e.contentType.params['smime-type'] !== 'certs-only')) {
    out.push({ entity: e, path });
    return;
  }
  if (e.children.length > 0) {
    e.children.forEach((c, i) => findSigned(c, joinPath(path, i + 1), out, unsigned, attached));
    return;
  }
  // A forwarded or list-wrapped message (message/rfc822) may itself be signed: report it as a nested layer.
  // Bounded: every attached message restarts the parser's own depth count.
  if (e.contentType.mediaType === 'message/rfc822' && attached < 8) {
    let inner: MimeEntity | undefined;
    try {
      inner = parseMime(decodedBody(e));
    } catch {
      inner = undefined;
    }
    if (inner) {
      const before = out.length;
      const innerUnsigned: string[] = [];
      findSigned(inner, joinPath(path, 'rfc822'), out, innerUnsigned, attached + 1);
      if (out.length > before) {
        unsigned.push(...innerUnsigned);
        return;
      }
    }
  }
  unsigned.push(path);
}

function firstEmail(der: Uint8Array): { subject?: string; email?: string; commonName?: string } {
  try {
    const cert = parseCertificate(der);
    const emails = certificateEmails(cert);
    const cn = cert.subject.rdns.flat().find((a) => a.oid === '2.5.4.3')?.value;
    return { subject: cert.subject.text, ...(emails[0] ? { email: emails[0] } : {}), ...(cn ? { commonName: cn } : {}) };
  } catch {
    return {};
  }
}

async function reportSigners(ctx: Context, sd: SignedData, checks: SignerCheck[], layerIndex: number): Promise<number[]> {
  const { options } = ctx;
  const indexes: number[] = [];
  for (const check of checks) {
    const report: SignerReport = {
      layer: layerIndex,
      signatureValid: check.signatureValid,
      algorithms: check.algorithms,
      problems: [...check.problems],
    };
    if (check.signingTime) report.signingTime = check.signingTime;
    if (check.capabilities) report.capabilities = check.capabilities;
    if (check.encryptionCertificate) report.encryptionCertificate = check.encryptionCertificate;
    if (check.countersignatures) {
      report.countersignatures = check.countersignatures.map((c) => ({
        signatureValid: c.signatureValid,
        problems: c.problems,
        ...(c.certificate ? { certificate: c.certificate } : {}),
        ...(c.signingTime ? { signingTime: c.signingTime } : {}),
      }));
    }
    if (check.certificate) {
      report.certificate = check.certificate;
      Object.assign(report, firstEmail(check.certificate));
      try {
        const validation: ValidationOptions = {
          ...(options.validation ?? {}),
          trust: options.trust,
          intermediates: [...sd.certificates, ...ctx.extraCerts],
          crls: [...(options.crls ?? []), ...(options.useMessageCrls ? sd.crls : [])],
          purpose: 'sign',
          allowWeak: options.allowWeak ?? false,
          ...(options.at ? { at: options.at } : {}),
          ...(options.from !== undefined ? { email: options.from } : {}),
          ...(options.revocation ? { revocation: options.revocation } : {}),
        };
        report.chain = await validateCertificate(check.certificate, validation);
        for (const p of report.chain.problems) report.problems.push({ code: p.code, message: p.certificate ? `${p.certificate.subject}: ${p.message}` : p.message });
      } catch (e) {
        if (!(e instanceof SmimeError)) throw e;
        report.problems.push({ code: e.code, message: `the signer certificate cannot be validated: ${e.message}` });
      }
    }
    indexes.push(ctx.signers.length);
    ctx.signers.push(report);
  }
  if (checks.length === 0) ctx.problems.push({ code: 'no-signers', message: 'the signed-data has no SignerInfo (a certs-only message is not a signature)' });
  return indexes;
}

async function verifyMultipartSigned(ctx: Context, found: Found): Promise<Uint8Array> {
  const { entity, path } = found;
  const [part, sigPart] = entity.children;
  if (!part || !sigPart) throw new FormatError('malformed-smime', `multipart/signed at ${describePath(path)} needs the signed part and the signature part`);
  // RFC 1847 §2.1: exactly two parts. A third part would be shown by mail clients but is covered by no signature.
  if (entity.children.length !== 2) {
    throw new FormatError('malformed-smime', `multipart/signed at ${describePath(path)} has ${entity.children.length} parts; it must have exactly two (the signed part and the signature)`);
  }
  const sigType = sigPart.contentType.mediaType;
  if (!SIGNATURE_TYPES.has(sigType) && sigType !== 'application/octet-stream') {
    throw new FormatError('malformed-smime', `the signature part of the multipart/signed at ${describePath(path)} is ${sigType}, not application/pkcs7-signature`);
  }
  const raw = entityBytes(part);
  const canonical = toCrlf(raw);
  const sd = parseSignedData(decodedBody(sigPart), ctx.options.limits);
  const embedded = sd.content;
  const detachedSd: SignedData = { ...sd };
  delete detachedSd.content;
  const certs = { certificates: ctx.extraCerts, allowWeak: ctx.options.allowWeak ?? false };
  let content = canonical;
  let checks = await verifySignedData(detachedSd, { ...certs, content });
  // RFC 8551 asks for canonical form, but a binary (AS2) part is signed as it is.
  const binary = ctx.binaryTransport || /^\s*binary\s*$/i.test(getHeader(part.headers, 'content-transfer-encoding') ?? '');
  if (binary && canonical !== raw && checks.some((c) => c.problems.some((p) => p.code === 'digest-mismatch'))) {
    const rawChecks = await verifySignedData(detachedSd, { ...certs, content: raw });
    if (rawChecks.every((c) => c.signatureValid)) {
      checks = rawChecks;
      content = raw;
    }
  }
  if (embedded && !bytesEqual(embedded, content)) {
    for (const c of checks) {
      if (c.signatureValid) continue;
      c.problems.unshift({ code: 'content-mismatch', message: 'the signature carries different content than the displayed signed part; the displayed part is not what was signed' });
    }
  }
  const layer: SignedLayer = { kind: 'multipart-signed', path, content, signers: [], certificates: sd.certificates };
  if (entity.contentType.params.micalg) layer.micalg = entity.contentType.params.micalg;
  ctx.layers.push(layer);
  layer.signers = await reportSigners(ctx, sd, checks, ctx.layers.length - 1);
  checkMicalg(ctx, layer, checks);
  return content;
}

const MICALG: Record<string, string> = { 'SHA-1': 'sha-1', 'SHA-224': 'sha-224', 'SHA-256': 'sha-256', 'SHA-384': 'sha-384', 'SHA-512': 'sha-512', MD5: 'md5' };

function checkMicalg(ctx: Context, layer: SignedLayer, checks: SignerCheck[]): void {
  if (!layer.micalg) return;
  const stated = layer.micalg.toLowerCase().split(',').map((s) => s.trim().replace(/^sha(\d)/, 'sha-$1'));
  const used = checks.map((c) => MICALG[c.algorithms.digest]).filter((x): x is string => !!x);
  if (used.some((u) => !stated.includes(u))) {
    ctx.warnings.push({ code: 'micalg-mismatch', message: `micalg=${layer.micalg} does not name the digest used (${used.join(', ')}); the signature itself is unaffected` });
  }
}

/**
 * Verifies an application/pkcs7-mime entity. `descend` is false when the content was already searched (unwrapped
 * layers); `signed` is false for a layer that is not signed-data (unwrapped or left closed): `coverage` then says
 * what, inside an unwrapped layer, is signed.
 */
async function verifyOpaque(
  ctx: Context,
  found: Found,
  depth: number,
): Promise<{ content: Uint8Array | undefined; descend: boolean; signed: boolean; coverage?: Coverage }> {
  const { entity, path } = found;
  const smimeType = (entity.contentType.params['smime-type'] ?? '').toLowerCase();
  const body = decodedBody(entity);
  let sd: SignedData;
  try {
    sd = parseSignedData(body, ctx.options.limits);
  } catch (e) {
    if (e instanceof FormatError && e.code === 'not-signed-data' && smimeType !== 'signed-data') {
      // enveloped-data & co.: not ours to open; a caller may unwrap it.
      const inner = ctx.options.unwrap ? await ctx.options.unwrap(entity) : undefined;
      if (inner) {
        const coverage: Coverage = { complete: false, signedParts: [], unsignedParts: [] };
        return { content: await walk(ctx, inner, joinPath(path, 'enveloped'), depth + 1, coverage), descend: false, signed: false, coverage };
      }
      ctx.warnings.push({ code: 'not-verified-layer', message: `${describePath(path)} is ${smimeType || entity.contentType.mediaType} and was not opened` });
      return { content: undefined, descend: false, signed: false };
    }
    throw e;
  }
  const checks = await verifySignedData(sd, { certificates: ctx.extraCerts, allowWeak: ctx.options.allowWeak ?? false });
  const layer: SignedLayer = { kind: 'opaque', path, content: sd.content ?? new Uint8Array(), signers: [], certificates: sd.certificates };
  ctx.layers.push(layer);
  layer.signers = await reportSigners(ctx, sd, checks, ctx.layers.length - 1);
  return { content: sd.content, descend: true, signed: true };
}

/** Verifies the signed entities reachable from `bytes`; returns the innermost verified content. */
async function walk(ctx: Context, bytes: Uint8Array, basePath: string, depth = 0, coverage?: Coverage): Promise<Uint8Array | undefined> {
  const max = ctx.options.maxLayers ?? 8;
  if (depth >= max) {
    ctx.warnings.push({ code: 'too-many-layers', message: `more than ${max} nested signed layers; the inner ones were not examined` });
    return undefined;
  }
  let root: MimeEntity;
  try {
    root = parseMime(bytes, ctx.options.limits);
  } catch (e) {
    if (depth > 0 && e instanceof FormatError) return undefined; // signed content that is not MIME
    throw e;
  }
  const found: Found[] = [];
  const unsigned: string[] = [];
  findSigned(root, basePath, found, unsigned);
  // What the signatures cover. A pkcs7-mime layer that is not signed-data (enveloped, compressed) is not a signed
  // part: left closed it is unsigned; unwrapped, what is signed inside it counts.
  const signedParts: string[] = [];
  let wholeCovered = false;
  let innermost: Uint8Array | undefined;
  for (const f of found) {
    const path = f.path;
    let content: Uint8Array | undefined;
    let descend = true;
    try {
      if (isDetachedSigned(f.entity)) {
        content = await verifyMultipartSigned(ctx, { entity: f.entity, path });
        signedParts.push(path);
        wholeCovered = path === basePath;
      } else {
        const opened = await verifyOpaque(ctx, { entity: f.entity, path }, depth);
        ({ content, descend } = opened);
        if (opened.signed) {
          signedParts.push(path);
          wholeCovered = path === basePath;
        } else if (opened.coverage && opened.coverage.signedParts.length > 0) {
          signedParts.push(...opened.coverage.signedParts);
          unsigned.push(...opened.coverage.unsignedParts);
          wholeCovered = path === basePath && opened.coverage.complete;
        } else unsigned.push(path);
      }
    } catch (e) {
      // A broken inner layer must not hide the result of the layers around it.
      if (depth === 0 || !(e instanceof FormatError)) throw e;
      signedParts.push(path);
      ctx.problems.push({ code: e.code, message: `the signed layer at ${describePath(path)} is unreadable: ${e.message}` });
      continue;
    }
    if (content === undefined) continue;
    innermost = content;
    if (!descend) continue;
    const inner = await walk(ctx, content, joinPath(path, isDetachedSigned(f.entity) ? 'signed' : 'opaque'), depth + 1);
    if (inner !== undefined) innermost = inner;
  }
  if (coverage) {
    coverage.signedParts = signedParts;
    coverage.unsignedParts = signedParts.length ? unsigned : [];
    coverage.complete = found.length === 1 && signedParts.length > 0 && wholeCovered && unsigned.length === 0;
  }
  return innermost;
}

function loadExtraCerts(inputs: readonly (BytesLike | string)[] | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const input of inputs ?? []) {
    const bytes = typeof input === 'string' ? utf8(input) : toBytes(input, 'certificate');
    // Reuse the trust layer's loader: PEM bundles, DER, PKCS#7 and SST all work.
    for (const c of parseCertificatesLenient(bytes)) out.push(c);
  }
  return out;
}

function parseCertificatesLenient(bytes: Uint8Array): Uint8Array[] {
  try {
    return trustParseCertificates([bytes]).map((c) => c.der);
  } catch (e) {
    if (e instanceof SmimeError) throw new FormatError(e.code, `cannot read the extra certificates: ${e.message}`);
    throw e;
  }
}

function finish(ctx: Context, content: Uint8Array, coverage: Coverage): VerifyReport {
  const problems: ReportProblem[] = [...ctx.problems];
  ctx.signers.forEach((s, i) => {
    for (const p of s.problems) problems.push({ ...p, signer: i });
    if (s.problems.length === 0 && !s.signatureValid) problems.push({ code: 'bad-signature', message: 'the signature does not verify', signer: i });
  });
  if (ctx.signers.length === 0 && problems.length === 0) problems.push({ code: 'no-signers', message: 'no signer found' });
  if (!coverage.complete && coverage.unsignedParts.length > 0) {
    ctx.warnings.push({
      code: 'partially-signed',
      message: `the signature covers ${coverage.signedParts.map(describePath).join(', ')} only; part(s) ${coverage.unsignedParts.join(', ')} (e.g. a mailing-list footer) are not covered`,
    });
  }
  const ok = problems.length === 0 && ctx.signers.length > 0 && ctx.signers.every((s) => s.signatureValid && s.chain?.valid === true);
  return { ok, signers: ctx.signers, layers: ctx.layers, content, coverage, problems, warnings: ctx.warnings };
}

function newContext(options: VerifyMessageOptions): Context {
  if (!options || typeof options !== 'object' || !options.trust) throw new ArgumentError('bad-argument', 'verifyMessage needs options.trust (a TrustList)');
  if (options.at !== undefined && (!(options.at instanceof Date) || Number.isNaN(options.at.getTime()))) throw new ArgumentError('bad-argument', 'options.at must be a valid Date');
  const extraCerts = [...loadExtraCerts(options.certificates), ...options.trust.anchors.map((a) => a.certificate.der)];
  return { options, extraCerts, layers: [], signers: [], problems: [], warnings: [], binaryTransport: false };
}

/**
 * Verifies an S/MIME message from its raw bytes.
 *
 * @returns the report; `ok` is true only when every signature verifies and every signer certificate validates.
 * @throws {FormatError} `not-signed` when the message has no S/MIME signature; `malformed-cms`, `malformed-smime` for broken structures
 * @throws {ArgumentError} `bad-argument` without `options.trust`
 * @example
 * ```ts
 * const trust = TrustList.fromBytes(await readFile('roots.pem'));
 * const report = await verifyMessage(eml, { trust, from: 'alice@example.com' });
 * if (report.ok) show(report.content);
 * else console.log(report.problems[0]?.code); // e.g. 'digest-mismatch', 'expired'
 * ```
 */
export async function verifyMessage(mime: BytesLike | string, options: VerifyMessageOptions): Promise<VerifyReport> {
  const ctx = newContext(options);
  const bytes = typeof mime === 'string' ? utf8(mime) : toBytes(mime, 'message');
  ctx.binaryTransport = isAs2(bytes);
  const coverage: Coverage = { complete: false, signedParts: [], unsignedParts: [] };
  const content = await walk(ctx, bytes, '/', 0, coverage);
  if (ctx.layers.length === 0) throw new FormatError('not-signed', 'the message has no S/MIME signature');
  const from = fromAddress(bytes);
  if (from && options.from === undefined) {
    for (const s of ctx.signers) {
      if (s.certificate && s.layer === 0 && s.email !== undefined && !certEmailsInclude(s.certificate, from)) {
        ctx.warnings.push({ code: 'from-mismatch', message: `the From address ${from} is not in the signer certificate (${s.email}); pass from to enforce it` });
      }
    }
  }
  return finish(ctx, content ?? ctx.layers[ctx.layers.length - 1]!.content, coverage);
}

/** AS2 (EDIINT over HTTP) messages carry AS2-Version / AS2-From headers; their content travels as binary. */
function isAs2(bytes: Uint8Array): boolean {
  try {
    return parseMime(bytes).headers.some((h) => /^as2-(version|from|to)$/i.test(h.name));
  } catch {
    return false;
  }
}

function fromAddress(bytes: Uint8Array): string | undefined {
  try {
    return parseAddresses(getHeader(parseMime(bytes).headers, 'from'))[0];
  } catch {
    return undefined;
  }
}

function certEmailsInclude(der: Uint8Array, email: string): boolean {
  try {
    return certificateEmails(parseCertificate(der)).some((e) => emailsMatch(e, email));
  } catch {
    return false;
  }
}

/**
 * Verifies a bare CMS SignedData (DER, BER or PEM) with the same report as
 * `verifyMessage`: for `.p7m`/`.p7s` files and protocols other than mail (AS2).
 *
 * @example
 * ```ts
 * const report = await verifySignedContent(p7s, { trust, content: fileBytes });
 * ```
 */
export async function verifySignedContent(cms: BytesLike | string, options: VerifyCmsOptions): Promise<VerifyReport> {
  const ctx = newContext(options);
  const bytes = typeof cms === 'string' ? utf8(cms) : toBytes(cms, 'CMS data');
  const sd = parseSignedData(bytes, options.limits);
  const detached = options.content === undefined ? undefined : toBytes(options.content, 'content');
  const checks = await verifySignedData(sd, { certificates: ctx.extraCerts, allowWeak: options.allowWeak ?? false, ...(detached ? { content: detached } : {}) });
  const content = sd.content ?? detached ?? new Uint8Array();
  const layer: SignedLayer = { kind: 'cms', path: '/', content, signers: [], certificates: sd.certificates };
  ctx.layers.push(layer);
  layer.signers = await reportSigners(ctx, sd, checks, 0);
  return finish(ctx, content, { complete: true, signedParts: ['/'], unsignedParts: [] });
}

export type { SignerProblem };

/**
 * Verifies a detached signature (a `.p7s` saved on its own, or made by another tool) over content given
 * separately: the same report as `verifyMessage`. The content is hashed exactly as given (no MIME
 * canonicalisation), as `openssl cms -verify -binary -content FILE` does.
 *
 * @example
 * ```ts
 * const report = await verifyDetached(await readFile('contract.pdf'), await readFile('contract.pdf.p7s'), { trust });
 * ```
 */
export async function verifyDetached(content: BytesLike, signature: BytesLike | string, options: Omit<VerifyCmsOptions, 'content'>): Promise<VerifyReport> {
  return verifySignedContent(signature, { ...options, content: toBytes(content, 'content') });
}
