/**
 * CBC ciphers by AlgorithmIdentifier OID (AES-CBC, DES-EDE3-CBC, DES-CBC,
 * RC2-CBC): their key lengths, RC2 parameters and decryption. Shared by
 * password-based encryption (PBES2) and CMS content decryption.
 */
import { AlgorithmError, ArgumentError, FormatError } from '../../errors.js';
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

/** The FormatError code for broken cipher parameters, by where they were read: CMS content or PBES2. */
export type CipherParametersCode = 'malformed-cms' | 'bad-pbe-parameters';

/** Block size in bytes (= IV length) of the CBC ciphers by OID. */
const CBC_BLOCK: Readonly<Record<string, number>> = {
  [OID.aes128Cbc]: 16,
  [OID.aes192Cbc]: 16,
  [OID.aes256Cbc]: 16,
  [OID.desEde3Cbc]: 8,
  [OID.desCbc]: 8,
  [OID.rc2Cbc]: 8,
};

/**
 * The IV (and RC2 effective key bits) of a CBC AlgorithmIdentifier, checked: parameters come from the message, so
 * a missing IV or one of the wrong length is a FormatError (`code`; `bad-rc2-parameters` for an RC2 version out of
 * range), never the argument error the cipher functions give their callers.
 *
 * @throws FormatError `code` / `bad-rc2-parameters`; AlgorithmError `unsupported-algorithm`
 */
export function cbcParameters(
  oid: string,
  params: DerNode | undefined,
  code: CipherParametersCode,
): { iv: Uint8Array; effectiveBits?: number } {
  const block = CBC_BLOCK[oid];
  if (block === undefined)
    throw new AlgorithmError('unsupported-algorithm', `unsupported cipher ${oid}`, { details: { algorithm: oid } });
  let out: { iv: Uint8Array; effectiveBits?: number };
  try {
    out = oid === OID.rc2Cbc ? parseRc2CbcParameters(params) : { iv: derOctets(params, 'IV') };
  } catch (e) {
    if (!(e instanceof FormatError) || e.code !== 'malformed-der') throw e;
    throw new FormatError(code, `the cipher parameters (IV) cannot be read: ${e.message}`, { cause: e });
  }
  if (out.iv.length !== block)
    throw new FormatError(code, `the ${block * 8}-bit block cipher's IV is ${out.iv.length} bytes, not ${block}`);
  return out;
}

/**
 * Decrypts a symmetric CBC cipher given its AlgorithmIdentifier OID and
 * parameters (AES-CBC, DES-EDE3-CBC, DES-CBC, RC2-CBC). Bad padding is
 * `decryption-failed`; broken parameters are FormatError `code` (see `cbcParameters`).
 */
export async function decryptCbcByOid(
  oid: string,
  params: DerNode | undefined,
  key: Uint8Array,
  data: Uint8Array,
  code: CipherParametersCode = 'malformed-cms',
): Promise<Uint8Array> {
  const { iv, effectiveBits } = cbcParameters(oid, params, code);
  switch (oid) {
    case OID.desEde3Cbc:
    case OID.desCbc: {
      // createDes takes 8, 16 or 24 bytes: the OID must decide, or an 8-byte key would silently run single DES as "3DES".
      const lengths = oid === OID.desCbc ? [8] : [16, 24];
      if (!lengths.includes(key.length))
        throw new ArgumentError(
          'bad-key-length',
          `${oid === OID.desCbc ? 'DES' : '3DES'} key must be ${lengths.join(' or ')} bytes, not ${key.length}`,
        );
      return cbcDecrypt(createDes(key), iv, data);
    }
    case OID.rc2Cbc:
      return cbcDecrypt(createRc2(key, effectiveBits), iv, data);
    default:
      return aesCbcDecrypt(key, iv, data);
  }
}
