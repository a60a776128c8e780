/** Data model of a Microsoft serialized certificate store (see docs/sst.md). */

/** Element ids of the context ("file element") records. */
export const SST_CONTEXT_ID = { certificate: 32, crl: 33, ctl: 34 } as const;

/** Property ids (`CERT_*_PROP_ID` in wincrypt.h) that smimekit knows by name. */
export const SstPropertyId = {
  KEY_PROV_INFO: 2,
  SHA1_HASH: 3,
  MD5_HASH: 4,
  KEY_SPEC: 6,
  ENHKEY_USAGE: 9,
  NEXT_UPDATE_LOCATION: 10,
  FRIENDLY_NAME: 11,
  PVK_FILE: 12,
  DESCRIPTION: 13,
  SIGNATURE_HASH: 15,
  ARCHIVED: 19,
  KEY_IDENTIFIER: 20,
  AUTO_ENROLL: 21,
  PUBKEY_ALG_PARA: 22,
  CROSS_CERT_DIST_POINTS: 23,
  ISSUER_PUBLIC_KEY_MD5_HASH: 24,
  SUBJECT_PUBLIC_KEY_MD5_HASH: 25,
  DATE_STAMP: 27,
  ISSUER_SERIAL_NUMBER_MD5_HASH: 28,
  SUBJECT_NAME_MD5_HASH: 29,
  RENEWAL: 64,
  ROOT_PROGRAM_CERT_POLICIES: 83,
  AUTH_ROOT_SHA256_HASH: 98,
  DISALLOWED_FILETIME: 104,
  ROOT_PROGRAM_CHAIN_POLICIES: 105,
  SHA256_HASH: 107,
  DISALLOWED_ENHKEY_USAGE: 122,
  NOT_BEFORE_FILETIME: 126,
  NOT_BEFORE_ENHKEY_USAGE: 127,
} as const;

export type SstContextKind = 'certificate' | 'crl' | 'ctl';

/** One property element, exactly as stored (value may be empty). */
export interface SstProperty {
  /** Property id, 1..0xFFFF (ids 0x8000+ are application-defined). */
  id: number;
  /** Raw value bytes (no length prefix). */
  value: Uint8Array;
}

/** A context element (certificate, CRL or CTL) with the properties that preceded it. */
export interface SstEntry {
  kind: SstContextKind;
  /** The encoded certificate / CRL / CTL, exactly as stored. */
  der: Uint8Array;
  /** Properties in file order, duplicates and unknown ids included. */
  properties: SstProperty[];
  /**
   * Position of the group among all groups of the file it was read from. The
   * writer uses it to keep the original interleaving of certificates, CRLs and
   * CTLs; entries without one (added later) follow, certificates first.
   */
  position?: number;
  /** Byte offset of the context element's 12-byte header in the file it was read from. */
  offset?: number;
}

/** A parsed store. The three arrays are in file order. */
export interface SstStore {
  certificates: SstEntry[];
  crls: SstEntry[];
  ctls: SstEntry[];
  /** Bytes that followed the end marker (kept for a byte-exact round trip). */
  trailingBytes?: Uint8Array;
}

/** Limits applied while parsing untrusted input. */
export interface SstLimits {
  /** Largest accepted file, bytes (default 64 MiB). */
  maxFileSize?: number;
  /** Largest accepted element value, bytes (default 16 MiB). */
  maxElementSize?: number;
  /** Most elements accepted, end marker included (default 20 000; the largest real store seen has 4 390). */
  maxElements?: number;
}
