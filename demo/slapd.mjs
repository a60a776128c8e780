/**
 * A throwaway OpenLDAP server for `npm run demo -- --ldap`: Debian's slapd in a temp folder, with the core, cosine
 * and inetorgperson schemas, an mdb database loaded from an LDIF with slapadd before the start, listening on
 * 127.0.0.1 on a free port, anonymous read access. `stop()` ends the server and removes the folder; it is also run
 * when the process exits or is interrupted, so no slapd is left behind. (The test suites have their own, richer
 * helper in test/helpers/slapd.ts; the demo does not depend on test code.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const MODULES = '/usr/lib/ldap';
const SCHEMAS = ['core', 'cosine', 'inetorgperson'].map((s) => `/etc/ldap/schema/${s}.schema`);
const START_TIMEOUT_MS = 15_000;

/** Why slapd cannot run here, or undefined when it can (slapd, slapadd, the mdb module and the schemas). */
export function slapdMissing() {
  const missing = [SLAPD, SLAPADD, MODULES, ...SCHEMAS].filter((p) => !existsSync(p));
  return missing.length ? `not installed: ${missing.join(', ')} (Debian: apt-get install slapd)` : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function answers(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function config(dir, baseDn, adminDn, adminPassword) {
  return [
    ...SCHEMAS.map((s) => `include ${s}`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    `modulepath ${MODULES}`,
    'moduleload back_mdb',
    'database mdb',
    'maxsize 67108864',
    `suffix "${baseDn}"`,
    `rootdn "${adminDn}"`,
    `rootpw ${adminPassword}`,
    `directory ${join(dir, 'db')}`,
    'index objectClass,mail eq',
    'access to * by * read',
    '',
  ].join('\n');
}

/**
 * Starts slapd with `ldif` loaded (it must hold the suffix entry `baseDn`).
 *
 * @param {{ baseDn: string, ldif: string }} options
 * @returns {Promise<{ url: string, port: number, baseDn: string, adminDn: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startSlapd({ baseDn, ldif }) {
  const why = slapdMissing();
  if (why) throw new Error(`slapd is ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'smimekit-demo-slapd-'));
  let child;
  let stopped = false;

  const cleanUp = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // Synchronous last resort: `exit` handlers cannot wait, so the server is killed outright.
  process.once('exit', cleanUp);
  // Ctrl-C or a kill: stop the server (waiting for it), then end as the signal would have.
  const onSignal = (signal) => {
    void stop().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', cleanUp);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      await new Promise((resolve) => {
        c.once('exit', resolve);
        c.kill('SIGTERM');
        setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const adminDn = `cn=admin,${baseDn}`;
    const adminPassword = 'demo-admin';
    mkdirSync(join(dir, 'db'));
    const conf = join(dir, 'slapd.conf');
    writeFileSync(conf, config(dir, baseDn, adminDn, adminPassword));
    writeFileSync(join(dir, 'gal.ldif'), ldif);
    const load = spawnSync(SLAPADD, ['-f', conf, '-l', join(dir, 'gal.ldif')], { cwd: dir, encoding: 'utf8' });
    if (load.status !== 0) throw new Error(`slapadd failed: ${(load.stderr || load.stdout).trim()}`);

    const port = await freePort();
    let stderr = '';
    // -d 0: stay in the foreground (a child this process owns and stops) without debug output.
    child = spawn(SLAPD, ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (d) => (stderr = (stderr + d.toString()).slice(-4000)));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await answers(port))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`slapd did not start (exit ${child.exitCode}): ${stderr.trim()}`);
      await sleep(25);
    }
    return { url: `ldap://127.0.0.1:${port}`, port, baseDn, adminDn, pid: child.pid, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
