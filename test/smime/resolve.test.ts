/**
 * resolveRecipients: many addresses at once, distribution lists (nested, cyclic, slow), bounded
 * concurrency, and assertAllResolved naming everyone without a usable certificate. Real
 * certificates from test/helpers/pki.ts, real MemoryDirectory address books.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateMissingError, SmimeError } from '../../src/errors.js';
import { abortError } from '../../src/directory/abort.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import type { CertificateDirectory, DirectoryEntry, LookupOptions } from '../../src/directory/types.js';
import { assertAllResolved, resolveRecipients, type ResolveRecipientsResult } from '../../src/smime/resolve.js';
import type { TrustList } from '../../src/trust/trust-list.js';
import { PKI_AT, issueUser, trustListFromChains, type IssuedUser } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-resolve-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let trust: TrustList;
const u: Record<string, IssuedUser> = {};
let gal: MemoryDirectory;

beforeAll(async () => {
  trust = trustListFromChains({ intermediates: true });
  for (const name of ['alice', 'bob', 'carol', 'dan'])
    u[name] = await issueUser(dir, { name, email: `${name}@example.test` });
  u.partner = await issueUser(dir, { name: 'partner', email: 'partner@fabrikam.test' });
  gal = new MemoryDirectory({ name: 'GAL' });
  for (const name of ['alice', 'bob', 'carol', 'dan'])
    gal.add({ id: name, mail: `${name}@example.test`, userCertificate: [u[name]!.certificate] });
  gal.add({ id: 'nocert', mail: 'nocert@example.test', displayName: 'No Cert' });
  gal.add({ id: 'room-1', displayName: 'Room 1' }); // a member without an address
  gal.addGroup({ id: 'team', mail: 'team@example.test', members: ['alice', 'sub@example.test'] });
  gal.addGroup({ id: 'sub', mail: 'sub@example.test', members: ['bob', 'nocert'] });
  gal.addGroup({ id: 'loop', mail: 'loop@example.test', members: ['loop', 'carol', 'loop2'] });
  gal.addGroup({ id: 'loop2', mail: 'loop2@example.test', members: ['loop', 'dan'] });
  gal.addGroup({ id: 'rooms', mail: 'rooms@example.test', members: ['room-1', 'alice'] });
});

const options = (extra: object = {}) => ({ directory: [gal], trust, at: PKI_AT, ...extra });
const thrown = (fn: () => void): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
};

/** A GAL-like directory whose distribution list never finishes listing its members (unless aborted). */
class SlowListDirectory implements CertificateDirectory {
  readonly name = 'Slow GAL';
  async lookup(address: string): Promise<DirectoryEntry[]> {
    if (address !== 'big@example.test') return [];
    return [
      {
        directory: this.name,
        id: 'big',
        kind: 'group',
        address,
        addresses: [address],
        candidates: [],
        unreadable: [],
        members: [{ ref: 'x' }],
      },
    ];
  }
  members(_group: DirectoryEntry, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    const signal = options.signal!;
    return new Promise((_resolve, reject) =>
      signal.addEventListener('abort', () => reject(abortError(signal, this.name)), { once: true }),
    );
  }
}

describe('resolveRecipients', () => {
  it('resolves each address once (domain case-insensitive), in the order given', async () => {
    const r = await resolveRecipients(
      ['bob@example.test', 'alice@EXAMPLE.test', 'bob@Example.Test', 'alice@example.test'],
      options(),
    );
    expect(r.recipients.map((x) => x.address)).toEqual(['bob@example.test', 'alice@EXAMPLE.test']);
    expect(r.recipients.map((x) => x.certificate)).toEqual([u.bob!.certificate, u.alice!.certificate]);
    expect(r.recipients.map((x) => x.via)).toEqual([[], []]);
    expect([r.groups, r.missing]).toEqual([[], []]);
    expect(() => assertAllResolved(r)).not.toThrow();
  });

  it('expands nested lists; a member without a certificate is named in recipient-certificate-missing', async () => {
    const r = await resolveRecipients(['team@example.test', 'carol@example.test'], options());
    const by = new Map(r.recipients.map((x) => [x.address, x]));
    expect([...by.keys()].sort()).toEqual([
      'alice@example.test',
      'bob@example.test',
      'carol@example.test',
      'nocert@example.test',
    ]);
    expect(by.get('carol@example.test')!.via).toEqual([]);
    expect(by.get('alice@example.test')!.via).toEqual(['team@example.test']);
    expect(by.get('bob@example.test')!.via).toEqual(['team@example.test', 'sub@example.test']);
    expect(by.get('bob@example.test')!.certificate).toEqual(u.bob!.certificate);
    expect(r.groups.map((g) => [g.address, g.members, g.via])).toEqual([
      ['team@example.test', ['alice@example.test', 'sub@example.test'], []],
      ['sub@example.test', ['bob@example.test', 'nocert@example.test'], ['team@example.test']],
    ]);
    expect(r.missing).toEqual(['nocert@example.test']);
    const error = thrown(() => assertAllResolved(r));
    expect(error).toBeInstanceOf(CertificateMissingError);
    expect((error as CertificateMissingError).code).toBe('recipient-certificate-missing');
    expect((error as CertificateMissingError).details).toEqual({
      addresses: ['nocert@example.test'],
      reasons: {
        'nocert@example.test':
          'the address book entry has no certificate (member of team@example.test > sub@example.test)',
      },
    });
    expect((error as Error).message).toContain('nocert@example.test (the address book entry has no certificate');
  });

  it('names every address without a certificate, not only the first, and never drops one', async () => {
    const r = await resolveRecipients(['nobody@example.test', 'alice@example.test', 'nocert@example.test'], options());
    expect(r.missing).toEqual(['nobody@example.test', 'nocert@example.test']);
    const error = thrown(() => assertAllResolved(r)) as CertificateMissingError;
    expect(error.details.addresses).toEqual(['nobody@example.test', 'nocert@example.test']);
    expect((error.details.reasons as Record<string, string>)['nobody@example.test']).toBe(
      'no address book has an entry for this address',
    );
    // Results merged from several calls (one per message copy) still name each address once.
    const twice = thrown(() =>
      assertAllResolved({ recipients: [...r.recipients, ...r.recipients] }),
    ) as CertificateMissingError;
    expect(twice.details.addresses).toEqual(['nobody@example.test', 'nocert@example.test']);
  });

  it('a list containing itself (directly and through another list) terminates, each list expanded once', async () => {
    const r = await resolveRecipients(['loop@example.test'], options());
    expect(r.groups.map((g) => g.address)).toEqual(['loop@example.test', 'loop2@example.test']);
    expect(r.recipients.map((x) => [x.address, x.via])).toEqual([
      ['carol@example.test', ['loop@example.test']],
      ['dan@example.test', ['loop@example.test', 'loop2@example.test']],
    ]);
    expect(r.missing).toEqual([]);
  });

  it('a member without an e-mail address is reported on its list and by assertAllResolved', async () => {
    const r = await resolveRecipients(['rooms@example.test'], options());
    expect(r.groups).toEqual([
      { address: 'rooms@example.test', members: ['alice@example.test'], via: [], unaddressable: ['Room 1 (room-1)'] },
    ]);
    expect(r.missing).toEqual([]);
    const error = thrown(() => assertAllResolved(r)) as CertificateMissingError;
    expect(error.details.addresses).toEqual(['rooms@example.test']);
    expect(error.message).toContain('members without an e-mail address: Room 1 (room-1)');
  });

  it('a member the list names but its directory does not return is resolved elsewhere by address, or reported', async () => {
    const contacts = new MemoryDirectory({ name: 'Contacts' });
    contacts.add({ mail: 'partner@fabrikam.test', userCertificate: [u.partner!.certificate] });
    const book = new MemoryDirectory({ name: 'GAL' });
    book.add({ id: 'alice', mail: 'alice@example.test', userCertificate: [u.alice!.certificate] });
    book.addGroup({
      id: 'ext',
      mail: 'ext@example.test',
      members: ['alice', 'partner@fabrikam.test', 'cn=ghost,dc=example'],
    });
    // MemoryDirectory returns placeholders for references it cannot find; an LDAP server may just leave them out.
    const dropping: CertificateDirectory = {
      name: 'GAL',
      lookup: (a, o) => book.lookup(a, o),
      members: async (g, o) => (await book.members(g, o)).filter((m) => m.candidates.length > 0),
    };
    for (const gal of [book, dropping]) {
      const r = await resolveRecipients(['ext@example.test'], { directory: [gal, contacts], trust, at: PKI_AT });
      const recipients = r.recipients.map((x) => [x.address, x.certificate !== undefined, x.via]).sort();
      expect(recipients).toEqual([
        ['alice@example.test', true, ['ext@example.test']],
        ['partner@fabrikam.test', true, ['ext@example.test']],
      ]);
      expect(r.groups[0]!.unaddressable).toHaveLength(1);
      expect(r.groups[0]!.unaddressable[0]).toMatch(/^cn=ghost,dc=example/);
      expect((thrown(() => assertAllResolved(r)) as CertificateMissingError).details.addresses).toEqual([
        'ext@example.test',
      ]);
    }
  });

  it('stops expansion at groupExpansionTimeoutMs with directory-timeout on the list, and still resolves the rest', async () => {
    const started = Date.now();
    const r = await resolveRecipients(['big@example.test', 'alice@example.test'], {
      directory: [new SlowListDirectory(), gal],
      trust,
      at: PKI_AT,
      groupExpansionTimeoutMs: 150,
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.recipients.map((x) => [x.address, x.certificate !== undefined])).toEqual([['alice@example.test', true]]);
    const big = r.groups[0]!;
    expect(big.address).toBe('big@example.test');
    expect(big.error).toBeInstanceOf(SmimeError);
    expect(big.error!.code).toBe('directory-timeout');
    expect(big.error!.message).toMatch(/expansion stopped after 150 ms/);
    const error = thrown(() => assertAllResolved(r)) as CertificateMissingError;
    expect(error.details.addresses).toEqual(['big@example.test']);
  });

  it('bounds concurrent lookups', async () => {
    let active = 0;
    let peak = 0;
    const counting: CertificateDirectory = {
      name: 'Counting',
      lookup: async () => {
        peak = Math.max(peak, ++active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        return [];
      },
    };
    const addresses = Array.from({ length: 9 }, (_, i) => `user${i}@example.test`);
    const r = await resolveRecipients(addresses, { directory: counting, trust, at: PKI_AT, concurrency: 2 });
    expect(peak).toBe(2);
    expect(r.missing).toEqual(addresses);
    expect(r.recipients.every((x) => x.missing === 'not-found')).toBe(true);
  });

  it('secondary proxy addresses on and off', async () => {
    const book = new MemoryDirectory({ name: 'GAL' });
    book.add({
      mail: 'alice@example.test',
      proxyAddresses: ['SMTP:alice@example.test', 'smtp:ali@example.test'],
      userCertificate: [u.alice!.certificate],
    });
    const on: ResolveRecipientsResult = await resolveRecipients(['ali@example.test'], {
      directory: book,
      trust,
      at: PKI_AT,
    });
    expect(on.recipients[0]!.certificate).toEqual(u.alice!.certificate);
    const off = await resolveRecipients(['ali@example.test'], {
      directory: book,
      trust,
      at: PKI_AT,
      secondaryAddresses: false,
    });
    expect(off.missing).toEqual(['ali@example.test']);
  });

  it('an abort rejects the whole call; bad input is refused before any lookup', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await resolveRecipients(['big@example.test'], {
      directory: [new SlowListDirectory()],
      trust,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect((error as SmimeError).code).toBe('directory-timeout');
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: SmimeError) => e.code,
      );
    expect(await code(resolveRecipients(['alice@example.test', 'not an address'], options()))).toBe('bad-address');
    expect(await code(resolveRecipients(['alice@example.test'], options({ concurrency: 0 })))).toBe('bad-argument');
    expect(await code(resolveRecipients(['alice@example.test'], options({ trust: undefined })))).toBe('bad-argument');
  });
});
