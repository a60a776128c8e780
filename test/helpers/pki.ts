/**
 * A small test PKI on top of vectors/chains: users issued on demand (any address, key type,
 * dates, key usage, EKU) by the chains' intermediate or by throwaway CAs that are NOT in the
 * trust list. Everything is made with the OpenSSL CLI in a folder the test owns.
 *
 * @example
 * ```ts
 * const dir = mkdtempSync(join(tmpdir(), 'smimekit-x-'));
 * afterAll(() => rmSync(dir, { recursive: true, force: true }));
 * const alice = await issueUser(dir, { name: 'Alice', email: 'alice@example.test', keyType: 'rsa' });
 * const trust = trustListFromChains();
 * ```
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrivateKey, type LoadedPrivateKey } from '../../src/crypto/private-key.js';
import { createSst } from '../../src/sst/create.js';
import { serializeSst } from '../../src/sst/serialize.js';
import { EKU_EMAIL_PROTECTION } from '../../src/x509/index.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { decodePem } from '../../src/util/pem.js';
import { projectVectorPath } from './vectors.js';

/** The validation time every vectors/chains certificate (and every default-dated user here) is valid at. */
export const PKI_AT = new Date('2026-06-01T00:00:00Z');
/** Default validity start of issued users: the same as vectors/chains, so `PKI_AT` lies inside it. */
const DEFAULT_NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
/** Default validity end of issued users. */
const DEFAULT_NOT_AFTER = new Date('2045-01-01T00:00:00Z');

/** A CA that can issue users: the chains' intermediate, or one made by `makeCa`. */
export interface TestCa {
  name: string;
  certFile: string;
  keyFile: string;
  /** DER. */
  certificate: Uint8Array;
  certPem: string;
  /** CA certificates above the issued users, issuer first (what a user publishes as its chain). */
  chain: Uint8Array[];
}

/** What `issueUser` takes. */
export interface IssueUserOptions {
  /** Subject CN (and the file name stem, sanitized). */
  name: string;
  /** The SAN rfc822Name (or use `emails` for several). */
  email?: string;
  emails?: readonly string[];
  /** Default `rsa` (RSA-2048). */
  keyType?: 'rsa' | 'p256';
  /** Default: the chains' intermediate (vectors/chains/intermediate.pem), which chains to the trusted root. */
  issuer?: 'intermediate' | TestCa;
  /** Default 2025-01-01. */
  notBefore?: Date;
  /** Default 2045-01-01. */
  notAfter?: Date;
  /** OpenSSL keyUsage names; default the encryption-capable profile of vectors/chains for the key type. */
  keyUsage?: readonly string[];
  /** OpenSSL extendedKeyUsage names or OIDs; default `emailProtection`; `[]` leaves the extension out. */
  eku?: readonly string[];
  /** Generate a new key instead of the one cached per folder and key type. */
  newKey?: boolean;
  /** More OpenSSL extension lines, e.g. `crlDistributionPoints = URI:http://127.0.0.1:8080/ca.crl`. */
  extensions?: readonly string[];
}

/** An issued user. `identity` fits `buildUserSmimeCertificate`, `signMessage` and `decryptMessage`. */
export interface IssuedUser {
  name: string;
  /** The first address. */
  email: string;
  emails: string[];
  /** DER. */
  certificate: Uint8Array;
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
  privateKey: LoadedPrivateKey;
  /** CA certificates above it, issuer first (no self-signed root for the chains' intermediate). */
  chain: Uint8Array[];
  identity: { certificate: Uint8Array; privateKey: LoadedPrivateKey; chain: Uint8Array[] };
}

const chainsFile = (name: string): string => projectVectorPath('chains', name);
const pemDer = (pem: string | Uint8Array): Uint8Array =>
  decodePem(typeof pem === 'string' ? new TextEncoder().encode(pem) : pem)[0]!.der;

function run(args: readonly string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (what `openssl ca -startdate` accepts). */
function asn1Time(d: Date): string {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = d.getUTCFullYear();
  return (year >= 1950 && year < 2050 ? iso.slice(2) : iso) + 'Z';
}

const safe = (name: string): string => name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60) || 'x';

function genKey(file: string, keyType: 'rsa' | 'p256'): void {
  const params =
    keyType === 'rsa'
      ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
      : ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  run(['genpkey', ...params, '-out', file]);
}

/** The chains' intermediate as an issuer (its key is committed in vectors/chains). */
export function chainsIntermediate(): TestCa {
  const certPem = readFileSync(chainsFile('intermediate.pem'), 'utf8');
  const certificate = pemDer(certPem);
  return {
    name: 'intermediate',
    certFile: chainsFile('intermediate.pem'),
    keyFile: chainsFile('intermediate.key'),
    certificate,
    certPem,
    chain: [certificate],
  };
}

/** The chains' trusted root, DER. */
export function chainsRoot(): Uint8Array {
  return pemDer(readFileSync(chainsFile('root.pem')));
}

/**
 * A self-signed CA (P-256, so it is quick) that no trust list here contains: users it issues
 * fail validation with `untrusted-root`.
 */
export function makeCa(dir: string, name: string): TestCa {
  const stem = join(dir, `ca-${safe(name)}`);
  const ext = `${stem}.ext`;
  writeFileSync(
    ext,
    '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = placeholder\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n',
  );
  genKey(`${stem}.key`, 'p256');
  const subj = `/C=XX/O=smimekit test/CN=${name.replace(/\//g, ' ')}`;
  run([
    'req',
    '-new',
    '-x509',
    '-key',
    `${stem}.key`,
    '-subj',
    subj,
    '-days',
    '10000',
    '-sha256',
    '-config',
    ext,
    '-extensions',
    'v3',
    '-out',
    `${stem}.pem`,
  ]);
  const certPem = readFileSync(`${stem}.pem`, 'utf8');
  const certificate = pemDer(certPem);
  return { name, certFile: `${stem}.pem`, keyFile: `${stem}.key`, certificate, certPem, chain: [certificate] };
}

/** A throwaway `openssl ca` database per issuer in `dir` (absolute dates need `openssl ca`). */
function caDatabase(dir: string, ca: TestCa): string {
  const db = join(dir, `cadb-${safe(ca.name)}`);
  const config = join(db, 'ca.cnf');
  if (existsSync(config)) return config;
  mkdirSync(join(db, 'new'), { recursive: true });
  writeFileSync(join(db, 'index.txt'), '');
  // A random start serial: users of different folders never share issuer+serial.
  writeFileSync(
    join(db, 'serial'),
    `${Array.from({ length: 8 }, () =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, '0'),
    )
      .join('')
      .replace(/^0/, '4')}\n`,
  );
  writeFileSync(
    config,
    [
      '[ca]',
      'default_ca = CA_default',
      '[CA_default]',
      `database = ${join(db, 'index.txt')}`,
      `new_certs_dir = ${join(db, 'new')}`,
      `serial = ${join(db, 'serial')}`,
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      'email_in_dn = no',
      'copy_extensions = none',
      '[policy_any]',
      'countryName = optional',
      'organizationName = optional',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  return config;
}

function userExtensions(keyType: 'rsa' | 'p256', options: IssueUserOptions, emails: readonly string[]): string {
  const ku =
    options.keyUsage ??
    (keyType === 'rsa'
      ? ['digitalSignature', 'nonRepudiation', 'keyEncipherment']
      : ['digitalSignature', 'nonRepudiation', 'keyAgreement']);
  const eku = options.eku ?? ['emailProtection'];
  const lines = [
    '[ee]',
    'basicConstraints = CA:FALSE',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
  ];
  if (ku.length) lines.push(`keyUsage = critical,${ku.join(',')}`);
  if (eku.length) lines.push(`extendedKeyUsage = ${eku.join(',')}`);
  if (emails.length) lines.push(`subjectAltName = ${emails.map((e) => `email:${e}`).join(',')}`);
  lines.push(...(options.extensions ?? []));
  return lines.join('\n') + '\n';
}

let counter = 0;

/**
 * Issues an end-entity certificate for S/MIME. The key is cached per folder and key type (a
 * fresh RSA key costs ~100 ms) unless `newKey`; certificates always differ (serial, dates).
 */
export async function issueUser(dir: string, options: IssueUserOptions): Promise<IssuedUser> {
  const keyType = options.keyType ?? 'rsa';
  const emails = [...(options.email ? [options.email] : []), ...(options.emails ?? [])];
  const ca = options.issuer === undefined || options.issuer === 'intermediate' ? chainsIntermediate() : options.issuer;
  const stem = join(dir, `user-${safe(options.name)}-${++counter}`);
  const keyFile = options.newKey ? `${stem}.key` : join(dir, `cached-${keyType}.key`);
  if (options.newKey || !existsSync(keyFile)) genKey(keyFile, keyType);
  writeFileSync(`${stem}.ext`, userExtensions(keyType, options, emails));
  run([
    'req',
    '-new',
    '-key',
    keyFile,
    '-subj',
    `/C=XX/O=smimekit test/CN=${options.name.replace(/\//g, ' ')}`,
    '-out',
    `${stem}.csr`,
  ]);
  run([
    'ca',
    '-batch',
    '-notext',
    '-config',
    caDatabase(dir, ca),
    '-cert',
    ca.certFile,
    '-keyfile',
    ca.keyFile,
    '-in',
    `${stem}.csr`,
    '-out',
    `${stem}.pem`,
    '-extfile',
    `${stem}.ext`,
    '-extensions',
    'ee',
    '-startdate',
    asn1Time(options.notBefore ?? DEFAULT_NOT_BEFORE),
    '-enddate',
    asn1Time(options.notAfter ?? DEFAULT_NOT_AFTER),
  ]);
  const certPem = readFileSync(`${stem}.pem`, 'utf8');
  const keyPem = readFileSync(keyFile, 'utf8');
  const certificate = pemDer(certPem);
  const privateKey = await loadPrivateKey(new TextEncoder().encode(keyPem));
  const chain = [...ca.chain];
  return {
    name: options.name,
    email: emails[0] ?? '',
    emails,
    certificate,
    certPem,
    keyPem,
    certFile: `${stem}.pem`,
    keyFile,
    privateKey,
    chain,
    identity: { certificate, privateKey, chain },
  };
}

/**
 * A trust list with the chains' root; with `intermediates`, the intermediate too, as a tenant SST
 * usually lists it (AD `userCertificate` values carry no chain, so something must supply it).
 */
export function trustListFromChains(options: { intermediates?: boolean } = {}): TrustList {
  return TrustList.fromCertificates([
    chainsRoot(),
    ...(options.intermediates ? [chainsIntermediate().certificate] : []),
  ]);
}

/**
 * The chains' root (and, with `intermediates`, the intermediate) as SST bytes, each trusted for
 * emailProtection: the tenant trust list as Exchange Online exports it.
 */
export function chainsSst(options: { intermediates?: boolean; extra?: readonly Uint8Array[] } = {}): Uint8Array {
  const certificates = [
    chainsRoot(),
    ...(options.intermediates ? [chainsIntermediate().certificate] : []),
    ...(options.extra ?? []),
  ];
  return serializeSst(
    createSst(certificates.map((certificate) => ({ certificate, enhancedKeyUsage: [EKU_EMAIL_PROTECTION] }))),
  );
}

/**
 * Alice (the CA's shared test key) and Bob (a key of his own) as the header-protection tests use them, with the
 * trust list of the test chains (intermediates included).
 */
export async function issueAliceAndBob(dir: string): Promise<{ alice: IssuedUser; bob: IssuedUser; trust: TrustList }> {
  const alice = await issueUser(dir, { name: 'Alice', email: 'alice@example.test' });
  const bob = await issueUser(dir, { name: 'Bob', email: 'bob@example.test', newKey: true });
  return { alice, bob, trust: trustListFromChains({ intermediates: true }) };
}
