/**
 * `verifyMessageStream`: `verifyMessage` for messages of any size whose top level is the signature — a
 * multipart/signed (the signed part streams through the digests) or an opaque signed-data (the encapsulated
 * content streams). The signature part, certificates and SignerInfos are small and read into memory (bounded).
 *
 * The verdict is known only at the end, so the content stream closes normally only when the report is `ok`;
 * otherwise it errors with the report's first problem code (and `report` still resolves with every detail).
 * Content read before the end is unverified: use it only once the stream has closed.
 *
 * Differences from `verifyMessage`: only the top-level signature is verified (a signature nested inside the
 * content is content; verify the output again to check it), a binary signed part (AS2, `Content-Transfer-Encoding:
 * binary`) streams as it arrived and is not verified when only its canonical form was signed and it arrived with
 * bare LFs, a SignerInfo without signed attributes is checked only where the digest suffices (RSA PKCS#1 v1.5,
 * DSA), and the report's `content` fields hold only the signed entity's header section.
 */
import { FormatError, SmimeError } from '../errors.js';
import type { ByteSource } from '../util/byte-source.js';
import { generatorStream, iterateBytes } from '../util/byte-source.js';
import type { StreamDigestName } from '../crypto/digest-stream.js';
import type { DigestName } from '../crypto/algorithms.js';
import type { SignedData } from '../cms/signed-data.js';
import { openSignedDataStream } from '../cms/stream/signed-reader.js';
import { verifySignedData } from '../cms/verify-signed-data.js';
import { parseMime } from '../mime/entity.js';
import type { SignerProblem } from '../cms/signer-check.js';
import { digestSignedPart } from './signed-part-stream.js';
import { splitMultipartSigned } from '../mime/multipart-stream.js';
import type { ReportProblem, SignedLayer, VerifyReport } from './report.js';
import { checkSender, messageSignedLayers, senderCopy } from './sender.js';
import {
  checkMicalg,
  contentMismatch,
  isAs2Message,
  reportSigners,
  signaturePartSignedData,
  type VerifyContext,
} from './verify-layer.js';
import { bytesEqual } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { finish, newContext, type VerifyMessageOptions } from './verify.js';
import { cmsBytes, openSmimeStream, type StreamedSmime } from './stream-entity.js';
import { LAYER_SELECTION } from './classify.js';
import {
  HeadCapture,
  streamedHeaderProtection,
  type StreamHeaderProtectionResult,
} from './header-protection-stream-read.js';

/**
 * The report of a streamed verification: `verifyMessage`'s, without the content (it went to the stream); its
 * `headerProtection` has the header section to display but no display body.
 */
export type VerifyMessageStreamReport = Omit<VerifyReport, 'content' | 'headerProtection'> & {
  /**
   * RFC 9788 header protection of the signed content, as `verifyMessage` reports it (its `header-mismatch`
   * warnings too), read from the content's header section once the verdict is final; the protected header fields
   * are trusted only when every signature of the layer verifies. Absent without it.
   */
  headerProtection?: StreamHeaderProtectionResult;
};

/** The signed content as a stream, and the report (resolves when the stream ends). */
export interface VerifyMessageStream {
  /**
   * The signed entity (multipart/signed: in canonical form, a binary part as it arrived) or encapsulated content
   * (opaque), exactly the signed bytes. It closes normally only when the report is `ok`; otherwise it errors with
   * the first problem's code.
   */
  stream: ReadableStream<Uint8Array>;
  /** Resolves when `stream` has been read to its end (also when not ok); rejects on a format error. */
  report: Promise<VerifyMessageStreamReport>;
  /** `multipart-signed` or `opaque`, known before any content is read. */
  kind: 'multipart-signed' | 'opaque';
}

const MICALG_DIGESTS: Record<string, StreamDigestName> = {
  'sha-1': 'SHA-1',
  sha1: 'SHA-1',
  'sha-256': 'SHA-256',
  sha256: 'SHA-256',
  'sha-384': 'SHA-384',
  sha384: 'SHA-384',
  'sha-512': 'SHA-512',
  sha512: 'SHA-512',
};

/**
 * Verifies a streamed S/MIME message whose top level is signed (options as `verifyMessage`).
 *
 * @throws FormatError `not-signed` (the top level is not a signature), `malformed-smime`, `malformed-cms`,
 *   `malformed-mime` (empty input), `unsupported-format` (an unknown Content-Transfer-Encoding), `malformed-pem`,
 *   found before the content — the codes `verifyMessage` gives; ArgumentError `bad-argument` without
 *   `options.trust`.
 * @example
 * ```ts no-run
 * const { stream, report } = await verifyMessageStream(Readable.toWeb(createReadStream('big.eml')), { trust });
 * await stream.pipeTo(Writable.toWeb(createWriteStream('content.part'))); // rejects unless verified
 * console.log((await report).signers[0]?.email);
 * ```
 */
export async function verifyMessageStream(
  input: ByteSource,
  options: VerifyMessageOptions,
): Promise<VerifyMessageStream> {
  return openVerifiedStream(input, options, { errorWhenNotOk: true });
}

/**
 * `verifyMessageStream` for readMessageStream, whose layers inside read the content: `errorWhenNotOk: false` ends
 * the content cleanly when the signature does not verify, so that those layers finish and every layer is reported
 * (as readMessage reports them); readMessageStream's own stream carries the verdict. Internal.
 */
export async function openVerifiedStream(
  input: ByteSource,
  options: VerifyMessageOptions,
  behaviour: { errorWhenNotOk: boolean },
): Promise<VerifyMessageStream> {
  const ctx = newContext(options);
  const errorWhenNotOk = behaviour.errorWhenNotOk;
  const smime = await openSmimeStream(input).catch((e: unknown) => {
    if (e instanceof FormatError && e.code === 'not-smime') throw notSigned();
    throw e;
  });
  // The layers verifyMessage opens: not a multipart/signed of another protocol, a certs-only or a compressed body.
  if (!LAYER_SELECTION.verify(smime.type)) {
    await smime.body.return(undefined);
    throw notSigned();
  }
  return smime.type.form === 'multipart-signed'
    ? multipartSigned(ctx, smime, errorWhenNotOk)
    : opaqueSigned(ctx, smime, errorWhenNotOk);
}

function notSigned(): FormatError {
  return new FormatError('not-signed', 'the message has no S/MIME signature at its top level');
}

/** Ends the report and the stream together: the stream closes only for an ok report. */
function verdict(report: VerifyReport): VerifyMessageStreamReport {
  const { content: _content, headerProtection: _hp, ...rest } = report;
  void [_content, _hp];
  return rest;
}

function notVerified(report: VerifyMessageStreamReport): SmimeError {
  const first: ReportProblem = report.problems[0] ?? {
    code: 'bad-signature',
    message: 'the signature does not verify',
  };
  return new SmimeError(first.code, `the message is not verified: ${first.message}`, {
    details: { problems: report.problems },
  });
}

interface Settle<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function settleable<T>(): Settle<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The report for one top-level signed layer, with the sender check against the top-level headers and the header
 * protection of the signed content (`head`: its header section).
 */
function layerReport(ctx: VerifyContext, smime: StreamedSmime, head: Uint8Array): VerifyMessageStreamReport {
  const own = messageSignedLayers(ctx.layers, ctx.signers);
  const outer = smime.headers.length ? senderCopy(smime.headers, 'the From/Sender header') : undefined;
  const sender = checkSender([...(outer ? [outer] : []), ...own.copies], own.signers, {
    allowMismatch: ctx.options.allowSenderMismatch ?? false,
    from: ctx.options.from,
  });
  const coverage = { complete: true, signedParts: ['/'], unsignedParts: [], unsigned: [] };
  const report = verdict(finish(ctx, new Uint8Array(0), coverage, sender));
  // As verifyHeaderProtection: the one signed layer covers the whole message; its signatures must all verify.
  const layer = report.layers[0];
  const signature =
    layer !== undefined && layer.signers.length > 0 && layer.signers.every((i) => report.signers[i]?.signatureValid);
  const hp = streamedHeaderProtection(smime.headers, head, { signature, encryption: false }, ctx.options.limits);
  if (!hp.result) return report;
  report.warnings.push(...hp.warnings);
  return { ...report, headerProtection: hp.result };
}

/**
 * The signed content as a stream whose end carries the verdict: `content` is passed on (its header section kept
 * for the sender check), then `check` verifies; the report resolves, and the stream closes only when it is ok.
 */
function verdictStream(
  ctx: VerifyContext,
  smime: StreamedSmime,
  content: AsyncIterable<Uint8Array>,
  check: (head: Uint8Array) => Promise<void>,
  errorWhenNotOk: boolean,
): { stream: ReadableStream<Uint8Array>; report: Promise<VerifyMessageStreamReport> } {
  const report = settleable<VerifyMessageStreamReport>();
  const head = new HeadCapture();
  async function* produce(): AsyncGenerator<Uint8Array> {
    let settled = false;
    try {
      for await (const chunk of content) {
        head.add(chunk);
        yield chunk;
      }
      await check(head.bytes());
      const result = layerReport(ctx, smime, head.bytes());
      settled = true;
      report.resolve(result);
      if (!result.ok && errorWhenNotOk) throw notVerified(result);
    } catch (e) {
      if (!settled) report.reject(e);
      settled = true;
      throw e;
    } finally {
      if (!settled) report.reject(cancelled());
      // Failed or cancelled before its end: the input is let go, so that what produces it (a decryption in
      // readMessageStream) settles too instead of waiting for a reader forever.
      await smime.body.return(undefined).catch(() => undefined);
    }
  }
  return { stream: generatorStream(produce()), report: report.promise };
}

/** Records the verified layer and its signers in the report being built. */
async function recordLayer(
  ctx: VerifyContext,
  layer: SignedLayer,
  sd: SignedData,
  checks: Awaited<ReturnType<typeof verifySignedData>>,
): Promise<void> {
  ctx.layers.push(layer);
  layer.signers = await reportSigners(ctx, sd, checks, 0);
}

async function opaqueSigned(
  ctx: VerifyContext,
  smime: StreamedSmime,
  errorWhenNotOk: boolean,
): Promise<VerifyMessageStream> {
  const opened = await openSignedDataStream(cmsBytes(smime), ctx.options.limits).catch((e: unknown) => {
    // Enveloped or other CMS not labelled signed-data: no signature here, as verifyMessage says.
    if (e instanceof FormatError && e.code === 'not-signed-data' && smime.type.smimeType !== 'signed-data')
      throw notSigned();
    throw e;
  });
  const { stream, report } = verdictStream(
    ctx,
    smime,
    iterateBytes(opened.content),
    async (head) => {
      const { signedData, contentDigests } = await opened.result;
      const checks = await verifySignedData(signedData, {
        certificates: ctx.extraCerts,
        allowWeak: ctx.options.allowWeak ?? false,
        // No digests: a detached signature, reported as no-content like the buffered reader does.
        ...(contentDigests.size > 0 ? { contentDigests } : {}),
      });
      const layer: SignedLayer = {
        kind: 'opaque',
        path: '/',
        content: head,
        signers: [],
        certificates: signedData.certificates,
      };
      await recordLayer(ctx, layer, signedData, checks);
      ctx.options.onLayer?.({ kind: 'signed-data', path: '/', depth: 0 });
    },
    errorWhenNotOk,
  );
  return { stream, report, kind: 'opaque' };
}

const CRLF = Uint8Array.of(0x0d, 0x0a);

function cancelled(): SmimeError {
  return new SmimeError('stream-cancelled', 'the signed content stream was cancelled before its end');
}

/** The digests `micalg` announces, and SHA-256 (a missing or wrong micalg is common). */
function announcedDigests(micalg: string | undefined): StreamDigestName[] {
  const digests = new Set<StreamDigestName>();
  for (const name of (micalg ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
    .concat('sha-256')) {
    const digest = MICALG_DIGESTS[name];
    if (digest) digests.add(digest);
  }
  return [...digests];
}

/** A binary part that verifies only in canonical form: the bytes streamed are not the bytes signed. */
function streamedFormNotSigned(): SignerProblem {
  return {
    code: 'digest-mismatch',
    message:
      'the binary signed part was signed in canonical form (CRLF line ends) but arrived with bare LFs; streamed, it is passed on as it arrived, which is not what was signed (verifyMessage verifies it and shows the canonical form)',
  };
}

async function multipartSigned(
  ctx: VerifyContext,
  smime: StreamedSmime,
  errorWhenNotOk: boolean,
): Promise<VerifyMessageStream> {
  const params = smime.entity!.contentType.params;
  const boundary = params.boundary ?? '';
  if (!boundary) {
    await smime.body.return(undefined);
    throw new FormatError('malformed-smime', 'the multipart/signed has no boundary parameter');
  }
  // Split as received: the signature part may be binary (AS2); the signed part is digested as verifyMessage reads it.
  const split = splitMultipartSigned(smime.body, boundary);
  const signedPart = digestSignedPart(split.signedPart, announcedDigests(params.micalg), isAs2Message(smime.headers));
  const { stream, report } = verdictStream(
    ctx,
    smime,
    signedPart.chunks,
    async (head) => {
      const part = await split.signaturePart;
      // An empty part is an entity without headers (text/plain), as parseMime reads one inside a multipart.
      const sd = signaturePartSignedData(
        parseMime(part.length > 0 ? part : CRLF, ctx.options.limits),
        '/',
        ctx.options.limits,
      );
      const detached = { ...sd };
      delete detached.content; // the streamed part is what counts (a copy inside is not shown to anyone)
      const digests = signedPart.digests();
      const verifyWith = (contentDigests: Map<DigestName, Uint8Array>) =>
        verifySignedData(detached, {
          certificates: ctx.extraCerts,
          allowWeak: ctx.options.allowWeak ?? false,
          contentDigests,
        });
      let contentDigests: Map<DigestName, Uint8Array> = digests.canonical;
      let checks = await verifyWith(contentDigests);
      if (digests.asReceived) {
        // As verifyMessage: a binary part whose canonical form does not verify may have been signed as it is.
        const asReceived = checks.some((c) => c.problems.some((p) => p.code === 'digest-mismatch'))
          ? await verifyWith(digests.asReceived)
          : [];
        if (asReceived.length > 0 && asReceived.every((c) => c.signatureValid)) {
          checks = asReceived;
          contentDigests = digests.asReceived;
        } else {
          for (const c of checks) {
            if (!c.signatureValid) continue;
            c.signatureValid = false;
            c.problems.unshift(streamedFormNotSigned());
          }
        }
      }
      // As verifyMessage: a failed signature over a copy that differs from the part shown says so (SHA-256 is
      // always computed; equal digests, equal bytes).
      if (sd.content && !bytesEqual(sha256(sd.content), contentDigests.get('SHA-256')!)) {
        for (const c of checks) {
          if (!c.signatureValid) c.problems.unshift(contentMismatch());
        }
      }
      const layer: SignedLayer = {
        kind: 'multipart-signed',
        path: '/',
        content: head,
        signers: [],
        certificates: sd.certificates,
      };
      if (params.micalg) layer.micalg = params.micalg;
      await recordLayer(ctx, layer, sd, checks);
      checkMicalg(ctx, layer, checks);
      ctx.options.onLayer?.({ kind: 'multipart-signed', path: '/', depth: 0 });
    },
    errorWhenNotOk,
  );
  return { stream, report, kind: 'multipart-signed' };
}
