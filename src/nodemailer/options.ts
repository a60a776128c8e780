/**
 * Options of the nodemailer plugin (`smimekit/nodemailer`): what the plugin is created with, what one
 * message may override (`sendMail({ smime: … })`), and how the two combine into the settings of one send.
 */
import { ArgumentError, CertificateMissingError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import type { CertificateInput } from '../util/certificate-input.js';
import type { CertificateDirectory } from '../directory/types.js';
import type { CertificateFallback } from '../directory/select.js';
import type { TrustList } from '../trust/trust-list.js';
import type { RevocationMode } from '../trust/options.js';
import type { SignMessageOptions, SmimeSigner } from '../smime/sign.js';
import type { EncryptMessageOptions, EncryptionWarning } from '../smime/encrypt.js';
import type { ResolveRecipientsResult } from '../smime/resolve.js';
import { encryptionSettings, type HeaderProtectionOptions } from '../smime/header-protection.js';

/** Options of `smimeNodemailer`: the defaults of every message the transporter sends. */
export interface SmimeNodemailerOptions {
  /**
   * Sign every message with this identity (certificate, private key, CA chain: what `loadIdentity` returns
   * fits). Absent or `false`: messages are not signed unless a message passes its own signer.
   */
  sign?: SmimeSigner | false;
  /** Encrypt every message (default false). Needs `trust` and `directory`. */
  encrypt?: boolean;
  /** The trust anchors every certificate is validated against for encryption (the tenant SST). */
  trust?: TrustList;
  /** Address books the recipients' certificates are found in (SMTP envelope recipients: To, Cc and Bcc). */
  directory?: CertificateDirectory | readonly CertificateDirectory[];
  /**
   * The sender's own encryption certificate: every encrypted message is encrypted to it too. Default: the
   * signing certificate (`sign.certificate`).
   */
  senderCertificate?: CertificateInput;
  /** multipart/signed (default true), or opaque `application/pkcs7-mime; smime-type=signed-data`. */
  detached?: boolean;
  /** Signing digest: `sha256`, `sha384`, `sha512`; default by key, as `signMessage` (SHA-384 for P-384, …). */
  digest?: SignMessageOptions['digest'];
  /** RSA signing keys: RSASSA-PSS instead of PKCS#1 v1.5 (default false). */
  pss?: boolean;
  /** Certificates put in the signature (default `chain`: signer and chain without the root). */
  includeCertificates?: SignMessageOptions['includeCertificates'];
  /** Content cipher (default: AES-256-GCM when every party advertises it, else AES-256-CBC). */
  cipher?: EncryptMessageOptions['cipher'];
  /** RSA key transport for every RSA recipient (default: OAEP where advertised, else PKCS#1 v1.5). */
  keyTransport?: EncryptMessageOptions['keyTransport'];
  /** RecipientInfo identifier (default `issuerAndSerialNumber`). */
  recipientIdentifier?: EncryptMessageOptions['recipientIdentifier'];
  /** Extra untrusted CA certificates for path building (recipients' published chains are always used). */
  intermediates?: readonly (BytesLike | string)[];
  /** CRLs for revocation checking. */
  crls?: readonly (BytesLike | string)[];
  /** Revocation policy of certificate validation (default `prefer`). */
  revocation?: RevocationMode;
  /** Validation time (default: the time of sending). */
  at?: Date;
  /** Accept SHA-1-signed certificates and RSA keys under 2048 bits (default false). */
  allowWeak?: boolean;
  /** When `userCertificate` values stand in for `userSMIMECertificate` (see `resolveRecipients`). */
  fallback?: CertificateFallback;
  /** Per-directory time limit of a lookup, ms (default 10 000). */
  directoryTimeoutMs?: number;
  /**
   * Whether a message may change these settings with its `smime` option (default true). `false`: a message
   * that has one fails to send (`bad-argument`), so message data can never turn signing or encryption off.
   */
  allowMessageOptions?: boolean;
  /**
   * RFC 9788 header protection (docs/header-protection.md), as `composeMessage`'s option: the header fields
   * (Subject, From, To, …) go inside the signature (`hp="clear"`) or the encryption (`hp="cipher"`, the outer
   * Subject becomes `[...]` under the default policy). Default off.
   */
  headerProtection?: boolean | HeaderProtectionOptions;
  /** Called once per protected message, before it is handed to the transport (for logs and audits). */
  onProtected?: (result: SmimeProtectedMessage) => void;
}

/**
 * Per-message settings, read from `sendMail({ …, smime })`. `smime: false` sends that message as it is;
 * each field given overrides the plugin's option of the same name.
 */
export interface SmimeMessageOptions {
  /** `false`: do not sign this message; `true`: sign it with the plugin's identity; an identity: sign with it. */
  sign?: boolean | SmimeSigner;
  /** Encrypt this message (true) or not (false). */
  encrypt?: boolean;
  /** The sender's encryption certificate for this message (default: this message's signer's certificate). */
  senderCertificate?: CertificateInput;
  /** Header protection for this message (default: the plugin's `headerProtection`). */
  headerProtection?: boolean | HeaderProtectionOptions;
}

/** What happened to one message (`onProtected`). */
export interface SmimeProtectedMessage {
  /** The message's Message-ID header. */
  messageId: string;
  /** True when the message was signed. */
  signed: boolean;
  /** True when the message was encrypted. */
  encrypted: boolean;
  /** Addresses the message is encrypted to (envelope recipients and the sender); empty when not encrypted. */
  encryptedTo: string[];
  /** How every envelope recipient was resolved (empty when not encrypted). */
  recipients: ResolveRecipientsResult;
  /** Interoperability warnings of the encryption. */
  warnings: EncryptionWarning[];
}

/** The settings of one send. */
export interface MessageSettings {
  signer?: SmimeSigner;
  encrypt: boolean;
  senderCertificate?: CertificateInput;
  headerProtection?: boolean | HeaderProtectionOptions;
}

function assertSigner(signer: unknown, what: string): asserts signer is SmimeSigner {
  const s = signer as Partial<SmimeSigner> | null;
  if (typeof s !== 'object' || s === null || !s.certificate || !s.privateKey)
    throw new ArgumentError('bad-argument', `${what} must be an identity with certificate and privateKey`);
}

/**
 * Checks the plugin's options once, when the plugin is created.
 *
 * @throws ArgumentError `bad-argument`
 */
export function checkPluginOptions(options: SmimeNodemailerOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError('bad-argument', 'smimeNodemailer needs an options object');
  if (options.sign !== undefined && options.sign !== false) assertSigner(options.sign, 'options.sign');
  if (options.encrypt !== undefined && typeof options.encrypt !== 'boolean')
    throw new ArgumentError('bad-argument', 'options.encrypt must be a boolean');
  if (options.encrypt) assertCanEncrypt(options);
  encryptionSettings(options.headerProtection); // throws for a value that is no header protection option
}

function assertCanEncrypt(options: SmimeNodemailerOptions): void {
  if (!options.trust)
    throw new ArgumentError('bad-argument', 'encrypting needs options.trust (the trust anchors of certificates)');
  if (!options.directory)
    throw new ArgumentError('bad-argument', "encrypting needs options.directory to find the recipients' certificates");
}

function messageOptions(value: unknown): SmimeMessageOptions | false {
  if (value === undefined || value === null) return {};
  if (value === false) return false;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ArgumentError('bad-argument', 'the message option smime must be an object or false');
  const m = value as SmimeMessageOptions;
  if (m.sign !== undefined && typeof m.sign !== 'boolean') assertSigner(m.sign, 'smime.sign');
  if (m.encrypt !== undefined && typeof m.encrypt !== 'boolean')
    throw new ArgumentError('bad-argument', 'smime.encrypt must be a boolean');
  encryptionSettings(m.headerProtection);
  return m;
}

/**
 * The settings of one message: the plugin's options with the message's `smime` option applied.
 *
 * @param perMessage the message's `smime` value, unchecked
 * @param from the sender's address, for errors
 * @throws ArgumentError `bad-argument`; CertificateMissingError `sender-certificate-missing` (signing asked
 *   for without an identity)
 */
export function messageSettings(
  options: SmimeNodemailerOptions,
  perMessage: unknown,
  from: string | undefined,
): MessageSettings {
  if (options.allowMessageOptions === false && perMessage !== undefined && perMessage !== null)
    throw new ArgumentError('bad-argument', 'this transporter does not accept the message option smime');
  const m = messageOptions(perMessage);
  if (m === false) return { encrypt: false };
  const own = typeof m.sign === 'object' ? m.sign : undefined;
  let signer: SmimeSigner | undefined;
  if (own) signer = own;
  else if (m.sign !== false && (m.sign === true || options.sign)) {
    if (!options.sign)
      throw new CertificateMissingError(
        'sender-certificate-missing',
        `the sender${from ? ` ${from}` : ''} has no signing identity (smimeNodemailer's sign option)`,
        { details: from ? { address: from } : {} },
      );
    signer = options.sign;
  }
  const encrypt = m.encrypt ?? options.encrypt ?? false;
  if (encrypt) assertCanEncrypt(options);
  // A message's own signer is its sender: the plugin's certificates belong to someone else.
  const senderCertificate =
    m.senderCertificate ??
    (own ? own.certificate : (options.senderCertificate ?? (options.sign || undefined)?.certificate));
  const headerProtection = m.headerProtection ?? options.headerProtection;
  return {
    ...(signer ? { signer } : {}),
    encrypt,
    ...(senderCertificate !== undefined ? { senderCertificate } : {}),
    ...(headerProtection ? { headerProtection } : {}),
  };
}
