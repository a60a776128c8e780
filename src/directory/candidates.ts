/**
 * Turns the raw certificate attribute values of one directory entry into
 * candidates: every end-entity certificate published, with the chain,
 * capabilities and default-for-encryption flag published beside it. A value
 * that cannot be decoded is reported, never fatal for the entry.
 */
import { SmimeError } from '../errors.js';
import { bytesEqual } from '../util/bytes.js';
import { isCa, parseCertificate } from '../x509/index.js';
import type { CertificateAttribute, CertificateCandidate, DirectoryEntry } from './types.js';
import { parseUserSmimeCertificate } from './user-smime-certificate.js';

/** The raw values of an entry's certificate attributes. */
export interface CertificateAttributeValues {
  /** `userSMIMECertificate` values (CMS SignedData or Outlook TLV), in attribute order. */
  userSMIMECertificate?: readonly Uint8Array[];
  /** `userCertificate` values (DER certificates), in attribute order. */
  userCertificate?: readonly Uint8Array[];
}

type Unreadable = DirectoryEntry['unreadable'][number];

function failure(attribute: CertificateAttribute, valueIndex: number, e: unknown): Unreadable {
  const code = e instanceof SmimeError ? e.code : 'malformed-certificate';
  return { attribute, valueIndex, code, message: e instanceof Error ? e.message : String(e) };
}

function isCaCertificate(der: Uint8Array): boolean {
  try {
    return isCa(parseCertificate(der));
  } catch {
    return false;
  }
}

/**
 * Candidates of one entry: userSMIMECertificate values first (Outlook reads
 * them first), then userCertificate values.
 */
export function candidatesFromAttributes(
  source: { directory: string; entry: string },
  values: CertificateAttributeValues,
): { candidates: CertificateCandidate[]; unreadable: Unreadable[] } {
  const candidates: CertificateCandidate[] = [];
  const unreadable: Unreadable[] = [];
  (values.userSMIMECertificate ?? []).forEach((raw, valueIndex) => {
    try {
      const value = parseUserSmimeCertificate(raw);
      const chain = value.certificates.filter(isCaCertificate);
      const leaves = value.certificates.filter((c) => !chain.includes(c));
      // The preferred certificate first: Outlook takes the default before any other.
      const preferred = value.encryptionCertificate;
      const ordered = preferred
        ? [...leaves.filter((c) => bytesEqual(c, preferred)), ...leaves.filter((c) => !bytesEqual(c, preferred))]
        : leaves;
      if (preferred && !ordered.some((c) => bytesEqual(c, preferred))) ordered.unshift(preferred);
      for (const certificate of ordered) {
        const candidate: CertificateCandidate = {
          certificate,
          chain,
          directory: source.directory,
          entry: source.entry,
          attribute: 'userSMIMECertificate',
          format: value.format,
          valueIndex,
          preferred: preferred !== undefined && bytesEqual(certificate, preferred),
          raw,
        };
        if (value.capabilities) candidate.capabilities = value.capabilities;
        candidates.push(candidate);
      }
    } catch (e) {
      unreadable.push(failure('userSMIMECertificate', valueIndex, e));
    }
  });
  (values.userCertificate ?? []).forEach((raw, valueIndex) => {
    try {
      parseCertificate(raw);
      candidates.push({
        certificate: raw,
        chain: [],
        directory: source.directory,
        entry: source.entry,
        attribute: 'userCertificate',
        format: 'der',
        valueIndex,
        preferred: false,
        raw,
      });
    } catch (e) {
      unreadable.push(failure('userCertificate', valueIndex, e));
    }
  });
  return { candidates, unreadable };
}
