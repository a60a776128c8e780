/**
 * Identities (certificate + private key + chain) from PKCS#12 files.
 */
import { CertificateMissingError, CryptoError, FormatError, asSmimeError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import { bytesEqual } from '../util/bytes.js';
import { keyMatchesCertificate } from './key-match.js';
import { normalizePkcs8 } from './private-key.js';
import type { LoadedPrivateKey, NamedCurve, PrivateKeyType } from './private-key.js';
import { parsePkcs12 } from './pkcs12.js';

/** A signing/decryption identity. */
export interface Identity {
  /** The end-entity certificate matching the key, DER. */
  certificate: Uint8Array;
  /** Unencrypted PKCS#8 private key, DER (normalized, e.g. EC with a named curve). */
  privateKey: Uint8Array;
  /** The other certificates of the file (typically CA certificates), DER, in file order. */
  chain: Uint8Array[];
  /** friendlyName of the key (or of its certificate), when present. */
  friendlyName?: string;
  /** Key algorithm information. */
  keyType: PrivateKeyType;
  curve?: NamedCurve;
  bits: number;
}

/**
 * Loads an identity from a PKCS#12 (`.p12`/`.pfx`, DER or PEM-armoured)
 * file. The certificate is the one matching the key: by localKeyId first,
 * always confirmed by comparing public keys. With several keys the first key
 * that has a certificate is used.
 *
 * @throws PasswordError `bad-password`; FormatError `bad-pkcs12`/`no-private-key`;
 *   CertificateMissingError `certificate-missing`; CryptoError `key-mismatch`
 *   (no certificate of the file matches the key); AlgorithmError
 *   `unsupported-algorithm` (DSA/DH keys, unsupported PBE/MAC).
 */
export async function loadIdentity(input: BytesLike, password: string): Promise<Identity> {
  try {
    return await pickIdentity(input, password);
  } catch (e) {
    throw asSmimeError(e, 'bad-pkcs12', 'cannot load the PKCS#12 identity');
  }
}

async function pickIdentity(input: BytesLike, password: string): Promise<Identity> {
  const contents = await parsePkcs12(input, password);
  if (contents.keys.length === 0) throw new FormatError('no-private-key', 'the PKCS#12 file contains no private key');
  if (contents.certificates.length === 0) {
    throw new CertificateMissingError('certificate-missing', 'the PKCS#12 file contains no certificate');
  }
  let firstError: unknown;
  for (const entry of contents.keys) {
    let key: LoadedPrivateKey;
    try {
      key = normalizePkcs8(entry.pkcs8);
    } catch (e) {
      firstError ??= e;
      continue;
    }
    const byId = entry.localKeyId
      ? contents.certificates.filter((c) => c.localKeyId && bytesEqual(c.localKeyId, entry.localKeyId!))
      : [];
    const ordered = [...byId, ...contents.certificates.filter((c) => !byId.includes(c))];
    for (const cert of ordered) {
      let matches: boolean;
      try {
        matches = await keyMatchesCertificate(key, cert.der);
      } catch (e) {
        // One undecodable certificate (e.g. an odd CA certificate) must not hide the key's own certificate.
        firstError ??= e;
        continue;
      }
      if (matches) {
        const identity: Identity = {
          certificate: cert.der,
          privateKey: key.pkcs8,
          chain: contents.certificates.filter((c) => c !== cert).map((c) => c.der),
          keyType: key.type,
          bits: key.bits,
        };
        if (key.curve) identity.curve = key.curve;
        const name = entry.friendlyName ?? cert.friendlyName;
        if (name !== undefined) identity.friendlyName = name;
        return identity;
      }
    }
  }
  if (firstError) throw asSmimeError(firstError);
  throw new CryptoError('key-mismatch', 'no certificate in the PKCS#12 file matches its private key');
}
