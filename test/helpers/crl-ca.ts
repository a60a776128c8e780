/**
 * CRLs and revocations for a CA of test/helpers/pki.ts (`makeCa` + `issueUser`, whose `openssl ca` database this
 * drives): what the online-revocation tests serve over HTTP and LDAP.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePem } from '../../src/util/pem.js';
import type { TestCa } from './pki.js';

export function openssl(args: readonly string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** The `openssl ca` configuration `issueUser` made for `ca` in `dir` (issue one user first). */
const caConfig = (dir: string, ca: TestCa) => join(dir, `cadb-${ca.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}`, 'ca.cnf');

let counter = 0;

/** A CRL of `ca` (DER) listing what was revoked so far: valid 7 days from now, or between explicit dates (YYYYMMDDHHMMSSZ). */
export function makeCrl(dir: string, ca: TestCa, dates?: { last: string; next: string }): Uint8Array {
  const pem = join(dir, `crl-${++counter}.pem`);
  const validity = dates ? ['-crl_lastupdate', dates.last, '-crl_nextupdate', dates.next] : ['-crldays', '7'];
  openssl([
    'ca',
    '-gencrl',
    '-config',
    caConfig(dir, ca),
    '-cert',
    ca.certFile,
    '-keyfile',
    ca.keyFile,
    '-out',
    pem,
    ...validity,
  ]);
  return decodePem(readFileSync(pem))[0]!.der;
}

/** Marks a certificate `ca` issued as revoked for keyCompromise (in the next `makeCrl`). */
export function revoke(dir: string, ca: TestCa, certFile: string): void {
  openssl([
    'ca',
    '-config',
    caConfig(dir, ca),
    '-cert',
    ca.certFile,
    '-keyfile',
    ca.keyFile,
    '-revoke',
    certFile,
    '-crl_reason',
    'keyCompromise',
  ]);
}
