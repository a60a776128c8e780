/**
 * PKCS#12 (RFC 7292) writing: a certificate, its private key and CA chain in a
 * password-protected `.p12`/`.pfx`, laid out as `openssl pkcs12 -export`
 * does — encrypted certificate SafeContents, a shrouded key bag, an HMAC over
 * the whole — so OpenSSL, Windows, macOS, Java and browsers import it.
 */
import { algorithmId, encodeInt, encodeOid, octets, seq, setOf, tlv, NULL } from '../asn1/index.js';
import { ArgumentError } from '../errors.js';
import { bytesEqual, toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { sha1 } from '../util/hash.js';
import { readCertificate } from '../x509/index.js';
import { randomBytes } from './engine.js';
import { hashLength, hmac, pkcs12Kdf, pkcs12KdfMaxIterations, pkcs12PasswordBytes, type KdfHash } from './kdf.js';
import { assertKeyMatchesCertificate } from './key-match.js';
import { DIGEST_OIDS } from './oids.js';
// The reader's upper bounds, so that every file written can be read back.
import { MAX_HASH_CHAIN_ITERATIONS, MAX_PBKDF2_ITERATIONS, pbePassword, type PbePassword } from './password-based.js';
import { pbeEncrypt, type PbeScheme } from './pbe-encrypt.js';
import { P12 } from './pkcs12.js';
import { loadPrivateKey, normalizePkcs8, type LoadedPrivateKey } from './private-key.js';

/** What {@link exportPkcs12} packs. A `loadIdentity` result fits as it is. */
export interface Pkcs12ExportIdentity {
  /** The end-entity certificate: DER, PEM, or a certificate object carrying its DER. */
  certificate: CertificateInput;
  /**
   * The private key: unencrypted PKCS#8, PKCS#1 or SEC1 as DER bytes or PEM (text or bytes), or a
   * `loadPrivateKey` result. An encrypted key must be decrypted first with `loadPrivateKey(bytes, password)`.
   */
  privateKey: BytesLike | string | LoadedPrivateKey;
  /** CA certificates to include after the end-entity certificate, one certificate per entry. */
  chain?: readonly CertificateInput[];
  /** Used as the friendly name when `options.friendlyName` is not given (so a loaded identity keeps its name). */
  friendlyName?: string;
}

/** MAC digests of {@link ExportPkcs12Options}. */
export type Pkcs12MacDigest = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** Options of {@link exportPkcs12}. */
export interface ExportPkcs12Options {
  /** friendlyName (BMPString) of the key and the end-entity certificate: the name Windows and Keychain show. */
  friendlyName?: string;
  /**
   * `'aes-256-cbc'` (default): PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC for the key and the certificates,
   * as OpenSSL 3 writes. `'legacy'`: PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC for both and a SHA-1 MAC, for
   * Windows before 10 (1709) / Server 2016 and old Java, which cannot read PBES2.
   */
  algorithm?: 'aes-256-cbc' | 'legacy';
  /** Key-derivation iterations of the encryption (and, unless `mac.iterations`, of the MAC). Default 2048. */
  iterations?: number;
  /** The integrity MAC (HMAC with the PKCS#12 KDF): digest default `sha256` (`sha1` for legacy), iterations. */
  mac?: { digest?: Pkcs12MacDigest; iterations?: number };
}

interface ExportSettings {
  scheme: PbeScheme;
  iterations: number;
  macHash: KdfHash;
  macIterations: number;
}

const DEFAULT_ITERATIONS = 2048;

function iterationCount(value: number | undefined, fallback: number, max: number, what: string): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new ArgumentError('bad-argument', `${what} must be an integer from 1 to ${max}, not ${String(value)}`);
  return n;
}

function settings(options: ExportPkcs12Options | undefined): ExportSettings {
  const algorithm = options?.algorithm ?? 'aes-256-cbc';
  if (algorithm !== 'aes-256-cbc' && algorithm !== 'legacy')
    throw new ArgumentError('bad-argument', `algorithm must be 'aes-256-cbc' or 'legacy', not "${String(algorithm)}"`);
  const legacy = algorithm === 'legacy';
  const digest = options?.mac?.digest ?? (legacy ? 'sha1' : 'sha256');
  if (!['sha1', 'sha256', 'sha384', 'sha512'].includes(digest))
    throw new ArgumentError('bad-argument', `mac.digest must be sha1, sha256, sha384 or sha512, not "${digest}"`);
  const macHash = digest.replace('sha', 'SHA-') as KdfHash;
  const iterations = iterationCount(
    options?.iterations,
    DEFAULT_ITERATIONS,
    legacy ? MAX_HASH_CHAIN_ITERATIONS : MAX_PBKDF2_ITERATIONS,
    'iterations',
  );
  // As `openssl pkcs12 -iter N`: the MAC follows the encryption's count unless told otherwise.
  const macIterations = iterationCount(
    options?.mac?.iterations,
    Math.min(iterations, pkcs12KdfMaxIterations(macHash)),
    pkcs12KdfMaxIterations(macHash),
    'mac.iterations',
  );
  return { scheme: legacy ? 'pkcs12-3des' : 'pbes2-aes-256-cbc', iterations, macHash, macIterations };
}

async function privateKeyOf(input: Pkcs12ExportIdentity['privateKey']): Promise<LoadedPrivateKey> {
  if (typeof input === 'string') return loadPrivateKey(utf8(input));
  if (input && typeof input === 'object' && 'pkcs8' in input) return normalizePkcs8(toBytes(input.pkcs8, 'privateKey'));
  if (input === undefined || input === null) throw new ArgumentError('bad-argument', 'identity.privateKey is required');
  return loadPrivateKey(input);
}

/** `SET OF Attribute`: friendlyName (BMPString, without the password encoding's terminator) and localKeyId. */
function bagAttributes(friendlyName: string | undefined, localKeyId: Uint8Array | undefined): Uint8Array[] {
  const attrs: Uint8Array[] = [];
  if (friendlyName !== undefined)
    attrs.push(seq(encodeOid(P12.friendlyName), setOf([tlv(0x1e, pkcs12PasswordBytes(friendlyName).subarray(0, -2))])));
  if (localKeyId) attrs.push(seq(encodeOid(P12.localKeyId), setOf([octets(localKeyId)])));
  return attrs.length ? [setOf(attrs)] : [];
}

/** SafeBag { bagId, [0] EXPLICIT bagValue, bagAttributes? }. */
function safeBag(type: string, value: Uint8Array, attributes: Uint8Array[]): Uint8Array {
  return seq(encodeOid(type), tlv(0xa0, value), ...attributes);
}

function certBag(der: Uint8Array, attributes: Uint8Array[]): Uint8Array {
  return safeBag(P12.certBag, seq(encodeOid(P12.x509Certificate), tlv(0xa0, octets(der))), attributes);
}

/** ContentInfo { contentType, [0] EXPLICIT content }. */
function contentInfo(type: string, content: Uint8Array): Uint8Array {
  return seq(encodeOid(type), tlv(0xa0, content));
}

/** EncryptedData { version 0, EncryptedContentInfo { data, algorithm, [0] IMPLICIT encryptedContent } }. */
async function encryptedSafeContents(
  safeContents: Uint8Array,
  pw: PbePassword,
  s: ExportSettings,
): Promise<Uint8Array> {
  const { algorithm, ciphertext } = await pbeEncrypt(s.scheme, safeContents, pw, s.iterations);
  const eci = seq(encodeOid(P12.data), algorithm, tlv(0x80, ciphertext));
  return contentInfo(P12.encryptedData, seq(encodeInt(0), eci));
}

/** MacData { DigestInfo { digestAlgorithm (NULL parameters, as OpenSSL), digest }, macSalt, iterations }. */
async function macData(authSafe: Uint8Array, pw: PbePassword, s: ExportSettings): Promise<Uint8Array> {
  const salt = randomBytes(8);
  const key = await pkcs12Kdf(s.macHash, pw.bmp, salt, s.macIterations, 3, hashLength(s.macHash));
  const mac = await hmac(s.macHash, key, authSafe);
  const oid = Object.keys(DIGEST_OIDS).find((o) => DIGEST_OIDS[o] === s.macHash)!;
  return seq(seq(algorithmId(oid, NULL), octets(mac)), octets(salt), encodeInt(s.macIterations));
}

/** The end-entity certificate and the chain, DER, each once (the end-entity certificate is not repeated). */
function certificatesOf(identity: Pkcs12ExportIdentity): { certificate: Uint8Array; chain: Uint8Array[] } {
  if (!identity || typeof identity !== 'object')
    throw new ArgumentError('bad-argument', 'exportPkcs12 needs an identity { certificate, privateKey, chain? }');
  const certificate = certificateDer(identity.certificate, 'identity.certificate');
  const chain: Uint8Array[] = [];
  for (const [i, input] of (identity.chain ?? []).entries()) {
    const der = certificateDer(input, `identity.chain[${i}]`);
    readCertificate(der); // a malformed certificate is refused here, not by whoever imports the file
    if (!bytesEqual(der, certificate) && !chain.some((c) => bytesEqual(c, der))) chain.push(der);
  }
  return { certificate, chain };
}

/**
 * Writes a PKCS#12 (`.p12`/`.pfx`) file holding an identity: the private key, its certificate and the CA chain.
 *
 * The default layout is OpenSSL 3's: the certificates in an encrypted SafeContents and the key in a
 * pkcs8ShroudedKeyBag, both PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC, 2048 iterations), and an HMAC-SHA-256
 * integrity MAC keyed with the PKCS#12 KDF. `algorithm: 'legacy'` writes 3DES and a SHA-1 MAC instead, for
 * old Windows. The key bag and the end-entity certificate carry `localKeyId` (SHA-1 of the certificate, as
 * OpenSSL) and, when given, `friendlyName`. PBES2 derives its key from the password's UTF-8 bytes, the PKCS#12
 * KDF from its BMPString, so OpenSSL reads non-ASCII passwords the same way. Salts and IVs are random.
 *
 * @param identity certificate, private key and optional chain (`loadIdentity` results fit as they are)
 * @param password the file's password (may be empty, though importers may refuse that)
 * @throws CryptoError `key-mismatch` when the key does not belong to the certificate; ArgumentError
 *   `bad-argument` (bad options or certificate input); FormatError `bad-key`/`bad-certificate`/`malformed-der`;
 *   PasswordError `password-required` (an encrypted key); AlgorithmError `unsupported-algorithm` (DSA, DH keys)
 *
 * @example
 * ```ts
 * import { readFile, writeFile } from 'node:fs/promises';
 * import { exportPkcs12, loadIdentity } from 'smimekit';
 *
 * const p12 = await exportPkcs12(
 *   { certificate: await readFile('alice.pem'), privateKey: await readFile('alice.key'), chain: [await readFile('ca.pem')] },
 *   'correct horse battery staple',
 *   { friendlyName: 'Alice (S/MIME)' },
 * );
 * await writeFile('alice.p12', p12);
 * const again = await loadIdentity(p12, 'correct horse battery staple'); // the same key and certificates
 * ```
 */
export async function exportPkcs12(
  identity: Pkcs12ExportIdentity,
  password: string,
  options?: ExportPkcs12Options,
): Promise<Uint8Array> {
  if (typeof password !== 'string') throw new ArgumentError('bad-argument', 'the PKCS#12 password must be a string');
  const s = settings(options);
  const { certificate, chain } = certificatesOf(identity);
  const key = await privateKeyOf(identity.privateKey);
  await assertKeyMatchesCertificate(key, certificate);
  const friendlyName = options?.friendlyName ?? identity.friendlyName;
  if (friendlyName !== undefined && typeof friendlyName !== 'string')
    throw new ArgumentError('bad-argument', 'friendlyName must be a string');
  const attributes = bagAttributes(friendlyName, sha1(certificate));
  const pw = pbePassword(password);

  const certs = seq(certBag(certificate, attributes), ...chain.map((der) => certBag(der, [])));
  const shrouded = await pbeEncrypt(s.scheme, key.pkcs8, pw, s.iterations);
  const keyBag = safeBag(P12.shroudedKeyBag, seq(shrouded.algorithm, octets(shrouded.ciphertext)), attributes);
  const authSafe = seq(await encryptedSafeContents(certs, pw, s), contentInfo(P12.data, octets(seq(keyBag))));
  return seq(encodeInt(3), contentInfo(P12.data, octets(authSafe)), await macData(authSafe, pw, s));
}
