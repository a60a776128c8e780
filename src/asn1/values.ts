/**
 * Typed accessors over `DerNode`: each checks the tag and throws
 * `malformed-der` with the offset when the input is not what the structure
 * requires.
 */
import { LimitError } from '../errors.js';
import { joinPieces, toHex } from '../util/bytes.js';
import {
  TAG,
  derChildren,
  derContent,
  derBytes,
  derError,
  derIsContext,
  derIsUniversal,
  derRead,
  type DerNode,
} from './read.js';

/** Children of a SEQUENCE, checking the tag; `min` is the number of children required. */
export function derSequence(node: DerNode | undefined, what: string, min = 0): DerNode[] {
  if (!node || !derIsUniversal(node, TAG.SEQUENCE) || !node.constructed) {
    throw derError(`${what}: expected a SEQUENCE`, node?.start ?? 0);
  }
  const kids = derChildren(node);
  if (kids.length < min) throw derError(`${what}: too few elements`, node.start);
  return kids;
}

/** Children of a SET. */
export function derSet(node: DerNode | undefined, what: string): DerNode[] {
  if (!node || !derIsUniversal(node, TAG.SET) || !node.constructed)
    throw derError(`${what}: expected a SET`, node?.start ?? 0);
  return derChildren(node);
}

/** Dotted OBJECT IDENTIFIER. */
export function derOid(node: DerNode | undefined, what = 'OID'): string {
  if (!node || !derIsUniversal(node, TAG.OID) || node.constructed || node.contentEnd === node.contentStart) {
    throw derError(`${what}: expected an OBJECT IDENTIFIER`, node?.start ?? 0);
  }
  return decodeOid(derContent(node), node.contentStart);
}

/** INTEGER as a bigint. */
export function derBigInt(node: DerNode | undefined, what = 'INTEGER'): bigint {
  if (!node || !derIsUniversal(node, TAG.INTEGER) || node.constructed || node.contentEnd === node.contentStart) {
    throw derError(`${what}: expected an INTEGER`, node?.start ?? 0);
  }
  return decodeInteger(derContent(node));
}

/** Small non-negative INTEGER as a number. */
export function derSmallInt(node: DerNode | undefined, what = 'INTEGER'): number {
  const v = derBigInt(node, what);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw derError(`${what}: out of range`, node!.start);
  return Number(v);
}

/** Options of {@link derOctets}. */
export interface OctetsOptions {
  /** Accept `[implicitTag]` IMPLICIT OCTET STRING instead of the universal tag. */
  implicitTag?: number;
  /** Pieces allowed in a constructed (BER) string; decremented as they are read. */
  budget?: { nodes: number };
}

/**
 * OCTET STRING content. A constructed (BER, chunked) string is joined
 * iteratively: a 150 MB streamed message can have 150 000 chunks.
 */
export function derOctets(node: DerNode | undefined, what = 'OCTET STRING', options: OctetsOptions = {}): Uint8Array {
  const { implicitTag } = options;
  const ok =
    node && (implicitTag === undefined ? derIsUniversal(node, TAG.OCTET_STRING) : derIsContext(node, implicitTag));
  if (!node || !ok) throw derError(`${what}: expected an OCTET STRING`, node?.start ?? 0);
  if (!node.constructed) return derContent(node);
  const budget = options.budget ?? { nodes: Number.MAX_SAFE_INTEGER };
  const pieces: Uint8Array[] = [];
  const walk = (n: DerNode, depth: number): void => {
    if (depth > 8) throw derError(`${what}: constructed OCTET STRING nested too deeply`, n.start);
    let pos = n.contentStart;
    while (pos < n.contentEnd) {
      const child = derRead(n.buf, pos, n.contentEnd);
      if (--budget.nodes < 0)
        throw new LimitError('limit-exceeded', `${what}: more pieces than allowed`, {
          offset: child.start,
          details: { limit: 'octet-string-pieces' },
        });
      if (!derIsUniversal(child, TAG.OCTET_STRING)) {
        throw derError(`${what}: constructed OCTET STRING contains a non-OCTET STRING`, child.start);
      }
      if (child.constructed) walk(child, depth + 1);
      else pieces.push(derContent(child));
      pos = child.end;
    }
  };
  walk(node, 0);
  return joinPieces(pieces);
}

/** BIT STRING content without the unused-bits octet, which must be 0 (keys, signatures). */
export function derBitString(node: DerNode | undefined, what = 'BIT STRING'): Uint8Array {
  if (!node || !derIsUniversal(node, TAG.BIT_STRING) || node.constructed || node.contentEnd === node.contentStart) {
    throw derError(`${what}: expected a BIT STRING`, node?.start ?? 0);
  }
  const c = derContent(node);
  if (c[0] !== 0) throw derError(`${what}: unused bits in a key BIT STRING`, node.contentStart);
  return c.subarray(1);
}

/** A parsed AlgorithmIdentifier: OID, parameters (absent or NULL → undefined) and the exact encoding. */
export interface ParsedAlgorithm {
  oid: string;
  params: DerNode | undefined;
  der: Uint8Array;
}

/** AlgorithmIdentifier. */
export function derAlgorithm(node: DerNode | undefined, what = 'AlgorithmIdentifier'): ParsedAlgorithm {
  const kids = derSequence(node, what, 1);
  const params = kids[1];
  return {
    oid: derOid(kids[0], what),
    params: params && derIsUniversal(params, TAG.NULL) ? undefined : params,
    der: derBytes(node!),
  };
}

/** Decodes OBJECT IDENTIFIER content to dotted form; `offset` goes into errors. */
export function decodeOid(content: Uint8Array, offset = 0): string {
  if (content.length === 0) throw derError('empty OBJECT IDENTIFIER', offset);
  // Built as one string: arrays of arcs were most of what decoding a certificate allocated.
  let text = '';
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (value === 0 && b === 0x80) throw derError('non-minimal OBJECT IDENTIFIER arc', offset);
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw derError('OBJECT IDENTIFIER arc too large', offset);
    if ((b & 0x80) === 0) {
      if (text === '') text = value < 40 ? `0.${value}` : value < 80 ? `1.${value - 40}` : `2.${value - 80}`;
      else text += `.${value}`;
      value = 0;
    } else if (i === content.length - 1) {
      throw derError('truncated OBJECT IDENTIFIER', offset);
    }
  }
  return text;
}

/** Two's-complement INTEGER content to a bigint. */
export function decodeInteger(content: Uint8Array): bigint {
  if (content.length === 0) return 0n;
  let v = 0n;
  // Shifting byte by byte is quadratic in the length (a hostile 60 KB serial number took seconds); parsing hex is not.
  if (content.length <= 8) for (const b of content) v = (v << 8n) | BigInt(b);
  else v = BigInt(`0x${toHex(content)}`);
  if ((content[0]! & 0x80) !== 0) v -= 1n << BigInt(content.length * 8);
  return v;
}

/** UTCTime / GeneralizedTime as a Date (UTC). Out-of-range fields are refused, never rolled over. */
export function derTime(node: DerNode): Date {
  const content = derContent(node);
  // No valid time is longer than ~30 characters; refuse early (spreading a huge value would overflow the stack).
  if (content.length > 64) throw derError(`time value of ${content.length} bytes`, node.start);
  const text = String.fromCharCode(...content);
  let m: RegExpMatchArray | null;
  if (derIsUniversal(node, TAG.UTCTime)) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/.exec(text);
    if (m) {
      const yy = Number(m[1]);
      return makeDate(yy >= 50 ? 1900 + yy : 2000 + yy, m, text, node);
    }
  } else if (derIsUniversal(node, TAG.GeneralizedTime)) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{4})$/.exec(text);
    if (m) return makeDate(Number(m[1]), m, text, node);
  }
  throw derError(`invalid time value "${text}"`, node.start);
}

function makeDate(year: number, m: RegExpMatchArray, text: string, node: DerNode): Date {
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6] ?? '0');
  const daysInMonth = month === 2 ? (isLeap(year) ? 29 : 28) : DAYS_IN_MONTH[month - 1]!;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) {
    throw derError(`invalid time value "${text}"`, node.start);
  }
  // Arithmetic rather than Date.UTC and setUTCFullYear: those are runtime calls that took about a tenth of
  // loading a 400-certificate trust list in a fresh process.
  let seconds = ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60 + Math.min(second, 59);
  const zone = m[7]!;
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    seconds -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60;
  }
  return new Date(seconds * 1000);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
