/**
 * Candidate validation for `selectCertificate`: the published certificates of the entries found, one per
 * fingerprint with every place it was published, each validated against the trust list for encryption to
 * the address (once per fingerprint, address and time, through the shared cache). A certificate naming
 * another address of the same entry is accepted for it. Which valid candidate wins is select.ts.
 */
import { ArgumentError, asSmimeError } from '../errors.js';
import { toHex, type BytesLike } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { parseCertificate, type Certificate } from '../x509/index.js';
import { validateCertificate } from '../trust/validate.js';
import type { Crl } from '../x509/index.js';
import type { ValidationReport } from '../trust/report.js';
import { normalizeAddress, sameAddress } from './address.js';
import type { SelectCertificateOptions, ValidationCache } from './select.js';
import type { CandidateVerdict, CertificateCandidate, DirectoryEntry } from './types.js';

/** One published certificate, every place it was published, and how it ranks. */
interface Published {
  der: Uint8Array;
  cert?: Certificate;
  fingerprint: string;
  candidate: CertificateCandidate;
  sources: CandidateVerdict['sources'];
  chain: Uint8Array[];
  preferred: boolean;
  smime: boolean;
  /** Lowest userSMIMECertificate value index (Outlook reads values in order). */
  valueIndex: number;
  /** First position over all entries (directory order, then attribute order). */
  order: number;
  /** Published in userCertificate of an entry whose userSMIMECertificate is empty. */
  fallbackOk: boolean;
  /** Addresses of the entries that published it and have the address asked for. */
  addresses: string[];
}

/** The certificates of the person entries, one per fingerprint, each with every place it was published. */
export function collect(entries: readonly DirectoryEntry[], address: string): Published[] {
  const byFingerprint = new Map<string, Published>();
  let order = 0;
  for (const entry of entries) {
    // Only an entry that really has the address vouches for its other addresses (a directory may answer loosely).
    const vouches = entry.addresses.some((a) => sameAddress(a, address));
    const smimeEmpty =
      !entry.candidates.some((c) => c.attribute === 'userSMIMECertificate') &&
      !entry.unreadable.some((u) => u.attribute === 'userSMIMECertificate');
    for (const c of entry.candidates) {
      let cert: Certificate | undefined;
      try {
        cert = parseCertificate(c.certificate);
      } catch {
        cert = undefined; // validation reports it as malformed-certificate
      }
      const fingerprint = cert?.fingerprint ?? toHex(sha256(c.certificate));
      let p = byFingerprint.get(fingerprint);
      if (!p) {
        p = {
          der: c.certificate,
          fingerprint,
          candidate: c,
          sources: [],
          chain: [],
          preferred: false,
          smime: false,
          valueIndex: Infinity,
          order: order++,
          fallbackOk: false,
          addresses: [],
        };
        if (cert) p.cert = cert;
        byFingerprint.set(fingerprint, p);
      }
      p.sources.push({ directory: c.directory, entry: c.entry, attribute: c.attribute });
      p.chain.push(...c.chain);
      if (vouches) p.addresses.push(...entry.addresses);
      if (c.attribute === 'userSMIMECertificate') {
        p.smime = true;
        p.preferred ||= c.preferred;
        p.valueIndex = Math.min(p.valueIndex, c.valueIndex);
      } else if (smimeEmpty) p.fallbackOk = true;
    }
  }
  return [...byFingerprint.values()];
}

export interface Checked {
  published: Published;
  valid: boolean;
  problems: { code: string; message: string }[];
  /** The entry address the certificate was accepted for, when not the one asked. */
  via?: string;
}

/** What the validations of one selection share. */
export interface Context {
  options: SelectCertificateOptions;
  at: Date;
  intermediates: (BytesLike | string)[];
  crls: (BytesLike | string | Crl)[];
  cache: ValidationCache;
}

function validateFor(ctx: Context, p: Published, email: string): Promise<ValidationReport> {
  const key = `${p.fingerprint}|${normalizeAddress(email)}|${ctx.at.getTime()}`;
  let pending = ctx.cache.get(key);
  if (!pending) {
    const o = ctx.options;
    pending = validateCertificate(p.der, {
      trust: o.trust,
      intermediates: [...p.chain, ...ctx.intermediates],
      crls: ctx.crls,
      purpose: 'encrypt',
      email,
      at: ctx.at,
      ...(o.revocation ? { revocation: o.revocation } : {}),
      ...(o.allowWeak !== undefined ? { allowWeak: o.allowWeak } : {}),
    });
    ctx.cache.set(key, pending);
  }
  return pending;
}

export async function check(ctx: Context, p: Published, address: string): Promise<Checked> {
  let report: ValidationReport;
  try {
    report = await validateFor(ctx, p, address);
  } catch (e) {
    const error = asSmimeError(e, 'internal', 'certificate validation');
    if (error instanceof ArgumentError) throw error; // the caller's options, not the candidate
    return { published: p, valid: false, problems: [{ code: error.code, message: error.message }] };
  }
  const problems = report.problems.map((x) => ({ code: x.code, message: x.message }));
  if (report.valid) return { published: p, valid: true, problems };
  // A certificate naming another address of the same entry (e.g. a secondary proxy address).
  if (p.cert && ctx.options.secondaryAddresses !== false && problems.every((x) => x.code === 'email-mismatch')) {
    for (const other of p.cert.emailAddresses) {
      if (sameAddress(other, address) || !p.addresses.some((a) => sameAddress(a, other))) continue;
      const again = await validateFor(ctx, p, other);
      if (again.valid) return { published: p, valid: true, problems: [], via: other };
    }
  }
  return { published: p, valid: false, problems };
}
