/**
 * SmimePolicy: Set-SmimeConfig / Get-SmimeConfig JSON and friendly names, every value checked
 * (`bad-policy` naming the field), defaults, the revocation mapping, and the parameter table.
 * (How each field changes composed messages is tested in compose.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { toBase64 } from '../../src/util/bytes.js';
import { TrustList } from '../../src/trust/trust-list.js';
import {
  DEFAULT_SMIME_POLICY,
  resolvePolicy,
  revocationMode,
  smimeConfigMarkdown,
  type SmimePolicy,
} from '../../src/smime/policy.js';
import { policyFromJson } from '../../src/smime/policy-json.js';
import { SMIME_CONFIG_PARAMETERS } from '../../src/smime/smime-config-parameters.js';
import { chainsRoot, chainsSst } from '../helpers/pki.js';

/** What `Get-SmimeConfig | ConvertTo-Json` prints for a tenant that changed a few settings. */
function getSmimeConfigJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    RunspaceId: '5b0a6c1e-3f55-4b0e-9c1f-1d0f6b3f7a10',
    OWAAllowUserChoiceOfSigningCertificate: false,
    OWAAlwaysEncrypt: false,
    OWAAlwaysSign: true,
    OWABCCEncryptedEmailForking: 1,
    OWACheckCRLOnSend: false,
    OWAClearSign: true,
    OWACopyRecipientHeaders: false,
    OWACRLConnectionTimeout: 60000,
    OWACRLRetrievalTimeout: 10000,
    OWADisableCRLCheck: false,
    OWADLExpansionTimeout: 60000,
    OWAEncryptionAlgorithms: '6610',
    OWAEncryptTemporaryBuffers: true,
    OWAForceSMIMEClientUpgrade: true,
    OWAIncludeCertificateChainAndRootCertificate: false,
    OWAIncludeCertificateChainWithoutRootCertificate: true,
    OWAIncludeSMIMECapabilitiesInMessage: false,
    OWAOnlyUseSmartCard: false,
    OWASenderCertificateAttributesToDisplay: null,
    OWASignedEmailCertificateInclusion: true,
    OWASigningAlgorithms: '800C',
    OWATripleWrapSignedEncryptedMail: false,
    OWAUseKeyIdentifier: false,
    OWAUseSecondaryProxiesWhenFindingCertificates: true,
    NoSignOnReply: true,
    SMIMECertificateIssuingCA: [...chainsSst()],
    SMIMECertificatesExpiryDate: '/Date(2303078400000)/',
    SMIMEExpiredCertificateThumbprint: '',
    AdminDisplayName: '',
    ExchangeVersion: '0.10 (14.0.100.0)',
    Name: 'SmimeConfiguration',
    DistinguishedName:
      'CN=SmimeConfiguration,CN=Configuration,CN=contoso.onmicrosoft.com,CN=ConfigurationUnits,DC=EURPR01A001,DC=prod,DC=outlook,DC=com',
    Identity: 'SmimeConfiguration',
    ObjectCategory: 'EURPR01A001.prod.outlook.com/Configuration/Schema/ms-Exch-Container',
    ObjectClass: ['top', 'msExchContainer'],
    WhenChanged: '/Date(1717200000000)/',
    WhenCreated: '/Date(1609459200000)/',
    WhenChangedUTC: '/Date(1717200000000)/',
    WhenCreatedUTC: '/Date(1609459200000)/',
    OrganizationId:
      'EURPR01A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com - EURPR01A001.prod.outlook.com/ConfigurationUnits/contoso.onmicrosoft.com/Configuration',
    Id: 'SmimeConfiguration',
    OriginatingServer: 'AM0PR01A01DC001.EURPR01A001.prod.outlook.com',
    IsValid: true,
    ObjectState: 'Unchanged',
    ...overrides,
  });
}

function badPolicy(fn: () => unknown): ArgumentError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).code).toBe('bad-policy');
    return e as ArgumentError;
  }
  throw new Error('expected bad-policy');
}

describe('policyFromJson: Exchange names', () => {
  it('reads a Get-SmimeConfig | ConvertTo-Json dump (metadata ignored, SST bytes become the trust list)', () => {
    const p = policyFromJson(getSmimeConfigJson());
    expect(p.trust).toBeInstanceOf(TrustList);
    expect(p.trust!.size).toBe(1);
    const { trust, ...rest } = p;
    expect(trust).toBeDefined();
    expect(rest).toEqual({
      alwaysEncrypt: false,
      alwaysSign: true,
      bccForking: 'all-bcc',
      checkCrlOnSend: false,
      clearSign: true,
      crlConnectionTimeoutMs: 60000,
      crlRetrievalTimeoutMs: 10000,
      disableCrlCheck: false,
      groupExpansionTimeoutMs: 60000,
      encryptionAlgorithm: 'aes-256-cbc',
      includeCertificates: 'chain',
      includeCapabilities: false,
      signingAlgorithm: 'sha256',
      tripleWrap: false,
      useKeyIdentifier: false,
      useSecondaryProxies: true,
    } satisfies SmimePolicy);
  });

  it('accepts JSON text with a byte-order mark (PowerShell Out-File), a one-element array, and case-insensitive names', () => {
    expect(policyFromJson('\uFEFF{"OWAAlwaysEncrypt": true}').alwaysEncrypt).toBe(true);
    expect(policyFromJson([{ owatriplewrapsignedencryptedmail: true }]).tripleWrap).toBe(true);
  });

  it('OWABCCEncryptedEmailForking 0 / 1 / 2', () => {
    expect([0, 1, 2].map((v) => policyFromJson({ OWABCCEncryptedEmailForking: v }).bccForking)).toEqual([
      'per-recipient',
      'all-bcc',
      'none',
    ]);
  });

  it('OWAEncryptionAlgorithms: the first usable entry; an AES-GCM OID replaces CBC; empty is unset', () => {
    expect(policyFromJson({ OWAEncryptionAlgorithms: '660E' }).encryptionAlgorithm).toBe('aes-128-cbc');
    expect(policyFromJson({ OWAEncryptionAlgorithms: '660F;6610' }).encryptionAlgorithm).toBe('aes-192-cbc');
    expect(policyFromJson({ OWAEncryptionAlgorithms: '6610,2.16.840.1.101.3.4.1.46' }).encryptionAlgorithm).toBe(
      'aes-256-gcm',
    );
    expect(policyFromJson({ OWAEncryptionAlgorithms: '660e,2.16.840.1.101.3.4.1.6' }).encryptionAlgorithm).toBe(
      'aes-128-gcm',
    );
    expect(policyFromJson({ OWAEncryptionAlgorithms: '6610;6603;6602:128' }).encryptionAlgorithm).toBe('aes-256-cbc'); // fallbacks never apply
    expect(policyFromJson({ OWAEncryptionAlgorithms: '' }).encryptionAlgorithm).toBeUndefined();
  });

  it('OWASigningAlgorithms: SHA-2 ALG_IDs; SHA-1 and MD5 refused unless allowWeak, which skips them', () => {
    expect(policyFromJson({ OWASigningAlgorithms: '800D' }).signingAlgorithm).toBe('sha384');
    expect(policyFromJson({ OWASigningAlgorithms: '800E;8004;8003' }).signingAlgorithm).toBe('sha512');
    expect(policyFromJson({ OWASigningAlgorithms: '800C,2.16.840.1.101.3.4.2.1' }).signingAlgorithm).toBe('sha256');
    const e = badPolicy(() => policyFromJson({ OWASigningAlgorithms: '8004' }));
    expect(e.details).toMatchObject({ field: 'OWASigningAlgorithms', weak: true });
    expect(e.message).toMatch(/SHA-1.*no longer acceptable/);
    badPolicy(() => policyFromJson({ OWASigningAlgorithms: '8003;800C' }));
    const warnings: string[] = [];
    expect(
      policyFromJson({ OWASigningAlgorithms: '8004;800D' }, { allowWeak: true, onWarning: (w) => warnings.push(w) })
        .signingAlgorithm,
    ).toBe('sha384');
    expect(
      policyFromJson({ OWASigningAlgorithms: '8004' }, { allowWeak: true, onWarning: (w) => warnings.push(w) })
        .signingAlgorithm,
    ).toBeUndefined();
    expect(resolvePolicy(policyFromJson({ OWASigningAlgorithms: '8004' }, { allowWeak: true })).signingAlgorithm).toBe(
      'auto',
    ); // never SHA-1: the key decides (SHA-256 and up)
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/SHA-1 \(8004\) skipped/);
  });

  it('DES, RC2 and 3DES are refused unless allowWeak', () => {
    for (const v of ['6603', '6601', '6602:128', '6602:40;6610'])
      expect(badPolicy(() => policyFromJson({ OWAEncryptionAlgorithms: v })).details.field).toBe(
        'OWAEncryptionAlgorithms',
      );
    expect(policyFromJson({ OWAEncryptionAlgorithms: '6603;660E' }, { allowWeak: true }).encryptionAlgorithm).toBe(
      'aes-128-cbc',
    );
  });

  it('the three certificate-inclusion parameters become one includeCertificates', () => {
    const inc = (signed: boolean, chain: boolean, root: boolean) =>
      policyFromJson({
        OWASignedEmailCertificateInclusion: signed,
        OWAIncludeCertificateChainWithoutRootCertificate: chain,
        OWAIncludeCertificateChainAndRootCertificate: root,
      }).includeCertificates;
    expect(inc(true, false, false)).toBe('signer'); // Exchange's defaults
    expect(inc(true, true, false)).toBe('chain');
    expect(inc(true, false, true)).toBe('chain-with-root');
    expect(inc(true, true, true)).toBe('chain-with-root');
    expect(inc(false, false, false)).toBe('none');
    expect(badPolicy(() => inc(false, true, false)).details.field).toBe('OWASignedEmailCertificateInclusion');
    expect(
      badPolicy(() =>
        policyFromJson({ OWAIncludeCertificateChainWithoutRootCertificate: true, includeCertificates: 'none' }),
      ).message,
    ).toMatch(/already set/);
  });

  it('SMIMECertificateIssuingCA: byte array or base64; empty is unset; garbage is bad-policy', () => {
    expect(
      policyFromJson({ SMIMECertificateIssuingCA: toBase64(chainsSst({ intermediates: true })) }).trust!.size,
    ).toBe(2);
    expect(policyFromJson({ SMIMECertificateIssuingCA: [] }).trust).toBeUndefined();
    expect(policyFromJson({ SMIMECertificateIssuingCA: null }).trust).toBeUndefined();
    expect(badPolicy(() => policyFromJson({ SMIMECertificateIssuingCA: [1, 2, 3] })).details.field).toBe(
      'SMIMECertificateIssuingCA',
    );
    expect(badPolicy(() => policyFromJson({ SMIMECertificateIssuingCA: [300] })).details.field).toBe(
      'SMIMECertificateIssuingCA',
    );
    expect(badPolicy(() => policyFromJson({ SMIMECertificateIssuingCA: 'not base64!' })).details.field).toBe(
      'SMIMECertificateIssuingCA',
    );
  });
});

describe('policyFromJson: friendly names', () => {
  it('reads every friendly field; a trust reference goes through loadTrust', () => {
    const loaded = TrustList.fromCertificates([chainsRoot()]);
    const refs: unknown[] = [];
    const json = JSON.stringify({
      trust: 'tenant.sst',
      signingAlgorithm: 'sha512',
      encryptionAlgorithm: 'aes-256-gcm',
      alwaysSign: true,
      alwaysEncrypt: true,
      clearSign: false,
      includeCertificates: 'chain-with-root',
      includeCapabilities: false,
      tripleWrap: true,
      useKeyIdentifier: true,
      bccForking: 'none',
      useSecondaryProxies: false,
      groupExpansionTimeoutMs: 5000,
      checkCrlOnSend: true,
      disableCrlCheck: false,
      crlConnectionTimeoutMs: 1000,
      crlRetrievalTimeoutMs: 2000,
    });
    const p = policyFromJson(json, { loadTrust: (ref) => (refs.push(ref), loaded) });
    expect(refs).toEqual(['tenant.sst']);
    expect(p.trust).toBe(loaded);
    expect(resolvePolicy(p)).toMatchObject({
      signingAlgorithm: 'sha512',
      encryptionAlgorithm: 'aes-256-gcm',
      clearSign: false,
      includeCertificates: 'chain-with-root',
      bccForking: 'none',
      revocation: 'require',
    });
    expect(policyFromJson({ bccForking: 1 }).bccForking).toBe('all-bcc');
    expect(policyFromJson({ trust: loaded }).trust).toBe(loaded);
  });

  it('a trust reference without loadTrust, or a loader that fails, is bad-policy', () => {
    expect(badPolicy(() => policyFromJson({ trust: 'tenant.sst' })).details.field).toBe('trust');
    const e = badPolicy(() =>
      policyFromJson(
        { trust: 'x' },
        {
          loadTrust: () => {
            throw new Error('ENOENT');
          },
        },
      ),
    );
    expect(e.message).toMatch(/ENOENT/);
  });
});

describe('every bad value is bad-policy naming the field', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ Unknown: 1 }, 'Unknown'],
    [{ OWAAlwaysSgin: true }, 'OWAAlwaysSgin'],
    [{ alwaysSign: 'yes' }, 'alwaysSign'],
    [{ OWAAlwaysEncrypt: 1 }, 'OWAAlwaysEncrypt'],
    [{ OWAClearSign: 'True' }, 'OWAClearSign'],
    [{ OWABCCEncryptedEmailForking: 3 }, 'OWABCCEncryptedEmailForking'],
    [{ OWABCCEncryptedEmailForking: 'none' }, 'OWABCCEncryptedEmailForking'],
    [{ bccForking: 'sometimes' }, 'bccForking'],
    [{ OWADLExpansionTimeout: -1 }, 'OWADLExpansionTimeout'],
    [{ OWACRLConnectionTimeout: 1.5 }, 'OWACRLConnectionTimeout'],
    [{ crlRetrievalTimeoutMs: 2 ** 32 }, 'crlRetrievalTimeoutMs'],
    [{ groupExpansionTimeoutMs: '60000' }, 'groupExpansionTimeoutMs'],
    [{ OWAEncryptionAlgorithms: 'AES256' }, 'OWAEncryptionAlgorithms'],
    [{ OWAEncryptionAlgorithms: '9999' }, 'OWAEncryptionAlgorithms'],
    [{ OWAEncryptionAlgorithms: '6610:256' }, 'OWAEncryptionAlgorithms'],
    [{ OWAEncryptionAlgorithms: '6610,1.2.3.4' }, 'OWAEncryptionAlgorithms'],
    [{ OWAEncryptionAlgorithms: '6610,2.16.840.1.101.3.4.1.6' }, 'OWAEncryptionAlgorithms'], // AES-128-GCM under the AES-256 ALG_ID
    [{ OWAEncryptionAlgorithms: true }, 'OWAEncryptionAlgorithms'],
    [{ OWASigningAlgorithms: '800F' }, 'OWASigningAlgorithms'],
    [{ OWASigningAlgorithms: '800C:256' }, 'OWASigningAlgorithms'],
    [{ OWASigningAlgorithms: '800C,1.2.3' }, 'OWASigningAlgorithms'],
    [{ signingAlgorithm: 'sha1' }, 'signingAlgorithm'],
    [{ signingAlgorithm: 'SHA-256' }, 'signingAlgorithm'],
    [{ encryptionAlgorithm: 'des-ede3-cbc' }, 'encryptionAlgorithm'],
    [{ includeCertificates: 'all' }, 'includeCertificates'],
    [{ OWAIncludeSMIMECapabilitiesInMessage: null, includeCapabilities: 0 }, 'includeCapabilities'],
    [{ trust: 42 }, 'trust'],
    [{ OWAAlwaysSign: true, alwaysSign: true }, 'alwaysSign'],
  ];
  it.each(cases)('%j → %s', (json, field) => {
    expect(badPolicy(() => policyFromJson(json)).details.field).toBe(field);
  });

  it('not JSON, or not one object', () => {
    badPolicy(() => policyFromJson('{"OWAAlwaysSign": tru'));
    badPolicy(() => policyFromJson('[1, 2]'));
    badPolicy(() => policyFromJson(42));
  });

  it('a resolved policy resolves to itself; a revocation that contradicts its flags is refused', () => {
    const resolved = resolvePolicy({ checkCrlOnSend: true });
    expect(resolvePolicy(resolved)).toEqual(resolved);
    expect(badPolicy(() => resolvePolicy({ ...resolved, revocation: 'off' } as SmimePolicy)).details.field).toBe(
      'revocation',
    );
  });

  it('resolvePolicy checks values given in code too', () => {
    expect(badPolicy(() => resolvePolicy({ bccForking: 'sometimes' as never })).details.field).toBe('bccForking');
    expect(badPolicy(() => resolvePolicy({ disableCrlCheck: true, checkCrlOnSend: true })).details.field).toBe(
      'disableCrlCheck',
    );
  });
});

describe('defaults and revocation', () => {
  it('resolvePolicy fills the documented defaults', () => {
    expect(resolvePolicy()).toEqual({ ...DEFAULT_SMIME_POLICY, revocation: 'prefer' });
    expect(DEFAULT_SMIME_POLICY).toMatchObject({
      signingAlgorithm: 'auto',
      encryptionAlgorithm: 'auto',
      clearSign: true,
      bccForking: 'per-recipient',
      useSecondaryProxies: true,
      groupExpansionTimeoutMs: 60000,
    });
    expect(resolvePolicy({ alwaysSign: true, tripleWrap: undefined })).toMatchObject({
      alwaysSign: true,
      tripleWrap: false,
    });
  });

  it('OWADisableCRLCheck → off, OWACheckCRLOnSend → require, otherwise prefer', () => {
    expect(resolvePolicy(policyFromJson({ OWADisableCRLCheck: true })).revocation).toBe('off');
    expect(resolvePolicy(policyFromJson({ OWACheckCRLOnSend: true })).revocation).toBe('require');
    expect(resolvePolicy(policyFromJson({ OWACheckCRLOnSend: false, OWADisableCRLCheck: false })).revocation).toBe(
      'prefer',
    );
    expect(revocationMode({})).toBe('prefer');
    badPolicy(() => resolvePolicy(policyFromJson({ OWACheckCRLOnSend: true, OWADisableCRLCheck: true })));
  });
});

describe('SMIME_CONFIG_PARAMETERS', () => {
  // The parameters of Set-SmimeConfig (Exchange Online documentation), minus Identity/Confirm/WhatIf.
  const SET_SMIMECONFIG = [
    'OWAAllowUserChoiceOfSigningCertificate',
    'OWAAlwaysEncrypt',
    'OWAAlwaysSign',
    'OWABCCEncryptedEmailForking',
    'OWACheckCRLOnSend',
    'OWAClearSign',
    'OWACopyRecipientHeaders',
    'OWACRLConnectionTimeout',
    'OWACRLRetrievalTimeout',
    'OWADisableCRLCheck',
    'OWADLExpansionTimeout',
    'OWAEncryptionAlgorithms',
    'OWAEncryptTemporaryBuffers',
    'OWAForceSMIMEClientUpgrade',
    'OWAIncludeCertificateChainAndRootCertificate',
    'OWAIncludeCertificateChainWithoutRootCertificate',
    'OWAIncludeSMIMECapabilitiesInMessage',
    'OWAOnlyUseSmartCard',
    'OWASenderCertificateAttributesToDisplay',
    'OWASignedEmailCertificateInclusion',
    'OWASigningAlgorithms',
    'OWATripleWrapSignedEncryptedMail',
    'OWAUseKeyIdentifier',
    'OWAUseSecondaryProxiesWhenFindingCertificates',
    'NoSignOnReply',
    'SMIMECertificateIssuingCA',
  ];

  it('covers every Set-SmimeConfig parameter, and every SmimePolicy field has a parameter', () => {
    const names = SMIME_CONFIG_PARAMETERS.map((p) => p.parameter);
    expect(SET_SMIMECONFIG.filter((n) => !names.includes(n))).toEqual([]);
    const fields = new Set(SMIME_CONFIG_PARAMETERS.map((p) => p.field).filter(Boolean));
    expect(Object.keys(DEFAULT_SMIME_POLICY).filter((f) => !fields.has(f as keyof SmimePolicy))).toEqual([]);
    expect(fields.has('trust')).toBe(true);
    for (const p of SMIME_CONFIG_PARAMETERS) expect(p.note.length, p.parameter).toBeGreaterThan(10);
  });

  it('parameters that do not apply are accepted and ignored', () => {
    const inert = SMIME_CONFIG_PARAMETERS.filter((p) => !p.field);
    expect(inert.map((p) => p.parameter)).toContain('OWACopyRecipientHeaders');
    expect(policyFromJson(Object.fromEntries(inert.map((p) => [p.parameter, true])))).toEqual({});
  });

  it('renders as a Markdown table, one row per parameter', () => {
    const md = smimeConfigMarkdown().split('\n');
    expect(md).toHaveLength(SMIME_CONFIG_PARAMETERS.length + 2);
    expect(md).toContain(
      '| `OWABCCEncryptedEmailForking` | `bccForking` | UInt32, 0 | `per-recipient` | 0 `per-recipient`, 1 `all-bcc`, 2 `none`. |',
    );
    expect(md.find((l) => l.startsWith('| `OWASigningAlgorithms`'))).toContain('| String of ALG_IDs, 8004 | `auto` |');
  });
});
