/**
 * `readMessageStream`: `readMessage` for messages of any size — the layers a large message has in practice
 * (encrypted, signed, signed then encrypted, triple wrapped), each opened by the streaming decryptor or verifier as
 * the content passes. Compressed layers and custom verifiers need the whole message: use `readMessage`.
 *
 * The content stream closes normally only when every layer checked out (the last GCM tag, every signature, the
 * sender check, `requireAuthenticated`); otherwise it errors, and `result` says why.
 */
import { ArgumentError, AlgorithmError, FormatError, LimitError, SmimeError } from '../errors.js';
import { generatorStream, iterateBytes, type ByteSource } from '../util/byte-source.js';
import { CONTENT_TYPE } from '../cms/content-info.js';
import type { MimeHeader } from '../mime/headers.js';
import { peek } from './read-stream-peek.js';
import { DEFAULT_MAX_LAYERS } from './layers.js';
import { decryptMessageStream, type DecryptMessageStreamResult } from './decrypt-stream.js';
import { openVerifiedStream, type VerifyMessageStreamReport } from './verify-stream.js';
import type { MessageLayer, ReadMessageOptions, ReadMessageResult } from './read.js';
import { messageVerdict, type ReadVerification } from './read-checks.js';
import { HeadCapture, payloadProtection, type StreamHeaderProtectionResult } from './header-protection-stream-read.js';

/** What `readMessageStream` reports once the content has been read to its end. */
export type ReadMessageStreamResult = Omit<ReadMessageResult, 'content' | 'headerProtection'> & {
  /**
   * RFC 9788 header protection of the innermost content, as `readMessage` reports it (its `header-mismatch`
   * warnings too), read from the content's header section once every layer's verdict is in: trusted under a
   * signature that verifies over the whole message, or a decryption. Only the header section to display
   * (`displayHead`): the body is the stream. Absent without it.
   */
  headerProtection?: StreamHeaderProtectionResult;
};

/** The innermost content as a stream, and the result (settles when the stream ends). */
export interface ReadMessageStream {
  /** The content inside the last layer; closes normally only when the result is ok. */
  stream: ReadableStream<Uint8Array>;
  /** Resolves when the stream has been read to its end (also when not ok); rejects when a layer cannot be opened. */
  result: Promise<ReadMessageStreamResult>;
}

type Step =
  | {
      kind: 'enveloped';
      identity: number;
      result: Promise<DecryptMessageStreamResult>;
      /** Stops reading the decrypted content (an authenticated one is read to its end first): the result settles. */
      release: () => Promise<void>;
    }
  | { kind: 'signed'; form: 'detached' | 'opaque'; report: Promise<VerifyMessageStreamReport> };

/**
 * Reads a streamed S/MIME message, opening every layer (options as `readMessage`; `verifier` is not supported).
 *
 * @throws ArgumentError `bad-argument` (a custom verifier); what `decryptMessageStream` and `verifyMessageStream`
 *   throw before the content; AlgorithmError `unsupported-format` for a compressed layer; LimitError
 *   `limit-exceeded` beyond `maxLayers`.
 */
export async function readMessageStream(
  input: ByteSource,
  options: ReadMessageOptions = {},
): Promise<ReadMessageStream> {
  if (options.verifier)
    throw new ArgumentError('bad-argument', 'a custom verifier needs the whole message: use readMessage');
  const maxLayers = options.maxLayers ?? options.maxDepth ?? DEFAULT_MAX_LAYERS;
  const steps: Step[] = [];
  try {
    return await openLayers(input, options, maxLayers, steps);
  } catch (e) {
    throw await tamperingFirst(e, steps);
  }
}

/**
 * The error to report when opening a layer failed: an authenticated decryption around it that fails its tag
 * (the layer was garbage because the message was tampered with, as readMessage reports), else `error` itself.
 * Every decryption opened is let go, so that nothing waits for a reader.
 */
async function tamperingFirst(error: unknown, steps: Step[]): Promise<unknown> {
  let tampered: unknown;
  for (const step of [...steps].reverse()) {
    if (step.kind !== 'enveloped') continue;
    await step.release();
    await step.result.catch((e: unknown) => {
      if (tampered === undefined && isTampering(e)) tampered = e;
    });
  }
  return tampered ?? error;
}

/** An authenticated decryption's tag (or key) that does not hold: the cause to report over what it decrypted to. */
const isTampering = (e: unknown): boolean => e instanceof SmimeError && e.code === 'decryption-failed';

async function openLayers(
  input: ByteSource,
  options: ReadMessageOptions,
  maxLayers: number,
  steps: Step[],
): Promise<ReadMessageStream> {
  let current: ByteSource = input;
  let prefixLength = 0;
  let rootHeaders: MimeHeader[] = [];
  for (let depth = 0; ; depth++) {
    const peeked = await peek(current, prefixLength);
    if (depth === 0) rootHeaders = peeked.headers;
    if (depth === 0 && peeked.empty) throw new FormatError('malformed-mime', 'the message is empty');
    prefixLength = 0;
    const type = peeked.type;
    if (type?.form === 'pkcs7-mime' && peeked.cmsType === undefined) {
      // As readMessage: a pkcs7-mime body must be CMS (another CMS type is content; no CMS at all is an error).
      await peeked.stream.cancel();
      throw new FormatError(
        'malformed-cms',
        'the application/pkcs7-mime body is not CMS (no ContentInfo at its start)',
      );
    }
    if (!type || type.form === 'pkcs7-signature' || (type.form === 'pkcs7-mime' && !isLayer(peeked.cmsType))) {
      current = peeked.content;
      break;
    }
    if (depth >= maxLayers) {
      await peeked.stream.cancel();
      throw new LimitError('limit-exceeded', `more than ${maxLayers} S/MIME layers`, {
        details: { limit: 'maxLayers', value: maxLayers, maxLayers },
      });
    }
    if (peeked.cmsType === CONTENT_TYPE.compressedData) {
      await peeked.stream.cancel();
      throw new AlgorithmError(
        'unsupported-format',
        'a compressed layer cannot be read from a stream (its size is unknown until inflated): use readMessage',
      );
    }
    if (type.form === 'multipart-signed' || peeked.cmsType === CONTENT_TYPE.signedData) {
      if (!options.trust) {
        await peeked.stream.cancel();
        throw new ArgumentError('bad-argument', 'reading a signed message needs options.trust (a TrustList)');
      }
      const verified = await openVerifiedStream(
        peeked.stream,
        {
          ...options,
          trust: options.trust,
          // The sender is checked once for the whole message, below.
          allowSenderMismatch: true,
        },
        // The layers inside read on to their end; the verdict is this function's (withVerdict).
        { errorWhenNotOk: false },
      );
      steps.push({
        kind: 'signed',
        form: verified.kind === 'multipart-signed' ? 'detached' : 'opaque',
        report: verified.report,
      });
      current = verified.stream;
      continue;
    }
    const opened = await decryptWithAny(peeked.stream, options, depth);
    steps.push({ kind: 'enveloped', identity: opened.identity, result: opened.result, release: opened.release });
    current = opened.stream;
    prefixLength = opened.prefixLength;
  }
  return withVerdict(current, steps, options, rootHeaders);
}

/**
 * The innermost content as a stream whose end carries every layer's verdict (and the header protection read from
 * the content's header section, kept as it passes): the result settles, and the stream closes only when it is ok.
 */
function withVerdict(
  content: ByteSource,
  steps: Step[],
  options: ReadMessageOptions,
  rootHeaders: readonly MimeHeader[],
): ReadMessageStream {
  const result = settleable();
  async function* produce(): AsyncGenerator<Uint8Array> {
    try {
      // A failed verification errors the stream; its report still arrives, so the result can say why.
      let failure: Error | undefined;
      const head = new HeadCapture();
      try {
        for await (const chunk of iterateBytes(content)) {
          head.add(chunk);
          yield chunk;
        }
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
      }
      // Whatever failed, no decryption is left waiting for a reader (an authenticated one is read to its end).
      if (failure) for (const step of steps) if (step.kind === 'enveloped') await step.release();
      // The layers under a failed content were let go mid-way: their own "cancelled" is not the cause, but a
      // decryption whose tag fails is (the content was garbage because the message was tampered with).
      const read = await summarize(steps, options, { rootHeaders, head: head.bytes() }).catch((e: unknown) => {
        throw isTampering(e) ? e : (failure ?? e);
      });
      result.resolve(read);
      if (!read.ok) throw failure ?? notOk(read);
      if (failure) throw failure;
    } catch (e) {
      result.reject(e);
      throw e;
    }
  }
  return { stream: generatorStream(produce()), result: result.promise };
}

function notOk(read: ReadMessageStreamResult): Error {
  const first = read.problems[0];
  return new FormatError((first?.code ?? 'bad-signature') as 'bad-signature', first?.message ?? 'not ok');
}

function isLayer(cmsType: string | undefined): boolean {
  return (
    cmsType === CONTENT_TYPE.envelopedData ||
    cmsType === CONTENT_TYPE.authEnvelopedData ||
    cmsType === CONTENT_TYPE.signedData ||
    cmsType === CONTENT_TYPE.compressedData
  );
}

/** Each identity in turn until one is a recipient (only the key and RecipientInfos are tried: no content is read). */
async function decryptWithAny(
  stream: ReadableStream<Uint8Array>,
  options: ReadMessageOptions,
  depth: number,
): Promise<{
  identity: number;
  stream: ReadableStream<Uint8Array>;
  prefixLength: number;
  result: Promise<DecryptMessageStreamResult>;
  release: () => Promise<void>;
}> {
  const identities = options.identities ?? [];
  if (identities.length === 0) {
    await stream.cancel();
    throw new ArgumentError('bad-argument', `layer ${depth} is encrypted: an identity is needed to read it`);
  }
  if (identities.length > 1)
    throw new ArgumentError(
      'bad-argument',
      'a streamed message can be tried with one identity only (the content cannot be read twice): use readMessage',
    );
  const opened = await decryptMessageStream(stream, {
    identity: identities[0]!,
    ...(options.allowLegacyGcm ? { allowLegacyGcm: true } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  // The outer headers go on with the content: the sender check of a signature inside compares them.
  const prefix = opened.outerHeaders;
  const authenticated = /gcm/i.test(opened.cipher);
  let started = false;
  async function* message(): AsyncGenerator<Uint8Array> {
    started = true;
    const reader = opened.stream.getReader();
    let done = false;
    try {
      if (prefix.length) yield prefix;
      for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value;
      done = true;
    } finally {
      // Let go before the end (a layer inside failed): an authenticated decryption is read to its end first, so
      // that tampering is reported as such by its tag, as readMessage does, rather than as the garbage it gave.
      if (!done && authenticated) {
        try {
          while (!(await reader.read()).done);
        } catch {
          // the tag's verdict is in opened.result
        }
      } else if (!done) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
  const generator = message();
  const release = async (): Promise<void> => {
    // Not started: nothing has read the decryption; cancelling it settles its result.
    if (started) await generator.return(undefined);
    else await opened.stream.cancel().catch(() => undefined);
  };
  return {
    identity: 0,
    stream: generatorStream(generator),
    prefixLength: prefix.length,
    result: opened.result,
    release,
  };
}

/** The layers' outcomes, in `readMessage`'s terms; `payload`: the top-level headers and the content's header section. */
async function summarize(
  steps: Step[],
  options: ReadMessageOptions,
  payload: { rootHeaders: readonly MimeHeader[]; head: Uint8Array },
): Promise<ReadMessageStreamResult> {
  const layers: MessageLayer[] = [];
  const problems: ReadMessageResult['problems'] = [];
  const verifications: ReadVerification[] = [];
  const reports: VerifyMessageStreamReport[] = [];
  for (const step of steps) {
    if (step.kind === 'enveloped') {
      const r = await step.result;
      layers.push({
        type: 'enveloped',
        identity: step.identity,
        envelopeType: r.envelopeType,
        cipher: r.cipher,
        authenticated: r.authenticated,
        legacyGcmInEnvelopedData: r.legacyGcmInEnvelopedData,
        legacyCipher: r.legacyCipher,
        recipient: r.recipient,
        ...(r.declaredSmimeType !== undefined ? { declaredSmimeType: r.declaredSmimeType } : {}),
      });
      continue;
    }
    // The header protection of the whole message is read once, below, from the innermost content.
    const { headerProtection: _hp, ...report } = await step.report;
    void _hp;
    report.warnings = report.warnings.filter((w) => w.code !== 'header-mismatch');
    reports.push(report);
    const layer = layers.length;
    const own = report.problems.filter((p) => p.code !== 'sender-mismatch');
    const signers = report.signers.map((s) => ({
      ...(s.subject !== undefined ? { subject: s.subject } : {}),
      ...(s.email !== undefined ? { email: s.email } : {}),
      signatureValid: s.signatureValid,
      chainValid: s.chain?.valid === true,
    }));
    const ok =
      own.length === 0 &&
      report.signers.length > 0 &&
      report.signers.every((s) => s.signatureValid && s.chain?.valid === true);
    layers.push({ type: 'signed', form: step.form, ok, signers, problems: own });
    for (const p of own) problems.push({ layer, code: p.code, message: p.message });
    verifications.push({
      layer,
      v: { ok, content: new Uint8Array(0), signers, problems: own, report: { ...report, content: new Uint8Array(0) } },
    });
  }
  // The sender check over the whole message: the first signed layer's report compared the headers it saw (the
  // outer ones, carried through the decryption) with its signers.
  const warnings: ReadMessageResult['warnings'] = [];
  const firstSigned = layers.findIndex((l) => l.type === 'signed');
  if (firstSigned >= 0) {
    const report = reports[0]!;
    // The verifier ran with allowSenderMismatch, so a mismatch is among its warnings; here it is decided.
    for (const w of report.warnings) {
      const finding = { layer: firstSigned, code: w.code, message: w.message };
      if (w.code === 'sender-mismatch' && !options.allowSenderMismatch) problems.push(finding);
      else warnings.push(finding);
    }
  }
  const hp = layers.length ? payloadProtection(layers, verifications, payload, options.limits) : { warnings: [] };
  warnings.push(...hp.warnings.map((w) => ({ layer: layers.length - 1, ...w })));
  const { headerProtection: _none, ...read } = messageVerdict(
    layers,
    verifications,
    problems,
    warnings,
    options.requireAuthenticated ?? false,
  );
  void _none;
  return hp.result ? { ...read, headerProtection: hp.result } : read;
}

function settleable(): {
  promise: Promise<ReadMessageStreamResult>;
  resolve(r: ReadMessageStreamResult): void;
  reject(e: unknown): void;
} {
  let resolve!: (r: ReadMessageStreamResult) => void;
  let reject!: (e: unknown) => void;
  let settled = false;
  const promise = new Promise<ReadMessageStreamResult>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return {
    promise,
    resolve: (r) => {
      if (!settled) resolve(r);
      settled = true;
    },
    reject: (e) => {
      if (!settled) reject(e);
      settled = true;
    },
  };
}
