/** Decoding and encoding of SST property values (CERT_*_PROP_ID). */
import { FormatError } from '../errors.js';
import { toHex } from '../util/bytes.js';
import { SstPropertyId, type SstEntry, type SstProperty } from './types.js';
import { TAG, derParse, derChildren, derContent, derExpect, decodeOid, tlv, encodeOid } from '../asn1/index.js';

/** The value of a property, decoded according to its id. */
export type DecodedSstValue =
  | { type: 'bytes'; hex: string }
  | { type: 'string'; text: string }
  | { type: 'oids'; oids: string[] }
  | { type: 'filetime'; date: Date | null }
  | { type: 'uint32'; number: number }
  | { type: 'flag' }
  | {
      type: 'key-provider';
      container?: string;
      provider?: string;
      providerType: number;
      flags: number;
      keySpec: number;
    }
  | { type: 'raw'; hex: string };

export interface DecodedSstProperty {
  id: number;
  /** `wincrypt.h` name without the `CERT_` / `_PROP_ID` parts, e.g. `FRIENDLY_NAME`; `USER_0x8001` for application ids. */
  name: string;
  /** Decoded value, or the raw hex with `error` when the bytes don't fit the id's encoding. */
  value: DecodedSstValue;
  error?: string;
}

const NAME_BY_ID = new Map<number, string>(Object.entries(SstPropertyId).map(([k, v]) => [v, k]));

const STRING_IDS = new Set<number>([
  SstPropertyId.FRIENDLY_NAME,
  SstPropertyId.DESCRIPTION,
  SstPropertyId.PVK_FILE,
  SstPropertyId.AUTO_ENROLL,
]);
const OID_LIST_IDS = new Set<number>([
  SstPropertyId.ENHKEY_USAGE,
  SstPropertyId.ROOT_PROGRAM_CHAIN_POLICIES,
  SstPropertyId.DISALLOWED_ENHKEY_USAGE,
  SstPropertyId.NOT_BEFORE_ENHKEY_USAGE,
]);
const FILETIME_IDS = new Set<number>([
  SstPropertyId.DISALLOWED_FILETIME,
  SstPropertyId.NOT_BEFORE_FILETIME,
  SstPropertyId.DATE_STAMP,
]);
const HASH_LENGTHS = new Map<number, number[]>([
  [SstPropertyId.SHA1_HASH, [20]],
  [SstPropertyId.MD5_HASH, [16]],
  [SstPropertyId.SIGNATURE_HASH, [16, 20]],
  [SstPropertyId.ISSUER_PUBLIC_KEY_MD5_HASH, [16]],
  [SstPropertyId.SUBJECT_PUBLIC_KEY_MD5_HASH, [16]],
  [SstPropertyId.ISSUER_SERIAL_NUMBER_MD5_HASH, [16]],
  [SstPropertyId.SUBJECT_NAME_MD5_HASH, [16]],
  [SstPropertyId.AUTH_ROOT_SHA256_HASH, [32]],
  [SstPropertyId.SHA256_HASH, [32]],
  [SstPropertyId.RENEWAL, [20]],
]);

/** `wincrypt.h`-style name of a property id. */
export function sstPropertyName(id: number): string {
  return NAME_BY_ID.get(id) ?? (id >= 0x8000 ? `USER_0x${id.toString(16)}` : `UNKNOWN_${id}`);
}

/** FILETIME epoch (1601-01-01) relative to the Unix epoch, in 100 ns ticks. */
const FILETIME_UNIX_OFFSET = 116444736000000000n;

export function decodeFiletime(value: Uint8Array): Date | null {
  if (value.length === 0) return null;
  if (value.length !== 8)
    throw new FormatError('sst-bad-property-value', `FILETIME must be 8 bytes, got ${value.length}`);
  const view = new DataView(value.buffer, value.byteOffset, 8);
  const ticks = view.getBigUint64(0, true);
  return new Date(Number((ticks - FILETIME_UNIX_OFFSET) / 10000n));
}

export function encodeFiletime(date: Date): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(date.getTime()) * 10000n + FILETIME_UNIX_OFFSET, true);
  return out;
}

/** UTF-16LE up to the first NUL (Windows stores the terminating NUL and counts it in the length). */
export function decodeUtf16String(value: Uint8Array): string {
  if (value.length % 2 !== 0)
    throw new FormatError('sst-bad-property-value', `UTF-16 string has an odd length (${value.length})`);
  let s = '';
  for (let i = 0; i < value.length; i += 2) {
    const unit = value[i]! | (value[i + 1]! << 8);
    if (unit === 0) break;
    s += String.fromCharCode(unit);
  }
  return s;
}

/** UTF-16LE with the terminating NUL, as Windows writes friendly names. */
export function encodeUtf16String(text: string): Uint8Array {
  const out = new Uint8Array((text.length + 1) * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[i * 2] = unit & 0xff;
    out[i * 2 + 1] = unit >> 8;
  }
  return out;
}

/** DER `SEQUENCE OF OBJECT IDENTIFIER` (the EKU property encoding). */
export function decodeOidList(value: Uint8Array): string[] {
  const root = derExpect(derParse(value), TAG.SEQUENCE, 'OID list');
  return derChildren(root).map((n) => decodeOid(derContent(derExpect(n, TAG.OID, 'OID')), n.start));
}

export function encodeOidList(oids: readonly string[]): Uint8Array {
  const parts = oids.map(encodeOid);
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  return tlv(0x30, body);
}

function decodeKeyProvInfo(value: Uint8Array): DecodedSstValue {
  if (value.length < 28) throw new FormatError('sst-bad-property-value', 'KEY_PROV_INFO is shorter than 28 bytes');
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const str = (offset: number): string | undefined => {
    if (offset === 0) return undefined;
    if (offset >= value.length)
      throw new FormatError('sst-bad-property-value', `KEY_PROV_INFO string offset ${offset} is outside the value`);
    const rest = value.subarray(offset);
    let end = 0;
    while (end + 1 < rest.length && (rest[end] !== 0 || rest[end + 1] !== 0)) end += 2;
    if (end + 1 >= rest.length)
      throw new FormatError('sst-bad-property-value', 'KEY_PROV_INFO string is not NUL-terminated');
    return decodeUtf16String(rest.subarray(0, end));
  };
  const container = str(view.getUint32(0, true));
  const provider = str(view.getUint32(4, true));
  return {
    type: 'key-provider',
    ...(container !== undefined ? { container } : {}),
    ...(provider !== undefined ? { provider } : {}),
    providerType: view.getUint32(8, true),
    flags: view.getUint32(12, true),
    keySpec: view.getUint32(24, true),
  };
}

function decodeValue(p: SstProperty): DecodedSstValue {
  const { id, value } = p;
  if (STRING_IDS.has(id)) return { type: 'string', text: decodeUtf16String(value) };
  if (OID_LIST_IDS.has(id)) return { type: 'oids', oids: decodeOidList(value) };
  if (FILETIME_IDS.has(id)) return { type: 'filetime', date: decodeFiletime(value) };
  if (id === SstPropertyId.ARCHIVED) return { type: 'flag' };
  if (id === SstPropertyId.KEY_SPEC) {
    if (value.length !== 4) throw new FormatError('sst-bad-property-value', 'KEY_SPEC must be 4 bytes');
    return { type: 'uint32', number: new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true) };
  }
  if (id === SstPropertyId.KEY_PROV_INFO) return decodeKeyProvInfo(value);
  const lengths = HASH_LENGTHS.get(id);
  if (lengths) {
    if (!lengths.includes(value.length))
      throw new FormatError('sst-bad-property-value', `expected ${lengths.join(' or ')} bytes, got ${value.length}`);
    return { type: 'bytes', hex: toHex(value) };
  }
  if (id === SstPropertyId.KEY_IDENTIFIER) return { type: 'bytes', hex: toHex(value) };
  return { type: 'raw', hex: toHex(value) };
}

/**
 * Decodes a property by its id. Never throws for bad values: a value that
 * does not fit its id's encoding comes back raw with an `error` (Windows keeps
 * such stores loadable too).
 */
export function decodeSstProperty(p: SstProperty): DecodedSstProperty {
  const name = sstPropertyName(p.id);
  try {
    return { id: p.id, name, value: decodeValue(p) };
  } catch (e) {
    return { id: p.id, name, value: { type: 'raw', hex: toHex(p.value) }, error: (e as Error).message };
  }
}

/** The last value of a property id on an entry (setting a property twice keeps the last one). */
export function getSstProperty(entry: SstEntry, id: number): Uint8Array | undefined {
  for (let i = entry.properties.length - 1; i >= 0; i--)
    if (entry.properties[i]!.id === id) return entry.properties[i]!.value;
  return undefined;
}

/** Friendly name (property 11), if present and well-formed. */
export function sstFriendlyName(entry: SstEntry): string | undefined {
  const v = getSstProperty(entry, SstPropertyId.FRIENDLY_NAME);
  if (!v) return undefined;
  try {
    return decodeUtf16String(v);
  } catch {
    return undefined;
  }
}

/**
 * Enhanced key usages the store restricts this entry to (property 9), or
 * `undefined` when the property is absent (no restriction). A malformed value
 * yields `[]`: unreadable restrictions must not widen trust.
 */
export function sstEnhancedKeyUsage(entry: SstEntry): string[] | undefined {
  const v = getSstProperty(entry, SstPropertyId.ENHKEY_USAGE);
  if (v === undefined) return undefined;
  try {
    return decodeOidList(v);
  } catch {
    return [];
  }
}

/** The disallowed-after date (property 104), or `undefined` when absent or empty (no limit). */
export function sstDisallowedAfter(entry: SstEntry): Date | undefined {
  const v = getSstProperty(entry, SstPropertyId.DISALLOWED_FILETIME);
  if (!v || v.length === 0) return undefined;
  try {
    return decodeFiletime(v) ?? undefined;
  } catch {
    // A malformed limit is treated as "disallowed from the beginning of time".
    return new Date(0);
  }
}
