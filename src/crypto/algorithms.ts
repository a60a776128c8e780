/**
 * Registry of the algorithm object identifiers smimekit understands: digests,
 * signature algorithms (with the WebCrypto parameters they map to) and public
 * key algorithms / named curves. Shared by every layer (CMS, trust, S/MIME).
 */

/** Digest names as WebCrypto spells them (plus the legacy ones WebCrypto lacks). */
export type DigestName = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'MD5' | 'MD2';

/** Families of signature schemes; decides how a signature value is checked. */
export type SignatureFamily = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'ed25519' | 'ed448' | 'dsa';

export interface DigestAlgorithmInfo {
  oid: string;
  name: DigestName;
  /** Output length in bytes. */
  length: number;
}

export interface SignatureAlgorithmInfo {
  oid: string;
  /** Conventional name, e.g. `sha256WithRSAEncryption`. */
  name: string;
  family: SignatureFamily;
  /** Digest fixed by the OID; absent for RSA-PSS (in the parameters) and EdDSA (built in). */
  hash?: DigestName;
}

export interface PublicKeyAlgorithmInfo {
  oid: string;
  name: string;
  kind: 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'x25519' | 'x448' | 'dsa' | 'dh';
}

export const OID = {
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  md5: '1.2.840.113549.2.5',
  md2: '1.2.840.113549.2.2',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  x25519: '1.3.101.110',
  x448: '1.3.101.111',
  dsa: '1.2.840.10040.4.1',
  dhPublicNumber: '1.2.840.10046.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
} as const;

const DIGESTS: DigestAlgorithmInfo[] = [
  { oid: OID.sha1, name: 'SHA-1', length: 20 },
  { oid: OID.sha224, name: 'SHA-224', length: 28 },
  { oid: OID.sha256, name: 'SHA-256', length: 32 },
  { oid: OID.sha384, name: 'SHA-384', length: 48 },
  { oid: OID.sha512, name: 'SHA-512', length: 64 },
  { oid: OID.md5, name: 'MD5', length: 16 },
  { oid: OID.md2, name: 'MD2', length: 16 },
];

const SIGNATURES: SignatureAlgorithmInfo[] = [
  { oid: '1.2.840.113549.1.1.2', name: 'md2WithRSAEncryption', family: 'rsa-pkcs1', hash: 'MD2' },
  { oid: '1.2.840.113549.1.1.4', name: 'md5WithRSAEncryption', family: 'rsa-pkcs1', hash: 'MD5' },
  { oid: '1.2.840.113549.1.1.5', name: 'sha1WithRSAEncryption', family: 'rsa-pkcs1', hash: 'SHA-1' },
  { oid: '1.3.14.3.2.29', name: 'sha1WithRSASignature', family: 'rsa-pkcs1', hash: 'SHA-1' },
  { oid: '1.2.840.113549.1.1.14', name: 'sha224WithRSAEncryption', family: 'rsa-pkcs1', hash: 'SHA-224' },
  { oid: '1.2.840.113549.1.1.11', name: 'sha256WithRSAEncryption', family: 'rsa-pkcs1', hash: 'SHA-256' },
  { oid: '1.2.840.113549.1.1.12', name: 'sha384WithRSAEncryption', family: 'rsa-pkcs1', hash: 'SHA-384' },
  { oid: '1.2.840.113549.1.1.13', name: 'sha512WithRSAEncryption', family: 'rsa-pkcs1', hash: 'SHA-512' },
  { oid: OID.rsassaPss, name: 'RSASSA-PSS', family: 'rsa-pss' },
  { oid: '1.2.840.10045.4.1', name: 'ecdsa-with-SHA1', family: 'ecdsa', hash: 'SHA-1' },
  { oid: '1.2.840.10045.4.3.1', name: 'ecdsa-with-SHA224', family: 'ecdsa', hash: 'SHA-224' },
  { oid: '1.2.840.10045.4.3.2', name: 'ecdsa-with-SHA256', family: 'ecdsa', hash: 'SHA-256' },
  { oid: '1.2.840.10045.4.3.3', name: 'ecdsa-with-SHA384', family: 'ecdsa', hash: 'SHA-384' },
  { oid: '1.2.840.10045.4.3.4', name: 'ecdsa-with-SHA512', family: 'ecdsa', hash: 'SHA-512' },
  { oid: OID.ed25519, name: 'Ed25519', family: 'ed25519' },
  { oid: OID.ed448, name: 'Ed448', family: 'ed448' },
  { oid: '1.2.840.10040.4.3', name: 'dsa-with-sha1', family: 'dsa', hash: 'SHA-1' },
  { oid: '2.16.840.1.101.3.4.3.1', name: 'dsa-with-sha224', family: 'dsa', hash: 'SHA-224' },
  { oid: '2.16.840.1.101.3.4.3.2', name: 'dsa-with-sha256', family: 'dsa', hash: 'SHA-256' },
];

const KEYS: PublicKeyAlgorithmInfo[] = [
  { oid: OID.rsaEncryption, name: 'RSA', kind: 'rsa' },
  { oid: OID.rsassaPss, name: 'RSASSA-PSS', kind: 'rsa-pss' },
  { oid: OID.ecPublicKey, name: 'EC', kind: 'ec' },
  { oid: OID.ed25519, name: 'Ed25519', kind: 'ed25519' },
  { oid: OID.ed448, name: 'Ed448', kind: 'ed448' },
  { oid: OID.x25519, name: 'X25519', kind: 'x25519' },
  { oid: OID.x448, name: 'X448', kind: 'x448' },
  { oid: OID.dsa, name: 'DSA', kind: 'dsa' },
  { oid: OID.dhPublicNumber, name: 'DH', kind: 'dh' },
];

/** Named curves by OID, with WebCrypto's name and the field size in bytes. */
export const NAMED_CURVES: Readonly<Record<string, { name: 'P-256' | 'P-384' | 'P-521'; size: number }>> = {
  [OID.secp256r1]: { name: 'P-256', size: 32 },
  [OID.secp384r1]: { name: 'P-384', size: 48 },
  [OID.secp521r1]: { name: 'P-521', size: 66 },
};

const digestByOid = new Map(DIGESTS.map((d) => [d.oid, d]));
const digestByName = new Map(DIGESTS.map((d) => [d.name, d]));
const signatureByOid = new Map(SIGNATURES.map((s) => [s.oid, s]));
const keyByOid = new Map(KEYS.map((k) => [k.oid, k]));

/** Digest algorithm for an OID, or `undefined` when unknown. */
export function digestAlgorithm(oid: string): DigestAlgorithmInfo | undefined {
  return digestByOid.get(oid);
}

/** OID of a digest name. */
export function digestOid(name: DigestName): string {
  return digestByName.get(name)!.oid;
}

/** Signature algorithm for an OID, or `undefined` when unknown. */
export function signatureAlgorithm(oid: string): SignatureAlgorithmInfo | undefined {
  return signatureByOid.get(oid);
}

/** Public key algorithm for an OID, or `undefined` when unknown. */
export function publicKeyAlgorithm(oid: string): PublicKeyAlgorithmInfo | undefined {
  return keyByOid.get(oid);
}

/** Human-readable name of any algorithm OID this registry knows; the OID itself otherwise. */
export function algorithmName(oid: string): string {
  return (
    signatureByOid.get(oid)?.name ??
    digestByOid.get(oid)?.name ??
    keyByOid.get(oid)?.name ??
    NAMED_CURVES[oid]?.name ??
    oid
  );
}

/** True for digests WebCrypto implements. */
export function isWebCryptoDigest(name: DigestName): name is 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' {
  return name === 'SHA-1' || name === 'SHA-256' || name === 'SHA-384' || name === 'SHA-512';
}
