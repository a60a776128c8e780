/**
 * LdapDirectory against a real OpenLDAP slapd: lookups by mail and proxy addresses, filter injection, binds,
 * TLS (ldaps:// and StartTLS, wrong CA refused), a server that goes away and comes back, a server that never
 * answers, groups, and connection reuse over 1,000 lookups.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmimeError } from '../../src/errors.js';
import { buildFilter, escapeFilterValue } from '../../src/directory/ldap-filter.js';
import { LdapDirectory } from '../../src/directory/ldap.js';
import { formatLdifEntry } from '../../src/directory/ldif.js';
import { certDer } from '../cms/fixtures.js';
import { describeWithSlapd, startSlapd, type Slapd } from '../helpers/slapd.js';

const BASE = 'dc=contoso,dc=test';
const MANY = 1_000;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e) {
    return e instanceof SmimeError ? e.code : `not a SmimeError: ${String(e)}`;
  }
  return undefined;
}

it('escapeFilterValue escapes RFC 4515 specials and every non-ASCII byte', () => {
  expect(escapeFilterValue('a*b(c)d\\e\u0000')).toBe('a\\2ab\\28c\\29d\\5ce\\00');
  expect(escapeFilterValue('jürgen@example.test')).toBe('j\\c3\\bcrgen@example.test');
  expect(buildFilter('(|(mail={address})(uid={local}))', 'x*)(mail=*@d')).toBe('(|(mail=x\\2a\\29\\28mail=\\2a@d)(uid=x\\2a\\29\\28mail=\\2a))');
});

describeWithSlapd('LdapDirectory on a real slapd', () => {
  let slapd: Slapd;
  const dirs: LdapDirectory[] = [];
  const open = (o: Partial<ConstructorParameters<typeof LdapDirectory>[0]> = {}) => {
    const d = new LdapDirectory({ url: slapd.url, baseDn: BASE, schema: 'inetOrgPerson', timeoutMs: 3_000, ...o });
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    const person = (cn: string, attrs: Record<string, (string | Uint8Array)[]>) =>
      formatLdifEntry(`cn=${cn},ou=people,${BASE}`, { objectClass: ['inetOrgPerson', 'smimekitMailRecipient'], cn: [cn], sn: [cn], ...attrs });
    const entries = [
      formatLdifEntry(`ou=people,${BASE}`, { objectClass: ['organizationalUnit'], ou: ['people'] }),
      person('Rsa User', { mail: ['rsa.user@example.test'], proxyAddresses: ['SMTP:rsa.user@example.test', 'smtp:r.user@example.test'], 'userCertificate;binary': [certDer('ee-rsa.pem')] }),
      person('P256 User', { mail: ['p256.user@example.test'], 'userCertificate;binary': [certDer('ee-p256.pem')], userPassword: ['p256-secret'] }),
      formatLdifEntry(`cn=inner,${BASE}`, { objectClass: ['groupOfNames', 'smimekitMailRecipient'], cn: ['inner'], mail: ['inner@example.test'], member: [`cn=P256 User,ou=people,${BASE}`] }),
      formatLdifEntry(`cn=team,${BASE}`, { objectClass: ['groupOfNames', 'smimekitMailRecipient'], cn: ['team'], mail: ['team@example.test'], member: [`cn=Rsa User,ou=people,${BASE}`, `cn=inner,${BASE}`, `cn=team,${BASE}`, `cn=gone,${BASE}`] }),
      ...Array.from({ length: MANY }, (_, i) => person(`user${i}`, { mail: [`user${i}@bulk.test`] })),
    ];
    slapd = await startSlapd({ baseDn: BASE, entries: entries.join('\n') });
  });

  afterAll(async () => {
    for (const d of dirs) await d.close();
    await slapd?.dispose();
  });

  it('finds an entry by mail and by a secondary proxy address (and not when secondary addresses are off)', async () => {
    const d = open({ filter: '(|(mail={address})(proxyAddresses=smtp:{address}))' });
    const [byMail] = await d.lookup('rsa.user@EXAMPLE.test');
    expect(byMail).toMatchObject({ kind: 'person', address: 'rsa.user@example.test', displayName: 'Rsa User', id: `cn=Rsa User,ou=people,${BASE}` });
    expect(byMail!.candidates.map((c) => [c.attribute, c.format])).toEqual([['userCertificate', 'der']]);
    expect(byMail!.candidates[0]!.certificate).toEqual(certDer('ee-rsa.pem'));
    expect((await d.lookup('r.user@example.test')).map((e) => e.id)).toEqual([`cn=Rsa User,ou=people,${BASE}`]);
    expect(await d.lookup('r.user@example.test', { secondaryAddresses: false })).toEqual([]);
    expect(await d.lookup('nobody@example.test')).toEqual([]);
  });

  it('injection attempts return nothing they should not', async () => {
    const d = open();
    for (const hostile of ['*@bulk.test', 'user1*@bulk.test', 'x)(mail=*@bulk.test', 'x\\2a@bulk.test', `${'a'.repeat(1_000)}@bulk.test`, 'üser1@bulk.test', 'user1@bulk.test)(|(mail=*']) {
      expect(await d.lookup(hostile), hostile).toEqual([]);
    }
    // Values no mailbox has are refused before any query: NUL, and a 10,000-character local part.
    expect(await codeOf(d.lookup('user1\u0000@bulk.test'))).toBe('bad-address');
    expect(await codeOf(d.lookup(`${'a'.repeat(10_000)}@bulk.test`))).toBe('bad-address');
    expect(await d.lookup('user1@bulk.test')).toHaveLength(1);
  });

  it('simple bind works; a wrong password is directory-auth-failed', async () => {
    const ok = open({ bindDn: slapd.adminDn, password: slapd.adminPassword });
    expect(await ok.lookup('p256.user@example.test')).toHaveLength(1);
    const user = open({ bindDn: `cn=P256 User,ou=people,${BASE}`, password: 'p256-secret' });
    expect(await user.lookup('rsa.user@example.test')).toHaveLength(1);
    const bad = open({ bindDn: slapd.adminDn, password: 'wrong' });
    const err = await bad.lookup('p256.user@example.test').catch((e: unknown) => e as SmimeError);
    expect(err).toBeInstanceOf(SmimeError);
    expect((err as SmimeError).code).toBe('directory-auth-failed');
    expect(JSON.stringify((err as SmimeError).details)).not.toContain('wrong');
  });

  it('ldaps:// and StartTLS with the right CA work; a wrong CA is directory-unreachable', async () => {
    expect(await open({ url: slapd.ldapsUrl, ca: [slapd.caPem] }).lookup('rsa.user@example.test')).toHaveLength(1);
    expect(await open({ startTls: true, ca: [slapd.caPem] }).lookup('rsa.user@example.test')).toHaveLength(1);
    const wrong = (await open({ url: slapd.ldapsUrl, ca: [slapd.otherCaPem] }).lookup('rsa.user@example.test').catch((e: unknown) => e)) as SmimeError;
    expect(wrong.code).toBe('directory-unreachable');
    expect(wrong.message).toMatch(/certificate|TLS/);
    expect(await codeOf(open({ startTls: true, ca: [slapd.otherCaPem] }).lookup('rsa.user@example.test'))).toBe('directory-unreachable');
  });

  it('a server that stops is directory-unreachable, and the next lookup reconnects once it is back', async () => {
    const d = open();
    expect(await d.lookup('rsa.user@example.test')).toHaveLength(1);
    await slapd.stop();
    try {
      expect(await codeOf(d.lookup('rsa.user@example.test'))).toBe('directory-unreachable');
    } finally {
      await slapd.start();
    }
    expect(await d.lookup('rsa.user@example.test')).toHaveLength(1);
    expect(d.stats.connections).toBe(2);
  });

  it('a server that accepts and never answers is directory-timeout within the configured time', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as { port: number }).port;
      const d = open({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 500 });
      const started = Date.now();
      expect(await codeOf(d.lookup('rsa.user@example.test'))).toBe('directory-timeout');
      expect(Date.now() - started).toBeLessThan(3_000);
      const bound = open({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 500, bindDn: 'cn=x', password: 'y' });
      expect(await codeOf(bound.lookup('rsa.user@example.test'))).toBe('directory-timeout');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('an aborted lookup rejects promptly with the caller\'s reason; the directory stays usable', async () => {
    const d = open();
    const controller = new AbortController();
    const pending = d.lookup('rsa.user@example.test', { signal: controller.signal });
    controller.abort();
    expect(await codeOf(pending)).toBe('directory-timeout');
    expect(await d.lookup('rsa.user@example.test')).toHaveLength(1);
  });

  it('groups: members are read by DN, nested groups come back as groups, missing members are left out', async () => {
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
  });

  it(`${MANY} lookups reuse one connection`, async () => {
    const d = open();
    const started = performance.now();
    for (let i = 0; i < MANY; i++) expect(await d.lookup(`user${i}@bulk.test`)).toHaveLength(1);
    const seconds = (performance.now() - started) / 1000;
    console.log(`LdapDirectory: ${Math.round(MANY / seconds)} lookups/s one after another over one connection (${MANY} entries)`);
    expect(d.stats).toMatchObject({ connections: 1, lookups: MANY });
  });

  it('a size limit smaller than the answer is directory-bad-response (a truncated answer could miss the entry)', async () => {
    const d = open({ filter: '(&(objectClass=inetOrgPerson)(mail={domain}*))', sizeLimit: 5 });
    // {domain} is escaped like any value; the template's own * is the administrator's choice.
    expect(await codeOf(d.lookup('x@user'))).toBe('directory-bad-response');
    expect(await codeOf(open({ filter: '(&(objectClass=inetOrgPerson)(mail={domain}*))', sizeLimit: 5_000 }).lookup('x@user'))).toBeUndefined();
  });
});
