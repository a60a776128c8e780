/**
 * Password-based decryption: PBES2 (PBKDF2 + CBC cipher), PBES1-SHA1 and
 * PKCS#12 PBE, as used by EncryptedPrivateKeyInfo and PKCS#12 files, and the
 * traditional OpenSSL-encrypted PEM (`Proc-Type: 4,ENCRYPTED`).
 */
import { AlgorithmError, FormatError, LimitError, PasswordError } from '../errors.js';
import { concatBytes, utf8 } from '../util/bytes.js';
import { md5, sha1 } from '../util/hash.js';
import { pbkdf2, pbkdf2Cost, pkcs12Kdf, pkcs12KdfCost, pkcs12PasswordBytes } from './kdf.js';
import type { KdfHash } from './kdf.js';
import { OID } from './oids.js';
import { aesCbcDecrypt } from './ciphers/aes.js';
import { CBC_KEY_LENGTHS, cbcParameters, decryptCbcByOid } from './ciphers/by-oid.js';
import { createDes } from './ciphers/des.js';
import { cbcDecrypt } from './ciphers/modes.js';
import { createRc2 } from './ciphers/rc2.js';
import {
  type DerNode,
  derParse,
  derIsUniversal,
  derSequence,
  derSmallInt,
  derOctets,
  derAlgorithm,
} from '../asn1/index.js';

function unsupported(what: string, details?: Record<string, unknown>): AlgorithmError {
  return new AlgorithmError('unsupported-algorithm', what, details ? { details } : undefined);
}

const HMAC_PRF: Record<string, KdfHash> = {
  [OID.hmacSha1]: 'SHA-1',
  [OID.hmacSha256]: 'SHA-256',
  [OID.hmacSha384]: 'SHA-384',
  [OID.hmacSha512]: 'SHA-512',
};

/**
 * A password in the encodings the schemes need: PBES2 uses the UTF-8 bytes,
 * PKCS#12 PBE the BMPString with NUL terminator — or, for the empty
 * password, possibly no bytes at all (OpenSSL's "absent" password).
 */
export interface PbePassword {
  utf8: Uint8Array;
  bmp: Uint8Array;
  /**
   * Optional work budget (≈ µs of key derivation) shared by every derivation
   * made with this password, e.g. all bags of one PKCS#12 file; exceeding it
   * is LimitError `limit-exceeded` with `details.limit` = `pbe-work`.
   */
  budget?: { remaining: number };
}

/**
 * Key-derivation work allowed for one PKCS#12 file or one encrypted key, in ≈ µs (see `pkcs12KdfCost` and
 * `pbkdf2Cost`): about 1.5 s at worst on the reference machine, and far above real files (a MAC and a few bags at
 * 2,048–100,000 iterations, or PBKDF2 at 600,000, fit).
 */
export const PBE_WORK_BUDGET = 1_500_000;

/**
 * What one derivation costs at least, whatever its iteration count: the fixed cost of a WebCrypto import and
 * derive. Without it, thousands of bags at one iteration each would cost seconds while charging nothing.
 */
const MIN_DERIVATION_COST = 1_000;

/** A fresh work budget for one file or key. */
export const pbeWorkBudget = (): { remaining: number } => ({ remaining: PBE_WORK_BUDGET });

/** Charges a key derivation to the password's work budget (if any). */
export function chargePbeWork(password: PbePassword, cost: number): void {
  const budget = password.budget;
  if (!budget) return;
  budget.remaining -= Math.max(cost, MIN_DERIVATION_COST);
  if (budget.remaining < 0) {
    throw new LimitError(
      'limit-exceeded',
      'too much password-based key derivation work (iteration counts or number of encrypted items)',
      {
        details: { limit: 'pbe-work' },
      },
    );
  }
}

/** Highest iteration count of PBES1 and PKCS#12 PBE (SHA-1 chains computed in JavaScript). */
export const MAX_HASH_CHAIN_ITERATIONS = 1_000_000;
/** Highest PBKDF2 iteration count (native PBKDF2: well under a second per million). */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** The encodings of a password. `absent` makes the PKCS#12 form the empty byte string. */
export function pbePassword(password: string, absent = false): PbePassword {
  return { utf8: utf8(password), bmp: absent ? new Uint8Array(0) : pkcs12PasswordBytes(password) };
}

/**
 * Runs a parameter parser: undecodable parameters are FormatError `bad-pbe-parameters` (not `malformed-der`,
 * which a PKCS#12 reader would take for the garbage of a wrong password); other smimekit errors pass through.
 */
function pbeParsing<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof FormatError) || e.code !== 'malformed-der') throw e;
    throw new FormatError('bad-pbe-parameters', `${what} cannot be read: ${e.message}`, { cause: e });
  }
}

function pbeParams(params: DerNode | undefined, what: string): { salt: Uint8Array; iterations: number } {
  const { salt, iterations } = pbeParsing(what, () => {
    const kids = derSequence(params, what, 2);
    return { salt: derOctets(kids[0], `${what} salt`), iterations: derSmallInt(kids[1], `${what} iterations`) };
  });
  if (iterations < 1 || iterations > MAX_HASH_CHAIN_ITERATIONS)
    throw unsupported(`${what}: unsupported iteration count ${iterations}`);
  return { salt, iterations };
}

/** Key length in bytes of a PBES2 encryption scheme. */
function pbes2KeyLength(oid: string, explicit: number | undefined): number {
  const fixed = CBC_KEY_LENGTHS[oid];
  if (fixed !== undefined) {
    if (explicit !== undefined && explicit !== fixed)
      throw new FormatError('bad-pbe-parameters', 'PBKDF2 key length does not match the cipher');
    return fixed;
  }
  if (oid === OID.rc2Cbc) return explicit ?? 16;
  throw unsupported(`unsupported PBES2 encryption scheme ${oid}`, { algorithm: oid });
}

async function rc4(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const S = new Uint8Array(256);
  for (let i = 0; i < 256; i++) S[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + S[i]! + key[i % key.length]!) & 255;
    [S[i], S[j]] = [S[j]!, S[i]!];
  }
  const out = new Uint8Array(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + S[i]!) & 255;
    [S[i], S[j]] = [S[j]!, S[i]!];
    out[n] = data[n]! ^ S[(S[i]! + S[j]!) & 255]!;
  }
  return out;
}

/** PBES2-params (RFC 8018 §A.4), every field checked before any key is derived. */
interface Pbes2Parameters {
  salt: Uint8Array;
  iterations: number;
  prf: KdfHash;
  keyLength: number;
  encryption: { oid: string; params: DerNode | undefined };
}

function readPbes2Parameters(params: DerNode | undefined): Pbes2Parameters {
  const { kdf, enc, kp } = pbeParsing('PBES2-params', () => {
    const kids = derSequence(params, 'PBES2-params', 2);
    const kdf = derAlgorithm(kids[0], 'keyDerivationFunc');
    const enc = derAlgorithm(kids[1], 'encryptionScheme');
    return { kdf, enc, kp: kdf.oid === OID.pbkdf2 ? derSequence(kdf.params, 'PBKDF2-params', 2) : [] };
  });
  if (kdf.oid !== OID.pbkdf2) throw unsupported(`unsupported PBES2 key derivation ${kdf.oid}`, { algorithm: kdf.oid });
  if (!derIsUniversal(kp[0]!, 4)) throw unsupported('PBKDF2 with a non-specified salt source');
  const salt = pbeParsing('PBKDF2 salt', () => derOctets(kp[0]));
  const iterations = pbeParsing('PBKDF2 iterations', () => derSmallInt(kp[1], 'PBKDF2 iterations'));
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS)
    throw unsupported(`unsupported PBKDF2 iteration count ${iterations}`);
  let explicitLength: number | undefined;
  let prf: KdfHash = 'SHA-1';
  for (const k of kp.slice(2)) {
    if (derIsUniversal(k, 2)) explicitLength = pbeParsing('PBKDF2 keyLength', () => derSmallInt(k, 'PBKDF2 keyLength'));
    else {
      const prfOid = pbeParsing('PBKDF2 prf', () => derAlgorithm(k, 'PBKDF2 prf').oid);
      const h = HMAC_PRF[prfOid];
      if (!h) throw unsupported(`unsupported PBKDF2 PRF ${prfOid}`, { algorithm: prfOid });
      prf = h;
    }
  }
  const keyLength = pbes2KeyLength(enc.oid, explicitLength);
  if (keyLength < 1 || keyLength > 128) throw new FormatError('bad-pbe-parameters', `invalid key length ${keyLength}`);
  // The cipher's IV (and RC2 version) too: a broken one is the file's fault, found before any work is spent.
  cbcParameters(enc.oid, enc.params, 'bad-pbe-parameters');
  return { salt, iterations, prf, keyLength, encryption: enc };
}

/** PBES2 (RFC 8018 §6.2): PBKDF2 with an HMAC-SHA PRF, then a CBC cipher. */
async function pbes2Decrypt(params: DerNode | undefined, data: Uint8Array, password: PbePassword): Promise<Uint8Array> {
  const p = readPbes2Parameters(params);
  chargePbeWork(password, pbkdf2Cost(p.prf, p.iterations, p.keyLength));
  const key = await pbkdf2(password.utf8, p.salt, p.iterations, p.keyLength, p.prf);
  return decryptCbcByOid(p.encryption.oid, p.encryption.params, key, data, 'bad-pbe-parameters');
}

/** PBES1 (RFC 8018 §6.1) with SHA-1: DK = SHA-1^c(P || S); key = DK[0..8], IV = DK[8..16]. */
function pbes1Sha1Decrypt(
  oid: string,
  params: DerNode | undefined,
  data: Uint8Array,
  password: PbePassword,
): Uint8Array {
  const { salt, iterations } = pbeParams(params, 'PBES1 parameters');
  if (salt.length !== 8) throw new FormatError('bad-pbe-parameters', 'PBES1 salt must be 8 bytes');
  chargePbeWork(password, pkcs12KdfCost('SHA-1', iterations, 20));
  // Synchronous SHA-1: an await per iteration would make a large count take minutes.
  let dk = sha1(concatBytes(password.utf8, salt));
  for (let i = 1; i < iterations; i++) dk = sha1(dk);
  const key = dk.subarray(0, 8);
  const iv = dk.subarray(8, 16);
  return oid === OID.pbeSha1Des ? cbcDecrypt(createDes(key), iv, data) : cbcDecrypt(createRc2(key, 64), iv, data);
}

/**
 * Decrypts data protected by a password-based encryption scheme
 * (EncryptedPrivateKeyInfo, PKCS#12 EncryptedData and shrouded key bags).
 * Throws `decryption-failed` on bad padding and `unsupported-algorithm` for
 * schemes it cannot do (MD5-based PBES1: WebCrypto has no MD5).
 */
export async function pbeDecrypt(algorithm: DerNode, data: Uint8Array, password: PbePassword): Promise<Uint8Array> {
  const alg = derAlgorithm(algorithm, 'encryption algorithm');
  const p12 = async (keyLen: number, ivLen: number): Promise<{ key: Uint8Array; iv: Uint8Array }> => {
    const { salt, iterations } = pbeParams(alg.params, 'PKCS#12 PBE parameters');
    chargePbeWork(
      password,
      pkcs12KdfCost('SHA-1', iterations, keyLen) + (ivLen ? pkcs12KdfCost('SHA-1', iterations, ivLen) : 0),
    );
    const key = await pkcs12Kdf('SHA-1', password.bmp, salt, iterations, 1, keyLen);
    const iv = ivLen ? await pkcs12Kdf('SHA-1', password.bmp, salt, iterations, 2, ivLen) : new Uint8Array(0);
    return { key, iv };
  };
  switch (alg.oid) {
    case OID.pbes2:
      return pbes2Decrypt(alg.params, data, password);
    case OID.pbeSha1Des:
    case OID.pbeSha1Rc2:
      return pbes1Sha1Decrypt(alg.oid, alg.params, data, password);
    case OID.pkcs12Pbe3Des: {
      const { key, iv } = await p12(24, 8);
      return cbcDecrypt(createDes(key), iv, data);
    }
    case OID.pkcs12Pbe2Des: {
      const { key, iv } = await p12(16, 8);
      return cbcDecrypt(createDes(key), iv, data);
    }
    case OID.pkcs12PbeRc2_128: {
      const { key, iv } = await p12(16, 8);
      return cbcDecrypt(createRc2(key, 128), iv, data);
    }
    case OID.pkcs12PbeRc2_40: {
      const { key, iv } = await p12(5, 8);
      return cbcDecrypt(createRc2(key, 40), iv, data);
    }
    case OID.pkcs12PbeRc4_128:
    case OID.pkcs12PbeRc4_40: {
      const { key } = await p12(alg.oid === OID.pkcs12PbeRc4_128 ? 16 : 5, 0);
      return rc4(key, data);
    }
    case OID.pbeMd5Des:
    case OID.pbeMd5Rc2:
      throw unsupported('MD5-based password encryption (PBES1) is not supported', { algorithm: alg.oid });
    default:
      throw unsupported(`unsupported password-based encryption ${alg.oid}`, { algorithm: alg.oid });
  }
}

// ---------------------------------------------------------------------------
// Legacy OpenSSL-encrypted PEM (`Proc-Type: 4,ENCRYPTED` / `DEK-Info`)

/** DEK-Info cipher names: the key length comes from the cipher's OID. */
const LEGACY_PEM_CIPHERS: Record<string, { oid: string; ivLength: number }> = {
  'AES-128-CBC': { oid: OID.aes128Cbc, ivLength: 16 },
  'AES-192-CBC': { oid: OID.aes192Cbc, ivLength: 16 },
  'AES-256-CBC': { oid: OID.aes256Cbc, ivLength: 16 },
  'DES-EDE3-CBC': { oid: OID.desEde3Cbc, ivLength: 8 },
  'DES-CBC': { oid: OID.desCbc, ivLength: 8 },
};

/** OpenSSL's EVP_BytesToKey with MD5 and one iteration: the key derivation of traditional encrypted PEM. */
function evpBytesToKeyMd5(password: Uint8Array, salt: Uint8Array, length: number): Uint8Array {
  let out: Uint8Array = new Uint8Array(0);
  let block: Uint8Array = new Uint8Array(0);
  while (out.length < length) {
    block = md5(concatBytes(block, password, salt));
    out = concatBytes(out, block);
  }
  return out.subarray(0, length);
}

/**
 * Decrypts a traditional OpenSSL-encrypted PEM body (`openssl rsa -aes256 -traditional`). Still common
 * in old deployments; the weak MD5-based derivation is the format's, so these keys are read, never written.
 *
 * @throws AlgorithmError `unsupported-algorithm` (unknown DEK-Info cipher); PasswordError
 *   `password-required`/`bad-password`; FormatError `bad-key` (IV of the wrong length).
 */
export async function decryptLegacyPem(
  body: Uint8Array,
  dekInfo: string | undefined,
  password: string | undefined,
): Promise<Uint8Array> {
  const m = /^\s*([A-Z0-9-]+)\s*,\s*([0-9A-Fa-f]+)\s*$/.exec(dekInfo ?? '');
  const cipher = m ? LEGACY_PEM_CIPHERS[m[1]!.toUpperCase()] : undefined;
  if (!m || !cipher) throw unsupported(`legacy encrypted PEM with DEK-Info "${dekInfo ?? ''}" is not supported`);
  if (password === undefined)
    throw new PasswordError('password-required', 'the private key is encrypted; a password is needed');
  const iv = Uint8Array.from(m[2]!.match(/../g)!.map((h) => parseInt(h, 16)));
  if (iv.length !== cipher.ivLength) throw new FormatError('bad-key', `DEK-Info IV must be ${cipher.ivLength} bytes`);
  const key = evpBytesToKeyMd5(utf8(password), iv.subarray(0, 8), CBC_KEY_LENGTHS[cipher.oid]!);
  try {
    const plain = cipher.ivLength === 16 ? await aesCbcDecrypt(key, iv, body) : cbcDecrypt(createDes(key), iv, body);
    derParse(plain);
    return plain;
  } catch (e) {
    if (e instanceof AlgorithmError) throw e;
    throw new PasswordError('bad-password', 'wrong password for the encrypted private key', { cause: e });
  }
}
