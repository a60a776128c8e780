/**
 * The one BER/DER reader. Nodes carry their buffer and absolute offsets into
 * it; nothing is copied or re-encoded, so callers can hash exactly the bytes
 * they received. BER (indefinite lengths, constructed strings) is read in
 * place, lengths are not capped below what the buffer holds, and nesting is
 * bounded.
 */
import { FormatError, LimitError } from '../errors.js';

/** One TLV. All offsets are absolute positions in `buf`. */
export interface DerNode {
  /** The buffer the node was read from. */
  readonly buf: Uint8Array;
  /** Class bits: 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  readonly constructed: boolean;
  /** Tag number (16 for SEQUENCE, 0 for `[0]`). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset after the last content byte (before the end-of-contents octets when indefinite). */
  readonly contentEnd: number;
  /** Offset after the whole TLV (end-of-contents octets included). */
  readonly end: number;
  /** The length was in BER indefinite form. */
  readonly indefinite: boolean;
  /** The length was not in minimal (DER) form. */
  readonly nonMinimalLength: boolean;
}

/** Universal tag numbers smimekit reads or writes. */
export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  ENUMERATED: 10,
  UTF8String: 12,
  SEQUENCE: 16,
  SET: 17,
  NumericString: 18,
  PrintableString: 19,
  T61String: 20,
  IA5String: 22,
  UTCTime: 23,
  GeneralizedTime: 24,
  VisibleString: 26,
  UniversalString: 28,
  BMPString: 30,
} as const;

/** Deeper nesting than this is refused (no real structure comes close; recursion must stay bounded). */
export const MAX_DEPTH = 64;

/** The `malformed-der` error, with the offset where reading failed. */
export function derError(message: string, offset: number): FormatError {
  return new FormatError('malformed-der', message, { offset });
}

/** Reads the TLV starting at `offset` in `bytes`, which must end at or before `limit`. */
export function derRead(bytes: Uint8Array, offset: number, limit = bytes.length, depth = 0): DerNode {
  if (depth > MAX_DEPTH)
    throw new LimitError('limit-exceeded', `ASN.1 nesting deeper than ${MAX_DEPTH}`, {
      offset,
      details: { limit: 'asn1-depth', value: MAX_DEPTH },
    });
  let pos = offset;
  if (pos >= limit) throw derError('truncated ASN.1 identifier', pos);
  const first = bytes[pos++]!;
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit) throw derError('truncated ASN.1 tag', pos);
      if (i >= 4) throw derError('ASN.1 tag number too large', pos);
      const b = bytes[pos++]!;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) throw derError('truncated ASN.1 length', pos);
  const lenByte = bytes[pos++]!;
  if (lenByte === 0x80) return readIndefinite(bytes, offset, pos, limit, depth, cls, constructed, tag);
  let length = lenByte;
  let nonMinimalLength = false;
  if (lenByte & 0x80) {
    const count = lenByte & 0x7f;
    if (count > 6) throw derError('ASN.1 length field too large', pos - 1);
    if (pos + count > limit) throw derError('truncated ASN.1 length', pos);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[pos++]!;
    if (length < 0x80 || bytes[pos - count] === 0) nonMinimalLength = true;
  }
  if (length > limit - pos) {
    throw derError(`ASN.1 value length ${length} exceeds the ${limit - pos} bytes available`, offset);
  }
  const end = pos + length;
  return {
    buf: bytes,
    cls,
    constructed,
    tag,
    start: offset,
    contentStart: pos,
    contentEnd: end,
    end,
    indefinite: false,
    nonMinimalLength,
  };
}

// Indefinite length: the content runs until the end-of-contents octets that follow the last child.
function readIndefinite(
  bytes: Uint8Array,
  offset: number,
  contentStart: number,
  limit: number,
  depth: number,
  cls: number,
  constructed: boolean,
  tag: number,
): DerNode {
  if (!constructed) throw derError('indefinite length on a primitive ASN.1 value', offset);
  let cursor = contentStart;
  for (;;) {
    if (cursor + 2 <= limit && bytes[cursor] === 0 && bytes[cursor + 1] === 0) {
      const end = cursor + 2;
      return {
        buf: bytes,
        cls,
        constructed,
        tag,
        start: offset,
        contentStart,
        contentEnd: cursor,
        end,
        indefinite: true,
        nonMinimalLength: false,
      };
    }
    if (cursor >= limit) throw derError('indefinite-length ASN.1 value without end-of-contents', offset);
    cursor = derRead(bytes, cursor, limit, depth + 1).end;
  }
}

/**
 * Reads one element from `bytes`. Trailing bytes are an error unless
 * `allowTrailing` (then the element simply ends before them).
 */
export function derParse(bytes: Uint8Array, options?: { allowTrailing?: boolean }): DerNode {
  const node = derRead(bytes, 0, bytes.length);
  if (!options?.allowTrailing && node.end !== bytes.length) {
    throw derError(`${bytes.length - node.end} unexpected bytes after the ASN.1 value`, node.end);
  }
  return node;
}

/** The direct children of a constructed node. */
export function derChildren(node: DerNode): DerNode[] {
  if (!node.constructed) throw derError('expected a constructed ASN.1 value', node.start);
  const out: DerNode[] = [];
  let pos = node.contentStart;
  while (pos < node.contentEnd) {
    const child = derRead(node.buf, pos, node.contentEnd);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Content octets of a node (a view, no copy). */
export function derContent(node: DerNode): Uint8Array {
  return node.buf.subarray(node.contentStart, node.contentEnd);
}

/** The whole encoding of a node, as received (a view, no copy). */
export function derBytes(node: DerNode): Uint8Array {
  return node.buf.subarray(node.start, node.end);
}

/** Universal types X.690 allows in one form only: BOOLEAN, INTEGER, NULL, OID, REAL, ENUMERATED, RELATIVE-OID. */
const PRIMITIVE_ONLY = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 6) | (1 << 9) | (1 << 10) | (1 << 13);
/** SEQUENCE and SET. */
const CONSTRUCTED_ONLY = (1 << 16) | (1 << 17);

/**
 * True for a universal-class node with this tag number, in a form its type allows (a constructed OBJECT IDENTIFIER
 * or a primitive SEQUENCE is not one: X.690 §8).
 */
export function derIsUniversal(node: DerNode, tag: number): boolean {
  if (node.cls !== 0 || node.tag !== tag) return false;
  if (tag > 17) return true;
  const bit = 1 << tag;
  return node.constructed ? (bit & PRIMITIVE_ONLY) === 0 : (bit & CONSTRUCTED_ONLY) === 0;
}

/** True for a context-specific node (`[tag]`). */
export function derIsContext(node: DerNode, tag: number): boolean {
  return node.cls === 2 && node.tag === tag;
}

/** Returns the node when it is the expected universal type, else throws `malformed-der` naming `what`. */
export function derExpect(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || !derIsUniversal(node, tag)) throw derError(`${what}: unexpected ASN.1 tag`, node?.start ?? 0);
  return node;
}
