/**
 * CompositeDirectory (parallel lookups, per-directory time limits, partial failures) and
 * resolveCertificate (validation against the trust list, Outlook's selection rule), with real
 * certificates issued by test/helpers/pki.ts.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryError, SmimeError } from '../../src/errors.js';
import { abortError } from '../../src/directory/abort.js';
import { CompositeDirectory } from '../../src/directory/composite.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import { resolveCertificate, type ValidationCache } from '../../src/directory/select.js';
import type { CertificateDirectory, DirectoryEntry, LookupOptions } from '../../src/directory/types.js';
import {
  buildOutlookSecuritySettings,
  buildUserSmimeCertificate,
} from '../../src/directory/user-smime-certificate-build.js';
import type { TrustList } from '../../src/trust/trust-list.js';
import { PKI_AT, chainsIntermediate, issueUser, makeCa, trustListFromChains, type IssuedUser } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-composite-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rejects every lookup with `error`. */
class FailingDirectory implements CertificateDirectory {
  constructor(
    readonly name: string,
    private readonly error: unknown,
  ) {}
  async lookup(): Promise<DirectoryEntry[]> {
    throw this.error;
  }
}

/** Never answers; rejects only when its signal aborts. Keeps the signals it was given. */
class HangingDirectory implements CertificateDirectory {
  readonly signals: AbortSignal[] = [];
  readonly calledAt: number[] = [];
  constructor(readonly name: string) {}
  lookup(_address: string, options: LookupOptions = {}): Promise<DirectoryEntry[]> {
    const signal = options.signal!;
    this.signals.push(signal);
    this.calledAt.push(Date.now());
    return new Promise((_resolve, reject) =>
      signal.addEventListener('abort', () => reject(abortError(signal, this.name)), { once: true }),
    );
  }
}

/** Never answers and ignores its signal: the composite must cut it off anyway. */
class DeafDirectory implements CertificateDirectory {
  closed = false;
  constructor(readonly name: string) {}
  lookup(): Promise<DirectoryEntry[]> {
    return new Promise(() => {});
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof SmimeError ? e.code : `not a SmimeError: ${String(e)}`),
  );

let trust: TrustList;
type Name =
  | 'alice'
  | 'bobOld'
  | 'bobNew'
  | 'erinExpired'
  | 'erin'
  | 'dave'
  | 'eveServer'
  | 'eveSignOnly'
  | 'peggy'
  | 'carol'
  | 'frankExpired'
  | 'frank';
const u = {} as Record<Name, IssuedUser>;

beforeAll(async () => {
  // Root and intermediate, as a tenant SST lists them: userCertificate values carry no chain.
  trust = trustListFromChains({ intermediates: true });
  const at = (s: string) => new Date(`${s}T00:00:00Z`);
  u.alice = await issueUser(dir, { name: 'Alice', email: 'alice@example.test' });
  u.bobOld = await issueUser(dir, {
    name: 'Bob old',
    email: 'bob@example.test',
    notBefore: at('2025-03-01'),
    notAfter: at('2030-01-01'),
  });
  u.bobNew = await issueUser(dir, {
    name: 'Bob new',
    email: 'bob@example.test',
    notBefore: at('2026-01-01'),
    notAfter: at('2031-01-01'),
  });
  u.erinExpired = await issueUser(dir, {
    name: 'Erin expired',
    email: 'erin@example.test',
    notBefore: at('2020-01-01'),
    notAfter: at('2021-01-01'),
  });
  u.erin = await issueUser(dir, { name: 'Erin', email: 'erin@example.test' });
  u.dave = await issueUser(dir, { name: 'Dave', email: 'dave@example.test', issuer: makeCa(dir, 'Rogue CA') });
  u.eveServer = await issueUser(dir, { name: 'Eve server', email: 'eve@example.test', eku: ['serverAuth'] });
  u.eveSignOnly = await issueUser(dir, {
    name: 'Eve sign-only',
    email: 'eve@example.test',
    keyUsage: ['digitalSignature', 'nonRepudiation'],
  });
  u.peggy = await issueUser(dir, { name: 'Peggy', email: 'peggy@example.test', keyType: 'p256' });
  u.carol = await issueUser(dir, { name: 'Carol', email: 'carol@example.test' });
  u.frankExpired = await issueUser(dir, {
    name: 'Frank expired',
    email: 'frank@example.test',
    notBefore: at('2020-01-01'),
    notAfter: at('2021-01-01'),
  });
  u.frank = await issueUser(dir, { name: 'Frank', email: 'frank@example.test' });
});

describe('CompositeDirectory', () => {
  it('queries every directory in parallel: one throwing and three hanging ones do not stop the healthy one', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'alice@example.test', userCertificate: [u.alice.certificate] });
    const hanging = new HangingDirectory('Partner LDAP');
    const hanging2 = new HangingDirectory('Partner LDAP 2');
    const books = new CompositeDirectory(
      [
        new FailingDirectory('Broken', new DirectoryError('directory-unreachable', 'connection refused')),
        hanging,
        new DeafDirectory('Deaf'),
        hanging2,
        gal,
      ],
      { timeoutMs: 250 },
    );
    const started = Date.now();
    const { entries, sources } = await books.search('alice@example.test');
    const elapsed = Date.now() - started;
    expect(entries.map((e) => [e.directory, e.address])).toEqual([['GAL', 'alice@example.test']]);
    expect(sources.map((s) => [s.directory, s.status, s.error?.code])).toEqual([
      ['Broken', 'error', 'directory-unreachable'],
      ['Partner LDAP', 'timeout', 'directory-timeout'],
      ['Deaf', 'timeout', 'directory-timeout'],
      ['Partner LDAP 2', 'timeout', 'directory-timeout'],
      ['GAL', 'ok', undefined],
    ]);
    expect(sources[1]!.error!.message).toMatch(/did not answer within 250 ms/);
    expect(sources[4]!.entries).toBe(1);
    // Parallel: the second hanging directory was asked at once, not after the first one's 250 ms.
    expect(hanging2.calledAt[0]! - hanging.calledAt[0]!).toBeLessThan(200);
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(3000);
    expect(hanging.signals[0]!.aborted && hanging2.signals[0]!.aborted).toBe(true);
  });

  it('takes a per-directory time limit, and reports what a third-party directory threw as directory-bad-response', async () => {
    const slow: CertificateDirectory = { name: 'Slow', lookup: () => new Promise((r) => setTimeout(() => r([]), 150)) };
    const patient: CertificateDirectory = {
      name: 'Patient',
      lookup: () => new Promise((r) => setTimeout(() => r([]), 150)),
    };
    const books = new CompositeDirectory(
      [{ directory: slow, timeoutMs: 50 }, patient, new FailingDirectory('Odd', new TypeError('fetch failed'))],
      { timeoutMs: 1000 },
    );
    const { sources } = await books.search('x@example.test');
    expect(sources.map((s) => [s.status, s.error?.code])).toEqual([
      ['timeout', 'directory-timeout'],
      ['ok', undefined],
      ['error', 'directory-bad-response'],
    ]);
    expect(sources[2]!.error!.message).toBe('Odd: fetch failed');
  });

  it('lookup() merges entries in directory order; it rejects only when no directory answered', async () => {
    const a = new MemoryDirectory({ name: 'A' });
    const b = new MemoryDirectory({ name: 'B' });
    a.add({ id: 'a1', mail: 'bob@example.test', userCertificate: [u.bobOld.certificate] });
    b.add({ id: 'b1', mail: 'bob@EXAMPLE.test', userCertificate: [u.bobNew.certificate] });
    const books = new CompositeDirectory([
      a,
      new FailingDirectory('Down', new DirectoryError('directory-auth-failed', 'bad password')),
      b,
    ]);
    expect((await books.lookup('bob@example.test')).map((e) => `${e.directory}/${e.id}`)).toEqual(['A/a1', 'B/b1']);
    const down = new CompositeDirectory([
      new FailingDirectory('Down', new DirectoryError('directory-auth-failed', 'bad password')),
    ]);
    expect(await codeOf(down.lookup('bob@example.test'))).toBe('directory-auth-failed');
    expect(await codeOf(books.search('not an address'))).toBe('bad-address');
  });

  it('refuses duplicate names, no directories and bad time limits', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'ok';
      } catch (e) {
        return (e as SmimeError).code;
      }
    };
    expect(
      code(() => new CompositeDirectory([new MemoryDirectory({ name: 'GAL' }), new MemoryDirectory({ name: 'GAL' })])),
    ).toBe('bad-argument');
    expect(code(() => new CompositeDirectory([]))).toBe('bad-argument');
    expect(code(() => new CompositeDirectory([new MemoryDirectory()], { timeoutMs: Number.NaN }))).toBe('bad-argument');
    expect(code(() => new CompositeDirectory([{ directory: new MemoryDirectory(), timeoutMs: -1 }]))).toBe(
      'bad-argument',
    );
  });

  it('asks the directory that returned a group for its members; close() closes every directory', async () => {
    const a = new MemoryDirectory({ name: 'A' });
    const b = new MemoryDirectory({ name: 'B' });
    a.add({ id: 'alice', mail: 'alice@example.test' });
    b.add({ id: 'alice', mail: 'alice.b@example.test' });
    b.addGroup({ id: 'team', mail: 'team@example.test', members: ['alice'] });
    const deaf = new DeafDirectory('Deaf');
    const books = new CompositeDirectory([a, b, deaf], { timeoutMs: 100 });
    const [team] = await books.lookup('team@example.test');
    expect((await books.members(team!)).map((m) => `${m.directory}/${m.address}`)).toEqual(['B/alice.b@example.test']);
    expect(await codeOf(books.members({ ...team!, directory: 'Elsewhere' }))).toBe('bad-argument');
    await books.close();
    expect(deaf.closed).toBe(true);
  });

  it('routes members() through a nested composite, and says so when a directory cannot list members', async () => {
    const b = new MemoryDirectory({ name: 'B' });
    b.add({ id: 'bob', mail: 'bob@example.test' });
    b.addGroup({ id: 'team', mail: 'team@example.test', members: ['bob'] });
    const outer = new CompositeDirectory([
      new CompositeDirectory([new MemoryDirectory({ name: 'A' }), b], { name: 'Inner' }),
    ]);
    const [team] = await outer.lookup('team@example.test');
    expect(team!.directory).toBe('B');
    expect((await outer.members(team!)).map((m) => m.address)).toEqual(['bob@example.test']);
    const listless: CertificateDirectory = {
      name: 'Listless',
      lookup: async () => [{ ...team!, directory: 'Listless' }],
    };
    const books = new CompositeDirectory([listless]);
    const [group] = await books.lookup('team@example.test');
    expect(await codeOf(books.members(group!))).toBe('directory-bad-response');
  });

  it("the caller's abort rejects the search at once and aborts every directory's signal", async () => {
    const hanging = new HangingDirectory('Hanging');
    const books = new CompositeDirectory([hanging, new MemoryDirectory({ name: 'GAL' })], { timeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await books.search('alice@example.test', { signal: controller.signal }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(DirectoryError);
    expect((error as DirectoryError).code).toBe('directory-timeout');
    expect((error as DirectoryError).details.sources).toMatchObject([
      { directory: 'Hanging', status: 'aborted' },
      { directory: 'GAL', status: 'ok' },
    ]);
    expect(hanging.signals[0]!.aborted).toBe(true);
    // Already aborted: nothing is asked.
    expect(await codeOf(books.search('alice@example.test', { signal: AbortSignal.abort() }))).toBe('directory-timeout');
    expect(hanging.signals).toHaveLength(1);
  });
});

describe('resolveCertificate: validation against the trust list and the selection rule', () => {
  const resolve = (address: string, directory: CertificateDirectory | CertificateDirectory[], extra: object = {}) =>
    resolveCertificate(address, { directory, trust, at: PKI_AT, ...extra });

  it('de-duplicates a certificate published in several directories, keeping every source and validating it once', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    const contacts = new MemoryDirectory({ name: 'Contacts' });
    gal.add({ id: 'cn=alice', mail: 'alice@example.test', userCertificate: [u.alice.certificate] });
    contacts.add({ id: 'c-1', mail: 'alice@example.test', userCertificate: [u.alice.certPem] });
    const cache: ValidationCache = new Map();
    const r = await resolve('alice@example.test', [gal, contacts], { validationCache: cache });
    expect(r.certificate).toEqual(u.alice.certificate);
    expect(r.candidates).toHaveLength(1);
    expect(r.candidates[0]!.sources).toEqual([
      { directory: 'GAL', entry: 'cn=alice', attribute: 'userCertificate' },
      { directory: 'Contacts', entry: 'c-1', attribute: 'userCertificate' },
    ]);
    expect(r.chosen).toMatchObject({ chosen: true, valid: true, subject: expect.stringContaining('Alice') });
    expect(r.reason).toBe('valid certificate in userCertificate');
    expect(cache.size).toBe(1);
    expect(r.sources.map((s) => s.status)).toEqual(['ok', 'ok']);
  });

  it('the default (preferred) certificate of userSMIMECertificate beats a newer one, as in Outlook', async () => {
    const value = await buildUserSmimeCertificate(u.bobOld.identity, {
      chain: [u.bobNew.certificate, chainsIntermediate().certificate],
    });
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'bob@example.test', userSMIMECertificate: [value] });
    const r = await resolve('bob@example.test', gal);
    expect(r.certificate).toEqual(u.bobOld.certificate);
    expect(r.chosen!.reason).toBe('default certificate in userSMIMECertificate');
    const loser = r.candidates.find((c) => !c.chosen)!;
    expect(loser.candidate.certificate).toEqual(u.bobNew.certificate);
    expect(loser).toMatchObject({
      valid: true,
      reason: 'not chosen: default certificate in userSMIMECertificate preferred',
    });
  });

  it('without a default, the newer valid certificate wins; an expired one is rejected with its code', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'bob@example.test', userCertificate: [u.bobOld.certificate, u.bobNew.certificate] });
    gal.add({ mail: 'erin@example.test', userCertificate: [u.erinExpired.certificate, u.erin.certificate] });
    const bob = await resolve('bob@example.test', gal);
    expect(bob.certificate).toEqual(u.bobNew.certificate);
    expect(bob.candidates.find((c) => !c.chosen)!.reason).toBe('not chosen: newer certificate preferred');
    const erin = await resolve('erin@example.test', gal);
    expect(erin.certificate).toEqual(u.erin.certificate);
    const expired = erin.candidates.find((c) => !c.valid)!;
    expect(expired.problems.map((p) => p.code)).toEqual(['expired']);
    expect(expired.reason).toBe('rejected: expired on 2021-01-01 (expired)');
  });

  it('rejects a certificate from a CA missing from the trust list (untrusted-root), wrong EKU (bad-eku) and signature-only keys (bad-key-usage)', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'dave@example.test', userCertificate: [u.dave.certificate] });
    gal.add({ mail: 'eve@example.test', userCertificate: [u.eveServer.certificate, u.eveSignOnly.certificate] });
    const dave = await resolve('dave@example.test', gal);
    expect(dave.missing).toBe('no-valid-certificate');
    expect(dave.candidates[0]!.problems.map((p) => p.code)).toEqual(['untrusted-root']);
    expect(dave.reason).toBe(
      'no valid certificate: CN=Dave,O=smimekit test,C=XX: rejected: does not chain to a certificate in the trust list (untrusted-root)',
    );
    const eve = await resolve('eve@example.test', gal);
    expect(eve.missing).toBe('no-valid-certificate');
    expect(eve.candidates.map((c) => c.problems.map((p) => p.code))).toEqual([['bad-eku'], ['bad-key-usage']]);
    expect(eve.candidates[1]!.reason).toBe('rejected: its key usage does not allow encryption (bad-key-usage)');
  });

  it("uses the chain published with a candidate, and the caller's intermediates, to reach a root-only trust list", async () => {
    const rootOnly = trustListFromChains();
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'bob@example.test', userSMIMECertificate: [await buildUserSmimeCertificate(u.bobOld.identity)] });
    gal.add({ mail: 'alice@example.test', userCertificate: [u.alice.certificate] });
    expect((await resolve('bob@example.test', gal, { trust: rootOnly })).certificate).toEqual(u.bobOld.certificate);
    const bare = await resolve('alice@example.test', gal, { trust: rootOnly });
    expect(bare.candidates[0]!.problems.map((p) => p.code)).toEqual(['untrusted-root']);
    expect(
      (await resolve('alice@example.test', gal, { trust: rootOnly, intermediates: [chainsIntermediate().certificate] }))
        .certificate,
    ).toEqual(u.alice.certificate);
  });

  it('accepts a P-256 certificate with keyAgreement', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'peggy@example.test', userCertificate: [u.peggy.certificate] });
    expect((await resolve('peggy@example.test', gal)).certificate).toEqual(u.peggy.certificate);
  });

  it("fallback: a stale userSMIMECertificate hides a valid userCertificate only with 'when-empty' (Outlook)", async () => {
    const stale = await buildUserSmimeCertificate(u.frankExpired.identity);
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'frank@example.test', userSMIMECertificate: [stale], userCertificate: [u.frank.certificate] });
    const lenient = await resolve('frank@example.test', gal);
    expect(lenient.certificate).toEqual(u.frank.certificate);
    expect(lenient.chosen!.reason).toBe(
      'valid certificate in userCertificate (no valid certificate in userSMIMECertificate)',
    );
    const outlook = await resolve('frank@example.test', gal, { fallback: 'when-empty' });
    expect(outlook.certificate).toBeUndefined();
    expect(outlook.missing).toBe('no-valid-certificate');
    expect(outlook.candidates.find((c) => c.valid)!.reason).toMatch(/not empty \(fallback 'when-empty'/);
    // With an empty userSMIMECertificate both modes use userCertificate.
    const plain = new MemoryDirectory({ name: 'GAL' });
    plain.add({ mail: 'frank@example.test', userCertificate: [u.frank.certificate] });
    expect((await resolve('frank@example.test', plain, { fallback: 'when-empty' })).certificate).toEqual(
      u.frank.certificate,
    );
    expect(await codeOf(resolve('frank@example.test', plain, { fallback: 'sometimes' }))).toBe('bad-argument');
  });

  it('a valid userSMIMECertificate certificate comes before a newer valid userCertificate one', async () => {
    // Outlook's binary form with only a signing certificate: published, but not marked as the default.
    const value = buildOutlookSecuritySettings({ signCertificate: u.bobOld.certificate });
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'bob@example.test', userSMIMECertificate: [value], userCertificate: [u.bobNew.certificate] });
    const r = await resolve('bob@example.test', gal);
    expect(r.certificate).toEqual(u.bobOld.certificate);
    expect(r.chosen!.reason).toBe('first valid certificate in userSMIMECertificate');
    expect(r.candidates.find((c) => !c.chosen)!.reason).toBe(
      'not chosen: userSMIMECertificate certificates come before userCertificate',
    );
  });

  it('secondary proxy addresses: found and accepted when on, not found when off', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({
      mail: 'carol@example.test',
      proxyAddresses: ['SMTP:carol@example.test', 'smtp:c.alias@example.test'],
      userCertificate: [u.carol.certificate],
    });
    const on = await resolve('c.alias@example.test', gal);
    expect(on.certificate).toEqual(u.carol.certificate);
    expect(on.reason).toBe(
      'valid certificate in userCertificate; it names carol@example.test, another address of the same entry',
    );
    const off = await resolve('c.alias@example.test', gal, { secondaryAddresses: false });
    expect(off.missing).toBe('not-found');
    expect(off.reason).toBe('no address book has an entry for this address');
    // A directory answering loosely (another person's entry) cannot vouch for that person's addresses.
    const loose: CertificateDirectory = {
      name: 'Loose',
      lookup: (a) => gal.lookup(a === 'bob@example.test' ? 'carol@example.test' : a),
    };
    expect((await resolve('bob@example.test', loose)).candidates[0]!.problems.map((p) => p.code)).toEqual([
      'email-mismatch',
    ]);
    // A certificate for an address the entry does not have stays email-mismatch.
    const other = new MemoryDirectory({ name: 'GAL' });
    other.add({ mail: 'c.alias@example.test', userCertificate: [u.carol.certificate] });
    expect((await resolve('c.alias@example.test', other)).candidates[0]!.problems.map((p) => p.code)).toEqual([
      'email-mismatch',
    ]);
  });

  it('says why nothing was found: no entry, an entry without certificates, directories that failed', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'nocert@example.test' });
    expect((await resolve('nobody@example.test', gal)).missing).toBe('not-found');
    const nocert = await resolve('nocert@example.test', gal);
    expect([nocert.missing, nocert.reason]).toEqual(['no-certificate', 'the address book entry has no certificate']);
    const down = await resolve('alice@example.test', [
      new FailingDirectory('GAL', new DirectoryError('directory-unreachable', 'refused')),
    ]);
    expect(down.missing).toBe('directory-error');
    expect(down.reason).toBe('no certificate found and address books failed: GAL: error (directory-unreachable)');
  });

  it('a single hanging directory is cut off by timeoutMs; an abort rejects', async () => {
    const gal = new MemoryDirectory({ name: 'GAL' });
    gal.add({ mail: 'alice@example.test', userCertificate: [u.alice.certificate] });
    const r = await resolve('alice@example.test', [new HangingDirectory('Hanging'), gal], { timeoutMs: 100 });
    expect(r.certificate).toEqual(u.alice.certificate);
    expect(r.sources.map((s) => s.status)).toEqual(['timeout', 'ok']);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    expect(
      await codeOf(
        resolve('alice@example.test', [new HangingDirectory('Hanging'), gal], { signal: controller.signal }),
      ),
    ).toBe('directory-timeout');
  });
});
