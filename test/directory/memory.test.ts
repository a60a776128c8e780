/**
 * MemoryDirectory: GAL lookup rules (mail and proxy addresses, exact local part, case-insensitive domain,
 * secondary addresses on request), certificate files (PEM, DER, SST, .p7b, Outlook blobs) and LDIF exports
 * with groups loaded into it, cancellation, copies that cannot change it, and 10,000-entry speed.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryError, SmimeError } from '../../src/errors.js';
import { toBase64, utf8 } from '../../src/util/bytes.js';
import { createSst } from '../../src/sst/create.js';
import { serializeSst } from '../../src/sst/serialize.js';
import { formatLdifEntry, userSmimeCertificateLdif } from '../../src/directory/ldif-write.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import {
  buildOutlookSecuritySettings,
  buildUserSmimeCertificate,
} from '../../src/directory/user-smime-certificate-build.js';
import { certDer, chainFile, identity, openssl, type TestIdentity } from '../cms/fixtures.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let rsa: TestIdentity;
let p256: TestIdentity;
const intermediate = certDer('intermediate.pem');
const root = certDer('root.pem');
const p384 = certDer('ee-p384.pem');
beforeAll(async () => {
  rsa = await identity('ee-rsa');
  p256 = await identity('ee-p256');
});

async function errorOf(fn: () => unknown): Promise<SmimeError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof SmimeError) return e;
    throw new Error(`not a SmimeError: ${String(e)}`, { cause: e });
  }
  throw new Error('did not throw');
}

const pemOf = (...files: string[]) => files.map((f) => readFileSync(chainFile(f), 'latin1')).join('');

describe('lookup', () => {
  const gal = () => {
    const d = new MemoryDirectory({ name: 'GAL' });
    d.add({
      id: 'rsa',
      displayName: 'Rsa User',
      mail: 'Rsa.User@Example.Test',
      proxyAddresses: ['SMTP:Rsa.User@example.test', 'smtp:alias@example.test', 'X500:/o=Org/cn=rsa'],
      userCertificate: [rsa.certificate],
    });
    d.add({
      id: 'p256',
      mail: 'p256.user@example.test',
      proxyAddresses: ['smtp:P256@Example.Test'],
      certificates: [readFileSync(chainFile('ee-p256.pem'), 'latin1')],
    });
    return d;
  };

  it('matches mail and primary/secondary proxy addresses: exact local part, any case of domain', async () => {
    const d = gal();
    expect(d.name).toBe('GAL');
    expect(new MemoryDirectory().name).toBe('memory');
    const [e] = await d.lookup('Rsa.User@EXAMPLE.TEST');
    expect(e).toMatchObject({
      directory: 'GAL',
      id: 'rsa',
      kind: 'person',
      displayName: 'Rsa User',
      address: 'Rsa.User@Example.Test',
      addresses: ['Rsa.User@Example.Test', 'alias@example.test'],
    });
    expect(e!.candidates.map((c) => [c.directory, c.entry, c.attribute, c.format])).toEqual([
      ['GAL', 'rsa', 'userCertificate', 'der'],
    ]);
    expect(e!.candidates[0]!.certificate).toEqual(rsa.certificate);
    expect(await d.lookup('rsa.user@example.test')).toEqual([]); // local part is exact
    expect((await d.lookup('alias@EXAMPLE.test')).map((x) => x.id)).toEqual(['rsa']);
    expect((await d.lookup('P256@example.test')).map((x) => x.id)).toEqual(['p256']);
    expect(await d.lookup('p256@example.test')).toEqual([]);
    // PEM text passed as a certificate is decoded.
    expect((await d.lookup('p256.user@example.test'))[0]!.candidates[0]!.certificate).toEqual(p256.certificate);
    expect(await d.lookup('nobody@example.test')).toEqual([]);
    expect((await errorOf(() => d.lookup('not an address'))).code).toBe('bad-address');
  });

  it('secondaryAddresses: false leaves secondary proxy addresses out, primary ones still match', async () => {
    const d = gal();
    expect(await d.lookup('alias@example.test', { secondaryAddresses: false })).toEqual([]);
    expect(await d.lookup('P256@example.test', { secondaryAddresses: false })).toEqual([]);
    expect(await d.lookup('Rsa.User@example.test', { secondaryAddresses: false })).toHaveLength(1);
  });

  it('returns copies: nothing a caller changes reaches the directory', async () => {
    const d = gal();
    const certificates = [rsa.certificate.slice()];
    d.add({ id: 'x', mail: 'x@example.test', userCertificate: certificates });
    certificates[0]![0] = 0; // the caller's input array and bytes are not kept either
    d.addGroup({ id: 'team', mail: 'team@example.test', members: ['rsa'] });
    const [e] = await d.lookup('Rsa.User@example.test');
    e!.addresses.push('evil@example.test');
    e!.candidates[0]!.certificate[0] = 0;
    e!.candidates[0]!.raw[1] = 0;
    e!.candidates[0]!.chain.push(root);
    e!.candidates.push(e!.candidates[0]!);
    e!.unreadable.push({ attribute: 'userCertificate', valueIndex: 9, code: 'x', message: 'x' });
    const [team] = await d.lookup('team@example.test');
    team!.members!.push({ ref: 'x' });
    team!.members![0]!.ref = 'p256';
    const [again] = await d.lookup('Rsa.User@example.test');
    expect(again!.addresses).toEqual(['Rsa.User@Example.Test', 'alias@example.test']);
    expect(again!.candidates).toHaveLength(1);
    expect(again!.candidates[0]!.certificate).toEqual(rsa.certificate);
    expect(again!.candidates[0]!.raw).toEqual(rsa.certificate);
    expect(again!.candidates[0]!.chain).toEqual([]);
    expect(again!.unreadable).toEqual([]);
    expect(await d.lookup('evil@example.test')).toEqual([]);
    expect((await d.lookup('x@example.test'))[0]!.candidates[0]!.certificate).toEqual(rsa.certificate);
    expect((await d.lookup('team@example.test'))[0]!.members).toEqual([
      { ref: 'rsa', address: 'Rsa.User@Example.Test' },
    ]);
  });

  it('rejects at once when the signal is aborted: its reason when typed, else directory-timeout', async () => {
    const d = gal();
    const plain = await errorOf(() => d.lookup('Rsa.User@example.test', { signal: AbortSignal.abort() }));
    expect(plain).toBeInstanceOf(DirectoryError);
    expect(plain.code).toBe('directory-timeout');
    const reason = new DirectoryError('directory-unreachable', 'gone');
    expect(await errorOf(() => d.lookup('Rsa.User@example.test', { signal: AbortSignal.abort(reason) }))).toBe(reason);
    const timeout = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect((await errorOf(() => d.lookup('Rsa.User@example.test', { signal: timeout }))).code).toBe(
      'directory-timeout',
    );
    const team = d.addGroup({ mail: 'team@example.test', members: ['rsa'] });
    expect((await errorOf(() => d.members(team, { signal: AbortSignal.abort() }))).code).toBe('directory-timeout');
  });

  it('add checks addresses and ids, keeps undecodable certificates as unreadable', async () => {
    const d = new MemoryDirectory();
    expect((await errorOf(() => d.add({ mail: 'no at sign' }))).code).toBe('bad-address');
    expect((await errorOf(() => d.add({ proxyAddresses: ['SMTP:bad address@example.test'] }))).code).toBe(
      'bad-address',
    );
    d.add({ id: 'entry-1', mail: 'first@example.test' });
    const generated = d.add({
      mail: 'second@example.test',
      userCertificate: [Uint8Array.of(0x30, 0x03, 1, 2, 3), 'not PEM at all'],
    });
    expect(generated.id).toBe('entry-2');
    expect(generated.candidates).toEqual([]);
    expect(generated.unreadable.map((u) => [u.attribute, u.valueIndex])).toEqual([
      ['userCertificate', 0],
      ['userCertificate', 1],
    ]);
    expect((await errorOf(() => d.add({ id: 'entry-1', mail: 'third@example.test' }))).code).toBe('bad-argument');
    expect(d.size).toBe(2);
  });
});

describe('load: certificate files', () => {
  it("PEM bundle: one entry under the certificate's address, CA certificates as its chain, the rest reported", () => {
    const d = new MemoryDirectory();
    const r = d.load(pemOf('ee-rsa.pem', 'intermediate.pem', 'root.pem', 'intermediate.crl.pem', 'ee-rsa.key'));
    expect(r.format).toBe('certificates');
    expect(r.added.map((e) => [e.address, e.kind, e.candidates.length])).toEqual([
      ['rsa.user@example.test', 'person', 1],
    ]);
    expect(r.added[0]!.candidates[0]!.chain).toEqual([intermediate, root]);
    expect(r.skipped.map((s) => s.code)).toEqual(['ca-certificate', 'ca-certificate', 'crl', 'ignored-pem-block']);
    expect(r.skipped[0]!.item).toContain('Intermediate');
  });

  it('DER, base64, SST (createSst) and .p7b (openssl crl2pkcs7, DER and PEM) load the same way', async () => {
    const p7bFile = (outform: string) =>
      openssl([
        'crl2pkcs7',
        '-nocrl',
        '-certfile',
        chainFile('ee-rsa.pem'),
        '-certfile',
        chainFile('intermediate.pem'),
        '-outform',
        outform,
      ]);
    const der = p7bFile('DER');
    const pem = p7bFile('PEM');
    expect(der.status, der.stderr).toBe(0);
    const sst = serializeSst(createSst([p256.certificate, rsa.certificate, intermediate]));
    writeFileSync(join(dir, 'bundle.sst'), sst);
    const inputs: [string, Uint8Array | string, string[]][] = [
      ['der', rsa.certificate, ['rsa.user@example.test']],
      ['base64', toBase64(rsa.certificate), ['rsa.user@example.test']],
      ['sst', readFileSync(join(dir, 'bundle.sst')), ['p256.user@example.test', 'rsa.user@example.test']],
      ['p7b der', new Uint8Array(der.stdout), ['rsa.user@example.test']],
      ['p7b pem', pem.stdout.toString(), ['rsa.user@example.test']],
    ];
    for (const [what, input, addresses] of inputs) {
      const d = new MemoryDirectory();
      const r = d.load(input);
      expect([r.format, r.added.map((e) => e.address)], what).toEqual(['certificates', addresses]);
      for (const a of addresses) expect(await d.lookup(a), `${what} ${a}`).toHaveLength(1);
      if (what !== 'der' && what !== 'base64') expect(r.added[0]!.candidates[0]!.chain, what).toEqual([intermediate]);
    }
  });

  it('with an address: one entry holding every end-entity certificate; without: certificates lacking an address are skipped', async () => {
    const d = new MemoryDirectory({ name: 'Contacts' });
    const sst = serializeSst(createSst([p256.certificate, p384, root]));
    const r = d.load(sst, { address: 'Pat@Example.test', displayName: 'Pat' });
    expect(r.added).toHaveLength(1);
    expect(r.added[0]).toMatchObject({ address: 'Pat@Example.test', displayName: 'Pat' });
    expect(r.added[0]!.candidates.map((c) => c.certificate)).toEqual([p256.certificate, p384]);
    expect((await d.lookup('Pat@example.TEST'))[0]!.id).toBe(r.added[0]!.id);
    const noEmail = d.load(pemOf('inter-not-ca.pem', 'intermediate.pem'));
    expect(noEmail.added).toEqual([]);
    expect(noEmail.skipped.map((s) => s.code)).toEqual(['ca-certificate', 'no-address']);
    expect((await errorOf(() => d.load(rsa.certificate, { address: 'not an address' }))).code).toBe('bad-address');
  });

  it('Outlook userSMIMECertificate values, both forms (DER or base64), and refuses what it cannot read', async () => {
    const d = new MemoryDirectory();
    const signed = await buildUserSmimeCertificate(rsa, { chain: [intermediate] });
    for (const input of [signed, toBase64(signed)]) {
      const r = new MemoryDirectory().load(input);
      expect(r.format).toBe('user-smime-certificate');
      expect(r.added.map((e) => e.address)).toEqual(['rsa.user@example.test']);
      expect(r.added[0]!.candidates[0]).toMatchObject({
        attribute: 'userSMIMECertificate',
        format: 'signed-data',
        preferred: true,
        chain: [intermediate],
      });
    }
    const tlv = buildOutlookSecuritySettings({
      keyExchangeCertificate: p256.certificate,
      signCertificate: p256.certificate,
      displayName: 'Pat',
    });
    const fromTlv = d.load(tlv);
    expect(fromTlv.added[0]).toMatchObject({ address: 'p256.user@example.test', displayName: 'Pat' });
    expect(fromTlv.added[0]!.candidates[0]).toMatchObject({ format: 'outlook-tlv', preferred: true });
    expect(d.load(tlv, { address: 'carol@fabrikam.test', displayName: 'Carol' }).added[0]).toMatchObject({
      address: 'carol@fabrikam.test',
      displayName: 'Carol',
    });
    expect((await errorOf(() => d.load(Uint8Array.of(0xff, 0xfe, 0, 1)))).code).toBe('unsupported-format');
    expect((await errorOf(() => d.load('hello world'))).code).toBe('unsupported-format');
    expect(
      (await errorOf(() => d.load(Uint8Array.of(0xff, 0xfe, 0, 1), { format: 'user-smime-certificate' }))).code,
    ).toBe('malformed-user-smime-certificate');
    expect((await errorOf(() => d.load('dn: cn=a\nmail: a@example.test\n', { format: 'certificates' }))).code).toBe(
      'unsupported-format',
    );
  });
});

describe('load: LDIF exports', () => {
  const base = 'DC=example,DC=test';
  let export_: string;
  beforeAll(async () => {
    const smimeValue = await buildUserSmimeCertificate(p256, { chain: [intermediate] });
    export_ = [
      '# ldifde -f gal.ldf -r "(|(objectClass=user)(objectClass=group)(objectClass=organizationalUnit))"',
      formatLdifEntry(
        `OU=Users,${base}`,
        { objectClass: ['top', 'organizationalUnit'], ou: ['Users'] },
        { changetype: true },
      ),
      formatLdifEntry(
        `CN=Rsa User,OU=Users,${base}`,
        {
          objectClass: ['top', 'person', 'user'],
          cn: ['Rsa User'],
          displayName: ['Rsa Üser'],
          mail: ['rsa.user@example.test'],
          proxyAddresses: ['SMTP:rsa.user@example.test', 'smtp:rsa@example.test', 'SMTP:not an address'],
          userCertificate: [rsa.certificate],
        },
        { changetype: true },
      ),
      formatLdifEntry(
        `CN=P256 User,OU=Users,${base}`,
        {
          objectClass: ['top', 'person', 'user'],
          cn: ['P256 User'],
          mail: ['p256.user@example.test'],
          'userSMIMECertificate;binary': [smimeValue],
        },
        { changetype: true },
      ),
      formatLdifEntry(
        `CN=No Cert,OU=Users,${base}`,
        { objectClass: ['user'], cn: ['No Cert'], mail: ['nocert@example.test'] },
        { changetype: true },
      ),
      // Member DNs written with other case and spacing than the entries' own DNs, as servers do.
      formatLdifEntry(
        `CN=Team,OU=Groups,${base}`,
        {
          objectClass: ['top', 'group'],
          cn: ['Team'],
          mail: ['team@example.test'],
          proxyAddresses: ['SMTP:team@example.test', 'smtp:all@example.test'],
          member: [
            'cn=rsa user, ou=users, dc=example, dc=test',
            `CN=Inner,OU=Groups,${base}`,
            `CN=Gone,OU=Users,${base}`,
          ],
        },
        { changetype: true },
      ),
      // A nested list without an address (reachable only through Team), groupOfUniqueNames with a UID suffix.
      formatLdifEntry(
        `CN=Inner,OU=Groups,${base}`,
        {
          objectClass: ['groupOfUniqueNames'],
          cn: ['Inner'],
          uniqueMember: [`CN=P256 User,OU=Users,${base}#'0101'B`, `CN=No Cert,OU=Users,${base}`],
        },
        { changetype: true },
      ),
      userSmimeCertificateLdif(`CN=Rsa User,OU=Users,${base}`, rsa.certificate),
    ]
      .join('\n')
      .replace(/\n/g, '\r\n');
  });

  it('a record with an empty DN (the root DSE) is skipped with its reason, not an argument error', () => {
    const d = new MemoryDirectory({ name: 'GAL export' });
    const r = d.load('dn:\nmail: a@example.com\n\ndn: CN=A,DC=example,DC=com\nmail: a@example.com\n');
    expect(r.skipped.map((s) => [s.code, s.item])).toEqual([['not-an-entry', 'line 1']]);
    expect(r.added.map((e) => e.id)).toEqual(['CN=A,DC=example,DC=com']);
  });

  it('a DN with long runs of whitespace inside loads in linear time (a fuzzer finding: a regex backtracked)', () => {
    const runs = Array.from({ length: 200 }, () => `${'\t'.repeat(1_000)}x`).join('');
    const d = new MemoryDirectory({ name: 'GAL export' });
    const t0 = performance.now();
    const r = d.load(`dn: CN=Bob,DC=contoso,DC=com${runs}\nmail: bob@contoso.com\n`);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(r.added.map((e) => e.address)).toEqual(['bob@contoso.com']);
  });

  it('adds people and groups, and says what it skipped', async () => {
    const d = new MemoryDirectory({ name: 'GAL export' });
    const r = d.load(utf8(export_));
    expect(r.format).toBe('ldif');
    expect(r.added.map((e) => [e.kind, e.id, e.address])).toEqual([
      ['person', `CN=Rsa User,OU=Users,${base}`, 'rsa.user@example.test'],
      ['person', `CN=P256 User,OU=Users,${base}`, 'p256.user@example.test'],
      ['person', `CN=No Cert,OU=Users,${base}`, 'nocert@example.test'],
      ['group', `CN=Team,OU=Groups,${base}`, 'team@example.test'],
      ['group', `CN=Inner,OU=Groups,${base}`, undefined],
    ]);
    expect(r.skipped.map((s) => [s.code, s.item])).toEqual([
      ['not-an-entry', `OU=Users,${base}`],
      ['bad-address', `CN=Rsa User,OU=Users,${base}`],
      ['change-record', `CN=Rsa User,OU=Users,${base}`],
    ]);
    const [rsaEntry] = await d.lookup('rsa@example.test');
    expect(rsaEntry).toMatchObject({
      displayName: 'Rsa Üser',
      addresses: ['rsa.user@example.test', 'rsa@example.test'],
    });
    expect(rsaEntry!.candidates[0]).toMatchObject({
      directory: 'GAL export',
      attribute: 'userCertificate',
      entry: `CN=Rsa User,OU=Users,${base}`,
    });
    const [p] = await d.lookup('p256.user@example.test');
    expect(p!.candidates[0]).toMatchObject({
      attribute: 'userSMIMECertificate',
      format: 'signed-data',
      preferred: true,
      chain: [intermediate],
    });
    expect(p!.candidates[0]!.certificate).toEqual(p256.certificate);
    // Loading the same export again adds nothing.
    const again = d.load(export_);
    expect(again.added).toEqual([]);
    expect(again.skipped.filter((s) => s.code === 'duplicate-entry')).toHaveLength(5);
  });

  it('expands groups and nested groups by DN; unknown members are left out of members() and listed as missing', async () => {
    const d = MemoryDirectory.fromLdif(export_, { name: 'GAL export' });
    expect(d.size).toBe(5);
    const [team] = await d.lookup('all@EXAMPLE.test');
    expect(team!.kind).toBe('group');
    expect(team!.members).toEqual([
      { ref: `CN=Rsa User,OU=Users,${base}`, address: 'rsa.user@example.test' },
      { ref: `CN=Inner,OU=Groups,${base}` },
      { ref: `CN=Gone,OU=Users,${base}` },
    ]);
    const members = await d.members(team!);
    expect(members.map((m) => [m.kind, m.id])).toEqual([
      ['person', `CN=Rsa User,OU=Users,${base}`],
      ['group', `CN=Inner,OU=Groups,${base}`],
    ]);
    expect(d.expandMembers(team!).missing).toEqual([`CN=Gone,OU=Users,${base}`]);
    expect((await d.members(members[1]!)).map((m) => m.address)).toEqual([
      'p256.user@example.test',
      'nocert@example.test',
    ]);
    expect(await d.lookup('team@example.test', { secondaryAddresses: false })).toHaveLength(1);
  });

  it('addGroup: members by id or address, resolved when read, so they may come later', async () => {
    const d = new MemoryDirectory();
    d.addGroup({
      id: 'list',
      mail: 'list@example.test',
      members: ['bob', 'Carol@EXAMPLE.test', 'list', 'dan@example.test'],
    });
    d.add({ id: 'bob', mail: 'bob@example.test' });
    d.add({ id: 'carol', mail: 'Carol@example.test' });
    const [list] = await d.lookup('list@example.test');
    expect(list!.members).toEqual([
      { ref: 'bob', address: 'bob@example.test' },
      { ref: 'carol', address: 'Carol@example.test' },
      { ref: 'list', address: 'list@example.test' },
      { ref: 'dan@example.test', address: 'dan@example.test' },
    ]);
    expect((await d.members(list!)).map((m) => m.id)).toEqual(['bob', 'carol', 'list']); // a list may contain itself; callers stop the loop
    expect(d.expandMembers(list!).missing).toEqual(['dan@example.test']);
    expect(
      (await errorOf(() => d.addGroup({ mail: 'x@example.test', members: 'bob' as unknown as string[] }))).code,
    ).toBe('bad-argument');
  });
});

describe('scale', () => {
  it('answers lookups over 10,000 entries quickly (figure printed, not asserted tightly)', async () => {
    const d = new MemoryDirectory({ name: 'big' });
    let started = performance.now();
    for (let i = 0; i < 10_000; i++)
      d.add({
        id: `u${i}`,
        mail: `user${i}@example.test`,
        proxyAddresses: [`smtp:u${i}@alias.example.test`],
        userCertificate: [rsa.certificate],
      });
    const addMs = performance.now() - started;
    started = performance.now();
    let found = 0;
    for (let i = 0; i < 10_000; i++) found += (await d.lookup(`user${(i * 7919) % 10_000}@EXAMPLE.test`)).length;
    const lookupMs = performance.now() - started;
    console.log(
      `MemoryDirectory, 10,000 entries with a certificate each: added in ${addMs.toFixed(0)} ms; 10,000 lookups in ${lookupMs.toFixed(0)} ms (${((lookupMs * 1000) / 10_000).toFixed(1)} µs each)`,
    );
    expect(found).toBe(10_000);
    expect((await d.lookup('u9999@alias.example.test'))[0]!.id).toBe('u9999');
    expect(lookupMs).toBeLessThan(10_000);
  });
});
