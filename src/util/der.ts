/**
 * A small, bounds-checked BER/DER reader that works on offsets into the
 * original bytes (nothing is copied or re-encoded), so callers can hash or
 * return the exact bytes they were given.
 */
import { FormatError, LimitError } from '../errors.js';

/** One TLV. All offsets are absolute positions in the buffer it was read from. */
export interface DerNode {
  /** Identifier octet(s) class bits: 0 universal, 1 application, 2 context, 3 private. */
  cls: number;
  constructed: boolean;
  /** Tag number (e.g. 16 for SEQUENCE, 0 for `[0]`). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset after the last content byte (before end-of-contents octets when indefinite). */
  contentEnd: number;
  /** Offset after the whole TLV (end-of-contents octets included). */
  end: number;
  /** True when the length was encoded in BER indefinite form. */
  indefinite: boolean;
  /** True when the length was not in minimal (DER) form. */
  nonMinimalLength: boolean;
}

export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8String: 12,
  SEQUENCE: 16,
  SET: 17,
  PrintableString: 19,
  T61String: 20,
  IA5String: 22,
  UTCTime: 23,
  GeneralizedTime: 24,
  VisibleString: 26,
  UniversalString: 28,
  BMPString: 30,
} as const;

const MAX_DEPTH = 64;

function malformed(message: string, offset: number): FormatError {
  return new FormatError('malformed-der', message, { offset });
}

/** Reads the TLV starting at `offset`, which must end at or before `limit`. */
export function readNode(bytes: Uint8Array, offset: number, limit = bytes.length, depth = 0): DerNode {
  if (depth > MAX_DEPTH) throw new LimitError('limit-exceeded', `ASN.1 nesting deeper than ${MAX_DEPTH}`, { offset });
  let pos = offset;
  if (pos >= limit) throw malformed('truncated ASN.1 identifier', pos);
  const first = bytes[pos++]!;
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit) throw malformed('truncated ASN.1 tag', pos);
      if (i >= 4) throw malformed('ASN.1 tag number too large', pos);
      const b = bytes[pos++]!;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) throw malformed('truncated ASN.1 length', pos);
  const lenByte = bytes[pos++]!;
  let nonMinimalLength = false;
  if (lenByte === 0x80) {
    if (!constructed) throw malformed('indefinite length on a primitive ASN.1 value', offset);
    const contentStart = pos;
    let cursor = pos;
    for (;;) {
      if (cursor + 2 <= limit && bytes[cursor] === 0 && bytes[cursor + 1] === 0) {
        return { cls, constructed, tag, start: offset, contentStart, contentEnd: cursor, end: cursor + 2, indefinite: true, nonMinimalLength };
      }
      if (cursor >= limit) throw malformed('indefinite-length ASN.1 value without end-of-contents', offset);
      cursor = readNode(bytes, cursor, limit, depth + 1).end;
    }
  }
  let length = lenByte;
  if (lenByte & 0x80) {
    const count = lenByte & 0x7f;
    if (count > 6) throw malformed('ASN.1 length field too large', pos - 1);
    if (pos + count > limit) throw malformed('truncated ASN.1 length', pos);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[pos++]!;
    if (length < 0x80 || bytes[pos - count] === 0) nonMinimalLength = true;
  }
  if (length > limit - pos) {
    throw malformed(`ASN.1 value length ${length} exceeds the ${limit - pos} bytes available`, offset);
  }
  return { cls, constructed, tag, start: offset, contentStart: pos, contentEnd: pos + length, end: pos + length, indefinite: false, nonMinimalLength };
}

/** Reads a TLV that must fill the buffer exactly. */
export function readRoot(bytes: Uint8Array): DerNode {
  const node = readNode(bytes, 0, bytes.length);
  if (node.end !== bytes.length) throw malformed(`${bytes.length - node.end} unexpected bytes after the ASN.1 value`, node.end);
  return node;
}

/** The direct children of a constructed node. */
export function childrenOf(bytes: Uint8Array, node: DerNode): DerNode[] {
  if (!node.constructed) throw malformed('expected a constructed ASN.1 value', node.start);
  const out: DerNode[] = [];
  let pos = node.contentStart;
  while (pos < node.contentEnd) {
    const child = readNode(bytes, pos, node.contentEnd);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Content bytes of a node (a view). */
export function contentOf(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.contentStart, node.contentEnd);
}

/** The whole TLV bytes of a node (a view). */
export function encodedOf(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.start, node.end);
}

export function isUniversal(node: DerNode, tag: number): boolean {
  return node.cls === 0 && node.tag === tag;
}

export function isContext(node: DerNode, tag: number): boolean {
  return node.cls === 2 && node.tag === tag;
}

/** Throws `malformed-der` unless the node is the expected universal type. */
export function expectUniversal(node: DerNode, tag: number, what: string): DerNode {
  if (!isUniversal(node, tag)) throw malformed(`${what}: unexpected ASN.1 tag`, node.start);
  return node;
}

/** Decodes an OBJECT IDENTIFIER's content to dotted form. */
export function decodeOid(content: Uint8Array, offset = 0): string {
  if (content.length === 0) throw malformed('empty OBJECT IDENTIFIER', offset);
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (value === 0 && b === 0x80) throw malformed('non-minimal OBJECT IDENTIFIER arc', offset);
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw malformed('OBJECT IDENTIFIER arc too large', offset);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    } else if (i === content.length - 1) {
      throw malformed('truncated OBJECT IDENTIFIER', offset);
    }
  }
  const first = parts[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts.slice(1)].join('.');
}

/** Encodes a dotted OID into a full DER TLV. */
export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new FormatError('bad-oid', `not an object identifier: ${oid}`);
    return Number(s);
  });
  if (arcs.length < 2 || arcs[0]! > 2) throw new FormatError('bad-oid', `not an object identifier: ${oid}`);
  const body: number[] = [];
  const push = (n: number) => {
    const tmp = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) tmp.unshift((n & 0x7f) | 0x80);
    body.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return encodeTlv(0x06, Uint8Array.from(body));
}

/** Encodes a TLV with a single-byte identifier (enough for everything smimekit writes by hand). */
export function encodeTlv(identifier: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let header: number[];
  if (n < 0x80) header = [identifier, n];
  else {
    const lenBytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) lenBytes.unshift(v & 0xff);
    header = [identifier, 0x80 | lenBytes.length, ...lenBytes];
  }
  const out = new Uint8Array(header.length + n);
  out.set(header);
  out.set(content, header.length);
  return out;
}

/** Decodes UTCTime / GeneralizedTime content into a Date (UTC). */
export function decodeTime(node: DerNode, content: Uint8Array): Date {
  // No valid time is longer than ~30 characters; refuse early (spreading a huge value would overflow the stack).
  if (content.length > 64) throw malformed(`time value of ${content.length} bytes`, node.start);
  const text = String.fromCharCode(...content);
  let m: RegExpMatchArray | null;
  if (node.tag === TAG.UTCTime) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/.exec(text);
    if (m) {
      const yy = Number(m[1]);
      const year = yy >= 50 ? 1900 + yy : 2000 + yy;
      return makeDate(year, m, text, node);
    }
  } else if (node.tag === TAG.GeneralizedTime) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{4})$/.exec(text);
    if (m) return makeDate(Number(m[1]), m, text, node);
  }
  throw malformed(`invalid time value "${text}"`, node.start);
}

function makeDate(year: number, m: RegExpMatchArray, text: string, node: DerNode): Date {
  const [month, day, hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0')];
  // Out-of-range fields would silently roll over in Date.UTC (month 13 → next January): refuse them.
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() + (month === 2 && !isLeap(year) ? -1 : 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) {
    throw malformed(`invalid time value "${text}"`, node.start);
  }
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, Math.min(second, 59)));
  date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  let ms = date.getTime();
  const zone = m[7]!;
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
  }
  if (Number.isNaN(ms)) throw malformed(`invalid time value "${text}"`, node.start);
  return new Date(ms);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Big-endian unsigned/ two's-complement INTEGER content to a bigint. */
export function decodeInteger(content: Uint8Array): bigint {
  let v = 0n;
  for (const b of content) v = (v << 8n) | BigInt(b);
  if (content.length > 0 && (content[0]! & 0x80) !== 0) v -= 1n << BigInt(content.length * 8);
  return v;
}
