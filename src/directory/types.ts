/**
 * The address-book model: a `CertificateDirectory` answers "which entries
 * have this e-mail address, and what certificates did they publish", the
 * way Outlook reads the GAL, the Contacts folder and LDAP address books.
 * Validating candidates and choosing one is done above it (select.ts).
 */
import type { SmimeErrorCode } from '../error-codes.js';
import type { CapabilityEntry } from '../cms/attributes.js';

/** Where a certificate was published on a directory entry. */
export type CertificateAttribute = 'userSMIMECertificate' | 'userCertificate';

/**
 * How the attribute value was encoded:
 * - `der`: a bare DER certificate (`userCertificate`, or a file);
 * - `signed-data`: a CMS SignedData blob (RFC 2798 / MS-OXOABK 2.2.4.36, first byte 0x30);
 * - `outlook-tlv`: Outlook's binary security-settings blob (MS-OXOABK 2.2.4.36.1–12).
 */
export type CertificateValueFormat = 'der' | 'signed-data' | 'outlook-tlv';

/** One certificate published for an entry, with everything published alongside it. */
export interface CertificateCandidate {
  /** The certificate, DER. */
  certificate: Uint8Array;
  /** Other certificates published in the same value (the user's chain), DER. */
  chain: Uint8Array[];
  /** Name of the directory it came from (`CertificateDirectory.name`). */
  directory: string;
  /** Entry it came from: an LDAP DN, or a `MemoryDirectory` entry id. */
  entry: string;
  attribute: CertificateAttribute;
  format: CertificateValueFormat;
  /** Position of the value among the attribute's values (Outlook prefers earlier ones). */
  valueIndex: number;
  /** SMIMECapabilities published with it (signed attribute or TLV AsymmetricCapabilities), in preference order. */
  capabilities?: CapabilityEntry[];
  /**
   * True when the value marks this certificate as the user's default for
   * encryption (SMIMEEncryptionKeyPreference / Outlook's key-exchange
   * certificate or default flag).
   */
  preferred: boolean;
  /** The raw attribute value it was decoded from. */
  raw: Uint8Array;
}

/** A member reference of a group, resolved by the directory that returned the group. */
export interface GroupMember {
  /** Directory-specific reference: an LDAP DN, or a `MemoryDirectory` entry id / address. */
  ref: string;
  /** The member's address when the directory already knows it. */
  address?: string;
}

/** One directory entry that matched a lookup. */
export interface DirectoryEntry {
  /** Name of the directory that returned it. */
  directory: string;
  /** DN or entry id, unique within the directory. */
  id: string;
  kind: 'person' | 'group';
  displayName?: string;
  /** The primary address (`mail`, or the `SMTP:` proxy address). */
  address?: string;
  /** Every address of the entry (primary first; secondary proxy addresses after it), as published. */
  addresses: string[];
  /** Certificates published on the entry, in attribute order (userSMIMECertificate values first). */
  candidates: CertificateCandidate[];
  /** Attribute values that could not be decoded: kept so a lookup report can say why. */
  unreadable: { attribute: CertificateAttribute; valueIndex: number; code: string; message: string }[];
  /** Groups only: direct members, expanded with `CertificateDirectory.members`. */
  members?: GroupMember[];
}

/** Options every lookup takes. */
export interface LookupOptions {
  /** Cancels the lookup; the directory rejects with the signal's reason (or `directory-timeout`). */
  signal?: AbortSignal;
  /**
   * Match secondary proxy addresses (`smtp:` lower-case prefix) too. Default true
   * (Exchange's OWAUseSecondaryProxiesWhenFindingCertificates).
   */
  secondaryAddresses?: boolean;
}

/**
 * An address book. Lookups are by e-mail address: the local part as given,
 * the domain case-insensitively; `proxyAddresses` values (`SMTP:` primary,
 * `smtp:` secondary) match too. Implementations throw `DirectoryError` with
 * `directory-unreachable`, `directory-auth-failed`, `directory-timeout` or
 * `directory-bad-response`.
 */
export interface CertificateDirectory {
  /** Shown in reports (e.g. "GAL", "Contacts", an LDAP URL). */
  readonly name: string;
  /** Entries whose address matches; an empty array when there are none. */
  lookup(address: string, options?: LookupOptions): Promise<DirectoryEntry[]>;
  /** The direct members of a group entry this directory returned (groups inside are returned as group entries). */
  members?(group: DirectoryEntry, options?: LookupOptions): Promise<DirectoryEntry[]>;
  /** Releases connections; lookups after close may reconnect. */
  close?(): Promise<void>;
}

/** How one directory answered a lookup (the composite reports one per directory). */
export interface DirectorySourceResult {
  directory: string;
  status: 'ok' | 'error' | 'timeout' | 'aborted';
  /** Entries it returned. */
  entries: number;
  /** The error for `error` / `timeout` (code and message of the `SmimeError`). */
  error?: { code: SmimeErrorCode; message: string };
  /** Milliseconds it took. */
  ms: number;
}

/** A candidate certificate after validation, as lookup reports show it. */
export interface CandidateVerdict {
  /** The candidate (if several directories published the same certificate, the first; see `sources`). */
  candidate: CertificateCandidate;
  /** Every place the same certificate (by fingerprint) was published. */
  sources: { directory: string; entry: string; attribute: CertificateAttribute }[];
  /** Lowercase hex SHA-256 of the certificate DER. */
  fingerprint: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** True when it validated against the trust list for purpose `encrypt` and the address. */
  valid: boolean;
  /** Trust problems (codes from docs/trust.md) when not valid. */
  problems: { code: string; message: string }[];
  chosen: boolean;
  /** Why it was chosen, or why it lost / was rejected, in words. */
  reason: string;
}

/** The outcome of resolving one address to an encryption certificate. */
export interface RecipientCertificate {
  /** The address asked for. */
  address: string;
  /** The chosen certificate (DER), absent when there is none. */
  certificate?: Uint8Array;
  /** The chosen candidate's verdict. */
  chosen?: CandidateVerdict;
  /** Every candidate found, chosen or rejected. */
  candidates: CandidateVerdict[];
  /** Why there is no certificate: no entry anywhere, entries without certificates, none valid, or directories failed. */
  missing?: 'not-found' | 'no-certificate' | 'no-valid-certificate' | 'directory-error';
  /** How each directory answered. */
  sources: DirectorySourceResult[];
  /** Distribution lists this address was reached through, outermost first (empty when asked for directly). */
  via: string[];
}
