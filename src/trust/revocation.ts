/**
 * Certificate revocation from CRLs, after RFC 5280 §6.3: distribution point
 * and issuing-distribution-point scoping, indirect CRLs (cRLIssuer,
 * certificateIssuer entries), reason partitions (onlySomeReasons), delta
 * CRLs, CRLs signed by a separate CRL-signing key (whose certificate must
 * itself validate to the same trust anchor), and the pluggable
 * `RevocationChecker` for anything CRLs cannot answer.
 */
import { signatureAlgorithmWeakness } from '../crypto/policy.js';
import { KeyUsage, isCa, type Certificate, type DistributionPoint, type DistributionPointName } from '../x509/index.js';
import {
  checkSignature,
  certificatesNamed,
  isSignatureChecked,
  type SignatureResult,
  type ValidationContext,
} from './context.js';
import { CrlReason, reasonName, type Crl } from '../x509/index.js';
import { appendRdn, generalNamesEqual, namesEqual, type DistinguishedName, type GeneralName } from '../x509/index.js';
import type { RevocationStatus } from './options.js';
import type { OcspUse, OnlineAttempt } from './online/check.js';

/** All ReasonFlags bits (unused .. aACompromise). */
const ALL_REASONS = 0x1ff;

/** Validates a CRL-signing certificate to the given anchor; supplied by the validator (avoids an import cycle). */
export type SignerValidator = (signer: Certificate, anchorFingerprint: string) => Promise<boolean>;

export interface CertificateRevocationInput {
  cert: Certificate;
  /** The certificate above it in the path (its issuer; may be the anchor). */
  issuer: Certificate;
  /** DSA parameters the issuer's key uses, when inherited. */
  issuerDsaParameters?: Uint8Array;
  anchorFingerprint: string;
}

function directoryNames(names: GeneralName[] | undefined): DistinguishedName[] {
  return (names ?? []).flatMap((n) => (n.type === 'directory' ? [n.name] : []));
}

/** Full names of a distribution point name; a relative name is appended to `base`. */
function expandDpName(name: DistributionPointName, base: DistinguishedName): GeneralName[] {
  if ('fullName' in name) return name.fullName;
  return [{ type: 'directory', name: appendRdn(base, name.relativeName) }];
}

function anyNameInCommon(a: GeneralName[], b: GeneralName[]): boolean {
  return a.some((x) => b.some((y) => generalNamesEqual(x, y)));
}

function isCurrent(crl: Crl, at: Date): boolean {
  if (crl.thisUpdate > at) return false;
  return !crl.nextUpdate || crl.nextUpdate >= at;
}

/** Whether `crl` is in scope for `cert` through distribution point `dp` (§6.3.3 (b)). */
function crlCoversDp(crl: Crl, cert: Certificate, dp: DistributionPoint): boolean {
  const idp = crl.issuingDistributionPoint;
  const crlIssuers = directoryNames(dp.cRLIssuer);
  if (dp.cRLIssuer) {
    if (!idp?.indirectCRL) return false;
    if (!crlIssuers.some((n) => namesEqual(n, crl.issuer))) return false;
  } else if (!namesEqual(crl.issuer, cert.issuer)) {
    return false;
  }
  if (idp) {
    if (idp.distributionPoint) {
      const idpNames = expandDpName(idp.distributionPoint, crl.issuer);
      if (dp.name) {
        const base = crlIssuers[0] ?? cert.issuer;
        if (!anyNameInCommon(idpNames, expandDpName(dp.name, base))) return false;
      } else if (dp.cRLIssuer) {
        if (!anyNameInCommon(idpNames, dp.cRLIssuer)) return false;
      } else {
        return false; // a scoped CRL does not cover a certificate without a matching distribution point
      }
    }
    if (idp.onlyContainsUserCerts && isCa(cert)) return false;
    if (idp.onlyContainsCACerts && !isCa(cert)) return false;
    if (idp.onlyContainsAttributeCerts) return false;
  }
  return true;
}

/** The entry for `cert` in `crl`, honouring certificateIssuer on indirect CRLs. */
function findEntry(crl: Crl, cert: Certificate) {
  const indirect = crl.issuingDistributionPoint?.indirectCRL === true;
  for (const entry of crl.entries) {
    if (entry.serialNumber !== cert.serialNumber) continue;
    if (indirect && entry.certificateIssuer) {
      if (directoryNames(entry.certificateIssuer).some((n) => namesEqual(n, cert.issuer))) return entry;
    } else if (namesEqual(crl.issuer, cert.issuer)) {
      return entry;
    }
  }
  return undefined;
}

function sameScope(a: Crl, b: Crl): boolean {
  const x = a.issuingDistributionPoint;
  const y = b.issuingDistributionPoint;
  if (!x || !y) return !x && !y;
  const nx = x.distributionPoint ? expandDpName(x.distributionPoint, a.issuer) : [];
  const ny = y.distributionPoint ? expandDpName(y.distributionPoint, b.issuer) : [];
  const namesMatch = nx.length === 0 ? ny.length === 0 : anyNameInCommon(nx, ny);
  return (
    namesMatch &&
    x.onlyContainsUserCerts === y.onlyContainsUserCerts &&
    x.onlyContainsCACerts === y.onlyContainsCACerts &&
    x.indirectCRL === y.indirectCRL &&
    x.onlySomeReasons === y.onlySomeReasons
  );
}

/** A key that validly signed a CRL, or why none did (`bad`: the CRL is invalid, not just unusable). */
type CrlSignerResult = { spki: Uint8Array; params?: Uint8Array } | { error: string; bad?: string };

interface SignerCandidate {
  cert: Certificate;
  params?: Uint8Array;
  /** On the path being validated (or its anchor): needs no validation of its own. */
  trusted: boolean;
}

/** Checks the CRL's signature with a candidate's key within the CRL-signer work budget; undefined once spent. */
async function signedBy(ctx: ValidationContext, crl: Crl, c: SignerCandidate): Promise<SignatureResult | undefined> {
  if (!isSignatureChecked(ctx, crl, c.cert.spki, c.params)) {
    const work = (ctx.work ??= { ranking: 0, crlSigner: 0, nameConstraints: 0 });
    if (work.crlSigner >= ctx.options.maxWork) return undefined;
    work.crlSigner++;
  }
  return checkSignature(ctx, crl, c.cert.spki, c.params);
}

/**
 * Finds a key that validly signed `crl`: the certificate's issuer first, then
 * other certificates with the CRL issuer's name that have cRLSign and
 * validate to the same anchor. Returns why none worked otherwise; when the
 * certificate's own issuer signed it without cRLSign, the CRL is invalid (`bad`).
 */
async function crlSigner(
  ctx: ValidationContext,
  crl: Crl,
  input: CertificateRevocationInput,
  validateSigner: SignerValidator,
): Promise<CrlSignerResult> {
  const weak = signatureAlgorithmWeakness(crl.signatureAlgorithm, { allowWeak: ctx.options.allowWeak });
  if (weak) return { error: `CRL signature algorithm refused: ${weak}` };
  const candidates: SignerCandidate[] = [];
  if (namesEqual(input.issuer.subject, crl.issuer)) {
    const c: SignerCandidate = { cert: input.issuer, trusted: true };
    if (input.issuerDsaParameters) c.params = input.issuerDsaParameters;
    candidates.push(c);
  }
  for (const c of certificatesNamed(ctx, crl.issuer.key)) {
    if (c.cert.fingerprint !== input.issuer.fingerprint) {
      candidates.push({ cert: c.cert, trusted: c.cert.fingerprint === input.anchorFingerprint });
    }
  }
  let error = `no certificate for the CRL issuer ${crl.issuer.text} verifies its signature`;
  let bad: string | undefined;
  for (const c of candidates) {
    const mayNotSign = c.cert.keyUsage !== undefined && !(c.cert.keyUsage & KeyUsage.cRLSign);
    const sig = await signedBy(ctx, crl, c);
    if (!sig) {
      error = 'the search for the CRL signer stopped at its work limit';
      break;
    }
    if (mayNotSign) {
      error = `the CRL issuer certificate ${c.cert.subject.text} may not sign CRLs (no cRLSign key usage)`;
      if (sig.ok && c.cert === input.issuer)
        bad = `the CRL from ${crl.issuer.text} is signed by ${c.cert.subject.text}, whose key usage does not allow CRL signing (no cRLSign)`;
      continue;
    }
    if (!sig.ok) {
      error = `CRL signature: ${sig.message}`;
      continue;
    }
    if (
      c.trusted ||
      ctx.inProgress.has(c.cert.fingerprint) ||
      (await validateSigner(c.cert, input.anchorFingerprint))
    ) {
      const out: { spki: Uint8Array; params?: Uint8Array } = { spki: c.cert.spki };
      if (c.params) out.params = c.params;
      return out;
    }
    error = `the CRL signing certificate ${c.cert.subject.text} is not valid`;
  }
  return bad ? { error, bad } : { error };
}

/** A CRL-based status; `badCrl` says why a CRL from the certificate's own CA that covers it is invalid. */
export interface CrlRevocationStatus extends RevocationStatus {
  badCrl?: string;
  /** The CRLs that established a `good` or `revoked` status. */
  crls?: Crl[];
}

/** What the CRLs told so far about one certificate. */
interface CrlScan {
  /** Reasons covered by usable CRLs. */
  reasonsMask: number;
  /** Why CRLs could not be used. */
  notes: Set<string>;
  badCrl?: string;
  /** CRLs that covered some reasons. */
  used: Crl[];
}

/** The entry for the certificate in `crl` or in a delta CRL for it (same issuer, scope and signer, current). */
async function entryWithDeltas(
  ctx: ValidationContext,
  crl: Crl,
  cert: Certificate,
  signer: { spki: Uint8Array; params?: Uint8Array },
): Promise<ReturnType<typeof findEntry>> {
  let deltaEntry: ReturnType<typeof findEntry> | undefined;
  for (const delta of ctx.crls) {
    if (delta.deltaBase === undefined) continue;
    if (
      !namesEqual(delta.issuer, crl.issuer) ||
      !sameScope(delta, crl) ||
      !isCurrent(delta, ctx.options.at) ||
      delta.unsupportedCriticalExtension ||
      delta.profileViolation
    )
      continue;
    if (crl.crlNumber === undefined || delta.deltaBase > crl.crlNumber) continue;
    if (!(await checkSignature(ctx, delta, signer.spki, signer.params)).ok) continue;
    const e = findEntry(delta, cert);
    if (e) deltaEntry = e;
  }
  return deltaEntry ?? findEntry(crl, cert);
}

/** Uses one complete CRL for one distribution point (§6.3.3 (b)-(j)): revoked, or what it covers, in `scan`. */
async function applyCrl(
  ctx: ValidationContext,
  input: CertificateRevocationInput,
  validateSigner: SignerValidator,
  dp: DistributionPoint,
  crl: Crl,
  scan: CrlScan,
): Promise<CrlRevocationStatus | undefined> {
  const { cert } = input;
  if (!crlCoversDp(crl, cert, dp)) return undefined;
  if (!isCurrent(crl, ctx.options.at)) {
    scan.notes.add(
      `the CRL from ${crl.issuer.text} is not current at the validation time (next update ${crl.nextUpdate?.toISOString() ?? 'none'})`,
    );
    return undefined;
  }
  if (crl.unsupportedCriticalExtension) {
    scan.notes.add(
      `the CRL from ${crl.issuer.text} has an unsupported critical extension ${crl.unsupportedCriticalExtension}`,
    );
    return undefined;
  }
  const interim = (crl.issuingDistributionPoint?.onlySomeReasons ?? ALL_REASONS) & (dp.reasons ?? ALL_REASONS);
  if ((interim & ~scan.reasonsMask) === 0) return undefined;
  const signer = await crlSigner(ctx, crl, input, validateSigner);
  if ('error' in signer) {
    scan.notes.add(signer.error);
    if (signer.bad) scan.badCrl ??= signer.bad;
    return undefined;
  }
  if (crl.profileViolation) {
    // Genuinely from the CA, but not a conforming CRL: invalid rather than merely unusable.
    scan.badCrl ??= `the CRL from ${crl.issuer.text} cannot be used: ${crl.profileViolation}`;
    return undefined;
  }
  const entry = await entryWithDeltas(ctx, crl, cert, signer);
  if (entry && entry.reason !== CrlReason.removeFromCRL) {
    return {
      status: 'revoked',
      ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      revocationDate: entry.revocationDate,
      message: `revoked on ${entry.revocationDate.toISOString()} (${reasonName(entry.reason)}) according to the CRL from ${crl.issuer.text}`,
      crls: [crl],
    };
  }
  scan.reasonsMask |= interim;
  scan.used.push(crl);
  return undefined;
}

/** Revocation status of one certificate from the available CRLs (RFC 5280 §6.3.3). */
async function crlStatus(
  ctx: ValidationContext,
  input: CertificateRevocationInput,
  validateSigner: SignerValidator,
): Promise<CrlRevocationStatus> {
  const { cert } = input;
  const points: DistributionPoint[] = cert.crlDistributionPoints?.length ? cert.crlDistributionPoints : [{}];
  const scan: CrlScan = { reasonsMask: 0, notes: new Set(), used: [] };
  const completes = ctx.crls.filter((c) => c.deltaBase === undefined);
  for (const dp of points) {
    for (const crl of completes) {
      if (scan.reasonsMask === ALL_REASONS) break;
      const revoked = await applyCrl(ctx, input, validateSigner, dp, crl, scan);
      if (revoked) return revoked;
    }
  }
  if (scan.reasonsMask === ALL_REASONS) return { status: 'good', crls: scan.used };
  const why = scan.notes.size ? [...scan.notes].join('; ') : `no usable CRL from ${cert.issuer.text} covers it`;
  const out: CrlRevocationStatus = {
    status: 'unknown',
    message: scan.reasonsMask ? `CRLs cover only some revocation reasons; ${why}` : why,
  };
  if (scan.badCrl) out.badCrl = scan.badCrl;
  return out;
}

/** How a certificate's status was established (see `CertificateRevocation` in the report). */
export interface EstablishedStatus extends CrlRevocationStatus {
  source: 'crl' | 'ocsp' | 'checker' | 'none';
  ocsp?: OcspUse;
  /** Online sources tried that gave no answer, in order. */
  attempts?: OnlineAttempt[];
}

/** Status from the local CRLs, then online sources (when turned on), then the caller's checker. */
export async function revocationStatus(
  ctx: ValidationContext,
  input: CertificateRevocationInput,
  validateSigner: SignerValidator,
): Promise<EstablishedStatus> {
  const fromCrls = await crlStatus(ctx, input, validateSigner);
  if (fromCrls.status !== 'unknown') return { ...fromCrls, source: 'crl' };
  let current: EstablishedStatus = { ...fromCrls, source: 'none' };
  if (ctx.options.online && !fromCrls.badCrl) {
    // Loaded on first use: most validations never go online, and the OCSP and HTTP code is not small.
    const { onlineStatus } = await import('./online/check.js');
    current = await onlineStatus(ctx, input, fromCrls, () => crlStatus(ctx, input, validateSigner));
    if (current.status !== 'unknown') return current;
  }
  if (!ctx.options.revocationChecker) return current;
  const unknown = (message: string): EstablishedStatus => ({ ...current, status: 'unknown', message });
  try {
    const checked = await ctx.options.revocationChecker.check(input.cert, input.issuer, { at: ctx.options.at });
    if (checked.status === 'unknown')
      return unknown(`${current.message ?? ''}; checker: ${checked.message ?? 'unknown'}`);
    return { ...checked, source: 'checker' };
  } catch (e) {
    return unknown(`${current.message ?? ''}; checker failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
