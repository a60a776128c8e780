/**
 * EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083/5084): writing
 * to any number of recipients, reading, and decrypting with a private key
 * (or a KEK). AES-GCM is only ever written as AuthEnvelopedData; GCM found
 * inside EnvelopedData (what PKI.js writes) is read as a tolerated legacy form.
 */
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { AlgorithmError, ArgumentError, CryptoError, FormatError, SmimeError } from '../errors.js';
import { keyMatchesCertificate } from '../crypto/key-match.js';
import { normalizePkcs8, loadPrivateKey, type LoadedPrivateKey } from '../crypto/private-key.js';
import { bytesEqual, toBytes, type BytesLike } from '../util/bytes.js';
import { readCertificate } from '../x509/index.js';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo, type ContentInfo } from './content-info.js';
import { CONTENT_CIPHERS, cekLength, contentCipherName, decryptContentWith, encryptContent, generateCek, isGcm, type ContentCipherName } from './content-cipher.js';
import {
  encodeRecipientInfo,
  findRecipients,
  keyManagementOf,
  parseRecipientInfos,
  recoverCek,
  recoverCekWithKek,
  type EnvelopeRecipient,
  type KeyManagement,
  type ParsedRecipientInfo,
  type RecipientSummary,
} from './recipient.js';
import { encodeAuthEnvelopedData } from './auth-enveloped.js';
import { type DerNode, derParse, derIsContext, derSequence, derOid, derSmallInt, derOctets, type ParsedAlgorithm, derAlgorithm, tlv, seq, set, encodeOid, encodeInt } from '../asn1/index.js';
import { parsing } from './malformed.js';

/** Options of `createEnvelope`. */
export interface CreateEnvelopeOptions {
  /** Content cipher; GCM ciphers produce AuthEnvelopedData. Default `aes-256-cbc`. */
  cipher?: ContentCipherName;
  /** eContentType of the encrypted content (default id-data). */
  contentType?: string;
}

/** A new EnvelopedData / AuthEnvelopedData. */
export interface CreatedEnvelope {
  /** DER ContentInfo. */
  der: Uint8Array;
  contentType: 'envelopedData' | 'authEnvelopedData';
  cipher: ContentCipherName;
  recipients: RecipientSummary[];
}

/**
 * Encrypts `content` to every recipient: RSA key transport (PKCS#1 v1.5 or
 * OAEP) or ECDH-ES key agreement per recipient, AES-CBC in EnvelopedData or
 * AES-GCM in AuthEnvelopedData. Never RC2/DES/3DES.
 *
 * @throws ArgumentError `bad-argument` (no recipients, unknown cipher),
 *   AlgorithmError `unsupported-algorithm` (a key that cannot encrypt).
 */
export async function createEnvelope(content: BytesLike, recipients: readonly EnvelopeRecipient[], options: CreateEnvelopeOptions = {}): Promise<CreatedEnvelope> {
  const data = toBytes(content, 'content');
  if (!recipients.length) throw new ArgumentError('bad-argument', 'at least one recipient is needed');
  const cipher = options.cipher ?? 'aes-256-cbc';
  const info = CONTENT_CIPHERS[cipher];
  if (!info) throw new ArgumentError('bad-argument', `unknown content cipher "${String(cipher)}"`);
  const cek = generateCek(cipher);
  try {
    const ris: Uint8Array[] = [];
    const summaries: RecipientSummary[] = [];
    let maxVersion = 0;
    for (const r of recipients) {
      const ri = await encodeRecipientInfo({ ...r, certificate: certificateDer(r.certificate, 'recipient certificate') }, cek);
      ris.push(ri.der);
      summaries.push(ri.summary);
      maxVersion = Math.max(maxVersion, ri.version);
    }
    const contentType = options.contentType ?? CONTENT_TYPE.data;
    const parts = await encryptContent(cipher, cek, data);
    const eci = seq(encodeOid(contentType), parts.algorithm, tlv(0x80, parts.ciphertext));
    // Recipient order is kept (SET OF need not be sorted in BER; OpenSSL keeps insertion order too).
    const recipientInfos = set(...ris);
    if (info.mode === 'gcm') {
      const der = encodeContentInfo(CONTENT_TYPE.authEnvelopedData, encodeAuthEnvelopedData(recipientInfos, eci, parts.tag!));
      return { der, contentType: 'authEnvelopedData', cipher, recipients: summaries };
    }
    // RFC 5652 §6.1: version 2 when any RecipientInfo is not v0 (SKI KTRI, KARI).
    const version = maxVersion === 0 ? 0 : 2;
    const der = encodeContentInfo(CONTENT_TYPE.envelopedData, seq(encodeInt(version), recipientInfos, eci));
    return { der, contentType: 'envelopedData', cipher, recipients: summaries };
  } finally {
    cek.fill(0);
  }
}

/** A parsed EnvelopedData or AuthEnvelopedData. */
export interface ParsedEnvelope {
  contentType: 'envelopedData' | 'authEnvelopedData';
  version: number;
  recipientInfos: ParsedRecipientInfo[];
  /** eContentType of the encrypted content. */
  encryptedContentType: string;
  contentEncryptionAlgorithm: ParsedAlgorithm;
  /** `aes-256-gcm`, `des-ede3-cbc`, `rc2-cbc/128`, ... (the OID when unknown). */
  cipher: string;
  encryptedContent: Uint8Array;
  /** AuthEnvelopedData: DER `SET OF` authAttrs (the AES-GCM additional data), when present. */
  authAttrs?: Uint8Array;
  /** AuthEnvelopedData: the tag. */
  mac?: Uint8Array;
}

function asContentInfo(input: BytesLike | string | ContentInfo): ContentInfo {
  if (typeof input === 'object' && 'contentType' in input && 'content' in input) return input as ContentInfo;
  return parseContentInfo(input as BytesLike | string);
}

/**
 * Parses an EnvelopedData / AuthEnvelopedData ContentInfo (DER, BER or PEM).
 *
 * @throws FormatError `malformed-cms`, or `not-enveloped` for other content types.
 */
export function parseEnvelope(input: BytesLike | string | ContentInfo): ParsedEnvelope {
  const ci = asContentInfo(input);
  if (ci.contentType !== CONTENT_TYPE.envelopedData && ci.contentType !== CONTENT_TYPE.authEnvelopedData) {
    throw new FormatError('not-enveloped', `the CMS content is ${ci.name ?? ci.contentType}, not EnvelopedData`, { details: { contentType: ci.name ?? ci.contentType } });
  }
  const auth = ci.contentType === CONTENT_TYPE.authEnvelopedData;
  return parsing(auth ? 'AuthEnvelopedData' : 'EnvelopedData', () => {
    const kids = derSequence(derParse(ci.content), 'EnvelopedData', 3);
    let i = 0;
    const version = derSmallInt(kids[i++], 'version');
    if (kids[i] && derIsContext(kids[i]!, 0)) i++; // originatorInfo: certificates/CRLs, not needed to decrypt
    const recipientInfos = parseRecipientInfos(kids[i++]!);
    const eci = derSequence(kids[i++], 'EncryptedContentInfo', 2);
    const contentEncryptionAlgorithm = derAlgorithm(eci[1], 'contentEncryptionAlgorithm');
    const encNode = eci[2];
    if (!encNode || !derIsContext(encNode, 0)) throw new FormatError('malformed-cms', 'the EnvelopedData carries no encrypted content (detached content is not supported)');
    const out: ParsedEnvelope = {
      contentType: auth ? 'authEnvelopedData' : 'envelopedData',
      version,
      recipientInfos,
      encryptedContentType: derOid(eci[0], 'contentType'),
      contentEncryptionAlgorithm,
      cipher: contentCipherName(contentEncryptionAlgorithm),
      encryptedContent: derOctets(encNode, 'encryptedContent', { implicitTag: 0 }),
    };
    if (auth) {
      let node: DerNode | undefined = kids[i];
      if (node && derIsContext(node, 1)) {
        // AAD = DER of the authAttrs with the SET OF tag (RFC 5083 §2.2).
        const bytes = node.buf.slice(node.start, node.end);
        bytes[0] = 0x31;
        out.authAttrs = bytes;
        node = kids[++i];
      }
      if (!node || node.cls !== 0 || node.tag !== 4) throw new FormatError('malformed-cms', 'AuthEnvelopedData has no mac');
      out.mac = derOctets(node, 'mac');
    }
    return out;
  });
}

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
  recipient: { index: number; keyManagement: KeyManagement; matchedBy: 'issuerAndSerialNumber' | 'subjectKeyIdentifier' | 'trial' | 'kek' };
  recipientCount: number;
}

async function toLoadedKey(key: DecryptionKey): Promise<LoadedPrivateKey> {
  if (typeof key === 'object' && 'pkcs8' in key && 'type' in key) return key as LoadedPrivateKey;
  const bytes = toBytes(key as BytesLike, 'private key');
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
export const MAX_TRIAL_RECIPIENTS = 64;

/** Most RecipientInfos (or KARI encrypted keys) naming the certificate that are tried (real messages have one). */
export const MAX_NAMED_RECIPIENTS = 16;

const failed = (cause?: unknown): CryptoError =>
  new CryptoError('decryption-failed', 'decryption failed (wrong key, or corrupted or tampered message)', cause === undefined ? undefined : { cause });

/**
 * Decrypts an EnvelopedData / AuthEnvelopedData with the recipient's
 * certificate and private key (or a KEK). The RecipientInfo is found by
 * issuerAndSerialNumber or subjectKeyIdentifier; a key addressed by none is
 * `not-recipient` unless `tryAllRecipients`. Every cryptographic failure is
 * the single code `decryption-failed` (no padding oracle); for AES-GCM
 * nothing is returned unless the tag verifies.
 *
 * @throws CryptoError `not-recipient` / `decryption-failed`, FormatError
 *   `malformed-cms` / `not-enveloped`, AlgorithmError `unsupported-algorithm`.
 */
export async function decryptEnvelope(input: BytesLike | string | ContentInfo | ParsedEnvelope, options: DecryptEnvelopeOptions): Promise<DecryptedEnvelope> {
  const env = typeof input === 'object' && 'recipientInfos' in input ? (input as ParsedEnvelope) : parseEnvelope(input as BytesLike | string | ContentInfo);
  const alg = env.contentEncryptionAlgorithm;
  const length = cekLength(alg);
  const gcm = isGcm(alg);
  const legacy = gcm && env.contentType === 'envelopedData';
  if (env.contentType === 'authEnvelopedData' && !gcm) {
    throw new AlgorithmError('unsupported-algorithm', `AuthEnvelopedData with non-AEAD cipher ${env.cipher}`);
  }
  const decryptWith = async (cek: Uint8Array): Promise<Uint8Array> => {
    try {
      return await decryptContentWith(alg, cek, env.encryptedContent, env.contentType === 'authEnvelopedData' ? { tag: env.mac!, ...(env.authAttrs ? { aad: env.authAttrs } : {}) } : undefined);
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

  if (options.kek) {
    const index = env.recipientInfos.findIndex(
      (ri) => ri.kind === 'kekri' && (!options.kek!.keyIdentifier || bytesEqual(ri.keyIdentifier, options.kek!.keyIdentifier)),
    );
    if (index < 0) throw new CryptoError('not-recipient', 'no KEKRecipientInfo matches the key identifier');
    const ri = env.recipientInfos[index]!;
    if (ri.kind !== 'kekri') throw new CryptoError('not-recipient', 'no KEKRecipientInfo');
    const cek = await recoverCekWithKek(ri, options.kek.key);
    if (cek.length !== length) throw failed();
    return result(await decryptWith(cek), { index, keyManagement: 'kek', matchedBy: 'kek' });
  }

  if (!options.privateKey) throw new ArgumentError('bad-argument', 'decryptEnvelope needs a private key (or a KEK)');
  const key = await toLoadedKey(options.privateKey);
  const certDer = options.certificate ? certificateDer(options.certificate) : undefined;
  const certInfo = certDer ? readCertificate(certDer) : undefined;
  // With tryAllRecipients the caller has accepted trial decryption (and its garbage risk) anyway.
  if (certDer && options.checkKeyMatch !== false && !options.tryAllRecipients && !(await keyMatchesCertificate(key, certDer))) {
    throw new CryptoError('key-mismatch', 'the private key does not belong to the recipient certificate');
  }
  if (!certInfo && !options.tryAllRecipients) throw new ArgumentError('bad-argument', 'decryptEnvelope needs the recipient certificate unless tryAllRecipients is set');
  let trials = 0;
  let named = 0;
  const candidates = findRecipients(env.recipientInfos, certInfo, options.tryAllRecipients ?? false).filter((c) => {
    // Each attempt costs a private-key operation: a hostile message with thousands of RecipientInfos (all naming
    // the certificate, or tried with tryAllRecipients) must not be a DoS.
    if (c.matchedBy !== 'trial') return ++named <= MAX_NAMED_RECIPIENTS;
    const fits = c.info.kind === 'ktri' ? key.type === 'rsa' : key.type === 'ec' || key.type === 'x25519' || key.type === 'x448';
    return fits && ++trials <= MAX_TRIAL_RECIPIENTS;
  });
  if (candidates.length === 0) {
    throw new CryptoError('not-recipient', `the message is not encrypted to ${certInfo ? certInfo.subject.text : 'this key'} (no RecipientInfo matches)`, {
      details: { recipientInfos: env.recipientInfos.length },
    });
  }
  let lastError: unknown;
  for (const c of candidates) {
    try {
      const cek = await recoverCek(c, key, length);
      const content = await decryptWith(cek);
      return result(content, { index: c.index, keyManagement: keyManagementOf(c), matchedBy: c.matchedBy });
    } catch (e) {
      if (e instanceof SmimeError && e.code !== 'decryption-failed') throw e;
      lastError = e;
    }
  }
  throw failed(lastError);
}



/**
 * Decrypts an EncryptedData (RFC 5652 §8: content encrypted under a key the
 * parties already share, no RecipientInfos).
 *
 * @throws FormatError `not-encrypted-data` / `malformed-cms`, CryptoError `decryption-failed`.
 */
export async function decryptEncryptedData(input: BytesLike | string | ContentInfo, key: Uint8Array): Promise<{ content: Uint8Array; contentType: string; cipher: string }> {
  const ci = asContentInfo(input);
  if (ci.contentType !== CONTENT_TYPE.encryptedData) throw new FormatError('not-encrypted-data', `the CMS content is ${ci.name ?? ci.contentType}, not EncryptedData`);
  const { alg, contentType, ciphertext } = parsing('EncryptedData', () => {
    const kids = derSequence(derParse(ci.content), 'EncryptedData', 2);
    const eci = derSequence(kids[1], 'EncryptedContentInfo', 3);
    return { alg: derAlgorithm(eci[1]), contentType: derOid(eci[0]), ciphertext: derOctets(eci[2], 'encryptedContent', { implicitTag: 0 }) };
  });
  if (isGcm(alg)) throw new AlgorithmError('unsupported-algorithm', 'AES-GCM EncryptedData is not supported');
  try {
    return { content: await decryptContentWith(alg, key, ciphertext), contentType, cipher: contentCipherName(alg) };
  } catch (e) {
    if (e instanceof SmimeError && e.code === 'decryption-failed') throw failed(e);
    throw e;
  }
}
