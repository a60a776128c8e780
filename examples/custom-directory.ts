/**
 * docs/address-books.md, "Write your own directory": an address book behind an HTTP JSON API
 * shaped like a Microsoft Graph collection (`{ "value": [ ... ] }`), searched together with the
 * other address books. test/directory/docs-example.test.ts runs this file against a local server
 * and checks that the guide shows it verbatim (imports aside: an application imports from 'smimekit').
 */
import { DirectoryError } from '../src/errors.js';
import type { TrustList } from '../src/trust/trust-list.js';
import { entryAddresses } from '../src/directory/address.js';
import { candidatesFromAttributes } from '../src/directory/candidates.js';
import { CompositeDirectory } from '../src/directory/composite.js';
import { resolveCertificate, type ResolvedCertificate } from '../src/directory/select.js';
import type { CertificateDirectory, DirectoryEntry, LookupOptions } from '../src/directory/types.js';

/** A person as the API returns it: certificate attribute values in base64. */
interface ApiPerson {
  id: string;
  displayName?: string;
  mail?: string;
  /** Exchange style: `SMTP:primary@…`, `smtp:alias@…`. */
  proxyAddresses?: string[];
  userCertificate?: string[];
  userSMIMECertificate?: string[];
}

function base64(text: string, name: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw new DirectoryError('directory-bad-response', `${name}: a certificate value is not base64`);
  }
}

/** An address book served over HTTP: `GET {base}people?address=…&secondary=true|false`. */
export class HttpAddressBook implements CertificateDirectory {
  readonly name: string;

  constructor(
    private readonly baseUrl: string,
    private readonly options: { name?: string; token?: string; fetch?: typeof fetch } = {},
  ) {
    this.name = options.name ?? baseUrl;
  }

  async lookup(address: string, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    const url = new URL('people', this.baseUrl);
    url.searchParams.set('address', address);
    // The server matches mail and proxyAddresses (local part exact, domain case-insensitive).
    url.searchParams.set('secondary', String(options.secondaryAddresses !== false));
    const response = await this.get(url, options.signal);
    const body = (await response.json().catch(() => undefined)) as { value?: ApiPerson[] } | undefined;
    if (!Array.isArray(body?.value))
      throw new DirectoryError('directory-bad-response', `${this.name}: the answer has no "value" array`);
    return body.value.map((person) => this.toEntry(person));
  }

  private async get(url: URL, signal: AbortSignal | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, { headers, ...(signal ? { signal } : {}) });
    } catch (e) {
      if (signal?.aborted)
        throw new DirectoryError('directory-timeout', `${this.name}: the lookup was aborted`, { cause: e });
      throw new DirectoryError('directory-unreachable', `${this.name}: ${(e as Error).message}`, { cause: e });
    }
    if (response.status === 401 || response.status === 403)
      throw new DirectoryError('directory-auth-failed', `${this.name}: HTTP ${response.status}`);
    if (!response.ok) throw new DirectoryError('directory-bad-response', `${this.name}: HTTP ${response.status}`);
    return response;
  }

  private toEntry(person: ApiPerson): DirectoryEntry {
    const { primary, addresses } = entryAddresses(person.mail ? [person.mail] : [], person.proxyAddresses ?? []);
    // smimekit decodes both attributes (DER, CMS SignedData, Outlook's binary form) and keeps what it cannot read.
    const { candidates, unreadable } = candidatesFromAttributes(
      { directory: this.name, entry: person.id },
      {
        userSMIMECertificate: (person.userSMIMECertificate ?? []).map((v) => base64(v, this.name)),
        userCertificate: (person.userCertificate ?? []).map((v) => base64(v, this.name)),
      },
    );
    const entry: DirectoryEntry = {
      directory: this.name,
      id: person.id,
      kind: 'person',
      addresses,
      candidates,
      unreadable,
    };
    if (primary) entry.address = primary;
    if (person.displayName) entry.displayName = person.displayName;
    return entry;
  }
}

/** Searching it with the other address books: the certificate to encrypt to, or why there is none. */
export async function findEncryptionCertificate(
  address: string,
  apiUrl: string,
  others: CertificateDirectory[],
  trust: TrustList,
  at?: Date,
): Promise<ResolvedCertificate> {
  const books = new CompositeDirectory([
    { directory: new HttpAddressBook(apiUrl, { name: 'People API' }), timeoutMs: 3000 },
    ...others,
  ]);
  const result = await resolveCertificate(address, { directory: books, trust, ...(at ? { at } : {}) });
  for (const s of result.sources)
    if (s.status !== 'ok') console.warn(`${s.directory}: ${s.status} (${s.error?.message})`);
  return result;
}
