/** Building a new store the way Windows writes one (see docs/sst.md, "What createSst writes"). */
import { ArgumentError, FormatError } from '../errors.js';
import { md5, sha1 } from '../util/hash.js';
import { parseCrl, readCertificate, type Certificate } from '../x509/index.js';
import { loadCertificates, type CertificateSource } from './load.js';
import { encodeFiletime, encodeOidList, encodeUtf16String } from './properties.js';
import { SstPropertyId, type SstEntry, type SstProperty, type SstStore } from './types.js';

/** A certificate plus the per-certificate properties to store with it. */
export interface SstCertificateInput {
  /** DER bytes or PEM text of one certificate. */
  certificate: CertificateSource;
  /** Friendly name (property 11), stored UTF-16LE with its terminating NUL. */
  friendlyName?: string;
  /**
   * Purposes Windows will trust this certificate for (property 9). For an
   * S/MIME trust list, `['1.3.6.1.5.5.7.3.4']` (emailProtection).
   */
  enhancedKeyUsage?: readonly string[];
  /** Not trusted for anything issued after this date (property 104). */
  disallowedAfter?: Date;
  /** Further properties, written as given before the SHA-1 property. */
  extraProperties?: readonly SstProperty[];
}

export interface CreateSstOptions {
  /** CRLs (DER or PEM) to store after the certificates, each with its SHA-1 property. */
  crls?: readonly CertificateSource[];
  /** Also write the MD5 hash property (id 4), as older Windows versions do. Default false. */
  md5Hash?: boolean;
}

/**
 * The properties Windows writes before a certificate element, in the order
 * seen in real stores: friendly name, EKU, key identifier, subject-name MD5,
 * disallowed date, extras, then SHA-1 last.
 */
function certificateProperties(
  der: Uint8Array,
  input: Omit<SstCertificateInput, 'certificate'>,
  options: CreateSstOptions,
): SstProperty[] {
  const info = readCertificate(der);
  const props: SstProperty[] = [];
  if (input.friendlyName !== undefined)
    props.push({ id: SstPropertyId.FRIENDLY_NAME, value: encodeUtf16String(input.friendlyName) });
  if (input.enhancedKeyUsage)
    props.push({ id: SstPropertyId.ENHKEY_USAGE, value: encodeOidList(input.enhancedKeyUsage) });
  props.push({ id: SstPropertyId.KEY_IDENTIFIER, value: windowsKeyIdentifier(info) });
  props.push({ id: SstPropertyId.SUBJECT_NAME_MD5_HASH, value: md5(info.subject.der) });
  if (input.disallowedAfter)
    props.push({ id: SstPropertyId.DISALLOWED_FILETIME, value: encodeFiletime(input.disallowedAfter) });
  if (input.extraProperties) props.push(...input.extraProperties.map((p) => ({ id: p.id, value: p.value.slice() })));
  if (options.md5Hash) props.push({ id: SstPropertyId.MD5_HASH, value: md5(der) });
  props.push({ id: SstPropertyId.SHA1_HASH, value: sha1(der) });
  return props;
}

function isInput(x: unknown): x is SstCertificateInput {
  return typeof x === 'object' && x !== null && 'certificate' in x;
}

/**
 * Creates a store from certificates (DER, PEM — several per PEM text are fine —
 * or objects with per-certificate properties) and optional CRLs.
 *
 * @throws {FormatError} `malformed-certificate` / `malformed-crl` naming the bad input's index
 *
 * @example
 * ```ts
 * const store = createSst([{ certificate: rootPem, friendlyName: 'Contoso Root', enhancedKeyUsage: ['1.3.6.1.5.5.7.3.4'] }]);
 * await writeFile('contoso.sst', serializeSst(store));
 * ```
 */
export function createSst(
  certificates: ReadonlyArray<CertificateSource | SstCertificateInput>,
  options: CreateSstOptions = {},
): SstStore {
  const given: unknown = certificates; // checked without narrowing `certificates` to any[]
  if (!Array.isArray(given)) throw new ArgumentError('bad-argument', 'createSst expects an array of certificates');
  const store: SstStore = { certificates: [], crls: [], ctls: [] };
  certificates.forEach((item, index) => {
    const { certificate, ...props } = isInput(item) ? item : { certificate: item };
    let ders: Uint8Array[];
    try {
      const loaded = loadCertificates(certificate);
      ders = loaded.certificates;
      if (ders.length === 0) throw new FormatError('malformed-certificate', 'no certificate found');
      if (ders.length > 1 && isInput(item))
        throw new ArgumentError('bad-argument', 'an entry with properties must hold exactly one certificate');
    } catch (e) {
      throw relabel(e, `certificate ${index + 1}`);
    }
    for (const der of ders) {
      const copy = der.slice();
      let properties: SstProperty[];
      try {
        properties = certificateProperties(copy, props, options);
      } catch (e) {
        throw relabel(e, `certificate ${index + 1}`);
      }
      store.certificates.push({ kind: 'certificate', der: copy, properties });
    }
  });
  (options.crls ?? []).forEach((source, index) => {
    let ders: Uint8Array[];
    try {
      ders = loadCertificates(source).crls;
      if (ders.length === 0) throw new FormatError('malformed-crl', 'no CRL found');
      ders.forEach((d) => parseCrl(d));
    } catch (e) {
      throw relabel(e, `CRL ${index + 1}`);
    }
    for (const der of ders) {
      const entry: SstEntry = {
        kind: 'crl',
        der: der.slice(),
        properties: [{ id: SstPropertyId.SHA1_HASH, value: sha1(der) }],
      };
      store.crls.push(entry);
    }
  });
  return store;
}

function relabel(e: unknown, where: string): Error {
  if (e instanceof FormatError)
    return new FormatError(e.code, `${where}: ${e.message}`, { details: e.details, cause: e });
  if (e instanceof ArgumentError) return new ArgumentError(e.code, `${where}: ${e.message}`, { cause: e });
  return e as Error;
}

/** Key identifier the way Windows computes CERT_KEY_IDENTIFIER_PROP_ID: the SKI, else SHA-1 of the whole SPKI DER. */
function windowsKeyIdentifier(cert: Certificate): Uint8Array {
  return cert.subjectKeyIdentifier ?? sha1(cert.spki);
}
