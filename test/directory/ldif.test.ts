/**
 * LDIF (RFC 2849): `ldifde -f` and `ldapsearch -LLL` exports parse; what smimekit writes parses back here,
 * is accepted by OpenLDAP's own LDIF readers (`ldapmodify -n`, `slapadd`) and comes back through `slapcat`;
 * every malformation is `malformed-ldif` with its line, every limit `limit-exceeded`, and random input
 * never throws anything but a SmimeError.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, LimitError, SmimeError } from '../../src/errors.js';
import { toBase64, utf8 } from '../../src/util/bytes.js';
import { ldifBytes, ldifText, parseLdif, type LdifRecord } from '../../src/directory/ldif.js';
import { formatLdifEntry, formatLdifModify, userSmimeCertificateLdif } from '../../src/directory/ldif-write.js';
import { certDer } from '../cms/fixtures.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rsaCert = certDer('ee-rsa.pem');
const p256Cert = certDer('ee-p256.pem');

function errorOf(fn: () => unknown): SmimeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SmimeError) return e;
    throw new Error(`not a SmimeError: ${String(e)}`, { cause: e });
  }
  throw new Error('did not throw');
}

/** Folds like the exporting tool: first line `width` characters, continuations a space plus `width - 1`. */
function foldAt(line: string, width: number): string {
  const out = [line.slice(0, width)];
  for (let i = width; i < line.length; i += width - 1) out.push(` ${line.slice(i, i + width - 1)}`);
  return out.join('\n');
}

/** The only record of `text`. */
function one(text: string | Uint8Array): LdifRecord {
  const [record, ...rest] = parseLdif(text);
  expect(rest).toEqual([]);
  return record!;
}

describe('parseLdif', () => {
  it('unfolds continuation lines, in values, DNs and comments', () => {
    const r = one(
      [
        '# a comment that is',
        ' folded over two lines',
        'dn: cn=Folded Name,dc=exa',
        ' mple,dc=test',
        'description: one ',
        ' two',
        '  three',
        'mail: f@example.test',
        '',
      ].join('\n'),
    );
    expect(r.dn).toBe('cn=Folded Name,dc=example,dc=test');
    expect(r.attributes.get('description')).toEqual(['one two three']);
    expect(r.line).toBe(3);
  });

  it('decodes base64: certificates stay bytes, UTF-8 text becomes a string, other binary stays bytes', () => {
    const photo = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10);
    const guid = utf8('sixteen chars!!!'); // text-looking bytes: objectGUID is binary all the same
    const r = one(
      [
        'dn: cn=a,dc=example,dc=test',
        foldAt(`userCertificate:: ${toBase64(rsaCert)}`, 76),
        `description:: ${toBase64(utf8('Grüße\naus Köln'))}`,
        `jpegPhoto:: ${toBase64(photo)}`,
        `objectGUID:: ${toBase64(guid)}`,
        `x-custom:: ${toBase64(Uint8Array.of(1, 2, 3))}`,
        'empty::',
      ].join('\n'),
    );
    expect(r.attributes.get('usercertificate')).toEqual([rsaCert]);
    expect(r.attributes.get('description')).toEqual(['Grüße\naus Köln']);
    expect(r.attributes.get('jpegphoto')).toEqual([photo]);
    expect(r.attributes.get('objectguid')).toEqual([guid]);
    expect(r.attributes.get('x-custom')).toEqual([Uint8Array.of(1, 2, 3)]);
    expect(r.attributes.get('empty')).toEqual(['']);
    expect(ldifText(utf8('Köln'))).toBe('Köln');
    expect(ldifBytes('Köln')).toEqual(utf8('Köln'));
  });

  it('treats attribute names case-insensitively and drops options such as ;binary', () => {
    const r = one(
      [
        'dn: cn=a,dc=example,dc=test',
        `UserCertificate;Binary:: ${toBase64(rsaCert)}`,
        `usercertificate:: ${toBase64(p256Cert)}`,
        `userSMIMECertificate;binary:: ${toBase64(utf8('text-looking value'))}`,
        'cn;lang-de: Anna',
        'CN: Anne',
      ].join('\n'),
    );
    expect(r.attributes.get('usercertificate')).toEqual([rsaCert, p256Cert]);
    // ;binary keeps bytes even when they happen to be text; userSMIMECertificate is binary anyway.
    expect(r.attributes.get('usersmimecertificate')).toEqual([utf8('text-looking value')]);
    expect(r.attributes.get('cn')).toEqual(['Anna', 'Anne']);
  });

  it('reads CRLF and LF alike, a version line, comments, a BOM, and blank lines of spaces', () => {
    const lf =
      'version: 1\n# exported\ndn: cn=a,dc=example,dc=test\nmail: a@example.test\n# between\ncn: a\n \n\n\ndn: cn=b,dc=example,dc=test\nmail: b@example.test\n';
    const crlf = `\uFEFF${lf.replace(/\n/g, '\r\n')}`;
    for (const text of [lf, crlf, utf8(crlf)]) {
      const records = parseLdif(text);
      expect(records.map((r) => [r.dn, r.attributes.get('mail')])).toEqual([
        ['cn=a,dc=example,dc=test', ['a@example.test']],
        ['cn=b,dc=example,dc=test', ['b@example.test']],
      ]);
      expect(records[0]!.attributes.get('cn')).toEqual(['a']);
    }
  });

  it('decodes a base64 (dn::) DN', () => {
    const r = one(`dn:: ${toBase64(utf8('cn=Jürgen Groß,ou=Büro,dc=example,dc=test'))}\nmail: j@example.test\n`);
    expect(r.dn).toBe('cn=Jürgen Groß,ou=Büro,dc=example,dc=test');
  });

  it('reads an ldapsearch -LLL export (and plain ldapsearch output with its result trailer)', () => {
    const body = [
      `dn:: ${toBase64(utf8('cn=Zoë Ramírez,ou=people,dc=example,dc=test'))}`,
      'objectClass: inetOrgPerson',
      `cn:: ${toBase64(utf8('Zoë Ramírez'))}`,
      'sn: Ramirez',
      'mail: zoe@example.test',
      foldAt(`userSMIMECertificate;binary:: ${toBase64(p256Cert)}`, 76),
      '',
      'dn: cn=rsa,ou=people,dc=example,dc=test',
      'objectClass: inetOrgPerson',
      'cn: rsa',
      'sn: rsa',
      'mail: rsa.user@example.test',
      foldAt(`userCertificate;binary:: ${toBase64(rsaCert)}`, 76),
      '',
      'dn: cn=team,ou=groups,dc=example,dc=test',
      'objectClass: groupOfNames',
      'cn: team',
      'member: cn=rsa,ou=people,dc=example,dc=test',
      `member: cn=Zo\\C3\\AB Ram\\C3\\ADrez,ou=people,dc=example,dc=test`,
      '',
    ].join('\n');
    const plain = `# extended LDIF\n#\n# LDAPv3\n# base <dc=example,dc=test> with scope subtree\n# filter: (mail=*)\n# requesting: ALL\n#\n\n${body}\n# search result\nsearch: 2\nresult: 0 Success\n\n# numResponses: 4\n# numEntries: 3\n`;
    for (const text of [body, plain]) {
      const records = parseLdif(text);
      expect(records.map((r) => r.dn)).toEqual([
        'cn=Zoë Ramírez,ou=people,dc=example,dc=test',
        'cn=rsa,ou=people,dc=example,dc=test',
        'cn=team,ou=groups,dc=example,dc=test',
      ]);
      expect(records[0]!.attributes.get('cn')).toEqual(['Zoë Ramírez']);
      expect(records[0]!.attributes.get('usersmimecertificate')).toEqual([p256Cert]);
      expect(records[1]!.attributes.get('usercertificate')).toEqual([rsaCert]);
      expect(records[2]!.attributes.get('member')).toHaveLength(2);
    }
  });

  it('reads an ldifde -f export: CRLF, leading blank line, changetype add, 80-column folding, UTF-16 (-u)', () => {
    const records = parseLdif(LDIFDE_EXPORT);
    expect(records.map((r) => [r.dn, r.changetype])).toEqual([
      ['CN=Rsa User,OU=Users,DC=example,DC=test', 'add'],
      ['CN=Team,OU=Groups,DC=example,DC=test', 'add'],
    ]);
    const [user, team] = records;
    expect(user!.attributes.get('usercertificate')).toEqual([rsaCert]);
    expect(user!.attributes.get('displayname')).toEqual(['Rsa Üser']);
    expect(user!.attributes.get('proxyaddresses')).toEqual([
      'smtp:r.user@example.test',
      'SMTP:rsa.user@example.test',
      'X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=0a1b2c3d4e5f-rsa.user',
    ]);
    expect(user!.attributes.get('objectsid')![0]).toBeInstanceOf(Uint8Array);
    expect(team!.attributes.get('member')).toEqual([
      'CN=Rsa User,OU=Users,DC=example,DC=test',
      'CN=P256 User,OU=Users,DC=example,DC=test',
    ]);
    // ldifde -u writes UTF-16LE with a BOM.
    const utf16 = new Uint8Array(2 + LDIFDE_EXPORT.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < LDIFDE_EXPORT.length; i++)
      new DataView(utf16.buffer).setUint16(2 + i * 2, LDIFDE_EXPORT.charCodeAt(i), true);
    expect(parseLdif(utf16)).toEqual(records);
  });

  it('reads change records: modify blocks, delete, modrdn, controls', () => {
    const records = parseLdif(
      [
        'dn: cn=a,dc=example,dc=test\ncontrol: 1.2.840.113556.1.4.417 true\nchangetype: modify',
        'replace: mail\nmail: a@example.test\nmail: a2@example.test\n-\ndelete: description\n-',
        `add: userCertificate;binary\nuserCertificate;binary:: ${toBase64(rsaCert)}`,
        '\ndn: cn=b,dc=example,dc=test\nchangetype: delete',
        '\ndn: cn=c,dc=example,dc=test\nchangetype: modrdn\nnewrdn: cn=d\ndeleteoldrdn: 1',
      ].join('\n'),
    );
    expect(records[0]!.controls).toEqual(['1.2.840.113556.1.4.417 true']);
    expect(records[0]!.changes).toEqual([
      { operation: 'replace', attribute: 'mail', values: ['a@example.test', 'a2@example.test'] },
      { operation: 'delete', attribute: 'description', values: [] },
      { operation: 'add', attribute: 'usercertificate', values: [rsaCert] },
    ]);
    expect(records[1]!.changetype).toBe('delete');
    expect(records[2]!.attributes.get('newrdn')).toEqual(['cn=d']);
  });

  it('reports every malformation as malformed-ldif with its line', () => {
    const cases: [string | Uint8Array, number][] = [
      ['mail: x@example.test\n', 1],
      ['dn: a\nno colon here\n', 2],
      ['dn: a\n: no name\n', 2],
      ['dn: a\n1bad: x\n', 2],
      ['dn: a\nx y: z\n', 2],
      ['dn: a\nx:: ***\n', 2],
      ['dn: a\ncn: a\nx:: QUJD\n ***\n', 3],
      [' orphan continuation\n', 1],
      ['dn: a\ncn: a\n\n continuation after a blank line\n', 4],
      ['dn: a\ndn: b\n', 2],
      ['version: 2\ndn: a\n', 1],
      ['dn: a\n\nversion: 1\n', 3],
      ['dn: a\nchangetype: frobnicate\n', 2],
      ['dn: a\nmail: x\nchangetype: add\n', 3],
      ['dn: a\nchangetype: modify\nmail: x\n', 3],
      ['dn: a\nchangetype: modify\nreplace: mail\ncn: x\n', 4],
      ['dn: a\nchangetype: modify\nreplace:: bWFpbA==\n', 3],
      ['dn: a\nchangetype: delete\ncn: x\n', 3],
      ['dn: a\n-\n', 2],
      [`dn:: ${toBase64(Uint8Array.of(0xff, 0xfe, 0x41))}\n`, 1],
      [Uint8Array.of(...utf8('dn: a\nmail: a@b\ncn: '), 0xff, 0x0a), 3],
    ];
    for (const [input, line] of cases) {
      const e = errorOf(() => parseLdif(input));
      expect([e.code, e.details.line], String(input)).toEqual(['malformed-ldif', line]);
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toContain(`line ${line}`);
    }
  });

  it('refuses URL values without reading anything', () => {
    const e = errorOf(() => parseLdif('dn: cn=a,dc=example,dc=test\njpegPhoto:< file:///etc/passwd\n'));
    expect([e.code, e.details.line]).toEqual(['unsupported-ldif-url', 2]);
    expect(e.message).toContain('file:///etc/passwd');
  });

  it('applies its limits: limit-exceeded with the limit named', () => {
    const two = 'dn: a\nmail: a@b\nmail: c@d\n\ndn: b\nmail: b@b\n';
    const cases: [() => unknown, string][] = [
      [() => parseLdif(two, { maxRecords: 1 }), 'maxRecords'],
      [() => parseLdif(two, { maxValuesPerRecord: 1 }), 'maxValuesPerRecord'],
      [() => parseLdif(two, { maxBytes: 10 }), 'maxBytes'],
      [() => parseLdif(utf8(two), { maxBytes: 10 }), 'maxBytes'],
      [() => parseLdif(`dn: a\ndescription: ${'x'.repeat(200)}\n`, { maxLineLength: 100 }), 'maxLineLength'],
      [
        () => parseLdif(`dn: a\ndescription: ${foldAt('x'.repeat(200), 50)}\n`, { maxLineLength: 100 }),
        'maxLineLength',
      ],
    ];
    for (const [fn, limit] of cases) {
      const e = errorOf(fn);
      expect([e.code, e.details.limit], limit).toEqual(['limit-exceeded', limit]);
      expect(e).toBeInstanceOf(LimitError);
    }
    expect(parseLdif(two, { maxRecords: 2, maxValuesPerRecord: 2 })).toHaveLength(2);
  });

  it('never throws anything but a SmimeError, on random text, LDIF-like lines or bytes', () => {
    const check = (input: string | Uint8Array) => {
      try {
        parseLdif(input, { maxLineLength: 1000 });
      } catch (e) {
        if (!(e instanceof SmimeError)) throw e;
      }
    };
    const fragment = fc.constantFrom(
      'dn: x',
      'dn:: w6k=',
      ' ',
      ' x',
      '-',
      '',
      '#c',
      'version: 1',
      'changetype: modify',
      'changetype: add',
      'add: mail',
      'mail: a@b',
      'mail:: ',
      'x:< file:/a',
      'userCertificate;binary:: MAE=',
      'search: 1',
      '\r',
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => check(`dn: x\n${text}`)),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fragment, fc.string({ maxLength: 12 })), { maxLength: 30 }), (lines) =>
        check(lines.join('\n')),
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => check(bytes)),
      { numRuns: 300 },
    );
  });
});

describe('writing LDIF', () => {
  it('formatLdifEntry round-trips through parseLdif: base64 for everything that is not a SAFE-STRING', () => {
    const values = [
      'plain',
      'Zoë',
      ' leading space',
      'trailing space ',
      ':colon first',
      '<less-than first',
      'line\nbreak',
      '',
      'x'.repeat(200),
    ];
    const text = formatLdifEntry('cn=Zoë Ramírez,dc=example,dc=test', {
      objectClass: ['inetOrgPerson'],
      description: values,
      'userCertificate;binary': [rsaCert],
      cn: 'single value',
    });
    expect(text.split('\n').every((l) => l.length <= 76)).toBe(true);
    expect(text).toMatch(/^dn:: /);
    expect(text).toContain('\ndescription: plain\n');
    const r = one(text);
    expect(r.dn).toBe('cn=Zoë Ramírez,dc=example,dc=test');
    expect(r.attributes.get('description')).toEqual(values);
    expect(r.attributes.get('usercertificate')).toEqual([rsaCert]);
    expect(r.attributes.get('cn')).toEqual(['single value']);
    const crlf = formatLdifEntry('cn=a,dc=example,dc=test', new Map([['mail', ['a@example.test']]]), {
      changetype: true,
      lineEnding: '\r\n',
    });
    expect(crlf).toBe('dn: cn=a,dc=example,dc=test\r\nchangetype: add\r\nmail: a@example.test\r\n');
    expect(one(crlf).changetype).toBe('add');
    expect(errorOf(() => formatLdifEntry('cn=a', { 'bad name': ['x'] })).code).toBe('bad-argument');
    expect(errorOf(() => formatLdifEntry('cn=a', { 'mail\ninjected': ['x'] })).code).toBe('bad-argument');
  });

  it('userSmimeCertificateLdif writes the ldapmodify record and parses back to the value', () => {
    const value = p256Cert;
    const text = userSmimeCertificateLdif('cn=Bob,ou=people,dc=example,dc=test', value);
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'dn: cn=Bob,ou=people,dc=example,dc=test',
      'changetype: modify',
      'replace: userSMIMECertificate;binary',
    ]);
    expect(lines[3]).toMatch(/^userSMIMECertificate;binary:: [A-Za-z0-9+/]+$/);
    expect(lines.at(-2)).toBe('-');
    expect(lines.every((l) => l.length <= 76)).toBe(true);
    expect(lines.slice(4, -2).every((l) => /^ [A-Za-z0-9+/=]+$/.test(l))).toBe(true);
    expect(one(text).changes).toEqual([{ operation: 'replace', attribute: 'usersmimecertificate', values: [value] }]);

    const add = userSmimeCertificateLdif('CN=Jürgen,OU=Users,DC=example,DC=test', rsaCert, {
      attribute: 'userCertificate',
      mode: 'add',
      binaryOption: false,
      lineEnding: '\r\n',
    });
    expect(add).toMatch(/^dn:: [^\r\n]+\r\nchangetype: modify\r\nadd: userCertificate\r\nuserCertificate:: /);
    const r = one(add);
    expect(r.dn).toBe('CN=Jürgen,OU=Users,DC=example,DC=test');
    expect(r.changes).toEqual([{ operation: 'add', attribute: 'usercertificate', values: [rsaCert] }]);
  });

  it('formatLdifModify writes several blocks, deletes without values, and refuses bad input', () => {
    const text = formatLdifModify('cn=a,dc=example,dc=test', [
      { operation: 'delete', attribute: 'userCertificate;binary' },
      { operation: 'add', attribute: 'mail', values: ['a@example.test'] },
    ]);
    expect(text).toBe(
      'dn: cn=a,dc=example,dc=test\nchangetype: modify\ndelete: userCertificate;binary\n-\nadd: mail\nmail: a@example.test\n-\n',
    );
    expect(errorOf(() => formatLdifModify('cn=a', [{ operation: 'frob' as 'add', attribute: 'mail' }])).code).toBe(
      'bad-argument',
    );
    expect(errorOf(() => formatLdifModify('cn=a', [{ operation: 'delete', attribute: 'mail: x' }])).code).toBe(
      'bad-argument',
    );
  });
});

// OpenLDAP's own LDIF reader and writer, offline: `ldapmodify -n` parses without contacting a server,
// slapadd/slapcat load and dump a throw-away database (the LDIF writer ldapsearch uses).
const SLAP_MODULES = '/usr/lib/ldap';
const tool = (name: string) =>
  ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'].map((d) => join(d, name)).find(existsSync);
const slapadd = tool('slapadd');
const slapcat = tool('slapcat');
const ldapmodify = tool('ldapmodify');
const hasSlapTools =
  slapadd &&
  slapcat &&
  existsSync(join(SLAP_MODULES, 'back_mdb.la')) &&
  existsSync('/etc/ldap/schema/inetorgperson.schema');

describe.skipIf(!ldapmodify)('ldapmodify -n (OpenLDAP, no server)', () => {
  it('accepts what userSmimeCertificateLdif and formatLdifModify write', () => {
    const file = join(dir, 'publish.ldif');
    writeFileSync(
      file,
      [
        userSmimeCertificateLdif('cn=Jürgen,dc=example,dc=test', rsaCert),
        formatLdifModify('cn=b,dc=example,dc=test', [
          { operation: 'replace', attribute: 'mail', values: ['b@example.test'] },
        ]),
      ].join('\n'),
    );
    const r = spawnSync(ldapmodify!, ['-n', '-v', '-f', file, '-H', 'ldap://127.0.0.1:9']);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain('replace userSMIMECertificate;binary:');
    expect(r.stdout.toString()).toContain('modifying entry "cn=Jürgen,dc=example,dc=test"');
  });
});

describe.skipIf(!hasSlapTools)('slapadd / slapcat (OpenLDAP, no server)', () => {
  it('loads formatLdifEntry output; its dump parses back to the same values', () => {
    const d = mkdtempSync(join(dir, 'slap-'));
    mkdirSync(join(d, 'db'));
    const conf = join(d, 'slapd.conf');
    const schema = ['core', 'cosine', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`);
    writeFileSync(
      conf,
      [
        ...schema,
        `modulepath ${SLAP_MODULES}`,
        'moduleload back_mdb',
        'database mdb',
        'suffix "dc=example,dc=test"',
        `directory ${join(d, 'db')}`,
        '',
      ].join('\n'),
    );
    const people = 'ou=people,dc=example,dc=test';
    const input = [
      formatLdifEntry('dc=example,dc=test', {
        objectClass: ['dcObject', 'organization'],
        dc: ['example'],
        o: ['Example'],
      }),
      formatLdifEntry(people, { objectClass: ['organizationalUnit'], ou: ['people'] }),
      formatLdifEntry(`cn=Zoë Ramírez,${people}`, {
        objectClass: ['inetOrgPerson'],
        cn: ['Zoë Ramírez'],
        sn: ['Ramírez'],
        mail: ['zoe@example.test'],
        'userCertificate;binary': [rsaCert],
        userSMIMECertificate: [p256Cert],
        description: ['x'.repeat(150)],
      }),
    ].join('\n');
    writeFileSync(join(d, 'in.ldif'), input);
    const add = spawnSync(slapadd!, ['-f', conf, '-l', join(d, 'in.ldif')]);
    expect(add.status, add.stderr.toString()).toBe(0);
    const cat = spawnSync(slapcat!, ['-f', conf, '-o', 'ldif-wrap=76']);
    expect(cat.status, cat.stderr.toString()).toBe(0);
    const dumped = parseLdif(cat.stdout);
    const zoe = dumped.find((r) => r.dn.startsWith('cn=Zo'))!;
    expect(zoe.dn).toBe(`cn=Zoë Ramírez,${people}`);
    expect(zoe.attributes.get('usercertificate')).toEqual([rsaCert]);
    expect(zoe.attributes.get('usersmimecertificate')).toEqual([p256Cert]);
    expect(zoe.attributes.get('description')).toEqual(['x'.repeat(150)]);
    expect(zoe.attributes.get('cn')).toEqual(['Zoë Ramírez']);
  });
});

/** What `ldifde -f export.ldf -r "(mail=*)"` writes on a domain controller (values shortened; CRLF; 80 columns). */
const LDIFDE_EXPORT = [
  '',
  'dn: CN=Rsa User,OU=Users,DC=example,DC=test',
  'changetype: add',
  'objectClass: top',
  'objectClass: person',
  'objectClass: organizationalPerson',
  'objectClass: user',
  'cn: Rsa User',
  'sn: User',
  'distinguishedName: CN=Rsa User,OU=Users,DC=example,DC=test',
  'whenCreated: 20250102093000.0Z',
  `displayName:: ${toBase64(utf8('Rsa Üser'))}`,
  'objectGUID:: 3q2+7wEjRWeJq83v/ty6mA==',
  'userAccountControl: 512',
  'objectSid:: AQUAAAAAAAUVAAAAnXJ0Nl8vEVJ0DPXXUAQAAA==',
  'sAMAccountName: rsa.user',
  'mail: rsa.user@example.test',
  'proxyAddresses: smtp:r.user@example.test',
  'proxyAddresses: SMTP:rsa.user@example.test',
  foldAt(
    'proxyAddresses: X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=0a1b2c3d4e5f-rsa.user',
    80,
  ),
  foldAt(`userCertificate:: ${toBase64(rsaCert)}`, 80),
  '',
  'dn: CN=Team,OU=Groups,DC=example,DC=test',
  'changetype: add',
  'objectClass: top',
  'objectClass: group',
  'cn: Team',
  'member: CN=Rsa User,OU=Users,DC=example,DC=test',
  'member: CN=P256 User,OU=Users,DC=example,DC=test',
  'mail: team@example.test',
  'proxyAddresses: SMTP:team@example.test',
  '',
  '',
]
  .join('\n')
  .replace(/\n/g, '\r\n');
