/**
 * What a file handed to `MemoryDirectory.load` holds, as entries to add: format detection, then
 * certificate files (SST, PEM, DER, PKCS#7), Outlook `userSMIMECertificate` values and LDIF exports
 * mapped to people and groups, with a reason for everything left out. No directory state here.
 */
import { FormatError } from '../errors.js';
import { fromBase64, latin1, type BytesLike } from '../util/bytes.js';
import { parseSignedData } from '../cms/signed-data.js';
import { loadCertificates, type LoadedCertificates } from '../sst/load.js';
import { describeCertificate, isCa, parseCertificate, type Certificate } from '../x509/index.js';
import { assertAddress, parseProxyAddress } from './address.js';
import { ldifBytes, ldifText, parseLdif, type LdifOptions, type LdifRecord } from './ldif.js';
import { parseUserSmimeCertificate } from './user-smime-certificate.js';

/** A person or contact to add. Certificates are DER bytes or PEM (text or bytes; every CERTIFICATE block counts). */
export interface MemoryPerson {
  /** Unique within the directory (default `entry-N`); LDIF entries use their DN. */
  id?: string;
  displayName?: string;
  mail?: string | readonly string[];
  /** Exchange `proxyAddresses` values (`SMTP:primary@…`, `smtp:secondary@…`; others such as `X500:` are ignored). */
  proxyAddresses?: readonly string[];
  userCertificate?: readonly (BytesLike | string)[];
  /** Raw `userSMIMECertificate` values (CMS SignedData or Outlook TLV). */
  userSMIMECertificate?: readonly BytesLike[];
  /** Bare certificates: the same as `userCertificate`. */
  certificates?: readonly (BytesLike | string)[];
}

/** A distribution list to add. */
export interface MemoryGroup {
  id?: string;
  displayName?: string;
  /** The list's address (a list without one can still be nested inside another list). */
  mail?: string | readonly string[];
  proxyAddresses?: readonly string[];
  /** Members: entry ids, DNs (of LDIF entries) or addresses; resolved when the list is expanded. */
  members: readonly string[];
}

/** What `MemoryDirectory.load` reads. */
export type MemoryLoadFormat = 'ldif' | 'certificates' | 'user-smime-certificate';

/** Options of `MemoryDirectory.load`. */
export interface MemoryLoadOptions {
  /** Skip detection (default `auto`). */
  format?: MemoryLoadFormat | 'auto';
  /** Certificate files and userSMIMECertificate values: the address to file them under (default: the certificates' own). */
  address?: string;
  /** Certificate files and userSMIMECertificate values: the entry's display name. */
  displayName?: string;
  /** LDIF limits. */
  ldif?: LdifOptions;
}

/** Why something in a loaded file did not become (part of) an entry. */
export type MemoryLoadSkipCode =
  | 'ca-certificate'
  | 'crl'
  | 'ignored-pem-block'
  | 'unreadable-certificate'
  | 'no-address'
  | 'bad-address'
  | 'not-an-entry'
  | 'change-record'
  | 'duplicate-entry';

/** One thing `load` left out (for `ca-certificate` and `bad-address`: used only in part). */
export interface MemoryLoadSkip {
  /** A DN, a certificate subject, or a short description. */
  item: string;
  code: MemoryLoadSkipCode;
  reason: string;
}

/** One entry to add: a person with the CA certificates published beside its certificates, or a group. */
type PlannedEntry =
  { kind: 'person'; person: MemoryPerson; chain: Uint8Array[] } | { kind: 'group'; group: MemoryGroup };

/** What a file holds. */
export interface LoadPlan {
  format: MemoryLoadFormat;
  entries: PlannedEntry[];
  skipped: MemoryLoadSkip[];
}

const GROUP_CLASSES: ReadonlySet<string> = new Set(['group', 'groupofnames', 'groupofuniquenames']);
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;
/** `attr=` at the start: a DN, not an address. */
export const DN_LIKE = /^\s*(?:[A-Za-z][\w-]*|\d+(?:\.\d+)*)\s*=/;

/** The result, or undefined when it throws (probing formats). */
export function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** True for a usable mailbox address (and not a DN that happens to contain an `@`). */
export const isAddress = (ref: string): boolean =>
  !DN_LIKE.test(ref) && attempt(() => assertAddress(ref)) !== undefined;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const tryParse = (der: Uint8Array): Certificate | undefined => attempt(() => parseCertificate(der));
const named = (displayName: string | undefined) => (displayName === undefined ? {} : { displayName });

/**
 * Reads a file for `MemoryDirectory.load`; see there for the detection order.
 *
 * @throws FormatError `unsupported-format`, `malformed-ldif`, `unsupported-ldif-url`, `malformed-user-smime-certificate`
 *   (with `format: 'user-smime-certificate'`), the `loadCertificates` codes (with `format: 'certificates'`)
 */
export function planLoad(bytes: Uint8Array, options: MemoryLoadOptions): LoadPlan {
  const format = options.format ?? 'auto';
  if (format === 'ldif' || (format === 'auto' && looksLikeLdif(bytes))) return ldifPlan(parseLdif(bytes, options.ldif));
  if (format === 'certificates') return certificatePlan(loadCertificates(bytes), options);
  if (format === 'user-smime-certificate') return userSmimePlan(binaryForm(bytes), options);
  const binary = binaryForm(bytes);
  let loaded: LoadedCertificates | undefined;
  let failure: unknown;
  try {
    loaded = loadCertificates(bytes);
  } catch (e) {
    failure = e;
  }
  // A SignedData with signers is a published userSMIMECertificate value, not a certificate bundle.
  if (loaded ? hasSignerInfos(binary) : attempt(() => parseUserSmimeCertificate(binary)))
    return userSmimePlan(binary, options);
  if (loaded) return certificatePlan(loaded, options);
  throw new FormatError(
    'unsupported-format',
    `the input is neither LDIF, certificates (SST, PEM, DER, PKCS#7) nor a userSMIMECertificate value (${messageOf(failure)})`,
    { cause: failure },
  );
}

/** LDIF when the first line that is neither blank nor a comment starts with `dn:` or `version:`. */
function looksLikeLdif(bytes: Uint8Array): boolean {
  const encoding =
    bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8';
  const head = new TextDecoder(encoding).decode(bytes.subarray(0, 8192));
  const first = head.split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#'));
  return first !== undefined && /^(dn|version)::?/i.test(first);
}

/** Base64 text decoded (a value copied out of an LDIF export or a web page), else the bytes as they are. */
function binaryForm(bytes: Uint8Array): Uint8Array {
  const text = bytes.length < 16 << 20 ? latin1(bytes) : '';
  return (BASE64_TEXT.test(text) ? attempt(() => fromBase64(text)) : undefined) ?? bytes;
}

const hasSignerInfos = (der: Uint8Array): boolean =>
  der[0] === 0x30 && (attempt(() => parseSignedData(der).signerInfos.length) ?? 0) > 0;

/** End-entity certificates become people; CA certificates their chain; the rest is reported. */
function certificatePlan(loaded: LoadedCertificates, options: MemoryLoadOptions): LoadPlan {
  const plan: LoadPlan = { format: 'certificates', entries: [], skipped: [] };
  const leaves: { der: Uint8Array; cert: Certificate }[] = [];
  const chain: Uint8Array[] = [];
  loaded.certificates.forEach((der, i) => {
    let cert: Certificate;
    try {
      cert = parseCertificate(der);
    } catch (e) {
      plan.skipped.push({ item: `certificate ${i + 1}`, code: 'unreadable-certificate', reason: messageOf(e) });
      return;
    }
    if (!isCa(cert)) leaves.push({ der, cert });
    else {
      chain.push(der);
      plan.skipped.push({
        item: describeCertificate(cert),
        code: 'ca-certificate',
        reason: 'a CA certificate: kept as the chain of the end-entity certificates of the file, never an entry',
      });
    }
  });
  loaded.crls.forEach((_, i) =>
    plan.skipped.push({ item: `CRL ${i + 1}`, code: 'crl', reason: 'CRLs are not published on address-book entries' }),
  );
  for (const label of loaded.ignored)
    plan.skipped.push({ item: `PEM block ${label}`, code: 'ignored-pem-block', reason: 'not a certificate' });
  const person = (mail: string[], certificates: Uint8Array[]): PlannedEntry => ({
    kind: 'person',
    person: { mail, certificates, ...named(options.displayName) },
    chain,
  });
  if (options.address !== undefined) {
    if (leaves.length > 0)
      plan.entries.push(
        person(
          [options.address],
          leaves.map((l) => l.der),
        ),
      );
    return plan;
  }
  for (const { der, cert } of leaves) {
    const mail = cert.emailAddresses.filter(isAddress);
    if (mail.length > 0) plan.entries.push(person(mail, [der]));
    else
      plan.skipped.push({
        item: describeCertificate(cert),
        code: 'no-address',
        reason: 'the certificate names no e-mail address and no address was given',
      });
  }
  return plan;
}

/** A published value becomes one person, under `address` or the e-mail addresses of its encryption (else signing, else first end-entity) certificate. */
function userSmimePlan(value: Uint8Array, options: MemoryLoadOptions): LoadPlan {
  const parsed = parseUserSmimeCertificate(value);
  const plan: LoadPlan = { format: 'user-smime-certificate', entries: [], skipped: [] };
  const owner =
    parsed.encryptionCertificate ??
    parsed.signingCertificate ??
    parsed.certificates.find((c) => {
      const cert = tryParse(c);
      return cert !== undefined && !isCa(cert);
    });
  const ownerCert = owner ? tryParse(owner) : undefined;
  const mail =
    options.address !== undefined ? [options.address] : ownerCert ? ownerCert.emailAddresses.filter(isAddress) : [];
  if (mail.length === 0) {
    plan.skipped.push({
      item: 'userSMIMECertificate value',
      code: 'no-address',
      reason: 'no address was given and its certificate names none',
    });
    return plan;
  }
  plan.entries.push({
    kind: 'person',
    person: { mail, userSMIMECertificate: [value], ...named(options.displayName ?? parsed.displayName) },
    chain: [],
  });
  return plan;
}

function ldifPlan(records: LdifRecord[]): LoadPlan {
  const plan: LoadPlan = { format: 'ldif', entries: [], skipped: [] };
  for (const r of records) {
    const entry = fromLdifRecord(r, plan.skipped);
    if (entry) plan.entries.push(entry);
  }
  return plan;
}

/**
 * An export's record as a person or group: `mail`, `proxyAddresses`, `displayName` (else `cn`),
 * `userCertificate`, `userSMIMECertificate`; groups by objectClass with `member` / `uniqueMember` DNs.
 */
function fromLdifRecord(r: LdifRecord, skipped: MemoryLoadSkip[]): PlannedEntry | undefined {
  if (r.changetype && r.changetype !== 'add') {
    skipped.push({
      item: r.dn,
      code: 'change-record',
      reason: `a "changetype: ${r.changetype}" record changes an entry; it is not one`,
    });
    return undefined;
  }
  if (r.dn.trim() === '') {
    // The empty DN is the server's root DSE (RFC 4512), never an address-book entry.
    skipped.push({ item: `line ${r.line}`, code: 'not-an-entry', reason: 'a record with an empty DN (the root DSE)' });
    return undefined;
  }
  const text = (name: string) => (r.attributes.get(name) ?? []).map(ldifText);
  const binary = (name: string) => (r.attributes.get(name) ?? []).map(ldifBytes);
  const usable = (a: string) =>
    isAddress(a) ||
    (skipped.push({
      item: r.dn,
      code: 'bad-address',
      reason: `"${a.slice(0, 80)}" is not an e-mail address; left out`,
    }),
    false);
  const mail = text('mail').filter(usable);
  const proxyAddresses = text('proxyaddresses').filter((p) => {
    const smtp = parseProxyAddress(p);
    return !smtp || usable(smtp.address);
  });
  const base = { id: r.dn, mail, proxyAddresses, ...named(text('displayname')[0] ?? text('cn')[0]) };
  if (text('objectclass').some((c) => GROUP_CLASSES.has(c.trim().toLowerCase()))) {
    // groupOfUniqueNames values may carry an optional "#'0101'B" unique identifier after the DN.
    const members = [...text('member'), ...text('uniquemember').map((m) => m.replace(/#'[01]*'B$/, ''))];
    return { kind: 'group', group: { ...base, members } };
  }
  const userCertificate = binary('usercertificate');
  const userSMIMECertificate = binary('usersmimecertificate');
  if (mail.length + proxyAddresses.length + userCertificate.length + userSMIMECertificate.length === 0) {
    skipped.push({ item: r.dn, code: 'not-an-entry', reason: 'no mail, proxyAddresses or certificate attribute' });
    return undefined;
  }
  return { kind: 'person', person: { ...base, userCertificate, userSMIMECertificate }, chain: [] };
}
