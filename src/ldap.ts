/**
 * `smimekit/ldap`: the LDAP address book (Node only: it uses `ldapts` and
 * Node's sockets). Kept out of the root entry so browser builds never pull it in.
 */
export * from './directory/ldap.js';
export { escapeFilterValue, buildFilter } from './directory/ldap-filter.js';
