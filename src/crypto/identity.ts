/**
 * Identities (certificate + private key + chain) from PKCS#12 files.
 */
import { CertificateMissingError, CryptoError, FormatError, asSmimeError } from '../errors.js';
import type { BytesLike } from '../util/bytes.js';
import { bytesEqual } from '../util/bytes.js';
import { keyMatchesCertificate } from './key-match.js';
import { normalizePkcs8 } from './private-key.js';
import type { LoadedPrivateKey, NamedCurve, PrivateKeyType } from './private-key.js';
import { parsePkcs12, type Pkcs12Options } from './pkcs12.js';
import type { SmimeErrorCode } from '../errors.js';

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
  /**
   * What the caller should know about how the identity was loaded; absent when nothing. Today only
   * `pkcs12-mac-missing`: the file had no MAC and was read because of `allowMissingMac`.
   */
  warnings?: IdentityWarning[];
}

/** A warning of `loadIdentity`, with a stable code. */
export interface IdentityWarning {
  code: Extract<SmimeErrorCode, 'pkcs12-mac-missing'>;
  message: string;
}

/** Options of `loadIdentity`. */
export type LoadIdentityOptions = Pkcs12Options;

/**
 * Loads an identity from a PKCS#12 (`.p12`/`.pfx`, DER or PEM-armoured)
 * file. The certificate is the one matching the key: by localKeyId first,
 * always confirmed by comparing public keys. With several keys the first key
 * that has a certificate is used.
 *
 * A file without a MAC is refused (`pkcs12-mac-missing`) unless `options.allowMissingMac`; then it loads with
 * that code in `warnings`.
 *
 * @throws PasswordError `bad-password`; FormatError `bad-pkcs12`/`no-private-key`/`pkcs12-mac-missing`;
 *   CertificateMissingError `certificate-missing`; CryptoError `key-mismatch`
 *   (no certificate of the file matches the key); AlgorithmError
 *   `unsupported-algorithm` (DSA/DH keys, unsupported PBE/MAC).
 */
export async function loadIdentity(
  input: BytesLike,
  password: string,
  options: LoadIdentityOptions = {},
): Promise<Identity> {
  try {
    return await pickIdentity(input, password, options);
  } catch (e) {
    throw asSmimeError(e, 'bad-pkcs12', 'cannot load the PKCS#12 identity');
  }
}

async function pickIdentity(input: BytesLike, password: string, options: LoadIdentityOptions): Promise<Identity> {
  const contents = await parsePkcs12(input, password, options);
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
        if (!contents.macVerified)
          identity.warnings = [
            {
              code: 'pkcs12-mac-missing',
              message: 'the PKCS#12 file has no MAC: nothing shows that its certificates and key were not altered',
            },
          ];
        return identity;
      }
    }
  }
  if (firstError) throw asSmimeError(firstError);
  throw new CryptoError('key-mismatch', 'no certificate in the PKCS#12 file matches its private key');
}
