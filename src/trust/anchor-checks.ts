/**
 * The checks of a path's trust anchor (validity, the trust list's restrictions, and what an anchor that
 * issued the next certificate must be), and the validity check shared with every certificate.
 */
import { publicKeyWeakness, type AlgorithmPolicy } from '../crypto/policy.js';
import { summarizePublicKey, type PublicKeySummary } from '../crypto/public-key-summary.js';
import { KeyUsage, type Certificate } from '../x509/index.js';
import type { CandidatePath } from './build.js';
import type { ResolvedOptions } from './options.js';
import type { TrustProblem, TrustProblemCode } from './report.js';

/** A problem found on the certificate at `index` of the chain (0 = end-entity). */
export type AddProblem = (
  code: TrustProblemCode,
  index: number,
  message: string,
  details?: TrustProblem['details'],
) => void;

/** summarizePublicKey that never throws (a hand-built Certificate may carry an unreadable key). */
export function keySummary(spki: Uint8Array, inherited?: Uint8Array): PublicKeySummary {
  try {
    return summarizePublicKey(spki, inherited);
  } catch {
    return { kind: 'malformed' };
  }
}

function fmt(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

/** The validity period check shared by the anchor and every certificate. */
export function checkValidity(cert: Certificate, at: Date): { code: TrustProblemCode; message: string } | undefined {
  if (at < cert.notBefore)
    return { code: 'not-yet-valid', message: `not valid before ${fmt(cert.notBefore)} (validation time ${fmt(at)})` };
  if (at > cert.notAfter)
    return { code: 'expired', message: `expired on ${fmt(cert.notAfter)} (validation time ${fmt(at)})` };
  return undefined;
}

/**
 * The anchor is trusted for its name and key, but an expired anchor or one
 * restricted by the trust list does not make a valid path.
 */
export function checkAnchorTrust(
  options: ResolvedOptions,
  chain: readonly Certificate[],
  anchor: CandidatePath['anchor'],
  add: AddProblem,
): void {
  const at = options.at;
  const anchorIndex = chain.length - 1;
  const anchorValidity = checkValidity(anchor.certificate, at);
  if (anchorValidity) add(anchorValidity.code, anchorIndex, `trust anchor ${anchorValidity.message}`);
  if (anchor.disallowedAfter && at > anchor.disallowedAfter) {
    add(
      'untrusted-root',
      anchorIndex,
      `the trust list no longer trusts this anchor after ${fmt(anchor.disallowedAfter)} (disallowed-after property)`,
    );
  }
  if (options.purpose !== 'any' && anchor.allowedPurposes && !anchor.allowedPurposes.includes('1.3.6.1.5.5.7.3.4')) {
    add(
      'anchor-not-trusted-for-purpose',
      anchorIndex,
      `the trust list restricts this anchor to ${anchor.allowedPurposes.length ? anchor.allowedPurposes.join(', ') : 'no purpose'}, not secure e-mail (1.3.6.1.5.5.7.3.4)`,
    );
  }
  const email = '1.3.6.1.5.5.7.3.4';
  if (options.purpose !== 'any' && anchor.disallowedPurposes?.includes(email)) {
    add(
      'anchor-not-trusted-for-purpose',
      anchorIndex,
      'the trust list explicitly disallows this anchor for secure e-mail (disallowed EKU property)',
    );
  }
  const nb = anchor.notBeforeDistrust;
  if (nb && chain[0]!.notBefore > nb.date) {
    const all = !nb.purposes || nb.purposes.length === 0;
    const message = `certificates issued after ${fmt(nb.date)} under this anchor are not trusted${all ? '' : ' for secure e-mail'} (not-before property)`;
    if (all) add(options.purpose === 'any' ? 'untrusted-root' : 'anchor-not-trusted-for-purpose', anchorIndex, message);
    else if (options.purpose !== 'any' && nb.purposes!.includes(email))
      add('anchor-not-trusted-for-purpose', anchorIndex, message);
  }
}

/** Key strength, cA and keyCertSign of an anchor that issued the next certificate. */
export function checkAnchorAsIssuer(
  anchorCert: Certificate,
  anchorIndex: number,
  policy: AlgorithmPolicy,
  add: AddProblem,
): void {
  const keyWeak = publicKeyWeakness(keySummary(anchorCert.spki), policy);
  if (keyWeak) add('weak-algorithm', anchorIndex, `trust anchor key: ${keyWeak}`);
  if (anchorCert.basicConstraints && !anchorCert.basicConstraints.ca)
    add('not-ca', anchorIndex, 'the trust anchor is not a CA (basicConstraints cA is false) but issued a certificate');
  if (anchorCert.keyUsage !== undefined && !(anchorCert.keyUsage & KeyUsage.keyCertSign)) {
    add('bad-key-usage', anchorIndex, 'the trust anchor key usage does not allow certificate signing (keyCertSign)');
  }
}
