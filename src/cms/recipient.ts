/**
 * RecipientInfo (RFC 5652 §6.2): writing KeyTransRecipientInfo (RSA PKCS#1
 * v1.5 or RSA-OAEP) and KeyAgreeRecipientInfo (ECDH-ES), reading every kind,
 * matching a recipient certificate, and recovering the content-encryption key.
 */
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { DEFAULT_MIN_RSA_BITS } from '../crypto/policy.js';
import { AlgorithmError, ArgumentError, CryptoError } from '../errors.js';
import { aesKeyUnwrap } from '../crypto/ciphers/aes.js';
import { encodeOaepParams, parseOaepParams, rsaOaepDecrypt, rsaOaepEncrypt, type OaepHash } from '../crypto/rsa-oaep.js';
import { rsaPkcs1v15DecryptImplicit, rsaPkcs1v15Encrypt, rsaPublicKeyBits } from '../crypto/rsa.js';
import type { KdfHash } from '../crypto/kdf.js';
import { certificateSpki, spkiFingerprint } from '../crypto/key-match.js';
import type { LoadedPrivateKey } from '../crypto/private-key.js';
import { bytesEqual, fromHex } from '../util/bytes.js';
import { sha1 } from '../util/hash/index.js';
import { readCertificate, type Certificate } from '../x509/index.js';
import { AES_WRAP, ECDH_SCHEMES, ID_EC_PUBLIC_KEY, XDH_OIDS, ecdhUnwrap, ecdhWrap, type EcdhCurve } from './ecdh.js';
import { type DerNode, derChildren, derBytes, derIsContext, derSequence, derSet, derSmallInt, derOctets, type ParsedAlgorithm, derAlgorithm, tlv, seq, octets, NULL, encodeInt, algorithmId } from '../asn1/index.js';
import { parsing } from './malformed.js';

export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const RSAES_OAEP = '1.2.840.113549.1.1.7';

/** RSA key transport schemes. */
export type KeyTransport = 'rsa-pkcs1' | 'rsa-oaep';
/** How a recipient is identified in the message. */
export type RecipientIdentifierType = 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
/** How the content-encryption key reaches a recipient. */
export type KeyManagement = KeyTransport | 'ecdh' | 'kek';

/** One recipient of a new EnvelopedData / AuthEnvelopedData. */
export interface EnvelopeRecipient {
  /** The recipient's X.509 certificate (DER, PEM or a certificate object). */
  certificate: CertificateInput;
  /** RSA recipients: PKCS#1 v1.5 (default) or OAEP. Ignored for EC recipients. */
  keyTransport?: KeyTransport;
  /** OAEP hash (also used for MGF1); default SHA-256. */
  oaepHash?: OaepHash;
  /** Default `issuerAndSerialNumber` (gpgsm 2.2 cannot find SKI recipients). */
  identifier?: RecipientIdentifierType;
  /** Key-agreement recipients: the KDF hash; default by curve (P-256/X25519 SHA-256, P-384 SHA-384, P-521/X448 SHA-512). */
  kdfHash?: KdfHash;
  /** Allow RSA keys under 2048 bits (refused by default: `weak-algorithm`). */
  allowWeak?: boolean;
}

/** What was written for a recipient. */
export interface RecipientSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  keyManagement: KeyManagement;
  /** The algorithm written (e.g. `rsaEncryption`, `RSAES-OAEP/SHA-256`, `dhSinglePass-stdDH-sha256kdf-scheme`). */
  algorithm: string;
  identifier: RecipientIdentifierType;
}

/** The public key of a certificate, as far as encryption cares. */
export interface RecipientKeyInfo {
  /** `ec`: key agreement (NIST curves, X25519, X448). */
  kind: 'rsa' | 'ec' | 'unusable';
  curve?: EcdhCurve;
  info: Certificate;
  /** Why the key cannot be used, when `unusable`. */
  reason?: string;
}

/** Classifies a certificate's key for encryption (RSA key transport, ECDH, or unusable: RSA-PSS, EdDSA, DSA...). */
export function recipientKeyInfo(certificate: Uint8Array): RecipientKeyInfo {
  const info = readCertificate(certificate);
  if (info.publicKeyAlgorithm === RSA_ENCRYPTION) return { kind: 'rsa', info };
  if (info.publicKeyAlgorithm === ID_EC_PUBLIC_KEY) {
    const fp = spkiFingerprint(certificateSpki(certificate));
    if (fp.family === 'ec' && fp.curve) return { kind: 'ec', curve: fp.curve, info };
    return { kind: 'unusable', info, reason: 'the EC certificate uses a curve other than P-256/P-384/P-521' };
  }
  if (info.publicKeyAlgorithm === XDH_OIDS.X25519) return { kind: 'ec', curve: 'X25519', info };
  if (info.publicKeyAlgorithm === XDH_OIDS.X448) return { kind: 'ec', curve: 'X448', info };
  return { kind: 'unusable', info, reason: `a ${info.publicKeyAlgorithm} key cannot be used for encryption` };
}

function issuerAndSerial(info: Certificate): Uint8Array {
  return seq(info.issuer.der, tlv(0x02, fromHex(info.serialHex)));
}

/**
 * Encodes the RecipientInfo for one recipient, encrypting `cek` to its key.
 * Returns the DER (a CHOICE element: SEQUENCE for KTRI, `[1]` for KARI) and its version.
 */
export async function encodeRecipientInfo(recipient: EnvelopeRecipient, cek: Uint8Array): Promise<{ der: Uint8Array; version: number; summary: RecipientSummary }> {
  const key = recipientKeyInfo(certificateDer(recipient.certificate, 'recipient certificate'));
  const { info } = key;
  let identifier = recipient.identifier ?? 'issuerAndSerialNumber';
  // RFC 5652 ties subjectKeyIdentifier to the certificate's extension; without one, fall back.
  if (identifier === 'subjectKeyIdentifier' && !info.subjectKeyIdentifier) identifier = 'issuerAndSerialNumber';
  const base = { subject: info.subject.text, issuer: info.issuer.text, serialNumber: info.serialHex, identifier };
  if (key.kind === 'rsa') {
    const bits = rsaPublicKeyBits(info.spki);
    if (!recipient.allowWeak && bits < DEFAULT_MIN_RSA_BITS) {
      throw new AlgorithmError('weak-algorithm', `refusing to encrypt to ${info.subject.text}: its RSA key has ${bits} bits (at least ${DEFAULT_MIN_RSA_BITS}; allowWeak to override)`, {
        details: { subject: info.subject.text },
      });
    }
    const transport = recipient.keyTransport ?? 'rsa-pkcs1';
    const rid = identifier === 'subjectKeyIdentifier' ? tlv(0x80, info.subjectKeyIdentifier!) : issuerAndSerial(info);
    const version = identifier === 'subjectKeyIdentifier' ? 2 : 0;
    let alg: Uint8Array;
    let encryptedKey: Uint8Array;
    let algorithm: string;
    if (transport === 'rsa-oaep') {
      const hash = recipient.oaepHash ?? 'SHA-256';
      alg = algorithmId(RSAES_OAEP, encodeOaepParams({ hash }));
      encryptedKey = await rsaOaepEncrypt(info.spki, cek, { hash });
      algorithm = `RSAES-OAEP/${hash}`;
    } else if (transport === 'rsa-pkcs1') {
      alg = algorithmId(RSA_ENCRYPTION, NULL);
      encryptedKey = await rsaPkcs1v15Encrypt(info.spki, cek);
      algorithm = 'rsaEncryption';
    } else {
      throw new ArgumentError('bad-argument', `unknown key transport "${String(transport)}"`);
    }
    return { der: seq(encodeInt(version), rid, alg, octets(encryptedKey)), version, summary: { ...base, keyManagement: transport, algorithm } };
  }
  if (key.kind === 'ec') {
    const wrapped = await ecdhWrap(info.spki, key.curve!, cek, recipient.kdfHash);
    const originator = tlv(0xa0, tlv(0xa1, wrapped.originatorAlgorithm, tlv(0x03, Uint8Array.of(0), wrapped.ephemeralPublicKey)));
    const rid = identifier === 'subjectKeyIdentifier' ? tlv(0xa0, octets(info.subjectKeyIdentifier!)) : issuerAndSerial(info);
    const rek = seq(seq(rid, octets(wrapped.encryptedKey)));
    return { der: tlv(0xa1, encodeInt(3), originator, wrapped.keyEncryptionAlgorithm, rek), version: 3, summary: { ...base, keyManagement: 'ecdh', algorithm: wrapped.scheme } };
  }
  throw new AlgorithmError('unsupported-algorithm', `cannot encrypt to ${info.subject.text}: ${key.reason}`, { details: { subject: info.subject.text } });
}

// ---------------------------------------------------------------------------
// Reading

/** A recipient identifier as found in a message. */
export interface RecipientIdentifier {
  /** issuerAndSerialNumber: the issuer Name DER and the serial INTEGER content. */
  issuer?: Uint8Array;
  serialNumber?: Uint8Array;
  subjectKeyIdentifier?: Uint8Array;
}

export interface ParsedKeyTransRecipient {
  kind: 'ktri';
  version: number;
  rid: RecipientIdentifier;
  keyEncryptionAlgorithm: ParsedAlgorithm;
  encryptedKey: Uint8Array;
}

export interface ParsedKeyAgreeRecipient {
  kind: 'kari';
  version: number;
  /** The originator's ephemeral/static public key, when given as originatorKey. */
  originatorKey?: { algorithm: ParsedAlgorithm; publicKey: Uint8Array };
  ukm?: Uint8Array;
  keyEncryptionAlgorithm: ParsedAlgorithm;
  recipientEncryptedKeys: { rid: RecipientIdentifier; encryptedKey: Uint8Array }[];
}

export interface ParsedKekRecipient {
  kind: 'kekri';
  version: number;
  keyIdentifier: Uint8Array;
  keyEncryptionAlgorithm: ParsedAlgorithm;
  encryptedKey: Uint8Array;
}

export interface ParsedOtherRecipient {
  kind: 'pwri' | 'ori' | 'unknown';
}

export type ParsedRecipientInfo = ParsedKeyTransRecipient | ParsedKeyAgreeRecipient | ParsedKekRecipient | ParsedOtherRecipient;

function parseIssuerAndSerial(node: DerNode): RecipientIdentifier {
  const kids = derSequence(node, 'IssuerAndSerialNumber', 2);
  const serial = kids[1]!;
  if (serial.cls !== 0 || serial.tag !== 2) throw new Error('IssuerAndSerialNumber: serialNumber is not an INTEGER');
  return { issuer: derBytes(kids[0]!), serialNumber: serial.buf.subarray(serial.contentStart, serial.contentEnd) };
}

function parseKtri(node: DerNode): ParsedKeyTransRecipient {
  const kids = derSequence(node, 'KeyTransRecipientInfo', 4);
  const ridNode = kids[1]!;
  const rid = derIsContext(ridNode, 0) ? { subjectKeyIdentifier: derOctets(ridNode, 'subjectKeyIdentifier', { implicitTag: 0 }) } : parseIssuerAndSerial(ridNode);
  return { kind: 'ktri', version: derSmallInt(kids[0]), rid, keyEncryptionAlgorithm: derAlgorithm(kids[2]), encryptedKey: derOctets(kids[3], 'encryptedKey') };
}

function parseKari(node: DerNode): ParsedKeyAgreeRecipient {
  const kids = derChildren(node);
  let i = 0;
  const version = derSmallInt(kids[i++]);
  const originatorWrap = kids[i++];
  if (!originatorWrap || !derIsContext(originatorWrap, 0)) throw new Error('KeyAgreeRecipientInfo: originator missing');
  const orig = derChildren(originatorWrap)[0];
  const out: ParsedKeyAgreeRecipient = { kind: 'kari', version, keyEncryptionAlgorithm: undefined as never, recipientEncryptedKeys: [] };
  if (orig && derIsContext(orig, 1)) {
    const [alg, key] = derChildren(orig);
    if (!key || key.cls !== 0 || key.tag !== 3) throw new Error('OriginatorPublicKey: publicKey is not a BIT STRING');
    out.originatorKey = { algorithm: derAlgorithm(alg), publicKey: key.buf.subarray(key.contentStart + 1, key.contentEnd) };
  }
  if (kids[i] && derIsContext(kids[i]!, 1)) out.ukm = derOctets(derChildren(kids[i++]!)[0], 'ukm');
  out.keyEncryptionAlgorithm = derAlgorithm(kids[i++]);
  for (const rek of derSequence(kids[i], 'RecipientEncryptedKeys')) {
    const [ridNode, ek] = derSequence(rek, 'RecipientEncryptedKey', 2);
    let rid: RecipientIdentifier;
    if (derIsContext(ridNode!, 0)) rid = { subjectKeyIdentifier: derOctets(derChildren(ridNode!)[0], 'rKeyId') };
    else rid = parseIssuerAndSerial(ridNode!);
    out.recipientEncryptedKeys.push({ rid, encryptedKey: derOctets(ek, 'encryptedKey') });
  }
  return out;
}

function parseKekri(node: DerNode): ParsedKekRecipient {
  const kids = derChildren(node);
  const kekid = derSequence(kids[1], 'KEKIdentifier', 1);
  return {
    kind: 'kekri',
    version: derSmallInt(kids[0]),
    keyIdentifier: derOctets(kekid[0], 'keyIdentifier'),
    keyEncryptionAlgorithm: derAlgorithm(kids[2]),
    encryptedKey: derOctets(kids[3], 'encryptedKey'),
  };
}

/** Parses a `RecipientInfos` SET. */
export function parseRecipientInfos(node: DerNode): ParsedRecipientInfo[] {
  return parsing('RecipientInfos', () =>
    derSet(node, 'RecipientInfos').map((ri): ParsedRecipientInfo => {
      if (ri.cls === 0 && ri.tag === 16) return parseKtri(ri);
      if (derIsContext(ri, 1)) return parseKari(ri);
      if (derIsContext(ri, 2)) return parseKekri(ri);
      if (derIsContext(ri, 3)) return { kind: 'pwri' };
      if (derIsContext(ri, 4)) return { kind: 'ori' };
      return { kind: 'unknown' };
    }),
  );
}

function serialEqual(a: Uint8Array, b: Uint8Array): boolean {
  const strip = (x: Uint8Array): Uint8Array => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    return x.subarray(i);
  };
  return bytesEqual(strip(a), strip(b));
}

/**
 * How a recipient identifier matches a certificate, or `undefined`.
 * subjectKeyIdentifier is compared with the SKI extension and with SHA-1 of
 * the public key computed both ways clients do: RFC 5280 method 1 (the
 * subjectPublicKey BIT STRING value) and the whole SubjectPublicKeyInfo DER
 * (CryptoAPI / Outlook 2010 for certificates without the extension).
 */
export function recipientMatches(rid: RecipientIdentifier, info: Certificate): 'issuerAndSerialNumber' | 'subjectKeyIdentifier' | undefined {
  if (rid.issuer && rid.serialNumber) {
    return bytesEqual(rid.issuer, info.issuer.der) && serialEqual(rid.serialNumber, fromHex(info.serialHex)) ? 'issuerAndSerialNumber' : undefined;
  }
  const ski = rid.subjectKeyIdentifier;
  if (!ski) return undefined;
  if (info.subjectKeyIdentifier && bytesEqual(ski, info.subjectKeyIdentifier)) return 'subjectKeyIdentifier';
  if (ski.length === 20 && (bytesEqual(ski, sha1(info.publicKey)) || bytesEqual(ski, sha1(info.spki)))) return 'subjectKeyIdentifier';
  return undefined;
}

/** One way to obtain the CEK: a RecipientInfo (and, for KARI, one of its encrypted keys). */
export interface RecipientCandidate {
  index: number;
  info: ParsedKeyTransRecipient | ParsedKeyAgreeRecipient;
  /** KARI: which RecipientEncryptedKey. */
  keyIndex: number;
  matchedBy: 'issuerAndSerialNumber' | 'subjectKeyIdentifier' | 'trial';
}

/**
 * The RecipientInfos addressed to `certificate`, in message order. With
 * `tryAll`, every other KTRI/KARI key follows (trial decryption).
 */
export function findRecipients(infos: ParsedRecipientInfo[], certificate: Certificate | undefined, tryAll: boolean): RecipientCandidate[] {
  const matched: RecipientCandidate[] = [];
  const others: RecipientCandidate[] = [];
  infos.forEach((ri, index) => {
    if (ri.kind === 'ktri') {
      const how = certificate ? recipientMatches(ri.rid, certificate) : undefined;
      (how ? matched : others).push({ index, info: ri, keyIndex: 0, matchedBy: how ?? 'trial' });
    } else if (ri.kind === 'kari') {
      ri.recipientEncryptedKeys.forEach((rek, keyIndex) => {
        const how = certificate ? recipientMatches(rek.rid, certificate) : undefined;
        (how ? matched : others).push({ index, info: ri, keyIndex, matchedBy: how ?? 'trial' });
      });
    }
  });
  return tryAll ? [...matched, ...others] : matched;
}

/** Key management of a candidate, for reports. */
export function keyManagementOf(candidate: RecipientCandidate): KeyManagement {
  if (candidate.info.kind === 'kari') return 'ecdh';
  return candidate.info.keyEncryptionAlgorithm.oid === RSAES_OAEP ? 'rsa-oaep' : 'rsa-pkcs1';
}

/**
 * Recovers the CEK of a candidate with the private key. PKCS#1 v1.5 goes
 * through implicit rejection with the expected CEK length: bad padding, a
 * wrong key and a wrong-length key all yield a pseudo-random key of the right
 * length, so the caller only ever sees the content decryption fail.
 */
export async function recoverCek(candidate: RecipientCandidate, key: LoadedPrivateKey, cekLength: number): Promise<Uint8Array> {
  const ri = candidate.info;
  if (ri.kind === 'ktri') {
    if (key.type !== 'rsa') throw new CryptoError('decryption-failed', 'decryption failed: the RecipientInfo needs an RSA key');
    const alg = ri.keyEncryptionAlgorithm;
    if (alg.oid === RSA_ENCRYPTION) {
      // A content cipher whose key cannot fit in this RSA modulus (e.g. RC2 with 1024 effective bits for a
      // 1024-bit key) is a message this key cannot open: decryption-failed, not the helper's bad-argument.
      if (cekLength > Math.ceil(key.bits / 8) - 11) throw new CryptoError('decryption-failed', 'decryption failed: the content-encryption key cannot fit this RSA key');
      return rsaPkcs1v15DecryptImplicit(key.pkcs8, ri.encryptedKey, { expectedLength: cekLength });
    }
    if (alg.oid === RSAES_OAEP) {
      const params = parseOaepParams(alg.params ? derBytes(alg.params) : undefined);
      const cek = await rsaOaepDecrypt(key.pkcs8, ri.encryptedKey, params);
      if (cek.length !== cekLength) throw new CryptoError('decryption-failed', 'decryption failed: the content-encryption key has the wrong length');
      return cek;
    }
    throw new AlgorithmError('unsupported-algorithm', `unsupported key transport algorithm ${alg.oid}`, { details: { algorithm: alg.oid } });
  }
  const curve: EcdhCurve | undefined = key.type === 'ec' ? key.curve : key.type === 'x25519' ? 'X25519' : key.type === 'x448' ? 'X448' : undefined;
  if (!curve) throw new CryptoError('decryption-failed', 'decryption failed: the RecipientInfo needs an EC, X25519 or X448 key');
  if (!ri.originatorKey) throw new AlgorithmError('unsupported-algorithm', 'key agreement with a static originator certificate is not supported');
  const cek = await ecdhUnwrap({
    privateKey: key.pkcs8,
    curve,
    originatorPublicKey: ri.originatorKey.publicKey,
    ...(ri.ukm ? { ukm: ri.ukm } : {}),
    keyEncryptionAlgorithm: ri.keyEncryptionAlgorithm,
    encryptedKey: ri.recipientEncryptedKeys[candidate.keyIndex]!.encryptedKey,
  });
  if (cek.length !== cekLength) throw new CryptoError('decryption-failed', 'decryption failed: the content-encryption key has the wrong length');
  return cek;
}

/** Unwraps the CEK of a KEKRecipientInfo (AES key wrap) with a shared key-encryption key. */
export async function recoverCekWithKek(ri: ParsedKekRecipient, kek: Uint8Array): Promise<Uint8Array> {
  const expected = AES_WRAP[ri.keyEncryptionAlgorithm.oid];
  if (!expected) throw new AlgorithmError('unsupported-algorithm', `unsupported KEK algorithm ${ri.keyEncryptionAlgorithm.oid}`);
  if (kek.length !== expected) throw new ArgumentError('bad-key-length', `the KEK must be ${expected} bytes for ${ri.keyEncryptionAlgorithm.oid}`);
  return aesKeyUnwrap(kek, ri.encryptedKey);
}

/** Human name of a key-encryption algorithm. */
export function keyEncryptionName(alg: ParsedAlgorithm): string {
  if (alg.oid === RSA_ENCRYPTION) return 'rsaEncryption';
  if (alg.oid === RSAES_OAEP) {
    try {
      const p = parseOaepParams(alg.params ? derBytes(alg.params) : undefined);
      return `RSAES-OAEP/${p.hash}`;
    } catch {
      return 'RSAES-OAEP';
    }
  }
  return ECDH_SCHEMES[alg.oid]?.name ?? alg.oid;
}

