/**
 * The one walker over the S/MIME layers of a message, shared by `verifyMessage`,
 * `readMessage` and `decryptMessage` so the three cannot drift: each level is
 * parsed as MIME once (with the configured limits), every entity is classified
 * by `classifyEntity`, and the layers a caller opens are unwrapped and walked
 * into with one depth limit (`maxLayers`). What a layer means (verify it,
 * decrypt it, decompress it) is the caller's `LayerVisitor`.
 */
import { FormatError, LimitError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import type { ContentInfo } from '../cms/content-info.js';
import type { CmsLimits } from '../cms/limits.js';
import { decodedBody, parseMime, type MimeEntity, type MimeParseOptions } from '../mime/entity.js';
import type { Crl } from '../x509/index.js';
import type { TrustList } from '../trust/trust-list.js';
import type { RevocationSetting } from '../trust/options.js';
import { classifyEntity, rawCms, RAW_CMS, type SmimeEntityType, type SmimeLayerKind } from './classify.js';
import type { Coverage, CoveragePart } from './report.js';

/** Default of `maxLayers`: the most S/MIME layers walked into. */
export const DEFAULT_MAX_LAYERS = 8;

/** One layer the walker opened, reported through `onLayer`, outermost first. */
export interface WalkedLayer {
  kind: SmimeLayerKind;
  /**
   * Route to the layer's entity in the message: `/` the whole message, `/2` its 2nd part; `/signed`,
   * `/opaque`, `/enveloped` step into a signed part, opaque signed content or unwrapped content.
   */
  path: string;
  /** Layers above this one (0 = outermost). */
  depth: number;
}

/**
 * The option vocabulary of `verifyMessage`, `readMessage` and `decryptMessage` (each takes the ones that
 * apply to it; the same object may be passed to all three).
 */
export interface SmimeLayerOptions {
  /** Trust anchors for the signer certificates. */
  trust?: TrustList;
  /** Validation time (default now). Use the time the message was received for old mail, never its own Date. */
  at?: Date;
  /** Extra certificates (DER or PEM bytes) to find signers and build chains when the message lacks them. */
  intermediates?: readonly (BytesLike | string)[];
  /** CRLs for revocation checking of the signer chains. */
  crls?: readonly (BytesLike | string | Crl)[];
  /** Accept SHA-1/MD5/DSA signatures and weak certificates (to read old mail). Default false. */
  allowWeak?: boolean;
  /**
   * Revocation checking of the signer chains (default `prefer`): a mode, or a mode with online sources such as
   * `{ mode: 'prefer', online: true }` for OCSP and CRL distribution points (docs/revocation.md).
   */
  revocation?: RevocationSetting;
  /**
   * An address the message must be from (e.g. the SMTP envelope sender): each signer certificate must be for
   * it (RFC 8550 §3; `email-mismatch`). The From/Sender headers are checked in any case (`sender-mismatch`).
   */
  from?: string;
  /**
   * Report a From/Sender address no signer's certificate is for as a warning (`sender-mismatch`) instead of a
   * failure. Default false: a valid signature by mallory@ on a message from "ceo@" is not verified.
   */
  allowSenderMismatch?: boolean;
  /**
   * Accept a message only part of which is signed (e.g. a mailing-list footer around the signed part):
   * `partially-signed` becomes a warning. Default false. `coverage` lists the unsigned parts either way.
   */
  allowPartial?: boolean;
  /** Most nested S/MIME layers walked into (default 8). */
  maxLayers?: number;
  /** Limits for CMS parsing (default 256 MiB, 1 000 000 nodes) and MIME parsing (default depth 32, 10 000 parts), in every pass. */
  limits?: CmsLimits & MimeParseOptions;
  /** Called for every layer opened, outermost first (logging, tests). */
  onLayer?: (layer: WalkedLayer) => void;
}

/** The one MIME parse of a layer, always with the configured limits. */
export function parseLayerMime(bytes: Uint8Array, limits?: MimeParseOptions): MimeEntity {
  return parseMime(
    bytes,
    limits
      ? {
          ...(limits.maxDepth !== undefined ? { maxDepth: limits.maxDepth } : {}),
          ...(limits.maxParts !== undefined ? { maxParts: limits.maxParts } : {}),
        }
      : {},
  );
}

/** `path` extended by one step: `/` + 2 → `/2`, `/1` + `signed` → `/1/signed`. */
export function joinPath(path: string, step: string | number): string {
  return path === '/' ? `/${step}` : `${path}/${step}`;
}

/** A path of a walk that started at `base` (`/` + `/opaque` → `/opaque`, `/opaque` + `/` → `/opaque`). */
export function rebasePath(base: string, path: string): string {
  if (base === '/') return path;
  return path === '/' ? base : `${base}${path}`;
}

/** A layer the walker found. */
export interface LayerTarget {
  /** The entity; `undefined` for raw CMS input. */
  entity?: MimeEntity;
  /** The ContentInfo of raw CMS input. */
  cms?: ContentInfo;
  type: SmimeEntityType;
  path: string;
  depth: number;
  /** All bytes of this level (the whole message at depth 0). */
  bytes: Uint8Array;
  /** This level's parsed tree (`undefined` for raw CMS). */
  root?: MimeEntity;
}

/** What a visitor did with a layer. */
export interface LayerStep {
  kind: SmimeLayerKind;
  /** The inner bytes (an entity, or raw content); `undefined` when the layer was left closed. */
  content?: Uint8Array;
  /** The layer is a signature over `content` (for coverage). */
  signed?: boolean;
  /** Walk into `content` (default true). */
  descend?: boolean;
  /** Path step into the content (`signed`, `opaque`, `enveloped`); `path` overrides it. */
  next?: string;
  path?: string;
  /** Layers this step accounted for (default 1; a signed-layer verifier may consume several). */
  consumed?: number;
  /** The visitor already reported the layers through `onLayer`. */
  traced?: boolean;
}

/** A user of the walker: which entities are layers and what opening one means. */
export interface LayerVisitor {
  /** `tree`: every outermost layer anywhere in the MIME tree (and in attached messages); `top`: the level's top entity only. */
  scope: 'tree' | 'top';
  /** Raw CMS bytes (not MIME) count as a layer at every level. */
  rawCms?: boolean;
  select(type: SmimeEntityType): boolean;
  visit(target: LayerTarget): Promise<LayerStep>;
  /** `maxLayers` reached: throw, or note it and the walk stops there. */
  tooDeep(max: number): void;
  /** This level is not MIME (never a limit error): true to stop quietly, false to throw. */
  notMime?(error: FormatError, depth: number): boolean;
  /** Opening a layer failed: true when the visitor recorded it and the walk goes on with the next layer. */
  failed?(error: unknown, target: LayerTarget): boolean;
}

/** What a walk (of one level and everything below it) found. */
export interface WalkResult {
  /** This level's parsed tree (`undefined` for raw CMS or when the walk stopped before parsing). */
  root?: MimeEntity;
  /** Layers found at this level. */
  found: number;
  /** The content of the innermost signed layer, and its path. */
  innermost?: Uint8Array;
  innermostPath?: string;
  /** The bytes where the walk stopped (the innermost level reached through the last layer), and their path. */
  end: Uint8Array;
  endPath: string;
  /** What the signatures at this level cover. */
  coverage: Coverage;
}

/** Where a walk starts. */
export interface WalkStart {
  depth: number;
  path: string;
  /** The level's tree, when the caller parsed it already (with the same limits). */
  root?: MimeEntity;
}

interface Level {
  root?: MimeEntity;
  targets: LayerTarget[];
  unsigned: CoveragePart[];
}

/**
 * The outermost layers below `e` (also inside attached messages), and the paths of the leaf parts no layer
 * covers. Every attached message is parsed with the same limits and restarts the parser's depth count
 * (bounded to 8 attached levels).
 */
function findLayers(
  e: MimeEntity,
  at: { path: string; depth: number; bytes: Uint8Array; root: MimeEntity },
  visitor: LayerVisitor,
  limits: MimeParseOptions | undefined,
  out: Level,
  attached = 0,
): void {
  const type = classifyEntity(e);
  if (type && visitor.select(type)) {
    out.targets.push({ entity: e, type, path: at.path, depth: at.depth, bytes: at.bytes, root: at.root });
    return;
  }
  if (visitor.scope === 'top') return;
  if (e.children.length > 0) {
    e.children.forEach((c, i) =>
      findLayers(c, { ...at, path: joinPath(at.path, i + 1) }, visitor, limits, out, attached),
    );
    return;
  }
  // A forwarded or list-wrapped message (message/rfc822) may itself be a layer: reported as nested.
  if (e.contentType.mediaType === 'message/rfc822' && attached < 8) {
    let inner: MimeEntity | undefined;
    try {
      inner = parseLayerMime(decodedBody(e), limits);
    } catch (err) {
      if (err instanceof LimitError || !(err instanceof FormatError)) throw err;
      inner = undefined;
    }
    if (inner) {
      const sub: Level = { targets: out.targets, unsigned: [] };
      const before = out.targets.length;
      findLayers(inner, { ...at, path: joinPath(at.path, 'rfc822') }, visitor, limits, sub, attached + 1);
      if (out.targets.length > before) {
        out.unsigned.push(...sub.unsigned);
        return;
      }
    }
  }
  out.unsigned.push({ path: at.path, contentType: e.contentType.mediaType });
}

/** Parses one level (raw CMS first when the visitor takes it) and finds its layers; `undefined` when it is not MIME. */
function readLevel(
  bytes: Uint8Array,
  visitor: LayerVisitor,
  options: SmimeLayerOptions,
  start: WalkStart,
): Level | undefined {
  if (visitor.rawCms && !start.root) {
    const cms = rawCms(bytes);
    if (cms) return { targets: [{ cms, type: RAW_CMS, path: start.path, depth: start.depth, bytes }], unsigned: [] };
  }
  let root: MimeEntity;
  try {
    root = start.root ?? parseLayerMime(bytes, options.limits);
  } catch (e) {
    if (e instanceof FormatError && !(e instanceof LimitError) && visitor.notMime?.(e, start.depth)) return undefined;
    throw e;
  }
  const level: Level = { root, targets: [], unsigned: [] };
  findLayers(root, { path: start.path, depth: start.depth, bytes, root }, visitor, options.limits, level);
  return level;
}

const emptyCoverage = (): Coverage => ({ complete: false, signedParts: [], unsignedParts: [], unsigned: [] });

/** A layer that is no signed part of its level (left closed, or unwrapped without a signature inside). */
const closedPart = (target: LayerTarget): CoveragePart => ({
  path: target.path,
  contentType: target.entity?.contentType.mediaType ?? 'application/pkcs7-mime',
});

/**
 * Walks the S/MIME layers of `bytes`: finds the layers of this level, lets `visitor` open each one and walks
 * into what it opened, down to `options.maxLayers` (default 8) layers.
 */
export async function walkLayers(
  bytes: Uint8Array,
  visitor: LayerVisitor,
  options: SmimeLayerOptions,
  start: WalkStart = { depth: 0, path: '/' },
): Promise<WalkResult> {
  const result: WalkResult = { found: 0, end: bytes, endPath: start.path, coverage: emptyCoverage() };
  const max = options.maxLayers ?? DEFAULT_MAX_LAYERS;
  const level = readLevel(bytes, visitor, options, start);
  if (!level) return result;
  if (level.root) result.root = level.root;
  // The limit is on layers opened: content at the deepest level that holds no further layer is fine.
  if (level.targets.length > 0 && start.depth >= max) {
    visitor.tooDeep(max);
    return result;
  }
  result.found = level.targets.length;
  const signedParts: string[] = [];
  const unsigned = level.unsigned;
  let wholeCovered = false;
  for (const target of level.targets) {
    let step: LayerStep;
    try {
      step = await visitor.visit(target);
    } catch (e) {
      // A broken inner layer must not hide the result of the layers around it (when the visitor says so).
      if (!visitor.failed?.(e, target)) throw e;
      signedParts.push(target.path);
      continue;
    }
    const whole = target.path === start.path;
    if (step.content !== undefined && !step.traced)
      options.onLayer?.({ kind: step.kind, path: target.path, depth: target.depth });
    // Nothing inside empty content (an opaque signature with no eContent, an envelope of nothing): it is the end.
    if (step.content === undefined || step.descend === false || step.content.length === 0) {
      if (step.signed) {
        signedParts.push(target.path);
        wholeCovered = whole;
      } else unsigned.push(closedPart(target));
      if (step.content !== undefined) {
        result.end = step.content;
        result.endPath = step.path ?? joinPath(target.path, step.next ?? 'content');
      }
      continue;
    }
    const innerPath = step.path ?? joinPath(target.path, step.next ?? 'content');
    if (step.signed) {
      signedParts.push(target.path);
      wholeCovered = whole;
      result.innermost = step.content;
      result.innermostPath = innerPath;
    }
    const inner = await walkLayers(step.content, visitor, options, {
      depth: target.depth + (step.consumed ?? 1),
      path: innerPath,
    });
    if (inner.innermost !== undefined) {
      result.innermost = inner.innermost;
      result.innermostPath = inner.innermostPath ?? innerPath;
    }
    result.end = inner.end;
    result.endPath = inner.endPath;
    if (step.signed) continue;
    // An unwrapped layer (enveloped, compressed) is not a signed part: what is signed inside it counts.
    if (inner.coverage.signedParts.length > 0) {
      signedParts.push(...inner.coverage.signedParts);
      unsigned.push(...inner.coverage.unsigned);
      wholeCovered = whole && inner.coverage.complete;
    } else unsigned.push(closedPart(target));
  }
  const unsignedParts = signedParts.length ? unsigned : [];
  result.coverage = {
    complete: level.targets.length === 1 && signedParts.length > 0 && wholeCovered && unsigned.length === 0,
    signedParts,
    unsignedParts: unsignedParts.map((p) => p.path),
    unsigned: unsignedParts,
  };
  return result;
}
