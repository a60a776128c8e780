/**
 * `smimekit/ldap`: the LDAP address book (Node only: it uses `ldapts` and
 * Node's sockets). Kept out of the root entry so browser builds never pull it in.
 *
 * @module smimekit/ldap
 */
export * from './directory/ldap.js';
export {
  escapeFilterValue,
  buildFilter,
  AD_FILTER,
  INET_ORG_PERSON_FILTER,
  type FilterEscapeOptions,
} from './directory/ldap-filter.js';
export { ldapCrlFetcher, parseLdapCrlUrl, type LdapCrlFetcherOptions, type LdapCrlUrl } from './directory/ldap-crl.js';
