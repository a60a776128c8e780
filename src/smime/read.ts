/**
 * `readMessage`: unwraps any nesting of signed, enveloped and compressed
 * S/MIME layers (sign-then-encrypt, encrypt-then-sign, triple wrapping),
 * decrypting with the caller's identities and verifying every signed layer,
 * and reports each layer outermost first.
 */
import { ArgumentError, CryptoError, LimitError, SmimeError } from '../errors.js';
import { toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { CONTENT_TYPE, type ContentInfo } from '../cms/content-info.js';
import { decryptEnvelope, type DecryptedEnvelope } from '../cms/enveloped-decrypt.js';
import { parseEnvelope } from '../cms/enveloped-parse.js';
import { decompressCompressed } from '../cms/compressed.js';
import { TrustList } from '../trust/trust-list.js';
import { verifySignedContent, verifyTree, type VerifyMessageOptions } from './verify.js';
import type { VerifyReport } from './report.js';
import type { DecryptionIdentity, DecryptMessageResult } from './decrypt.js';
import { cmsOfEntity } from './read-cms.js';
import { LAYER_SELECTION, layerKindOf } from './classify.js';
import {
  DEFAULT_MAX_LAYERS,
  joinPath,
  rebasePath,
  walkLayers,
  type LayerStep,
  type LayerTarget,
  type SmimeLayerOptions,
  type WalkedLayer,
} from './layers.js';

/** What a signed-layer verifier reports (see `verifyMessage`). */
export interface SignedLayerVerification {
  /** Every signature valid and every signer certificate validated. */
  ok: boolean;
  /** The verified inner content (what the innermost signature covers). */
  content: Uint8Array;
  /** Signers, outermost first. */
  signers: { subject?: string; email?: string; signatureValid: boolean; chainValid?: boolean }[];
  /** Why `ok` is false (stable codes). */
  problems: { code: string; message: string }[];
  /** Nested signed layers this verification consumed, outermost first (default: one, described by the fields above). */
  layers?: {
    form: 'detached' | 'opaque';
    ok: boolean;
    signers: SignedLayerVerification['signers'];
    problems: SignedLayerVerification['problems'];
  }[];
  /** The verifier's full report. */
  report?: VerifyReport;
}

/** Verifies the signed entity (or raw signed CMS) at the top of `entity`. */
export type SignedLayerVerifier = (
  entity: Uint8Array,
  options: {
    trust?: TrustList;
    at?: Date;
    intermediates?: readonly BytesLike[];
    crls?: readonly BytesLike[];
    allowWeak?: boolean;
    from?: string;
  },
) => Promise<SignedLayerVerification>;

/** Options of `readMessage`: the shared vocabulary of `SmimeLayerOptions` and read's own. */
export interface ReadMessageOptions extends SmimeLayerOptions {
  /** Identities to decrypt with, tried in order. */
  identities?: readonly DecryptionIdentity[];
  /** Extra certificates (DER or PEM bytes) to find signers and build chains. */
  intermediates?: readonly BytesLike[];
  /** CRLs for revocation checking of the signer chains. */
  crls?: readonly BytesLike[];
  /** Try each key on every RecipientInfo (default false). */
  tryAllRecipients?: boolean;
  /**
   * Most layers unwrapped.
   *
   * @deprecated Use `maxLayers` (the name `verifyMessage` uses too); `maxLayers` wins when both are given.
   */
  maxDepth?: number;
  /** Largest decompressed size (default 256 MiB). */
  maxDecompressedSize?: number;
  /** Signed-layer verification (default: `verifyMessage` / `verifySignedContent`). */
  verifier?: SignedLayerVerifier;
}

/** One layer of a message, outermost first. */
export type MessageLayer =
  | ({
      type: 'enveloped';
      /** Which of `identities` decrypted it. */
      identity: number;
    } & Pick<
      DecryptMessageResult,
      | 'envelopeType'
      | 'cipher'
      | 'authenticated'
      | 'legacyGcmInEnvelopedData'
      | 'legacyCipher'
      | 'recipient'
      | 'declaredSmimeType'
    >)
  | {
      type: 'signed';
      form: 'detached' | 'opaque';
      ok: boolean;
      signers: SignedLayerVerification['signers'];
      problems: SignedLayerVerification['problems'];
      report?: VerifyReport;
    }
  | { type: 'compressed' };

/** Result of `readMessage`. */
export interface ReadMessageResult {
  /**
   * True only when the message had at least one signed or enveloped layer and every signed layer verified and
   * validated (an encrypted-only message is ok when it decrypted). Plain mail is never ok: see `unprotected`.
   */
  ok: boolean;
  /**
   * True when the message has no signed or enveloped layer at all (plain or only compressed mail): nothing was
   * checked, so it must not be shown as secure. `ok` is then false and `problems` holds `not-smime`.
   */
  unprotected: boolean;
  /** True when at least one signed layer was found. */
  signed: boolean;
  /** True when at least one enveloped layer was decrypted. */
  encrypted: boolean;
  layers: MessageLayer[];
  /** The innermost content: the entity inside the last layer. */
  content: Uint8Array;
  /** Problems of all signed layers, outermost first. */
  problems: { layer: number; code: string; message: string }[];
}

/**
 * Reads an S/MIME message of any layering. Decryption failures throw (no
 * content can be produced); signature problems are reported with `ok: false`.
 * The layers are found by the walker shared with `verifyMessage` and `decryptMessage` (layers.ts).
 *
 * @throws CryptoError `not-recipient` (no identity is a recipient) /
 *   `decryption-failed`; LimitError `limit-exceeded` (more than `maxLayers` layers or a
 *   decompression bomb), `mime-limit-exceeded` (a level exceeds `limits`); FormatError `malformed-cms`.
 */
export async function readMessage(
  mime: BytesLike | string,
  options: ReadMessageOptions = {},
): Promise<ReadMessageResult> {
  const maxLayers = options.maxLayers ?? options.maxDepth ?? DEFAULT_MAX_LAYERS;
  const bytes = typeof mime === 'string' ? utf8(mime) : toBytes(mime, 'message');
  const state: ReadState = { layers: [], problems: [] };
  const walked = await walkLayers(
    bytes,
    {
      scope: 'top',
      rawCms: true,
      select: LAYER_SELECTION.read,
      tooDeep(max) {
        throw new LimitError('limit-exceeded', `more than ${max} S/MIME layers`, {
          details: { maxDepth: max, maxLayers: max },
        });
      },
      visit: (target) => readLayer(target, options, state, maxLayers),
    },
    { ...options, maxLayers },
  );
  return finish(state.layers, state.problems, walked.end);
}

interface ReadState {
  layers: MessageLayer[];
  problems: ReadMessageResult['problems'];
}

/** Opens one layer: decrypts, decompresses, or verifies (the CMS content type decides, never `smime-type`). */
async function readLayer(
  target: LayerTarget,
  options: ReadMessageOptions,
  state: ReadState,
  maxLayers: number,
): Promise<LayerStep> {
  if (target.type.form === 'multipart-signed') return readSigned(target, 'detached', options, state, maxLayers);
  const cms = target.cms ?? cmsOfEntity(target.entity!);
  const declared = target.entity?.contentType.params['smime-type'];
  switch (cms.contentType) {
    case CONTENT_TYPE.envelopedData:
    case CONTENT_TYPE.authEnvelopedData: {
      const { result, identity } = await decryptWithAny(cms, options);
      state.layers.push({
        type: 'enveloped',
        envelopeType: result.envelopeType,
        cipher: result.cipher,
        authenticated: result.authenticated,
        legacyGcmInEnvelopedData: result.legacyGcmInEnvelopedData,
        legacyCipher: result.legacyCipher,
        recipient: result.recipient,
        identity,
        ...(declared !== undefined ? { declaredSmimeType: declared } : {}),
      });
      return { kind: layerKindOf(cms.contentType), content: result.content, next: 'enveloped' };
    }
    case CONTENT_TYPE.signedData:
      return readSigned(target, 'opaque', options, state, maxLayers);
    case CONTENT_TYPE.compressedData: {
      const out = await decompressCompressed(
        cms,
        options.maxDecompressedSize !== undefined ? { maxSize: options.maxDecompressedSize } : {},
      );
      state.layers.push({ type: 'compressed' });
      return { kind: 'compressed-data', content: out.content, next: 'compressed' };
    }
    default:
      // Not a layer smimekit unwraps: it is the content.
      return { kind: 'other' };
  }
}

/** A signed layer (and the signed layers right inside it the verifier consumed). */
async function readSigned(
  target: LayerTarget,
  form: 'detached' | 'opaque',
  options: ReadMessageOptions,
  state: ReadState,
  maxLayers: number,
): Promise<LayerStep> {
  const kind = form === 'detached' ? 'multipart-signed' : 'signed-data';
  let v: SignedLayerVerification;
  let path = joinPath(target.path, form === 'detached' ? 'signed' : 'opaque');
  if (options.verifier) v = await options.verifier(target.bytes, verifierOptions(options));
  else ({ v, path } = await defaultVerify(target, options, maxLayers));
  pushSigned(state.layers, state.problems, form, v);
  // The default verifier reported its layers through onLayer itself (it walks them).
  return {
    kind,
    content: v.content,
    signed: true,
    consumed: v.layers?.length ? v.layers.length : 1,
    path,
    traced: !options.verifier,
  };
}

function finish(
  layers: MessageLayer[],
  problems: ReadMessageResult['problems'],
  content: Uint8Array,
): ReadMessageResult {
  const unprotected = !layers.some((l) => l.type === 'signed' || l.type === 'enveloped');
  // Plain mail must never read as "ok": a client showing a secure badge on ok would mark it secure.
  if (unprotected)
    problems.push({
      layer: 0,
      code: 'not-smime',
      message: 'the message is neither signed nor encrypted: nothing was verified',
    });
  return {
    ok: problems.length === 0,
    unprotected,
    signed: layers.some((l) => l.type === 'signed'),
    encrypted: layers.some((l) => l.type === 'enveloped'),
    layers,
    content,
    problems,
  };
}

function verifierOptions(options: ReadMessageOptions): Parameters<SignedLayerVerifier>[1] {
  const out: Parameters<SignedLayerVerifier>[1] = {};
  if (options.trust) out.trust = options.trust;
  if (options.at) out.at = options.at;
  if (options.intermediates) out.intermediates = options.intermediates;
  if (options.crls) out.crls = options.crls;
  if (options.allowWeak) out.allowWeak = true;
  if (options.from !== undefined) out.from = options.from;
  return out;
}

function pushSigned(
  layers: MessageLayer[],
  problems: ReadMessageResult['problems'],
  form: 'detached' | 'opaque',
  v: SignedLayerVerification,
): void {
  const consumed = v.layers?.length ? v.layers : [{ form, ok: v.ok, signers: v.signers, problems: v.problems }];
  consumed.forEach((l, i) => {
    const index = layers.length;
    // The full report goes with the first (outermost) layer it covers.
    layers.push({
      type: 'signed',
      form: l.form,
      ok: l.ok,
      signers: l.signers,
      problems: l.problems,
      ...(i === 0 && v.report !== undefined ? { report: v.report } : {}),
    });
    for (const p of l.problems) problems.push({ layer: index, code: p.code, message: p.message });
  });
  // Report-level problems not tied to a layer's signers (e.g. partial coverage).
  const listed = new Set(consumed.flatMap((l) => l.problems));
  const first = layers.length - consumed.length;
  for (const p of v.problems) if (!listed.has(p)) problems.push({ layer: first, code: p.code, message: p.message });
}

async function decryptWithAny(
  cms: ContentInfo,
  options: ReadMessageOptions,
): Promise<{ result: DecryptedEnvelope; identity: number }> {
  const identities = options.identities ?? [];
  if (identities.length === 0)
    throw new ArgumentError('bad-argument', 'the message is encrypted: readMessage needs options.identities');
  const env = parseEnvelope(cms);
  let firstError: SmimeError | undefined;
  for (const [i, id] of identities.entries()) {
    try {
      const result = await decryptEnvelope(env, {
        certificate: id.certificate,
        privateKey: id.privateKey,
        tryAllRecipients: options.tryAllRecipients ?? false,
      });
      return { result, identity: i };
    } catch (e) {
      if (!(e instanceof SmimeError)) throw e;
      // A real decryption failure wins over "not for this identity".
      if (!firstError || (firstError.code === 'not-recipient' && e.code !== 'not-recipient')) firstError = e;
    }
  }
  throw firstError ?? new CryptoError('not-recipient', 'no identity is a recipient of the message');
}

/**
 * `verifyMessage` / `verifySignedContent` as the signed-layer verifier (stops at enveloped layers: readMessage
 * decrypts those), on the level the walker already parsed, with the remaining layer budget.
 */
async function defaultVerify(
  target: LayerTarget,
  options: ReadMessageOptions,
  maxLayers: number,
): Promise<{ v: SignedLayerVerification; path: string }> {
  const onLayer = options.onLayer;
  const trace = (depth: number) =>
    onLayer
      ? {
          onLayer: (l: WalkedLayer) => onLayer({ ...l, path: rebasePath(target.path, l.path), depth: depth + l.depth }),
        }
      : {};
  const common: VerifyMessageOptions = {
    trust: options.trust ?? new TrustList(),
    ...(options.at ? { at: options.at } : {}),
    ...(options.intermediates ? { intermediates: options.intermediates } : {}),
    ...(options.crls ? { crls: options.crls } : {}),
    ...(options.allowWeak ? { allowWeak: true } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    maxLayers,
  };
  if (target.cms) {
    const report = await verifySignedContent(target.bytes, { ...common, ...trace(target.depth) });
    return { v: toVerification(report), path: joinPath(target.path, 'opaque') };
  }
  const tree = await verifyTree(
    target.bytes,
    { ...common, ...trace(0) },
    { depth: target.depth, ...(target.root ? { root: target.root } : {}) },
  );
  return { v: toVerification(tree.report), path: rebasePath(target.path, tree.contentPath) };
}

/** A verify report as what a signed-layer verifier reports. */
function toVerification(report: VerifyReport): SignedLayerVerification {
  const signer = (i: number): SignedLayerVerification['signers'][number] => {
    const sr = report.signers[i]!;
    return {
      ...(sr.subject !== undefined ? { subject: sr.subject } : {}),
      ...(sr.email !== undefined ? { email: sr.email } : {}),
      signatureValid: sr.signatureValid,
      chainValid: sr.chain?.valid ?? false,
    };
  };
  const problems = report.problems.map((p) => ({ code: p.code, message: p.message, signer: p.signer }));
  const layers = report.layers.map((l) => {
    const mine = problems.filter((p) => p.signer !== undefined && l.signers.includes(p.signer));
    return {
      form: l.kind === 'multipart-signed' ? ('detached' as const) : ('opaque' as const),
      ok: mine.length === 0 && l.signers.length > 0,
      signers: l.signers.map(signer),
      problems: mine,
    };
  });
  return {
    ok: report.ok,
    content: report.content,
    signers: report.signers.map((_, i) => signer(i)),
    problems,
    layers,
    report,
  };
}
