/**
 * RFC 4515 search filters for directory lookups. Every value placed into a
 * filter is escaped, so an address can never add filter syntax (`*`, `(`,
 * `)`, `\`, NUL) to the query: no LDAP injection through a recipient.
 */
import { ArgumentError } from '../errors.js';

/**
 * Escapes a value for an RFC 4515 assertion: `*` `(` `)` `\` NUL become
 * `\2a` `\28` `\29` `\5c` `\00`, and every byte of non-ASCII UTF-8 is
 * written as `\xx` so no server mis-reads it.
 */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    out += byte < 0x20 || byte >= 0x7f || c === '*' || c === '(' || c === ')' || c === '\\' ? `\\${byte.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/** Active Directory: users, contacts and groups by `mail` or any SMTP proxy address (AD compares case-insensitively). */
export const AD_FILTER = '(&(|(objectClass=user)(objectClass=contact)(objectClass=group))(|(mail={address})(proxyAddresses=smtp:{address})))';
/** inetOrgPerson / groupOfNames directories (OpenLDAP, 389-DS): by `mail`. */
export const INET_ORG_PERSON_FILTER = '(mail={address})';

/**
 * Fills a filter template: `{address}`, `{local}` (before the last `@`) and
 * `{domain}` are replaced by the escaped values; nothing else is touched.
 *
 * @throws ArgumentError `bad-argument` for a template without `{address}`, `{local}` or `{domain}`, or with unbalanced parentheses
 */
export function buildFilter(template: string, address: string): string {
  if (!/\{(address|local|domain)\}/.test(template)) throw new ArgumentError('bad-argument', `the LDAP filter template "${template}" has no {address} placeholder`);
  let depth = 0;
  for (const c of template) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0 || !template.startsWith('(')) throw new ArgumentError('bad-argument', `the LDAP filter template "${template}" is not a parenthesised filter`);
  const at = address.lastIndexOf('@');
  const parts: Record<string, string> = { address, local: at < 0 ? address : address.slice(0, at), domain: at < 0 ? '' : address.slice(at + 1) };
  return template.replace(/\{(address|local|domain)\}/g, (_, name: string) => escapeFilterValue(parts[name]!));
}
