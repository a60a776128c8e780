/**
 * `ldap://` CRL distribution points (RFC 4516 URLs, as Active Directory Certificate Services writes them) read
 * through the address books' LDAP client, for `revocation: { online: true, ldap: ldapCrlFetcher() }`.
 */
import type { Entry } from 'ldapts';
import { DirectoryError, LimitError } from '../errors.js';
import type { LdapCrlFetcher } from '../trust/options.js';
import { LdapConnection } from './ldap-connection.js';
import type { LdapDirectoryOptions } from './ldap.js';

/** Options of {@link ldapCrlFetcher}: how to connect (the URL's host and DN come from each distribution point). */
export type LdapCrlFetcherOptions = Pick<LdapDirectoryOptions, 'ca' | 'bindDn' | 'password' | 'startTls'>;

/** The parts of an LDAP URL a CRL search needs. */
export interface LdapCrlUrl {
  /** `ldap://host:port` or `ldaps://host:port`. */
  server: string;
  dn: string;
  attributes: string[];
}

const CRL_ATTRIBUTES = [
  'certificateRevocationList;binary',
  'authorityRevocationList;binary',
  'deltaRevocationList;binary',
];

function badUrl(url: string, why: string): DirectoryError {
  return new DirectoryError('directory-bad-response', `not a usable LDAP CRL URL (${why}): ${url.slice(0, 200)}`, {
    details: { url: url.slice(0, 200) },
  });
}

/**
 * Splits `ldap://host[:port]/dn?attributes?scope?filter` (RFC 4516). A URL without a host (AD writes
 * `ldap:///CN=...`) names the caller's own directory, which smimekit cannot know: refused.
 */
export function parseLdapCrlUrl(url: string): LdapCrlUrl {
  const m = /^(ldaps?):\/\/([^/?]*)\/([^?]*)(?:\?([^?]*))?/i.exec(url);
  if (!m) throw badUrl(url, 'not ldap://host/dn');
  const [, scheme, host, dnPart, attrPart] = m;
  if (!host) throw badUrl(url, 'no host');
  let dn: string;
  try {
    dn = decodeURIComponent(dnPart!);
  } catch {
    throw badUrl(url, 'bad percent-encoding');
  }
  if (!dn) throw badUrl(url, 'no DN');
  const named = (attrPart ?? '')
    .split(',')
    .map((a) => decodeURIComponent(a).trim())
    .filter(Boolean);
  // Certificate attributes must be asked for ;binary, or servers answer nothing (RFC 4523).
  const attributes = named.length
    ? named.map((a) => (a.toLowerCase().endsWith(';binary') ? a : `${a};binary`))
    : CRL_ATTRIBUTES;
  return { server: `${scheme!.toLowerCase()}://${host}`, dn, attributes };
}

function valuesOf(entry: Entry, attributes: readonly string[]): Uint8Array[] {
  const wanted = new Set(attributes.map((a) => a.split(';')[0]!.toLowerCase()));
  const out: Uint8Array[] = [];
  for (const [key, raw] of Object.entries(entry)) {
    if (key === 'dn' || !wanted.has(key.split(';')[0]!.toLowerCase())) continue;
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (typeof v !== 'string') out.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
    }
  }
  return out;
}

/**
 * An {@link LdapCrlFetcher}: reads the CRL attributes of the entry an `ldap://` distribution point names, with the
 * validation's time and size limits. Node only (`smimekit/ldap`).
 *
 * @example
 * ```ts
 * const report = await validateCertificate(cert, { trust, revocation: { online: true, ldap: ldapCrlFetcher() } });
 * ```
 */
export function ldapCrlFetcher(options: LdapCrlFetcherOptions = {}): LdapCrlFetcher {
  return async (url, { timeoutMs, maxBytes }) => {
    const target = parseLdapCrlUrl(url);
    const connection = new LdapConnection(
      { ...options, url: target.server, baseDn: target.dn },
      {
        name: target.server,
        timeoutMs,
        details: { directory: target.server, url: target.server },
        stats: { connections: 0, lookups: 0, memberReads: 0 },
      },
    );
    try {
      const { searchEntries } = await connection.run('CRL search', undefined, (client) =>
        client.search(target.dn, {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: target.attributes,
          explicitBufferAttributes: target.attributes,
          sizeLimit: 1,
        }),
      );
      const values = searchEntries.flatMap((e) => valuesOf(e, target.attributes));
      const total = values.reduce((n, v) => n + v.length, 0);
      if (total > maxBytes)
        throw new LimitError('limit-exceeded', `the CRLs at ${url} are larger than ${maxBytes} bytes`, {
          details: { limit: 'maxCrlBytes', value: total },
        });
      return values;
    } finally {
      await connection.close().catch(() => undefined);
    }
  };
}
