/**
 * One signed layer of `verifyMessage`: verifies a multipart/signed or an
 * opaque SignedData, validates each signer certificate through the trust
 * layer and records the layer and its signers in the report being built.
 */
import { FormatError, SmimeError } from '../errors.js';
import { bytesEqual, toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { parseSignedData, type SignedData } from '../cms/signed-data.js';
import type { CmsLimits } from '../cms/limits.js';
import { verifySignedData, type SignerCheck } from '../cms/verify-signed-data.js';
import type { SignerProblem } from '../cms/signer-check.js';
import { parseContentInfo } from '../cms/content-info.js';
import { decodedBody, entityBytes, type MimeEntity } from '../mime/entity.js';
import { toCrlf } from '../mime/canonical.js';
import { getHeader, type MimeHeader } from '../mime/headers.js';
import { validateCertificate } from '../trust/validate.js';
import { parseCertificate } from '../x509/certificate.js';
import { certificateEmails } from '../trust/smime-rules.js';
import { parseCertificates as trustParseCertificates } from '../trust/trust-list.js';
import type { ValidationOptions } from '../trust/options.js';
import { layerKindOf } from './classify.js';
import type { LayerStep, LayerTarget } from './layers.js';
import type { ReportProblem, SignedLayer, SignerReport } from './report.js';
import type { VerifyMessageOptions } from './verify.js';

const SIGNATURE_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

/** The report being built by one verification. */
export interface VerifyContext {
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

export function describePath(path: string): string {
  return path === '/' ? 'the whole message' : `part ${path}`;
}

function firstEmail(der: Uint8Array): { subject?: string; email?: string; commonName?: string } {
  try {
    const cert = parseCertificate(der);
    const emails = certificateEmails(cert);
    const cn = cert.subject.rdns.flat().find((a) => a.oid === '2.5.4.3')?.value;
    return {
      subject: cert.subject.text,
      ...(emails[0] ? { email: emails[0] } : {}),
      ...(cn ? { commonName: cn } : {}),
    };
  } catch {
    return {};
  }
}

export async function reportSigners(
  ctx: VerifyContext,
  sd: SignedData,
  checks: SignerCheck[],
  layerIndex: number,
): Promise<number[]> {
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
        for (const p of report.chain.problems)
          report.problems.push({
            code: p.code,
            message: p.certificate ? `${p.certificate.subject}: ${p.message}` : p.message,
          });
      } catch (e) {
        if (!(e instanceof SmimeError)) throw e;
        report.problems.push({ code: e.code, message: `the signer certificate cannot be validated: ${e.message}` });
      }
    }
    indexes.push(ctx.signers.length);
    ctx.signers.push(report);
  }
  if (checks.length === 0)
    ctx.problems.push({
      code: 'no-signers',
      message: 'the signed-data has no SignerInfo (a certs-only message is not a signature)',
    });
  return indexes;
}

/**
 * The SignedData of a multipart/signed's second part, which must be a signature part (application/pkcs7-signature,
 * or application/octet-stream as some clients label it): the buffered and the streaming verifier both read it here.
 */
export function signaturePartSignedData(sigPart: MimeEntity, path: string, limits?: CmsLimits): SignedData {
  const sigType = sigPart.contentType.mediaType;
  if (!SIGNATURE_TYPES.has(sigType) && sigType !== 'application/octet-stream') {
    throw new FormatError(
      'malformed-smime',
      `the signature part of the multipart/signed at ${describePath(path)} is ${sigType}, not application/pkcs7-signature`,
    );
  }
  return parseSignedData(decodedBody(sigPart), limits);
}

export async function verifyMultipartSigned(ctx: VerifyContext, entity: MimeEntity, path: string): Promise<Uint8Array> {
  const [part, sigPart] = entity.children;
  if (!part || !sigPart)
    throw new FormatError(
      'malformed-smime',
      `multipart/signed at ${describePath(path)} needs the signed part and the signature part`,
    );
  // RFC 1847 §2.1: exactly two parts. A third part would be shown by mail clients but is covered by no signature.
  if (entity.children.length !== 2) {
    throw new FormatError(
      'malformed-smime',
      `multipart/signed at ${describePath(path)} has ${entity.children.length} parts; it must have exactly two (the signed part and the signature)`,
    );
  }
  const raw = entityBytes(part);
  const canonical = toCrlf(raw);
  const sd = signaturePartSignedData(sigPart, path, ctx.options.limits);
  const embedded = sd.content;
  const detachedSd: SignedData = { ...sd };
  delete detachedSd.content;
  const certs = { certificates: ctx.extraCerts, allowWeak: ctx.options.allowWeak ?? false };
  let content = canonical;
  let checks = await verifySignedData(detachedSd, { ...certs, content });
  // RFC 8551 asks for canonical form, but a binary (AS2) part is signed as it is.
  const binary =
    ctx.binaryTransport || /^\s*binary\s*$/i.test(getHeader(part.headers, 'content-transfer-encoding') ?? '');
  if (binary && canonical !== raw && checks.some((c) => c.problems.some((p) => p.code === 'digest-mismatch'))) {
    const rawChecks = await verifySignedData(detachedSd, { ...certs, content: raw });
    if (rawChecks.every((c) => c.signatureValid)) {
      checks = rawChecks;
      content = raw;
    }
  }
  if (embedded && !bytesEqual(embedded, content)) {
    for (const c of checks) {
      if (!c.signatureValid) c.problems.unshift(contentMismatch());
    }
  }
  const layer: SignedLayer = { kind: 'multipart-signed', path, content, signers: [], certificates: sd.certificates };
  if (entity.contentType.params.micalg) layer.micalg = entity.contentType.params.micalg;
  ctx.layers.push(layer);
  layer.signers = await reportSigners(ctx, sd, checks, ctx.layers.length - 1);
  checkMicalg(ctx, layer, checks);
  return content;
}

/** AS2 (EDIINT over HTTP, RFC 4130) messages carry AS2-Version / AS2-From / AS2-To; their content travels as binary. */
export function isAs2Message(headers: readonly MimeHeader[]): boolean {
  return headers.some((h) => /^as2-(version|from|to)$/i.test(h.name));
}

/** A failed detached signature whose SignedData carries another content than the part shown. */
export function contentMismatch(): SignerProblem {
  return {
    code: 'content-mismatch',
    message:
      'the signature carries different content than the displayed signed part; the displayed part is not what was signed',
  };
}

const MICALG: Record<string, string> = {
  'SHA-1': 'sha-1',
  'SHA-224': 'sha-224',
  'SHA-256': 'sha-256',
  'SHA-384': 'sha-384',
  'SHA-512': 'sha-512',
  MD5: 'md5',
};

export function checkMicalg(ctx: VerifyContext, layer: SignedLayer, checks: SignerCheck[]): void {
  if (!layer.micalg) return;
  const stated = layer.micalg
    .toLowerCase()
    .split(',')
    .map((s) => s.trim().replace(/^sha(\d)/, 'sha-$1'));
  const used = checks.map((c) => MICALG[c.algorithms.digest]).filter((x): x is string => !!x);
  if (used.some((u) => !stated.includes(u))) {
    ctx.warnings.push({
      code: 'micalg-mismatch',
      message: `micalg=${layer.micalg} does not name the digest used (${used.join(', ')}); the signature itself is unaffected`,
    });
  }
}

/**
 * Verifies an application/pkcs7-mime entity. A layer that is not signed-data (enveloped, compressed) is handed
 * to the `unwrap` option; left closed, it is noted as not verified.
 */
export async function verifyOpaque(ctx: VerifyContext, target: LayerTarget): Promise<LayerStep> {
  const entity = target.entity;
  // Raw CMS (a .p7m file, DER or PEM) has no entity around it.
  const body = entity ? decodedBody(entity) : target.bytes;
  let sd: SignedData;
  try {
    sd = parseSignedData(body, ctx.options.limits);
  } catch (e) {
    if (e instanceof FormatError && e.code === 'not-signed-data' && target.type.smimeType !== 'signed-data') {
      // enveloped-data & co.: not ours to open; a caller may unwrap it.
      const inner = ctx.options.unwrap && entity ? await ctx.options.unwrap(entity) : undefined;
      if (inner) return { kind: cmsKind(body), content: inner, next: 'enveloped' };
      const what = target.type.smimeType || (entity ? entity.contentType.mediaType : `CMS ${cmsKind(body)}`);
      ctx.warnings.push({
        code: 'not-verified-layer',
        message: `${describePath(target.path)} is ${what} and was not opened`,
      });
      return { kind: 'other' };
    }
    throw e;
  }
  const checks = await verifySignedData(sd, {
    certificates: ctx.extraCerts,
    allowWeak: ctx.options.allowWeak ?? false,
  });
  const layer: SignedLayer = {
    kind: 'opaque',
    path: target.path,
    content: sd.content ?? new Uint8Array(),
    signers: [],
    certificates: sd.certificates,
  };
  ctx.layers.push(layer);
  layer.signers = await reportSigners(ctx, sd, checks, ctx.layers.length - 1);
  return { kind: 'signed-data', ...(sd.content ? { content: sd.content } : {}), signed: true, next: 'opaque' };
}

function cmsKind(body: Uint8Array): LayerStep['kind'] {
  try {
    return layerKindOf(parseContentInfo(body).contentType);
  } catch {
    return 'other';
  }
}

export function loadExtraCerts(inputs: readonly (BytesLike | string)[] | undefined): Uint8Array[] {
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
