/**
 * The default store of downloaded revocation answers: in memory, bounded, least recently used out first, each
 * entry dropped at its expiry (the answer's nextUpdate). Entries are raw DER, re-verified on every use.
 */
import type { RevocationCache } from '../options.js';

/** Options of {@link MemoryRevocationCache}. */
export interface MemoryRevocationCacheOptions {
  /** Most entries kept (default 1 000). */
  maxEntries?: number;
  /** Largest total of bytes kept (default 64 MiB): a few big CRLs must not hold the memory of a gateway. */
  maxBytes?: number;
  /** Clock for expiry (default the system clock). */
  now?: () => Date;
}

/** An in-memory {@link RevocationCache}. Share one between validations to ask each responder once per nextUpdate. */
export class MemoryRevocationCache implements RevocationCache {
  readonly #entries = new Map<string, { value: Uint8Array; expires: number }>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => Date;
  #bytes = 0;

  constructor(options: MemoryRevocationCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 1_000);
    this.#maxBytes = Math.max(1, options.maxBytes ?? 64 * 1024 * 1024);
    this.#now = options.now ?? (() => new Date());
  }

  /** How many entries are kept now. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Uint8Array | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= this.#now().getTime()) {
      this.#bytes -= entry.value.length;
      return undefined;
    }
    this.#entries.set(key, entry); // most recently used last
    return entry.value.slice();
  }

  set(key: string, value: Uint8Array, expires: Date): void {
    this.delete(key);
    if (expires.getTime() <= this.#now().getTime() || value.length > this.#maxBytes) return;
    this.#entries.set(key, { value: value.slice(), expires: expires.getTime() });
    this.#bytes += value.length;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.value.length;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.value.length;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

let shared: MemoryRevocationCache | undefined;

/** The cache validations share when the caller gives none. */
export function sharedRevocationCache(): MemoryRevocationCache {
  return (shared ??= new MemoryRevocationCache());
}
