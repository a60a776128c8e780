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
import { decompressCompressed, decompressionLimits } from '../cms/compressed.js';
import { TrustList } from '../trust/trust-list.js';
import type { RevocationSetting } from '../trust/options.js';
import { defaultVerify } from './read-verify.js';
import type { VerifyReport } from './report.js';
import type { DecryptionIdentity, DecryptMessageResult } from './decrypt.js';
import { cmsOfEntity } from './read-cms.js';
import type { MimeHeader } from '../mime/headers.js';
import { messageVerdict, readSenderCheck, signatureVouches, type ReadVerification } from './read-checks.js';
import { readHeaderProtection, type HeaderProtectionResult } from './header-protection-read.js';
import { LAYER_SELECTION, layerKindOf } from './classify.js';
import {
  DEFAULT_MAX_LAYERS,
  joinPath,
  walkLayers,
  type LayerStep,
  type LayerTarget,
  type SmimeLayerOptions,
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
    revocation?: RevocationSetting;
    from?: string;
  },
) => Promise<SignedLayerVerification>;

/** Options of `readMessage`: the shared vocabulary of `SmimeLayerOptions` and read's own. */
export interface ReadMessageOptions extends SmimeLayerOptions {
  /** Identities to decrypt with, tried in order. */
  identities?: readonly DecryptionIdentity[];
  /** Try each key on every RecipientInfo (default false). */
  tryAllRecipients?: boolean;
  /**
   * Read AES-GCM with a nonce other than 12 bytes or a tag of 4 or 8 bytes (RFC 5084 allows them; refused by
   * default with `legacy-gcm-parameters`). The tag is still checked before any plaintext is released.
   */
  allowLegacyGcm?: boolean;
  /**
   * Most layers unwrapped.
   *
   * @deprecated Use `maxLayers` (the name `verifyMessage` uses too); `maxLayers` wins when both are given.
   */
  maxDepth?: number;
  /** Largest decompressed size of one layer (default 256 MiB; `limits.maxDecompressedTotal` bounds all layers). */
  maxDecompressedSize?: number;
  /** Signed-layer verification (default: `verifyMessage` / `verifySignedContent`). */
  verifier?: SignedLayerVerifier;
  /**
   * Refuse content that is not `authenticated` (AES-CBC or a legacy cipher with no signature that verifies over
   * it): the problem `unauthenticated-encryption` makes the result not `ok`. Default false (a warning).
   */
  requireAuthenticated?: boolean;
}

/** One layer of a message, outermost first. */
export type MessageLayer =
  | ({
      type: 'enveloped';
      /** Which of `identities` decrypted it. */
      identity: number;
      /** The envelope itself is authenticated encryption (AES-GCM); see `ReadMessageResult.authenticated`. */
      authenticated: boolean;
    } & Pick<
      DecryptMessageResult,
      'envelopeType' | 'cipher' | 'legacyGcmInEnvelopedData' | 'legacyCipher' | 'recipient' | 'declaredSmimeType'
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
  /**
   * The content is protected against modification: an AES-GCM layer, or a signed layer whose signatures verify
   * over its whole content (inside the encryption or around it). False for plain mail and for AES-CBC / legacy
   * encryption without such a signature (malleable: EFAIL), which is the warning `unauthenticated-encryption`.
   */
  authenticated: boolean;
  /**
   * Problems of all signed layers, outermost first, then the message's: `sender-mismatch` (no signer is for the
   * From/Sender addresses), `unauthenticated-encryption` (with `requireAuthenticated`), `not-smime` (plain mail).
   */
  problems: { layer: number; code: string; message: string }[];
  /**
   * Non-fatal findings about the whole message: `unauthenticated-encryption`, `sender-missing`, and
   * `sender-mismatch` with `allowSenderMismatch`.
   */
  warnings: { layer: number; code: string; message: string }[];
  /**
   * Header protection of `content` (RFC 9788, or the older `protected-headers="v1"`: `format` says which;
   * docs/header-protection.md): the protected header fields, the outer ones that differ (also `header-mismatch`
   * warnings), what to display. Absent without it.
   */
  headerProtection?: HeaderProtectionResult;
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
  const state: ReadState = { layers: [], problems: [], verifications: [], inflated: { used: 0 } };
  const walked = await walkLayers(
    bytes,
    {
      scope: 'top',
      rawCms: true,
      select: LAYER_SELECTION.read,
      tooDeep(max) {
        throw new LimitError('limit-exceeded', `more than ${max} S/MIME layers`, {
          details: { limit: 'maxLayers', value: max, maxDepth: max, maxLayers: max },
        });
      },
      visit: (target) => readLayer(target, options, state, maxLayers),
    },
    { ...options, maxLayers },
  );
  return finish(state, walked.end, walked.root?.headers, options);
}

interface ReadState {
  layers: MessageLayer[];
  problems: ReadMessageResult['problems'];
  /** The signed-layer verifications, for the message-level checks (read-checks.ts). */
  verifications: ReadVerification[];
  /** Bytes decompressed so far by the message's compressed layers (`limits.maxDecompressedTotal`). */
  inflated: { used: number };
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
      const limits = decompressionLimits(options.limits, options.maxDecompressedSize);
      const out = await decompressCompressed(cms, { ...limits, budget: state.inflated });
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
  state.verifications.push({ layer: state.layers.length, v });
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
  state: ReadState,
  content: Uint8Array,
  rootHeaders: readonly MimeHeader[] | undefined,
  options: ReadMessageOptions,
): ReadMessageResult {
  const { layers, problems } = state;
  const sender = readSenderCheck(rootHeaders, state.verifications, {
    allowMismatch: options.allowSenderMismatch ?? false,
    from: options.from,
  });
  problems.push(...sender.problems);
  const warnings: ReadMessageResult['warnings'] = [...sender.warnings];
  // The content is inside every layer read opened: decrypted, or under a signature that verifies.
  const vouched = {
    signature: signatureVouches(state.verifications),
    encryption: layers.some((l) => l.type === 'enveloped'),
  };
  const hp = layers.some((l) => l.type !== 'compressed')
    ? readHeaderProtection(rootHeaders, content, vouched, options.limits)
    : { warnings: [] };
  warnings.push(...hp.warnings.map((w) => ({ layer: Math.max(layers.length - 1, 0), ...w })));
  const verdict = messageVerdict(
    layers,
    state.verifications,
    problems,
    warnings,
    options.requireAuthenticated ?? false,
  );
  return { ...verdict, content, ...(hp.result ? { headerProtection: hp.result } : {}) };
}

function verifierOptions(options: ReadMessageOptions): Parameters<SignedLayerVerifier>[1] {
  const out: Parameters<SignedLayerVerifier>[1] = {};
  if (options.trust) out.trust = options.trust;
  if (options.at) out.at = options.at;
  // PEM text is accepted as in verifyMessage; a custom verifier gets bytes.
  if (options.intermediates)
    out.intermediates = options.intermediates.map((c) => (typeof c === 'string' ? utf8(c) : c));
  if (options.crls) out.crls = options.crls.map((c) => (typeof c === 'string' ? utf8(c) : 'der' in c ? c.der : c));
  if (options.allowWeak) out.allowWeak = true;
  if (options.revocation !== undefined) out.revocation = options.revocation;
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
  const env = parseEnvelope(cms, options.limits);
  let firstError: SmimeError | undefined;
  for (const [i, id] of identities.entries()) {
    try {
      const result = await decryptEnvelope(env, {
        certificate: id.certificate,
        privateKey: id.privateKey,
        tryAllRecipients: options.tryAllRecipients ?? false,
        allowLegacyGcm: options.allowLegacyGcm ?? false,
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
