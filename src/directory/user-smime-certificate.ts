/**
 * The `userSMIMECertificate` attribute value (RFC 2798; MS-OXLDAP 2.2.5.2; MS-OXOABK 2.2.4.36 PidTagUserX509Certificate).
 * A value whose first byte is 0x30 is a CMS SignedData with the user's certificates and signed S/MIME attributes; anything
 * else is Outlook's "security settings" blob: settings of TAG (u16 LE), LENGTH (u16 LE, header included), DATA.
 */
import { ArgumentError, FormatError, SmimeError, asSmimeError } from '../errors.js';
import { bytesEqual, concatBytes, fromHex, latin1, toBytes, toHex, type BytesLike } from '../util/bytes.js';
import { sha1 } from '../util/hash/sha1.js';
import { looksLikePem } from '../util/pem.js';
import { readCertificate, type Certificate } from '../x509/index.js';
import { OID } from '../crypto/algorithms.js';
import { assertKeyMatchesCertificate } from '../crypto/key-match.js';
import { ATTRIBUTE, DEFAULT_CAPABILITIES, decodeCapabilities, decodeEncryptionKeyPreference, decodeTimeValue, singleValue } from '../cms/attributes.js';
import { encodeAttribute, encodeCapabilities, encodeIssuerAndSerial, type CapabilityEntry, type CmsAttribute } from '../cms/attributes.js';
import { parseSignedData, type SignerIdentifier } from '../cms/signed-data.js';
import { createSignedData, type CmsSigner, type SigningDigest } from '../cms/signer.js';
import { verifySignedData } from '../cms/verify-signed-data.js';
import { findSignerCertificate } from '../cms/signer-lookup.js';
import { TAG, derParse, derChildren, derContent, derBytes, derIsUniversal } from '../asn1/index.js';

/** Microsoft's encryption-key preference attribute (szOID_MICROSOFT_Encryption_Key_Preference), value IssuerAndSerialNumber. */
export const MS_ENCRYPTION_KEY_PREFERENCE = '1.3.6.1.4.1.311.16.4';

/** TLV setting tags: MS-OXOABK 2.2.4.36.1 (version), .4/.5 (display names), .7, .9, .10; the others as Outlook writes them. */
export const OUTLOOK_SETTING = {
  version: 0x0001, asymmetricCapabilities: 0x0002, keyExchangeCertificate: 0x0003, chainCertificate: 0x0004, messageFormats: 0x0006,
  signCertificate: 0x0008, signSha1Hash: 0x0009, asciiDisplayName: 0x000b, defaultSettings: 0x0020, keyExchangeSha1Hash: 0x0022, unicodeDisplayName: 0x0051,
} as const;
const T = OUTLOOK_SETTING;
const KNOWN_TAGS: ReadonlySet<number> = new Set(Object.values(T));

/** Every setting of an Outlook security-settings value, decoded (the display name is `UserSmimeCertificate.displayName`). */
export interface OutlookSecuritySettings {
  /** Property Version (2.2.4.36.1); always 1. */
  version: number;
  /** Message Formats flags (tag 0x0006), when 4 bytes. */
  messageFormats?: number;
  /** Default-settings flags (tag 0x0020), when 4 bytes. */
  defaultSettings?: number;
  /** SignSHA1Hash (2.2.4.36.7): SHA-1 of the signing certificate. */
  signSha1Hash?: Uint8Array;
  /** KeyExchangeSHA1Hash (tag 0x0022): SHA-1 of the encryption certificate. */
  keyExchangeSha1Hash?: Uint8Array;
  /** ChainCertificate settings (2.2.4.36.10), in order. */
  chain: Uint8Array[];
  /** Settings with tags not in MS-OXOABK: ignored as the spec requires, kept for migration tools. */
  unknown: { tag: number; offset: number; data: Uint8Array }[];
}

/** A decoded `userSMIMECertificate` value, either form. */
export interface UserSmimeCertificate {
  format: 'signed-data' | 'outlook-tlv';
  /** Every distinct certificate in the value, DER, in the order stored. */
  certificates: Uint8Array[];
  /** The certificate marked for encryption (SMIMEEncryptionKeyPreference, or the TLV KeyExchangeCertificate). */
  encryptionCertificate?: Uint8Array;
  /** The certificate that signed the value (SignedData), or the TLV SignCertificate. */
  signingCertificate?: Uint8Array;
  /** SMIMECapabilities (signed attribute, or TLV AsymmetricCapabilities), in preference order. */
  capabilities?: CapabilityEntry[];
  /** signingTime of the SignedData, when present. */
  signingTime?: Date;
  /** The TLV form's display name: ASCII (2.2.4.36.4) or Unicode (2.2.4.36.5), the Unicode one when both are present. */
  displayName?: string;
  /** The TLV form's settings. */
  settings?: OutlookSecuritySettings;
}

const CODE = 'malformed-user-smime-certificate';
const fail = (message: string, offset?: number, cause?: unknown) => new FormatError(CODE, message, { ...(offset === undefined ? {} : { offset }), cause });

type ParsedCertificate = { der: Uint8Array; info: Certificate };

/** Runs `step`, turning any other SmimeError into ours (keeping its offset); non-SmimeErrors are bugs: `internal`. */
function guarded<R>(what: string, step: () => R): R {
  try {
    return step();
  } catch (e) {
    if (e instanceof SmimeError && e.code === CODE) throw e;
    if (e instanceof SmimeError) throw fail(`${what}: ${e.message}`, e instanceof FormatError ? e.offset : undefined, e);
    throw asSmimeError(e, 'internal', what);
  }
}

const distinct = (certs: ParsedCertificate[]): ParsedCertificate[] => certs.filter((c, i) => certs.findIndex((d) => bytesEqual(d.der, c.der)) === i);

/** The certificate's fields, or why it is not a certificate. */
function tryReadCertificate(der: Uint8Array): Certificate | Error {
  try {
    return readCertificate(der);
  } catch (e) {
    return e as Error;
  }
}

function certificateAt(der: Uint8Array, offset: number, what: string): ParsedCertificate {
  const info = tryReadCertificate(der);
  if (info instanceof Error) throw fail(`${what} is not a DER X.509 certificate: ${info.message}`, offset, info);
  return { der, info };
}

/**
 * Decodes a `userSMIMECertificate` (or PidTagUserX509Certificate) value of either form; trust is not checked here.
 * @throws FormatError `malformed-user-smime-certificate` (with `offset` where known)
 */
export function parseUserSmimeCertificate(value: BytesLike): UserSmimeCertificate {
  const bytes = toBytes(value, 'userSMIMECertificate value');
  if (bytes.length === 0) throw fail('the userSMIMECertificate value is empty', 0);
  return guarded('userSMIMECertificate', () => (bytes[0] === 0x30 ? parseSignedDataForm(bytes) : parseSettingsForm(bytes)));
}

function parseSignedDataForm(bytes: Uint8Array): UserSmimeCertificate {
  guarded('SignedData', () => derParse(bytes)); // nothing may follow the ContentInfo
  // parseSignedData reads anything with PEM armour text in it as PEM, not as the DER it is.
  if (looksLikePem(bytes)) throw fail('the DER value contains PEM armour text', 0);
  if (!(tryReadCertificate(bytes) instanceof Error)) throw fail('the value is a bare certificate, not a SignedData (it belongs in userCertificate)', 0);
  const sd = guarded('SignedData', () => parseSignedData(bytes));
  const certs = distinct(sd.certificates.map((der, i) => certificateAt(der, der.byteOffset - bytes.byteOffset, `certificate ${i}`)));
  const out: UserSmimeCertificate = { format: 'signed-data', certificates: certs.map((c) => c.der) };
  const si = sd.signerInfos[0];
  if (!si) return out; // certs-only (degenerate) SignedData
  const signer = findSignerCertificate(si.sid, certs);
  if (signer) out.signingCertificate = signer.der;
  guarded('signed attributes', () => readSignedAttributes(si.signedAttributes ?? [], certs, out));
  return out;
}

function readSignedAttributes(attrs: CmsAttribute[], certs: ParsedCertificate[], out: UserSmimeCertificate): void {
  const time = singleValue(attrs, ATTRIBUTE.signingTime);
  if (time) out.signingTime = decodeTimeValue(time);
  const caps = singleValue(attrs, ATTRIBUTE.smimeCapabilities);
  if (caps) out.capabilities = decodeCapabilities(caps);
  // RFC 8551's attribute first; Outlook writes Microsoft's alongside, naming the same certificate.
  const preferred = preferenceIdentifiers(attrs).map((sid) => findSignerCertificate(sid, certs)).find((c) => c !== undefined);
  if (preferred) out.encryptionCertificate = preferred.der;
}

/** The encryption-key preferences as SignerIdentifiers, so the CMS signer lookup can resolve them. */
function preferenceIdentifiers(attrs: CmsAttribute[]): SignerIdentifier[] {
  const out: SignerIdentifier[] = [];
  const rfc = singleValue(attrs, ATTRIBUTE.smimeEncryptionKeyPreference);
  if (rfc) {
    const p = decodeEncryptionKeyPreference(rfc);
    if (p.issuerDer && p.serialHex) out.push({ type: 'issuerAndSerialNumber', issuer: p.issuerDer, serialNumber: fromHex(p.serialHex), serialHex: p.serialHex });
    else if (p.keyId) out.push({ type: 'subjectKeyIdentifier', keyIdentifier: p.keyId });
  }
  const ms = singleValue(attrs, MS_ENCRYPTION_KEY_PREFERENCE);
  if (ms) {
    const [issuer, serial] = derChildren(derParse(ms));
    const valid = issuer && serial && derIsUniversal(issuer, TAG.SEQUENCE) && derIsUniversal(serial, TAG.INTEGER);
    if (!valid) throw new FormatError('malformed-cms', 'the Microsoft encryption-key preference is not an IssuerAndSerialNumber');
    const serialNumber = derContent(serial);
    out.push({ type: 'issuerAndSerialNumber', issuer: derBytes(issuer), serialNumber, serialHex: toHex(serialNumber) });
  }
  return out;
}

type Setting = { tag: number; offset: number; data: Uint8Array };

function readSettings(bytes: Uint8Array): Setting[] {
  const out: Setting[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (bytes.length - at < 4) throw fail(`truncated setting header: ${bytes.length - at} bytes left`, at);
    const tag = bytes[at]! | (bytes[at + 1]! << 8);
    const length = bytes[at + 2]! | (bytes[at + 3]! << 8);
    if (length < 4) throw fail(`setting 0x${tag.toString(16)} has LENGTH ${length}, less than its 4-byte header`, at);
    if (length > bytes.length - at) throw fail(`setting 0x${tag.toString(16)} LENGTH ${length} overruns the value (${bytes.length - at} bytes left)`, at);
    out.push({ tag, offset: at, data: bytes.subarray(at + 4, at + length) });
    at += length;
  }
  return out;
}

const uint32le = (d: Uint8Array): number | undefined => (d.length === 4 ? (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0 : undefined);

function sha1Setting(s: Setting): Uint8Array {
  if (s.data.length !== 20) throw fail(`setting 0x${s.tag.toString(16)}: a SHA-1 hash is 20 bytes, not ${s.data.length}`, s.offset);
  return s.data;
}

/** NUL-terminated text; a missing terminator is tolerated. */
const terminated = (text: string): string => text.split('\0')[0]!;

function parseSettingsForm(bytes: Uint8Array): UserSmimeCertificate {
  const settings: OutlookSecuritySettings = { version: 0, chain: [], unknown: [] };
  const certs: ParsedCertificate[] = [];
  const found: { sign?: ParsedCertificate; kex?: ParsedCertificate; capabilities?: CapabilityEntry[]; ascii?: string; unicode?: string } = {};
  const certificate = (s: Setting) => {
    const c = certificateAt(s.data, s.offset + 4, `setting 0x${s.tag.toString(16)} at ${s.offset}`);
    certs.push(c);
    return c;
  };
  const read: Record<number, (s: Setting) => void> = {
    [T.keyExchangeCertificate]: (s) => (found.kex = certificate(s)),
    [T.signCertificate]: (s) => (found.sign = certificate(s)),
    [T.chainCertificate]: (s) => settings.chain.push(certificate(s).der),
    [T.asymmetricCapabilities]: (s) => (found.capabilities = guarded(`AsymmetricCapabilities at ${s.offset}`, () => decodeCapabilities(s.data))),
    [T.signSha1Hash]: (s) => (settings.signSha1Hash = sha1Setting(s)),
    [T.keyExchangeSha1Hash]: (s) => (settings.keyExchangeSha1Hash = sha1Setting(s)),
    [T.asciiDisplayName]: (s) => (found.ascii = terminated(latin1(s.data))),
    [T.unicodeDisplayName]: (s) => (found.unicode = terminated(new TextDecoder('utf-16le').decode(s.data))),
    // Flag words whose section text was not at hand: only a 4-byte value is read, anything else is left out.
    [T.messageFormats]: (s) => (settings.messageFormats = uint32le(s.data)),
    [T.defaultSettings]: (s) => (settings.defaultSettings = uint32le(s.data)),
  };
  const seen = new Set<number>();
  for (const s of readSettings(bytes)) {
    if (!KNOWN_TAGS.has(s.tag)) {
      settings.unknown.push(s); // MS-OXOABK 2.2.4.36: unknown settings MUST be ignored
      continue;
    }
    // Every setting appears at most once, except ChainCertificate (2.2.4.36.10).
    if (s.tag !== T.chainCertificate && seen.has(s.tag)) throw fail(`setting 0x${s.tag.toString(16)} appears more than once`, s.offset);
    seen.add(s.tag);
    if (s.tag === T.version) {
      if (uint32le(s.data) !== 1) throw fail('Property Version must be the 4-byte value 1 (MS-OXOABK 2.2.4.36.1)', s.offset);
      settings.version = 1;
    } else if (s.data.length === 0) throw fail(`setting 0x${s.tag.toString(16)} is empty`, s.offset);
    else read[s.tag]!(s);
  }
  if (settings.version !== 1) throw fail('no Property Version setting (MS-OXOABK 2.2.4.36.1 requires one in every value)', 0);
  const unique = distinct(certs);
  const byHash = (hash: Uint8Array | undefined) => (hash ? unique.find((c) => bytesEqual(sha1(c.der), hash))?.der : undefined);
  const out: UserSmimeCertificate = { format: 'outlook-tlv', certificates: unique.map((c) => c.der), settings };
  const displayName = found.unicode ?? found.ascii;
  if (displayName !== undefined) out.displayName = displayName;
  // The certificate settings win over the hashes (2.2.4.36.9: SignCertificate SHOULD be used instead of SignSHA1Hash).
  const signing = found.sign?.der ?? byHash(settings.signSha1Hash);
  const encryption = found.kex?.der ?? byHash(settings.keyExchangeSha1Hash);
  if (signing) out.signingCertificate = signing;
  if (encryption) out.encryptionCertificate = encryption;
  if (found.capabilities) out.capabilities = found.capabilities;
  return out;
}

/** What `verifyUserSmimeCertificate` found. */
export interface UserSmimeCertificateVerification {
  format: UserSmimeCertificate['format'];
  /** False for the TLV form and for certs-only SignedData: there is no signature to check. */
  signed: boolean;
  /** The first SignerInfo's digest and signature verify (and its algorithms are acceptable). */
  signatureValid: boolean;
  /** The certificate that verified the signature (or that the SignerInfo names), DER. */
  signer?: Uint8Array;
  /** Why not valid: a SignerProblem code of `verifySignedData`, or `unsigned`. */
  problem?: { code: string; message: string };
}

/** Options of `verifyUserSmimeCertificate`. */
export interface VerifyUserSmimeCertificateOptions {
  /** Extra certificates to find the signer in (DER). */
  certificates?: readonly Uint8Array[];
  /** Accept SHA-1 signatures (older Outlook versions publish them). Default false: `weak-algorithm`. */
  allowWeak?: boolean;
}

/**
 * Checks the signature of a SignedData-form value (the first SignerInfo; detached values are checked over empty
 * content). No trust-chain validation: the directory validates certificates separately.
 * @throws FormatError `malformed-user-smime-certificate` when the value cannot be decoded
 */
export async function verifyUserSmimeCertificate(value: BytesLike, options: VerifyUserSmimeCertificateOptions = {}): Promise<UserSmimeCertificateVerification> {
  const bytes = toBytes(value, 'userSMIMECertificate value');
  const parsed = parseUserSmimeCertificate(bytes);
  const unsigned = (message: string): UserSmimeCertificateVerification => ({ format: parsed.format, signed: false, signatureValid: false, problem: { code: 'unsigned', message } });
  if (parsed.format === 'outlook-tlv') return unsigned('Outlook security settings carry no signature');
  const sd = guarded('SignedData', () => parseSignedData(bytes));
  if (sd.signerInfos.length === 0) return unsigned('a certs-only SignedData carries no signature');
  // Detached (no eContent): RFC 2798 values sign empty content. `content` is ignored when eContent is present.
  const verifyOptions = { content: new Uint8Array(0), certificates: options.certificates ?? [], allowWeak: options.allowWeak ?? false };
  const checks = await verifySignedData({ ...sd, signerInfos: sd.signerInfos.slice(0, 1) }, verifyOptions).catch((e: unknown) => {
    throw asSmimeError(e, 'internal', 'verifying the userSMIMECertificate signature');
  });
  const check = checks[0]!;
  const out: UserSmimeCertificateVerification = { format: 'signed-data', signed: true, signatureValid: check.signatureValid };
  if (check.certificate) out.signer = check.certificate;
  if (check.problems[0]) out.problem = check.problems[0];
  return out;
}

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
  if (info instanceof Error) throw new ArgumentError('bad-argument', `${name} is not a DER X.509 certificate: ${info.message}`, { cause: info });
  return info;
}

const canEncrypt = (info: Certificate): boolean => info.publicKeyAlgorithm === OID.rsaEncryption || info.publicKeyAlgorithm === OID.ecPublicKey;

/**
 * What Outlook's "Publish to GAL" writes: a DER ContentInfo/SignedData signed by `identity`, holding its certificate,
 * the chain and the encryption certificate, with signed SMIMECapabilities and both the RFC 8551 and the Microsoft
 * encryption-key preference naming the encryption certificate.
 * @throws ArgumentError `bad-argument`; CryptoError `key-mismatch`; AlgorithmError from signing
 */
export async function buildUserSmimeCertificate(identity: UserSmimeIdentity, options: BuildUserSmimeCertificateOptions = {}): Promise<Uint8Array> {
  const signingInfo = certificateArgument(identity.certificate, 'identity.certificate');
  const encryption = options.encryptionCertificate ?? (canEncrypt(signingInfo) ? identity.certificate : undefined);
  if (!encryption) throw new ArgumentError('bad-argument', 'the identity key cannot encrypt: pass encryptionCertificate');
  const encryptionInfo = encryption === identity.certificate ? signingInfo : certificateArgument(encryption, 'encryptionCertificate');
  if (!canEncrypt(encryptionInfo)) throw new ArgumentError('bad-argument', 'the encryption certificate has no RSA or EC key');
  await assertKeyMatchesCertificate(identity.privateKey, identity.certificate);
  const msPreference = encodeAttribute(MS_ENCRYPTION_KEY_PREFERENCE, encodeIssuerAndSerial(encryptionInfo.issuer.der, fromHex(encryptionInfo.serialHex)));
  // eContent is present and empty rather than absent: RFC 2798 consumers ignore the content either way,
  // while `openssl cms -verify` (and other CMS tools) refuse an absent eContent without -content.
  const signer: CmsSigner = {
    certificate: identity.certificate, privateKey: identity.privateKey, chain: options.chain ?? identity.chain ?? [],
    capabilities: options.capabilities ?? DEFAULT_CAPABILITIES, encryptionCertificate: encryption, extraSignedAttributes: [msPreference],
    includeCertificates: options.includeRoot ? 'chain-with-root' : 'chain', ...(options.digest ? { digest: options.digest } : {}),
  };
  const certificates = bytesEqual(encryption, identity.certificate) ? [] : [encryption];
  return createSignedData(new Uint8Array(0), { signers: [signer], detached: false, signingTime: options.signingTime ?? new Date(), certificates });
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
  if (length > 0xffff) throw new ArgumentError('bad-argument', `setting 0x${tag.toString(16)} of ${data.length} bytes does not fit a 16-bit LENGTH`);
  return concatBytes(Uint8Array.of(tag & 0xff, tag >> 8, length & 0xff, length >> 8), data);
}

function uint32Setting(tag: number, value: number, name: string): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new ArgumentError('bad-argument', `${name} must be an unsigned 32-bit integer`);
  return encodeSetting(tag, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24));
}

function displayNameSetting(name: string): Uint8Array {
  if (/^[\x20-\x7e]*$/.test(name)) return encodeSetting(T.asciiDisplayName, Uint8Array.from(`${name}\0`, (c) => c.charCodeAt(0)));
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
  if (init.signCertificate && init.signSha1Hash) throw new ArgumentError('bad-argument', 'signCertificate and signSha1Hash must not both be given (MS-OXOABK 2.2.4.36.7)');
  const cert = (der: Uint8Array, name: string) => (certificateArgument(der, name), der);
  const parts: Uint8Array[] = [uint32Setting(T.version, 1, 'version')];
  if (init.messageFormats !== undefined) parts.push(uint32Setting(T.messageFormats, init.messageFormats, 'messageFormats'));
  if (init.defaultSettings !== undefined) parts.push(uint32Setting(T.defaultSettings, init.defaultSettings, 'defaultSettings'));
  if (init.displayName !== undefined) parts.push(displayNameSetting(init.displayName));
  for (const [tag, hash, name] of [[T.keyExchangeSha1Hash, init.keyExchangeSha1Hash, 'keyExchangeSha1Hash'], [T.signSha1Hash, init.signSha1Hash, 'signSha1Hash']] as const) {
    if (hash && hash.length !== 20) throw new ArgumentError('bad-argument', `${name} must be a 20-byte SHA-1 hash`);
    if (hash) parts.push(encodeSetting(tag, hash));
  }
  if (init.capabilities) parts.push(encodeSetting(T.asymmetricCapabilities, encodeCapabilities(init.capabilities)));
  if (init.keyExchangeCertificate) parts.push(encodeSetting(T.keyExchangeCertificate, cert(init.keyExchangeCertificate, 'keyExchangeCertificate')));
  if (init.signCertificate) parts.push(encodeSetting(T.signCertificate, cert(init.signCertificate, 'signCertificate')));
  for (const [i, c] of (init.chain ?? []).entries()) parts.push(encodeSetting(T.chainCertificate, cert(c, `chain[${i}]`)));
  for (const extra of init.extraSettings ?? []) {
    const usable = Number.isInteger(extra.tag) && extra.tag >= 0 && extra.tag <= 0xffff && !KNOWN_TAGS.has(extra.tag);
    if (!usable) throw new ArgumentError('bad-argument', `extraSettings tag ${extra.tag} is not a 16-bit tag outside MS-OXOABK's list`);
    parts.push(encodeSetting(extra.tag, extra.data));
  }
  return concatBytes(...parts);
}
