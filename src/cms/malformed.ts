/** The CMS layer's error for structures that are not valid CMS. */
import { FormatError, SmimeError } from '../errors.js';

/** A `malformed-cms` error. */
function malformed(message: string, cause?: unknown): FormatError {
  return new FormatError('malformed-cms', message, cause === undefined ? undefined : { cause });
}

/** Runs a parser, turning low-level DER errors into `malformed-cms` (other typed smimekit errors pass through). */
export function parsing<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SmimeError && e.code !== 'malformed-der') throw e;
    throw malformed(`${what}: ${(e as Error).message}`, e);
  }
}
