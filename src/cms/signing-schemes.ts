/**
 * The signature schemes smimekit signs with, one per key type: RSA PKCS#1
 * v1.5, RSA-PSS (MGF1 with the message digest, salt = digest length), ECDSA
 * P-256/384/521 and Ed25519 (RFC 8419: SHA-512 message digest). The signature
 * itself is made with WebCrypto, or on Node with the runtime's default backend
 * by OpenSSL directly (crypto/signing-keys.ts); keys are imported once.
 */
import { DEFAULT_MIN_RSA_BITS } from '../crypto/policy.js';
import { AlgorithmError, ArgumentError, FormatError } from '../errors.js';
import { concatBytes, toArrayBuffer } from '../util/bytes.js';
import { OID } from '../crypto/algorithms.js';
import { getSubtle } from '../crypto/engine.js';
import { importSigningKeyOnce, nativeSigner } from '../crypto/signing-keys.js';
import { rsaPkcs1ToPkcs8, type LoadedPrivateKey } from '../crypto/private-key.js';
import { TAG, derParse, derChildren, derContent, derIsUniversal, tlv, seq, NULL, algorithmId } from '../asn1/index.js';

/** Digests smimekit signs with. */
export type SigningDigest = 'sha256' | 'sha384' | 'sha512';

export const DIGEST_INFO: Record<
  SigningDigest,
  { webcrypto: 'SHA-256' | 'SHA-384' | 'SHA-512'; oid: string; length: number; micalg: string }
> = {
  sha256: { webcrypto: 'SHA-256', oid: OID.sha256, length: 32, micalg: 'sha-256' },
  sha384: { webcrypto: 'SHA-384', oid: OID.sha384, length: 48, micalg: 'sha-384' },
  sha512: { webcrypto: 'SHA-512', oid: OID.sha512, length: 64, micalg: 'sha-512' },
};

/** How one key signs. */
interface Scheme {
  /** SignerInfo.signatureAlgorithm DER. */
  algorithm: Uint8Array;
  digest: SigningDigest;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A DER INTEGER from unsigned big-endian bytes (minimal, with a leading zero when the top bit is set). */
export function integerDer(value: Uint8Array): Uint8Array {
  let v = value;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  if (v.length === 0 || (v[0]! & 0x80) !== 0) v = concatBytes(Uint8Array.of(0), v);
  return tlv(0x02, v);
}

/** WebCrypto's r||s ECDSA output → DER ECDSA-Sig-Value. */
function p1363ToDer(sig: Uint8Array): Uint8Array {
  const half = sig.length / 2;
  return seq(integerDer(sig.subarray(0, half)), integerDer(sig.subarray(half)));
}

/** An id-RSASSA-PSS PKCS#8 rewritten as rsaEncryption: WebCrypto implementations refuse the former. */
function pssKeyAsRsa(pkcs8: Uint8Array): Uint8Array {
  const root = derParse(pkcs8);
  const kids = derChildren(root);
  const inner = kids[2];
  if (!inner || !derIsUniversal(inner, TAG.OCTET_STRING)) throw new FormatError('bad-key', 'malformed PKCS#8 key');
  return rsaPkcs1ToPkcs8(derContent(inner));
}

const ECDSA_OID: Record<SigningDigest, string> = {
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};

/** RSASSA-PSS-params: hash, MGF1 with the same hash, salt = digest length (RFC 4055 §3.1; trailer field default). */
export function encodePssParameters(digest: SigningDigest): Uint8Array {
  const d = DIGEST_INFO[digest];
  const hash = algorithmId(d.oid);
  return seq(tlv(0xa0, hash), tlv(0xa1, algorithmId(OID.mgf1, hash)), tlv(0xa2, integerDer(Uint8Array.of(d.length))));
}

/**
 * The digest a key signs with when the caller names none: SHA-384 for P-384 and SHA-512 for P-521 (RFC 5753 §7.1,
 * RFC 8551 §2.1: the digest matches the curve's strength, and gpgsm refuses less), SHA-512 for Ed25519 (RFC 8419
 * §3.1), SHA-256 otherwise (RSA, RSA-PSS, P-256).
 */
export function defaultSigningDigest(key: Pick<LoadedPrivateKey, 'type' | 'curve'>): SigningDigest {
  if (key.type === 'ed25519') return 'sha512';
  if (key.type === 'ec' && key.curve === 'P-384') return 'sha384';
  if (key.type === 'ec' && key.curve === 'P-521') return 'sha512';
  return 'sha256';
}

/**
 * The digest to sign with: the caller's when given, else `defaultSigningDigest`. Ed25519 signs with SHA-512 only
 * (RFC 8419 §3.1 MUST), so another explicit digest is refused rather than silently replaced.
 *
 * @throws ArgumentError `bad-argument` (not a signing digest; a digest other than sha512 for an Ed25519 key)
 */
export function chooseSigningDigest(
  key: Pick<LoadedPrivateKey, 'type' | 'curve'>,
  requested: SigningDigest | undefined,
): SigningDigest {
  if (requested === undefined) return defaultSigningDigest(key);
  if (!Object.prototype.hasOwnProperty.call(DIGEST_INFO, requested))
    throw new ArgumentError(
      'bad-argument',
      `digest must be one of ${Object.keys(DIGEST_INFO).join(', ')}, not "${String(requested)}"`,
    );
  if (key.type === 'ed25519' && requested !== 'sha512')
    throw new ArgumentError(
      'bad-argument',
      `Ed25519 signs with SHA-512 only (RFC 8419); leave the digest out or use sha512, not "${requested}"`,
    );
  return requested;
}

/**
 * The scheme for a key and the digest (from `chooseSigningDigest`; Ed25519 always uses SHA-512).
 *
 * @throws AlgorithmError `weak-algorithm` (short RSA key without `allowWeak`) / `unsupported-algorithm`,
 *   FormatError `bad-key` (a key WebCrypto refuses).
 */
export async function schemeFor(
  key: LoadedPrivateKey,
  requested: SigningDigest,
  pss: boolean,
  allowWeak: boolean,
): Promise<Scheme> {
  const subtle = getSubtle();
  switch (key.type) {
    case 'rsa':
    case 'rsa-pss':
      return rsaScheme(subtle, key, requested, pss, allowWeak);
    case 'ec':
      return ecdsaScheme(subtle, key, requested);
    case 'ed25519':
      return ed25519Scheme(subtle, key);
    default:
      throw new AlgorithmError('unsupported-algorithm', `${key.type} keys cannot sign S/MIME messages with smimekit`);
  }
}

/** Imports a PKCS#8 key for signing (once per key); WebCrypto's refusal is `bad-key`. */
async function importSigningKey(
  subtle: SubtleCrypto,
  pkcs8: Uint8Array,
  algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm,
  importable?: (pkcs8: Uint8Array) => Uint8Array,
): Promise<CryptoKey> {
  try {
    return await importSigningKeyOnce(subtle, pkcs8, algorithm, importable);
  } catch (e) {
    throw new FormatError('bad-key', `the private key cannot be used for signing: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * The scheme's `sign`: OpenSSL when it took the key (with WebCrypto as the fallback should it refuse an input, so
 * errors stay WebCrypto's), else WebCrypto with the key imported now (a refused key is `bad-key` here).
 */
async function signWith(
  native: ((data: Uint8Array) => Uint8Array) | undefined,
  webImport: () => Promise<CryptoKey>,
  webSign: (ck: CryptoKey, data: Uint8Array) => Promise<Uint8Array>,
): Promise<Scheme['sign']> {
  if (native) {
    return async (data) => {
      try {
        return native(data);
      } catch {
        return webSign(await webImport(), data);
      }
    };
  }
  const ck = await webImport();
  return (data) => webSign(ck, data);
}

async function rsaScheme(
  subtle: SubtleCrypto,
  key: LoadedPrivateKey,
  requested: SigningDigest,
  pss: boolean,
  allowWeak: boolean,
): Promise<Scheme> {
  // New signatures follow the same policy verifiers apply: short RSA keys only on explicit request.
  if (!allowWeak && key.bits < DEFAULT_MIN_RSA_BITS) {
    throw new AlgorithmError(
      'weak-algorithm',
      `refusing to sign with a ${key.bits}-bit RSA key (at least ${DEFAULT_MIN_RSA_BITS} bits; allowWeak to override)`,
    );
  }
  const d = DIGEST_INFO[requested];
  const usePss = pss || key.type === 'rsa-pss';
  const importable = key.type === 'rsa-pss' ? pssKeyAsRsa : undefined;
  const name = usePss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5';
  const native = nativeSigner(
    key.pkcs8,
    usePss
      ? { name: 'RSA-PSS', hash: d.webcrypto, saltLength: d.length }
      : { name: 'RSASSA-PKCS1-v1_5', hash: d.webcrypto },
    importable,
  );
  const params = usePss ? { name, saltLength: d.length } : { name };
  return {
    // rsaEncryption (with NULL) is what OpenSSL, Outlook and Thunderbird write for PKCS#1 v1.5 in CMS.
    algorithm: usePss
      ? algorithmId(OID.rsassaPss, encodePssParameters(requested))
      : algorithmId(OID.rsaEncryption, NULL),
    digest: requested,
    sign: await signWith(
      native,
      () => importSigningKey(subtle, key.pkcs8, { name, hash: d.webcrypto }, importable),
      async (ck, data) => new Uint8Array(await subtle.sign(params, ck, toArrayBuffer(data))),
    ),
  };
}

async function ecdsaScheme(subtle: SubtleCrypto, key: LoadedPrivateKey, requested: SigningDigest): Promise<Scheme> {
  const hash = DIGEST_INFO[requested].webcrypto;
  return {
    algorithm: algorithmId(ECDSA_OID[requested]),
    digest: requested,
    sign: await signWith(
      nativeSigner(key.pkcs8, { name: 'ECDSA', hash }),
      () => importSigningKey(subtle, key.pkcs8, { name: 'ECDSA', namedCurve: key.curve! }),
      async (ck, data) =>
        p1363ToDer(new Uint8Array(await subtle.sign({ name: 'ECDSA', hash }, ck, toArrayBuffer(data)))),
    ),
  };
}

async function ed25519Scheme(subtle: SubtleCrypto, key: LoadedPrivateKey): Promise<Scheme> {
  return {
    algorithm: algorithmId(OID.ed25519),
    digest: 'sha512', // RFC 8419 §3: SHA-512 when signed attributes are present
    sign: await signWith(
      nativeSigner(key.pkcs8, { name: 'Ed25519' }),
      () => importSigningKey(subtle, key.pkcs8, { name: 'Ed25519' }),
      async (ck, data) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, ck, toArrayBuffer(data))),
    ),
  };
}
