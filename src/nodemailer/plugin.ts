/**
 * `smimeNodemailer`: a nodemailer plugin for the `stream` step. nodemailer has compiled the message into a
 * MIME tree (`mail.message`); the plugin builds it into the full RFC 5322 message, signs and/or encrypts
 * that with the facade functions, and puts a node in its place whose output is the protected message, so
 * the transport sends exactly those bytes (DKIM, which nodemailer applies after the stream plugins, signs
 * the protected message). nodemailer is used through its types only: it is never imported at run time.
 */
import type { MailMessage, PluginCallback, SentMessageInfo } from 'nodemailer/lib/mailer';
import type MimeNode from 'nodemailer/lib/mime-node';
import { ArgumentError, asSmimeError } from '../errors.js';
import { checkPluginOptions, messageSettings, type SmimeNodemailerOptions } from './options.js';
import { planEncryption, protect } from './protect.js';

/**
 * The plugin function `smimeNodemailer` returns, for `transporter.use('stream', plugin)`. Generic, so it fits
 * every transporter's `use` whatever its transport's result type.
 */
export type SmimeNodemailerPlugin = <T = SentMessageInfo>(mail: MailMessage<T>, callback: PluginCallback) => void;

/** Headers of the original root node that transports and nodemailer read from `mail.message` (never written out). */
const COPIED_HEADERS = ['From', 'Sender', 'Reply-To', 'To', 'Cc', 'Bcc', 'Subject', 'Date', 'Message-ID'];

/**
 * A root node of the same class (no run-time import of nodemailer) whose output is `message` as it is, with
 * the original's envelope, Message-ID and address headers for the transport, and none of the transforms
 * the original's output already went through.
 */
function replacementNode(root: MimeNode, message: Uint8Array): MimeNode {
  const Node = root.constructor as typeof MimeNode;
  const node = new Node('message/rfc822', {
    keepBcc: root.keepBcc,
    ...(root.newline !== undefined ? { newline: root.newline } : {}),
    ...(root.hostname !== undefined ? { hostname: root.hostname } : {}),
  });
  for (const key of COPIED_HEADERS) {
    const value = root.getHeader(key);
    if (value !== undefined && value !== null) node.setHeader(key, value);
  }
  node.setHeader('Message-ID', root.messageId());
  node.setEnvelope(root.getEnvelope());
  node.setRaw(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
  return node;
}

/** The full message as the transport would send it (callback form: older nodemailer versions have no promise). */
function build(root: MimeNode): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    root.build((err, built) =>
      err ? reject(err) : resolve(new Uint8Array(built.buffer, built.byteOffset, built.byteLength)),
    ),
  );
}

async function protectMail<T>(mail: MailMessage<T>, options: SmimeNodemailerOptions): Promise<void> {
  const root = mail.message as MimeNode | undefined;
  if (!root)
    throw new ArgumentError(
      'bad-argument',
      "the S/MIME plugin runs on the built message: register it with transporter.use('stream', smimeNodemailer(…))",
    );
  const envelope = root.getEnvelope();
  const from = root.getAddresses().from?.[0]?.address ?? (envelope.from || undefined);
  const settings = messageSettings(options, (mail.data as { smime?: unknown }).smime, from);
  if (!settings.signer && !settings.encrypt) return;
  // Certificates first: a recipient without one fails the send before the message (and its attachments) is built.
  const plan = settings.encrypt
    ? await planEncryption(options, settings, from, envelope.to, mail.data.signal)
    : undefined;
  const result = await protect(await build(root), options, settings, plan, from);
  mail.message = replacementNode(root, result.message);
  options.onProtected?.({
    messageId: root.messageId(),
    signed: settings.signer !== undefined,
    encrypted: plan !== undefined,
    encryptedTo: result.encryptedTo,
    recipients: plan?.resolved ?? { recipients: [], groups: [], missing: [] },
    warnings: result.warnings,
  });
}

/**
 * A nodemailer plugin that signs and/or encrypts every message a transporter sends. Register it for the
 * `stream` step, after any other stream plugin that changes the message:
 *
 * - Signing: `multipart/signed` (or opaque with `detached: false`) over the body entity; From, To, Subject,
 *   Date and Message-ID stay outside, as `signMessage` does for a whole message.
 * - Encrypting: every SMTP envelope recipient (To, Cc and Bcc, or the `envelope` given to `sendMail`) is
 *   looked up in `directory` and its certificate validated against `trust`; the message is always
 *   encrypted to the sender too. Signed and encrypted: encrypt(sign(message)).
 * - A message may override the defaults with `sendMail({ …, smime: { sign, encrypt } })`, or opt out with
 *   `smime: false`.
 * - Any failure fails the send through nodemailer's callback (or rejected promise) with the typed error;
 *   the message is never sent unprotected.
 *
 * @throws ArgumentError `bad-argument` for unusable options (when the plugin is created)
 * @example
 * ```ts
 * const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });
 * transporter.use('stream', smimeNodemailer({ sign: identity, encrypt: true, trust, directory }));
 * await transporter.sendMail({ from: 'alice@example.com', to: 'bob@example.com', subject: 'Hi', text: 'Hello' });
 * ```
 */
export function smimeNodemailer(options: SmimeNodemailerOptions): SmimeNodemailerPlugin {
  checkPluginOptions(options);
  return (mail, callback) => {
    protectMail(mail, options).then(
      () => callback(),
      // nodemailer's own errors (an unreadable attachment) keep their codes; anything else becomes a SmimeError.
      (e: unknown) => callback(e instanceof Error ? e : asSmimeError(e)),
    );
  };
}
