/**
 * Outlook's "security settings" form of a `userSMIMECertificate` value (MS-OXOABK 2.2.4.36): settings of
 * TAG (u16 LE), LENGTH (u16 LE, header included), DATA. Unknown tags are kept but ignored, as the spec requires.
 */
import { bytesEqual, latin1 } from '../util/bytes.js';
import { sha1 } from '../util/hash.js';
import { decodeCapabilities, type CapabilityEntry } from '../cms/attributes.js';
import type { UserSmimeCertificate } from './user-smime-certificate.js';
import { certificateAt, distinct, fail, guarded, type ParsedCertificate } from './user-smime-decode.js';

/** TLV setting tags: MS-OXOABK 2.2.4.36.1 (version), .4/.5 (display names), .7, .9, .10; the others as Outlook writes them. */
export const OUTLOOK_SETTING = {
  version: 0x0001,
  asymmetricCapabilities: 0x0002,
  keyExchangeCertificate: 0x0003,
  chainCertificate: 0x0004,
  messageFormats: 0x0006,
  signCertificate: 0x0008,
  signSha1Hash: 0x0009,
  asciiDisplayName: 0x000b,
  defaultSettings: 0x0020,
  keyExchangeSha1Hash: 0x0022,
  unicodeDisplayName: 0x0051,
} as const;
const T = OUTLOOK_SETTING;
export const KNOWN_TAGS: ReadonlySet<number> = new Set(Object.values(T));

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

type Setting = { tag: number; offset: number; data: Uint8Array };

function readSettings(bytes: Uint8Array): Setting[] {
  const out: Setting[] = [];
  for (let at = 0; at < bytes.length;) {
    if (bytes.length - at < 4) throw fail(`truncated setting header: ${bytes.length - at} bytes left`, at);
    const tag = bytes[at]! | (bytes[at + 1]! << 8);
    const length = bytes[at + 2]! | (bytes[at + 3]! << 8);
    if (length < 4) throw fail(`setting 0x${tag.toString(16)} has LENGTH ${length}, less than its 4-byte header`, at);
    if (length > bytes.length - at)
      throw fail(
        `setting 0x${tag.toString(16)} LENGTH ${length} overruns the value (${bytes.length - at} bytes left)`,
        at,
      );
    out.push({ tag, offset: at, data: bytes.subarray(at + 4, at + length) });
    at += length;
  }
  return out;
}

const uint32le = (d: Uint8Array): number | undefined =>
  d.length === 4 ? (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0 : undefined;

function sha1Setting(s: Setting): Uint8Array {
  if (s.data.length !== 20)
    throw fail(`setting 0x${s.tag.toString(16)}: a SHA-1 hash is 20 bytes, not ${s.data.length}`, s.offset);
  return s.data;
}

/** NUL-terminated text; a missing terminator is tolerated. */
const terminated = (text: string): string => text.split('\0')[0]!;

/** Decodes a value whose first byte is not 0x30 (Outlook's TLV settings). */
export function parseSettingsForm(bytes: Uint8Array): UserSmimeCertificate {
  const settings: OutlookSecuritySettings = { version: 0, chain: [], unknown: [] };
  const certs: ParsedCertificate[] = [];
  const found: {
    sign?: ParsedCertificate;
    kex?: ParsedCertificate;
    capabilities?: CapabilityEntry[];
    ascii?: string;
    unicode?: string;
  } = {};
  const certificate = (s: Setting) => {
    const c = certificateAt(s.data, s.offset + 4, `setting 0x${s.tag.toString(16)} at ${s.offset}`);
    certs.push(c);
    return c;
  };
  const read: Record<number, (s: Setting) => void> = {
    [T.keyExchangeCertificate]: (s) => (found.kex = certificate(s)),
    [T.signCertificate]: (s) => (found.sign = certificate(s)),
    [T.chainCertificate]: (s) => settings.chain.push(certificate(s).der),
    [T.asymmetricCapabilities]: (s) =>
      (found.capabilities = guarded(`AsymmetricCapabilities at ${s.offset}`, () => decodeCapabilities(s.data))),
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
    if (s.tag !== T.chainCertificate && seen.has(s.tag))
      throw fail(`setting 0x${s.tag.toString(16)} appears more than once`, s.offset);
    seen.add(s.tag);
    if (s.tag === T.version) {
      if (uint32le(s.data) !== 1)
        throw fail('Property Version must be the 4-byte value 1 (MS-OXOABK 2.2.4.36.1)', s.offset);
      settings.version = 1;
    } else if (s.data.length === 0) throw fail(`setting 0x${s.tag.toString(16)} is empty`, s.offset);
    else read[s.tag]!(s);
  }
  if (settings.version !== 1)
    throw fail('no Property Version setting (MS-OXOABK 2.2.4.36.1 requires one in every value)', 0);
  const unique = distinct(certs);
  const byHash = (hash: Uint8Array | undefined) =>
    hash ? unique.find((c) => bytesEqual(sha1(c.der), hash))?.der : undefined;
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
