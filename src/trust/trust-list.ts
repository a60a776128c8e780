/**
 * A trust list: the certificates a relying party trusts as anchors, as an
 * Exchange Online SST defines them. Every certificate in the list is an
 * anchor (admins put intermediates there too), not only self-signed roots.
 * Per-certificate SST properties restrict anchors like Windows does:
 * enhanced-key-usage (property 9) limits the purposes an anchor serves, and
 * disallowed-after (property 104) ends its trust at a date.
 */
import { FormatError } from '../errors.js';
import { toHex, type BytesLike } from '../util/bytes.js';
import { loadCertificates, type CertificateSource } from '../sst/load.js';
import {
  decodeFiletime,
  decodeOidList,
  getSstProperty,
  sstDisallowedAfter,
  sstEnhancedKeyUsage,
} from '../sst/properties.js';
import { SstPropertyId } from '../sst/types.js';
import type { SstEntry, SstStore } from '../sst/types.js';
import { EKU_ANY, EKU_EMAIL_PROTECTION, parseCertificate, type Certificate } from '../x509/index.js';
import { parseCrl, type Crl } from '../x509/index.js';

/** One anchor and the restrictions the trust list puts on it. */
export interface TrustAnchor {
  certificate: Certificate;
  /**
   * Purposes (EKU OIDs) the store allows for this anchor; `undefined` = all.
   * From SST property 9; an empty list allows nothing.
   */
  allowedPurposes?: readonly string[];
  /** Paths through this anchor are not trusted when validating after this time (SST property 104). */
  disallowedAfter?: Date;
  /** Purposes this anchor is explicitly not trusted for (SST property 122). */
  disallowedPurposes?: readonly string[];
  /**
   * End-entity certificates issued (notBefore) after `date` under this anchor are
   * not trusted, for `purposes` only when given (SST properties 126 and 127).
   */
  notBeforeDistrust?: { date: Date; purposes?: readonly string[] };
}

/** Restrictions for `TrustList.add`. */
export interface TrustAnchorOptions {
  allowedPurposes?: readonly string[];
  disallowedAfter?: Date;
  disallowedPurposes?: readonly string[];
  notBeforeDistrust?: { date: Date; purposes?: readonly string[] };
}

/** How often each trust list gained an anchor or a CRL (validation results cached for it expire with a change). */
const generations = new WeakMap<TrustList, number>();
function changed(list: TrustList): void {
  generations.set(list, (generations.get(list) ?? 0) + 1);
}

/** @internal A number that changes whenever `list` gains an anchor or a CRL. */
export function trustListGeneration(list: TrustList): number {
  return generations.get(list) ?? 0;
}

export class TrustList {
  private readonly list: TrustAnchor[] = [];
  private readonly byFingerprint = new Map<string, TrustAnchor>();
  private readonly bySubjectKey = new Map<string, TrustAnchor[]>();
  private readonly byKeyId = new Map<string, TrustAnchor[]>();
  private readonly crlList: Crl[] = [];
  private readonly crlFingerprints = new Set<string>();
  /** Entries of SST / bundle inputs that could not be decoded and were left out. */
  readonly skipped: { kind: 'certificate' | 'crl'; index: number; error: FormatError }[] = [];

  /** Builds a trust list from an SST: certificates with their EKU / disallowed-after properties, and CRLs. */
  static fromSst(store: SstStore): TrustList {
    const t = new TrustList();
    t.addSst(store);
    return t;
  }

  /**
   * Adds an SST's certificates (with their properties) and CRLs. Entries that
   * cannot be decoded are left out and listed in `skipped`: one bad entry must
   * not make a whole store unusable.
   */
  addSst(store: SstStore): this {
    store.certificates.forEach((entry, index) =>
      this.tryAdd('certificate', index, () => this.add(entry.der, anchorOptionsFromSst(entry))),
    );
    store.crls.forEach((entry, index) => this.tryAdd('crl', index, () => this.addCrl(entry.der)));
    return this;
  }

  private tryAdd(kind: 'certificate' | 'crl', index: number, fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      this.skipped.push({ kind, index, error: e });
    }
  }

  /**
   * Builds a trust list from bytes in any supported container (SST, PEM
   * bundle, DER certificate / CRL, PKCS#7). Several sources may be given.
   */
  static fromBytes(...sources: CertificateSource[]): TrustList {
    const t = new TrustList();
    for (const source of sources) t.addBytes(source);
    return t;
  }

  /** Builds a trust list from certificates (DER or decoded) and optional CRLs. */
  static fromCertificates(
    certificates: Iterable<BytesLike | Certificate>,
    crls: Iterable<BytesLike | Crl> = [],
  ): TrustList {
    const t = new TrustList();
    for (const c of certificates) t.add(c);
    for (const c of crls) t.addCrl(c);
    return t;
  }

  /** Adds everything found in `source` (format detected from the bytes). */
  addBytes(source: CertificateSource): this {
    const loaded = loadCertificates(source);
    if (loaded.sst) return this.addSst(loaded.sst);
    loaded.certificates.forEach((der, index) => this.tryAdd('certificate', index, () => this.add(der)));
    loaded.crls.forEach((der, index) => this.tryAdd('crl', index, () => this.addCrl(der)));
    return this;
  }

  /** Adds one anchor; a certificate already present keeps its first restrictions. */
  add(certificate: BytesLike | Certificate, options: TrustAnchorOptions = {}): TrustAnchor {
    const cert = isCertificate(certificate) ? certificate : parseCertificate(certificate);
    const existing = this.byFingerprint.get(cert.fingerprint);
    if (existing) return existing;
    const anchor: TrustAnchor = { certificate: cert };
    if (options.allowedPurposes) anchor.allowedPurposes = [...options.allowedPurposes];
    if (options.disallowedAfter) anchor.disallowedAfter = options.disallowedAfter;
    if (options.disallowedPurposes) anchor.disallowedPurposes = [...options.disallowedPurposes];
    if (options.notBeforeDistrust) anchor.notBeforeDistrust = options.notBeforeDistrust;
    this.list.push(anchor);
    changed(this);
    this.byFingerprint.set(cert.fingerprint, anchor);
    push(this.bySubjectKey, cert.subject.key, anchor);
    if (cert.subjectKeyIdentifier) push(this.byKeyId, toHex(cert.subjectKeyIdentifier), anchor);
    return anchor;
  }

  /** Adds a CRL the validator may use. */
  addCrl(crl: BytesLike | Crl): Crl {
    const parsed = isCrl(crl) ? crl : parseCrl(crl);
    if (!this.crlFingerprints.has(parsed.fingerprint)) {
      this.crlFingerprints.add(parsed.fingerprint);
      this.crlList.push(parsed);
      changed(this);
    }
    return parsed;
  }

  get anchors(): readonly TrustAnchor[] {
    return this.list;
  }

  get crls(): readonly Crl[] {
    return this.crlList;
  }

  get size(): number {
    return this.list.length;
  }

  /** The anchor entry for exactly this certificate, if it is in the list. */
  find(cert: Certificate): TrustAnchor | undefined {
    return this.byFingerprint.get(cert.fingerprint);
  }

  /** Anchors whose subject matches `subjectKey` (a `DistinguishedName.key`). */
  bySubject(subjectKey: string): readonly TrustAnchor[] {
    return this.bySubjectKey.get(subjectKey) ?? [];
  }

  /** Anchors whose subjectKeyIdentifier is `keyId`. */
  byKeyIdentifier(keyId: Uint8Array): readonly TrustAnchor[] {
    return this.byKeyId.get(toHex(keyId)) ?? [];
  }
}

/** A DER OID list; an unreadable one counts as "every purpose" (restrictions must not vanish). */
function oidListOrAll(value: Uint8Array): string[] {
  try {
    return decodeOidList(value);
  } catch {
    return [];
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function isCertificate(v: unknown): v is Certificate {
  return typeof v === 'object' && v !== null && 'fingerprint' in v && 'tbs' in v && 'subject' in v;
}

function isCrl(v: unknown): v is Crl {
  return typeof v === 'object' && v !== null && 'fingerprint' in v && 'entries' in v;
}

/** Anchor restrictions from an SST entry's properties. */
export function anchorOptionsFromSst(entry: SstEntry): TrustAnchorOptions {
  const options: TrustAnchorOptions = {};
  const eku = sstEnhancedKeyUsage(entry);
  if (eku !== undefined) options.allowedPurposes = eku;
  const after = sstDisallowedAfter(entry);
  if (after) options.disallowedAfter = after;
  const disallowed = getSstProperty(entry, SstPropertyId.DISALLOWED_ENHKEY_USAGE);
  if (disallowed?.length) {
    // An unreadable disallowed list must not quietly re-enable the anchor: it disallows everything.
    try {
      options.disallowedPurposes = decodeOidList(disallowed);
    } catch {
      options.disallowedPurposes = [EKU_ANY, EKU_EMAIL_PROTECTION];
    }
  }
  const notBefore = getSstProperty(entry, SstPropertyId.NOT_BEFORE_FILETIME);
  if (notBefore?.length) {
    let date: Date;
    try {
      date = decodeFiletime(notBefore) ?? new Date(0);
    } catch {
      date = new Date(0); // unreadable limit: distrust everything, never widen trust
    }
    const purposes = getSstProperty(entry, SstPropertyId.NOT_BEFORE_ENHKEY_USAGE);
    const list = purposes?.length ? oidListOrAll(purposes) : [];
    options.notBeforeDistrust = list.length ? { date, purposes: list } : { date };
  }
  return options;
}

/**
 * Expands certificate inputs: DER is taken as one certificate; PEM text,
 * PKCS#7 and SST inputs may hold several (format detected from the bytes).
 */
function expand(input: BytesLike | string, kind: 'certificates' | 'crls'): Uint8Array[] {
  const bytes = typeof input === 'string' ? undefined : toBytesView(input);
  if (bytes && bytes[0] === 0x30) {
    // Plain DER: a certificate / CRL, unless it is a PKCS#7 ContentInfo.
    try {
      const loaded = loadCertificates(bytes);
      if (loaded.format === 'pkcs7') return loaded[kind];
    } catch {
      // fall through: let the strict parser report the problem
    }
    return [bytes];
  }
  return loadCertificates(input)[kind];
}

/**
 * The certificate when the input is the DER of a well-formed one (what every message and caller hands over; the
 * certificate model remembers the array, so this costs no parsing the second time), else undefined.
 */
function derCertificate(input: BytesLike | string): Certificate | undefined {
  if (typeof input === 'string' || toBytesView(input)[0] !== 0x30) return undefined;
  try {
    return parseCertificate(input);
  } catch {
    return undefined; // PKCS#7, or not well-formed: expand() and the strict parse below decide
  }
}

function toBytesView(input: BytesLike): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
}

/**
 * Parses certificate inputs (DER, PEM bundles, PKCS#7, decoded objects).
 * With `lenient`, unreadable inputs are skipped instead of throwing `FormatError`.
 */
export function parseCertificates(inputs: Iterable<BytesLike | string | Certificate>, lenient = false): Certificate[] {
  const out: Certificate[] = [];
  for (const input of inputs) {
    try {
      if (isCertificate(input)) out.push(input);
      else {
        const known = derCertificate(input);
        if (known) out.push(known);
        else for (const der of expand(input, 'certificates')) out.push(parseCertificate(der));
      }
    } catch (e) {
      if (!lenient || !(e instanceof FormatError)) throw e;
    }
  }
  return out;
}

/** Parses CRL inputs (DER, PEM, decoded objects); with `lenient`, unreadable ones are skipped. */
export function parseCrls(inputs: Iterable<BytesLike | string | Crl>, lenient = false): Crl[] {
  const out: Crl[] = [];
  for (const input of inputs) {
    try {
      if (isCrl(input)) out.push(input);
      else for (const der of expand(input, 'crls')) out.push(parseCrl(der));
    } catch (e) {
      if (!lenient || !(e instanceof FormatError)) throw e;
    }
  }
  return out;
}
