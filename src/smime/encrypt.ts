/**
 * `encryptMessage`: S/MIME encryption of a message to its recipients and,
 * always, to the sender (Exchange/Outlook behaviour: the copy in Sent Items
 * stays readable). Certificates are validated for purpose `encrypt` first;
 * the cipher and RSA key transport are chosen per message and recipient for
 * the widest interoperability unless the caller overrides them.
 */
import { ArgumentError, CertificateMissingError, ValidationError } from '../errors.js';
import { base64Bytes, bytesEqual, fromLatin1, joinPieces, toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import type { OaepHash } from '../crypto/rsa-oaep.js';
import { createEnvelopeOfPieces } from '../cms/enveloped-create.js';
import { CONTENT_CIPHERS, isContentCipherName, type ContentCipherName } from '../cms/content-cipher.js';
import {
  recipientKeyInfo,
  type EnvelopeRecipient,
  type KeyTransport,
  type RecipientIdentifierType,
  type RecipientSummary,
} from '../cms/recipient-encode.js';
import {
  canonicalizeEntity,
  joinMessage,
  looksLikeMessage,
  splitCanonicalMessagePieces,
  splitCrlfMessagePieces,
  toCrlf,
} from '../mime/canonical.js';
import { headerSection, parseMime } from '../mime/entity.js';
import type { MimeHeader } from '../mime/headers.js';
import { validateCertificate } from '../trust/validate.js';
import type { TrustList } from '../trust/trust-list.js';
import type { RevocationSetting } from '../trust/options.js';
import type { TrustProblem } from '../trust/report.js';
import { capabilityOids, chooseContentCipher, chooseKeyTransport, type CapabilitiesInput } from './capabilities.js';
import { protectForEncryption, type HeaderProtectionOptions } from './header-protection.js';

/** A recipient (or the sender) of an encrypted message. */
export interface EncryptionParty {
  /** E-mail address: used in errors, and checked against the certificate during validation. */
  address?: string;
  /** The encryption certificate (DER, PEM, or a certificate object carrying its DER). Absent/null: the party has no certificate. */
  certificate?: CertificateInput | null;
  /** What the party can decrypt (from its last signed message), for cipher and key transport choice. */
  capabilities?: CapabilitiesInput;
  /** Overrides the key transport for this RSA recipient. */
  keyTransport?: KeyTransport;
}

/** Options of `encryptMessage`. */
export interface EncryptMessageOptions {
  /** The recipients: parties, or bare certificates. */
  recipients: ReadonlyArray<EncryptionParty | CertificateInput>;
  /** The sender; its certificate is added as a recipient unless `includeSender: false`. */
  sender?: EncryptionParty | CertificateInput;
  /** Default true. `false` is the only way to send a message the sender cannot read back. */
  includeSender?: boolean;
  /** Content cipher override. Default: AES-256-GCM when every party advertises it, else AES-256-CBC. */
  cipher?: ContentCipherName;
  /** RSA key transport override for every RSA recipient. Default: OAEP where advertised, else PKCS#1 v1.5. */
  keyTransport?: KeyTransport;
  /** OAEP hash (default SHA-256). */
  oaepHash?: OaepHash;
  /** Default `issuerAndSerialNumber`. */
  recipientIdentifier?: RecipientIdentifierType;
  /** Validate every certificate (purpose `encrypt`). Default true; `false` must be explicit. */
  validate?: boolean;
  /** Trust anchors for validation (required unless `validate: false`). */
  trust?: TrustList;
  /** Untrusted intermediate certificates for path building. */
  intermediates?: Iterable<BytesLike | string>;
  crls?: Iterable<BytesLike | string>;
  /** Validation time (default now). */
  at?: Date;
  /** Revocation mode (default `prefer`), or a mode with online sources (docs/revocation.md). */
  revocation?: RevocationSetting;
  allowWeak?: boolean;
  /**
   * RFC 9788 header protection (docs/header-protection.md): the header fields go inside the encryption
   * (`hp="cipher"`), the outer ones are obscured by the policy (Subject: `[...]`). Default off. A message signed
   * before must have been signed with `headerProtection: { forEncryption: true }`.
   */
  headerProtection?: boolean | HeaderProtectionOptions;
}

/** A non-fatal interoperability finding. */
export interface EncryptionWarning {
  code: 'ecdh-recipient-mixed' | 'ecdh-not-readable-by-nss' | 'oaep-limited-interop' | 'auth-enveloped-limited-interop';
  message: string;
}

/** One recipient as written. */
export interface EncryptedRecipient extends RecipientSummary {
  address?: string;
  /** True for the sender's own RecipientInfo. */
  sender: boolean;
}

/** Result of `encryptMessage`. */
export interface EncryptMessageResult {
  /** The encrypted message (outer headers kept) or entity, CRLF. */
  message: Uint8Array;
  /** The DER ContentInfo inside it. */
  cms: Uint8Array;
  contentType: 'envelopedData' | 'authEnvelopedData';
  cipher: ContentCipherName;
  recipients: EncryptedRecipient[];
  warnings: EncryptionWarning[];
}

interface Party {
  address?: string;
  certificate?: Uint8Array;
  capabilities?: Set<string>;
  keyTransport?: KeyTransport;
  sender: boolean;
}

function certificateBytes(input: CertificateInput, what: string): Uint8Array {
  return certificateDer(input, what);
}

function isParty(x: unknown): x is EncryptionParty {
  if (typeof x !== 'object' || x === null || x instanceof ArrayBuffer || ArrayBuffer.isView(x)) return false;
  // A Certificate, an @peculiar/x509 certificate or a { der } object is a certificate, not a party.
  return !('der' in x) && !('rawData' in x) && !('raw' in x);
}

function toParty(input: EncryptionParty | CertificateInput, sender: boolean): Party {
  if (!isParty(input))
    return { certificate: certificateBytes(input, sender ? 'sender certificate' : 'recipient certificate'), sender };
  const p: Party = { sender };
  if (input.address !== undefined) p.address = input.address;
  if (input.certificate !== undefined && input.certificate !== null)
    p.certificate = certificateBytes(
      input.certificate,
      `certificate of ${input.address ?? (sender ? 'the sender' : 'a recipient')}`,
    );
  if (input.capabilities !== undefined) p.capabilities = capabilityOids(input.capabilities);
  if (input.keyTransport !== undefined) p.keyTransport = input.keyTransport;
  return p;
}

function describe(p: Party): string {
  return p.address ?? (p.sender ? 'the sender' : 'a recipient');
}

/**
 * Encrypts a message (a whole RFC 5322 message, whose outer headers stay
 * outside, or a MIME entity) to every recipient and the sender.
 *
 * @throws CertificateMissingError `sender-certificate-missing`,
 *   `recipient-certificate-missing` (details.addresses lists every such
 *   recipient; the library never falls back to sending unencrypted);
 *   ValidationError with the trust code of the first failing certificate;
 *   ArgumentError `bad-argument`.
 */
export async function encryptMessage(
  mime: BytesLike | string,
  options: EncryptMessageOptions,
): Promise<EncryptMessageResult> {
  const plan = await planEncryption(options);
  // The inner entity: Content-* headers move inside, the rest stays outside.
  // Strings are text (UTF-8), as for signMessage; bytes are taken as they are.
  const input = typeof mime === 'string' ? utf8(mime) : toBytes(mime, 'message');
  const split = splitForEncryption(input);
  let { outerHeaders } = split;
  let inner = split.pieces;
  if (options.headerProtection) {
    const entity = joinPieces(inner);
    const protectedSplit = protectForEncryption({ outerHeaders, entity }, options.headerProtection);
    ({ outerHeaders } = protectedSplit);
    inner = [protectedSplit.entity];
  }
  // The pieces (views of the input where nothing changes) are encrypted where they lie.
  const envelope = await createEnvelopeOfPieces(inner, plan.recipients, { cipher: plan.cipher });
  // One copy of the (base64) envelope: the outer header section goes in front of it directly.
  const outer = outerHeaders ? joinMessage(outerHeaders, new Uint8Array(0)) : new Uint8Array(0);
  const message = base64Bytes(envelope.der, 76, [outer, pkcs7MimeHead(envelope.contentType)]);
  const written = plan.written(envelope.recipients);
  return {
    message,
    cms: envelope.der,
    contentType: envelope.contentType,
    cipher: plan.cipher,
    recipients: written,
    warnings: warningsFor(written, plan.cipher),
  };
}

/** Who gets the message and how, decided (and every certificate checked) before anything is encrypted. */
export interface EncryptionPlan {
  cipher: ContentCipherName;
  recipients: EnvelopeRecipient[];
  /** The written RecipientInfos' summaries with the parties' addresses and sender flags. */
  written(summaries: readonly RecipientSummary[]): EncryptedRecipient[];
}

/**
 * Checks the options, collects the recipients and the sender, refuses missing or unusable certificates, validates
 * them (unless `validate: false`) and chooses the cipher: everything `encryptMessage` does before encrypting.
 */
export async function planEncryption(options: EncryptMessageOptions): Promise<EncryptionPlan> {
  checkOptions(options);
  const parties = collectParties(options);
  assertUsableCertificates(parties);
  if (options.validate !== false) await validateParties(parties, options);
  const cipher = options.cipher ?? chooseContentCipher(parties.map((p) => p.capabilities));
  return {
    cipher,
    recipients: envelopeRecipients(parties, options),
    written: (summaries) =>
      summaries.map((s, i) => ({
        ...s,
        ...(parties[i]!.address !== undefined ? { address: parties[i]!.address } : {}),
        sender: parties[i]!.sender,
      })),
  };
}

function checkOptions(options: EncryptMessageOptions): void {
  if (!options || !Array.isArray(options.recipients))
    throw new ArgumentError('bad-argument', 'options.recipients must be an array');
  if (options.cipher !== undefined && !isContentCipherName(options.cipher)) {
    throw new ArgumentError('bad-argument', `unknown cipher "${String(options.cipher)}" (aes-128/192/256-cbc or -gcm)`);
  }
  if (
    options.keyTransport !== undefined &&
    options.keyTransport !== 'rsa-pkcs1' &&
    options.keyTransport !== 'rsa-oaep'
  ) {
    throw new ArgumentError('bad-argument', `unknown key transport "${String(options.keyTransport)}"`);
  }
}

/** The recipients and, unless `includeSender: false`, the sender (who must have a certificate). */
function collectParties(options: EncryptMessageOptions): Party[] {
  const includeSender = options.includeSender !== false;
  const parties: Party[] = options.recipients.map((r) => toParty(r, false));
  if (parties.length === 0 && !includeSender) throw new ArgumentError('bad-argument', 'no recipients');
  if (!includeSender) return parties;
  const sender = options.sender === undefined ? undefined : toParty(options.sender, true);
  if (!sender?.certificate) {
    throw new CertificateMissingError(
      'sender-certificate-missing',
      `the sender${sender?.address ? ` ${sender.address}` : ''} does not have a certificate`,
      {
        details: sender?.address ? { address: sender.address } : {},
      },
    );
  }
  // The sender may also be a recipient (mail to oneself): one RecipientInfo is enough.
  const same = parties.find((p) => p.certificate && bytesEqual(p.certificate, sender.certificate!));
  if (same) same.sender = true;
  else parties.push(sender);
  return parties;
}

/** Every recipient without a usable certificate, reported together. */
function assertUsableCertificates(parties: Party[]): void {
  const problems: { who: string; reason?: string }[] = [];
  parties.forEach((p, i) => {
    const who = p.address ?? `recipient #${i + 1}`;
    if (!p.certificate) {
      problems.push({ who });
      return;
    }
    const key = recipientKeyInfo(p.certificate);
    if (key.kind !== 'unusable') return;
    if (p.sender) {
      throw new CertificateMissingError(
        'sender-certificate-missing',
        `the sender's certificate cannot be used for encryption: ${key.reason}`,
        {
          details: p.address ? { address: p.address } : {},
        },
      );
    }
    problems.push({ who, reason: key.reason! });
  });
  if (problems.length) {
    throw new CertificateMissingError(
      'recipient-certificate-missing',
      `no usable encryption certificate for ${problems.map((p) => (p.reason ? `${p.who} (${p.reason})` : p.who)).join(', ')}`,
      { details: { addresses: problems.map((p) => p.who) } },
    );
  }
}

async function validateParties(parties: Party[], options: EncryptMessageOptions): Promise<void> {
  if (!options.trust)
    throw new ArgumentError(
      'bad-argument',
      'certificate validation needs options.trust (or pass validate: false explicitly)',
    );
  for (const p of parties) {
    const report = await validateCertificate(p.certificate!, {
      trust: options.trust,
      intermediates: options.intermediates ?? [],
      crls: options.crls ?? [],
      purpose: 'encrypt',
      ...(p.address !== undefined ? { email: p.address } : {}),
      ...(options.at ? { at: options.at } : {}),
      ...(options.revocation ? { revocation: options.revocation } : {}),
      ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
    });
    if (!report.valid) {
      const first: TrustProblem = report.problems[0] ?? { code: 'untrusted-root', message: 'not valid' };
      throw new ValidationError(
        first.code,
        `the certificate of ${describe(p)} cannot be used for encryption: ${first.message}`,
        {
          details: { ...(p.address ? { address: p.address } : {}), sender: p.sender, problems: report.problems },
        },
      );
    }
  }
}

function envelopeRecipients(parties: Party[], options: EncryptMessageOptions): EnvelopeRecipient[] {
  return parties.map((p) => {
    const r: EnvelopeRecipient = {
      certificate: p.certificate!,
      keyTransport: p.keyTransport ?? options.keyTransport ?? chooseKeyTransport(p.capabilities),
      allowWeak: options.allowWeak ?? false,
    };
    if (options.oaepHash) r.oaepHash = options.oaepHash;
    if (options.recipientIdentifier) r.identifier = options.recipientIdentifier;
    return r;
  });
}

/** The header section of the application/pkcs7-mime entity around an envelope (its base64 body follows). */
export function pkcs7MimeHead(contentType: 'envelopedData' | 'authEnvelopedData'): Uint8Array {
  const smimeType = contentType === 'authEnvelopedData' ? 'authEnveloped-data' : 'enveloped-data';
  return fromLatin1(
    `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n` +
      'Content-Transfer-Encoding: base64\r\n' +
      'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n',
  );
}

/** Interoperability warnings for what was written. */
export function warningsFor(recipients: EncryptedRecipient[], cipher: ContentCipherName): EncryptionWarning[] {
  const warnings: EncryptionWarning[] = [];
  const ecdh = recipients.filter((r) => r.keyManagement === 'ecdh');
  if (ecdh.length > 0 && ecdh.length < recipients.length) {
    warnings.push({
      code: 'ecdh-recipient-mixed',
      message: `an ECDH (EC key) recipient is mixed with RSA recipients: NSS/Thunderbird cannot open envelopes containing any ECDH recipient, so its RSA recipients are locked out too (${ecdh.map((r) => r.address ?? r.subject).join(', ')})`,
    });
  } else if (ecdh.length > 0) {
    warnings.push({
      code: 'ecdh-not-readable-by-nss',
      message: 'every recipient uses ECDH: NSS/Thunderbird cannot open such envelopes',
    });
  }
  const oaep = recipients.filter((r) => r.keyManagement === 'rsa-oaep');
  if (oaep.length > 0) {
    warnings.push({
      code: 'oaep-limited-interop',
      message: `RSA-OAEP is used for ${oaep.map((r) => r.address ?? r.subject).join(', ')}: gpgsm 2.2 and NSS 3.87 cannot read it`,
    });
  }
  if (CONTENT_CIPHERS[cipher].mode === 'gcm') {
    warnings.push({
      code: 'auth-enveloped-limited-interop',
      message: 'AuthEnvelopedData (AES-GCM): gpgsm 2.2 and NSS 3.87 cannot read it',
    });
  }
  return warnings;
}

// The envelope is base64 on the wire: text gets CRLF, every other body keeps its exact bytes.
const FOR_ENCRYPTION = { sevenBit: false } as const;

/**
 * Splits a message into outer headers and the canonical inner entity (RFC 8551
 * §3.1: text with CRLF, binary parts moved to base64, never line-end
 * converted). Only the header section is parsed to find the split; a bare
 * entity (no From/To/Subject/...) is encrypted whole.
 */
function splitForEncryption(input: Uint8Array): { outerHeaders?: MimeHeader[]; pieces: Uint8Array[] } {
  const crlf = splitCrlfMessagePieces(input);
  if (crlf) return crlf;
  const section = headerSection(input);
  if (!section) return { pieces: [toCrlf(input)] }; // no header section: plain text
  const root = parseMime(input);
  if (!looksLikeMessage(root)) return { pieces: [canonicalizeEntity(input, FOR_ENCRYPTION)] };
  return splitCanonicalMessagePieces(input, root, FOR_ENCRYPTION);
}
