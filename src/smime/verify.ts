/**
 * `verifyMessage`: finds every S/MIME signature in a message from its raw
 * bytes (multipart/signed, application/pkcs7-mime signed-data, the old
 * x-pkcs7-* types, nested signatures, a signed part a mailing list wrapped
 * into multipart/mixed), hashes exactly the signed bytes (RFC 8551 §3.1.1:
 * canonical CRLF form, so LF-only storage is tolerated), verifies every
 * SignerInfo and validates each signer certificate through the trust layer.
 * The layers are found by the walker shared with `readMessage` and
 * `decryptMessage` (layers.ts).
 */
import { ArgumentError, FormatError } from '../errors.js';
import { toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { parseSignedData } from '../cms/signed-data.js';
import { verifySignedData } from '../cms/verify-signed-data.js';
import type { MimeEntity } from '../mime/entity.js';
import type { TrustList } from '../trust/trust-list.js';
import type { RevocationSetting, ValidationOptions } from '../trust/options.js';
import { LAYER_SELECTION, beginsLikeRawCms } from './classify.js';
import {
  DEFAULT_MAX_LAYERS,
  parseLayerMime,
  walkLayers,
  type LayerVisitor,
  type SmimeLayerOptions,
  type WalkStart,
} from './layers.js';
import {
  describePath,
  isAs2Message,
  loadExtraCerts,
  reportSigners,
  verifyMultipartSigned,
  verifyOpaque,
  type VerifyContext,
} from './verify-layer.js';
import type { Coverage, ReportProblem, SignedLayer, VerifyReport } from './report.js';
import { checkSender, messageSignedLayers, senderCopy, type SenderFindings } from './sender.js';
import { verifyHeaderProtection } from './header-protection-read.js';

/** Options of `verifyMessage`: the shared vocabulary of `SmimeLayerOptions` (with `trust` required) and verify's own. */
export interface VerifyMessageOptions extends SmimeLayerOptions {
  /** Trust anchors for the signer certificates. */
  trust: TrustList;
  /**
   * Extra certificates (DER or PEM bytes) to find signers and build chains.
   *
   * @deprecated Use `intermediates` (the name `readMessage` uses too); both are honoured, `intermediates` first.
   */
  certificates?: readonly (BytesLike | string)[];
  /**
   * Also use the CRLs carried inside the SignedData for revocation checking. Default false, like
   * OpenSSL and mail clients: only CRLs from `crls` and the trust list count.
   */
  useMessageCrls?: boolean;
  /** Revocation mode of the chain validation (default `prefer`), or a mode with online sources (docs/revocation.md). */
  revocation?: RevocationSetting;
  /** Further options for `validateCertificate` (EKU rules, policies, fetchers, ...). */
  validation?: Partial<Omit<ValidationOptions, 'trust' | 'at' | 'email' | 'purpose'>>;
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

/** The walker's view of verification: every signed layer anywhere in the tree, verified where it is found. */
function verifyVisitor(ctx: VerifyContext, startDepth: number): LayerVisitor {
  return {
    scope: 'tree',
    rawCms: true,
    select: LAYER_SELECTION.verify,
    async visit(target) {
      if (target.type.form !== 'multipart-signed') return verifyOpaque(ctx, target);
      const content = await verifyMultipartSigned(ctx, target.entity!, target.path);
      return { kind: 'multipart-signed', content, signed: true, next: 'signed' };
    },
    tooDeep(max) {
      ctx.warnings.push({
        code: 'too-many-layers',
        message: `more than ${max} nested signed layers; the inner ones were not examined`,
      });
    },
    // Signed content that is not MIME.
    notMime: (_e, depth) => depth > startDepth,
    failed(e, target) {
      // A broken inner layer must not hide the result of the layers around it.
      if (target.depth === startDepth || !(e instanceof FormatError)) return false;
      ctx.problems.push({
        code: e.code,
        message: `the signed layer at ${describePath(target.path)} is unreadable: ${e.message}`,
      });
      return true;
    },
  };
}

export function finish(
  ctx: VerifyContext,
  content: Uint8Array,
  coverage: Coverage,
  sender?: SenderFindings,
): VerifyReport {
  const problems: ReportProblem[] = [...ctx.problems];
  ctx.signers.forEach((s, i) => {
    for (const p of s.problems) problems.push({ ...p, signer: i });
    if (s.problems.length === 0 && !s.signatureValid)
      problems.push({ code: 'bad-signature', message: 'the signature does not verify', signer: i });
  });
  if (ctx.signers.length === 0 && problems.length === 0)
    problems.push({ code: 'no-signers', message: 'no signer found' });
  if (!coverage.complete) (ctx.options.allowPartial ? ctx.warnings : problems).push(partiallySigned(coverage));
  if (sender) {
    problems.push(...sender.problems);
    ctx.warnings.push(...sender.warnings);
  }
  const ok =
    problems.length === 0 &&
    ctx.signers.length > 0 &&
    ctx.signers.every((s) => s.signatureValid && s.chain?.valid === true);
  return { ok, signers: ctx.signers, layers: ctx.layers, content, coverage, problems, warnings: ctx.warnings };
}

/** `partially-signed`: no one signature covers the whole message (issue #14: not "verified" by default). */
function partiallySigned(coverage: Coverage): ReportProblem {
  const signed = coverage.signedParts.map(describePath).join(', ') || 'no part';
  const unsigned = coverage.unsigned.map((p) => `${p.path} (${p.contentType})`).join(', ');
  return {
    code: 'partially-signed',
    message: unsigned
      ? `the signature covers ${signed} only; not covered: ${unsigned} (e.g. a mailing-list footer, or parts added by someone else)`
      : `no one signature covers the whole message: ${signed} ${coverage.signedParts.length > 1 ? 'are signed separately' : 'is signed, not the message around it'}`,
  };
}

export function newContext(options: VerifyMessageOptions): VerifyContext {
  if (!options || typeof options !== 'object' || !options.trust)
    throw new ArgumentError('bad-argument', 'verifyMessage needs options.trust (a TrustList)');
  if (options.at !== undefined && (!(options.at instanceof Date) || Number.isNaN(options.at.getTime())))
    throw new ArgumentError('bad-argument', 'options.at must be a valid Date');
  const extra = [...(options.intermediates ?? []), ...(options.certificates ?? [])];
  const extraCerts = [...loadExtraCerts(extra), ...options.trust.anchors.map((a) => a.certificate.der)];
  return { options, extraCerts, layers: [], signers: [], problems: [], warnings: [], binaryTransport: false };
}

/** What `verifyMessage` found, with where the verified content sits (for `readMessage`). */
export interface VerifiedTree {
  report: VerifyReport;
  /** Path of `report.content` relative to the walk's start. */
  contentPath: string;
}

/**
 * `verifyMessage` on bytes whose top level may already be parsed (with the same limits): one MIME parse per
 * level. `start.depth` counts layers above (against `maxLayers`); report paths are relative to `bytes`.
 * `start.checkSender: false` leaves the sender check to the caller (`readMessage` checks the whole message).
 */
export async function verifyTree(
  bytes: Uint8Array,
  options: VerifyMessageOptions,
  start: Omit<WalkStart, 'path'> & { checkSender?: boolean } = { depth: 0 },
): Promise<VerifiedTree> {
  const ctx = newContext(options);
  let root = start.root;
  // Raw CMS (a .p7m file) is left to the walk, which opens it as readMessage and verifyMessageStream do.
  if (!root && start.depth < (options.maxLayers ?? DEFAULT_MAX_LAYERS) && !beginsLikeRawCms(bytes))
    root = parseLayerMime(bytes, options.limits);
  ctx.binaryTransport = root ? isAs2Message(root.headers) : false;
  const walked = await walkLayers(bytes, verifyVisitor(ctx, start.depth), options, {
    depth: start.depth,
    path: '/',
    ...(root ? { root } : {}),
  });
  if (ctx.layers.length === 0) throw new FormatError('not-signed', 'the message has no S/MIME signature');
  const last = ctx.layers[ctx.layers.length - 1]!;
  const content = walked.innermost ?? last.content;
  let sender: SenderFindings | undefined;
  if (start.checkSender !== false) {
    const own = messageSignedLayers(ctx.layers, ctx.signers);
    const outer = root ? senderCopy(root.headers, 'the From/Sender header') : undefined;
    sender = checkSender([...(outer ? [outer] : []), ...own.copies], own.signers, {
      allowMismatch: options.allowSenderMismatch ?? false,
      from: options.from,
    });
  }
  return {
    report: finish(ctx, content, walked.coverage, sender),
    contentPath: walked.innermost !== undefined ? walked.innermostPath! : last.path,
  };
}

/**
 * Verifies an S/MIME message from its raw bytes.
 *
 * @returns the report; `ok` is true only when every signature verifies and every signer certificate validates.
 * @throws {FormatError} `not-signed` when the message has no S/MIME signature; `malformed-cms`, `malformed-smime` for broken structures;
 *   {LimitError} `mime-limit-exceeded` when a level of the message exceeds `limits` (`maxDepth`, `maxParts`)
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
  const bytes = typeof mime === 'string' ? utf8(mime) : toBytes(mime, 'message');
  return verifyHeaderProtection((await verifyTree(bytes, options)).report, bytes, options.limits);
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
  const checks = await verifySignedData(sd, {
    certificates: ctx.extraCerts,
    allowWeak: options.allowWeak ?? false,
    ...(detached ? { content: detached } : {}),
  });
  const content = sd.content ?? detached ?? new Uint8Array();
  const layer: SignedLayer = { kind: 'cms', path: '/', content, signers: [], certificates: sd.certificates };
  ctx.layers.push(layer);
  layer.signers = await reportSigners(ctx, sd, checks, 0);
  options.onLayer?.({ kind: 'signed-data', path: '/', depth: 0 });
  // A bare SignedData has no headers: there is no sender to compare (the caller may pass `from`).
  return finish(ctx, content, { complete: true, signedParts: ['/'], unsignedParts: [], unsigned: [] });
}

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
export async function verifyDetached(
  content: BytesLike,
  signature: BytesLike | string,
  options: Omit<VerifyCmsOptions, 'content'>,
): Promise<VerifyReport> {
  return verifySignedContent(signature, { ...options, content: toBytes(content, 'content') });
}
