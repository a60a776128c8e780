/**
 * Key/certificate matching: comparable public-key fingerprints of
 * certificates (SubjectPublicKeyInfo) and of private keys, and the check that
 * a private key belongs to a certificate.
 */
import { readCertificate, type Certificate } from '../x509/index.js';
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { CryptoError, FormatError, SmimeError } from '../errors.js';
import { bytesEqual, concatBytes, fromBase64 } from '../util/bytes.js';
import { getSubtle } from './engine.js';
import { BytesCache } from './native.js';
import { OID } from './oids.js';
import { curveInfo, ecCurveOid, encodePkcs8, normalizePkcs8, parseRsaPrivateKeyPkcs1 } from './private-key.js';
import type { LoadedPrivateKey, NamedCurve } from './private-key.js';
import {
  type DerNode,
  derParse,
  derBytes,
  derIsContext,
  derSequence,
  derBigInt,
  derOctets,
  derBitString,
  derAlgorithm,
  seq,
  encodeInt,
} from '../asn1/index.js';

/** A comparable public key: algorithm family, curve, and the key bytes. */
export interface PublicKeyFingerprint {
  family: 'rsa' | 'ec' | 'ed25519' | 'ed448' | 'x25519' | 'x448' | 'other';
  curve?: NamedCurve;
  /** RSA: DER RSAPublicKey (n, e); EC: uncompressed point; EdDSA/XDH: raw key. */
  key: Uint8Array;
}

/** The SubjectPublicKeyInfo element of a DER certificate. */
export function certificateSpki(certificate: Uint8Array): DerNode {
  return derParse(readCertificate(certificate).spki);
}

/** A comparable form of a SubjectPublicKeyInfo. */
export function spkiFingerprint(spki: DerNode): PublicKeyFingerprint {
  const kids = derSequence(spki, 'SubjectPublicKeyInfo', 2);
  const alg = derAlgorithm(kids[0]);
  const key = derBitString(kids[1], 'subjectPublicKey');
  switch (alg.oid) {
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const rsa = derSequence(derParse(key), 'RSAPublicKey', 2);
      return { family: 'rsa', key: seq(encodeInt(derBigInt(rsa[0])), encodeInt(derBigInt(rsa[1]))) };
    }
    case OID.ecPublicKey: {
      let curve: NamedCurve | undefined;
      try {
        curve = curveInfo(ecCurveOid(alg.params)).curve;
      } catch {
        curve = undefined;
      }
      return curve ? { family: 'ec', curve, key } : { family: 'other', key };
    }
    case OID.ed25519:
      return { family: 'ed25519', key };
    case OID.ed448:
      return { family: 'ed448', key };
    case OID.x25519:
      return { family: 'x25519', key };
    case OID.x448:
      return { family: 'x448', key };
    default:
      return { family: 'other', key };
  }
}

const JWK_IMPORT: Record<string, AlgorithmIdentifier | EcKeyImportParams> = {
  ed25519: { name: 'Ed25519' },
  ed448: { name: 'Ed448' },
  x25519: { name: 'X25519' },
  x448: { name: 'X448' },
};

function fromBase64Url(s: string): Uint8Array {
  return fromBase64(s.replace(/-/g, '+').replace(/_/g, '/'));
}

/**
 * The public key belonging to a (normalized) private key. It is always
 * computed from the private key: a public key stored next to it (SEC1 or
 * OneAsymmetricKey `[1] publicKey`) is not trusted, since a file pairing a
 * certificate's public key with another private key would otherwise "match".
 */
export async function privateKeyFingerprint(key: LoadedPrivateKey): Promise<PublicKeyFingerprint> {
  const kids = derSequence(derParse(key.pkcs8), 'PrivateKeyInfo', 3);
  const inner = derOctets(kids[2]);
  if (key.type === 'rsa' || key.type === 'rsa-pss') {
    const rsa = parseRsaPrivateKeyPkcs1(inner);
    if (rsa.p * rsa.q !== rsa.n) throw new FormatError('bad-key', 'inconsistent RSA private key (p * q is not n)');
    return { family: 'rsa', key: seq(encodeInt(rsa.n), encodeInt(rsa.e)) };
  }
  // Drop any stored public key so that WebCrypto computes it from the private key.
  let stripped: Uint8Array;
  if (key.type === 'ec') {
    const sec1 = derSequence(derParse(inner), 'ECPrivateKey', 2).filter((k) => !derIsContext(k, 1));
    stripped = encodePkcs8(0, derBytes(kids[1]!), seq(...sec1.map((k) => derBytes(k))));
  } else {
    stripped = encodePkcs8(0, derBytes(kids[1]!), inner);
  }
  const subtle = getSubtle();
  const params = key.type === 'ec' ? { name: 'ECDH', namedCurve: key.curve! } : JWK_IMPORT[key.type]!;
  const usages: KeyUsage[] = key.type === 'ec' || key.type.startsWith('x') ? ['deriveBits'] : ['sign'];
  let jwk: JsonWebKey | undefined;
  let failure: unknown;
  // Some WebCrypto implementations (older WebKit) cannot import an EC key without its public key:
  // only there, fall back to the key as stored.
  for (const candidate of bytesEqual(stripped, key.pkcs8) ? [stripped] : [stripped, key.pkcs8]) {
    try {
      const k = await subtle.importKey('pkcs8', candidate.slice().buffer, params, true, usages);
      jwk = await subtle.exportKey('jwk', k);
      break;
    } catch (e) {
      failure ??= e;
    }
  }
  if (!jwk) throw new FormatError('bad-key', 'cannot derive the public key of the private key', { cause: failure });
  if (key.type === 'ec') {
    return {
      family: 'ec',
      curve: key.curve!,
      key: concatBytes(Uint8Array.of(4), fromBase64Url(jwk.x!), fromBase64Url(jwk.y!)),
    };
  }
  return { family: key.type, key: fromBase64Url(jwk.x!) };
}

function fingerprintsEqual(a: PublicKeyFingerprint, b: PublicKeyFingerprint): boolean {
  return a.family !== 'other' && a.family === b.family && a.curve === b.curve && bytesEqual(a.key, b.key);
}

/**
 * True when the private key belongs to the certificate's public key.
 * `privateKey` may be PKCS#8 DER or a `LoadedPrivateKey`; `certificate` DER, PEM or a certificate object.
 */
export async function keyMatchesCertificate(
  privateKey: Uint8Array | LoadedPrivateKey,
  certificate: CertificateInput,
): Promise<boolean> {
  const key = privateKey instanceof Uint8Array ? normalizePkcs8(privateKey) : privateKey;
  let certKey: PublicKeyFingerprint;
  try {
    const cert = readCertificate(certificateDer(certificate));
    certKey = certificateKeys.get(cert) ?? spkiFingerprint(derParse(cert.spki));
    certificateKeys.set(cert, certKey);
  } catch (e) {
    if (e instanceof SmimeError) throw e;
    throw new FormatError('bad-certificate', 'cannot parse the certificate', { cause: e });
  }
  let keyPrint = privateKeyPrints.peek(key.pkcs8);
  if (!keyPrint || keyPrint.type !== key.type || keyPrint.curve !== key.curve) {
    keyPrint = { type: key.type, curve: key.curve, print: await privateKeyFingerprint(key) };
    privateKeyPrints.set(key.pkcs8, keyPrint);
  }
  return fingerprintsEqual(keyPrint.print, certKey);
}

// Fingerprints computed once per certificate and per key array (an RSA key's means parsing it into bigints).
const certificateKeys = new WeakMap<Certificate, PublicKeyFingerprint>();
const privateKeyPrints = new BytesCache<{
  type: LoadedPrivateKey['type'];
  curve: LoadedPrivateKey['curve'];
  print: PublicKeyFingerprint;
}>();

/** Throws CryptoError `key-mismatch` unless the key belongs to the certificate. */
export async function assertKeyMatchesCertificate(
  privateKey: Uint8Array | LoadedPrivateKey,
  certificate: CertificateInput,
): Promise<void> {
  if (!(await keyMatchesCertificate(privateKey, certificate))) {
    throw new CryptoError('key-mismatch', 'the private key does not match the certificate');
  }
}
