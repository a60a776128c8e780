/**
 * Content-encryption algorithms by AlgorithmIdentifier, for the CMS layer:
 * the CEK length a cipher needs (the `expectedLength` of RSA implicit
 * rejection) and decryption of legacy and current CBC ciphers.
 */
import { AlgorithmError, FormatError, SmimeError } from '../../errors.js';
import { OID } from '../oids.js';
import { CBC_KEY_LENGTHS, decryptCbcByOid, parseRc2CbcParameters } from './by-oid.js';
import { type DerNode, derParse, derSequence, derSmallInt, derOctets, derAlgorithm } from '../../asn1/index.js';

/** AES-GCM OIDs (RFC 5084). */
export const AES_GCM_OIDS: Readonly<Record<string, number>> = {
  '2.16.840.1.101.3.4.1.6': 16,
  '2.16.840.1.101.3.4.1.26': 24,
  '2.16.840.1.101.3.4.1.46': 32,
};

function algorithm(alg: Uint8Array | DerNode): { oid: string; params: DerNode | undefined } {
  try {
    return derAlgorithm(alg instanceof Uint8Array ? derParse(alg) : alg);
  } catch (e) {
    if (e instanceof SmimeError) throw e;
    throw new FormatError('malformed-der', 'bad AlgorithmIdentifier', { cause: e });
  }
}

/**
 * Length in bytes of the content-encryption key for an AlgorithmIdentifier
 * (DER or parsed): AES-CBC/GCM, 3DES, DES, and RC2 (from its effective key
 * bits: RC2-40 → 5, RC2-64 → 8, RC2-128 → 16 bytes).
 */
export function contentKeyLength(alg: Uint8Array | DerNode): number {
  const { oid, params } = algorithm(alg);
  const fixed = CBC_KEY_LENGTHS[oid] ?? AES_GCM_OIDS[oid];
  if (fixed !== undefined) return fixed;
  if (oid === OID.rc2Cbc) {
    const { effectiveBits } = parseRc2CbcParameters(params);
    return Math.ceil(effectiveBits / 8);
  }
  throw new AlgorithmError('unsupported-algorithm', `unsupported content-encryption algorithm ${oid}`, {
    details: { algorithm: oid },
  });
}

/**
 * Decrypts CBC content (AES-128/192/256-CBC, DES-EDE3-CBC, DES-CBC, RC2-CBC)
 * given the content-encryption AlgorithmIdentifier. Bad padding is CryptoError
 * `decryption-failed`; unknown algorithms are `unsupported-algorithm`.
 */
export async function decryptContent(
  alg: Uint8Array | DerNode,
  key: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const { oid, params } = algorithm(alg);
  if (AES_GCM_OIDS[oid] !== undefined) {
    throw new AlgorithmError(
      'unsupported-algorithm',
      'AES-GCM content needs the authentication tag: use aesGcmDecrypt with parseGcmParameters',
    );
  }
  return decryptCbcByOid(oid, params, key, ciphertext, 'malformed-cms');
}

/** What `parseGcmParameters` accepts beyond RFC 5084's profile. */
export interface GcmParameterPolicy {
  /**
   * Accept a nonce that is not 12 bytes and tags of 8 or 4 bytes (default false: `legacy-gcm-parameters`).
   * RFC 5084 recommends 12-byte nonces and allows 12–16-byte tags; other nonce lengths go through GHASH and have
   * weaker bounds, and a short tag makes forgery easier (SP 800-38D Appendix C). Only for archives from a
   * producer known to write them.
   */
  allowLegacyGcm?: boolean;
}

/** Longest AES-GCM nonce read (real producers use 12; the nonce is hashed in JavaScript). */
const MAX_GCM_NONCE_LENGTH = 128;

/**
 * `GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 }` (RFC 5084): a 12-byte
 * nonce and a 12–16-byte tag. Other nonce lengths (1 to 128 bytes) and 4- or 8-byte tags are refused by policy
 * unless `allowLegacyGcm`; anything else is not AES-GCM at all.
 *
 * @throws FormatError `bad-gcm-parameters` (empty or longer than 128-byte nonce, a tag length GCM does not have,
 *   undecodable parameters); AlgorithmError `legacy-gcm-parameters` (outside RFC 5084's profile, without
 *   `allowLegacyGcm`), `unsupported-algorithm` (not an AES-GCM OID)
 */
export function parseGcmParameters(
  alg: Uint8Array | DerNode,
  policy: GcmParameterPolicy = {},
): { nonce: Uint8Array; tagLength: number } {
  const { oid, params } = algorithm(alg);
  if (AES_GCM_OIDS[oid] === undefined)
    throw new AlgorithmError('unsupported-algorithm', `not an AES-GCM algorithm: ${oid}`);
  let nonce: Uint8Array;
  let tagLength: number;
  try {
    const kids = derSequence(params, 'GCMParameters', 1);
    nonce = derOctets(kids[0], 'aes-nonce');
    tagLength = kids[1] ? derSmallInt(kids[1], 'aes-ICVlen') : 12;
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    throw new FormatError('bad-gcm-parameters', `AES-GCM parameters cannot be read: ${e.message}`, { cause: e });
  }
  if (nonce.length === 0 || nonce.length > MAX_GCM_NONCE_LENGTH || ![4, 8, 12, 13, 14, 15, 16].includes(tagLength))
    throw new FormatError(
      'bad-gcm-parameters',
      `invalid AES-GCM parameters: a ${nonce.length}-byte nonce (1 to ${MAX_GCM_NONCE_LENGTH}) and a ${tagLength}-byte tag (12 to 16; 8 or 4 as legacy)`,
    );
  if (!policy.allowLegacyGcm && (nonce.length !== 12 || tagLength < 12))
    throw new AlgorithmError(
      'legacy-gcm-parameters',
      `AES-GCM with a ${nonce.length}-byte nonce and a ${tagLength}-byte tag is refused (RFC 5084: 12-byte nonce, tag of 12 to 16 bytes); allowLegacyGcm reads it`,
      { details: { algorithm: oid } },
    );
  return { nonce, tagLength };
}
