/**
 * CBC ciphers by AlgorithmIdentifier OID (AES-CBC, DES-EDE3-CBC, DES-CBC,
 * RC2-CBC): their key lengths, RC2 parameters and decryption. Shared by
 * password-based encryption (PBES2) and CMS content decryption.
 */
import { AlgorithmError, ArgumentError } from '../../errors.js';
import { OID } from '../oids.js';
import { aesCbcDecrypt } from './aes.js';
import { createDes } from './des.js';
import { cbcDecrypt } from './modes.js';
import { createRc2, rc2VersionToEffectiveBits } from './rc2.js';
import { type DerNode, derIsUniversal, derSequence, derSmallInt, derOctets } from '../../asn1/index.js';

/**
 * Key length in bytes of the CBC ciphers whose OID fixes it. RC2 is absent:
 * its key length comes from its parameters (CMS) or the KDF (PBES2).
 */
export const CBC_KEY_LENGTHS: Readonly<Record<string, number>> = {
  [OID.aes128Cbc]: 16,
  [OID.aes192Cbc]: 24,
  [OID.aes256Cbc]: 32,
  [OID.desEde3Cbc]: 24,
  [OID.desCbc]: 8,
};

/** RC2-CBC parameters: `RC2-CBC-Parameter ::= SEQUENCE { rc2ParameterVersion INTEGER OPTIONAL, iv OCTET STRING }` (or a bare IV). */
export function parseRc2CbcParameters(params: DerNode | undefined): { effectiveBits: number; iv: Uint8Array } {
  if (params && derIsUniversal(params, 4)) return { effectiveBits: 32, iv: derOctets(params) };
  const kids = derSequence(params, 'RC2-CBC-Parameter', 1);
  if (kids.length === 1) return { effectiveBits: 32, iv: derOctets(kids[0]) };
  return {
    effectiveBits: rc2VersionToEffectiveBits(derSmallInt(kids[0], 'rc2ParameterVersion')),
    iv: derOctets(kids[1]),
  };
}

/**
 * Decrypts a symmetric CBC cipher given its AlgorithmIdentifier OID and
 * parameters (AES-CBC, DES-EDE3-CBC, DES-CBC, RC2-CBC). Bad padding is
 * `decryption-failed`.
 */
export async function decryptCbcByOid(
  oid: string,
  params: DerNode | undefined,
  key: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  switch (oid) {
    case OID.aes128Cbc:
    case OID.aes192Cbc:
    case OID.aes256Cbc:
      return aesCbcDecrypt(key, derOctets(params, 'AES IV'), data);
    case OID.desEde3Cbc:
    case OID.desCbc: {
      // createDes takes 8, 16 or 24 bytes: the OID must decide, or an 8-byte key would silently run single DES as "3DES".
      const lengths = oid === OID.desCbc ? [8] : [16, 24];
      if (!lengths.includes(key.length))
        throw new ArgumentError(
          'bad-key-length',
          `${oid === OID.desCbc ? 'DES' : '3DES'} key must be ${lengths.join(' or ')} bytes, not ${key.length}`,
        );
      return cbcDecrypt(createDes(key), derOctets(params, 'DES IV'), data);
    }
    case OID.rc2Cbc: {
      const { effectiveBits, iv } = parseRc2CbcParameters(params);
      return cbcDecrypt(createRc2(key, effectiveBits), iv, data);
    }
    default:
      throw new AlgorithmError('unsupported-algorithm', `unsupported cipher ${oid}`, { details: { algorithm: oid } });
  }
}
