/** Human- and JSON-friendly views of store entries, for listing and diagnostics. */
import { toHex } from '../util/bytes.js';
import { md5, sha1, sha256 } from '../util/hash.js';
import { derViolations, parseCrl, readCertificate } from '../x509/index.js';
import { decodeSstProperty, getSstProperty, sstFriendlyName, type DecodedSstProperty } from './properties.js';
import { SstPropertyId, type SstEntry, type SstStore } from './types.js';

export interface SstEntryDescription {
  index: number;
  kind: SstEntry['kind'];
  /** SHA-1 of the DER, computed (stored hash properties are never trusted). */
  sha1: string;
  sha256: string;
  friendlyName?: string;
  subject?: string;
  issuer?: string;
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  /** CRLs: thisUpdate / nextUpdate / number of revoked serials. */
  thisUpdate?: string;
  nextUpdate?: string;
  revokedCount?: number;
  properties: DecodedSstProperty[];
  /** Problems with this entry that do not make the store unreadable. */
  problems: SstEntryProblem[];
}

export interface SstEntryProblem {
  code: 'malformed-certificate' | 'malformed-crl' | 'not-der' | 'stored-hash-mismatch' | 'sst-bad-property-value';
  message: string;
}

const STORED_HASHES: Array<[number, (d: Uint8Array) => Uint8Array, string]> = [
  [SstPropertyId.SHA1_HASH, sha1, 'SHA-1'],
  [SstPropertyId.MD5_HASH, md5, 'MD5'],
  [SstPropertyId.SHA256_HASH, sha256, 'SHA-256'],
  [SstPropertyId.AUTH_ROOT_SHA256_HASH, sha256, 'SHA-256 (AuthRoot)'],
];

/** Decodes one entry for display; problems are collected, never thrown. */
export function describeSstEntry(entry: SstEntry, index: number): SstEntryDescription {
  const out: SstEntryDescription = {
    index,
    kind: entry.kind,
    sha1: toHex(sha1(entry.der)),
    sha256: toHex(sha256(entry.der)),
    properties: entry.properties.map(decodeSstProperty),
    problems: [],
  };
  const friendlyName = sstFriendlyName(entry);
  if (friendlyName !== undefined) out.friendlyName = friendlyName;
  for (const p of out.properties)
    if (p.error) out.problems.push({ code: 'sst-bad-property-value', message: `property ${p.name}: ${p.error}` });
  for (const [id, fn, name] of STORED_HASHES) {
    const stored = getSstProperty(entry, id);
    if (stored && stored.length > 0 && toHex(stored) !== toHex(fn(entry.der))) {
      out.problems.push({
        code: 'stored-hash-mismatch',
        message: `stored ${name} property does not match the ${entry.kind}`,
      });
    }
  }
  try {
    if (entry.kind === 'certificate') {
      const info = readCertificate(entry.der);
      Object.assign(out, {
        subject: info.subject.text,
        issuer: info.issuer.text,
        serialNumber: info.serialHex,
        notBefore: info.notBefore.toISOString(),
        notAfter: info.notAfter.toISOString(),
      });
    } else if (entry.kind === 'crl') {
      const info = parseCrl(entry.der);
      out.issuer = info.issuer.text;
      out.thisUpdate = info.thisUpdate.toISOString();
      if (info.nextUpdate) out.nextUpdate = info.nextUpdate.toISOString();
      out.revokedCount = info.entries.length;
    }
    if (entry.kind !== 'ctl') {
      const issues = derViolations(entry.der);
      if (issues.length > 0)
        out.problems.push({
          code: 'not-der',
          message: `not strict DER (${issues.join('; ')}); strict parsers may refuse it`,
        });
    }
  } catch (e) {
    out.problems.push({
      code: entry.kind === 'crl' ? 'malformed-crl' : 'malformed-certificate',
      message: (e as Error).message,
    });
  }
  return out;
}

/**
 * Every per-entry problem in a store (unparsable or non-DER certificates,
 * malformed property values, stale stored hashes). An empty list means clean.
 */
export function checkSstEntries(
  store: SstStore,
): Array<SstEntryProblem & { kind: SstEntry['kind']; index: number; sha1: string }> {
  const out: Array<SstEntryProblem & { kind: SstEntry['kind']; index: number; sha1: string }> = [];
  for (const list of [store.certificates, store.crls, store.ctls]) {
    list.forEach((entry, index) => {
      const d = describeSstEntry(entry, index);
      for (const p of d.problems) out.push({ ...p, kind: entry.kind, index, sha1: d.sha1 });
    });
  }
  return out;
}
