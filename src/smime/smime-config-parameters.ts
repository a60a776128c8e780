/**
 * The `Set-SmimeConfig` parameters (and computed `Get-SmimeConfig` properties), each with the
 * `SmimePolicy` field it sets and what smimekit does with it: the table `policyFromJson` reads
 * Exchange names by, and that docs/address-books.md shows (`smimeConfigMarkdown`).
 */
import type { SmimePolicy } from './policy.js';

/** One `Set-SmimeConfig` parameter (or `Get-SmimeConfig` property) and what smimekit does with it. */
export interface SmimeConfigParameter {
  parameter: string;
  /** The `SmimePolicy` field it sets; absent when it does not apply to a library (accepted in JSON, ignored). */
  field?: keyof SmimePolicy;
  /** Exchange's value format and default. */
  exchange: string;
  note: string;
}

const P = (
  parameter: string,
  field: keyof SmimePolicy | undefined,
  exchange: string,
  note: string,
): SmimeConfigParameter => (field ? { parameter, field, exchange, note } : { parameter, exchange, note });

/** Every `Set-SmimeConfig` parameter, and the computed `Get-SmimeConfig` properties, in the documented order. */
export const SMIME_CONFIG_PARAMETERS: readonly SmimeConfigParameter[] = Object.freeze([
  P(
    'OWAAllowUserChoiceOfSigningCertificate',
    undefined,
    'Boolean, $false',
    'OWA user interface: the application passes the signing `identity` it chose.',
  ),
  P('OWAAlwaysEncrypt', 'alwaysEncrypt', 'Boolean, $false', "Default of `composeMessage`'s `encrypt`."),
  P('OWAAlwaysSign', 'alwaysSign', 'Boolean, $false', "Default of `composeMessage`'s `sign`."),
  P('OWABCCEncryptedEmailForking', 'bccForking', 'UInt32, 0', '0 `per-recipient`, 1 `all-bcc`, 2 `none`.'),
  P(
    'OWACheckCRLOnSend',
    'checkCrlOnSend',
    'Boolean, $false',
    '$true → revocation `require` when resolving recipients.',
  ),
  P('OWAClearSign', 'clearSign', 'Boolean, $true', 'multipart/signed ($true) or opaque signed-data ($false).'),
  P(
    'OWACopyRecipientHeaders',
    undefined,
    'Boolean (reserved for internal Microsoft use)',
    'No documented behaviour. smimekit always copies the visible To/Cc headers into every Bcc copy and never writes Bcc.',
  ),
  P(
    'OWACRLConnectionTimeout',
    'crlConnectionTimeoutMs',
    'UInt32 ms, 60000',
    "Kept for the application's CRL fetcher; smimekit downloads nothing.",
  ),
  P(
    'OWACRLRetrievalTimeout',
    'crlRetrievalTimeoutMs',
    'UInt32 ms, 10000',
    "Kept for the application's CRL fetcher; smimekit downloads nothing.",
  ),
  P(
    'OWADisableCRLCheck',
    'disableCrlCheck',
    'Boolean, $false',
    '$true → revocation `off` (with OWACheckCRLOnSend $true: `bad-policy`).',
  ),
  P(
    'OWADLExpansionTimeout',
    'groupExpansionTimeoutMs',
    'UInt32 ms, 60000',
    'Time limit of list expansion, counted from the first list (Exchange: per list); lists not expanded in time → `recipient-certificate-missing`.',
  ),
  P(
    'OWAEncryptionAlgorithms',
    'encryptionAlgorithm',
    'String of ALG_IDs, 6610',
    'First usable entry: 660E/660F/6610 → AES-CBC; `<ALG_ID>,<AES-GCM OID>` → AES-GCM. DES 6601, RC2 6602, 3DES 6603 refused.',
  ),
  P(
    'OWAEncryptTemporaryBuffers',
    undefined,
    'Boolean, $true',
    'OWA client buffers; smimekit keeps message data in memory only.',
  ),
  P(
    'OWAForceSMIMEClientUpgrade',
    undefined,
    'Boolean, $true',
    "The OWA S/MIME control's version; no such control here.",
  ),
  P(
    'OWAIncludeCertificateChainAndRootCertificate',
    'includeCertificates',
    'Boolean, $false',
    '$true → `chain-with-root`.',
  ),
  P(
    'OWAIncludeCertificateChainWithoutRootCertificate',
    'includeCertificates',
    'Boolean, $false',
    '$true → `chain`; both chain parameters $false → `signer`.',
  ),
  P(
    'OWAIncludeSMIMECapabilitiesInMessage',
    'includeCapabilities',
    'Boolean, $false',
    'SMIMECapabilities signed attribute on or off.',
  ),
  P(
    'OWAOnlyUseSmartCard',
    undefined,
    'Boolean, $false',
    "Where keys live is the application's choice (a smart card through `setCryptoBackend`).",
  ),
  P(
    'OWASenderCertificateAttributesToDisplay',
    undefined,
    'String of OIDs, empty',
    'Display of a From/certificate mismatch; `verifyMessage` and `readMessage` fail it with `sender-mismatch`.',
  ),
  P(
    'OWASignedEmailCertificateInclusion',
    'includeCertificates',
    'Boolean, $true',
    '$false → `none` (no certificates in signed mail).',
  ),
  P(
    'OWASigningAlgorithms',
    'signingAlgorithm',
    'String of ALG_IDs, 8004',
    'First usable entry: 800C/800D/800E → SHA-256/384/512; unset, the signing key decides (SHA-384 for P-384, SHA-512 for P-521 and Ed25519). SHA-1 8004 and MD5 8003 refused.',
  ),
  P('OWATripleWrapSignedEncryptedMail', 'tripleWrap', 'Boolean, $false', 'sign(encrypt(sign(content))).'),
  P('OWAUseKeyIdentifier', 'useKeyIdentifier', 'Boolean, $false', 'subjectKeyIdentifier RecipientInfos.'),
  P(
    'OWAUseSecondaryProxiesWhenFindingCertificates',
    'useSecondaryProxies',
    'Boolean, $true',
    'Directory lookups match `smtp:` secondary proxy addresses.',
  ),
  P(
    'NoSignOnReply',
    undefined,
    'Boolean, $true (Exchange Online, new Outlook)',
    'Reply behaviour of a mail client; `composeMessage` has no notion of a reply.',
  ),
  P('SMIMECertificateIssuingCA', 'trust', 'Byte[] (SST), none', 'The tenant trust list (JSON: byte array or base64).'),
  P(
    'SMIMECertificatesExpiryDate',
    undefined,
    'Get-SmimeConfig output',
    'Computed by Exchange from the SST; validation reports expired anchors itself.',
  ),
  P(
    'SMIMEExpiredCertificateThumbprint',
    undefined,
    'Get-SmimeConfig output',
    'Computed by Exchange from the SST; validation reports expired anchors itself.',
  ),
]);
