/**
 * A real OpenLDAP server for the address-book tests: Debian's slapd on free loopback ports, with a throwaway
 * configuration, database and TLS certificates made for the run (core, cosine and inetorgperson schemas plus a
 * small test schema adding Active Directory's proxyAddresses). In CI a missing slapd fails the suite; elsewhere
 * the suites that need it are skipped with a message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';

/** True when slapd, slapadd and the mdb backend are installed. */
export function hasSlapd(): boolean {
  return existsSync(SLAPD) && existsSync(SLAPADD) && existsSync('/usr/lib/ldap') && spawnSync('ldapsearch', ['-VV']).status !== null;
}

/** `describe` for suites that need slapd: skipped with a message without it, failing in CI. */
export function describeWithSlapd(name: string, fn: () => void): void {
  if (hasSlapd()) describe(name, fn);
  else if (process.env.CI) {
    describe(name, () => {
      it('needs slapd (CI must install slapd and ldap-utils: see .ci/run)', () => {
        throw new Error('slapd is not installed: .ci/run installs it with apt (slapd, ldap-utils)');
      });
    });
  } else describe.skip(`${name} (skipped: Debian's slapd and ldap-utils are not installed)`, fn);
}

export interface SlapdOptions {
  /** Suffix of the database (default dc=contoso,dc=test). */
  baseDn?: string;
  /** LDIF loaded with slapadd before the start (the base entry is added when missing). */
  entries?: string;
}

export interface Slapd {
  url: string;
  ldapsUrl: string;
  port: number;
  tlsPort: number;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  /** PEM of the CA that issued the server certificate. */
  caPem: string;
  /** PEM of another CA (for "wrong CA" tests). */
  otherCaPem: string;
  dir: string;
  /** Stops the server (the data stays; `start()` brings it back on the same ports). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes everything it wrote. */
  dispose(): Promise<void>;
}

const TEST_SCHEMA = `attributetype ( 1.2.840.113556.1.2.210 NAME 'proxyAddresses'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.3.6.1.4.1.55555.1.1 NAME 'smimekitMailRecipient' SUP top AUXILIARY
  MAY ( mail $ proxyAddresses $ displayName ) )
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

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

function makeTls(dir: string): void {
  const o = (...args: string[]) => run('openssl', args, dir);
  for (const ca of ['ca', 'other-ca']) {
    o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '30', '-subj', `/CN=smimekit test ${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  o('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', 'server.ext', '-out', 'server.pem');
}

/** Starts a throwaway slapd with `entries` loaded. */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'smimekit-slapd-'));
  const baseDn = options.baseDn ?? 'dc=contoso,dc=test';
  const adminDn = `cn=admin,${baseDn}`;
  const adminPassword = 'admin-secret';
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'smimekit-test.schema'), TEST_SCHEMA);
  makeTls(dir);
  const conf = [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    `include ${join(dir, 'smimekit-test.schema')}`,
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `TLSCACertificateFile ${join(dir, 'ca.pem')}`,
    `TLSCertificateFile ${join(dir, 'server.pem')}`,
    `TLSCertificateKeyFile ${join(dir, 'server.key')}`,
    'sizelimit 5000',
    'database mdb',
    'maxsize 268435456',
    `suffix "${baseDn}"`,
    `rootdn "${adminDn}"`,
    `rootpw ${adminPassword}`,
    `directory ${join(dir, 'db')}`,
    'index objectClass,mail,proxyAddresses eq',
    'access to * by * read',
  ].join('\n');
  writeFileSync(join(dir, 'slapd.conf'), `${conf}\n`);
  const rdn = /^([^=]+)=([^,]+)/.exec(baseDn)!;
  let ldif = options.entries ?? '';
  if (!new RegExp(`^dn: ${baseDn}$`, 'mi').test(ldif)) {
    const top = rdn[1] === 'dc' ? `dn: ${baseDn}\nobjectClass: dcObject\nobjectClass: organization\ndc: ${rdn[2]}\no: ${rdn[2]}\n` : `dn: ${baseDn}\nobjectClass: organization\no: ${rdn[2]}\n`;
    ldif = `${top}\n${ldif}`;
  }
  writeFileSync(join(dir, 'entries.ldif'), ldif);
  run(SLAPADD, ['-f', join(dir, 'slapd.conf'), '-l', join(dir, 'entries.ldif')], dir);

  const port = await freePort();
  const tlsPort = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-d', '0'], { cwd: dir, stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!(await answers(port)) || !(await answers(tlsPort))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`slapd did not start (exit ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
    });
    // The port must be free again before a restart.
    while (await answers(port)) await new Promise((r) => setTimeout(r, 50));
  };
  await start();
  return {
    url: `ldap://127.0.0.1:${port}`,
    ldapsUrl: `ldaps://127.0.0.1:${tlsPort}`,
    port,
    tlsPort,
    baseDn,
    adminDn,
    adminPassword,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    otherCaPem: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
    dir,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
