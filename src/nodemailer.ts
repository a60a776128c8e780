/**
 * `smimekit/nodemailer` (Node only): a nodemailer plugin that signs and/or encrypts outgoing mail with
 * smimekit, finding recipients' certificates in address books and validating them against a trust list.
 * nodemailer is used through its types only; it is not a dependency of smimekit. See docs/nodemailer.md.
 *
 * @example
 * ```ts
 * import nodemailer from 'nodemailer';
 * import { smimeNodemailer } from 'smimekit/nodemailer';
 *
 * const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });
 * transporter.use('stream', smimeNodemailer({ sign: identity, encrypt: true, trust, directory }));
 * await transporter.sendMail({ from: 'alice@example.com', to: 'bob@example.com', text: 'Hello', smime: { encrypt: false } });
 * ```
 *
 * @module smimekit/nodemailer
 */
import type { SmimeMessageOptions } from './nodemailer/options.js';

export { smimeNodemailer, type SmimeNodemailerPlugin } from './nodemailer/plugin.js';
export type { SmimeNodemailerOptions, SmimeMessageOptions, SmimeProtectedMessage } from './nodemailer/options.js';

declare module 'nodemailer/lib/mail-composer' {
  interface MailComposerOptions {
    /**
     * smimekit's per-message S/MIME settings (`smimekit/nodemailer`): `false` sends the message unprotected,
     * an object overrides the plugin's `sign`, `encrypt` and `senderCertificate` for this message.
     */
    smime?: SmimeMessageOptions | false | undefined;
  }
}
