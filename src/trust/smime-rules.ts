/**
 * RFC 8550 end-entity rules for S/MIME: extended key usage, key usage that
 * fits signing or encryption, and the e-mail address binding.
 */
import { publicKeyAlgorithm } from '../crypto/algorithms.js';
import { EKU_ANY, EKU_EMAIL_PROTECTION, KeyUsage, type Certificate } from '../x509/index.js';
import { asciiLower } from '../x509/index.js';
import type { ResolvedOptions } from './options.js';
import type { TrustProblemCode } from './report.js';

export interface RuleViolation {
  code: TrustProblemCode;
  message: string;
}

/** The addresses a certificate is for (RFC 8550 §3: rfc822Name SANs, or the subject's emailAddress when none). */
export function certificateEmails(cert: Certificate): string[] {
  return [...cert.smimeAddresses];
}

/** RFC 8550 §3: exact local part, case-insensitive domain. */
export function emailsMatch(a: string, b: string): boolean {
  const ia = a.lastIndexOf('@');
  const ib = b.lastIndexOf('@');
  if (ia < 1 || ib < 1) return false;
  return a.slice(0, ia) === b.slice(0, ib) && asciiLower(a.slice(ia + 1)) === asciiLower(b.slice(ib + 1));
}

/** S/MIME checks for the end-entity; empty for purpose `any`. */
export function checkSmimeRules(cert: Certificate, options: ResolvedOptions): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (options.purpose === 'any') return out;
  const eku = cert.extKeyUsage;
  if (eku) {
    const ok = eku.includes(EKU_EMAIL_PROTECTION) || (options.acceptAnyEku && eku.includes(EKU_ANY));
    if (!ok)
      out.push({
        code: 'bad-eku',
        message: `extended key usage (${eku.join(', ')}) does not include emailProtection (${EKU_EMAIL_PROTECTION})`,
      });
  } else if (options.requireEku) {
    out.push({
      code: 'bad-eku',
      message: 'the certificate has no extended key usage extension and emailProtection is required',
    });
  }
  const kind = publicKeyAlgorithm(cert.publicKeyAlgorithm)?.kind;
  const ku = cert.keyUsage;
  if (options.purpose === 'sign') {
    if (kind === 'x25519' || kind === 'x448' || kind === 'dh') {
      out.push({ code: 'bad-key-usage', message: `a ${kind} key cannot sign` });
    } else if (ku !== undefined && !(ku & (KeyUsage.digitalSignature | KeyUsage.nonRepudiation))) {
      out.push({
        code: 'bad-key-usage',
        message: 'key usage allows neither digitalSignature nor nonRepudiation, so the key may not sign mail',
      });
    }
  } else {
    if (kind === 'ed25519' || kind === 'ed448' || kind === 'dsa' || kind === 'rsa-pss') {
      out.push({ code: 'bad-key-usage', message: `a ${kind} key cannot be used for encryption` });
    } else if (ku !== undefined) {
      const agreement = kind === 'ec' || kind === 'x25519' || kind === 'x448' || kind === 'dh';
      const needed = agreement ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment;
      if (!(ku & needed)) {
        out.push({
          code: 'bad-key-usage',
          message: `key usage lacks ${agreement ? 'keyAgreement' : 'keyEncipherment'}, which encryption to this ${kind ?? ''} key needs`,
        });
      }
    }
  }
  if (options.email !== undefined) {
    const emails = certificateEmails(cert);
    if (!emails.some((e) => emailsMatch(e, options.email!))) {
      out.push({
        code: 'email-mismatch',
        message: emails.length
          ? `the certificate is for ${emails.join(', ')}, not ${options.email}`
          : `the certificate names no e-mail address (wanted ${options.email})`,
      });
    }
  }
  return out;
}

/**
 * EKU nesting (as Windows, NSS and the CA/B Forum S/MIME requirements do): an
 * intermediate CA that carries extendedKeyUsage must allow emailProtection
 * (or anyExtendedKeyUsage) for the path to serve S/MIME. Returns the chain
 * indexes (0 = end-entity) of the intermediates that do not.
 */
export function intermediatesWithoutEmailEku(
  chain: readonly Certificate[],
  options: ResolvedOptions,
): { index: number; message: string }[] {
  if (options.purpose === 'any') return [];
  const out: { index: number; message: string }[] = [];
  for (let i = 1; i < chain.length - 1; i++) {
    const eku = chain[i]!.extKeyUsage;
    if (eku && !eku.includes(EKU_EMAIL_PROTECTION) && !eku.includes(EKU_ANY)) {
      out.push({
        index: i,
        message: `the intermediate CA is restricted to ${eku.join(', ')}, which does not include emailProtection`,
      });
    }
  }
  return out;
}
