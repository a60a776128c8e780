/**
 * `smimekit lookup | encrypt --rcpt | compose | publish`: address books on the command line (LDIF and certificate
 * files, a real slapd), the CLI conventions (exit 0/1/2, one `error CODE:` line), and round trips read by OpenSSL.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLdifEntry } from '../../src/directory/ldif-write.js';
import { fromBase64 } from '../../src/util/bytes.js';
import { cli, errorCode, tempDir, type CliResult } from '../helpers/cli.js';
import { chainsSst, issueUser, makeCa, type IssuedUser } from '../helpers/pki.js';
import { describeWithSlapd, startSlapd, type Slapd } from '../helpers/slapd.js';
import { projectVectorPath, repoRoot } from '../helpers/vectors.js';

const c = (name: string): string => projectVectorPath('chains', name);
const der = (file: string): Uint8Array => {
  const b64 = readFileSync(file, 'utf8').replace(/-----[^-]+-----|\s/g, '');
  return fromBase64(b64);
};
const AT = ['--at', '2026-06-01'];
const TRUST = ['--trust', c('root.pem'), '--certs', c('intermediate.pem'), ...AT];
const BASE = 'ou=people,dc=example,dc=test';

const dir = tempDir('smimekit-cli-dir-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => join(dir, name);

let alice: IssuedUser;
let aliceRogue: IssuedUser;
let aliceOld: IssuedUser;
let bobOld: IssuedUser;
let ldif: string;
const people = (): string => file('people.ldif');

/** The LDIF of the test address book: Alice with a valid, an untrusted and an expired certificate, Bob with only an expired one. */
function peopleLdif(): string {
  const person = (cn: string, mail: string, certs: Uint8Array[]) =>
    formatLdifEntry(`cn=${cn},${BASE}`, {
      objectClass: ['inetOrgPerson'],
      cn,
      sn: cn,
      mail,
      'userCertificate;binary': certs,
    });
  return [
    person('Alice', 'alice@example.test', [aliceRogue.certificate, alice.certificate, aliceOld.certificate]),
    person('Bob', 'bob@example.test', [bobOld.certificate]),
    person('P256 User', 'p256.user@example.test', [der(c('ee-p256.pem'))]),
    person('RSA User', 'rsa.user@example.test', [der(c('ee-rsa.pem'))]),
  ].join('\n');
}

beforeAll(async () => {
  const rogue = makeCa(dir, 'Rogue CA');
  alice = await issueUser(dir, { name: 'Alice', email: 'alice@example.test' });
  aliceRogue = await issueUser(dir, { name: 'Alice rogue', email: 'alice@example.test', issuer: rogue });
  const old = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') };
  aliceOld = await issueUser(dir, { name: 'Alice old', email: 'alice@example.test', ...old });
  bobOld = await issueUser(dir, { name: 'Bob old', email: 'bob@example.test', ...old });
  ldif = peopleLdif();
  writeFileSync(people(), ldif);
  writeFileSync(file('pw.txt'), 'test\n');
  writeFileSync(file('msg.txt'), 'Hello from the address book.\r\n');
});

/**
 * `text` without its lines of base64 (a ciphertext, a signature): random base64 spells "alice" in some mix of cases
 * about once in 34 million characters, and these messages hold some 15,000 random ones (a failure about once in
 * 2,000 runs). Header lines and text keep their spaces, colons and '@', so they stay.
 */
const withoutBase64Lines = (text: string): string => text.replace(/^[A-Za-z0-9+/]+=*\r?$/gm, '');

/** openssl cms -decrypt; undefined when the key cannot decrypt. */
function opensslDecrypt(input: string, cert: string, key: string): string | undefined {
  const r = spawnSync('openssl', ['cms', '-decrypt', '-in', input, '-recip', cert, '-inkey', key], {
    encoding: 'latin1',
  });
  return r.status === 0 ? r.stdout : undefined;
}

let binaryDir: string | undefined;
afterAll(() => {
  if (binaryDir) rmSync(binaryDir, { recursive: true, force: true });
});

/**
 * The CLI built with tsup, once per file. Built into a private folder rather than the shared dist/ (others
 * may be using it), inside the repository so `ldapts` resolves from node_modules.
 */
function builtBinary(): string {
  if (!binaryDir) {
    mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
    binaryDir = mkdtempSync(join(repoRoot, '.tmp', 'cli-smoke-'));
    const flags = [
      '--no-config',
      '--format',
      'esm',
      '--platform',
      'node',
      '--target',
      'node20',
      '--external',
      'ldapts',
      '--out-dir',
      binaryDir,
      '--silent',
    ];
    execFileSync('npx', ['tsup', 'src/cli/main.ts', ...flags], { cwd: repoRoot, stdio: 'pipe' });
  }
  return join(binaryDir, 'main.js');
}

function expectUsage(r: CliResult, what: string): void {
  expect(r.code, `${what}: ${r.stderr}`).toBe(2);
  expect(errorCode(r), what).toBe('usage');
}

describe('smimekit lookup', () => {
  it('chooses the valid certificate of an LDIF entry and says why the untrusted and the expired ones are rejected', async () => {
    const r = await cli(['lookup', 'alice@example.test', '--dir', people(), ...TRUST]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/candidate \d \[CHOSEN\] CN=Alice,O=smimekit test,C=XX/);
    expect(r.stdout).toMatch(
      /\[REJECTED\] CN=Alice rogue[\s\S]*?why: +rejected: does not chain to a certificate in the trust list \(untrusted-root\)/,
    );
    expect(r.stdout).toMatch(/\[REJECTED\] CN=Alice old[\s\S]*?why: +rejected: expired on 2021-01-01 \(expired\)/);
    expect(r.stdout).toContain(`from:        ${people()} | cn=Alice,${BASE} | userCertificate (der)`);
    expect(r.stdout).toMatch(
      new RegExp(`${people().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ok, 1 entry \\(\\d+ ms\\)`),
    );
    expect(r.stdout).toContain('1 of 1 address(es) resolved at 2026-06-01T00:00:00.000Z');
  });

  it('--json: one document, ISO dates, certificates as base64 DER', async () => {
    const r = await cli(['lookup', 'alice@example.test', '--dir', people(), ...TRUST, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.resolved).toBe(true);
    expect(doc.at).toBe('2026-06-01T00:00:00.000Z');
    expect(doc.directories).toEqual([{ name: people(), kind: 'file', format: 'ldif', entries: 4, skipped: [] }]);
    const [rec] = doc.recipients;
    expect(rec.address).toBe('alice@example.test');
    expect(rec.candidates).toHaveLength(3);
    const chosen = rec.candidates.filter((x: { chosen: boolean }) => x.chosen);
    expect(chosen).toHaveLength(1);
    expect(rec.chosen).toBe(chosen[0].fingerprint);
    expect(fromBase64(chosen[0].certificate)).toEqual(alice.certificate);
    expect(chosen[0]).toMatchObject({
      valid: true,
      directory: people(),
      entry: `cn=Alice,${BASE}`,
      attribute: 'userCertificate',
      format: 'der',
      notAfter: '2045-01-01T00:00:00.000Z',
    });
    const codes = rec.candidates
      .filter((x: { valid: boolean }) => !x.valid)
      .map((x: { problems: { code: string }[] }) => x.problems[0]!.code)
      .sort();
    expect(codes).toEqual(['expired', 'untrusted-root']);
    expect(rec.sources).toEqual([
      expect.objectContaining({ directory: people(), status: 'ok', entries: 1, error: null }),
    ]);
  });

  it('an address without a usable certificate: the report, then exit 1 with recipient-certificate-missing naming each', async () => {
    const r = await cli([
      'lookup',
      'alice@example.test',
      'bob@example.test',
      'nobody@example.test',
      '--dir',
      people(),
      ...TRUST,
    ]);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('recipient-certificate-missing');
    expect(r.stderr).toMatch(
      /bob@example\.test \(no valid certificate: .*expired.*\).*nobody@example\.test \(no address book has an entry/,
    );
    expect(r.stdout).toContain('bob@example.test: NO CERTIFICATE (no-valid-certificate)');
    expect(r.stdout).toContain('nobody@example.test: NO CERTIFICATE (not-found)');
    expect(r.stdout).toContain('1 of 3 address(es) resolved');
    const j = await cli(['lookup', 'bob@example.test', '--dir', people(), ...TRUST, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ resolved: false, missing: ['bob@example.test'] });
  });

  it('several --dir files, each its own address book; certificate files too', async () => {
    const r = await cli([
      'lookup',
      'p256.user@example.test',
      '--dir',
      c('ee-p256.pem'),
      '--dir',
      people(),
      ...TRUST,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout).recipients[0];
    expect(rec.sources.map((s: { directory: string }) => s.directory)).toEqual([c('ee-p256.pem'), people()]);
    // One certificate published in two places is one candidate with two sources.
    expect(rec.candidates).toHaveLength(1);
    expect(rec.candidates[0].sources.map((s: { directory: string }) => s.directory)).toEqual([
      c('ee-p256.pem'),
      people(),
    ]);
  });

  it('usage errors and unreadable or malformed input exit 2 with one error line', async () => {
    writeFileSync(file('garbage.bin'), 'not an address book\n');
    const cases: [string[], string][] = [
      [['lookup', '--dir', people(), ...TRUST], 'usage'],
      [['lookup', 'alice@example.test', ...TRUST], 'usage'],
      [['lookup', 'alice@example.test', '--dir', people()], 'usage'],
      [['lookup', 'alice@example.test', '--dir', people(), '--dir', people(), ...TRUST], 'usage'],
      [['lookup', 'alice@example.test', '--ldap', 'http://x', '--base', 'dc=x', ...TRUST], 'usage'],
      [['lookup', 'alice@example.test', '--ldap', 'ldap://127.0.0.1:1', ...TRUST], 'usage'],
      [['lookup', 'alice@example.test', '--dir', people(), '--base', 'dc=x', ...TRUST], 'usage'],
      [
        [
          'lookup',
          'alice@example.test',
          '--ldap',
          'ldap://127.0.0.1:1',
          '--base',
          'dc=x',
          '--bind',
          'cn=admin',
          ...TRUST,
        ],
        'usage',
      ],
      [
        [
          'lookup',
          'alice@example.test',
          '--ldap',
          'ldap://127.0.0.1:1',
          '--base',
          'dc=x',
          '--ca',
          c('root.pem'),
          ...TRUST,
        ],
        'usage',
      ],
      [['lookup', 'alice@example.test', '--dir', people(), '--timeout', '0', ...TRUST], 'usage'],
      [['lookup', 'alice@example.test', '--dir', people(), '--password', 'x', ...TRUST], 'usage'],
      [['lookup', 'not-an-address', '--dir', people(), ...TRUST], 'bad-address'],
      [['lookup', 'alice@example.test', '--dir', file('missing.ldif'), ...TRUST], 'unreadable-input'],
      [['lookup', 'alice@example.test', '--dir', file('garbage.bin'), ...TRUST], 'unsupported-format'],
      [
        ['lookup', 'alice@example.test', '--dir', people(), ...TRUST, '--policy', file('missing.json')],
        'unreadable-input',
      ],
    ];
    for (const [argv, code] of cases) {
      const r = await cli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      expect(errorCode(r), argv.join(' ')).toBe(code);
    }
  });
});

describeWithSlapd('smimekit lookup --ldap on a real slapd', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    const top = formatLdifEntry(BASE, { objectClass: ['organizationalUnit'], ou: 'people' });
    slapd = await startSlapd({ baseDn: 'dc=example,dc=test', entries: `${top}\n${ldif}` });
    writeFileSync(file('admin.pw'), `${slapd.adminPassword}\nsecond line ignored\n`);
    writeFileSync(file('wrong.pw'), 'wrong\n');
    writeFileSync(file('ldap-ca.pem'), slapd.caPem);
  });
  afterAll(async () => {
    await slapd?.dispose();
  });
  const ldap = (url = slapd.url) => [
    '--ldap',
    url,
    '--base',
    'dc=example,dc=test',
    '--ldap-schema',
    'inetorgperson',
    '--timeout',
    '5000',
  ];

  it('bound with --bind-password-file: the same choice as from the LDIF file, the DN as entry', async () => {
    const r = await cli([
      'lookup',
      'alice@example.test',
      ...ldap(),
      '--bind',
      slapd.adminDn,
      '--bind-password-file',
      file('admin.pw'),
      ...TRUST,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout).recipients[0];
    const chosen = rec.candidates.find((x: { chosen: boolean }) => x.chosen);
    expect(fromBase64(chosen.certificate)).toEqual(alice.certificate);
    expect(chosen.entry).toBe(`cn=Alice,${BASE}`);
    expect(rec.sources[0]).toMatchObject({ directory: `${slapd.url} dc=example,dc=test`, status: 'ok', entries: 1 });
  });

  it("the issue's own spelling works: --bind DN --password-file FILE", async () => {
    const r = await cli([
      'lookup',
      'alice@example.test',
      ...ldap(),
      '--bind',
      slapd.adminDn,
      '--password-file',
      file('admin.pw'),
      ...TRUST,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).recipients[0].sources[0]).toMatchObject({ status: 'ok', entries: 1 });
    const wrong = await cli([
      'lookup',
      'alice@example.test',
      ...ldap(),
      '--bind',
      slapd.adminDn,
      '--password-file',
      file('wrong.pw'),
      ...TRUST,
      '--json',
    ]);
    expect(JSON.parse(wrong.stdout).recipients[0].sources[0]).toMatchObject({
      status: 'error',
      error: { code: 'directory-auth-failed' },
    });
  });

  it('ldaps:// with --ca and StartTLS, anonymously; combined with a --dir file', async () => {
    for (const tls of [
      [...ldap(slapd.ldapsUrl), '--ca', file('ldap-ca.pem')],
      [...ldap(), '--starttls', '--ca', file('ldap-ca.pem')],
    ]) {
      const r = await cli([
        'lookup',
        'p256.user@example.test',
        'alice@example.test',
        ...tls,
        '--dir',
        c('ee-p256.pem'),
        ...TRUST,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.recipients[0].sources.map((s: { status: string }) => s.status)).toEqual(['ok', 'ok']);
      expect(doc.recipients[0].sources[0].entries).toBe(1);
    }
  });

  it('a wrong password or an unreachable server shows in the report; nothing found → exit 1', async () => {
    const bad = await cli([
      'lookup',
      'alice@example.test',
      ...ldap(),
      '--bind',
      slapd.adminDn,
      '--bind-password-file',
      file('wrong.pw'),
      ...TRUST,
      '--json',
    ]);
    expect(bad.code).toBe(1);
    expect(errorCode(bad)).toBe('recipient-certificate-missing');
    expect(JSON.parse(bad.stdout).recipients[0].sources[0]).toMatchObject({
      status: 'error',
      error: { code: 'directory-auth-failed' },
    });
    // The file still answers when the server does not.
    const down = await cli([
      'lookup',
      'alice@example.test',
      ...ldap('ldap://127.0.0.1:1'),
      '--dir',
      people(),
      ...TRUST,
    ]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/ldap:\/\/127\.0\.0\.1:1 dc=example,dc=test: error directory-unreachable: /);
  });

  it('the built binary closes its LDAP connection and exits on its own', () => {
    const argv = [
      builtBinary(),
      'lookup',
      'alice@example.test',
      ...ldap(),
      '--bind',
      slapd.adminDn,
      '--bind-password-file',
      file('admin.pw'),
      ...TRUST,
    ];
    const r = spawnSync('node', argv, { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, 'still running after 30 s: a connection was left open').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('[CHOSEN] CN=Alice,');
  });
});

describe('smimekit encrypt --rcpt', () => {
  it('encrypts to certificates found in the address book, --to certificates and the sender; each decrypts with OpenSSL', async () => {
    const out = file('rcpt.eml');
    const r = await cli([
      'encrypt',
      '--rcpt',
      'alice@example.test',
      '--rcpt',
      'p256.user@example.test',
      '--to',
      c('ee-p384.pem'),
      '--from',
      c('ee-rsa.pem'),
      '--dir',
      people(),
      ...TRUST,
      '--in',
      file('msg.txt'),
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning ecdh-recipient-mixed: /);
    for (const [cert, key] of [
      [alice.certFile, alice.keyFile],
      [c('ee-p256.pem'), c('ee-p256.key')],
      [c('ee-p384.pem'), c('ee-p384.key')],
      [c('ee-rsa.pem'), c('ee-rsa.key')],
    ] as const) {
      expect(opensslDecrypt(out, cert, key), cert).toContain('Hello from the address book.');
    }
  });

  it('an address without a usable certificate → exit 1 recipient-certificate-missing, nothing written; directory flags need --rcpt', async () => {
    const out = file('never.eml');
    const r = await cli([
      'encrypt',
      '--rcpt',
      'alice@example.test',
      '--rcpt',
      'bob@example.test',
      '--from',
      c('ee-rsa.pem'),
      '--dir',
      people(),
      ...TRUST,
      '--in',
      file('msg.txt'),
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('recipient-certificate-missing');
    expect(r.stderr).toContain('bob@example.test');
    expect(r.stderr).not.toContain('alice@example.test (');
    expect(existsSync(out)).toBe(false);
    expectUsage(
      await cli([
        'encrypt',
        '--to',
        c('ee-p256.pem'),
        '--from',
        c('ee-rsa.pem'),
        '--dir',
        people(),
        ...TRUST,
        '--in',
        file('msg.txt'),
      ]),
      'encrypt --dir without --rcpt',
    );
    expectUsage(
      await cli([
        'encrypt',
        '--rcpt',
        'alice@example.test',
        '--from',
        c('ee-rsa.pem'),
        ...TRUST,
        '--in',
        file('msg.txt'),
      ]),
      'encrypt --rcpt without a directory',
    );
    expectUsage(
      await cli([
        'encrypt',
        '--rcpt',
        'alice@example.test',
        '--from',
        c('ee-rsa.pem'),
        '--dir',
        people(),
        '--no-validate',
        '--in',
        file('msg.txt'),
      ]),
      'encrypt --rcpt --no-validate',
    );
  });
});

describe('smimekit compose', () => {
  const sender = [
    '--from',
    'RSA User <rsa.user@example.test>',
    '--p12',
    c('ee-rsa.p12'),
    '--password-file',
    file('pw.txt'),
  ];

  it('signed and encrypted: every recipient and the sender decrypt (OpenSSL), and the signature verifies', async () => {
    const out = file('composed.eml');
    // --rcpt (the issue's name) and --to are the same: To recipients resolved through the address books.
    const r = await cli([
      'compose',
      ...sender,
      '--rcpt',
      'p256.user@example.test',
      '--cc',
      'alice@example.test',
      '--subject',
      'Figures',
      '--in',
      file('msg.txt'),
      '--sign',
      '--encrypt',
      '--dir',
      people(),
      ...TRUST,
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `envelope ${out}: from rsa.user@example.test to p256.user@example.test, alice@example.test (main copy, encrypted to `,
    );
    const message = readFileSync(out, 'latin1');
    expect(message).toMatch(/^Subject: Figures\r$/m);
    expect(message).toContain('smime-type=enveloped-data');
    for (const [cert, key] of [
      [alice.certFile, alice.keyFile],
      [c('ee-p256.pem'), c('ee-p256.key')],
      [c('ee-rsa.pem'), c('ee-rsa.key')],
    ] as const) {
      const inner = opensslDecrypt(out, cert, key);
      expect(inner, cert).toContain('multipart/signed');
      writeFileSync(file('inner.eml'), inner!, 'latin1');
      const v = await cli([
        'verify',
        '--trust',
        c('root.pem'),
        ...AT,
        '--in',
        file('inner.eml'),
        '--out',
        file('content.txt'),
      ]);
      expect(v.code, v.stdout).toBe(0);
      expect(readFileSync(file('content.txt'), 'latin1')).toContain('Hello from the address book.');
    }
  });

  it('Bcc forking: needs --out-dir; 1.eml for To/Cc, 2.eml for the Bcc recipient, who appears in no header', async () => {
    const base = [
      'compose',
      ...sender,
      '--to',
      'p256.user@example.test',
      '--bcc',
      'alice@example.test',
      '--in',
      file('msg.txt'),
      '--sign',
      '--encrypt',
      '--dir',
      people(),
      ...TRUST,
    ];
    const noDir = await cli(base);
    expectUsage(noDir, 'several copies without --out-dir');
    expect(noDir.stdout).toBe('');
    const outDir = file('out');
    const r = await cli([...base, '--out-dir', outDir]);
    expect(r.code, r.stderr).toBe(0);
    const [main, bcc] = [join(outDir, '1.eml'), join(outDir, '2.eml')];
    expect(r.stderr).toContain(
      `envelope ${main}: from rsa.user@example.test to p256.user@example.test (main copy, encrypted to p256.user@example.test, rsa.user@example.test)`,
    );
    expect(r.stderr).toContain(
      `envelope ${bcc}: from rsa.user@example.test to alice@example.test (Bcc copy, encrypted to alice@example.test, rsa.user@example.test)`,
    );
    for (const f of [main, bcc]) expect(withoutBase64Lines(readFileSync(f, 'latin1'))).not.toMatch(/alice|^Bcc:/im);
    const mainInner = opensslDecrypt(main, c('ee-p256.pem'), c('ee-p256.key'));
    expect(mainInner).toContain('Hello from the address book.');
    expect(withoutBase64Lines(mainInner!)).not.toMatch(/alice|^Bcc:/im);
    expect(opensslDecrypt(main, alice.certFile, alice.keyFile)).toBeUndefined();
    expect(opensslDecrypt(bcc, c('ee-p256.pem'), c('ee-p256.key'))).toBeUndefined();
    const bccInner = opensslDecrypt(bcc, alice.certFile, alice.keyFile);
    expect(bccInner).toContain('Hello from the address book.');
    expect(bccInner).not.toMatch(/^Bcc:/im);
  });

  it('--policy (Get-SmimeConfig JSON) supplies the trust list (an SST beside it), alwaysSign/alwaysEncrypt and no Bcc forking', async () => {
    const policyDir = mkdtempSync(join(dir, 'policy-'));
    writeFileSync(join(policyDir, 'tenant.sst'), chainsSst({ intermediates: true }));
    writeFileSync(
      join(policyDir, 'smime.json'),
      JSON.stringify({
        Identity: 'SmimeConfig',
        OWAAlwaysSign: true,
        OWAAlwaysEncrypt: true,
        OWABCCEncryptedEmailForking: 2,
        SMIMECertificateIssuingCA: 'tenant.sst',
      }),
    );
    const out = file('policy.eml');
    const r = await cli([
      'compose',
      ...sender,
      '--to',
      'p256.user@example.test',
      '--bcc',
      'alice@example.test',
      '--in',
      file('msg.txt'),
      '--dir',
      people(),
      ...AT,
      '--policy',
      join(policyDir, 'smime.json'),
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'to p256.user@example.test, alice@example.test (main copy, encrypted to p256.user@example.test, alice@example.test, rsa.user@example.test)',
    );
    expect(opensslDecrypt(out, alice.certFile, alice.keyFile)).toContain('multipart/signed');
    writeFileSync(join(policyDir, 'bad.json'), JSON.stringify({ OWASigningAlgorithms: '8004' }));
    const bad = await cli([
      'compose',
      ...sender,
      '--to',
      'p256.user@example.test',
      '--in',
      file('msg.txt'),
      '--policy',
      join(policyDir, 'bad.json'),
    ]);
    expect(bad.code).toBe(2);
    expect(errorCode(bad)).toBe('bad-policy');
  });

  it('a recipient without a certificate → exit 1; usage errors exit 2', async () => {
    const r = await cli([
      'compose',
      ...sender,
      '--to',
      'bob@example.test',
      '--in',
      file('msg.txt'),
      '--encrypt',
      '--dir',
      people(),
      ...TRUST,
    ]);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('recipient-certificate-missing');
    expect(r.stdout).toBe('');
    const msg = ['--in', file('msg.txt')];
    expectUsage(await cli(['compose', '--to', 'bob@example.test', ...msg]), 'no --from');
    expectUsage(await cli(['compose', '--from', 'rsa.user@example.test', ...msg]), 'no recipient');
    expectUsage(
      await cli(['compose', ...sender, '--to', 'p256.user@example.test', '--out', 'a', '--out-dir', 'b', ...msg]),
      '--out and --out-dir',
    );
    expectUsage(
      await cli(['compose', '--from', 'rsa.user@example.test', '--to', 'p256.user@example.test', '--sign', ...msg]),
      'sign without identity',
    );
    expectUsage(
      await cli(['compose', ...sender, '--to', 'p256.user@example.test', '--encrypt', ...TRUST, ...msg]),
      'encrypt without a directory',
    );
    expectUsage(
      await cli(['compose', ...sender, '--password', 'test', '--to', 'p256.user@example.test', '--sign', ...msg]),
      'two passwords',
    );
  });
});

describe('smimekit publish', () => {
  it('writes a userSMIMECertificate value OpenSSL verifies, which lookup reads back as a signed-data candidate', async () => {
    const out = file('rsa.p7');
    // --password-env reads the variable: unset, a usage error; set only for this call.
    expectUsage(
      await cli(['publish', '--p12', c('ee-rsa.p12'), '--password-env', 'SMIMEKIT_TEST_P12_PASSWORD', '--out', out]),
      'unset --password-env',
    );
    process.env.SMIMEKIT_TEST_P12_PASSWORD = 'test';
    try {
      const ok = await cli([
        'publish',
        '--p12',
        c('ee-rsa.p12'),
        '--password-env',
        'SMIMEKIT_TEST_P12_PASSWORD',
        '--out',
        out,
      ]);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      delete process.env.SMIMEKIT_TEST_P12_PASSWORD;
    }
    execFileSync('openssl', ['cms', '-verify', '-noverify', '-inform', 'DER', '-in', out, '-out', '/dev/null'], {
      stdio: 'pipe',
    });
    const look = await cli(['lookup', 'rsa.user@example.test', '--dir', out, ...TRUST, '--json']);
    expect(look.code, look.stderr).toBe(0);
    const chosen = JSON.parse(look.stdout).recipients[0].candidates[0];
    expect(chosen).toMatchObject({ chosen: true, attribute: 'userSMIMECertificate', format: 'signed-data' });
    expect(chosen.capabilities.length).toBeGreaterThan(0);
  });

  it('--ldif DN writes the ldapmodify change record; --cert/--key with --chain; binary to stdout', async () => {
    const dn = `cn=P256 User,${BASE}`;
    const r = await cli([
      'publish',
      '--cert',
      c('ee-p256.pem'),
      '--key',
      c('ee-p256.key'),
      '--chain',
      c('intermediate.pem'),
      '--ldif',
      dn,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^dn: cn=P256 User,ou=people,dc=example,dc=test\nchangetype: modify\nreplace: userSMIMECertificate;binary\nuserSMIMECertificate;binary:: MI/,
    );
    const add = await cli(['publish', '--cert', c('ee-p256.pem'), '--key', c('ee-p256.key'), '--ldif', dn, '--add']);
    expect(add.stdout).toContain('\nadd: userSMIMECertificate;binary\n');
    const bin = await cli([
      'publish',
      '--cert',
      c('ee-p256.pem'),
      '--key',
      c('ee-p256.key'),
      '--chain',
      c('intermediate.pem'),
    ]);
    expect(bin.code).toBe(0);
    writeFileSync(file('p256.p7'), bin.stdoutBytes);
    const certs = execFileSync('openssl', [
      'pkcs7',
      '-inform',
      'DER',
      '-in',
      file('p256.p7'),
      '-print_certs',
      '-noout',
    ]).toString();
    expect(certs).toContain('P-256 User');
    expect(certs).toMatch(/Intermediate/i);
    expectUsage(
      await cli(['publish', '--cert', c('ee-p256.pem'), '--key', c('ee-p256.key'), '--add']),
      '--add without --ldif',
    );
    expectUsage(await cli(['publish', '--chain', c('intermediate.pem')]), 'no identity');
    const mismatch = await cli(['publish', '--cert', c('ee-p256.pem'), '--key', c('ee-rsa.key')]);
    expect(mismatch.code).toBe(2);
    expect(errorCode(mismatch)).toBe('key-mismatch');
  });
});

describe('the built binary', () => {
  it('lookup --json (the LDAP client loaded on demand), exit codes and one error line', () => {
    const bin = builtBinary();
    const ok = spawnSync(
      'node',
      [
        bin,
        'lookup',
        'alice@example.test',
        '--dir',
        people(),
        '--ldap',
        'ldap://127.0.0.1:1',
        '--base',
        'dc=x',
        '--timeout',
        '3000',
        ...TRUST,
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(ok.status, ok.stderr).toBe(0);
    const doc = JSON.parse(ok.stdout);
    expect(doc.recipients[0].sources.map((s: { status: string }) => s.status)).toEqual(['ok', 'error']);
    const missing = spawnSync('node', [bin, 'lookup', 'bob@example.test', '--dir', people(), ...TRUST], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error recipient-certificate-missing: [^\n]+\n$/);
    const usage = spawnSync('node', [bin, 'compose', '--to', 'bob@example.test'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe('error usage: option --from is required\n');
    const help = spawnSync('node', [bin, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/smimekit lookup[\s\S]*smimekit compose[\s\S]*smimekit publish/);
  });
});
