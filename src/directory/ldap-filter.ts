/**
 * RFC 4515 search filters for directory lookups. Every value placed into a
 * filter is escaped, so an address can never add filter syntax (`*`, `(`,
 * `)`, `\`, NUL) to the query: no LDAP injection through a recipient.
 * Pure string code: safe for browser builds.
 */
import { ArgumentError } from '../errors.js';

/** How `escapeFilterValue` writes characters outside ASCII. */
export interface FilterEscapeOptions {
  /**
   * `escape` (default): every UTF-8 byte as `\xx`, the strictest RFC 4515
   * form. `keep`: the characters as they are (RFC 4515 allows UTF-8 there),
   * for clients that decode `\xx` to one character per byte instead of one
   * byte, as ldapts 8 does.
   */
  nonAscii?: 'escape' | 'keep';
}

/**
 * Escapes a value for an RFC 4515 assertion: `*` `(` `)` `\` NUL become
 * `\2a` `\28` `\29` `\5c` `\00`, other control characters are escaped too,
 * and every byte of non-ASCII UTF-8 is written as `\xx` (unless
 * `nonAscii: 'keep'`).
 */
export function escapeFilterValue(value: string, options: FilterEscapeOptions = {}): string {
  const keep = options.nonAscii === 'keep';
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0x80 && keep) out += char;
    else if (code < 0x20 || code >= 0x7f || char === '*' || char === '(' || char === ')' || char === '\\') {
      for (const byte of new TextEncoder().encode(char)) out += `\\${byte.toString(16).padStart(2, '0')}`;
    } else out += char;
  }
  return out;
}

/**
 * Active Directory: users, contacts and groups by `mail` or any SMTP proxy
 * address. AD compares `proxyAddresses` case-insensitively, so `smtp:` also
 * matches the `SMTP:` primary; secondary-only matches are dropped client-side
 * when a lookup sets `secondaryAddresses: false`.
 */
export const AD_FILTER =
  '(&(|(objectClass=user)(objectClass=contact)(objectClass=group))(|(mail={address})(proxyAddresses=smtp:{address})))';
/** inetOrgPerson / groupOfNames directories (OpenLDAP, 389-DS): by `mail`. */
export const INET_ORG_PERSON_FILTER = '(mail={address})';

/**
 * Fills a filter template: `{address}`, `{local}` (before the last `@`) and
 * `{domain}` are replaced by the escaped values; nothing else is touched.
 *
 * @throws ArgumentError `bad-argument` for a template without `{address}`, `{local}` or `{domain}`, or with unbalanced parentheses
 */
export function buildFilter(template: string, address: string, options: FilterEscapeOptions = {}): string {
  if (!/\{(address|local|domain)\}/.test(template))
    throw new ArgumentError('bad-argument', `the LDAP filter template "${template}" has no {address} placeholder`);
  let depth = 0;
  for (const c of template) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0 || !template.startsWith('('))
    throw new ArgumentError('bad-argument', `the LDAP filter template "${template}" is not a parenthesised filter`);
  const at = address.lastIndexOf('@');
  const parts: Record<string, string> = {
    address,
    local: at < 0 ? address : address.slice(0, at),
    domain: at < 0 ? '' : address.slice(at + 1),
  };
  return template.replace(/\{(address|local|domain)\}/g, (_, name: string) => escapeFilterValue(parts[name]!, options));
}
