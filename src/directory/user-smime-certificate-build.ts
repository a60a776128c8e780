/**
 * Writing `userSMIMECertificate` values: the SignedData form Outlook's "Publish to GAL" writes
 * (`buildUserSmimeCertificate`), and Outlook's security-settings (TLV) form (`buildOutlookSecuritySettings`).
 * Both parse back with `parseUserSmimeCertificate`.
 */
import { ArgumentError } from '../errors.js';
import { bytesEqual, concatBytes, fromHex } from '../util/bytes.js';
import type { Certificate } from '../x509/index.js';
import { OID } from '../crypto/algorithms.js';
import { assertKeyMatchesCertificate } from '../crypto/key-match.js';
import {
  DEFAULT_CAPABILITIES,
  encodeAttribute,
  encodeCapabilities,
  encodeIssuerAndSerial,
  type CapabilityEntry,
} from '../cms/attributes.js';
import { createSignedData, type CmsSigner, type SigningDigest } from '../cms/signer.js';
import { KNOWN_TAGS, OUTLOOK_SETTING as T } from './outlook-security-settings.js';
import { tryReadCertificate } from './user-smime-decode.js';
import { MS_ENCRYPTION_KEY_PREFERENCE } from './user-smime-signed-data.js';

/** Who publishes: certificate, private key and CA chain (what `loadIdentity` returns fits). */
export type UserSmimeIdentity = Pick<CmsSigner, 'certificate' | 'privateKey' | 'chain'>;

/** Options of `buildUserSmimeCertificate`. */
export interface BuildUserSmimeCertificateOptions {
  /** SMIMECapabilities to publish (default DEFAULT_CAPABILITIES). */
  capabilities?: readonly CapabilityEntry[];
  /** CA certificates to include (default identity.chain); self-signed roots only with `includeRoot`. */
  chain?: readonly Uint8Array[];
  /** The certificate correspondents encrypt to (default: the identity's own when its key can encrypt; else required). */
  encryptionCertificate?: Uint8Array;
  /** signingTime (default now). */
  signingTime?: Date;
  /** Include self-signed roots from the chain (default false). */
  includeRoot?: boolean;
  /** Message digest (default sha256). */
  digest?: SigningDigest;
}

function certificateArgument(der: Uint8Array, name: string): Certificate {
  const info = tryReadCertificate(der);
  if (info instanceof Error)
    throw new ArgumentError('bad-argument', `${name} is not a DER X.509 certificate: ${info.message}`, { cause: info });
  return info;
}

const canEncrypt = (info: Certificate): boolean =>
  info.publicKeyAlgorithm === OID.rsaEncryption || info.publicKeyAlgorithm === OID.ecPublicKey;

/**
 * What Outlook's "Publish to GAL" writes: a DER ContentInfo/SignedData signed by `identity`, holding its certificate,
 * the chain and the encryption certificate, with signed SMIMECapabilities and both the RFC 8551 and the Microsoft
 * encryption-key preference naming the encryption certificate.
 * @throws ArgumentError `bad-argument`; CryptoError `key-mismatch`; AlgorithmError from signing
 */
export async function buildUserSmimeCertificate(
  identity: UserSmimeIdentity,
  options: BuildUserSmimeCertificateOptions = {},
): Promise<Uint8Array> {
  const signingInfo = certificateArgument(identity.certificate, 'identity.certificate');
  const encryption = options.encryptionCertificate ?? (canEncrypt(signingInfo) ? identity.certificate : undefined);
  if (!encryption)
    throw new ArgumentError('bad-argument', 'the identity key cannot encrypt: pass encryptionCertificate');
  const encryptionInfo =
    encryption === identity.certificate ? signingInfo : certificateArgument(encryption, 'encryptionCertificate');
  if (!canEncrypt(encryptionInfo))
    throw new ArgumentError('bad-argument', 'the encryption certificate has no RSA or EC key');
  await assertKeyMatchesCertificate(identity.privateKey, identity.certificate);
  const msPreference = encodeAttribute(
    MS_ENCRYPTION_KEY_PREFERENCE,
    encodeIssuerAndSerial(encryptionInfo.issuer.der, fromHex(encryptionInfo.serialHex)),
  );
  // eContent is present and empty rather than absent: RFC 2798 consumers ignore the content either way,
  // while `openssl cms -verify` (and other CMS tools) refuse an absent eContent without -content.
  const signer: CmsSigner = {
    certificate: identity.certificate,
    privateKey: identity.privateKey,
    chain: options.chain ?? identity.chain ?? [],
    capabilities: options.capabilities ?? DEFAULT_CAPABILITIES,
    encryptionCertificate: encryption,
    extraSignedAttributes: [msPreference],
    includeCertificates: options.includeRoot ? 'chain-with-root' : 'chain',
    ...(options.digest ? { digest: options.digest } : {}),
  };
  const certificates = bytesEqual(encryption, identity.certificate) ? [] : [encryption];
  return createSignedData(new Uint8Array(0), {
    signers: [signer],
    detached: false,
    signingTime: options.signingTime ?? new Date(),
    certificates,
  });
}

/** Settings for `buildOutlookSecuritySettings`. */
export interface OutlookSecuritySettingsInit {
  signCertificate?: Uint8Array;
  keyExchangeCertificate?: Uint8Array;
  /** ChainCertificate settings (CA certificates). */
  chain?: readonly Uint8Array[];
  capabilities?: readonly CapabilityEntry[];
  /** Default-settings flags (tag 0x0020). */
  defaultSettings?: number;
  /** Message Formats flags (tag 0x0006). */
  messageFormats?: number;
  /** Written as ASCII (0x000B) when printable ASCII, else as Unicode (0x0051). */
  displayName?: string;
  /** SignSHA1Hash (20 bytes; not together with signCertificate, MS-OXOABK 2.2.4.36.7). */
  signSha1Hash?: Uint8Array;
  /** KeyExchangeSHA1Hash (20 bytes). */
  keyExchangeSha1Hash?: Uint8Array;
  /** Further settings copied verbatim (tags MS-OXOABK does not define). */
  extraSettings?: readonly { tag: number; data: Uint8Array }[];
}

function encodeSetting(tag: number, data: Uint8Array): Uint8Array {
  const length = data.length + 4;
  if (length > 0xffff)
    throw new ArgumentError(
      'bad-argument',
      `setting 0x${tag.toString(16)} of ${data.length} bytes does not fit a 16-bit LENGTH`,
    );
  return concatBytes(Uint8Array.of(tag & 0xff, tag >> 8, length & 0xff, length >> 8), data);
}

function uint32Setting(tag: number, value: number, name: string): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new ArgumentError('bad-argument', `${name} must be an unsigned 32-bit integer`);
  return encodeSetting(tag, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24));
}

function displayNameSetting(name: string): Uint8Array {
  if (/^[\x20-\x7e]*$/.test(name))
    return encodeSetting(
      T.asciiDisplayName,
      Uint8Array.from(`${name}\0`, (c) => c.charCodeAt(0)),
    );
  const text = `${name}\0`;
  const utf16le = Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)).flatMap((u) => [u & 0xff, u >> 8]);
  return encodeSetting(T.unicodeDisplayName, Uint8Array.from(utf16le));
}

/**
 * Writes Outlook's security-settings (TLV) form, e.g. to migrate Outlook contacts; it parses back with
 * `parseUserSmimeCertificate`. Property Version comes first, certificates last.
 * @throws ArgumentError `bad-argument`
 */
export function buildOutlookSecuritySettings(init: OutlookSecuritySettingsInit): Uint8Array {
  if (init.signCertificate && init.signSha1Hash)
    throw new ArgumentError(
      'bad-argument',
      'signCertificate and signSha1Hash must not both be given (MS-OXOABK 2.2.4.36.7)',
    );
  const cert = (der: Uint8Array, name: string) => (certificateArgument(der, name), der);
  const parts: Uint8Array[] = [uint32Setting(T.version, 1, 'version')];
  if (init.messageFormats !== undefined)
    parts.push(uint32Setting(T.messageFormats, init.messageFormats, 'messageFormats'));
  if (init.defaultSettings !== undefined)
    parts.push(uint32Setting(T.defaultSettings, init.defaultSettings, 'defaultSettings'));
  if (init.displayName !== undefined) parts.push(displayNameSetting(init.displayName));
  for (const [tag, hash, name] of [
    [T.keyExchangeSha1Hash, init.keyExchangeSha1Hash, 'keyExchangeSha1Hash'],
    [T.signSha1Hash, init.signSha1Hash, 'signSha1Hash'],
  ] as const) {
    if (hash && hash.length !== 20) throw new ArgumentError('bad-argument', `${name} must be a 20-byte SHA-1 hash`);
    if (hash) parts.push(encodeSetting(tag, hash));
  }
  if (init.capabilities) parts.push(encodeSetting(T.asymmetricCapabilities, encodeCapabilities(init.capabilities)));
  if (init.keyExchangeCertificate)
    parts.push(encodeSetting(T.keyExchangeCertificate, cert(init.keyExchangeCertificate, 'keyExchangeCertificate')));
  if (init.signCertificate) parts.push(encodeSetting(T.signCertificate, cert(init.signCertificate, 'signCertificate')));
  for (const [i, c] of (init.chain ?? []).entries())
    parts.push(encodeSetting(T.chainCertificate, cert(c, `chain[${i}]`)));
  for (const extra of init.extraSettings ?? []) {
    const usable = Number.isInteger(extra.tag) && extra.tag >= 0 && extra.tag <= 0xffff && !KNOWN_TAGS.has(extra.tag);
    if (!usable)
      throw new ArgumentError(
        'bad-argument',
        `extraSettings tag ${extra.tag} is not a 16-bit tag outside MS-OXOABK's list`,
      );
    parts.push(encodeSetting(extra.tag, extra.data));
  }
  return concatBytes(...parts);
}
