/**
 * Real OCSP responders for tests: a throwaway PKI made with the OpenSSL CLI (a CA, a delegated responder with
 * id-kp-OCSPSigning and id-pkix-ocsp-nocheck, two responders that must not be believed, and good / revoked /
 * unknown leaves) and `openssl ocsp` servers over it on the loopback interface.
 *
 * @example
 * ```ts
 * const pki = await makeOcspPki();
 * const responder = await startOcspResponder(pki, { signer: 'delegated', ndays: 1 });
 * afterAll(() => responder.stop());
 * await queryOcsp(responder.url, pki.good.certificate, pki.ca.certificate);
 * ```
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseCertificate, type Certificate } from '../../src/x509/index.js';
import { issueUser, makeCa, type TestCa } from './pki.js';
import { tempDir } from './temp.js';

/** A certificate with its files. */
export interface PkiCert {
  certificate: Certificate;
  certFile: string;
  keyFile: string;
}

/** What `makeOcspPki` makes. */
export interface OcspPki {
  dir: string;
  /** The CA every leaf is issued by (P-256, self-signed). */
  ca: PkiCert;
  /** Issued by the CA with id-kp-OCSPSigning and id-pkix-ocsp-nocheck. */
  delegated: PkiCert;
  /** Issued by the CA with id-kp-OCSPSigning but without id-pkix-ocsp-nocheck. */
  delegatedPlain: PkiCert;
  /** Issued by the CA without id-kp-OCSPSigning: may not answer for it. */
  noEku: PkiCert;
  /** Has id-kp-OCSPSigning but is issued by another CA: may not answer for the CA either. */
  foreign: PkiCert;
  /** Listed as valid in the responder's index. */
  good: PkiCert;
  /** Listed as revoked at `revokedAt` for keyCompromise (1). */
  revoked: PkiCert;
  /** Issued by the CA but not in the index: `openssl ocsp` answers unknown. */
  unknown: PkiCert;
  revokedAt: Date;
  revokedReason: number;
  indexFile: string;
}

/** Who signs the answers of a responder. */
export type ResponderSigner = 'ca' | 'delegated' | 'delegated-plain' | 'no-eku' | 'foreign';

/** Options of `startOcspResponder`. */
export interface ResponderOptions {
  /** Default `ca`. */
  signer?: ResponderSigner;
  /** nextUpdate this many days after thisUpdate (`-ndays`); without ndays or nmin, no nextUpdate. */
  ndays?: number;
  /** nextUpdate this many minutes after thisUpdate (`-nmin`). */
  nmin?: number;
  /** responderID byKey instead of byName (`-resp_key_id`). */
  respKeyId?: boolean;
  /** Digest of the response signature (`-rmd`), e.g. `sha1`. */
  digest?: string;
  /** Leave the signer's certificate out of the response (`-resp_no_certs`). */
  noCerts?: boolean;
}

/** A running `openssl ocsp -port`. */
export interface OcspResponder {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  pid: number;
  /** What the responder printed so far (it logs the first line of every request). */
  log(): string;
  /** SIGSTOP: the kernel still accepts connections, no answer comes. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  stop(): Promise<void>;
}

const REVOKED_AT = new Date('2026-01-01T12:00:00Z');

function openssl(args: readonly string[]): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`openssl cannot be run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function fromCa(ca: TestCa): PkiCert {
  return { certificate: parseCertificate(ca.certificate), certFile: ca.certFile, keyFile: ca.keyFile };
}

async function issue(dir: string, ca: TestCa, name: string, eku: string[], extra: string[] = []): Promise<PkiCert> {
  const u = await issueUser(dir, {
    name,
    issuer: ca,
    keyType: 'p256',
    newKey: true,
    keyUsage: ['digitalSignature'],
    eku,
    extensions: extra,
  });
  return { certificate: parseCertificate(u.certificate), certFile: u.certFile, keyFile: u.keyFile };
}

/** `YYMMDDHHMMSSZ`, the time format of OpenSSL's CA database. */
const dbTime = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
/** The serial as OpenSSL's index holds it: BN_bn2hex, uppercase, whole bytes. */
const dbSerial = (c: Certificate) => {
  const hex = c.serialNumber.toString(16).toUpperCase();
  return hex.length % 2 ? `0${hex}` : hex;
};

/** Makes the PKI (about a second of OpenSSL work) in a temp folder removed after the test file. */
export async function makeOcspPki(): Promise<OcspPki> {
  const dir = tempDir('smimekit-ocsp-');
  const caTest = makeCa(dir, 'OCSP Test CA');
  const other = makeCa(dir, 'Other CA');
  const delegated = await issue(dir, caTest, 'OCSP Responder', ['OCSPSigning'], ['noCheck = ignored']);
  const delegatedPlain = await issue(dir, caTest, 'Plain Responder', ['OCSPSigning']);
  const noEku = await issue(dir, caTest, 'Not A Responder', ['emailProtection']);
  const foreign = await issue(dir, other, 'Foreign Responder', ['OCSPSigning']);
  const good = await issue(dir, caTest, 'Good Leaf', ['emailProtection']);
  const revoked = await issue(dir, caTest, 'Revoked Leaf', ['emailProtection']);
  const unknown = await issue(dir, caTest, 'Unknown Leaf', ['emailProtection']);
  const indexFile = join(dir, 'ocsp-index.txt');
  const line = (state: string, c: Certificate, revocation: string) =>
    [state, dbTime(c.notAfter), revocation, dbSerial(c), 'unknown', `/CN=${c.subject.text}`].join('\t');
  writeFileSync(
    indexFile,
    [
      line('V', good.certificate, ''),
      line('R', revoked.certificate, `${dbTime(REVOKED_AT)},keyCompromise`),
      line('V', delegated.certificate, ''),
      '',
    ].join('\n'),
  );
  return {
    dir,
    ca: fromCa(caTest),
    delegated,
    delegatedPlain,
    noEku,
    foreign,
    good,
    revoked,
    unknown,
    revokedAt: REVOKED_AT,
    revokedReason: 1,
    indexFile,
  };
}

/** A port nobody listens on right now (the responder binds it next; a race is retried). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function signerOf(pki: OcspPki, signer: ResponderSigner): PkiCert {
  const signers: Record<ResponderSigner, PkiCert> = {
    ca: pki.ca,
    delegated: pki.delegated,
    'delegated-plain': pki.delegatedPlain,
    'no-eku': pki.noEku,
    foreign: pki.foreign,
  };
  return signers[signer];
}

/** Starts `openssl ocsp` on `port`; resolves once it waits for connections, rejects with its output if it exits. */
function spawnResponder(args: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`openssl ocsp did not start within 5 s: ${output}`));
    }, 5_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('waiting for OCSP client connections')) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`openssl cannot be run: ${e.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl ocsp exited (${code}): ${output}`));
    });
  });
}

/** Starts an `openssl ocsp` responder over the PKI's index; stop it in afterAll. */
export async function startOcspResponder(pki: OcspPki, options: ResponderOptions = {}): Promise<OcspResponder> {
  const signer = signerOf(pki, options.signer ?? 'ca');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // -ignore_err: a malformed request must not end the responder.
    const args = ['ocsp', '-ignore_err', '-index', pki.indexFile, '-CA', pki.ca.certFile, '-port', String(port)];
    args.push('-rsigner', signer.certFile, '-rkey', signer.keyFile);
    if (options.ndays !== undefined) args.push('-ndays', String(options.ndays));
    if (options.nmin !== undefined) args.push('-nmin', String(options.nmin));
    if (options.respKeyId) args.push('-resp_key_id');
    if (options.digest) args.push('-rmd', options.digest);
    if (options.noCerts) args.push('-resp_no_certs');
    try {
      const { child, output } = await spawnResponder(args);
      return running(child, port, output);
    } catch (e) {
      if (attempt < 5 && /in use|bind/i.test(String(e))) continue;
      throw e;
    }
  }
}

function running(child: ChildProcess, port: number, log: () => string): OcspResponder {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let paused = false;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    pid: child.pid!,
    log,
    pause: () => {
      paused = true;
      child.kill('SIGSTOP');
    },
    resume: () => {
      paused = false;
      child.kill('SIGCONT');
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (paused) child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** `openssl ocsp -respin FILE -resp_text -noverify` of `der`: OpenSSL's reading of a response. */
export function opensslResponseText(dir: string, der: Uint8Array): string {
  const file = join(dir, `resp-${Date.now()}-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(file, der);
  return openssl(['ocsp', '-respin', file, '-resp_text', '-noverify']);
}

/** Asks with the OpenSSL client (several certificates in one request), returning the DER of the response. */
export function opensslQuery(pki: OcspPki, url: string, certs: readonly PkiCert[], extra: string[] = []): Uint8Array {
  const out = join(pki.dir, `query-${Date.now()}-${Math.random().toString(36).slice(2)}.der`);
  const args = ['ocsp', '-issuer', pki.ca.certFile, '-url', url, '-noverify', '-respout', out, ...extra];
  for (const c of certs) args.push('-cert', c.certFile);
  openssl(args);
  return new Uint8Array(readFileSync(out));
}

/** The request the OpenSSL client makes for `cert` (no nonce unless `extra` asks for one), DER. */
export function opensslRequest(pki: OcspPki, cert: PkiCert, extra: string[] = ['-no_nonce']): Uint8Array {
  const out = join(pki.dir, `req-${Date.now()}-${Math.random().toString(36).slice(2)}.der`);
  openssl(['ocsp', '-issuer', pki.ca.certFile, '-cert', cert.certFile, '-reqout', out, ...extra]);
  return new Uint8Array(readFileSync(out));
}

/** `openssl ocsp -reqin FILE -req_text` of `der`: OpenSSL's reading of a request. */
export function opensslRequestText(dir: string, der: Uint8Array): string {
  const file = join(dir, `reqin-${Date.now()}-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(file, der);
  return openssl(['ocsp', '-reqin', file, '-req_text']);
}
