/**
 * Docs that run: every ```ts / ```typescript / ```js / ```javascript / ```mjs block of README.md and docs/*.md
 * is executed here, one test per block, named by file and line of its opening fence (`docs/signing.md:13`).
 * Shell blocks (```sh, ```bash, ```console) and blocks without a language are not run (the CLI has its own tests).
 *
 * How a block runs:
 * - as an ES module (top-level await allowed) written to a temporary folder, padded with blank lines so that its
 *   line numbers in errors and stack traces are the line numbers of the Markdown file;
 * - `smimekit` and `smimekit/<sub>` resolve to src/ (the aliases in vitest.config.ts, one per sub-path export);
 *   other packages resolve from the repository's node_modules;
 * - in a fresh temporary working directory holding the fixture files below, so `readFile('tenant.sst')` works;
 * - console output is captured and shown only when the block fails. A block fails when it throws (use
 *   `node:assert/strict` in examples to state results), and the TypeScript blocks must also type-check
 *   (tsconfig.json, minus `noUnusedLocals` and `noUncheckedIndexedAccess`, which examples do not need).
 * - LDAP: `ldap://…contoso.com` and `ldaps://…contoso.com` URLs are pointed at a throwaway slapd
 *   (test/helpers/slapd.ts) holding the entries of gal.ldf under DC=contoso,DC=com, plus the bind account
 *   `CN=smime-reader,OU=Service,DC=contoso,DC=com` whose password is in `process.env.GAL_PASSWORD`. Without slapd
 *   those blocks are skipped (in CI they fail).
 *
 * A block that cannot run is marked in its info string: ```ts no-run. They are listed by the last test, which
 * fails when there are more than MAX_NO_RUN of them: make examples runnable instead.
 *
 * Fixture files (documented in docs/architecture.md, "Docs examples"); every certificate chains to the tenant
 * trust list and is valid from 2025-01-01 to 2045-01-01:
 *   tenant.sst          the tenant trust list (SST): the test root and the issuing intermediate, for Secure Email
 *   root.pem            the root CA certificate;  intermediate.pem: the issuing CA certificate
 *   roots.p7b           root and intermediate as a PKCS#7 certificate bundle (DER)
 *   root.crl, intermediate.crl      the CAs' CRLs (DER); nothing the fixtures use is revoked
 *   alice.p12           Alice's identity (RSA), password `password`; alice.pem (certificate), alice.key (PKCS#8 PEM)
 *                       addresses alice@example.com and alice@contoso.com
 *   bob.p12, bob.pem, bob.key       the same for Bob (RSA): bob@example.com, bob@contoso.com
 *   carol.p12, carol.pem, carol.key the same for Carol (EC P-256): carol@contoso.com
 *   audit.p12, audit.pem, audit.key the same for the audit mailbox (EC P-256): audit@contoso.com
 *   message.eml         a plain message from Alice to Bob: multipart/mixed, a text part and figures.csv
 *   signed.eml          message.eml signed by Alice (multipart/signed)
 *   encrypted.eml       signed.eml encrypted to Bob and Alice (sign, then encrypt, as Outlook sends)
 *   gal.ldf             an LDIF export of the GAL (DC=contoso,DC=com): Alice (userSMIMECertificate), Bob (also
 *                       robert@contoso.com), Carol and Audit (userCertificate), Dave (no certificate); the lists
 *                       team@ (Bob, Carol), sales@ (Alice, Bob) and rooms@ (Room 1, which has no address)
 *   smime-config.json   `Get-SmimeConfig | ConvertTo-Json`: OWAAlwaysSign, SHA-256, the tenant SST
 *   contoso-ca.pem      the CA of the LDAP server's TLS certificate (only when slapd runs)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setCryptoBackend } from '../../src/crypto/engine.js';
import { buildUserSmimeCertificate } from '../../src/directory/user-smime-certificate-build.js';
import { formatLdifEntry } from '../../src/directory/ldif-write.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { signMessage } from '../../src/smime/sign.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { decodePem } from '../../src/util/pem.js';
import { chainsIntermediate, chainsSst, issueUser, type IssuedUser } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { projectVectorPath, repoRoot } from '../helpers/vectors.js';
import { tempDir } from '../helpers/temp.js';

/** Most blocks that may be marked `no-run` before this test fails. */
const MAX_NO_RUN = 5;
/** The words an info string may carry after the language. */
const MARKERS = new Set(['no-run']);
const RUN_LANGUAGES: Record<string, 'ts' | 'mjs'> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'mjs',
  javascript: 'mjs',
  mjs: 'mjs',
};

interface DocBlock {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  info: string;
  code: string;
  noRun: boolean;
}

/** Fenced code blocks of one Markdown file (``` or ~~~, indented ones inside lists too). */
function extractBlocks(file: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, language, info] = open as unknown as [string, string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(fence) && new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(l)) break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    blocks.push({
      file,
      line: i + 1,
      language: language.toLowerCase(),
      info: info.trim(),
      code: body.join('\n') + '\n',
      noRun: /(^|\s)no-run(\s|$)/.test(info),
    });
    i = j;
  }
  return blocks;
}

const docFiles = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const allBlocks = docFiles.flatMap((file) => extractBlocks(file, readFileSync(join(repoRoot, file), 'utf8')));
const codeBlocks = allBlocks.filter((b) => b.language in RUN_LANGUAGES);
const runnable = codeBlocks.filter((b) => !b.noRun);
const name = (b: DocBlock) => `${b.file}:${b.line}`;
const slug = (b: DocBlock) => `${b.file.replace(/[^\w.-]+/g, '_')}-${b.line}`;
/** The block as a module whose line numbers are the Markdown file's. */
const moduleSource = (b: DocBlock, code = b.code) => '\n'.repeat(b.line) + code;

const usesLdap = (b: DocBlock) => /\bnew LdapDirectory\b/.test(b.code);
const slapdInstalled = existsSync('/usr/sbin/slapd') && existsSync('/usr/sbin/slapadd');
const needsSlapd = runnable.some(usesLdap);
const LDAP_URL = /\b(ldaps?):\/\/[\w.-]*contoso\.com(?::\d+)?\b/gi;
const BASE_DN = 'dc=contoso,dc=com';
const GAL_PASSWORD = 'reader-secret';

let work: string;
let fixtures: string;
let modules: string;
let slapd: Slapd | undefined;
const previousGalPassword = process.env.GAL_PASSWORD;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The plain message: a text part (quoted-printable, non-ASCII) and a CSV attachment (base64). */
const MESSAGE = [
  'From: Alice <alice@example.com>',
  'To: Bob <bob@example.com>',
  'Subject: Quarterly figures',
  'Date: Mon, 1 Jun 2026 09:00:00 +0000',
  'Message-ID: <figures-2026-q2@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="part-boundary"',
  '',
  '--part-boundary',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hello Bob, the figures are attached. Gr=C3=BC=C3=9Fe, Alice',
  '--part-boundary',
  'Content-Type: text/csv; name="figures.csv"',
  'Content-Disposition: attachment; filename="figures.csv"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('quarter,revenue\nQ1,100\nQ2,120\n').toString('base64'),
  '--part-boundary--',
  '',
].join('\r\n');

async function makeFixtures(): Promise<void> {
  const pki = join(work, 'pki');
  mkdirSync(pki);
  const put = (file: string, data: string | Uint8Array) => writeFileSync(join(fixtures, file), data);
  const intermediate = chainsIntermediate();
  const rootPem = readFileSync(projectVectorPath('chains', 'root.pem'), 'utf8');
  put('tenant.sst', chainsSst({ intermediates: true }));
  put('root.pem', rootPem);
  put('intermediate.pem', intermediate.certPem);
  openssl([
    'crl2pkcs7',
    '-nocrl',
    '-certfile',
    join(fixtures, 'root.pem'),
    '-certfile',
    join(fixtures, 'intermediate.pem'),
    '-outform',
    'DER',
    '-out',
    join(fixtures, 'roots.p7b'),
  ]);
  for (const ca of ['root', 'intermediate'])
    put(`${ca}.crl`, decodePem(readFileSync(projectVectorPath('chains', `${ca}.crl.pem`)))[0]!.der);

  const users: Record<string, IssuedUser> = {};
  const people = [
    { file: 'alice', name: 'Alice', emails: ['alice@example.com', 'alice@contoso.com'], keyType: 'rsa' as const },
    { file: 'bob', name: 'Bob', emails: ['bob@example.com', 'bob@contoso.com'], keyType: 'rsa' as const },
    { file: 'carol', name: 'Carol', emails: ['carol@contoso.com'], keyType: 'p256' as const },
    { file: 'audit', name: 'Audit', emails: ['audit@contoso.com'], keyType: 'p256' as const },
  ];
  await Promise.all(
    people.map(async (p) => {
      const user = await issueUser(pki, { name: p.name, emails: p.emails, keyType: p.keyType, newKey: true });
      users[p.file] = user;
      put(`${p.file}.pem`, user.certPem);
      put(`${p.file}.key`, user.keyPem);
      writeFileSync(join(pki, `${p.file}-chain.pem`), intermediate.certPem + rootPem);
      openssl([
        'pkcs12',
        '-export',
        '-name',
        p.name,
        '-inkey',
        user.keyFile,
        '-in',
        user.certFile,
        '-certfile',
        join(pki, `${p.file}-chain.pem`),
        '-passout',
        'pass:password',
        '-out',
        join(fixtures, `${p.file}.p12`),
      ]);
    }),
  );
  const { alice, bob, carol, audit } = users as Record<'alice' | 'bob' | 'carol' | 'audit', IssuedUser>;

  put('message.eml', MESSAGE);
  const signed = await signMessage(MESSAGE, { signer: alice.identity });
  put('signed.eml', signed);
  const trust = TrustList.fromBytes(chainsSst({ intermediates: true }));
  const encrypted = await encryptMessage(signed, {
    recipients: [{ address: 'bob@example.com', certificate: bob.certificate }],
    sender: { address: 'alice@example.com', certificate: alice.certificate },
    trust,
  });
  put('encrypted.eml', encrypted.message);

  const dn = (cn: string, ou = 'Users') => `CN=${cn},OU=${ou},DC=contoso,DC=com`;
  const user = (cn: string, mail: string, attributes: Record<string, (string | Uint8Array)[]>) =>
    formatLdifEntry(dn(cn), {
      objectClass: ['user'],
      cn: [cn],
      sn: [cn],
      displayName: [cn],
      mail: [mail],
      proxyAddresses: [`SMTP:${mail}`],
      ...attributes,
    });
  const group = (cn: string, mail: string, members: string[]) =>
    formatLdifEntry(dn(cn, 'Groups'), {
      objectClass: ['group'],
      cn: [cn],
      mail: [mail],
      proxyAddresses: [`SMTP:${mail}`],
      member: members,
    });
  const galEntries = [
    user('Alice', 'alice@contoso.com', {
      userSMIMECertificate: [await buildUserSmimeCertificate(alice.identity)],
    }),
    user('Bob', 'bob@contoso.com', {
      proxyAddresses: ['SMTP:bob@contoso.com', 'smtp:robert@contoso.com'],
      'userCertificate;binary': [bob.certificate],
    }),
    user('Carol', 'carol@contoso.com', { 'userCertificate;binary': [carol.certificate] }),
    user('Audit', 'audit@contoso.com', { 'userCertificate;binary': [audit.certificate] }),
    user('Dave', 'dave@contoso.com', {}),
    formatLdifEntry(dn('Room 1', 'Resources'), { objectClass: ['user'], cn: ['Room 1'], sn: ['Room 1'] }),
    group('Team', 'team@contoso.com', [dn('Bob'), dn('Carol')]),
    group('Sales', 'sales@contoso.com', [dn('Alice'), dn('Bob')]),
    group('Rooms', 'rooms@contoso.com', [dn('Room 1', 'Resources')]),
  ];
  put('gal.ldf', galEntries.join('\n'));

  put(
    'smime-config.json',
    JSON.stringify(
      {
        Identity: 'SmimeConfig',
        OWAAlwaysSign: true,
        OWAAlwaysEncrypt: false,
        OWASigningAlgorithms: '800C',
        OWAEncryptionAlgorithms: '6610',
        OWAIncludeCertificateChainWithoutRootCertificate: true,
        SMIMECertificateIssuingCA: [...chainsSst({ intermediates: true })],
      },
      null,
      2,
    ),
  );

  if (needsSlapd && slapdInstalled) {
    const containers = ['Users', 'Groups', 'Resources', 'Service'].map((ou) =>
      formatLdifEntry(`OU=${ou},DC=contoso,DC=com`, { objectClass: ['organizationalUnit'], ou: [ou] }),
    );
    const reader = formatLdifEntry(dn('smime-reader', 'Service'), {
      objectClass: ['inetOrgPerson'],
      cn: ['smime-reader'],
      sn: ['reader'],
      userPassword: [GAL_PASSWORD],
    });
    slapd = await startSlapd({ baseDn: BASE_DN, entries: [...containers, reader, ...galEntries].join('\n') });
    put('contoso-ca.pem', slapd.caPem);
    process.env.GAL_PASSWORD = GAL_PASSWORD;
  }
}

beforeAll(async () => {
  work = tempDir('smimekit-docs-');
  fixtures = join(work, 'fixtures');
  modules = join(work, 'modules');
  mkdirSync(fixtures);
  mkdirSync(modules);
  // Bare imports other than smimekit (node:*, nodemailer, …) resolve from the repository's packages.
  symlinkSync(join(repoRoot, 'node_modules'), join(modules, 'node_modules'), 'dir');
  await makeFixtures();
});

afterAll(async () => {
  await slapd?.dispose();
  if (previousGalPassword === undefined) delete process.env.GAL_PASSWORD;
  else process.env.GAL_PASSWORD = previousGalPassword;
  if (work) rmSync(work, { recursive: true, force: true });
});

afterEach(() => {
  // An example may install another WebCrypto: the next one starts from the platform's again.
  setCryptoBackend(globalThis.crypto);
});

/** Runs one block as a module in a fresh working directory with the fixtures; console output is shown on failure. */
async function runBlock(block: DocBlock): Promise<void> {
  let code = block.code;
  if (slapd) {
    const server = slapd;
    code = code.replace(LDAP_URL, (_url, scheme: string) =>
      scheme.toLowerCase() === 'ldaps' ? server.ldapsUrl : server.url,
    );
  }
  const cwd = join(work, `cwd-${slug(block)}`);
  cpSync(fixtures, cwd, { recursive: true });
  const file = join(modules, `${slug(block)}.${RUN_LANGUAGES[block.language]}`);
  writeFileSync(file, moduleSource(block, code));
  const output: string[] = [];
  const capture = (...args: unknown[]) =>
    void output.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4 }))).join(' '));
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'dir', 'table'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(capture),
  );
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof Error && output.length)
      e.message += `\n--- console output of ${name(block)} ---\n${output.join('\n')}`;
    throw e;
  } finally {
    process.chdir(previous);
    for (const spy of spies) spy.mockRestore();
  }
}

describe('docs examples', () => {
  it('finds the code blocks of README.md and docs/*.md', () => {
    expect(docFiles).toContain('docs/signing.md');
    expect(runnable.length).toBeGreaterThan(20);
  });

  for (const block of codeBlocks) {
    if (block.noRun) it.skip(`${name(block)} (no-run)`, () => {});
    else if (!usesLdap(block) || slapdInstalled) it(name(block), () => runBlock(block));
    else if (!process.env.CI) it.skip(`${name(block)} (skipped: Debian's slapd is not installed)`, () => {});
    else
      it(name(block), () => {
        throw new Error('slapd is not installed: .ci/run installs it with apt (slapd, ldap-utils)');
      });
  }

  it('code blocks are marked with known words only', () => {
    const unknown = codeBlocks
      .filter((b) => b.info.split(/\s+/).some((word) => word !== '' && !MARKERS.has(word)))
      .map((b) => `${name(b)}: \`\`\`${b.language} ${b.info}`);
    expect(unknown, `unknown info-string words (only ${[...MARKERS].join(', ')}):\n${unknown.join('\n')}`).toEqual([]);
  });

  it('the TypeScript blocks type-check', () => {
    const diagnostics = typeCheck(runnable.filter((b) => RUN_LANGUAGES[b.language] === 'ts'));
    expect(diagnostics, diagnostics.join('\n')).toEqual([]);
  });

  it(`at most ${MAX_NO_RUN} blocks are marked no-run`, () => {
    const noRun = codeBlocks.filter((b) => b.noRun).map(name);
    expect(noRun.length, `blocks marked no-run:\n${noRun.join('\n')}`).toBeLessThanOrEqual(MAX_NO_RUN);
  });
});

/** Type-checks the blocks as modules under the repository's tsconfig, `smimekit` mapped to src/. */
function typeCheck(blocks: DocBlock[]): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(repoRoot, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const paths: Record<string, string[]> = {};
  for (const key of Object.keys(pkg.exports)) {
    if (key === '.') paths.smimekit = [join(repoRoot, 'src', 'index.ts')];
    else if (/^\.\/[\w-]+$/.test(key))
      paths[`smimekit/${key.slice(2)}`] = [join(repoRoot, 'src', `${key.slice(2)}.ts`)];
  }
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    noUncheckedIndexedAccess: false,
    moduleDetection: ts.ModuleDetectionKind.Force,
    paths,
  };
  // Virtual files inside the repository, so node_modules (types of node:*, other packages) are found as usual.
  const virtualDir = join(repoRoot, '.docs-examples');
  const files = new Map(blocks.map((b) => [join(virtualDir, `${slug(b)}.ts`), b]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => (files.has(f) ? moduleSource(files.get(f)!) : readFile.call(host, f));
  host.getSourceFile = (f, language, ...rest) =>
    files.has(f)
      ? ts.createSourceFile(f, moduleSource(files.get(f)!), language, true)
      : getSourceFile.call(host, f, language, ...rest);
  const program = ts.createProgram([...files.keys()], options, host);
  const out: string[] = [];
  for (const [f, block] of files) {
    const sourceFile = program.getSourceFile(f)!;
    for (const d of [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]) {
      const line = d.start === undefined ? block.line : sourceFile.getLineAndCharacterOfPosition(d.start).line + 1;
      out.push(`${block.file}:${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
  }
  return out;
}
