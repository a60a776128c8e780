/**
 * `SmimePolicy`: a tenant's S/MIME policy in the shape of Exchange's
 * `Set-SmimeConfig` (what `Get-SmimeConfig | ConvertTo-Json` prints), with
 * friendly field names. `policyFromJson` (policy-json.ts) reads either spelling
 * and rejects anything it cannot honour (`bad-policy`); `resolvePolicy` fills
 * defaults. Exchange defaults are kept except where smimekit is stricter or
 * more interoperable; each such case says so on its field. The parameter
 * table is in smime-config-parameters.ts.
 */
import type { SigningDigest } from '../cms/signer.js';
import type { ContentCipherName } from '../cms/content-cipher.js';
import type { TrustList } from '../trust/trust-list.js';
import type { RevocationMode } from '../trust/options.js';
import { badPolicy, policyFromJson } from './policy-json.js';
import { SMIME_CONFIG_PARAMETERS, type SmimeConfigParameter } from './smime-config-parameters.js';

/** How encrypted mail with Bcc recipients is split (OWABCCEncryptedEmailForking 0 / 1 / 2). */
export type BccForking = 'per-recipient' | 'all-bcc' | 'none';
/** Certificates a signature carries (see `signMessage`'s `includeCertificates`). */
export type CertificateInclusion = 'none' | 'signer' | 'chain' | 'chain-with-root';

/** The tenant policy. Every field is optional; `resolvePolicy` supplies the defaults. */
export interface SmimePolicy {
  /** SMIMECertificateIssuingCA: the tenant's SST; the only trust anchors S/MIME certificates are validated against. No default. */
  trust?: TrustList;
  /**
   * OWASigningAlgorithms (800C / 800D / 800E). Default `auto`: the signing key decides, as in `signMessage` (SHA-384
   * for P-384, SHA-512 for P-521 and Ed25519, SHA-256 for RSA and P-256). Exchange's default 8004 (SHA-1) is refused,
   * SHA-1 is no longer acceptable.
   */
  signingAlgorithm?: SigningDigest | 'auto';
  /**
   * OWAEncryptionAlgorithms (660E / 660F / 6610 → AES-128/192/256-CBC; `6610,2.16.840.1.101.3.4.1.46` → AES-256-GCM).
   * Default `auto`: AES-256 as Exchange's default 6610, in GCM when every party advertises it, else CBC.
   */
  encryptionAlgorithm?: ContentCipherName | 'auto';
  /** OWAAlwaysSign: sign when the caller does not say. Default false (Exchange). */
  alwaysSign?: boolean;
  /** OWAAlwaysEncrypt: encrypt when the caller does not say. Default false (Exchange). */
  alwaysEncrypt?: boolean;
  /** OWAClearSign: multipart/signed (true) or opaque application/pkcs7-mime signed-data (false). Default true (Exchange). */
  clearSign?: boolean;
  /**
   * OWASignedEmailCertificateInclusion ($false → `none`), OWAIncludeCertificateChainWithoutRootCertificate (`chain`),
   * OWAIncludeCertificateChainAndRootCertificate (`chain-with-root`); all at Exchange's defaults → `signer`.
   * Default `chain` (as `signMessage`): recipients outside the tenant rarely hold the issuing CA.
   */
  includeCertificates?: CertificateInclusion;
  /** OWAIncludeSMIMECapabilitiesInMessage. Default true (RFC 8551 §2.5.2 SHOULD; Exchange's default is $false). */
  includeCapabilities?: boolean;
  /** OWATripleWrapSignedEncryptedMail: sign(encrypt(sign(content))) when signing and encrypting. Default false (Exchange). */
  tripleWrap?: boolean;
  /** OWAUseKeyIdentifier: subjectKeyIdentifier RecipientInfos instead of issuerAndSerialNumber. Default false (Exchange). */
  useKeyIdentifier?: boolean;
  /** OWABCCEncryptedEmailForking. Default `per-recipient` (Exchange's 0). */
  bccForking?: BccForking;
  /** OWAUseSecondaryProxiesWhenFindingCertificates: match `smtp:` secondary addresses. Default true (Exchange). */
  useSecondaryProxies?: boolean;
  /** OWADLExpansionTimeout: time limit for distribution-list expansion, ms (overall, from the first list; Exchange counts it per list). Default 60000 (Exchange). */
  groupExpansionTimeoutMs?: number;
  /** OWACheckCRLOnSend: refuse to send when a certificate's revocation status cannot be determined (`revocation: 'require'`). Default false. */
  checkCrlOnSend?: boolean;
  /** OWADisableCRLCheck: no revocation checking (`revocation: 'off'`). Default false. */
  disableCrlCheck?: boolean;
  /** OWACRLConnectionTimeout, ms, for the application's CRL fetcher (smimekit downloads nothing). Default 60000 (Exchange). */
  crlConnectionTimeoutMs?: number;
  /** OWACRLRetrievalTimeout, ms, for all CRLs of one validation (the application's fetcher). Default 10000 (Exchange). */
  crlRetrievalTimeoutMs?: number;
}

/** A policy with every default filled in, and the trust layer's revocation mode derived from it. */
export interface ResolvedSmimePolicy extends Required<Omit<SmimePolicy, 'trust'>> {
  trust?: TrustList;
  /** `off` (disableCrlCheck), `require` (checkCrlOnSend), otherwise `prefer`. */
  revocation: RevocationMode;
}

/** The defaults `resolvePolicy` applies (sources in the TSDoc of each `SmimePolicy` field). */
export const DEFAULT_SMIME_POLICY: Readonly<Required<Omit<SmimePolicy, 'trust'>>> = Object.freeze({
  signingAlgorithm: 'auto',
  encryptionAlgorithm: 'auto',
  alwaysSign: false,
  alwaysEncrypt: false,
  clearSign: true,
  includeCertificates: 'chain',
  includeCapabilities: true,
  tripleWrap: false,
  useKeyIdentifier: false,
  bccForking: 'per-recipient',
  useSecondaryProxies: true,
  groupExpansionTimeoutMs: 60_000,
  checkCrlOnSend: false,
  disableCrlCheck: false,
  crlConnectionTimeoutMs: 60_000,
  crlRetrievalTimeoutMs: 10_000,
});

/**
 * The `SMIME_CONFIG_PARAMETERS` table as Markdown, with smimekit's defaults (for the documentation).
 * It lives beside the defaults it prints so that the table's module never imports this one.
 */
export function smimeConfigMarkdown(): string {
  const ours = (p: SmimeConfigParameter): string =>
    p.field && p.field !== 'trust' ? `\`${String(DEFAULT_SMIME_POLICY[p.field])}\`` : '—';
  const rows = SMIME_CONFIG_PARAMETERS.map(
    (p) => `| \`${p.parameter}\` | ${p.field ? `\`${p.field}\`` : '—'} | ${p.exchange} | ${ours(p)} | ${p.note} |`,
  );
  return [
    '| Set-SmimeConfig parameter | `SmimePolicy` field | Exchange type, default | smimekit default | notes |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The trust layer's revocation mode for a policy (OWADisableCRLCheck → `off`, OWACheckCRLOnSend → `require`, else `prefer`). */
export function revocationMode(policy: Pick<SmimePolicy, 'checkCrlOnSend' | 'disableCrlCheck'>): RevocationMode {
  if (policy.disableCrlCheck && policy.checkCrlOnSend)
    throw badPolicy('disableCrlCheck', 'disabling CRL checks contradicts checkCrlOnSend (OWACheckCRLOnSend)');
  return policy.disableCrlCheck ? 'off' : policy.checkCrlOnSend ? 'require' : 'prefer';
}

/**
 * Validates a policy (same rules and errors as `policyFromJson`) and fills
 * every unset field from `DEFAULT_SMIME_POLICY`.
 *
 * @throws ArgumentError `bad-policy`
 */
export function resolvePolicy(policy: SmimePolicy = {}): ResolvedSmimePolicy {
  // An already resolved policy may come back: its derived `revocation` must still match its flags.
  const { revocation, ...fields } = policy as SmimePolicy & { revocation?: unknown };
  const merged = { ...DEFAULT_SMIME_POLICY, ...policyFromJson(fields) };
  const derived = revocationMode(merged);
  if (revocation !== undefined && revocation !== derived)
    throw badPolicy('revocation', `is derived from disableCrlCheck / checkCrlOnSend (here "${derived}"), not set`);
  return { ...merged, revocation: derived };
}
