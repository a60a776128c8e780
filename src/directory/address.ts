/**
 * E-mail addresses as directories hold them: RFC 8550 matching (local part
 * exact, domain case-insensitive) and Exchange `proxyAddresses` values
 * (`SMTP:` marks the primary address, `smtp:` a secondary one; other
 * prefixes such as `X500:` or `SIP:` are not mail addresses).
 */
import { ArgumentError } from '../errors.js';
import { asciiLower } from '../x509/index.js';

/** An address in the form lookups compare: local part as given, domain lower-cased (ASCII). */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1 || at === address.length - 1) return address;
  return address.slice(0, at) + '@' + asciiLower(address.slice(at + 1));
}

/** True when both are the same mailbox (exact local part, case-insensitive domain). */
export function sameAddress(a: string, b: string): boolean {
  return normalizeAddress(a) === normalizeAddress(b);
}

/**
 * Checks that `address` looks like a mailbox (`local@domain`, no spaces or
 * control characters) before it reaches a directory.
 *
 * @throws ArgumentError `bad-address`
 */
export function assertAddress(address: unknown): string {
  if (typeof address !== 'string') throw new ArgumentError('bad-address', 'an e-mail address must be a string');
  const at = address.lastIndexOf('@');

  if (at < 1 || at === address.length - 1 || /[\s\x00-\x1f\x7f]/.test(address) || address.length > 1024) {
    throw new ArgumentError('bad-address', `"${address.slice(0, 80)}" is not an e-mail address (local@domain)`, {
      details: { address: address.slice(0, 256) },
    });
  }
  return address;
}

/** One `proxyAddresses` value, when it is an SMTP address. */
export function parseProxyAddress(value: string): { address: string; primary: boolean } | undefined {
  const m = /^(smtp):(.+)$/i.exec(value.trim());
  if (!m) return undefined;
  return { address: m[2]!, primary: m[1] === 'SMTP' };
}

/**
 * The addresses of an entry in Exchange's order: `mail`, the primary proxy
 * address, then the secondary ones; duplicates (by `sameAddress`) dropped.
 */
export function entryAddresses(
  mail: readonly string[],
  proxyAddresses: readonly string[] = [],
): { primary?: string; addresses: string[]; secondary: Set<string> } {
  const proxies = proxyAddresses.map(parseProxyAddress).filter((p) => p !== undefined);
  const ordered = [
    ...mail,
    ...proxies.filter((p) => p.primary).map((p) => p.address),
    ...proxies.filter((p) => !p.primary).map((p) => p.address),
  ];
  const seen = new Set<string>();
  const addresses: string[] = [];
  for (const a of ordered) {
    const key = normalizeAddress(a);
    if (!seen.has(key)) {
      seen.add(key);
      addresses.push(a);
    }
  }
  const secondary = new Set<string>();
  const primaryish = new Set(
    [...mail, ...proxies.filter((p) => p.primary).map((p) => p.address)].map(normalizeAddress),
  );
  for (const p of proxies)
    if (!p.primary && !primaryish.has(normalizeAddress(p.address))) secondary.add(normalizeAddress(p.address));
  const primary = addresses[0];
  return primary === undefined ? { addresses, secondary } : { primary, addresses, secondary };
}
