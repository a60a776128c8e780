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

/** Extra, machine-readable facts about an error (byte offsets, limits, addresses, ...). */
export type ErrorDetails = Readonly<Record<string, unknown>>;

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

/**
 * Wraps anything that is not already a `SmimeError` (a bug, or a crash inside a
 * dependency on hostile input) so callers still receive a typed error.
 */
export function asSmimeError(error: unknown, code: SmimeErrorCode = 'internal', context?: string): SmimeError {
  if (error instanceof SmimeError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new SmimeError(code, context ? `${context}: ${text}` : text, { cause: error });
}
