/**
 * The verification report of `verifyMessage`: one entry per signer of every
 * signed layer (outermost first), what the signatures cover, and the
 * problems with stable codes. Also plain-JSON and text renderings for the CLI.
 */
import type { SmimeErrorCode } from '../error-codes.js';
import type { SignerAlgorithms, SignerProblem } from '../cms/verify-signed-data.js';
import type { CapabilityEntry } from '../cms/attributes.js';
import type { ValidationReport } from '../trust/report.js';
import { toHex } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { headerProtectionLabel, type HeaderProtectionResult } from './header-protection-read.js';
import { headerProtectionJson, type StreamHeaderProtectionResult } from './header-protection-stream-read.js';

/** One signer of one signed layer. */
export interface SignerReport {
  /** Index into `VerifyReport.layers` (0 = outermost). */
  layer: number;
  /** The signer certificate (DER), when it was found. */
  certificate?: Uint8Array;
  /** Subject of the signer certificate (RFC 4514). */
  subject?: string;
  /** The certificate's e-mail address (SAN rfc822Name, else subject emailAddress). */
  email?: string;
  /** The certificate's common name. */
  commonName?: string;
  /** Digest and signature value verify (and the algorithms are acceptable under the policy). */
  signatureValid: boolean;
  /** Certificate path validation (purpose sign); absent when the certificate was not found. */
  chain?: ValidationReport;
  /** signingTime attribute: the signer's claim, not a trusted time. */
  signingTime?: Date;
  algorithms: SignerAlgorithms;
  /** What is wrong with this signer: signature problems first, then the chain's. Empty when valid. */
  problems: SignerProblem[];
  /** SMIMECapabilities the signer announced. */
  capabilities?: CapabilityEntry[];
  /** The certificate the signer prefers for encryption (SMIMEEncryptionKeyPreference), when in the message. */
  encryptionCertificate?: Uint8Array;
  /** Countersignatures over this signature (RFC 5652 §11.4): checked cryptographically, not chain-validated; informational. */
  countersignatures?: {
    certificate?: Uint8Array;
    signatureValid: boolean;
    signingTime?: Date;
    problems: SignerProblem[];
  }[];
}

/** One signed layer of the message. */
export interface SignedLayer {
  /** `multipart-signed` (detached), `opaque` (application/pkcs7-mime signed-data) or `cms` (bare CMS input). */
  kind: 'multipart-signed' | 'opaque' | 'cms';
  /**
   * Route to the signed entity: `/` the whole message, `/2` its 2nd part, `/1/2` the 2nd part of the 1st;
   * `/signed`, `/opaque`, `/enveloped` and `/rfc822` step into a signed part, opaque content, decrypted
   * content or an attached message (e.g. `/signed/2/rfc822`).
   */
  path: string;
  /** The `micalg` parameter of a multipart/signed. */
  micalg?: string;
  /** The exact bytes this layer's signature covers. */
  content: Uint8Array;
  /** Index of each of this layer's signers in `VerifyReport.signers`. */
  signers: number[];
  /** Certificates the layer's SignedData carries (DER), e.g. to remember a correspondent's encryption certificate. */
  certificates: Uint8Array[];
}

/** A report-level problem (the CLI prints the first one's code). */
export interface ReportProblem {
  code: SmimeErrorCode;
  message: string;
  /** The signer concerned (index into `signers`). */
  signer?: number;
}

/** A part of the message that no signature covers. */
export interface CoveragePart {
  /** Route to the part (`/2`, `/1/3`, `/2/rfc822`; see `SignedLayer.path`). */
  path: string;
  /** Its media type, lower-cased (`text/plain`, `application/pkcs7-mime` for a layer left closed, ...). */
  contentType: string;
}

/**
 * What the signatures cover. Unless `complete`, `verifyMessage` reports `partially-signed` (a problem, or a
 * warning with `allowPartial`).
 */
export interface Coverage {
  /** True when one signature (the outermost) covers the whole message body. */
  complete: boolean;
  /** Paths of the signed entities found (outermost layers). */
  signedParts: string[];
  /** Paths of parts that no signature covers (e.g. a footer a mailing list added). */
  unsignedParts: string[];
  /** The same parts with their media types. */
  unsigned: CoveragePart[];
}

export interface VerifyReport {
  /**
   * Every signature is valid, every signer certificate validated (purpose sign, e-mail when given), one signature
   * covers the whole message (unless `allowPartial`) and a signer is for the From/Sender addresses (unless
   * `allowSenderMismatch`).
   */
  ok: boolean;
  /** All signers of all layers, outermost layer first. */
  signers: SignerReport[];
  layers: SignedLayer[];
  /** The verified inner entity: the bytes the innermost signature covers (canonical CRLF entity or eContent as signed). */
  content: Uint8Array;
  coverage: Coverage;
  /**
   * Why `ok` is false, in order of importance: report-level problems of the layers, the signers' problems, then
   * `partially-signed` and `sender-mismatch`. Empty when ok.
   */
  problems: ReportProblem[];
  /**
   * Non-fatal findings: micalg mismatch, layers not opened, `sender-missing`; `partially-signed` with
   * `allowPartial` and `sender-mismatch` with `allowSenderMismatch`.
   */
  warnings: ReportProblem[];
  /**
   * Header protection of the verified content (RFC 9788, or the older `protected-headers="v1"`: `format` says
   * which; docs/header-protection.md): the protected header fields, the outer ones that differ (also
   * `header-mismatch` warnings), what to display. Absent without it.
   */
  headerProtection?: HeaderProtectionResult;
}

function certJson(der: Uint8Array | undefined) {
  return der ? { sha256: toHex(sha256(der)) } : undefined;
}

/**
 * A report to print: `verifyMessage`'s, or `verifyMessageStream`'s (whose `headerProtection` is the streamed
 * form, without the display body).
 */
export type PrintableVerifyReport = Omit<VerifyReport, 'headerProtection'> & {
  headerProtection?: HeaderProtectionResult | StreamHeaderProtectionResult | undefined;
};

/** The report as plain JSON (dates ISO, certificates by SHA-256, no bytes). */
export function verifyReportToJson(report: PrintableVerifyReport): unknown {
  return {
    ok: report.ok,
    problems: report.problems,
    warnings: report.warnings,
    coverage: report.coverage,
    layers: report.layers.map((l) => ({
      kind: l.kind,
      path: l.path,
      micalg: l.micalg,
      contentLength: l.content.length,
      contentSha256: toHex(sha256(l.content)),
      signers: l.signers,
    })),
    signers: report.signers.map((s) => ({
      layer: s.layer,
      subject: s.subject,
      email: s.email,
      commonName: s.commonName,
      certificate: certJson(s.certificate),
      signatureValid: s.signatureValid,
      chainValid: s.chain?.valid ?? null,
      chain: s.chain
        ? {
            valid: s.chain.valid,
            at: s.chain.at.toISOString(),
            path: s.chain.path.map((p) => ({
              subject: p.subject,
              serialNumber: p.serialNumber,
              fingerprintSha256: p.fingerprint,
              anchor: p.anchor,
            })),
            problems: s.chain.problems,
            warnings: s.chain.warnings,
          }
        : null,
      signingTime: s.signingTime?.toISOString(),
      algorithms: s.algorithms,
      problems: s.problems,
      encryptionCertificate: certJson(s.encryptionCertificate),
      countersignatures: s.countersignatures?.map((c) => ({
        certificate: certJson(c.certificate),
        signatureValid: c.signatureValid,
        signingTime: c.signingTime?.toISOString(),
        problems: c.problems,
      })),
    })),
    contentLength: report.content.length,
    contentSha256: toHex(sha256(report.content)),
    ...(report.headerProtection ? { headerProtection: headerProtectionJson(report.headerProtection) } : {}),
  };
}

/** Human-readable report. */
export function verifyReportToText(report: PrintableVerifyReport): string {
  const lines: string[] = [
    `${report.ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${report.signers.length} signer(s) in ${report.layers.length} signed layer(s)`,
  ];
  report.layers.forEach((layer, li) => {
    lines.push(
      `layer ${li}: ${layer.kind} at ${layer.path === '/' ? 'the whole message' : layer.path}${layer.micalg ? ` (micalg=${layer.micalg})` : ''}`,
    );
    for (const si of layer.signers) {
      const s = report.signers[si]!;
      const who = s.email ?? s.commonName ?? s.subject ?? '(certificate not found)';
      lines.push(`  signer ${si}: ${who}`);
      if (s.subject) lines.push(`    subject:   ${s.subject}`);
      lines.push(
        `    signature: ${s.signatureValid ? 'valid' : 'INVALID'} (${s.algorithms.signature}, ${s.algorithms.digest})`,
      );
      if (s.chain)
        lines.push(
          `    chain:     ${s.chain.valid ? 'valid' : 'INVALID'}${s.chain.path.length ? ` (${s.chain.path.map((p) => p.subject).join(' <- ')})` : ''}`,
        );
      if (s.signingTime) lines.push(`    signed at: ${s.signingTime.toISOString()} (claimed)`);
      for (const p of s.problems) lines.push(`    problem ${p.code}: ${p.message}`);
    }
  });
  if (!report.coverage.complete) {
    const unsigned = report.coverage.unsigned.map((p) => `${p.path} (${p.contentType})`);
    lines.push(
      `coverage: only ${report.coverage.signedParts.join(', ')} is signed; not covered: ${unsigned.join(', ') || '(the message around the signed parts)'}`,
    );
  }
  const hp = report.headerProtection;
  if (hp)
    lines.push(
      `header protection: ${headerProtectionLabel(hp)}, ${hp.trusted ? 'the protected header fields are displayed' : 'not trusted: the outer header fields are displayed'}`,
    );
  for (const w of report.warnings) lines.push(`warning ${w.code}: ${w.message}`);
  return `${lines.join('\n')}\n`;
}
