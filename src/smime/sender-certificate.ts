/**
 * The sender's own encryption certificate: every encrypted message is also encrypted to the sender (Sent Items),
 * so that certificate is validated as a recipient's is, and a sender without a usable one is refused by name.
 * Shared by `composeMessage` and the nodemailer plugin.
 */
import { CertificateMissingError } from '../errors.js';
import type { ValidationOptions } from '../trust/options.js';
import type { TrustList } from '../trust/trust-list.js';
import { validateCertificate } from '../trust/validate.js';

/** `sender-certificate-missing`, naming the sender when the address is known. */
export function senderMissing(
  from: string | undefined,
  why: string,
  extra: { problems?: readonly unknown[] } = {},
): CertificateMissingError {
  return new CertificateMissingError('sender-certificate-missing', `the sender${from ? ` ${from}` : ''} ${why}`, {
    details: { ...(from ? { address: from } : {}), ...extra },
  });
}

/** What validating the sender's certificate takes, besides the certificate and the address. */
export interface SenderCertificateCheck {
  trust: TrustList;
  intermediates: NonNullable<ValidationOptions['intermediates']>;
  crls: NonNullable<ValidationOptions['crls']>;
  revocation?: ValidationOptions['revocation'];
  at?: Date;
  allowWeak?: boolean;
}

/**
 * Validates the sender's encryption certificate for `from` (purpose encrypt).
 *
 * @throws CertificateMissingError `sender-certificate-missing` with the validation problems when it is not valid
 */
export async function assertSenderCertificate(
  certificate: Uint8Array,
  from: string | undefined,
  check: SenderCertificateCheck,
): Promise<void> {
  const report = await validateCertificate(certificate, {
    trust: check.trust,
    purpose: 'encrypt',
    ...(from ? { email: from } : {}),
    intermediates: check.intermediates,
    crls: check.crls,
    ...(check.revocation ? { revocation: check.revocation } : {}),
    ...(check.at ? { at: check.at } : {}),
    ...(check.allowWeak !== undefined ? { allowWeak: check.allowWeak } : {}),
  });
  if (report.valid) return;
  const first = report.problems[0];
  throw senderMissing(
    from,
    `has no usable encryption certificate: ${first ? `${first.message} (${first.code})` : 'not valid'}`,
    { problems: report.problems },
  );
}
