/**
 * Typed errors. Every public function of smimekit throws only `SmimeError`
 * subclasses for bad input; each carries a stable, kebab-case `code` that
 * callers (and the CLI's `error CODE: message` line) can rely on.
 *
 * @example
 * ```ts
 * try { parseSst(bytes); } catch (e) {
 *   if (e instanceof SmimeError && e.code === 'sst-bad-magic') { ... }
 * }
 * ```
 */

import type { SmimeErrorCode } from './error-codes.js';

export { ERROR_CODES, isSmimeErrorCode, type SmimeErrorCode } from './error-codes.js';

/**
 * Extra, machine-readable facts about an error. Every field is optional; which ones an error carries
 * depends on its code (docs/errors.md lists them per code). A field name means the same thing on every
 * error that has it.
 */
export interface ErrorDetails {
  /** Byte offset of the problem in the input (format errors). */
  readonly offset?: number;
  /** Which configured bound was crossed (`limit-exceeded`): `maxFileSize`, `maxElements`, `pbe-work`, ... */
  readonly limit?: string;
  /** The bound's value, or the value that crossed it. */
  readonly value?: number;
  /** An algorithm object identifier or name that is unknown or refused. */
  readonly algorithm?: string;
  /** A CMS content type (name or OID) that was not expected here. */
  readonly contentType?: string;
  /** A MIME media type that was not expected here. */
  readonly mediaType?: string;
  /** How many RecipientInfos the envelope holds (`not-a-recipient`). */
  readonly recipientInfos?: number;
  /** A certificate subject, as text. */
  readonly subject?: string;
  /** SST element id, its declared length, the bytes available and its encoding type. */
  readonly id?: number;
  readonly length?: number;
  readonly available?: number;
  readonly encoding?: number;
  /** One e-mail address the error is about (truncated to 256 characters). */
  readonly address?: string;
  /** Every address the error is about (recipients without a usable certificate, ...). */
  readonly addresses?: readonly string[];
  /** Address → why it could not be used. */
  readonly reasons?: Readonly<Record<string, string>>;
  /** True when the error is about the sender's own certificate (encrypt-to-self). */
  readonly sender?: boolean;
  /** Validation problems behind a refused certificate (code, message, ...). */
  readonly problems?: readonly unknown[];
  /** The field of a policy document at fault (`bad-policy`); empty for the document itself. */
  readonly field?: string;
  /** Line number in a text input (LDIF). */
  readonly line?: number;
  /** Address book (directory) name, and its URL without credentials. */
  readonly directory?: string;
  readonly url?: string;
  /** Directories that did not answer, or answered with an error (composite lookups). */
  readonly sources?: readonly unknown[];
  /** The time limit that expired, in milliseconds. */
  readonly timeoutMs?: number;
  /** HTTP status code of a failed download (`fetch-failed`). */
  readonly httpStatus?: number;
  /** OCSP responseStatus of an unsuccessful response (`ocsp-error-response`): 1 malformedRequest, 3 tryLater... */
  readonly ocspStatus?: number;
  /** The size limit an LDAP search hit. */
  readonly sizeLimit?: number;
  /** LDAP result code returned by the server. */
  readonly resultCode?: number;
  /**
   * `content-not-7bit`: what was found (`8bit`, `nul`, `bare-cr`, `bare-lf`, `long-line`, `from-line`), and which
   * body: `kept` (single-part, `bodyEncoding: 'keep'`: the default `'encode'` signs it) or `multipart`.
   */
  readonly sevenBit?: { readonly reason: string; readonly body: 'kept' | 'multipart' };
  /** Nesting limits of a message's layers. */
  readonly maxDepth?: number;
  readonly maxLayers?: number;
}

/** Base class of every error smimekit throws on purpose. */
export class SmimeError extends Error {
  /** Stable identifier; never renamed once published. */
  readonly code: SmimeErrorCode;
  /** Facts about the failure, e.g. `{ offset: 20 }` for format errors. */
  readonly details: ErrorDetails;

  constructor(code: SmimeErrorCode, message: string, options?: { details?: ErrorDetails; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // The class name written out: minifiers rename classes, and `error.name` is read by people and logs.
    this.name = 'SmimeError';
    this.code = code;
    this.details = options?.details ?? {};
  }
}

/** Malformed or unsupported input bytes: SST, DER, PEM, PKCS#7, MIME. Codes: see docs/errors.md. */
export class FormatError extends SmimeError {
  override readonly name: string = 'FormatError';
  /** Byte offset of the problem in the input, when known. */
  readonly offset: number | undefined;

  constructor(
    code: SmimeErrorCode,
    message: string,
    options?: { offset?: number; details?: ErrorDetails; cause?: unknown },
  ) {
    const details = options?.offset === undefined ? options?.details : { offset: options.offset, ...options?.details };
    super(code, message, { details, cause: options?.cause });
    this.offset = options?.offset;
  }
}

/** A configured size / count / depth limit was exceeded (code `limit-exceeded` or a layer-specific one). */
export class LimitError extends FormatError {
  override readonly name: string = 'LimitError';
}

/** The caller passed an argument that cannot be used (wrong type, missing option, bad combination). */
export class ArgumentError extends SmimeError {
  override readonly name: string = 'ArgumentError';
}

/** An algorithm is unknown, unsupported here, or refused by policy. */
export class AlgorithmError extends SmimeError {
  override readonly name: string = 'AlgorithmError';
}

/** A cryptographic check failed: bad signature, digest mismatch, decryption failure, key mismatch. */
export class CryptoError extends SmimeError {
  override readonly name: string = 'CryptoError';
}

/** Certificate path validation failed; `code` is one of the trust codes in docs/trust.md. */
export class ValidationError extends SmimeError {
  override readonly name: string = 'ValidationError';
}

/** A certificate needed for the operation is missing (sender, recipient, signer). */
export class CertificateMissingError extends SmimeError {
  override readonly name: string = 'CertificateMissingError';
}

/** Wrong password for a PKCS#12 file or an encrypted private key. */
export class PasswordError extends SmimeError {
  override readonly name: string = 'PasswordError';
}

/** A directory (address book) lookup failed. */
export class DirectoryError extends SmimeError {
  override readonly name: string = 'DirectoryError';
}

/** A download (OCSP, CRL distribution point, caIssuers) failed or timed out: `fetch-failed`, `fetch-timeout`. */
export class NetworkError extends SmimeError {
  override readonly name: string = 'NetworkError';
}

/** An OCSP response that cannot be relied on: `ocsp-*` codes (docs/revocation.md). */
export class RevocationError extends SmimeError {
  override readonly name: string = 'RevocationError';
}

/**
 * Wraps anything that is not already a `SmimeError` (a bug, or a crash inside a
 * dependency on hostile input) so callers still receive a typed error.
 */
export function asSmimeError(error: unknown, code: SmimeErrorCode = 'internal', context?: string): SmimeError {
  if (error instanceof SmimeError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new SmimeError(code, context ? `${context}: ${text}` : text, { cause: error });
}
