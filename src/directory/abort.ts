/** Cancellation for lookups: an aborted signal becomes a typed error. */
import { DirectoryError, SmimeError } from '../errors.js';

/** The error a directory rejects with when `signal` is aborted: its reason if typed, else `directory-timeout`. */
export function abortError(signal: AbortSignal, directory: string): SmimeError {
  const reason: unknown = signal.reason;
  if (reason instanceof SmimeError) return reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return new DirectoryError('directory-timeout', `${directory}: the lookup was ${timedOut ? 'timed out' : 'aborted'}`, {
    details: { directory },
  });
}

/** Rejects with `abortError` as soon as `signal` aborts; resolves or rejects with `work` otherwise. */
export function withAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, directory: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal, directory));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, directory));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
