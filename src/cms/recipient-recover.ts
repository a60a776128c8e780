/**
 * The decrypting side of RecipientInfos: finding those addressed to a
 * certificate (or all, for trial decryption) and recovering the
 * content-encryption key with the private key or a KEK.
 */
import { AlgorithmError, ArgumentError, CryptoError } from '../errors.js';
import { aesKeyUnwrap } from '../crypto/ciphers/aes.js';
import { parseOaepParams, rsaOaepDecrypt } from '../crypto/rsa-oaep.js';
import { rsaPkcs1v15DecryptImplicit } from '../crypto/rsa.js';
import type { LoadedPrivateKey } from '../crypto/private-key.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { namesMatch, serialsEqual } from './signer-lookup.js';
import { sha1 } from '../util/hash.js';
import type { Certificate } from '../x509/index.js';
import { AES_WRAP, ecdhUnwrap, type EcdhCurve } from './ecdh.js';
import { derBytes } from '../asn1/index.js';
import type { KeyManagement } from './recipient-encode.js';
import {
  RSA_ENCRYPTION,
  RSAES_OAEP,
  type ParsedKekRecipient,
  type ParsedKeyAgreeRecipient,
  type ParsedKeyTransRecipient,
  type ParsedRecipientInfo,
  type RecipientIdentifier,
} from './recipient-parse.js';

/**
 * How a recipient identifier matches a certificate, or `undefined`.
 * issuerAndSerialNumber: the serial numbers as INTEGER values, the issuer
 * names by RFC 5280 §7.1 matching (`namesMatch`: the same bytes, or the same
 * attributes with values equal after case folding and whitespace
 * compression, whatever string type each was written in), so a sender that
 * re-encoded the issuer (PrintableString as UTF8String) still reaches the
 * recipient; a different name never matches. subjectKeyIdentifier is
 * compared with the SKI extension and with SHA-1 of the public key computed
 * both ways clients do: RFC 5280 method 1 (the subjectPublicKey BIT STRING
 * value) and the whole SubjectPublicKeyInfo DER (CryptoAPI / Outlook 2010 for
 * certificates without the extension).
 */
export function recipientMatches(
  rid: RecipientIdentifier,
  info: Certificate,
): 'issuerAndSerialNumber' | 'subjectKeyIdentifier' | undefined {
  if (rid.issuer && rid.serialNumber) {
    return serialsEqual(toHex(rid.serialNumber), info.serialHex) && namesMatch(rid.issuer, info.issuer.der)
      ? 'issuerAndSerialNumber'
      : undefined;
  }
  const ski = rid.subjectKeyIdentifier;
  if (!ski) return undefined;
  if (info.subjectKeyIdentifier && bytesEqual(ski, info.subjectKeyIdentifier)) return 'subjectKeyIdentifier';
  if (ski.length === 20 && (bytesEqual(ski, sha1(info.publicKey)) || bytesEqual(ski, sha1(info.spki))))
    return 'subjectKeyIdentifier';
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
export function findRecipients(
  infos: ParsedRecipientInfo[],
  certificate: Certificate | undefined,
  tryAll: boolean,
): RecipientCandidate[] {
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
export async function recoverCek(
  candidate: RecipientCandidate,
  key: LoadedPrivateKey,
  cekLength: number,
): Promise<Uint8Array> {
  const ri = candidate.info;
  if (ri.kind === 'ktri') {
    if (key.type !== 'rsa')
      throw new CryptoError('decryption-failed', 'decryption failed: the RecipientInfo needs an RSA key');
    const alg = ri.keyEncryptionAlgorithm;
    if (alg.oid === RSA_ENCRYPTION) {
      // A content cipher whose key cannot fit in this RSA modulus (e.g. RC2 with 1024 effective bits for a
      // 1024-bit key) is a message this key cannot open: decryption-failed, not the helper's bad-argument.
      if (cekLength > Math.ceil(key.bits / 8) - 11)
        throw new CryptoError(
          'decryption-failed',
          'decryption failed: the content-encryption key cannot fit this RSA key',
        );
      return rsaPkcs1v15DecryptImplicit(key.pkcs8, ri.encryptedKey, { expectedLength: cekLength });
    }
    if (alg.oid === RSAES_OAEP) {
      const params = parseOaepParams(alg.params ? derBytes(alg.params) : undefined);
      const cek = await rsaOaepDecrypt(key.pkcs8, ri.encryptedKey, params);
      if (cek.length !== cekLength)
        throw new CryptoError(
          'decryption-failed',
          'decryption failed: the content-encryption key has the wrong length',
        );
      return cek;
    }
    throw new AlgorithmError('unsupported-algorithm', `unsupported key transport algorithm ${alg.oid}`, {
      details: { algorithm: alg.oid },
    });
  }
  const curve: EcdhCurve | undefined =
    key.type === 'ec' ? key.curve : key.type === 'x25519' ? 'X25519' : key.type === 'x448' ? 'X448' : undefined;
  if (!curve)
    throw new CryptoError('decryption-failed', 'decryption failed: the RecipientInfo needs an EC, X25519 or X448 key');
  if (!ri.originatorKey)
    throw new AlgorithmError(
      'unsupported-algorithm',
      'key agreement with a static originator certificate is not supported',
    );
  const cek = await ecdhUnwrap({
    privateKey: key.pkcs8,
    curve,
    originatorPublicKey: ri.originatorKey.publicKey,
    ...(ri.ukm ? { ukm: ri.ukm } : {}),
    keyEncryptionAlgorithm: ri.keyEncryptionAlgorithm,
    encryptedKey: ri.recipientEncryptedKeys[candidate.keyIndex]!.encryptedKey,
  });
  if (cek.length !== cekLength)
    throw new CryptoError('decryption-failed', 'decryption failed: the content-encryption key has the wrong length');
  return cek;
}

/** Unwraps the CEK of a KEKRecipientInfo (AES key wrap) with a shared key-encryption key. */
export async function recoverCekWithKek(ri: ParsedKekRecipient, kek: Uint8Array): Promise<Uint8Array> {
  const expected = AES_WRAP[ri.keyEncryptionAlgorithm.oid];
  if (!expected)
    throw new AlgorithmError('unsupported-algorithm', `unsupported KEK algorithm ${ri.keyEncryptionAlgorithm.oid}`);
  if (kek.length !== expected)
    throw new ArgumentError('bad-key-length', `the KEK must be ${expected} bytes for ${ri.keyEncryptionAlgorithm.oid}`);
  return aesKeyUnwrap(kek, ri.encryptedKey);
}
