/**
 * The default signed-layer verifier of `readMessage`: `verifyMessage` / `verifySignedContent` on the level the
 * walker already parsed, with the remaining layer budget, reported as a `SignedLayerVerification`.
 */
import { TrustList } from '../trust/trust-list.js';
import { verifySignedContent, verifyTree, type VerifyMessageOptions } from './verify.js';
import type { VerifyReport } from './report.js';
import { joinPath, rebasePath, type LayerTarget, type WalkedLayer } from './layers.js';
import type { ReadMessageOptions, SignedLayerVerification } from './read.js';

/**
 * `verifyMessage` / `verifySignedContent` as the signed-layer verifier (stops at enveloped layers: readMessage
 * decrypts those), on the level the walker already parsed, with the remaining layer budget.
 */
export async function defaultVerify(
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
    ...(options.revocation !== undefined ? { revocation: options.revocation } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.allowPartial ? { allowPartial: true } : {}),
    maxLayers,
  };
  if (target.cms) {
    const report = await verifySignedContent(target.bytes, { ...common, ...trace(target.depth) });
    return { v: toVerification(report), path: joinPath(target.path, 'opaque') };
  }
  const tree = await verifyTree(
    target.bytes,
    { ...common, ...trace(0) },
    // The sender check covers the whole message (the From outside the encryption too): done once, in finish.
    { depth: target.depth, checkSender: false, ...(target.root ? { root: target.root } : {}) },
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
