/**
 * Algorithm policy: which signature algorithms and key sizes smimekit accepts
 * by default. SHA-1 / MD5 / MD2 signatures, DSA and RSA keys under 2048 bits
 * are refused unless the caller opts in with `allowWeak` (to read old mail).
 */
import { signatureAlgorithm } from './algorithms.js';
import type { PublicKeySummary } from './public-key-summary.js';
import type { AlgorithmIdentifier } from '../x509/algorithm.js';
import { parseRsaPssParameters } from './verify-signature.js';

export interface AlgorithmPolicy {
  /** Accept weak algorithms (SHA-1, MD5, DSA, short RSA keys). Default false. */
  allowWeak?: boolean;
  /** Smallest acceptable RSA modulus in bits (default 2048). Ignored with `allowWeak`. */
  minRsaBits?: number;
}

export const DEFAULT_MIN_RSA_BITS = 2048;

const WEAK_DIGESTS = new Set(['SHA-1', 'MD5', 'MD2']);

/**
 * Why a signature algorithm is refused by the policy, or `undefined` when it is
 * acceptable. Unknown algorithms are not judged here (verification reports them).
 */
export function signatureAlgorithmWeakness(
  algorithm: AlgorithmIdentifier,
  policy: AlgorithmPolicy = {},
): string | undefined {
  if (policy.allowWeak) return undefined;
  const info = signatureAlgorithm(algorithm.oid);
  if (!info) return undefined;
  if (info.family === 'dsa') return `${info.name}: DSA is a legacy algorithm`;
  let hash = info.hash;
  if (info.family === 'rsa-pss') {
    try {
      hash = parseRsaPssParameters(algorithm.parameters).hash;
    } catch {
      return undefined;
    }
  }
  if (hash && WEAK_DIGESTS.has(hash)) return `${info.name} uses the broken digest ${hash}`;
  return undefined;
}

/** Why a public key is refused by the policy, or `undefined` when it is acceptable. */
export function publicKeyWeakness(key: PublicKeySummary, policy: AlgorithmPolicy = {}): string | undefined {
  if (policy.allowWeak) return undefined;
  const min = policy.minRsaBits ?? DEFAULT_MIN_RSA_BITS;
  if ((key.kind === 'rsa' || key.kind === 'rsa-pss') && key.bits !== undefined && key.bits < min) {
    return `RSA key of ${key.bits} bits is shorter than ${min} bits`;
  }
  if (key.kind === 'dsa') return `DSA keys${key.bits ? ` (${key.bits} bits)` : ''} are a legacy algorithm`;
  return undefined;
}
