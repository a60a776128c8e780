/**
 * The message-level checks of `readMessage` (issue #14), made once every layer is open: the sender check over
 * the whole message (the From/Sender outside every layer, even outside the encryption, against the signers of
 * every signed layer), and whether the content is authenticated (AES-GCM, or a signature that verifies over a
 * whole layer).
 */
import type { SmimeErrorCode } from '../error-codes.js';
import type { MimeHeader } from '../mime/headers.js';
import {
  checkSender,
  messageSignedLayers,
  senderCopy,
  signedSenderCopy,
  type SenderCopy,
  type SenderSigner,
} from './sender.js';
import type { MessageLayer, ReadMessageResult, SignedLayerVerification } from './read.js';

/** A finding of `readMessage`, tied to a layer when there is one. */
export interface ReadFinding {
  layer: number;
  code: SmimeErrorCode;
  message: string;
}

/** One signed-layer verification as `readMessage` recorded it. */
export interface ReadVerification {
  /** Index in `layers` of the first layer it covers. */
  layer: number;
  v: SignedLayerVerification;
}

/**
 * The sender check of `readMessage`: the From/Sender headers outside every layer (`root`, the headers a client
 * displays) and the signed copies inside each signed layer, against the signers of every signed layer of the
 * message (not those of attached messages). Nothing to check without a signed layer (anyone can encrypt).
 */
export function readSenderCheck(
  root: readonly MimeHeader[] | undefined,
  verifications: readonly ReadVerification[],
  options: { allowMismatch: boolean; from?: string | undefined },
): { problems: ReadFinding[]; warnings: ReadFinding[] } {
  if (verifications.length === 0) return { problems: [], warnings: [] };
  const outer = root ? senderCopy(root, 'the From/Sender header') : undefined;
  const copies: SenderCopy[] = outer ? [outer] : [];
  const signers: SenderSigner[] = [];
  for (const { v } of verifications) {
    if (v.report) {
      const own = messageSignedLayers(v.report.layers, v.report.signers);
      copies.push(...own.copies);
      signers.push(...own.signers);
      continue;
    }
    // A custom verifier without a report: its signers' addresses, and the signed copy in its content.
    const copy = signedSenderCopy(v.content, 'the From/Sender header inside the signature');
    if (copy) copies.push(copy);
    for (const s of v.signers)
      signers.push({ signatureValid: s.signatureValid, ...(s.email !== undefined ? { email: s.email } : {}) });
  }
  const layer = verifications[0]!.layer;
  const found = checkSender(copies, signers, options);
  return {
    problems: found.problems.map((p) => ({ layer, ...p })),
    warnings: found.warnings.map((w) => ({ layer, ...w })),
  };
}

/**
 * True when the content `readMessage` returns is protected against modification: an AES-GCM layer
 * (AuthEnvelopedData), or a signed layer whose signatures all verify over its whole content — inside the
 * encryption (it covers the decrypted content) or around it (it covers the ciphertext). Each layer of a read
 * message is the whole content of the one above, so one such layer protects everything inside it. Signatures
 * on messages attached inside a layer do not count. False for plain mail and for AES-CBC (or 3DES, RC2, DES)
 * without such a signature: CBC is malleable (EFAIL).
 */
function isAuthenticated(layers: readonly MessageLayer[], verifications: readonly ReadVerification[]): boolean {
  return layers.some((l) => l.type === 'enveloped' && l.authenticated) || signatureVouches(verifications);
}

/**
 * True when a signed layer `readMessage` opened vouches for the content inside it: every signature of its
 * outermost layer verifies and one signature covers its whole content.
 */
export function signatureVouches(verifications: readonly ReadVerification[]): boolean {
  return verifications.some(({ v }) => {
    if (!v.report) return v.signers.length > 0 && v.signers.every((s) => s.signatureValid);
    // The verifier's outermost layer is the layer read found; the others are nested in it or attached.
    const top = v.report.layers[0];
    return (
      top !== undefined &&
      v.report.coverage.complete &&
      top.signers.length > 0 &&
      top.signers.every((i) => v.report!.signers[i]!.signatureValid)
    );
  });
}

/** `unauthenticated-encryption`: what it means, for the warning and for the refusal. */
function unauthenticatedEncryption(layers: readonly MessageLayer[], refused: boolean): ReadFinding {
  const index = layers.findIndex((l) => l.type === 'enveloped' && !l.authenticated);
  const layer = layers[index];
  const cipher = layer?.type === 'enveloped' ? layer.cipher : 'CBC';
  return {
    layer: Math.max(index, 0),
    code: 'unauthenticated-encryption',
    message: `the content was encrypted with ${cipher} (no integrity protection) and no signature that verifies covers it: it may have been modified in transit (EFAIL)${refused ? '; refused (requireAuthenticated)' : ''}`,
  };
}

/**
 * The message-level verdict once every layer is open: authenticated encryption (warning, or a problem with
 * `requireAuthenticated`), plain mail never `ok`, and the flags of the result. `problems` and `warnings` are
 * completed in place.
 */
export function messageVerdict(
  layers: MessageLayer[],
  verifications: readonly ReadVerification[],
  problems: ReadMessageResult['problems'],
  warnings: ReadMessageResult['warnings'],
  requireAuthenticated: boolean,
): Omit<ReadMessageResult, 'content'> {
  const unprotected = !layers.some((l) => l.type === 'signed' || l.type === 'enveloped');
  const encrypted = layers.some((l) => l.type === 'enveloped');
  const authenticated = isAuthenticated(layers, verifications);
  if (encrypted && !authenticated) {
    if (requireAuthenticated) problems.push(unauthenticatedEncryption(layers, true));
    else warnings.push(unauthenticatedEncryption(layers, false));
  }
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
    encrypted,
    authenticated,
    layers,
    problems,
    warnings,
  };
}
