/** Test fixtures made with the OpenSSL CLI in a temporary directory. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';

const fixtureDir = tempDir('smimekit-crypto-');

export function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { cwd: fixtureDir, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function fixturePath(name: string): string {
  return join(fixtureDir, name);
}

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(fixtureDir, name)));
}

/** Creates `<name>.key` (PKCS#8 PEM) and a self-signed `<name>.crt` (PEM) for a key algorithm. */
export function makeSelfSigned(name: string, algorithm: string[], subject = `/CN=${name}`): void {
  openssl('genpkey', ...algorithm, '-out', `${name}.key`);
  openssl('req', '-new', '-x509', '-key', `${name}.key`, '-subj', subject, '-days', '30', '-out', `${name}.crt`);
}

/** A CA, and a leaf (`<name>.key`, `<name>.crt`) issued by it. */
export function makeChain(name: string): void {
  makeSelfSigned(`${name}-ca`, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], `/CN=${name} CA`);
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`);
  openssl(
    'req',
    '-new',
    '-key',
    `${name}.key`,
    '-subj',
    `/CN=${name}/emailAddress=${name}@example.com`,
    '-out',
    `${name}.csr`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${name}-ca.crt`,
    '-CAkey',
    `${name}-ca.key`,
    '-CAcreateserial',
    '-days',
    '30',
    '-out',
    `${name}.crt`,
  );
}

/** DER of the first certificate in a PEM file. */
export function certDer(name: string): Uint8Array {
  return new Uint8Array(openssl('x509', '-in', name, '-outform', 'DER'));
}
