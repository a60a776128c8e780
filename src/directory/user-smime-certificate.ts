/**
 * The `userSMIMECertificate` attribute value (RFC 2798; MS-OXLDAP 2.2.5.2; MS-OXOABK 2.2.4.36 PidTagUserX509Certificate).
 * A value whose first byte is 0x30 is a CMS SignedData with the user's certificates and signed S/MIME attributes
 * (user-smime-signed-data.ts); anything else is Outlook's "security settings" blob: settings of TAG (u16 LE), LENGTH
 * (u16 LE, header included), DATA (outlook-security-settings.ts). Writing either form: user-smime-certificate-build.ts.
 */
import { asSmimeError } from '../errors.js';
import { toBytes, type BytesLike } from '../util/bytes.js';
import type { CapabilityEntry } from '../cms/attributes.js';
import { parseSignedData } from '../cms/signed-data.js';
import { verifySignedData } from '../cms/verify-signed-data.js';
import { parseSettingsForm, type OutlookSecuritySettings } from './outlook-security-settings.js';
import { fail, guarded } from './user-smime-decode.js';
import { parseSignedDataForm } from './user-smime-signed-data.js';

/** A decoded `userSMIMECertificate` value, either form. */
export interface UserSmimeCertificate {
  format: 'signed-data' | 'outlook-tlv';
  /** Every distinct certificate in the value, DER, in the order stored. */
  certificates: Uint8Array[];
  /** The certificate marked for encryption (SMIMEEncryptionKeyPreference, or the TLV KeyExchangeCertificate). */
  encryptionCertificate?: Uint8Array;
  /** The certificate that signed the value (SignedData), or the TLV SignCertificate. */
  signingCertificate?: Uint8Array;
  /** SMIMECapabilities (signed attribute, or TLV AsymmetricCapabilities), in preference order. */
  capabilities?: CapabilityEntry[];
  /** signingTime of the SignedData, when present. */
  signingTime?: Date;
  /** The TLV form's display name: ASCII (2.2.4.36.4) or Unicode (2.2.4.36.5), the Unicode one when both are present. */
  displayName?: string;
  /** The TLV form's settings. */
  settings?: OutlookSecuritySettings;
}

/**
 * Decodes a `userSMIMECertificate` (or PidTagUserX509Certificate) value of either form; trust is not checked here.
 * @throws FormatError `malformed-user-smime-certificate` (with `offset` where known)
 */
export function parseUserSmimeCertificate(value: BytesLike): UserSmimeCertificate {
  const bytes = toBytes(value, 'userSMIMECertificate value');
  if (bytes.length === 0) throw fail('the userSMIMECertificate value is empty', 0);
  return guarded('userSMIMECertificate', () =>
    bytes[0] === 0x30 ? parseSignedDataForm(bytes) : parseSettingsForm(bytes),
  );
}

/** What `verifyUserSmimeCertificate` found. */
export interface UserSmimeCertificateVerification {
  format: UserSmimeCertificate['format'];
  /** False for the TLV form and for certs-only SignedData: there is no signature to check. */
  signed: boolean;
  /** The first SignerInfo's digest and signature verify (and its algorithms are acceptable). */
  signatureValid: boolean;
  /** The certificate that verified the signature (or that the SignerInfo names), DER. */
  signer?: Uint8Array;
  /** Why not valid: a SignerProblem code of `verifySignedData`, or `unsigned`. */
  problem?: { code: string; message: string };
}

/** Options of `verifyUserSmimeCertificate`. */
export interface VerifyUserSmimeCertificateOptions {
  /** Extra certificates to find the signer in (DER). */
  certificates?: readonly Uint8Array[];
  /** Accept SHA-1 signatures (older Outlook versions publish them). Default false: `weak-algorithm`. */
  allowWeak?: boolean;
}

/**
 * Checks the signature of a SignedData-form value (the first SignerInfo; detached values are checked over empty
 * content). No trust-chain validation: the directory validates certificates separately.
 * @throws FormatError `malformed-user-smime-certificate` when the value cannot be decoded
 */
export async function verifyUserSmimeCertificate(
  value: BytesLike,
  options: VerifyUserSmimeCertificateOptions = {},
): Promise<UserSmimeCertificateVerification> {
  const bytes = toBytes(value, 'userSMIMECertificate value');
  const parsed = parseUserSmimeCertificate(bytes);
  const unsigned = (message: string): UserSmimeCertificateVerification => ({
    format: parsed.format,
    signed: false,
    signatureValid: false,
    problem: { code: 'unsigned', message },
  });
  if (parsed.format === 'outlook-tlv') return unsigned('Outlook security settings carry no signature');
  const sd = guarded('SignedData', () => parseSignedData(bytes));
  if (sd.signerInfos.length === 0) return unsigned('a certs-only SignedData carries no signature');
  // Detached (no eContent): RFC 2798 values sign empty content. `content` is ignored when eContent is present.
  const verifyOptions = {
    content: new Uint8Array(0),
    certificates: options.certificates ?? [],
    allowWeak: options.allowWeak ?? false,
  };
  const checks = await verifySignedData({ ...sd, signerInfos: sd.signerInfos.slice(0, 1) }, verifyOptions).catch(
    (e: unknown) => {
      throw asSmimeError(e, 'internal', 'verifying the userSMIMECertificate signature');
    },
  );
  const check = checks[0]!;
  const out: UserSmimeCertificateVerification = {
    format: 'signed-data',
    signed: true,
    // Valid and acceptable: a SHA-1 signature without allowWeak stays false here (problem `weak-algorithm`).
    signatureValid: check.signatureValid && check.problems.length === 0,
  };
  if (check.certificate) out.signer = check.certificate;
  if (check.problems[0]) out.problem = check.problems[0];
  return out;
}
