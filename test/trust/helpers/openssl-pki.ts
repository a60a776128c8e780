/**
 * Certificates and CRLs made with the OpenSSL CLI from extension text (`-extfile`), so a test can give a
 * certificate exactly the defect it is about (a critical key identifier, a raw DER extension value, an empty
 * subject, a negative serial, explicit EC parameters) — and ask `openssl verify` about the same files.
 * Keys are P-256. Certificates are valid from now for ten years, so validate at the current time.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePem } from '../../../src/util/pem.js';

export interface OsslCert {
  name: string;
  certFile: string;
  keyFile: string;
  der: Uint8Array;
}

export interface CertRequest {
  /** OpenSSL `-subj` syntax: `/CN=Root/O=Test`, or `/` for an empty subject. */
  subject: string;
  /**
   * Lines of the extension section (`basicConstraints=critical,CA:TRUE`, `2.5.29.35=DER:30:…`); none = a version 1
   * certificate. OpenSSL 3.0 adds subjectKeyIdentifier and authorityKeyIdentifier unless a line says `=none`.
   */
  ext?: readonly string[];
  /** Extra config sections (`[nc]\npermitted;DNS.0=…`) the extension lines refer to. */
  sections?: string;
  /** Decimal, may be negative; default a counter. */
  serial?: number | string;
  /** `explicit`: a P-256 key written with explicit curve parameters. */
  key?: 'named' | 'explicit';
  /** Reuse this key file (same key, another certificate). */
  keyFile?: string;
}

/** The usual extensions of a CA / an end-entity, to start from. */
export const CA_EXT = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
] as const;
export const EE_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
] as const;

function openssl(args: readonly string[], cwd: string): { status: number; output: string } {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function run(args: readonly string[], cwd: string): void {
  const r = openssl(args, cwd);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${r.output}`);
}

/** DER hex in OpenSSL's `DER:30:16:…` form, for raw extension values. */
export function derArg(bytes: readonly number[] | Uint8Array): string {
  return `DER:${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** A DER TLV (short or long definite length). */
export function tlv(tag: number, ...parts: (readonly number[] | Uint8Array)[]): number[] {
  const body = parts.flatMap((p) => [...p]);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...len, ...body];
}

export class OpensslPki {
  private serial = 100;
  constructor(readonly dir: string) {}

  private key(name: string, kind: 'named' | 'explicit'): string {
    const file = `${name}.key`;
    const encoding = kind === 'explicit' ? ['-param_enc', 'explicit'] : [];
    run(['ecparam', '-name', 'prime256v1', ...encoding, '-genkey', '-noout', '-out', file], this.dir);
    return file;
  }

  private finish(name: string, certFile: string, keyFile: string): OsslCert {
    const der = decodePem(readFileSync(join(this.dir, certFile), 'utf8'))[0]!.der;
    return { name, certFile, keyFile, der };
  }

  /** Writes the request's extension file; returns the `-extfile` arguments. */
  private extArgs(name: string, req: CertRequest): string[] {
    if (!req.ext) return [];
    const file = `${name}.ext`;
    writeFileSync(join(this.dir, file), `[ext]\n${req.ext.join('\n')}\n${req.sections ?? ''}\n`);
    return ['-extfile', file, '-extensions', 'ext'];
  }

  /** A self-signed certificate. */
  root(name: string, req: CertRequest): OsslCert {
    const keyFile = req.keyFile ?? this.key(name, req.key ?? 'named');
    run(['req', '-new', '-key', keyFile, '-subj', req.subject, '-out', `${name}.csr`], this.dir);
    const serial = String(req.serial ?? this.serial++);
    run(
      ['x509', '-req', '-in', `${name}.csr`, '-signkey', keyFile, '-set_serial', serial, '-days', '3650']
        .concat(this.extArgs(name, req))
        .concat(['-out', `${name}.pem`]),
      this.dir,
    );
    return this.finish(name, `${name}.pem`, keyFile);
  }

  /** A certificate issued by `issuer`. */
  issue(name: string, issuer: OsslCert, req: CertRequest): OsslCert {
    const keyFile = req.keyFile ?? this.key(name, req.key ?? 'named');
    run(['req', '-new', '-key', keyFile, '-subj', req.subject, '-out', `${name}.csr`], this.dir);
    const serial = String(req.serial ?? this.serial++);
    run(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.certFile, '-CAkey', issuer.keyFile]
        .concat(['-set_serial', serial, '-days', '3650'])
        .concat(this.extArgs(name, req))
        .concat(['-out', `${name}.pem`]),
      this.dir,
    );
    return this.finish(name, `${name}.pem`, keyFile);
  }

  /** An empty CRL (DER) signed by `issuer`, with the given extension lines (none: a version 1 CRL). */
  crl(name: string, issuer: OsslCert, ext: readonly string[] = []): { file: string; der: Uint8Array } {
    writeFileSync(join(this.dir, `${name}.index`), '');
    const crlExt = ext.length ? `crl_extensions = crl_ext\n[crl_ext]\n${ext.join('\n')}\n` : '';
    const config = `[ca]\ndefault_ca = d\n[d]\ndatabase = ${name}.index\ndefault_md = sha256\ndefault_crl_days = 30\n${crlExt}`;
    writeFileSync(join(this.dir, `${name}.cnf`), config);
    const args = ['ca', '-config', `${name}.cnf`, '-gencrl', '-keyfile', issuer.keyFile, '-cert', issuer.certFile];
    run([...args, '-out', `${name}.crl.pem`], this.dir);
    const der = decodePem(readFileSync(join(this.dir, `${name}.crl.pem`), 'utf8'))[0]!.der;
    return { file: `${name}.crl.pem`, der };
  }

  /**
   * `openssl verify` of `leaf` with `trusted` as the trust store and `untrusted` as the pool; `strict` adds
   * `-x509_strict`, `crls` turns on `-crl_check` with those CRL files.
   */
  verify(
    leaf: OsslCert,
    trusted: readonly OsslCert[],
    options: { untrusted?: readonly OsslCert[]; strict?: boolean; crls?: readonly string[] } = {},
  ): { ok: boolean; output: string } {
    const bundle = (file: string, certs: readonly OsslCert[]) => {
      writeFileSync(join(this.dir, file), certs.map((c) => readFileSync(join(this.dir, c.certFile), 'utf8')).join(''));
      return file;
    };
    const args = ['verify', '-CAfile', bundle(`${leaf.name}.trusted.pem`, trusted)];
    if (options.untrusted?.length) args.push('-untrusted', bundle(`${leaf.name}.untrusted.pem`, options.untrusted));
    if (options.strict) args.push('-x509_strict');
    if (options.crls?.length) {
      args.push('-crl_check');
      for (const f of options.crls) args.push('-CRLfile', f);
    }
    const r = openssl([...args, leaf.certFile], this.dir);
    return { ok: r.status === 0, output: r.output };
  }
}
