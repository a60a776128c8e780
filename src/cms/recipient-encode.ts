/**
 * Writing RecipientInfos (RFC 5652 §6.2): KeyTransRecipientInfo (RSA PKCS#1
 * v1.5 or RSA-OAEP) and KeyAgreeRecipientInfo (ECDH-ES), after classifying the
 * recipient certificate's key.
 */
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { DEFAULT_MIN_RSA_BITS } from '../crypto/policy.js';
import { AlgorithmError, ArgumentError } from '../errors.js';
import { encodeOaepParams, rsaOaepEncrypt, type OaepHash } from '../crypto/rsa-oaep.js';
import { rsaPkcs1v15Encrypt, rsaPublicKeyBits } from '../crypto/rsa.js';
import type { KdfHash } from '../crypto/kdf.js';
import { certificateSpki, spkiFingerprint } from '../crypto/key-match.js';
import { fromHex } from '../util/bytes.js';
import { readCertificate, type Certificate } from '../x509/index.js';
import { ID_EC_PUBLIC_KEY, XDH_OIDS, ecdhWrap, type EcdhCurve } from './ecdh.js';
import { tlv, seq, octets, draft, NULL, encodeInt, algorithmId } from '../asn1/index.js';
import { RSA_ENCRYPTION, RSAES_OAEP } from './recipient-parse.js';

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

/** IssuerAndSerialNumber DER, encoded once per certificate (callers copy it into larger structures). */
function issuerAndSerial(info: Certificate): Uint8Array {
  let der = issuerAndSerials.get(info);
  if (!der) issuerAndSerials.set(info, (der = seq(info.issuer.der, tlv(0x02, fromHex(info.serialHex)))));
  return der;
}
const issuerAndSerials = new WeakMap<Certificate, Uint8Array>();

// AlgorithmIdentifiers written for every RSA recipient, encoded once.
const RSA_PKCS1_ALGORITHM = algorithmId(RSA_ENCRYPTION, NULL);
const oaepAlgorithms = new Map<OaepHash, Uint8Array>();
function oaepAlgorithm(hash: OaepHash): Uint8Array {
  let der = oaepAlgorithms.get(hash);
  if (!der) oaepAlgorithms.set(hash, (der = algorithmId(RSAES_OAEP, encodeOaepParams({ hash }))));
  return der;
}

function summaryOf(
  info: Certificate,
  identifier: RecipientIdentifierType,
  keyManagement: KeyManagement,
  algorithm: string,
): RecipientSummary {
  // The order of the fields as reports have always listed them.
  return {
    subject: info.subject.text,
    issuer: info.issuer.text,
    serialNumber: info.serialHex,
    identifier,
    keyManagement,
    algorithm,
  };
}

/**
 * Encodes the RecipientInfo for one recipient, encrypting `cek` to its key.
 * Returns the DER (a CHOICE element: SEQUENCE for KTRI, `[1]` for KARI) and its version.
 */
export async function encodeRecipientInfo(
  recipient: EnvelopeRecipient,
  cek: Uint8Array,
): Promise<{ der: Uint8Array; version: number; summary: RecipientSummary }> {
  const key = recipientKeyInfo(certificateDer(recipient.certificate, 'recipient certificate'));
  const { info } = key;
  let identifier = recipient.identifier ?? 'issuerAndSerialNumber';
  // RFC 5652 ties subjectKeyIdentifier to the certificate's extension; without one, fall back.
  if (identifier === 'subjectKeyIdentifier' && !info.subjectKeyIdentifier) identifier = 'issuerAndSerialNumber';
  if (key.kind === 'rsa') {
    const bits = rsaPublicKeyBits(info.spki);
    if (!recipient.allowWeak && bits < DEFAULT_MIN_RSA_BITS) {
      throw new AlgorithmError(
        'weak-algorithm',
        `refusing to encrypt to ${info.subject.text}: its RSA key has ${bits} bits (at least ${DEFAULT_MIN_RSA_BITS}; allowWeak to override)`,
        {
          details: { subject: info.subject.text },
        },
      );
    }
    const transport = recipient.keyTransport ?? 'rsa-pkcs1';
    const rid = identifier === 'subjectKeyIdentifier' ? tlv(0x80, info.subjectKeyIdentifier!) : issuerAndSerial(info);
    const version = identifier === 'subjectKeyIdentifier' ? 2 : 0;
    let alg: Uint8Array;
    let encryptedKey: Uint8Array;
    let algorithm: string;
    if (transport === 'rsa-oaep') {
      const hash = recipient.oaepHash ?? 'SHA-256';
      alg = oaepAlgorithm(hash);
      encryptedKey = await rsaOaepEncrypt(info.spki, cek, { hash });
      algorithm = `RSAES-OAEP/${hash}`;
    } else if (transport === 'rsa-pkcs1') {
      alg = RSA_PKCS1_ALGORITHM;
      encryptedKey = await rsaPkcs1v15Encrypt(info.spki, cek);
      algorithm = 'rsaEncryption';
    } else {
      throw new ArgumentError('bad-argument', `unknown key transport "${String(transport)}"`);
    }
    return {
      der: seq(encodeInt(version), rid, alg, draft(0x04, encryptedKey)),
      version,
      summary: summaryOf(info, identifier, transport, algorithm),
    };
  }
  if (key.kind === 'ec') {
    const wrapped = await ecdhWrap(info.spki, key.curve!, cek, recipient.kdfHash);
    const originator = tlv(
      0xa0,
      tlv(0xa1, wrapped.originatorAlgorithm, tlv(0x03, Uint8Array.of(0), wrapped.ephemeralPublicKey)),
    );
    const rid =
      identifier === 'subjectKeyIdentifier' ? tlv(0xa0, octets(info.subjectKeyIdentifier!)) : issuerAndSerial(info);
    const rek = seq(seq(rid, octets(wrapped.encryptedKey)));
    return {
      der: tlv(0xa1, encodeInt(3), originator, wrapped.keyEncryptionAlgorithm, rek),
      version: 3,
      summary: summaryOf(info, identifier, 'ecdh', wrapped.scheme),
    };
  }
  throw new AlgorithmError('unsupported-algorithm', `cannot encrypt to ${info.subject.text}: ${key.reason}`, {
    details: { subject: info.subject.text },
  });
}
