/**
 * A convenience layer over `der.ts` for code that walks structures: each
 * element carries its buffer, and typed accessors check tags and throw
 * `malformed-der` with the offset. Also a small DER writer.
 */
import { ArgumentError, FormatError } from '../errors.js';
import { concatBytes } from './bytes.js';
import { childrenOf, decodeInteger, decodeOid, encodeOid, encodeTlv, readNode, readRoot, type DerNode as UtilDerNode } from './der.js';


/** A parsed BER element; `cs`..`ce` is its content inside `buf`. */
export interface DerNode {
  readonly buf: Uint8Array;
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  readonly constructed: boolean;
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  readonly cs: number;
  readonly ce: number;
  /** Offset just after the element (after the end-of-contents octets when indefinite). */
  readonly end: number;
  readonly indefinite: boolean;
}

function derError(message: string, offset: number): FormatError {
  return new FormatError('malformed-der', message, { offset });
}

function wrap(buf: Uint8Array, n: UtilDerNode): DerNode {
  return { buf, cls: n.cls, constructed: n.constructed, tag: n.tag, start: n.start, cs: n.contentStart, ce: n.contentEnd, end: n.end, indefinite: n.indefinite };
}

function unwrap(node: DerNode): UtilDerNode {
  return {
    cls: node.cls,
    constructed: node.constructed,
    tag: node.tag,
    start: node.start,
    contentStart: node.cs,
    contentEnd: node.ce,
    end: node.end,
    indefinite: node.indefinite,
    nonMinimalLength: false,
  };
}

/**
 * Parses one BER element (through `src/util/der.ts`); trailing bytes are an
 * error unless `allowTrailing`. Errors are FormatError `malformed-der`.
 */
export function derParse(bytes: Uint8Array, options?: { allowTrailing?: boolean }): DerNode {
  return wrap(bytes, options?.allowTrailing ? readNode(bytes, 0, bytes.length) : readRoot(bytes));
}

/** Children of a constructed element. */
export function derChildren(node: DerNode): DerNode[] {
  return childrenOf(node.buf, unwrap(node)).map((c) => wrap(node.buf, c));
}

/** Content octets (primitive elements only). */
export function derContent(node: DerNode): Uint8Array {
  return node.buf.subarray(node.cs, node.ce);
}

/** The whole encoding of the element. */
export function derBytes(node: DerNode): Uint8Array {
  return node.buf.subarray(node.start, node.end);
}

/** True for a universal-class element with this tag number. */
export function derIsUniversal(node: DerNode, tag: number): boolean {
  return node.cls === 0 && node.tag === tag;
}

export function derIsContext(node: DerNode, tag: number): boolean {
  return node.cls === 2 && node.tag === tag;
}

/** Children of a SEQUENCE, checking the tag; `min` = required number of children. */
export function derSequence(node: DerNode | undefined, what: string, min = 0): DerNode[] {
  if (!node || !derIsUniversal(node, 16) || !node.constructed) throw derError(`${what}: expected a SEQUENCE`, node?.start ?? 0);
  const kids = derChildren(node);
  if (kids.length < min) throw derError(`${what}: too few elements`, node.start);
  return kids;
}

/** Children of a SET. */
export function derSet(node: DerNode | undefined, what: string): DerNode[] {
  if (!node || !derIsUniversal(node, 17) || !node.constructed) throw derError(`${what}: expected a SET`, node?.start ?? 0);
  return derChildren(node);
}

/** Dotted OBJECT IDENTIFIER. */
export function derOid(node: DerNode | undefined, what = 'OID'): string {
  if (!node || !derIsUniversal(node, 6) || node.constructed || node.ce === node.cs) throw derError(`${what}: expected an OBJECT IDENTIFIER`, node?.start ?? 0);
  return decodeOid(derContent(node), node.cs);
}

/** INTEGER as bigint. */
export function derBigInt(node: DerNode | undefined, what = 'INTEGER'): bigint {
  if (!node || !derIsUniversal(node, 2) || node.constructed || node.ce === node.cs) throw derError(`${what}: expected an INTEGER`, node?.start ?? 0);
  return decodeInteger(derContent(node));
}

/** Small non-negative INTEGER as number. */
export function derSmallInt(node: DerNode | undefined, what = 'INTEGER'): number {
  const v = derBigInt(node, what);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw derError(`${what}: out of range`, node!.start);
  return Number(v);
}

/** OCTET STRING content, joining the pieces of a constructed (BER) one. */
export function derOctets(node: DerNode | undefined, what = 'OCTET STRING', implicitTag?: number): Uint8Array {
  const ok = node && (implicitTag === undefined ? derIsUniversal(node, 4) : derIsContext(node, implicitTag));
  if (!node || !ok) throw derError(`${what}: expected an OCTET STRING`, node?.start ?? 0);
  if (!node.constructed) return derContent(node);
  return concatBytes(...derChildren(node).map((c) => derOctets(c, what)));
}

/** BIT STRING content without the unused-bits octet (must be 0). */
export function derBitString(node: DerNode | undefined, what = 'BIT STRING'): Uint8Array {
  if (!node || !derIsUniversal(node, 3) || node.constructed || node.ce === node.cs) throw derError(`${what}: expected a BIT STRING`, node?.start ?? 0);
  const c = derContent(node);
  if (c[0] !== 0) throw derError(`${what}: unused bits in a key BIT STRING`, node.cs);
  return c.subarray(1);
}

/** AlgorithmIdentifier → { oid, params? }. */
export function derAlgorithm(node: DerNode | undefined, what = 'AlgorithmIdentifier'): { oid: string; params: DerNode | undefined } {
  const kids = derSequence(node, what, 1);
  const params = kids[1];
  return { oid: derOid(kids[0], what), params: params && derIsUniversal(params, 5) ? undefined : params };
}

/** DER element from an identifier octet and content. */
export function derEncode(identifier: number, ...content: Uint8Array[]): Uint8Array {
  return encodeTlv(identifier, content.length === 1 ? content[0]! : concatBytes(...content));
}

export const derSeq = (...items: Uint8Array[]): Uint8Array => derEncode(0x30, ...items);
export const derOctetString = (bytes: Uint8Array): Uint8Array => derEncode(0x04, bytes);
export const derNull = (): Uint8Array => Uint8Array.of(5, 0);

/** DER OBJECT IDENTIFIER from dotted form. */
export function derEncodeOid(oid: string): Uint8Array {
  return encodeOid(oid);
}

/** DER INTEGER from a non-negative bigint or number. */
export function derEncodeInt(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) throw new ArgumentError('bad-argument', 'negative INTEGER');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return derEncode(0x02, Uint8Array.from(bytes));
}
