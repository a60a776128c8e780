/**
 * `decryptMessage`: opens an S/MIME enveloped (or authEnveloped) message with
 * the recipient's identity.
 */
import type { CertificateInput } from '../util/certificate-input.js';
import { ArgumentError, CryptoError, FormatError, SmimeError } from '../errors.js';
import { toBytes, utf8, type BytesLike } from '../util/bytes.js';
import type { LoadedPrivateKey } from '../crypto/private-key.js';
import { decryptEnvelope, type DecryptedEnvelope } from '../cms/enveloped-decrypt.js';
import { parseEnvelope } from '../cms/enveloped-parse.js';
import { CONTENT_TYPE } from '../cms/content-info.js';
import { joinMessage } from '../mime/canonical.js';
import { TrustList } from '../trust/trust-list.js';
import { LAYER_SELECTION } from './classify.js';
import { verifyTree } from './verify.js';
import { walkLayers, type LayerTarget, type SmimeLayerOptions } from './layers.js';
import { notSmime, smimeCmsOfEntity, type SmimeCms } from './read-cms.js';

/** A decryption identity: the certificate and its private key (e.g. from `loadIdentity`). */
export interface DecryptionIdentity {
  /** The recipient certificate (DER, PEM or a certificate object). */
  certificate: CertificateInput;
  /** PKCS#8 DER/PEM (PKCS#1 and SEC1 also accepted) or a loaded key. */
  privateKey: BytesLike | LoadedPrivateKey;
}

/** Options of `decryptMessage` (`limits`, `onLayer`: the vocabulary of `SmimeLayerOptions`). */
export interface DecryptMessageOptions extends Pick<SmimeLayerOptions, 'limits' | 'onLayer'> {
  identity: DecryptionIdentity;
  /** Try the key on every RecipientInfo, not only the ones naming the certificate (default false). */
  tryAllRecipients?: boolean;
  /**
   * Read AES-GCM with a nonce other than 12 bytes or a tag of 4 or 8 bytes (RFC 5084 allows them; refused by
   * default with `legacy-gcm-parameters`). The tag is still checked before any plaintext is released.
   */
  allowLegacyGcm?: boolean;
  /**
   * Refuse content that is not `authenticated` (AES-CBC or a legacy cipher whose content carries no signature
   * that verifies over all of it) with `unauthenticated-encryption`, returning nothing. Default false.
   */
  requireAuthenticated?: boolean;
}

/** Result of `decryptMessage`. */
export interface DecryptMessageResult {
  /** The decrypted content exactly as encrypted (for S/MIME: a MIME entity). */
  content: Uint8Array;
  /** For a whole message: its outer headers followed by the decrypted entity; otherwise `content` itself. */
  message: Uint8Array;
  /** `envelopedData` or `authEnvelopedData`. */
  envelopeType: DecryptedEnvelope['envelopeType'];
  cipher: string;
  /**
   * The content is protected against modification: AES-GCM (AuthEnvelopedData, or the legacy GCM-in-EnvelopedData
   * form), or the decrypted content is a signed entity whose signatures verify over all of it (checked
   * cryptographically only: who signed, and whether that certificate is trusted, is `readMessage`'s job). False
   * for AES-CBC or a legacy cipher without such a signature: CBC ciphertext is malleable (EFAIL).
   */
  authenticated: boolean;
  /** GCM inside EnvelopedData (a non-standard form some libraries write), tolerated on input. */
  legacyGcmInEnvelopedData: boolean;
  /** 3DES, DES or RC2 content (old mail): decrypted, but weak. */
  legacyCipher: boolean;
  recipient: DecryptedEnvelope['recipient'];
  recipientCount: number;
  /** The `smime-type` the message declared (may be wrong: .NET writes `signed-data` for enveloped data). */
  declaredSmimeType?: string;
}

/**
 * Decrypts an S/MIME message (whole message, entity, or raw CMS DER/PEM).
 *
 * @throws FormatError `not-enveloped` (the CMS is not EnvelopedData),
 *   `not-smime`, `malformed-cms`; CryptoError `not-recipient`,
 *   `decryption-failed` (one code for every cryptographic failure, no partial
 *   content); AlgorithmError `unsupported-algorithm`; LimitError
 *   `mime-limit-exceeded` (the message exceeds `limits`).
 */
export async function decryptMessage(
  mime: BytesLike | string,
  options: DecryptMessageOptions,
): Promise<DecryptMessageResult> {
  if (!options?.identity?.privateKey || !options.identity.certificate) {
    throw new ArgumentError('bad-argument', 'decryptMessage needs options.identity with certificate and privateKey');
  }
  const bytes = typeof mime === 'string' ? utf8(mime) : toBytes(mime, 'message');
  let out: DecryptMessageResult | undefined;
  // The shared walker, one layer deep: the message itself must be the enveloped layer.
  const walked = await walkLayers(
    bytes,
    {
      scope: 'top',
      rawCms: true,
      select: LAYER_SELECTION.decrypt,
      tooDeep: () => undefined,
      async visit(target) {
        out = await decryptLayer(target, options);
        return {
          kind: out.envelopeType === 'authEnvelopedData' ? 'authEnveloped-data' : 'enveloped-data',
          content: out.content,
          descend: false,
        };
      },
    },
    { ...options, maxLayers: 1 },
  );
  if (!out) throw notSmime(walked.root?.contentType.mediaType ?? 'not S/MIME');
  if (!out.authenticated) out.authenticated = await signatureCoversAll(out.content, options.limits);
  if (!out.authenticated && options.requireAuthenticated) {
    throw new CryptoError(
      'unauthenticated-encryption',
      `the message is encrypted with ${out.cipher}, which does not protect its integrity, and its content carries no signature that verifies over all of it: refused (requireAuthenticated)`,
    );
  }
  return out;
}

/**
 * True when `content` is a signed entity (multipart/signed or opaque signed-data) whose outermost signatures all
 * verify over the whole of it. Cryptographic check only (an empty trust list): it says the decrypted bytes are
 * what some signer signed, not who that is.
 */
async function signatureCoversAll(content: Uint8Array, limits: DecryptMessageOptions['limits']): Promise<boolean> {
  try {
    const { report } = await verifyTree(
      content,
      {
        trust: new TrustList(),
        maxLayers: 2,
        ...(limits ? { limits } : {}),
      },
      { depth: 0, checkSender: false },
    );
    const top = report.layers[0];
    return (
      top?.path === '/' &&
      report.coverage.complete &&
      top.signers.length > 0 &&
      top.signers.every((i) => report.signers[i]!.signatureValid)
    );
  } catch (e) {
    if (e instanceof SmimeError) return false;
    throw e;
  }
}

async function decryptLayer(target: LayerTarget, options: DecryptMessageOptions): Promise<DecryptMessageResult> {
  const found: SmimeCms = target.cms ? { cms: target.cms, outerHeaders: [] } : smimeCmsOfEntity(target.entity!);
  const { cms } = found;
  if (cms.contentType !== CONTENT_TYPE.envelopedData && cms.contentType !== CONTENT_TYPE.authEnvelopedData) {
    throw new FormatError('not-enveloped', `the message is ${cms.name ?? cms.contentType}, not enveloped data`, {
      details: { contentType: cms.name ?? cms.contentType },
    });
  }
  const env = await decryptEnvelope(parseEnvelope(cms, options.limits), {
    certificate: options.identity.certificate,
    privateKey: options.identity.privateKey,
    tryAllRecipients: options.tryAllRecipients ?? false,
    allowLegacyGcm: options.allowLegacyGcm ?? false,
  });
  // Without outer headers the message is the content itself: no second copy of a possibly large entity.
  const message = found.outerHeaders.length ? joinMessage(found.outerHeaders, env.content) : env.content;
  const out: DecryptMessageResult = {
    content: env.content,
    message,
    envelopeType: env.envelopeType,
    cipher: env.cipher,
    authenticated: env.authenticated,
    legacyGcmInEnvelopedData: env.legacyGcmInEnvelopedData,
    legacyCipher: env.legacyCipher,
    recipient: env.recipient,
    recipientCount: env.recipientCount,
  };
  if (found.declaredSmimeType !== undefined) out.declaredSmimeType = found.declaredSmimeType;
  return out;
}
