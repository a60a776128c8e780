/**
 * The "Write your own directory" example of docs/address-books.md is real code: examples/custom-directory.ts,
 * run here against a local HTTP server, and shown verbatim in the guide.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDirectory } from '../../src/directory/memory.js';
import { sameAddress } from '../../src/directory/address.js';
import { resolveCertificate } from '../../src/directory/select.js';
import { toBase64 } from '../../src/util/bytes.js';
import { HttpAddressBook, findEncryptionCertificate } from '../../examples/custom-directory.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { PKI_AT, chainsSst, issueUser, type IssuedUser } from '../helpers/pki.js';
import { repoRoot } from '../helpers/vectors.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-docs-example-');
let server: Server;
let base: string;
let bob: IssuedUser;
let carol: IssuedUser;
// The tenant trust list as Exchange Online exports it: an SST with the root and the intermediate.
const trust = TrustList.fromBytes(chainsSst({ intermediates: true }));

beforeAll(async () => {
  bob = await issueUser(dir, { name: 'Bob', email: 'bob@contoso.test' });
  carol = await issueUser(dir, { name: 'Carol', email: 'carol@fabrikam.test', keyType: 'p256' });
  const people = [
    {
      id: 'u-1',
      displayName: 'Bob',
      mail: 'bob@contoso.test',
      proxyAddresses: ['SMTP:bob@contoso.test', 'smtp:robert@contoso.test'],
      userCertificate: [toBase64(bob.certificate)],
    },
  ];
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (req.headers.authorization === 'Bearer wrong') return void res.writeHead(401).end();
    const address = url.searchParams.get('address')!;
    const secondary = url.searchParams.get('secondary') === 'true';
    const value = people.filter(
      (p) =>
        sameAddress(p.mail, address) || (secondary && p.proxyAddresses.some((x) => sameAddress(x.slice(5), address))),
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/custom-directory.ts', () => {
  it('finds a person over HTTP, with mail and proxy addresses, and decodes its certificates', async () => {
    const book = new HttpAddressBook(base, { name: 'People API' });
    const [entry] = await book.lookup('robert@contoso.test');
    expect(entry).toMatchObject({
      directory: 'People API',
      id: 'u-1',
      kind: 'person',
      address: 'bob@contoso.test',
      addresses: ['bob@contoso.test', 'robert@contoso.test'],
    });
    expect(entry!.candidates.map((c) => [c.attribute, c.certificate])).toEqual([['userCertificate', bob.certificate]]);
    expect(await book.lookup('robert@contoso.test', { secondaryAddresses: false })).toEqual([]);
  });

  it('is searched with the other address books and its certificate validated against the trust list', async () => {
    const contacts = new MemoryDirectory({ name: 'Contacts' });
    contacts.add({ mail: 'carol@fabrikam.test', userCertificate: [carol.certificate] });
    const found = await findEncryptionCertificate('bob@contoso.test', base, [contacts], trust, PKI_AT);
    expect(found.certificate).toEqual(bob.certificate);
    expect(found.sources.map((s) => [s.directory, s.status])).toEqual([
      ['People API', 'ok'],
      ['Contacts', 'ok'],
    ]);
    expect(
      (await findEncryptionCertificate('carol@fabrikam.test', base, [contacts], trust, PKI_AT)).chosen!.candidate
        .directory,
    ).toBe('Contacts');
  });

  it('failures are typed DirectoryErrors, reported per directory', async () => {
    const refused = new HttpAddressBook(base, { name: 'Refused', token: 'wrong' });
    const closed = new HttpAddressBook('http://127.0.0.1:1/', { name: 'Closed' });
    const r = await resolveCertificate('bob@contoso.test', {
      directory: [refused, closed, new HttpAddressBook(base, { name: 'People API' })],
      trust,
      at: PKI_AT,
    });
    expect(r.sources.map((s) => [s.directory, s.status, s.error?.code])).toEqual([
      ['Refused', 'error', 'directory-auth-failed'],
      ['Closed', 'error', 'directory-unreachable'],
      ['People API', 'ok', undefined],
    ]);
    expect(r.certificate).toEqual(bob.certificate);
  });

  it('docs/address-books.md shows the example verbatim', () => {
    const code = (text: string) =>
      text
        .replace(/^\/\*\*[\s\S]*?\*\/\n/, '') // the file's own header comment
        .split('\n')
        .filter((line) => !line.startsWith('import '))
        .join('\n')
        .trim();
    const example = readFileSync(join(repoRoot, 'examples', 'custom-directory.ts'), 'utf8');
    const doc = readFileSync(join(repoRoot, 'docs', 'address-books.md'), 'utf8');
    const block = /<!-- example: examples\/custom-directory\.ts -->\s*```ts\n([\s\S]*?)```/.exec(doc);
    expect(block, 'the guide marks the example block').not.toBeNull();
    expect(code(block![1]!)).toBe(code(example));
    expect(block![1]).toMatch(/^import [^\n]* from 'smimekit';$/m);
  });
});
