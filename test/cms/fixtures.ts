/** Test identities from vectors/chains and small OpenSSL helpers for the signing tests. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrivateKey, type LoadedPrivateKey } from '../../src/crypto/private-key.js';
import { decodePem } from '../../src/util/pem.js';
import { ATTRIBUTE, singleValue } from '../../src/cms/attributes.js';
import type { SignedData } from '../../src/cms/signed-data.js';
import { projectVectorPath } from '../helpers/vectors.js';

const CHAINS = projectVectorPath('chains');
/** The chains' validation time (certificates are valid 2025–2045; the CRLs are dated for it). */
export const AT = new Date('2026-06-01T00:00:00Z');

export function chainFile(name: string): string {
  return join(CHAINS, name);
}

export function certDer(name: string): Uint8Array {
  return decodePem(readFileSync(chainFile(name)))[0]!.der;
}

export interface TestIdentity {
  name: string;
  email: string;
  certificate: Uint8Array;
  privateKey: LoadedPrivateKey;
  chain: Uint8Array[];
  certFile: string;
  keyFile: string;
}

const EMAILS: Record<string, string> = {
  'ee-rsa': 'rsa.user@example.test',
  'ee-rsa-pss': 'rsa-pss.user@example.test',
  'ee-p256': 'p256.user@example.test',
  'ee-p384': 'p384.user@example.test',
  'ee-ed25519': 'ed25519.user@example.test',
};

export async function identity(
  name: string,
  chain = ['intermediate.pem', 'root.pem'],
  email = EMAILS[name] ?? '',
): Promise<TestIdentity> {
  return {
    name,
    email,
    certificate: certDer(`${name}.pem`),
    privateKey: await loadPrivateKey(readFileSync(chainFile(`${name}.key`))),
    chain: chain.map(certDer),
    certFile: chainFile(`${name}.pem`),
    keyFile: chainFile(`${name}.key`),
  };
}

export interface OpensslResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export function openssl(args: string[], input?: Uint8Array): OpensslResult {
  const r = spawnSync('openssl', args, { input, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** `openssl cms -verify` of a MIME message against the test root, returning the content OpenSSL outputs. */
export function opensslVerifyMime(dir: string, message: Uint8Array, extra: string[] = []): OpensslResult {
  const file = join(dir, `msg-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, message);
  return openssl([
    'cms',
    '-verify',
    '-in',
    file,
    '-CAfile',
    chainFile('root.pem'),
    '-certfile',
    chainFile('intermediate.pem'),
    ...extra,
  ]);
}

/** A P-521 end-entity issued by the test intermediate, made with OpenSSL in `dir`. */
export async function makeP521Identity(dir: string): Promise<TestIdentity> {
  const key = join(dir, 'p521.key');
  const csr = join(dir, 'p521.csr');
  const cert = join(dir, 'p521.pem');
  const ext = join(dir, 'p521.ext');
  writeFileSync(
    ext,
    'keyUsage=critical,digitalSignature,nonRepudiation,keyAgreement\nextendedKeyUsage=emailProtection\nsubjectAltName=email:p521.user@example.test\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  const steps = [
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521', '-out', key],
    ['req', '-new', '-key', key, '-subj', '/C=XX/O=smimekit test/CN=P-521 User', '-out', csr],
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      chainFile('intermediate.pem'),
      '-CAkey',
      chainFile('intermediate.key'),
      '-set_serial',
      '0x5210',
      '-days',
      '3650',
      '-sha512',
      '-extfile',
      ext,
      '-out',
      cert,
    ],
  ];
  for (const s of steps) {
    const r = openssl(s);
    if (r.status !== 0) throw new Error(`openssl ${s[0]} failed: ${r.stderr}`);
  }
  return {
    name: 'ee-p521',
    email: 'p521.user@example.test',
    certificate: decodePem(readFileSync(cert))[0]!.der,
    privateKey: await loadPrivateKey(readFileSync(key)),
    chain: [certDer('intermediate.pem')],
    certFile: cert,
    keyFile: key,
  };
}

/**
 * Independent check of an Ed25519 SignerInfo with OpenSSL primitives (OpenSSL 3.0's
 * CMS code cannot verify Ed25519): SHA-512 of the content equals messageDigest, and
 * the pure Ed25519 signature over the DER signed attributes verifies with the certificate key.
 */
export function opensslEd25519Check(dir: string, id: TestIdentity, sd: SignedData, content: Uint8Array): boolean {
  const si = sd.signerInfos[0]!;
  const attrs = join(dir, 'ed-attrs.der');
  const sig = join(dir, 'ed-sig.bin');
  const pub = join(dir, 'ed-pub.pem');
  const data = join(dir, 'ed-content.bin');
  writeFileSync(attrs, si.signedAttributesDer!);
  writeFileSync(sig, si.signature);
  writeFileSync(data, content);
  if (openssl(['x509', '-in', id.certFile, '-pubkey', '-noout', '-out', pub]).status !== 0) return false;
  const digest = openssl(['dgst', '-sha512', '-binary', data]).stdout;
  const md = singleValue(si.signedAttributes!, ATTRIBUTE.messageDigest)!;
  if (Buffer.compare(Buffer.from(md.subarray(2)), digest) !== 0) return false;
  return openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', attrs, '-sigfile', sig]).status === 0;
}
