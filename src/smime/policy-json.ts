/**
 * `policyFromJson`: reads a policy from JSON, Exchange parameter names (as `Get-SmimeConfig |
 * ConvertTo-Json` prints them) and/or the friendly `SmimePolicy` names, each value checked
 * (`bad-policy` naming the field). Exchange's algorithm lists, Bcc forking numbers and
 * certificate-inclusion booleans are translated here.
 */
import { ArgumentError } from '../errors.js';
import { fromBase64 } from '../util/bytes.js';
import { SIGNING_DIGESTS, type SigningDigest } from '../cms/signer.js';
import { CONTENT_CIPHERS, isContentCipherName, type ContentCipherName } from '../cms/content-cipher.js';
import { TrustList } from '../trust/trust-list.js';
import type { BccForking, CertificateInclusion, SmimePolicy } from './policy.js';
import { SMIME_CONFIG_PARAMETERS } from './smime-config-parameters.js';

/** Options of `policyFromJson`. */
export interface PolicyJsonOptions {
  /** Loads the trust list a friendly `trust` string names (a file, a URL); bytes default to `TrustList.fromBytes`. */
  loadTrust?: (ref: string | Uint8Array) => TrustList;
  /** Accept weak algorithm lists (SHA-1, MD5, DES, 3DES, RC2): their weak entries are skipped, never used. Default false. */
  allowWeak?: boolean;
  /** Told about anything accepted but not applied (skipped weak entries). */
  onWarning?: (message: string) => void;
}

/** The `bad-policy` error for `field` (also used by `resolvePolicy`). */
export function badPolicy(field: string, message: string, extra: Record<string, unknown> = {}): ArgumentError {
  return new ArgumentError('bad-policy', `policy field "${field}": ${message}`, { details: { field, ...extra } });
}

const bool = (key: string, v: unknown): boolean => {
  if (typeof v !== 'boolean') throw badPolicy(key, `must be true or false, not ${JSON.stringify(v)}`);
  return v;
};

const uint32 = (key: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw badPolicy(key, `must be an integer from 0 to 4294967295 (milliseconds), not ${JSON.stringify(v)}`);
  return v;
};

const BCC: readonly BccForking[] = ['per-recipient', 'all-bcc', 'none'];
const INCLUSION: readonly CertificateInclusion[] = ['none', 'signer', 'chain', 'chain-with-root'];

function oneOf<T extends string>(key: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T))
    throw badPolicy(key, `must be one of ${values.join(', ')}, not ${JSON.stringify(v)}`);
  return v as T;
}

function bccForking(key: string, v: unknown, exchange: boolean): BccForking {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2) return BCC[v]!;
  if (exchange)
    throw badPolicy(
      key,
      `must be 0 (one message per Bcc recipient), 1 (one for all Bcc recipients) or 2 (no forking), not ${JSON.stringify(v)}`,
    );
  return oneOf(key, v, BCC);
}

type Weak = (key: string, what: string) => void;

/** `<ALG_ID>[:<bits>][,<OID>]` entries, `;`-separated (Set-SmimeConfig syntax). */
function algorithmEntries(key: string, v: unknown): { id: number; bits?: number; oid?: string; text: string }[] {
  const text = typeof v === 'number' ? String(v) : v;
  if (typeof text !== 'string')
    throw badPolicy(key, `must be a string of CAPI ALG_IDs such as "6610", not ${JSON.stringify(v)}`);
  return text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((entry) => {
      const m = /^([0-9A-Fa-f]{4})(?::(\d{1,4}))?(?:,\s*([0-2](?:\.\d+)+))?$/.exec(entry);
      if (!m) throw badPolicy(key, `"${entry}" is not <ALG_ID>, <ALG_ID>:<key length> or <ALG_ID>,<OID>`);
      return {
        id: parseInt(m[1]!, 16),
        text: entry,
        ...(m[2] ? { bits: Number(m[2]) } : {}),
        ...(m[3] ? { oid: m[3] } : {}),
      };
    });
}

const AES_ALG_IDS: Readonly<Record<number, 128 | 192 | 256>> = { 0x660e: 128, 0x660f: 192, 0x6610: 256 };
const WEAK_CIPHERS: Readonly<Record<number, string>> = {
  0x6601: 'DES (6601)',
  0x6602: 'RC2 (6602)',
  0x6603: '3DES (6603)',
};

/** OWAEncryptionAlgorithms → the first entry smimekit writes; weak entries before it refused (or skipped with allowWeak). */
function encryptionFromExchange(key: string, v: unknown, weak: Weak): ContentCipherName | undefined {
  for (const e of algorithmEntries(key, v)) {
    if (WEAK_CIPHERS[e.id]) {
      weak(key, WEAK_CIPHERS[e.id]!);
      continue;
    }
    const bits = AES_ALG_IDS[e.id];
    if (!bits)
      throw badPolicy(key, `unknown encryption ALG_ID ${e.text} (DES 6601, RC2 6602, 3DES 6603, AES 660E/660F/6610)`);
    if (e.bits !== undefined) throw badPolicy(key, `"${e.text}": a key length only applies to RC2 (6602)`);
    if (e.oid === undefined) return `aes-${bits}-cbc` as ContentCipherName;
    const named = (Object.keys(CONTENT_CIPHERS) as ContentCipherName[]).find(
      (n) => CONTENT_CIPHERS[n].oid === e.oid && CONTENT_CIPHERS[n].keyLength * 8 === bits,
    );
    if (!named) throw badPolicy(key, `"${e.text}": smimekit has no AES-${bits} algorithm with OID ${e.oid}`);
    return named;
  }
  return undefined;
}

const DIGEST_ALG_IDS: Readonly<Record<number, SigningDigest>> = {
  0x800c: 'sha256',
  0x800d: 'sha384',
  0x800e: 'sha512',
};
const DIGEST_OIDS: Readonly<Record<string, SigningDigest>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const WEAK_DIGESTS: Readonly<Record<number, string>> = { 0x8003: 'MD5 (8003)', 0x8004: 'SHA-1 (8004)' };

/** OWASigningAlgorithms → the first SHA-2 entry; SHA-1 / MD5 before it refused (or skipped with allowWeak). */
function signingFromExchange(key: string, v: unknown, weak: Weak): SigningDigest | undefined {
  for (const e of algorithmEntries(key, v)) {
    if (e.bits !== undefined) throw badPolicy(key, `"${e.text}": a digest has no key length`);
    if (WEAK_DIGESTS[e.id]) {
      weak(key, WEAK_DIGESTS[e.id]!);
      continue;
    }
    const digest = DIGEST_ALG_IDS[e.id];
    if (!digest)
      throw badPolicy(
        key,
        `unknown signing ALG_ID ${e.text} (MD5 8003, SHA-1 8004, SHA-256 800C, SHA-384 800D, SHA-512 800E)`,
      );
    if (e.oid !== undefined && DIGEST_OIDS[e.oid] !== digest)
      throw badPolicy(key, `"${e.text}": smimekit cannot sign with the custom algorithm ${e.oid}`);
    return digest;
  }
  return undefined;
}

function trustFrom(key: string, v: unknown, options: PolicyJsonOptions, exchange: boolean): TrustList | undefined {
  if (v instanceof TrustList) return v;
  let ref: string | Uint8Array;
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
    ref = Uint8Array.from(v as number[]);
  else if (v instanceof Uint8Array) ref = v;
  else if (typeof v === 'string' && v.trim() !== '') ref = v;
  else
    throw badPolicy(
      key,
      exchange
        ? 'must be the SST as a byte array or base64'
        : 'must be a TrustList, SST bytes, or a reference loadTrust understands',
    );
  try {
    if (typeof ref === 'string' && exchange) ref = fromBase64(ref);
    if (typeof ref === 'string' && !options.loadTrust)
      throw new Error('a trust list named by a string needs options.loadTrust');
    const trust = options.loadTrust ? options.loadTrust(ref) : TrustList.fromBytes(ref);
    if (!(trust instanceof TrustList) || trust.size === 0) throw new Error('the trust list holds no certificate');
    return trust;
  } catch (e) {
    throw new ArgumentError('bad-policy', `policy field "${key}": ${(e as Error).message}`, {
      details: { field: key },
      cause: e,
    });
  }
}

/** Reads one field: returns the policy fields it sets (undefined values: nothing set). */
type FieldReader = (
  key: string,
  v: unknown,
  ctx: { options: PolicyJsonOptions; weak: Weak; inclusion: Record<string, boolean> },
) => Partial<SmimePolicy>;

const BOOLEAN_FIELDS: readonly (keyof SmimePolicy)[] = [
  'alwaysSign',
  'alwaysEncrypt',
  'clearSign',
  'includeCapabilities',
  'tripleWrap',
  'useKeyIdentifier',
  'useSecondaryProxies',
  'checkCrlOnSend',
  'disableCrlCheck',
];
const MS_FIELDS: readonly (keyof SmimePolicy)[] = [
  'groupExpansionTimeoutMs',
  'crlConnectionTimeoutMs',
  'crlRetrievalTimeoutMs',
];
const flag =
  (field: keyof SmimePolicy): FieldReader =>
  (k, v) => ({ [field]: bool(k, v) });
const ms =
  (field: keyof SmimePolicy): FieldReader =>
  (k, v) => ({ [field]: uint32(k, v) });
const inclusionFlag: FieldReader = (k, v, ctx) => {
  ctx.inclusion[k.toLowerCase()] = bool(k, v);
  return {};
};
const ignored: FieldReader = () => ({});

const FRIENDLY: Record<string, FieldReader> = {
  trust: (k, v, c) => ({ trust: trustFrom(k, v, c.options, false) }),
  signingAlgorithm: (k, v, c) => {
    if (v === 'sha1' || v === 'md5') return (c.weak(k, v.toUpperCase()), {});
    return { signingAlgorithm: oneOf(k, v, ['auto', ...SIGNING_DIGESTS] as const) };
  },
  encryptionAlgorithm: (k, v) => {
    if (v !== 'auto' && (typeof v !== 'string' || !isContentCipherName(v)))
      throw badPolicy(
        k,
        `must be "auto" or one of ${Object.keys(CONTENT_CIPHERS).join(', ')}, not ${JSON.stringify(v)}`,
      );
    return { encryptionAlgorithm: v };
  },
  includeCertificates: (k, v) => ({ includeCertificates: oneOf(k, v, INCLUSION) }),
  bccForking: (k, v) => ({ bccForking: bccForking(k, v, false) }),
  ...Object.fromEntries(BOOLEAN_FIELDS.map((f) => [f, flag(f)])),
  ...Object.fromEntries(MS_FIELDS.map((f) => [f, ms(f)])),
};

const EXCHANGE: Record<string, FieldReader> = {
  ...Object.fromEntries(SMIME_CONFIG_PARAMETERS.filter((p) => !p.field).map((p) => [p.parameter, ignored])),
  // Booleans and timeouts mean the same under both names.
  ...Object.fromEntries(
    SMIME_CONFIG_PARAMETERS.filter((p) => p.field && [...BOOLEAN_FIELDS, ...MS_FIELDS].includes(p.field)).map((p) => [
      p.parameter,
      FRIENDLY[p.field!]!,
    ]),
  ),
  OWABCCEncryptedEmailForking: (k, v) => ({ bccForking: bccForking(k, v, true) }),
  OWAEncryptionAlgorithms: (k, v, c) => ({ encryptionAlgorithm: encryptionFromExchange(k, v, c.weak) }),
  OWASigningAlgorithms: (k, v, c) => ({ signingAlgorithm: signingFromExchange(k, v, c.weak) }),
  OWAIncludeCertificateChainAndRootCertificate: inclusionFlag,
  OWAIncludeCertificateChainWithoutRootCertificate: inclusionFlag,
  OWASignedEmailCertificateInclusion: inclusionFlag,
  SMIMECertificateIssuingCA: (k, v, c) => ({ trust: trustFrom(k, v, c.options, true) }),
};

/** Object metadata `Get-SmimeConfig | ConvertTo-Json` prints besides the parameters; ignored. */
const METADATA = [
  'AdminDisplayName',
  'ExchangeVersion',
  'Name',
  'DistinguishedName',
  'Identity',
  'Guid',
  'ObjectCategory',
  'ObjectClass',
  'WhenChanged',
  'WhenCreated',
  'WhenChangedUTC',
  'WhenCreatedUTC',
  'OrganizationId',
  'Id',
  'OriginatingServer',
  'IsValid',
  'ObjectState',
  'RunspaceId',
  'PSComputerName',
  'PSShowComputerName',
  'PSSourceJobInstanceId',
];

const EMPTY_IS_UNSET = new Set(['owaencryptionalgorithms', 'owasigningalgorithms', 'smimecertificateissuingca']);

const READERS = new Map<string, FieldReader>(
  [
    ...Object.entries(FRIENDLY),
    ...Object.entries(EXCHANGE),
    ...METADATA.map((m): [string, FieldReader] => [m, ignored]),
  ].map(([k, r]) => [k.toLowerCase(), r]),
);

function toObject(json: unknown): Record<string, unknown> {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json.replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new ArgumentError('bad-policy', `the policy is not JSON: ${(e as Error).message}`, {
        details: { field: '' },
        cause: e,
      });
    }
  }
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ArgumentError('bad-policy', 'the policy must be one JSON object', { details: { field: '' } });
  return value as Record<string, unknown>;
}

/** Exchange's three certificate-inclusion booleans → one `includeCertificates`. */
function inclusionFrom(flags: Record<string, boolean>): CertificateInclusion | undefined {
  const signed = flags['owasignedemailcertificateinclusion'];
  const withRoot = flags['owaincludecertificatechainandrootcertificate'];
  const chain = flags['owaincludecertificatechainwithoutrootcertificate'];
  if (signed === undefined && withRoot === undefined && chain === undefined) return undefined;
  if (signed === false) {
    if (withRoot || chain)
      throw badPolicy(
        'OWASignedEmailCertificateInclusion',
        '$false (no certificates) contradicts including the certificate chain',
      );
    return 'none';
  }
  return withRoot ? 'chain-with-root' : chain ? 'chain' : 'signer';
}

/**
 * Reads a policy from JSON (text or parsed): Exchange parameter names as
 * `Get-SmimeConfig | ConvertTo-Json` prints them (case-insensitive; its object
 * metadata such as `Identity` or `WhenChanged` is ignored) and/or the friendly
 * `SmimePolicy` names. `null` means "not set". Returns only the fields set.
 *
 * @throws ArgumentError `bad-policy` (`details.field`): unknown field, unusable
 *   value, the same setting given twice, or a weak algorithm without `allowWeak`.
 * @example
 * ```ts
 * const policy = policyFromJson(await readFile('smimeconfig.json', 'utf8'));
 * await composeMessage(envelope, { identity, directory, policy });
 * ```
 */
export function policyFromJson(json: unknown, options: PolicyJsonOptions = {}): SmimePolicy {
  const object = toObject(json);
  const out: Record<string, unknown> = {};
  const setBy = new Map<string, string>();
  const weak: Weak = (key, what) => {
    if (!options.allowWeak)
      throw badPolicy(
        key,
        `${what} is no longer acceptable; list a SHA-2 digest (800C) or AES (6610) first, or pass allowWeak`,
        { weak: true },
      );
    options.onWarning?.(`policy field "${key}": ${what} skipped; smimekit never uses it`);
  };
  const inclusion: Record<string, boolean> = {};
  const assign = (key: string, fields: Partial<SmimePolicy>) => {
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const previous = setBy.get(field);
      if (previous !== undefined) throw badPolicy(key, `sets ${field}, which "${previous}" already set`);
      setBy.set(field, key);
      out[field] = value;
    }
  };
  for (const [key, value] of Object.entries(object)) {
    const reader = READERS.get(key.toLowerCase());
    if (!reader)
      throw badPolicy(
        key,
        'unknown field (see SMIME_CONFIG_PARAMETERS for the Set-SmimeConfig names and SmimePolicy for the friendly ones)',
      );
    // null is "not set"; so is an empty value of Exchange's string-valued parameters.
    if (
      value === null ||
      value === undefined ||
      (EMPTY_IS_UNSET.has(key.toLowerCase()) && (value === '' || (Array.isArray(value) && value.length === 0)))
    )
      continue;
    assign(key, reader(key, value, { options, weak, inclusion }));
  }
  assign(Object.keys(inclusion).join(', ') || 'includeCertificates', { includeCertificates: inclusionFrom(inclusion) });
  return out;
}
