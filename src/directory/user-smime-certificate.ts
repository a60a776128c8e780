/**
 * The `userSMIMECertificate` attribute value (RFC 2798; MS-OXLDAP 2.2.5.2,
 * MS-OXOABK 2.2.4.36 PidTagUserX509Certificate). A value is either a DER CMS
 * SignedData (first byte 0x30: the user's certificates plus signed
 * SMIMECapabilities and encryption-key preference, signed by the user), or
 * Outlook's binary "security settings": TAG (2 bytes LE), LENGTH (2 bytes LE,
 * counting the 4 header bytes), DATA, one after another. Outlook's Contacts
 * folder stores certificates in the same property.
 */
import { FormatError, SmimeError } from '../errors.js';
import { bytesEqual, concatBytes, toBytes, toHex, type BytesLike } from '../util/bytes.js';
import { TAG, childrenOf, contentOf, encodeTlv, readRoot } from '../util/der.js';
import { sha1 } from '../util/hash/sha1.js';
import { parseCertificateInfo } from '../util/x509-lite.js';
import {
  ATTRIBUTE,
  DEFAULT_CAPABILITIES,
  decodeCapabilities,
  decodeEncryptionKeyPreference,
  decodeTimeValue,
  encodeAttribute,
  encodeCapabilities,
  singleValue,
  type CapabilityEntry,
} from '../cms/attributes.js';
import { parseSignedData, type SignerIdentifier } from '../cms/signed-data.js';
import { createSignedData } from '../cms/signer.js';
import { verifySignedData } from '../cms/verify-signed-data.js';
import type { LoadedPrivateKey } from '../crypto/keys.js';

/** A decoded `userSMIMECertificate` value, either form. */
export interface UserSmimeCertificate {
  format: 'signed-data' | 'outlook-tlv';
  /** Every certificate in the value, DER, in the order stored. */
  certificates: Uint8Array[];
  /** The certificate marked for encryption (SMIMEEncryptionKeyPreference, or the TLV KeyExchangeCertificate). */
  encryptionCertificate?: Uint8Array;
  /** The certificate that signed the value (SignedData), or the TLV SignCertificate. */
  signingCertificate?: Uint8Array;
  /** SMIMECapabilities (signed attribute, or TLV AsymmetricCapabilities), in preference order. */
  capabilities?: CapabilityEntry[];
  /** signingTime of the SignedData, when present. */
  signingTime?: Date;
  /** TLV form: the settings' display name (tag 0x000B). */
  displayName?: string;
  /** TLV form: the "default settings" flags (tag 0x0020); bit 0 set = the user's default security settings. */
  defaults?: number;
}

/** Outlook security-setting tags (MS-OXOABK 2.2.4.36.1–12). */
export const OUTLOOK_SETTING = {
  version: 0x0001,
  asymmetricCapabilities: 0x0002,
  keyExchangeCertificate: 0x0003,
  certificateChain: 0x0004,
  messageEncoding: 0x0006,
  signCertificate: 0x0008,
  signSha1Hash: 0x0009,
  displayName: 0x000b,
  bulkAlgorithm: 0x000c,
  certificateTime: 0x000d,
  defaults: 0x0020,
  keyExchangeSha1Hash: 0x0022,
} as const;

/** Microsoft's own encryption-key preference attribute (szOID_MICROSOFT_Encryption_Key_Preference). */
export const MS_ENCRYPTION_KEY_PREFERENCE = '1.3.6.1.4.1.311.16.4';

function malformed(message: string, offset?: number, cause?: unknown): FormatError {
  return new FormatError('malformed-user-smime-certificate', message, { ...(offset === undefined ? {} : { offset }), ...(cause === undefined ? {} : { cause }) });
}

/**
 * Decodes a `userSMIMECertificate` (or Outlook PidTagUserX509Certificate)
 * value of either form. Synchronous, no signature check (see
 * `verifyUserSmimeCertificate`) and no trust decision.
 *
 * @throws FormatError `malformed-user-smime-certificate`
 */
export function parseUserSmimeCertificate(value: BytesLike): UserSmimeCertificate {
  const bytes = toBytes(value, 'userSMIMECertificate value');
  if (bytes.length === 0) throw malformed('the userSMIMECertificate value is empty');
  try {
    return bytes[0] === 0x30 ? parseSignedForm(bytes) : parseTlvForm(bytes);
  } catch (e) {
    if (e instanceof SmimeError && e.code === 'malformed-user-smime-certificate') throw e;
    const offset = e instanceof FormatError ? e.offset : undefined;
    throw malformed(`not a userSMIMECertificate value: ${e instanceof Error ? e.message : String(e)}`, offset, e);
  }
}

/** Finds the certificate an issuerAndSerialNumber / key identifier names. */
function findCertificate(certificates: readonly Uint8Array[], ref: { issuerDer?: Uint8Array; serialHex?: string; keyId?: Uint8Array }): Uint8Array | undefined {
  for (const der of certificates) {
    const info = parseCertificateInfo(der);
    if (ref.issuerDer && ref.serialHex !== undefined) {
      if (bytesEqual(info.issuerDer, ref.issuerDer) && info.serialNumber === ref.serialHex) return der;
    } else if (ref.keyId) {
      if ((info.subjectKeyIdentifier && bytesEqual(info.subjectKeyIdentifier, ref.keyId)) || bytesEqual(sha1(info.spkiDer), ref.keyId)) return der;
    }
  }
  return undefined;
}

function sidReference(sid: SignerIdentifier): { issuerDer?: Uint8Array; serialHex?: string; keyId?: Uint8Array } {
  return sid.type === 'issuerAndSerialNumber' ? { issuerDer: sid.issuer, serialHex: sid.serialHex } : { keyId: sid.keyIdentifier };
}

function parseSignedForm(bytes: Uint8Array): UserSmimeCertificate {
  const sd = parseSignedData(bytes);
  for (const der of sd.certificates) parseCertificateInfo(der); // every certificate must decode
  const out: UserSmimeCertificate = { format: 'signed-data', certificates: sd.certificates };
  const signer = sd.signerInfos[0];
  if (!signer) return out;
  const signing = findCertificate(sd.certificates, sidReference(signer.sid));
  if (signing) out.signingCertificate = signing;
  const attrs = signer.signedAttributes ?? [];
  const caps = singleValue(attrs, ATTRIBUTE.smimeCapabilities);
  if (caps) out.capabilities = decodeCapabilities(caps);
  const time = singleValue(attrs, ATTRIBUTE.signingTime);
  if (time) out.signingTime = decodeTimeValue(time);
  // RFC 8551's preference first; Outlook also writes Microsoft's (an IssuerAndSerialNumber).
  const rfc = singleValue(attrs, ATTRIBUTE.smimeEncryptionKeyPreference);
  const ms = singleValue(attrs, MS_ENCRYPTION_KEY_PREFERENCE);
  let preferred: Uint8Array | undefined;
  if (rfc) preferred = findCertificate(sd.certificates, decodeEncryptionKeyPreference(rfc));
  if (!preferred && ms) preferred = findCertificate(sd.certificates, decodeIssuerAndSerial(ms));
  if (preferred) out.encryptionCertificate = preferred;
  return out;
}

function decodeIssuerAndSerial(der: Uint8Array): { issuerDer?: Uint8Array; serialHex?: string } {
  const root = readRoot(der);
  const [issuer, serial] = childrenOf(der, root);
  if (!issuer || !serial || serial.tag !== TAG.INTEGER) return {};
  return { issuerDer: der.subarray(issuer.start, issuer.end), serialHex: toHex(contentOf(der, serial)) };
}

interface Setting {
  tag: number;
  offset: number;
  data: Uint8Array;
}

/** Splits the TLV form into settings, with strict bounds. */
function tlvSettings(bytes: Uint8Array): Setting[] {
  const out: Setting[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) throw malformed('truncated security setting header', pos);
    const tag = bytes[pos]! | (bytes[pos + 1]! << 8);
    const length = bytes[pos + 2]! | (bytes[pos + 3]! << 8);
    if (length < 4) throw malformed(`security setting 0x${tag.toString(16)} has length ${length} (at least 4)`, pos);
    if (pos + length > bytes.length) throw malformed(`security setting 0x${tag.toString(16)} runs past the end of the value`, pos);
    out.push({ tag, offset: pos, data: bytes.subarray(pos + 4, pos + length) });
    pos += length;
  }
  return out;
}

/** Settings that may occur more than once (MS-OXOABK: the chain lists one certificate per setting). */
const REPEATABLE: ReadonlySet<number> = new Set([OUTLOOK_SETTING.certificateChain]);
const KNOWN: ReadonlySet<number> = new Set(Object.values(OUTLOOK_SETTING));

function certificateData(s: Setting): Uint8Array {
  try {
    parseCertificateInfo(s.data);
  } catch (e) {
    throw malformed(`security setting 0x${s.tag.toString(16)} does not hold a DER certificate`, s.offset, e);
  }
  return s.data;
}

function utf16le(data: Uint8Array): string {
  let text = '';
  for (let i = 0; i + 1 < data.length; i += 2) {
    const code = data[i]! | (data[i + 1]! << 8);
    if (code === 0) break;
    text += String.fromCharCode(code);
  }
  return text;
}

function parseTlvForm(bytes: Uint8Array): UserSmimeCertificate {
  const settings = tlvSettings(bytes);
  const seen = new Set<number>();
  for (const s of settings) {
    if (!KNOWN.has(s.tag)) continue; // unknown tags MUST be ignored (MS-OXOABK 2.2.4.36)
    if (seen.has(s.tag) && !REPEATABLE.has(s.tag)) throw malformed(`security setting 0x${s.tag.toString(16)} appears twice`, s.offset);
    seen.add(s.tag);
  }
  const out: UserSmimeCertificate = { format: 'outlook-tlv', certificates: [] };
  const hashes: { tag: number; hash: Uint8Array; offset: number }[] = [];
  for (const s of settings) {
    switch (s.tag) {
      case OUTLOOK_SETTING.keyExchangeCertificate:
        out.encryptionCertificate = certificateData(s);
        out.certificates.push(s.data);
        break;
      case OUTLOOK_SETTING.signCertificate:
        out.signingCertificate = certificateData(s);
        out.certificates.push(s.data);
        break;
      case OUTLOOK_SETTING.certificateChain:
        out.certificates.push(certificateData(s));
        break;
      case OUTLOOK_SETTING.asymmetricCapabilities:
        try {
          out.capabilities = decodeCapabilities(s.data);
        } catch (e) {
          throw malformed('AsymmetricCapabilities is not an SMIMECapabilities value', s.offset, e);
        }
        break;
      case OUTLOOK_SETTING.displayName:
        out.displayName = utf16le(s.data);
        break;
      case OUTLOOK_SETTING.defaults:
        if (s.data.length >= 2) out.defaults = s.data[0]! | (s.data[1]! << 8);
        break;
      case OUTLOOK_SETTING.signSha1Hash:
      case OUTLOOK_SETTING.keyExchangeSha1Hash:
        if (s.data.length !== 20) throw malformed(`security setting 0x${s.tag.toString(16)} must hold a 20-byte SHA-1 hash`, s.offset);
        hashes.push({ tag: s.tag, hash: s.data, offset: s.offset });
        break;
      default:
        break;
    }
  }
  // A hash names a certificate stored elsewhere (e.g. in the chain setting): resolve it when present.
  for (const h of hashes) {
    const match = out.certificates.find((c) => bytesEqual(sha1(c), h.hash));
    if (!match) continue;
    if (h.tag === OUTLOOK_SETTING.keyExchangeSha1Hash) out.encryptionCertificate ??= match;
    else out.signingCertificate ??= match;
  }
  return out;
}

/** The signing identity for `buildUserSmimeCertificate`: what `loadIdentity` returns fits. */
export interface UserSmimeCertificateSigner {
  certificate: Uint8Array;
  privateKey: Uint8Array | LoadedPrivateKey;
  chain?: readonly Uint8Array[];
}

/** Options of `buildUserSmimeCertificate`. */
export interface BuildUserSmimeCertificateOptions {
  /** SMIMECapabilities to publish (default: what smimekit decrypts, strongest first). */
  capabilities?: readonly CapabilityEntry[];
  /** CA certificates to publish with it (default `identity.chain`). */
  chain?: readonly Uint8Array[];
  /** The certificate correspondents should encrypt to (default: the identity's certificate). */
  encryptionCertificate?: Uint8Array;
  /** Publish the self-signed root too (default false: relying parties take roots from their trust list). */
  includeRoot?: boolean;
  /** signingTime (default now; `null` to omit). */
  signingTime?: Date | null;
}

/**
 * Builds what Outlook's "Publish to GAL" writes to `userSMIMECertificate`:
 * a DER SignedData signed by the user, holding the user's certificates and
 * chain, SMIMECapabilities and the encryption-key preference (RFC 8551's
 * attribute and Microsoft's). The encapsulated content is present and empty:
 * RFC 2798 consumers ignore it, and `openssl cms -verify` accepts the value
 * without a separate `-content` file.
 */
export async function buildUserSmimeCertificate(identity: UserSmimeCertificateSigner, options: BuildUserSmimeCertificateOptions = {}): Promise<Uint8Array> {
  const encryption = options.encryptionCertificate ?? identity.certificate;
  const info = parseCertificateInfo(encryption);
  const issuerAndSerial = concatBytes(info.issuerDer, encodeTlv(0x02, hexBytes(info.serialNumber)));
  const chain = [...(options.chain ?? identity.chain ?? [])];
  const extra = bytesEqual(encryption, identity.certificate) ? chain : [encryption, ...chain];
  return createSignedData(new Uint8Array(0), {
    signers: [
      {
        certificate: identity.certificate,
        privateKey: identity.privateKey,
        chain,
        includeCertificates: options.includeRoot ? 'chain-with-root' : 'chain',
        capabilities: options.capabilities ?? DEFAULT_CAPABILITIES,
        encryptionCertificate: encryption,
        extraSignedAttributes: [encodeAttribute(MS_ENCRYPTION_KEY_PREFERENCE, encodeTlv(0x30, issuerAndSerial))],
      },
    ],
    certificates: options.includeRoot ? extra : extra.filter((c) => !isSelfSigned(c)),
    ...(options.signingTime === undefined ? {} : { signingTime: options.signingTime }),
  });
}

function isSelfSigned(der: Uint8Array): boolean {
  const info = parseCertificateInfo(der);
  return bytesEqual(info.issuerDer, info.subjectDer);
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Result of `verifyUserSmimeCertificate`. */
export interface UserSmimeCertificateSignature {
  /** False for the TLV form, which carries no signature. */
  signed: boolean;
  /** True when the SignedData's signature verifies with the certificate it names. */
  signatureValid: boolean;
  /** The signer's certificate, DER. */
  signer?: Uint8Array;
  problem?: { code: string; message: string };
}

/**
 * Checks the signature of a SignedData-form value (the user signed what was
 * published). It says nothing about trust: validate the certificates
 * separately against the trust list.
 *
 * @throws FormatError `malformed-user-smime-certificate`
 */
export async function verifyUserSmimeCertificate(value: BytesLike, options: { allowWeak?: boolean } = {}): Promise<UserSmimeCertificateSignature> {
  const parsed = parseUserSmimeCertificate(value);
  if (parsed.format === 'outlook-tlv') return { signed: false, signatureValid: false, problem: { code: 'not-signed', message: 'the Outlook security-settings form carries no signature' } };
  const sd = parseSignedData(toBytes(value));
  if (sd.signerInfos.length === 0) return { signed: false, signatureValid: false, problem: { code: 'no-signers', message: 'the SignedData has no SignerInfo' } };
  const [check] = await verifySignedData(sd, { content: sd.content ?? new Uint8Array(0), allowWeak: options.allowWeak ?? false });
  const ok = check!.signatureValid && check!.problems.length === 0;
  const out: UserSmimeCertificateSignature = { signed: true, signatureValid: ok };
  if (parsed.signingCertificate) out.signer = parsed.signingCertificate;
  if (!ok) out.problem = check!.problems[0] ?? { code: 'bad-signature', message: 'the signature does not verify' };
  return out;
}

/** Fields of the TLV form `buildOutlookSecuritySettings` writes. */
export interface OutlookSecuritySettings {
  signCertificate?: Uint8Array;
  keyExchangeCertificate?: Uint8Array;
  /** Further certificates (the chain), one setting each. */
  chain?: readonly Uint8Array[];
  capabilities?: readonly CapabilityEntry[];
  /** Display name of the settings (UTF-16LE, NUL-terminated). */
  displayName?: string;
  /** Default-settings flags (default 1: these are the user's default settings). */
  defaults?: number;
}

function setting(tag: number, data: Uint8Array): Uint8Array {
  const length = data.length + 4;
  if (length > 0xffff) throw new FormatError('malformed-user-smime-certificate', `security setting 0x${tag.toString(16)} is longer than 65,535 bytes`);
  return concatBytes(Uint8Array.of(tag & 0xff, tag >> 8, length & 0xff, length >> 8), data);
}

/**
 * Writes Outlook's binary security-settings form (what Outlook stores for a
 * contact's certificate): for migrating contacts and for tests. Directories
 * should receive the SignedData form (`buildUserSmimeCertificate`).
 */
export function buildOutlookSecuritySettings(settings: OutlookSecuritySettings): Uint8Array {
  const parts: Uint8Array[] = [setting(OUTLOOK_SETTING.version, Uint8Array.of(1, 0, 0, 0))];
  if (settings.capabilities) parts.push(setting(OUTLOOK_SETTING.asymmetricCapabilities, encodeCapabilities(settings.capabilities)));
  if (settings.keyExchangeCertificate) parts.push(setting(OUTLOOK_SETTING.keyExchangeCertificate, settings.keyExchangeCertificate));
  if (settings.signCertificate) parts.push(setting(OUTLOOK_SETTING.signCertificate, settings.signCertificate));
  for (const c of settings.chain ?? []) parts.push(setting(OUTLOOK_SETTING.certificateChain, c));
  if (settings.displayName !== undefined) {
    const name = settings.displayName;
    const data = new Uint8Array(name.length * 2 + 2); // UTF-16LE code units, NUL-terminated
    for (let i = 0; i < name.length; i++) {
      data[i * 2] = name.charCodeAt(i) & 0xff;
      data[i * 2 + 1] = name.charCodeAt(i) >> 8;
    }
    parts.push(setting(OUTLOOK_SETTING.displayName, data));
  }
  const defaults = settings.defaults ?? 1;
  parts.push(setting(OUTLOOK_SETTING.defaults, Uint8Array.of(defaults & 0xff, (defaults >> 8) & 0xff)));
  return concatBytes(...parts);
}
