/**
 * Test PKI built in-process with @peculiar/x509 on Node's WebCrypto: CA
 * hierarchies, end-entities and CRLs with exactly the defects a test needs.
 * Key pairs are cached per (kind, slot) so a test file generates few keys.
 */
import 'reflect-metadata'; // @peculiar/x509 (through tsyringe) needs the Reflect metadata API
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

/** `rsa-sha1`: an RSA key whose certificates/CRLs are signed with SHA-1 (WebCrypto binds the hash to the key). */
export type KeyKind = 'rsa' | 'rsa-sha1' | 'rsa1024' | 'rsa-pss' | 'p256' | 'p384' | 'ed25519';

const keyCache = new Map<string, Promise<CryptoKeyPair>>();

function genParams(kind: KeyKind): RsaHashedKeyGenParams | EcKeyGenParams | Algorithm {
  const e = new Uint8Array([1, 0, 1]);
  switch (kind) {
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: e, hash: 'SHA-256' };
    case 'rsa-sha1':
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: e, hash: 'SHA-1' };
    case 'rsa1024':
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: e, hash: 'SHA-256' };
    case 'rsa-pss':
      return { name: 'RSA-PSS', modulusLength: 2048, publicExponent: e, hash: 'SHA-256' };
    case 'p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

/** A cached key pair; different `slot`s give different keys of the same kind. */
export function keyPair(kind: KeyKind = 'rsa', slot = 0): Promise<CryptoKeyPair> {
  const id = `${kind}/${slot}`;
  let p = keyCache.get(id);
  if (!p) {
    p = crypto.subtle.generateKey(genParams(kind) as RsaHashedKeyGenParams, true, [
      'sign',
      'verify',
    ]) as Promise<CryptoKeyPair>;
    keyCache.set(id, p);
  }
  return p;
}

/** Default signature algorithm for an issuer key. */
function signingAlgorithmFor(kind: KeyKind): Algorithm | EcdsaParams | RsaPssParams {
  switch (kind) {
    case 'rsa':
    case 'rsa1024':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
    case 'rsa-sha1':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' } as Algorithm;
    case 'rsa-pss':
      return { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 } as Algorithm;
    case 'p256':
      return { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams;
    case 'p384':
      return { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams;
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

export interface Issued {
  der: Uint8Array;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  kind: KeyKind;
  name: string;
}

export interface CertSpec {
  /** Subject DN, e.g. `CN=Alice`. */
  name: string;
  /** Issuer; omitted = self-signed. */
  issuer?: Issued;
  key?: KeyKind;
  keySlot?: number;
  /** Sign with this key instead of the issuer's (for bad-signature cases); the issuer name stays. */
  signWith?: CryptoKeyPair;
  /** Override the signature algorithm (e.g. SHA-1). */
  signingAlgorithm?: Algorithm;
  notBefore?: Date;
  notAfter?: Date;
  /** CA flag (and path length); `null` = no basicConstraints at all. */
  ca?: boolean | { pathLength: number } | null;
  keyUsage?: number;
  eku?: string[];
  emails?: string[];
  /** Extra extensions. */
  extensions?: x509.Extension[];
  serial?: string;
}

export const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
let serialCounter = 0x1000;

/** Issues a certificate; CA certificates get keyCertSign+cRLSign unless `keyUsage` says otherwise. */
export async function issue(spec: CertSpec): Promise<Issued> {
  const kind = spec.key ?? 'rsa';
  const keys = await keyPair(kind, spec.keySlot ?? 0);
  const isCa = spec.ca !== undefined && spec.ca !== null && spec.ca !== false;
  const extensions: x509.Extension[] = [];
  if (spec.ca !== null) {
    const pathLength = typeof spec.ca === 'object' && spec.ca ? spec.ca.pathLength : undefined;
    extensions.push(new x509.BasicConstraintsExtension(isCa, pathLength, true));
  }
  const ku = spec.keyUsage ?? (isCa ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : undefined);
  if (ku !== undefined) extensions.push(new x509.KeyUsagesExtension(ku, true));
  if (spec.eku) extensions.push(new x509.ExtendedKeyUsageExtension(spec.eku, false));
  if (spec.emails?.length)
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        spec.emails.map((value) => ({ type: 'email' as const, value })),
        false,
      ),
    );
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto));
  if (spec.issuer)
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(spec.issuer.keys.publicKey, false, crypto));
  extensions.push(...(spec.extensions ?? []));
  const signerKind = spec.issuer?.kind ?? kind;
  const signingKey = (spec.signWith ?? spec.issuer?.keys ?? keys).privateKey;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: spec.serial ?? (serialCounter++).toString(16).padStart(4, '0'),
      subject: spec.name,
      issuer: spec.issuer?.name ?? spec.name,
      notBefore: spec.notBefore ?? new Date(NOW.getTime() - 365 * DAY),
      notAfter: spec.notAfter ?? new Date(NOW.getTime() + 365 * DAY),
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm: spec.signingAlgorithm ?? signingAlgorithmFor(signerKind),
      extensions,
    },
    crypto,
  );
  return { der: new Uint8Array(cert.rawData), cert, keys, kind, name: spec.name };
}

export interface CrlSpec {
  revoked?: { serial: string; reason?: x509.X509CrlReason }[];
  thisUpdate?: Date;
  nextUpdate?: Date;
  signWith?: CryptoKeyPair;
  extensions?: x509.Extension[];
}

/** A CRL issued by `issuer`. */
export async function makeCrl(issuer: Issued, spec: CrlSpec = {}): Promise<Uint8Array> {
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: issuer.name,
      thisUpdate: spec.thisUpdate ?? new Date(NOW.getTime() - DAY),
      nextUpdate: spec.nextUpdate ?? new Date(NOW.getTime() + 7 * DAY),
      signingAlgorithm: signingAlgorithmFor(issuer.kind),
      signingKey: (spec.signWith ?? issuer.keys).privateKey,
      entries: (spec.revoked ?? []).map((r) => ({
        serialNumber: r.serial,
        revocationDate: new Date(NOW.getTime() - 2 * DAY),
        reason: r.reason ?? x509.X509CrlReason.keyCompromise,
      })),
      extensions: spec.extensions ?? [],
    },
    crypto,
  );
  return new Uint8Array(crl.rawData);
}

/** Serial (hex) of an issued certificate. */
export function serialOf(i: Issued): string {
  return i.cert.serialNumber;
}

export const EKU = {
  emailProtection: '1.3.6.1.5.5.7.3.4',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  any: '2.5.29.37.0',
} as const;

export { x509 };
