/**
 * LdapDirectory against a real OpenLDAP slapd: Active Directory and inetOrgPerson filters, proxy addresses, filter
 * injection, binds, TLS (ldaps:// and StartTLS, wrong CA refused), a server that goes away and comes back (with and
 * without a failed lookup in between), a server that never answers, abort, concurrency, groups, and connection
 * reuse over 1,000 lookups.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryError, SmimeError } from '../../src/errors.js';
import { buildFilter, escapeFilterValue } from '../../src/directory/ldap-filter.js';
import { LdapDirectory, type LdapDirectoryOptions } from '../../src/directory/ldap.js';
import { formatLdifEntry } from '../../src/directory/ldif-write.js';
import { decodePem } from '../../src/util/pem.js';
import { certDer, chainFile } from '../cms/fixtures.js';
import { describeWithSlapd, startSlapd, type Slapd } from '../helpers/slapd.js';

const BASE = 'dc=contoso,dc=test';
const MANY = 1_000;
const dn = (cn: string, ou = 'people') => `cn=${cn},ou=${ou},${BASE}`;

async function failure(promise: Promise<unknown>): Promise<SmimeError | undefined> {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof SmimeError)) throw new Error(`not a SmimeError: ${String(e)}`, { cause: e });
    return e;
  }
  return undefined;
}
const codeOf = async (promise: Promise<unknown>) => (await failure(promise))?.code;

/** A certs-only SignedData (what `openssl crl2pkcs7` writes) holding ee-p256 and its intermediate. */
function certsOnlySignedData(): Uint8Array {
  const r = spawnSync('openssl', [
    'crl2pkcs7',
    '-nocrl',
    '-certfile',
    chainFile('ee-p256.pem'),
    '-certfile',
    chainFile('intermediate.pem'),
    '-outform',
    'DER',
  ]);
  if (r.status !== 0) throw new Error(`openssl crl2pkcs7 failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

/** A loopback server that accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; close(): void }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `ldap://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('RFC 4515 filters', () => {
  it('escapeFilterValue escapes the specials, control characters and every non-ASCII byte', () => {
    expect(escapeFilterValue('a*b(c)d\\e\u0000')).toBe('a\\2ab\\28c\\29d\\5ce\\00');
    expect(escapeFilterValue('jürgen@example.test')).toBe('j\\c3\\bcrgen@example.test');
    expect(escapeFilterValue('jürgen*', { nonAscii: 'keep' })).toBe('jürgen\\2a');
    expect(escapeFilterValue('\\2a')).toBe('\\5c2a');
  });
  it('buildFilter escapes {address}, {local} and {domain}, and refuses templates without a placeholder', () => {
    expect(buildFilter('(|(mail={address})(uid={local}))', 'x*)(mail=*@d')).toBe(
      '(|(mail=x\\2a\\29\\28mail=\\2a@d)(uid=x\\2a\\29\\28mail=\\2a))',
    );
    expect(buildFilter('(&(mail={address})(c={domain}))', 'a@B(')).toBe('(&(mail=a@B\\28)(c=B\\28))');
    expect(() => buildFilter('(mail=x)', 'a@b')).toThrow(/placeholder/);
    expect(() => buildFilter('(mail={address}', 'a@b')).toThrow(/parenthesised/);
  });
  it('LdapDirectory refuses a bad url, TLS twice, or a filter ldapts cannot parse, when it is made', () => {
    const make = (o: Partial<LdapDirectoryOptions>) => () =>
      new LdapDirectory({ url: 'ldap://127.0.0.1:1', baseDn: BASE, ...o });
    expect(make({ url: 'http://x' })).toThrow(/ldap:\/\//);
    expect(make({ url: 'ldap://[bad' })).toThrow(/not a valid URL/);
    expect(make({ url: 'ldaps://x', startTls: true })).toThrow(/startTls/);
    expect(make({ filter: '(mail{address})' })).toThrow(/not a valid filter/);
    expect(make({ bindDn: 'cn=x' })).toThrow(/password/);
    expect(new LdapDirectory({ url: 'ldap://u:secret@h:389', baseDn: BASE }).name).toBe(`ldap://h:389 ${BASE}`);
  });
});

describeWithSlapd('LdapDirectory on a real slapd', () => {
  let slapd: Slapd;
  const dirs: LdapDirectory[] = [];
  const open = (o: Partial<LdapDirectoryOptions> = {}) => {
    const d = new LdapDirectory({ url: slapd.url, baseDn: BASE, schema: 'inetOrgPerson', timeoutMs: 3_000, ...o });
    dirs.push(d);
    return d;
  };
  const ad = (o: Partial<LdapDirectoryOptions> = {}) => open({ schema: 'ad', ...o });
  const p7 = certsOnlySignedData();

  beforeAll(async () => {
    const person = (cn: string, attrs: Record<string, (string | Uint8Array)[]>, ou = 'people') =>
      formatLdifEntry(dn(cn, ou), {
        objectClass: ['inetOrgPerson', 'smimekitMailRecipient'],
        cn: [cn],
        sn: [cn],
        ...attrs,
      });
    const entries = [
      ...['people', 'restricted', 'tls'].map((ou) =>
        formatLdifEntry(`ou=${ou},${BASE}`, { objectClass: ['organizationalUnit'], ou: [ou] }),
      ),
      person('Rsa User', {
        mail: ['rsa.user@example.test'],
        proxyAddresses: ['SMTP:rsa.user@example.test', 'smtp:r.user@example.test'],
        'userCertificate;binary': [certDer('ee-rsa.pem')],
      }),
      person('P256 User', {
        mail: ['p256.user@example.test'],
        userSMIMECertificate: [p7],
        'userCertificate;binary': [certDer('ee-p256.pem')],
        userPassword: ['p256-secret'],
      }),
      person('Secret User', { mail: ['secret@example.test'] }, 'restricted'),
      person('Tls User', { mail: ['tls@example.test'] }, 'tls'),
      // Active Directory shapes: a user with primary, secondary, non-ASCII and X500 proxies; a contact known only by proxy; a group.
      formatLdifEntry(dn('Ad User'), {
        objectClass: ['user'],
        cn: ['Ad User'],
        sn: ['User'],
        displayName: ['Ad User (IT)'],
        mail: ['Ad.User@contoso.test'],
        proxyAddresses: [
          'SMTP:Ad.User@contoso.test',
          'smtp:ad.alias@contoso.test',
          'smtp:jürgen@contoso.test',
          'X500:/o=Contoso/cn=aduser',
        ],
      }),
      formatLdifEntry(dn('Partner'), {
        objectClass: ['contact'],
        cn: ['Partner'],
        sn: ['Partner'],
        proxyAddresses: ['SMTP:partner@fabrikam.test'],
      }),
      formatLdifEntry(dn('AD Team'), {
        objectClass: ['group'],
        cn: ['AD Team'],
        mail: ['ad.team@contoso.test'],
        proxyAddresses: ['SMTP:ad.team@contoso.test'],
        member: [dn('Ad User'), dn('Partner')],
      }),
      formatLdifEntry(`cn=inner,${BASE}`, {
        objectClass: ['groupOfNames', 'smimekitMailRecipient'],
        cn: ['inner'],
        mail: ['inner@example.test'],
        member: [dn('P256 User')],
      }),
      formatLdifEntry(`cn=team,${BASE}`, {
        objectClass: ['groupOfNames', 'smimekitMailRecipient'],
        cn: ['team'],
        mail: ['team@example.test'],
        member: [dn('Rsa User'), `cn=inner,${BASE}`, `cn=team,${BASE}`, `cn=gone,${BASE}`],
      }),
      ...Array.from({ length: MANY }, (_, i) =>
        formatLdifEntry(dn(`user${i}`), {
          objectClass: ['user'],
          cn: [`user${i}`],
          sn: ['bulk'],
          mail: [`user${i}@bulk.test`],
          proxyAddresses: [`SMTP:user${i}@bulk.test`],
        }),
      ),
    ];
    const acl = [
      `access to dn.subtree="ou=restricted,${BASE}" by users read by * none`,
      `access to dn.subtree="ou=tls,${BASE}" by tls_ssf=128 read by * none`,
    ];
    slapd = await startSlapd({ baseDn: BASE, entries: entries.join('\n'), acl });
  });

  afterAll(async () => {
    for (const d of dirs) await d.close();
    await slapd?.dispose();
  });

  it('Active Directory filter: mail, SMTP:/smtp: proxies (not with secondaryAddresses: false), domain case, contacts, non-ASCII', async () => {
    const d = ad();
    const [user] = await d.lookup('Ad.User@CONTOSO.TEST');
    expect(user).toMatchObject({
      kind: 'person',
      id: dn('Ad User'),
      address: 'Ad.User@contoso.test',
      displayName: 'Ad User (IT)',
    });
    expect(user!.addresses).toEqual(['Ad.User@contoso.test', 'ad.alias@contoso.test', 'jürgen@contoso.test']);
    // The filter asks for smtp:, AD (and this schema) compare case-insensitively, so the SMTP: primary matches too.
    expect((await d.lookup('partner@fabrikam.test', { secondaryAddresses: false })).map((e) => e.id)).toEqual([
      dn('Partner'),
    ]);
    expect((await d.lookup('ad.alias@contoso.test')).map((e) => e.id)).toEqual([dn('Ad User')]);
    expect(await d.lookup('ad.alias@contoso.test', { secondaryAddresses: false })).toEqual([]);
    // Non-ASCII reaches the server as the right UTF-8 bytes.
    expect((await d.lookup('jürgen@contoso.test')).map((e) => e.id)).toEqual([dn('Ad User')]);
    expect(await d.lookup('jurgen@contoso.test')).toEqual([]);
    // The server matches the local part case-insensitively; the client-side check keeps it exact (RFC 8550).
    expect(await d.lookup('ad.user@contoso.test')).toEqual([]);
    const [group] = await d.lookup('ad.team@contoso.test');
    expect(group).toMatchObject({ kind: 'group', members: [{ ref: dn('Ad User') }, { ref: dn('Partner') }] });
    expect((await d.members(group!)).map((m) => [m.kind, m.address])).toEqual([
      ['person', 'Ad.User@contoso.test'],
      ['person', 'partner@fabrikam.test'],
    ]);
  });

  it('inetOrgPerson filter and certificates: userSMIMECertificate (SignedData) first, then userCertificate', async () => {
    const d = open({ filter: '(|(mail={address})(proxyAddresses=smtp:{address}))' });
    const [rsa] = await d.lookup('rsa.user@EXAMPLE.test');
    expect(rsa).toMatchObject({
      kind: 'person',
      address: 'rsa.user@example.test',
      displayName: 'Rsa User',
      id: dn('Rsa User'),
      unreadable: [],
    });
    expect(rsa!.candidates.map((c) => [c.attribute, c.format, c.entry])).toEqual([
      ['userCertificate', 'der', dn('Rsa User')],
    ]);
    expect(rsa!.candidates[0]!.certificate).toEqual(certDer('ee-rsa.pem'));
    expect((await d.lookup('r.user@example.test')).map((e) => e.id)).toEqual([dn('Rsa User')]);
    expect(await d.lookup('r.user@example.test', { secondaryAddresses: false })).toEqual([]);
    // OpenLDAP (like AD) has userSMIMECertificate as plain binary, no ;binary option: both names are read as one attribute.
    const [p256] = await d.lookup('p256.user@example.test');
    expect(p256!.unreadable).toEqual([]);
    expect(p256!.candidates.map((c) => [c.attribute, c.format, c.valueIndex])).toEqual([
      ['userSMIMECertificate', 'signed-data', 0],
      ['userCertificate', 'der', 0],
    ]);
    expect(p256!.candidates[0]!.certificate).toEqual(certDer('ee-p256.pem'));
    expect(p256!.candidates[0]!.chain).toEqual([certDer('intermediate.pem')]);
    expect(p256!.candidates[0]!.raw).toEqual(p7);
    expect(await d.lookup('nobody@example.test')).toEqual([]);
  });

  it('injection attempts return exactly what they should, with either filter', async () => {
    for (const d of [open(), ad()]) {
      const hostile = [
        '*@bulk.test',
        'user1*@bulk.test',
        '*)(mail=*@bulk.test',
        'x)(mail=*@bulk.test',
        'user1@bulk.test)(|(mail=*',
        'user\\2a@bulk.test',
        'user1\\00@bulk.test',
        `${'a'.repeat(1_000)}@bulk.test`,
        'üser1@bulk.test',
        'user1@bulk.test\\',
      ];
      for (const address of hostile) expect(await d.lookup(address), address).toEqual([]);
      // Not mailboxes: refused before any query.
      for (const address of ['*', ')(mail=*', 'user1\u0000@bulk.test', `${'a'.repeat(10_000)}@bulk.test`])
        expect(await codeOf(d.lookup(address)), address.slice(0, 20)).toBe('bad-address');
      // One exact match among the 1,000 a wildcard would have returned (user1, not user10..user199).
      expect((await d.lookup('user1@bulk.test')).map((e) => e.id)).toEqual([dn('user1')]);
    }
  });

  it('anonymous and simple binds; a wrong password is directory-auth-failed and never shown', async () => {
    expect(await open().lookup('secret@example.test')).toEqual([]); // the ACL hides it from anonymous binds
    expect(
      await open({ bindDn: slapd.adminDn, password: slapd.adminPassword }).lookup('secret@example.test'),
    ).toHaveLength(1);
    expect(await open({ bindDn: dn('P256 User'), password: 'p256-secret' }).lookup('secret@example.test')).toHaveLength(
      1,
    );
    const err = await failure(
      open({ bindDn: slapd.adminDn, password: 'wrong-pw-123' }).lookup('p256.user@example.test'),
    );
    expect(err).toBeInstanceOf(DirectoryError);
    expect(err!.code).toBe('directory-auth-failed');
    expect(err!.details).toEqual({ directory: `${slapd.url} ${BASE}`, url: slapd.url });
    expect(`${err!.message} ${JSON.stringify(err!.details)}`).not.toContain('wrong-pw-123');
  });

  it('ldaps:// and StartTLS with the right CA (PEM or DER) work; a wrong or missing CA is directory-unreachable', async () => {
    expect(await open({ url: slapd.ldapsUrl, ca: [slapd.caPem] }).lookup('tls@example.test')).toHaveLength(1);
    expect(
      await open({ url: slapd.ldapsUrl, ca: [decodePem(slapd.caPem)[0]!.der] }).lookup('tls@example.test'),
    ).toHaveLength(1);
    expect(await open({ startTls: true, ca: [slapd.caPem] }).lookup('tls@example.test')).toHaveLength(1);
    expect(await open().lookup('tls@example.test')).toEqual([]); // the ACL wants TLS
    for (const o of [
      { url: slapd.ldapsUrl, ca: [slapd.otherCaPem] },
      { startTls: true, ca: [slapd.otherCaPem] },
      { url: slapd.ldapsUrl },
    ]) {
      const err = await failure(open(o).lookup('tls@example.test'));
      expect(err?.code).toBe('directory-unreachable');
      expect(err?.message).toMatch(/certificate/);
    }
  });

  it('a server that stops is directory-unreachable, and the next lookup reconnects once it is back', async () => {
    const d = open();
    expect(await d.lookup('rsa.user@example.test')).toHaveLength(1);
    await slapd.stop();
    try {
      const started = Date.now();
      expect(await codeOf(d.lookup('rsa.user@example.test'))).toBe('directory-unreachable');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await slapd.start();
    }
    await slapd.ldapAdd(
      formatLdifEntry(dn('Late User'), {
        objectClass: ['inetOrgPerson'],
        cn: ['Late User'],
        sn: ['Late'],
        mail: ['late@example.test'],
      }),
    );
    expect(await d.lookup('late@example.test')).toHaveLength(1);
    expect(d.stats.connections).toBe(2);
  });

  it('after a restart between lookups, the new connection binds and uses StartTLS again (never anonymous or cleartext)', async () => {
    const bound = open({ bindDn: dn('P256 User'), password: 'p256-secret' });
    const tls = open({ startTls: true, ca: [slapd.caPem] });
    expect(await bound.lookup('secret@example.test')).toHaveLength(1);
    expect(await tls.lookup('tls@example.test')).toHaveLength(1);
    await slapd.stop();
    await slapd.start();
    // ldapts alone would reconnect silently, unbound and in cleartext: the ACLs would then hide both entries.
    expect(await bound.lookup('secret@example.test')).toHaveLength(1);
    expect(await tls.lookup('tls@example.test')).toHaveLength(1);
    expect([bound.stats.connections, tls.stats.connections]).toEqual([2, 2]);
  });

  it('a server that accepts and never answers is directory-timeout within the configured time', async () => {
    const silent = await silentServer();
    try {
      for (const o of [{}, { bindDn: 'cn=x', password: 'y' }, { startTls: true }]) {
        const started = Date.now();
        const err = await failure(open({ url: silent.url, timeoutMs: 500, ...o }).lookup('rsa.user@example.test'));
        expect(err?.code).toBe('directory-timeout');
        expect(err?.details).toMatchObject({ url: silent.url, timeoutMs: 500 });
        expect(Date.now() - started).toBeLessThan(2_000);
      }
    } finally {
      silent.close();
    }
  });

  it("abort: rejects promptly with the caller's reason and leaves the shared connection to the other lookups", async () => {
    const silent = await silentServer();
    try {
      const controller = new AbortController();
      const pending = open({ url: silent.url, timeoutMs: 10_000 }).lookup('rsa.user@example.test', {
        signal: controller.signal,
      });
      const started = Date.now();
      setTimeout(() => controller.abort(), 100);
      expect(await codeOf(pending)).toBe('directory-timeout');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      silent.close();
    }
    const d = open();
    const controller = new AbortController();
    const aborted = d.lookup('rsa.user@example.test', { signal: controller.signal });
    const others = Array.from({ length: 20 }, (_, i) => d.lookup(`user${i}@bulk.test`));
    controller.abort(new DirectoryError('directory-timeout', 'recipient resolution took too long'));
    expect((await failure(aborted))?.message).toBe('recipient resolution took too long');
    expect((await Promise.all(others)).map((r) => r.length)).toEqual(Array(20).fill(1));
    expect(await d.lookup('rsa.user@example.test', { signal: AbortSignal.timeout(5_000) })).toHaveLength(1);
    expect(d.stats.connections).toBe(1);
  });

  it('concurrent lookups share one connection and each gets its own answer', async () => {
    const d = open({ bindDn: slapd.adminDn, password: slapd.adminPassword });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => d.lookup(`user${i}@bulk.test`)));
    expect(results.map((r) => r.map((e) => e.id))).toEqual(Array.from({ length: 200 }, (_, i) => [dn(`user${i}`)]));
    expect(d.stats).toMatchObject({ connections: 1, lookups: 200 });
  });

  it('groups: members are read by DN, nested groups come back as groups, missing members are skipped', async () => {
    const d = open();
    const [team] = await d.lookup('team@example.test');
    expect(team!.kind).toBe('group');
    expect(team!.members!.map((m) => m.ref)).toHaveLength(4);
    const members = await d.members(team!);
    expect(members.map((m) => [m.kind, m.address])).toEqual([
      ['person', 'rsa.user@example.test'],
      ['group', 'inner@example.test'],
      ['group', 'team@example.test'],
    ]);
    expect((await d.members(members[1]!)).map((m) => m.address)).toEqual(['p256.user@example.test']);
    expect(d.stats.memberReads).toBe(4);
  });

  it(`${MANY} lookups one after another reuse one connection`, async () => {
    const d = ad();
    const started = performance.now();
    for (let i = 0; i < MANY; i++) expect(await d.lookup(`user${i}@bulk.test`)).toHaveLength(1);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `LdapDirectory: ${Math.round(MANY / seconds)} lookups/s one after another over one connection (${MANY} entries, AD filter)`,
    );
    expect(d.stats).toMatchObject({ connections: 1, lookups: MANY });
  });

  it('more matches than sizeLimit is directory-bad-response (a truncated answer could miss the entry)', async () => {
    // {domain} is escaped like any value; the template's own * is the administrator's choice.
    const err = await failure(
      open({ filter: '(&(objectClass=inetOrgPerson)(mail={domain}*))', sizeLimit: 5 }).lookup('x@user'),
    );
    expect(err?.code).toBe('directory-bad-response');
    expect(err?.details).toMatchObject({ url: slapd.url, sizeLimit: 5 });
    expect(
      await codeOf(
        open({ filter: '(&(objectClass=inetOrgPerson)(mail={domain}*))', sizeLimit: 5_000 }).lookup('x@user'),
      ),
    ).toBeUndefined();
    // An unknown base is the server's answer (noSuchObject): a bad response, and the connection stays.
    const d = open({ baseDn: 'ou=nowhere,dc=contoso,dc=test' });
    expect((await failure(d.lookup('x@user.test')))?.details).toMatchObject({ resultCode: 32 });
    expect(await codeOf(d.lookup('x@user.test'))).toBe('directory-bad-response');
    expect(d.stats.connections).toBe(1);
  });
});
