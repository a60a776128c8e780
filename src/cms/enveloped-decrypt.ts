/**
 * Decrypting EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083/5084)
 * with the recipient's private key (or a KEK): finding the RecipientInfo,
 * recovering the content-encryption key, then decrypting the content.
 */
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { AlgorithmError, ArgumentError, CryptoError, SmimeError } from '../errors.js';
import { keyMatchesCertificate } from '../crypto/key-match.js';
import { normalizePkcs8, loadPrivateKey, type LoadedPrivateKey } from '../crypto/private-key.js';
import { bytesEqual, toBytes, type BytesLike } from '../util/bytes.js';
import { readCertificate, type Certificate } from '../x509/index.js';
import type { ContentInfo } from './content-info.js';
import { cekLength, checkContentParameters, decryptContentWith, isGcm } from './content-cipher.js';
import type { GcmParameterPolicy } from '../crypto/ciphers/content.js';
import type { KeyManagement } from './recipient-encode.js';
import {
  findRecipients,
  keyManagementOf,
  recoverCek,
  recoverCekWithKek,
  type RecipientCandidate,
} from './recipient-recover.js';
import { parseEnvelope, type ParsedEnvelope } from './enveloped-parse.js';

/** A private key for decryption: PKCS#8 DER / PEM bytes, or an already loaded key. */
export type DecryptionKey = BytesLike | LoadedPrivateKey;

/** Options of `decryptEnvelope`. */
export interface DecryptEnvelopeOptions {
  /** The recipient certificate (DER, PEM or a certificate object), used to find its RecipientInfo. */
  certificate?: CertificateInput;
  /** The recipient's private key. */
  privateKey?: DecryptionKey;
  /**
   * Also try the key on every RecipientInfo that does not name the
   * certificate (default false). With PKCS#1 v1.5 a wrong key gives a random
   * CEK, so CBC content may then decrypt to garbage instead of failing.
   * At most `MAX_TRIAL_RECIPIENTS` (64) extra RecipientInfos are tried.
   */
  tryAllRecipients?: boolean;
  /** A KEKRecipientInfo key (AES key wrap) and optionally its kekid. */
  kek?: { key: Uint8Array; keyIdentifier?: Uint8Array };
  /**
   * Check that the private key belongs to `certificate` before using it (default true; skipped with
   * `tryAllRecipients`): a mismatched pair would otherwise pass the RecipientInfo match and, with CBC content,
   * could yield garbage instead of an error. Fails with `key-mismatch`.
   */
  checkKeyMatch?: boolean;
  /**
   * Read AES-GCM with a nonce that is not 12 bytes or a tag of 8 or 4 bytes (default false: refused with
   * `legacy-gcm-parameters` before any key is used). See `GcmParameterPolicy`.
   */
  allowLegacyGcm?: boolean;
}

/** Result of `decryptEnvelope`. */
export interface DecryptedEnvelope {
  content: Uint8Array;
  /** eContentType of the decrypted content. */
  contentType: string;
  envelopeType: 'envelopedData' | 'authEnvelopedData';
  cipher: string;
  /** True for AES-GCM (AuthEnvelopedData, or the legacy GCM-in-EnvelopedData form). */
  authenticated: boolean;
  /** GCM inside EnvelopedData (non-standard; tolerated on input only). */
  legacyGcmInEnvelopedData: boolean;
  /** A legacy content cipher (3DES, DES, RC2): readable, never written; worth telling the user. */
  legacyCipher: boolean;
  recipient: {
    index: number;
    keyManagement: KeyManagement;
    matchedBy: 'issuerAndSerialNumber' | 'subjectKeyIdentifier' | 'trial' | 'kek';
  };
  recipientCount: number;
}

async function toLoadedKey(key: DecryptionKey): Promise<LoadedPrivateKey> {
  if (typeof key === 'object' && 'pkcs8' in key && 'type' in key) return key;
  const bytes = toBytes(key, 'private key');
  // PEM or encrypted keys go through loadPrivateKey; plain PKCS#8 DER through normalizePkcs8.
  if (bytes[0] === 0x30) {
    try {
      return normalizePkcs8(bytes);
    } catch {
      // fall through (PKCS#1 / SEC1 DER)
    }
  }
  return loadPrivateKey(bytes);
}

/** Most RecipientInfos tried with `tryAllRecipients` beyond those naming the certificate. */
const MAX_TRIAL_RECIPIENTS = 64;

/** Most RecipientInfos (or KARI encrypted keys) naming the certificate that are tried (real messages have one). */
export const MAX_NAMED_RECIPIENTS = 16;

/** The single error for every cryptographic failure (no padding oracle). */
export const decryptionFailed = (cause?: unknown): CryptoError =>
  new CryptoError(
    'decryption-failed',
    'decryption failed (wrong key, or corrupted or tampered message)',
    cause === undefined ? undefined : { cause },
  );

/**
 * Decrypts an EnvelopedData / AuthEnvelopedData with the recipient's
 * certificate and private key (or a KEK). The RecipientInfo is found by
 * issuerAndSerialNumber or subjectKeyIdentifier; a key addressed by none is
 * `not-recipient` unless `tryAllRecipients`. Every cryptographic failure is
 * the single code `decryption-failed` (no padding oracle); for AES-GCM
 * nothing is returned unless the tag verifies.
 *
 * @throws CryptoError `not-recipient` / `decryption-failed`, FormatError
 *   `malformed-cms` / `not-enveloped` / `bad-gcm-parameters` / `bad-rc2-parameters`, AlgorithmError
 *   `unsupported-algorithm` / `legacy-gcm-parameters` (without `allowLegacyGcm`).
 */
export async function decryptEnvelope(
  input: BytesLike | string | ContentInfo | ParsedEnvelope,
  options: DecryptEnvelopeOptions,
): Promise<DecryptedEnvelope> {
  const env = typeof input === 'object' && 'recipientInfos' in input ? input : parseEnvelope(input);
  const opener = contentOpener(env, { allowLegacyGcm: options.allowLegacyGcm ?? false });
  if (options.kek) return decryptWithKek(env, options.kek, opener);
  return decryptWithPrivateKey(env, options, opener);
}

/** What happens once a CEK is recovered, the same whichever RecipientInfo gave it. */
interface ContentOpener {
  /** The CEK length the content cipher needs. */
  cekLength: number;
  /** Decrypts the content with `cek`, then wipes `cek`. */
  decryptWith(cek: Uint8Array): Promise<Uint8Array>;
  result(content: Uint8Array, recipient: DecryptedEnvelope['recipient']): DecryptedEnvelope;
}

/**
 * The content cipher fits the envelope type (AuthEnvelopedData must be AEAD) and its parameters pass `policy`:
 * checked before any key is used. Returns the CEK length the cipher needs.
 *
 * @throws AlgorithmError `unsupported-algorithm`, `legacy-gcm-parameters`; FormatError `malformed-cms`,
 *   `bad-gcm-parameters`, `bad-rc2-parameters`
 */
export function checkEnvelopeCipher(
  envelopeType: ParsedEnvelope['contentType'],
  alg: ParsedEnvelope['contentEncryptionAlgorithm'],
  cipher: string,
  policy: GcmParameterPolicy,
): { cekLength: number } {
  const length = cekLength(alg);
  if (envelopeType === 'authEnvelopedData' && !isGcm(alg)) {
    throw new AlgorithmError('unsupported-algorithm', `AuthEnvelopedData with non-AEAD cipher ${cipher}`);
  }
  checkContentParameters(alg, policy);
  return { cekLength: length };
}

/**
 * Checks the content cipher fits the envelope type (AuthEnvelopedData must be AEAD) and its parameters (IV, GCM
 * nonce and tag length under `policy`) before any key is used.
 */
function contentOpener(env: ParsedEnvelope, policy: GcmParameterPolicy): ContentOpener {
  const alg = env.contentEncryptionAlgorithm;
  const length = checkEnvelopeCipher(env.contentType, alg, env.cipher, policy).cekLength;
  const gcm = isGcm(alg);
  const legacy = gcm && env.contentType === 'envelopedData';
  const decryptWith = async (cek: Uint8Array): Promise<Uint8Array> => {
    try {
      return await decryptContentWith(
        alg,
        cek,
        env.encryptedContent,
        env.contentType === 'authEnvelopedData'
          ? { tag: env.mac!, ...(env.authAttrs ? { aad: env.authAttrs } : {}) }
          : undefined,
        policy,
      );
    } finally {
      cek.fill(0);
    }
  };
  const result = (content: Uint8Array, recipient: DecryptedEnvelope['recipient']): DecryptedEnvelope => ({
    content,
    contentType: env.encryptedContentType,
    envelopeType: env.contentType,
    cipher: env.cipher,
    authenticated: gcm,
    legacyGcmInEnvelopedData: legacy,
    legacyCipher: /^(des|rc2)/.test(env.cipher),
    recipient,
    recipientCount: env.recipientInfos.length,
  });
  return { cekLength: length, decryptWith, result };
}

/** KEKRecipientInfo: the first one whose kekid matches (any, without a key identifier). */
async function decryptWithKek(
  env: ParsedEnvelope,
  kek: NonNullable<DecryptEnvelopeOptions['kek']>,
  opener: ContentOpener,
): Promise<DecryptedEnvelope> {
  const index = env.recipientInfos.findIndex(
    (ri) => ri.kind === 'kekri' && (!kek.keyIdentifier || bytesEqual(ri.keyIdentifier, kek.keyIdentifier)),
  );
  if (index < 0) throw new CryptoError('not-recipient', 'no KEKRecipientInfo matches the key identifier');
  const ri = env.recipientInfos[index]!;
  if (ri.kind !== 'kekri') throw new CryptoError('not-recipient', 'no KEKRecipientInfo');
  const cek = await recoverCekWithKek(ri, kek.key);
  if (cek.length !== opener.cekLength) throw decryptionFailed();
  return opener.result(await opener.decryptWith(cek), { index, keyManagement: 'kek', matchedBy: 'kek' });
}

/**
 * The private key loaded and, unless the caller opted out, checked against the recipient certificate.
 *
 * @throws ArgumentError `bad-argument` (no key; no certificate without `tryAllRecipients`); CryptoError `key-mismatch`
 */
export async function prepareRecipientKey(
  options: DecryptEnvelopeOptions,
): Promise<{ key: LoadedPrivateKey; certInfo: Certificate | undefined }> {
  if (!options.privateKey) throw new ArgumentError('bad-argument', 'decryptEnvelope needs a private key (or a KEK)');
  const key = await toLoadedKey(options.privateKey);
  const certDer = options.certificate ? certificateDer(options.certificate) : undefined;
  const certInfo = certDer ? readCertificate(certDer) : undefined;
  // With tryAllRecipients the caller has accepted trial decryption (and its garbage risk) anyway.
  if (
    certDer &&
    options.checkKeyMatch !== false &&
    !options.tryAllRecipients &&
    !(await keyMatchesCertificate(key, certDer))
  ) {
    throw new CryptoError('key-mismatch', 'the private key does not belong to the recipient certificate');
  }
  if (!certInfo && !options.tryAllRecipients)
    throw new ArgumentError(
      'bad-argument',
      'decryptEnvelope needs the recipient certificate unless tryAllRecipients is set',
    );
  return { key, certInfo };
}

/** Key transport / key agreement: tries each candidate RecipientInfo in turn; the first that decrypts wins. */
async function decryptWithPrivateKey(
  env: ParsedEnvelope,
  options: DecryptEnvelopeOptions,
  opener: ContentOpener,
): Promise<DecryptedEnvelope> {
  const { key, certInfo } = await prepareRecipientKey(options);
  const candidates = boundedCandidates(env, certInfo, key, options.tryAllRecipients ?? false);
  let lastError: unknown;
  for (const c of candidates) {
    try {
      const cek = await recoverCek(c, key, opener.cekLength);
      const content = await opener.decryptWith(cek);
      return opener.result(content, { index: c.index, keyManagement: keyManagementOf(c), matchedBy: c.matchedBy });
    } catch (e) {
      if (e instanceof SmimeError && e.code !== 'decryption-failed') throw e;
      lastError = e;
    }
  }
  throw decryptionFailed(lastError);
}

/**
 * The RecipientInfos to try, capped: each attempt costs a private-key operation, so a hostile message with
 * thousands of RecipientInfos (all naming the certificate, or tried with tryAllRecipients) must not be a DoS.
 * Trial candidates are limited to those the key type can open. None at all is `not-recipient`.
 */
function boundedCandidates(
  env: ParsedEnvelope,
  certInfo: Certificate | undefined,
  key: LoadedPrivateKey,
  tryAll: boolean,
): RecipientCandidate[] {
  let trials = 0;
  let named = 0;
  const candidates = findRecipients(env.recipientInfos, certInfo, tryAll).filter((c) => {
    if (c.matchedBy !== 'trial') return ++named <= MAX_NAMED_RECIPIENTS;
    const fits =
      c.info.kind === 'ktri' ? key.type === 'rsa' : key.type === 'ec' || key.type === 'x25519' || key.type === 'x448';
    return fits && ++trials <= MAX_TRIAL_RECIPIENTS;
  });
  if (candidates.length === 0) {
    throw new CryptoError(
      'not-recipient',
      `the message is not encrypted to ${certInfo ? certInfo.subject.text : 'this key'} (no RecipientInfo matches)`,
      {
        details: { recipientInfos: env.recipientInfos.length },
      },
    );
  }
  return candidates;
}
