/**
 * The Exchange scenario end to end (issue acceptance): the tenant's SST trust list; Alice and Bob in the LDAP
 * "GAL" (a real slapd), Alice through userCertificate, Bob through a userSMIMECertificate value smimekit built
 * (whose default certificate must win over a newer one); an external contact in a MemoryDirectory built from an
 * Outlook TLV blob; a recipient chaining to a CA missing from the SST; a recipient with an expired and a valid
 * certificate; a sender without a certificate. The composed message decrypts for everyone, the sender included,
 * with smimekit and with `openssl cms`, and its signature verifies.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CertificateMissingError } from '../../src/errors.js';
import { createSst } from '../../src/sst/create.js';
import { parseSst } from '../../src/sst/parse.js';
import { serializeSst } from '../../src/sst/serialize.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { formatLdifEntry } from '../../src/directory/ldif-write.js';
import { LdapDirectory } from '../../src/directory/ldap.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import {
  buildOutlookSecuritySettings,
  buildUserSmimeCertificate,
} from '../../src/directory/user-smime-certificate-build.js';
import { composeMessage } from '../../src/smime/compose.js';
import { readMessage } from '../../src/smime/read.js';
import { resolveRecipients } from '../../src/smime/resolve.js';
import { certDer, chainFile, openssl } from '../cms/fixtures.js';
import { issueUser, makeCa, type IssuedUser } from '../helpers/pki.js';
import { describeWithSlapd, startSlapd, type Slapd } from '../helpers/slapd.js';
import { tempDir } from '../helpers/temp.js';

const AT = new Date('2026-06-01T00:00:00Z');
// Made in beforeAll: a file skipped for want of slapd runs no hooks, so a folder made here would be left behind.
let dir: string;

let slapd: Slapd;
let gal: LdapDirectory;
let contacts: MemoryDirectory;
let trust: TrustList;
const people = {} as Record<
  'alice' | 'bobDefault' | 'bobNewer' | 'carol' | 'dave' | 'erinExpired' | 'erin',
  IssuedUser
>;

describeWithSlapd('the Exchange scenario', () => {
  beforeAll(async () => {
    dir = tempDir('smimekit-exchange-');
    // The tenant's trust list, as uploaded with Set-SmimeConfig -SMIMECertificateIssuingCA: root + intermediate.
    const sst = serializeSst(createSst([certDer('root.pem'), certDer('intermediate.pem')]));
    trust = TrustList.fromSst(parseSst(sst));

    people.alice = await issueUser(dir, { name: 'alice', email: 'alice@contoso.test' });
    people.bobDefault = await issueUser(dir, {
      name: 'bob-default',
      email: 'bob@contoso.test',
      notBefore: new Date('2025-03-01T00:00:00Z'),
      notAfter: new Date('2030-01-01T00:00:00Z'),
    });
    people.bobNewer = await issueUser(dir, {
      name: 'bob-newer',
      email: 'bob@contoso.test',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2031-01-01T00:00:00Z'),
    });
    people.carol = await issueUser(dir, { name: 'carol', email: 'carol@fabrikam.test', keyType: 'p256' });
    const rogue = makeCa(dir, 'rogue-ca');
    people.dave = await issueUser(dir, { name: 'dave', email: 'dave@contoso.test', issuer: rogue });
    people.erinExpired = await issueUser(dir, {
      name: 'erin-old',
      email: 'erin@contoso.test',
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2025-01-01T00:00:00Z'),
    });
    people.erin = await issueUser(dir, { name: 'erin', email: 'erin@contoso.test' });

    // Bob published with Outlook's "Publish to GAL": both certificates, the older one marked as the default.
    const bobValue = await buildUserSmimeCertificate(people.bobDefault.identity, {
      chain: [people.bobNewer.certificate, certDer('intermediate.pem')],
    });
    const base = 'dc=contoso,dc=test';
    const person = (cn: string, mail: string, attrs: Record<string, (string | Uint8Array)[]>) =>
      formatLdifEntry(`cn=${cn},ou=people,${base}`, {
        objectClass: ['inetOrgPerson', 'smimekitMailRecipient'],
        cn: [cn],
        sn: [cn],
        mail: [mail],
        ...attrs,
      });
    slapd = await startSlapd({
      baseDn: base,
      entries: [
        formatLdifEntry(`ou=people,${base}`, { objectClass: ['organizationalUnit'], ou: ['people'] }),
        person('Alice', 'alice@contoso.test', { 'userCertificate;binary': [people.alice.certificate] }),
        person('Bob', 'bob@contoso.test', { userSMIMECertificate: [bobValue] }),
        person('Dave', 'dave@contoso.test', { 'userCertificate;binary': [people.dave.certificate] }),
        person('Erin', 'erin@contoso.test', {
          'userCertificate;binary': [people.erinExpired.certificate, people.erin.certificate],
        }),
        person('Frank', 'frank@contoso.test', {}),
        // Distribution lists: one member nested in a sub-group, one member without a certificate, a list containing itself.
        formatLdifEntry(`cn=Sub,ou=people,${base}`, {
          objectClass: ['groupOfNames', 'smimekitMailRecipient'],
          cn: ['Sub'],
          mail: ['sub@contoso.test'],
          member: [`cn=Erin,ou=people,${base}`],
        }),
        formatLdifEntry(`cn=Sales,ou=people,${base}`, {
          objectClass: ['groupOfNames', 'smimekitMailRecipient'],
          cn: ['Sales'],
          mail: ['sales@contoso.test'],
          member: [`cn=Bob,ou=people,${base}`, `cn=Sub,ou=people,${base}`, `cn=Sales,ou=people,${base}`],
        }),
        formatLdifEntry(`cn=All,ou=people,${base}`, {
          objectClass: ['groupOfNames', 'smimekitMailRecipient'],
          cn: ['All'],
          mail: ['all@contoso.test'],
          member: [`cn=Sales,ou=people,${base}`, `cn=Frank,ou=people,${base}`, `cn=All,ou=people,${base}`],
        }),
      ].join('\n'),
    });
    gal = new LdapDirectory({ url: slapd.url, baseDn: base, name: 'GAL', schema: 'inetOrgPerson' });

    // The external contact, as Outlook keeps it in the Contacts folder (binary security settings).
    contacts = new MemoryDirectory({ name: 'Contacts' });
    contacts.load(
      buildOutlookSecuritySettings({
        keyExchangeCertificate: people.carol.certificate,
        signCertificate: people.carol.certificate,
      }),
      { address: 'carol@fabrikam.test', displayName: 'Carol (Fabrikam)' },
    );
  });

  afterAll(async () => {
    await gal?.close();
    await slapd?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const validation = () => ({ directory: [gal, contacts], trust, at: AT });

  it('resolves every recipient by address across the GAL and the Contacts folder, with reasons', async () => {
    const r = await resolveRecipients(
      ['bob@contoso.test', 'carol@fabrikam.test', 'dave@contoso.test', 'erin@contoso.test'],
      validation(),
    );
    const by = new Map(r.recipients.map((x) => [x.address, x]));
    expect(by.get('bob@contoso.test')!.certificate).toEqual(people.bobDefault.certificate); // the default wins over the newer one
    expect(by.get('bob@contoso.test')!.candidates.find((c) => !c.chosen && c.valid)!.candidate.certificate).toEqual(
      people.bobNewer.certificate,
    );
    expect(by.get('carol@fabrikam.test')!.chosen!.candidate).toMatchObject({
      directory: 'Contacts',
      format: 'outlook-tlv',
    });
    expect(by.get('dave@contoso.test')!.certificate).toBeUndefined();
    expect(by.get('dave@contoso.test')!.missing).toBe('no-valid-certificate');
    expect(by.get('dave@contoso.test')!.candidates[0]!.problems.map((p) => p.code)).toContain('untrusted-root');
    expect(by.get('erin@contoso.test')!.certificate).toEqual(people.erin.certificate);
    expect(
      by
        .get('erin@contoso.test')!
        .candidates.find((c) => !c.valid)!
        .problems.map((p) => p.code),
    ).toContain('expired');
    expect(r.missing).toEqual(['dave@contoso.test']);
    for (const x of r.recipients)
      expect(x.sources.map((s) => [s.directory, s.status])).toEqual([
        ['GAL', 'ok'],
        ['Contacts', 'ok'],
      ]);
  });

  it('composes to Bob, Carol and Erin by address: everyone and Alice (Sent Items) read it, OpenSSL too', async () => {
    const { messages } = await composeMessage(
      {
        from: 'alice@contoso.test',
        to: ['bob@contoso.test', 'carol@fabrikam.test'],
        cc: ['erin@contoso.test'],
        subject: 'Quarterly figures',
        content: 'The figures are attached.\r\n',
      },
      { identity: people.alice.identity, ...validation(), sign: true, encrypt: true },
    );
    expect(messages).toHaveLength(1);
    const message = messages[0]!.message;
    const readers = [people.bobDefault, people.carol, people.erin, people.alice];
    for (const reader of readers) {
      const read = await readMessage(message, { identities: [reader.identity], trust, at: AT });
      expect(read.ok, reader.email).toBe(true);
      expect(new TextDecoder().decode(read.content)).toContain('The figures are attached.');
    }
    const file = join(dir, 'composed.eml');
    writeFileSync(file, message);
    for (const reader of readers) {
      const decrypted = openssl(['cms', '-decrypt', '-in', file, '-recip', reader.certFile, '-inkey', reader.keyFile]);
      expect(decrypted.status, `${reader.email}: ${decrypted.stderr}`).toBe(0);
      const inner = join(dir, `inner-${reader.name}.eml`);
      writeFileSync(inner, decrypted.stdout);
      const verified = openssl([
        'cms',
        '-verify',
        '-in',
        inner,
        '-CAfile',
        chainFile('root.pem'),
        '-certfile',
        chainFile('intermediate.pem'),
        '-attime',
        String(AT.getTime() / 1000),
      ]);
      expect(verified.status, verified.stderr).toBe(0);
      expect(verified.stdout.toString()).toContain('The figures are attached.');
    }
  });

  it('never skips anyone: a recipient whose only certificate is untrusted is refused by name, with the reason', async () => {
    const err = await composeMessage(
      { from: 'alice@contoso.test', to: ['bob@contoso.test', 'dave@contoso.test'], subject: 's', content: 'x' },
      { identity: people.alice.identity, ...validation(), encrypt: true },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateMissingError);
    expect((err as CertificateMissingError).code).toBe('recipient-certificate-missing');
    expect((err as CertificateMissingError).details.addresses).toEqual(['dave@contoso.test']);
    expect((err as CertificateMissingError).message).toMatch(/dave@contoso\.test.*untrusted-root|untrusted/);
  });

  it('composes to a distribution list in the GAL: nested members decrypt, a list containing itself terminates', async () => {
    const { messages, recipients } = await composeMessage(
      {
        from: 'alice@contoso.test',
        to: ['sales@contoso.test'],
        subject: 'To the sales list',
        content: 'Hello sales.\r\n',
      },
      { identity: people.alice.identity, ...validation(), sign: true, encrypt: true },
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]!.envelope.to).toEqual(['sales@contoso.test']); // the MTA expands the list
    expect(recipients.recipients.find((r) => r.address === 'erin@contoso.test')!.via).toEqual([
      'sales@contoso.test',
      'sub@contoso.test',
    ]);
    for (const reader of [people.bobDefault, people.erin, people.alice]) {
      const read = await readMessage(messages[0]!.message, { identities: [reader.identity], trust, at: AT });
      expect(read.ok, reader.email).toBe(true);
    }
  });

  it('a list member without a certificate is named in recipient-certificate-missing', async () => {
    const err = await composeMessage(
      { from: 'alice@contoso.test', to: ['all@contoso.test'], subject: 's', content: 'x' },
      { identity: people.alice.identity, ...validation(), encrypt: true },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateMissingError);
    expect((err as CertificateMissingError).code).toBe('recipient-certificate-missing');
    expect((err as CertificateMissingError).details.addresses).toEqual(['frank@contoso.test']);
  });

  it('a sender without a certificate gets sender-certificate-missing', async () => {
    const err = await composeMessage(
      { from: 'frank@contoso.test', to: ['bob@contoso.test'], subject: 's', content: 'x' },
      { ...validation(), encrypt: true },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateMissingError);
    expect((err as CertificateMissingError).code).toBe('sender-certificate-missing');
  });
});
