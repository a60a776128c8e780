/**
 * The S/MIME work of the nodemailer plugin, on a whole RFC 5322 message as nodemailer built it: find
 * every envelope recipient's certificate and validate the sender's (before the message is built, so a
 * missing certificate fails the send early), then sign and/or encrypt with the facade functions, exactly
 * as `composeMessage` does: encrypt(sign(message)), always encrypted to the sender too.
 */
import { bytesEqual } from '../util/bytes.js';
import { certificateDer } from '../util/certificate-input.js';
import { assertSenderCertificate, senderMissing } from '../smime/sender-certificate.js';
import { signMessage } from '../smime/sign.js';
import { encryptMessage, type EncryptionParty, type EncryptionWarning } from '../smime/encrypt.js';
import { assertAllResolved, resolveRecipients, type ResolveRecipientsResult } from '../smime/resolve.js';
import type { MessageSettings, SmimeNodemailerOptions } from './options.js';

/** Everything encryption needs, found before the message is built. */
export interface EncryptionPlan {
  /** The sender's validated encryption certificate, DER. */
  sender: Uint8Array;
  /** The recipients' certificates, each once. */
  parties: EncryptionParty[];
  resolved: ResolveRecipientsResult;
}

/** The protected message and what was done to it. */
export interface ProtectResult {
  message: Uint8Array;
  encryptedTo: string[];
  warnings: EncryptionWarning[];
}

/** The sender's encryption certificate, validated as a recipient's is (the sender must read Sent Items). */
async function senderCertificate(
  options: SmimeNodemailerOptions,
  settings: MessageSettings,
  from: string | undefined,
): Promise<Uint8Array> {
  if (settings.senderCertificate === undefined)
    throw senderMissing(
      from,
      'has no certificate to encrypt to (the sender must be able to read the message): pass sign or senderCertificate',
    );
  const certificate = certificateDer(settings.senderCertificate, 'sender certificate');
  const chain = (settings.signer?.chain ?? []).map((c, i) => certificateDer(c, `signer chain certificate #${i + 1}`));
  await assertSenderCertificate(certificate, from, {
    trust: options.trust!,
    intermediates: [...(options.intermediates ?? []), ...chain],
    crls: options.crls ?? [],
    ...(options.revocation ? { revocation: options.revocation } : {}),
    ...(options.at ? { at: options.at } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
  });
  return certificate;
}

/**
 * Validates the sender's certificate and resolves every recipient through the address books.
 *
 * @throws CertificateMissingError `sender-certificate-missing`, `recipient-certificate-missing` (naming
 *   every recipient without a usable certificate); ArgumentError `bad-address`
 */
export async function planEncryption(
  options: SmimeNodemailerOptions,
  settings: MessageSettings,
  from: string | undefined,
  recipients: readonly string[],
  signal: AbortSignal | undefined,
): Promise<EncryptionPlan> {
  const sender = await senderCertificate(options, settings, from);
  const resolved = await resolveRecipients(recipients, {
    directory: options.directory!,
    trust: options.trust!,
    ...(options.at ? { at: options.at } : {}),
    ...(options.intermediates ? { intermediates: options.intermediates } : {}),
    ...(options.crls ? { crls: options.crls } : {}),
    ...(options.revocation ? { revocation: options.revocation } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
    ...(options.fallback ? { fallback: options.fallback } : {}),
    ...(options.directoryTimeoutMs !== undefined ? { timeoutMs: options.directoryTimeoutMs } : {}),
    ...(signal ? { signal } : {}),
  });
  assertAllResolved(resolved);
  const parties: EncryptionParty[] = [];
  for (const r of resolved.recipients) {
    if (!r.certificate || parties.some((p) => bytesEqual(p.certificate as Uint8Array, r.certificate!))) continue;
    const capabilities = r.chosen?.candidate.capabilities?.map((c) => c.oid);
    parties.push({ address: r.address, certificate: r.certificate, ...(capabilities?.length ? { capabilities } : {}) });
  }
  return { sender, parties, resolved };
}

/** Signs; with header protection, for the encryption that follows when `encrypting` (as `composeMessage`). */
async function sign(
  message: Uint8Array,
  options: SmimeNodemailerOptions,
  settings: MessageSettings,
  encrypting: boolean,
) {
  const signer = settings.signer!;
  const hp = settings.headerProtection;
  // A separate encryption certificate is announced (SMIMEEncryptionKeyPreference) so replies can use it.
  const other = settings.senderCertificate !== undefined && settings.senderCertificate !== signer.certificate;
  return signMessage(message, {
    signer,
    ...(hp ? { headerProtection: { ...(hp === true ? {} : hp), forEncryption: encrypting } } : {}),
    ...(options.detached !== undefined ? { detached: options.detached } : {}),
    ...(options.digest ? { digest: options.digest } : {}),
    ...(options.pss !== undefined ? { pss: options.pss } : {}),
    ...(options.includeCertificates ? { includeCertificates: options.includeCertificates } : {}),
    ...(other ? { encryptionCertificate: settings.senderCertificate! } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
  });
}

/**
 * Signs and/or encrypts a whole message: the outer headers (From, To, Subject, Date, Message-ID, …)
 * stay outside, the body entity goes inside.
 */
export async function protect(
  message: Uint8Array,
  options: SmimeNodemailerOptions,
  settings: MessageSettings,
  plan: EncryptionPlan | undefined,
  from: string | undefined,
): Promise<ProtectResult> {
  let out = settings.signer ? await sign(message, options, settings, plan !== undefined) : message;
  if (!plan) return { message: out, encryptedTo: [], warnings: [] };
  const result = await encryptMessage(out, {
    recipients: plan.parties,
    sender: { ...(from ? { address: from } : {}), certificate: plan.sender },
    // resolveRecipients validated every recipient (with their published chains), planEncryption the sender.
    validate: false,
    ...(options.cipher ? { cipher: options.cipher } : {}),
    ...(options.keyTransport ? { keyTransport: options.keyTransport } : {}),
    ...(options.recipientIdentifier ? { recipientIdentifier: options.recipientIdentifier } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
    // Signed content got its header protection (hp="cipher") when it was signed.
    ...(settings.headerProtection ? { headerProtection: settings.headerProtection } : {}),
  });
  out = result.message;
  const encryptedTo = [
    ...new Set([
      ...result.recipients.filter((r) => !r.sender && r.address).map((r) => r.address!),
      ...(from ? [from] : []),
    ]),
  ];
  return { message: out, encryptedTo, warnings: result.warnings };
}
