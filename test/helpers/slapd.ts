/**
 * A real OpenLDAP server for the address-book tests: Debian's slapd on free loopback ports, with a throwaway
 * configuration, database and TLS certificates made for the run (core, cosine and inetorgperson schemas plus a
 * small test schema adding Active Directory's proxyAddresses and its user / contact / group classes). In CI a
 * missing slapd fails the suite; elsewhere the suites that need it are skipped with a message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const START_TIMEOUT_MS = 15_000;

/** True when slapd, slapadd, the mdb backend and ldap-utils are installed. */
function hasSlapd(): boolean {
  return (
    existsSync(SLAPD) &&
    existsSync(SLAPADD) &&
    existsSync('/usr/lib/ldap') &&
    spawnSync('ldapsearch', ['-VV']).status !== null
  );
}

/** Servers started and not yet disposed (vitest ends its workers with a signal, so no exit hook would run). */
const running = new Set<() => Promise<void>>();

/**
 * `describe` for suites that need slapd: skipped with a message without it, failing in CI. Any server the suite
 * started and did not dispose (a failing beforeAll or afterAll) is disposed once the suite is over.
 */
export function describeWithSlapd(name: string, fn: () => void): void {
  if (hasSlapd()) {
    describe(name, fn);
    // A hook beside the suite, not in it: vitest skips a suite's remaining afterAll hooks once one throws.
    afterAll(async () => {
      for (const dispose of [...running]) await dispose();
    });
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs slapd (CI must install slapd and ldap-utils: see .ci/run)', () => {
        throw new Error('slapd is not installed: .ci/run installs it with apt (slapd, ldap-utils)');
      });
    });
  } else describe.skip(`${name} (skipped: Debian's slapd and ldap-utils are not installed)`, fn);
}

/** Options of `startSlapd`. */
export interface SlapdOptions {
  /** Suffix of the database (default dc=contoso,dc=test). */
  baseDn?: string;
  /** LDIF loaded with slapadd before the start (the base entry is added when missing). */
  entries?: string;
  /** Also listen on ldaps:// and offer StartTLS, with a CA made for the run (default true). */
  tls?: boolean;
  /** slapd `access` lines placed before the final `access to * by * read` (e.g. to hide a subtree from anonymous binds). */
  acl?: readonly string[];
}

/** A running throwaway slapd without TLS. */
export interface PlainSlapd {
  url: string;
  port: number;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  /** The temp dir holding configuration, database and certificates. */
  dir: string;
  /** Stops the server (the data stays; `start()` brings it back on the same ports). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Adds entries to the running server with `ldapadd` as the admin. */
  ldapAdd(ldif: string): Promise<void>;
  /** Stops the server and removes everything it wrote. */
  dispose(): Promise<void>;
}

/** A running throwaway slapd with ldaps:// and StartTLS. */
export interface Slapd extends PlainSlapd {
  ldapsUrl: string;
  tlsPort: number;
  /** PEM of the CA that issued the server certificate. */
  caPem: string;
  /** PEM of another CA (for "wrong CA" tests). */
  otherCaPem: string;
}

// Active Directory's proxyAddresses (case-insensitive, as AD compares it) and user / contact / group classes
// under AD's OIDs, so AD-style filters run unchanged; the auxiliary class puts mail attributes on any entry.
const TEST_SCHEMA = `attributetype ( 1.2.840.113556.1.2.210 NAME 'proxyAddresses'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.3.6.1.4.1.55555.1.1 NAME 'smimekitMailRecipient' SUP top AUXILIARY
  MAY ( mail $ proxyAddresses $ displayName ) )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP inetOrgPerson STRUCTURAL
  MAY proxyAddresses )
objectclass ( 1.2.840.113556.1.5.15 NAME 'contact' SUP organizationalPerson STRUCTURAL
  MAY ( mail $ proxyAddresses $ displayName ) )
objectclass ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ mail $ proxyAddresses $ displayName $ description ) )
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** A CA, another CA, and a server certificate for 127.0.0.1 / localhost (PKCS#8 key: GnuTLS and OpenSSL builds read it). */
function makeTls(dir: string): void {
  const o = (...args: string[]) => run('openssl', args, dir);
  for (const ca of ['ca', 'other-ca']) {
    o(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.pem`,
      '-days',
      '30',
      '-subj',
      `/CN=smimekit test ${ca}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  }
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  o(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  );
}

function slapdConf(dir: string, baseDn: string, adminDn: string, adminPassword: string, options: SlapdOptions): string {
  const tls =
    options.tls === false
      ? []
      : [
          `TLSCACertificateFile ${join(dir, 'ca.pem')}`,
          `TLSCertificateFile ${join(dir, 'server.pem')}`,
          `TLSCertificateKeyFile ${join(dir, 'server.key')}`,
        ];
  return [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    `include ${join(dir, 'smimekit-test.schema')}`,
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...tls,
    'sizelimit 5000',
    'database mdb',
    'maxsize 268435456',
    `suffix "${baseDn}"`,
    `rootdn "${adminDn}"`,
    `rootpw ${adminPassword}`,
    `directory ${join(dir, 'db')}`,
    'index objectClass,mail,proxyAddresses eq',
    ...(options.acl ?? []),
    'access to * by * read',
  ].join('\n');
}

function withBaseEntry(ldif: string, baseDn: string): string {
  if (new RegExp(`^dn: ${baseDn}$`, 'mi').test(ldif)) return ldif;
  const rdn = /^([^=]+)=([^,]+)/.exec(baseDn)!;
  const top =
    rdn[1] === 'dc'
      ? `dn: ${baseDn}\nobjectClass: dcObject\nobjectClass: organization\ndc: ${rdn[2]}\no: ${rdn[2]}\n`
      : `dn: ${baseDn}\nobjectClass: organization\no: ${rdn[2]}\n`;
  return `${top}\n${ldif}`;
}

/** Starts a throwaway slapd with `entries` loaded; `dispose()` stops it and removes its temp dir. */
export async function startSlapd(options: SlapdOptions & { tls: false }): Promise<PlainSlapd>;
export async function startSlapd(options?: SlapdOptions): Promise<Slapd>;
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd | PlainSlapd> {
  const dir = mkdtempSync(join(tmpdir(), 'smimekit-slapd-'));
  try {
    return await launch(dir, options);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function launch(dir: string, options: SlapdOptions): Promise<Slapd | PlainSlapd> {
  const baseDn = options.baseDn ?? 'dc=contoso,dc=test';
  const adminDn = `cn=admin,${baseDn}`;
  const adminPassword = 'admin-secret';
  const withTls = options.tls !== false;
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'smimekit-test.schema'), TEST_SCHEMA);
  if (withTls) makeTls(dir);
  writeFileSync(join(dir, 'slapd.conf'), `${slapdConf(dir, baseDn, adminDn, adminPassword, options)}\n`);
  writeFileSync(join(dir, 'entries.ldif'), withBaseEntry(options.entries ?? '', baseDn));
  run(SLAPADD, ['-f', join(dir, 'slapd.conf'), '-l', join(dir, 'entries.ldif')], dir);

  const port = await freePort();
  const tlsPort = withTls ? await freePort() : 0;
  const ports = withTls ? [port, tlsPort] : [port];
  const urls = withTls ? `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/` : `ldap://127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child) return;
    let stderr = '';
    // -d 0: stay in the foreground (a child we can wait for) without debug output; errors still go to stderr.
    const c = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', urls, '-d', '0'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child = c;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const up = await Promise.all(ports.map(answers));
      if (up.every(Boolean)) return;
      if (Date.now() > deadline || c.exitCode !== null) {
        await stop();
        throw new Error(`slapd did not start (exit ${c.exitCode}): ${stderr.trim()}`);
      }
      await sleep(50);
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c) return;
    if (c.exitCode === null && c.signalCode === null) {
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
        setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
      });
    }
    // The ports must be free again before a restart (bounded: slapd has exited, the kernel only has to catch up).
    const deadline = Date.now() + 5_000;
    while ((await Promise.all(ports.map(answers))).some(Boolean) && Date.now() < deadline) await sleep(50);
  };
  const ldapAdd = async (ldif: string) => {
    const file = join(dir, `add-${Date.now()}-${Math.random().toString(36).slice(2)}.ldif`);
    writeFileSync(file, ldif);
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const p = spawn(
        'ldapadd',
        ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', adminDn, '-w', adminPassword, '-f', file],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      p.on('close', (code) => resolve({ code, output }));
    });
    rmSync(file, { force: true });
    if (result.code !== 0) throw new Error(`ldapadd failed (exit ${result.code}): ${result.output.trim()}`);
  };

  const dispose = async () => {
    running.delete(dispose);
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(dispose);
  await start();
  const plain: PlainSlapd = {
    url: `ldap://127.0.0.1:${port}`,
    port,
    baseDn,
    adminDn,
    adminPassword,
    dir,
    stop,
    start,
    ldapAdd,
    dispose,
  };
  if (!withTls) return plain;
  return {
    ...plain,
    ldapsUrl: `ldaps://127.0.0.1:${tlsPort}`,
    tlsPort,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    otherCaPem: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
  };
}
