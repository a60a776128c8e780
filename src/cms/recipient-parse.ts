/**
 * Reading RecipientInfos (RFC 5652 §6.2): every kind is recognised (KTRI,
 * KARI and KEKRI parsed in full; PWRI and ORI only named), plus the
 * key-transport OIDs and algorithm names shared with writing and key recovery.
 */
import { parseOaepParams } from '../crypto/rsa-oaep.js';
import { ECDH_SCHEMES } from './ecdh.js';
import {
  type DerNode,
  derChildren,
  derBytes,
  derIsContext,
  derSequence,
  derSet,
  derSmallInt,
  derOctets,
  type ParsedAlgorithm,
  derAlgorithm,
} from '../asn1/index.js';
import { parsing } from './malformed.js';

export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const RSAES_OAEP = '1.2.840.113549.1.1.7';

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

export type ParsedRecipientInfo =
  ParsedKeyTransRecipient | ParsedKeyAgreeRecipient | ParsedKekRecipient | ParsedOtherRecipient;

function parseIssuerAndSerial(node: DerNode): RecipientIdentifier {
  const kids = derSequence(node, 'IssuerAndSerialNumber', 2);
  const serial = kids[1]!;
  if (serial.cls !== 0 || serial.tag !== 2) throw new Error('IssuerAndSerialNumber: serialNumber is not an INTEGER');
  return { issuer: derBytes(kids[0]!), serialNumber: serial.buf.subarray(serial.contentStart, serial.contentEnd) };
}

function parseKtri(node: DerNode): ParsedKeyTransRecipient {
  const kids = derSequence(node, 'KeyTransRecipientInfo', 4);
  const ridNode = kids[1]!;
  const rid = derIsContext(ridNode, 0)
    ? { subjectKeyIdentifier: derOctets(ridNode, 'subjectKeyIdentifier', { implicitTag: 0 }) }
    : parseIssuerAndSerial(ridNode);
  return {
    kind: 'ktri',
    version: derSmallInt(kids[0]),
    rid,
    keyEncryptionAlgorithm: derAlgorithm(kids[2]),
    encryptedKey: derOctets(kids[3], 'encryptedKey'),
  };
}

function parseKari(node: DerNode): ParsedKeyAgreeRecipient {
  const kids = derChildren(node);
  let i = 0;
  const version = derSmallInt(kids[i++]);
  const originatorWrap = kids[i++];
  if (!originatorWrap || !derIsContext(originatorWrap, 0)) throw new Error('KeyAgreeRecipientInfo: originator missing');
  const orig = derChildren(originatorWrap)[0];
  const out: ParsedKeyAgreeRecipient = {
    kind: 'kari',
    version,
    keyEncryptionAlgorithm: undefined as never,
    recipientEncryptedKeys: [],
  };
  if (orig && derIsContext(orig, 1)) {
    const [alg, key] = derChildren(orig);
    if (!key || key.cls !== 0 || key.tag !== 3) throw new Error('OriginatorPublicKey: publicKey is not a BIT STRING');
    out.originatorKey = {
      algorithm: derAlgorithm(alg),
      publicKey: key.buf.subarray(key.contentStart + 1, key.contentEnd),
    };
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
