/**
 * PKCS#12 (RFC 7292) reading: PFX with password integrity (HMAC with the
 * PKCS#12 KDF, or PBMAC1), password-encrypted SafeContents (PBES2 or legacy
 * PKCS#12 PBE: 3DES, RC2-40/128, RC4) and the bags inside: certificates, key
 * bags, shrouded key bags, nested SafeContents; friendlyName / localKeyId.
 */
import { AlgorithmError, FormatError, PasswordError, SmimeError } from '../errors.js';
import { constantTimeEqual, toBytes } from '../util/bytes.js';
import type { BytesLike } from '../util/bytes.js';
import { hashLength, hmac, pbkdf2, pbkdf2Cost, pkcs12Kdf, pkcs12KdfCost, pkcs12KdfMaxIterations } from './kdf.js';
import type { KdfHash } from './kdf.js';
import { DIGEST_OIDS, OID } from './oids.js';
import { chargePbeWork, pbeDecrypt, pbePassword, pbeWorkBudget } from './password-based.js';
import type { PbePassword } from './password-based.js';
import { decodePem, looksLikePem } from '../util/pem.js';
import {
  type DerNode,
  derParse,
  derChildren,
  derBytes,
  derIsContext,
  derSequence,
  derSet,
  derOid,
  derSmallInt,
  derOctets,
  derAlgorithm,
} from '../asn1/index.js';

/** PKCS#12 and PKCS#7 object identifiers (shared with pkcs12-export.ts). */
export const P12 = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbmac1: '1.2.840.113549.1.5.14',
} as const;

const HMAC_OIDS: Record<string, KdfHash> = {
  [OID.hmacSha1]: 'SHA-1',
  [OID.hmacSha256]: 'SHA-256',
  [OID.hmacSha384]: 'SHA-384',
  [OID.hmacSha512]: 'SHA-512',
};

/** Attributes common to all bags. */
export interface Pkcs12BagAttributes {
  friendlyName?: string;
  localKeyId?: Uint8Array;
}

/** A certificate found in a PKCS#12 file. */
export interface Pkcs12Certificate extends Pkcs12BagAttributes {
  /** DER X.509 certificate. */
  der: Uint8Array;
}

/** A private key found in a PKCS#12 file (decrypted, not yet checked for a supported type). */
export interface Pkcs12Key extends Pkcs12BagAttributes {
  /** Unencrypted PKCS#8 PrivateKeyInfo as stored in the file. */
  pkcs8: Uint8Array;
}

/** The content of a PKCS#12 file. */
export interface Pkcs12Contents {
  certificates: Pkcs12Certificate[];
  keys: Pkcs12Key[];
  /** Whether a MAC was present and verified (false: the file had no MAC). */
  macVerified: boolean;
}

const MAX_NESTING = 8;

function bmpString(node: DerNode): string {
  const c = node.buf.subarray(node.contentStart, node.contentEnd);
  let s = '';
  for (let i = 0; i + 1 < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
  return s;
}

function bagAttributes(node: DerNode | undefined): Pkcs12BagAttributes {
  const out: Pkcs12BagAttributes = {};
  if (!node) return out;
  for (const attr of derSet(node, 'bagAttributes')) {
    const kids = derSequence(attr, 'Attribute', 2);
    const type = derOid(kids[0]);
    const value = derSet(kids[1], 'attribute values')[0];
    if (!value) continue;
    if (type === P12.friendlyName && value.cls === 0 && value.tag === 30) out.friendlyName = bmpString(value);
    else if (type === P12.localKeyId) out.localKeyId = derOctets(value, 'localKeyId').slice();
  }
  return out;
}

/** Wraps "wrong password" symptoms (bad padding, garbage plaintext) into `bad-password`. */
function passwordFailure(e: unknown): SmimeError {
  if (e instanceof SmimeError && e.code === 'limit-exceeded' && e.details.limit === 'pbe-work') return e; // the work budget, not garbage
  if (
    e instanceof SmimeError &&
    e.code !== 'decryption-failed' &&
    e.code !== 'malformed-der' &&
    e.code !== 'limit-exceeded'
  )
    return e;
  return new PasswordError('bad-password', 'wrong password for the PKCS#12 file (decryption failed)', { cause: e });
}

async function decryptShrouded(der: DerNode, password: PbePassword): Promise<Uint8Array> {
  const kids = derSequence(der, 'EncryptedPrivateKeyInfo', 2);
  let plain: Uint8Array;
  try {
    plain = await pbeDecrypt(kids[0]!, derOctets(kids[1], 'encryptedData'), password);
    derSequence(derParse(plain), 'PrivateKeyInfo', 3);
  } catch (e) {
    throw passwordFailure(e);
  }
  return plain;
}

async function readSafeContents(
  bytes: Uint8Array,
  password: PbePassword,
  out: Pkcs12Contents,
  depth: number,
): Promise<void> {
  if (depth > MAX_NESTING) throw new FormatError('bad-pkcs12', 'PKCS#12 SafeContents nested too deeply');
  for (const bag of derSequence(derParse(bytes), 'SafeContents')) {
    const kids = derSequence(bag, 'SafeBag', 2);
    const type = derOid(kids[0], 'bagId');
    if (!derIsContext(kids[1]!, 0)) throw new FormatError('bad-pkcs12', 'SafeBag value is not [0] EXPLICIT');
    const value = derChildren(kids[1]!)[0];
    if (!value) throw new FormatError('bad-pkcs12', 'empty SafeBag value');
    const attrs = bagAttributes(kids[2]);
    switch (type) {
      case P12.certBag: {
        const cert = derSequence(value, 'CertBag', 2);
        if (derOid(cert[0]) !== P12.x509Certificate) break; // SDSI certificates are ignored
        if (!derIsContext(cert[1]!, 0)) throw new FormatError('bad-pkcs12', 'CertBag value is not [0] EXPLICIT');
        const der = derOctets(derChildren(cert[1]!)[0], 'certValue').slice();
        derSequence(derParse(der), 'Certificate', 3);
        out.certificates.push({ der, ...attrs });
        break;
      }
      case P12.keyBag:
        derSequence(value, 'PrivateKeyInfo', 3);
        out.keys.push({ pkcs8: derBytes(value).slice(), ...attrs });
        break;
      case P12.shroudedKeyBag:
        out.keys.push({ pkcs8: (await decryptShrouded(value, password)).slice(), ...attrs });
        break;
      case P12.safeContentsBag:
        await readSafeContents(derBytes(value), password, out, depth + 1);
        break;
      default:
        break; // CRL and secret bags are not needed for identities
    }
  }
}

async function readAuthenticatedSafe(bytes: Uint8Array, password: PbePassword): Promise<Pkcs12Contents> {
  const out: Pkcs12Contents = { certificates: [], keys: [], macVerified: false };
  for (const ci of derSequence(derParse(bytes), 'AuthenticatedSafe')) {
    const kids = derSequence(ci, 'ContentInfo', 1);
    const type = derOid(kids[0], 'contentType');
    const content = kids[1] && derIsContext(kids[1], 0) ? derChildren(kids[1])[0] : undefined;
    if (!content) throw new FormatError('bad-pkcs12', 'ContentInfo without content');
    if (type === P12.data) {
      await readSafeContents(derOctets(content, 'data'), password, out, 0);
    } else if (type === P12.encryptedData) {
      // EncryptedData { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT encryptedContent } }
      const ed = derSequence(content, 'EncryptedData', 2);
      const eci = derSequence(ed[1], 'EncryptedContentInfo', 3);
      const encrypted = derOctets(eci[2], 'encryptedContent', { implicitTag: 0 });
      let plain: Uint8Array;
      try {
        plain = await pbeDecrypt(eci[1]!, encrypted, password);
        derParse(plain);
      } catch (e) {
        throw passwordFailure(e);
      }
      await readSafeContents(plain, password, out, 0);
    } else if (type === P12.envelopedData) {
      throw new AlgorithmError(
        'unsupported-algorithm',
        'PKCS#12 public-key privacy mode (EnvelopedData) is not supported',
      );
    } else {
      throw new FormatError('bad-pkcs12', `unexpected PKCS#12 content type ${type}`);
    }
  }
  return out;
}

async function computeMac(
  macData: DerNode[],
  authSafe: Uint8Array,
  pw: PbePassword,
): Promise<{ expected: Uint8Array; actual: Uint8Array }> {
  const digestInfo = derSequence(macData[0], 'DigestInfo', 2);
  const alg = derAlgorithm(digestInfo[0], 'MAC algorithm');
  const expected = derOctets(digestInfo[1], 'MAC digest');
  const salt = derOctets(macData[1], 'macSalt');
  const iterations = macData[2] ? derSmallInt(macData[2], 'MAC iterations') : 1;
  if (alg.oid === P12.pbmac1) {
    // RFC 9579: PBMAC1 { keyDerivationFunc PBKDF2, messageAuthScheme HMAC }
    const p = derSequence(alg.params, 'PBMAC1-params', 2);
    const kdf = derAlgorithm(p[0], 'PBMAC1 keyDerivationFunc');
    const mac = HMAC_OIDS[derAlgorithm(p[1], 'PBMAC1 messageAuthScheme').oid];
    if (kdf.oid !== OID.pbkdf2 || !mac)
      throw new AlgorithmError('unsupported-algorithm', 'unsupported PBMAC1 parameters');
    const kp = derSequence(kdf.params, 'PBKDF2-params', 3);
    let prf: KdfHash = 'SHA-1';
    let keyLength = 0;
    for (const k of kp.slice(2)) {
      if (k.cls === 0 && k.tag === 2) keyLength = derSmallInt(k, 'keyLength');
      else
        prf =
          HMAC_OIDS[derAlgorithm(k).oid] ??
          (() => {
            throw new AlgorithmError('unsupported-algorithm', 'unsupported PBKDF2 PRF');
          })();
    }
    const its = derSmallInt(kp[1], 'PBKDF2 iterations');
    if (its < 1 || its > 10_000_000 || keyLength < 1 || keyLength > 256)
      throw new AlgorithmError('unsupported-algorithm', 'unsupported PBMAC1 parameters');
    chargePbeWork(pw, pbkdf2Cost(prf, its, keyLength));
    const key = await pbkdf2(pw.utf8, derOctets(kp[0], 'PBKDF2 salt'), its, keyLength, prf);
    return { expected, actual: await hmac(mac, key, authSafe) };
  }
  const hash = DIGEST_OIDS[alg.oid];
  if (!hash)
    throw new AlgorithmError('unsupported-algorithm', `unsupported PKCS#12 MAC digest ${alg.oid}`, {
      details: { algorithm: alg.oid },
    });
  if (iterations < 1 || iterations > pkcs12KdfMaxIterations(hash))
    throw new AlgorithmError('unsupported-algorithm', `unsupported MAC iteration count ${iterations}`);
  chargePbeWork(pw, pkcs12KdfCost(hash, iterations, hashLength(hash)));
  const key = await pkcs12Kdf(hash, pw.bmp, salt, iterations, 3, hashLength(hash));
  return { expected, actual: await hmac(hash, key, authSafe) };
}

/** DER bytes of a PKCS#12 input that may be PEM-armoured (`-----BEGIN PKCS12-----`, gpgsm). */
function pfxDer(bytes: Uint8Array): Uint8Array {
  if (!looksLikePem(bytes)) return bytes;
  const block = decodePem(bytes).find((b) => b.label === 'PKCS12' || b.label === 'PKCS #12' || b.label === 'PFX');
  if (!block) throw new FormatError('bad-pkcs12', 'no PKCS12 block in the PEM input');
  return block.der;
}

/** Options of `parsePkcs12` and `loadIdentity`. */
export interface Pkcs12Options {
  /**
   * Read a file without a MAC (default false: `pkcs12-mac-missing`). Nothing then shows that the file was not
   * altered: an attacker who can change it can swap the certificates (or an unencrypted key) unnoticed. Only for
   * files known to come from a producer that writes no MAC (`openssl pkcs12 -nomac`, some Java tools).
   */
  allowMissingMac?: boolean;
}

/**
 * Parses and decrypts a PKCS#12 file. The MAC is verified first (a mismatch
 * is PasswordError `bad-password`); a file without one is refused unless
 * `allowMissingMac` (then `macVerified` is false). An empty password is tried
 * both as the empty BMPString and as an absent password, as OpenSSL does.
 *
 * @throws PasswordError `bad-password`, FormatError `bad-pkcs12`/`malformed-der`/`pkcs12-mac-missing`,
 *   AlgorithmError `unsupported-algorithm`.
 */
export async function parsePkcs12(
  input: BytesLike,
  password: string,
  options: Pkcs12Options = {},
): Promise<Pkcs12Contents> {
  try {
    const der = pfxDer(toBytes(input, 'PKCS#12 input'));
    const pfx = derSequence(derParse(der, { allowTrailing: true }), 'PFX', 2);
    const version = derSmallInt(pfx[0], 'PFX version');
    if (version !== 3) throw new FormatError('bad-pkcs12', `unsupported PFX version ${version}`);
    const authSafeInfo = derSequence(pfx[1], 'authSafe', 2);
    const type = derOid(authSafeInfo[0]);
    if (type === P12.signedData)
      throw new AlgorithmError(
        'unsupported-algorithm',
        'PKCS#12 public-key integrity mode (SignedData) is not supported',
      );
    if (type !== P12.data) throw new FormatError('bad-pkcs12', `unexpected authSafe content type ${type}`);
    if (!derIsContext(authSafeInfo[1]!, 0)) throw new FormatError('bad-pkcs12', 'authSafe content is not [0] EXPLICIT');
    const authSafe = derOctets(derChildren(authSafeInfo[1]!)[0], 'authSafe content');
    if (!pfx[2] && !options.allowMissingMac)
      throw new FormatError(
        'pkcs12-mac-missing',
        'the PKCS#12 file has no MAC, so nothing shows it was not altered; load it with allowMissingMac only if you trust where it came from',
      );

    // One key-derivation work budget for the whole file (MAC, every bag, both empty-password forms):
    // iteration counts are capped per derivation, but a hostile file could hold thousands of bags.
    const budget = pbeWorkBudget();
    const candidates = (password === '' ? [pbePassword(''), pbePassword('', true)] : [pbePassword(password)]).map(
      (pw) => ({ ...pw, budget }),
    );
    let chosen: PbePassword | undefined;
    let macVerified = false;
    if (pfx[2]) {
      const macData = derSequence(pfx[2], 'MacData', 2);
      for (const pw of candidates) {
        const { expected, actual } = await computeMac(macData, authSafe, pw);
        if (constantTimeEqual(expected, actual)) {
          chosen = pw;
          macVerified = true;
          break;
        }
      }
      if (!chosen)
        throw new PasswordError('bad-password', 'wrong password for the PKCS#12 file (MAC verification failed)');
    }
    if (chosen) return { ...(await readAuthenticatedSafe(authSafe, chosen)), macVerified };
    // No MAC: the first password form that decrypts wins.
    let lastError: unknown;
    for (const pw of candidates) {
      try {
        return await readAuthenticatedSafe(authSafe, pw);
      } catch (e) {
        lastError = e;
        if (!(e instanceof PasswordError)) throw e;
      }
    }
    throw lastError;
  } catch (e) {
    if (e instanceof SmimeError) throw e;
    throw new FormatError(
      'bad-pkcs12',
      `cannot parse the PKCS#12 file: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}
