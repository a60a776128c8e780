/**
 * The one DER writer: enough for everything smimekit encodes by hand
 * (single-byte identifiers, definite lengths). PKI.js is not used for writing
 * because it encodes AES-GCM into EnvelopedData, which OpenSSL refuses.
 */
import { ArgumentError, FormatError } from '../errors.js';

/**
 * A TLV to be written inside another: {@link tlv} writes its header and parts straight into the enclosing result.
 * Building a structure of drafts and writing it with one `tlv` allocates one array, where nested `tlv` calls copy
 * every part once per level (an array over 64 bytes costs about a microsecond to allocate).
 */
export class DerDraft {
  /** Length of the whole encoding (header and content). */
  readonly length: number;
  readonly contentLength: number;
  constructor(
    readonly identifier: number,
    readonly parts: readonly DerPart[],
  ) {
    let n = 0;
    for (const p of parts) n += p.length;
    this.contentLength = n;
    this.length = headerLength(n) + n;
  }
}

/** Encoded bytes, or a draft written where it is used. */
export type DerPart = Uint8Array | DerDraft;

/** A draft TLV (see {@link DerDraft}); nothing is copied until an enclosing {@link tlv} writes it. */
export const draft = (identifier: number, ...parts: DerPart[]): DerDraft => new DerDraft(identifier, parts);

function headerLength(contentLength: number): number {
  let lenBytes = 0;
  if (contentLength >= 0x80) for (let v = contentLength; v > 0; v = Math.floor(v / 256)) lenBytes++;
  return 2 + lenBytes;
}

/** Writes identifier and definite length at `at`; returns the offset after them. */
function writeHeader(out: Uint8Array, at: number, identifier: number, n: number): number {
  const headerLen = headerLength(n);
  out[at] = identifier;
  if (headerLen === 2) out[at + 1] = n;
  else {
    const lenBytes = headerLen - 2;
    out[at + 1] = 0x80 | lenBytes;
    for (let i = lenBytes, v = n; i > 0; i--, v = Math.floor(v / 256)) out[at + 1 + i] = v & 0xff;
  }
  return at + headerLen;
}

function writeParts(out: Uint8Array, at: number, parts: readonly DerPart[]): number {
  for (const p of parts) {
    if (p instanceof DerDraft) at = writeParts(out, writeHeader(out, at, p.identifier, p.contentLength), p.parts);
    else {
      out.set(p, at);
      at += p.length;
    }
  }
  return at;
}

/** A TLV with a one-byte identifier around the concatenated parts (drafts included), written into one new array. */
export function tlv(identifier: number, ...parts: DerPart[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(headerLength(n) + n);
  writeParts(out, writeHeader(out, 0, identifier, n), parts);
  return out;
}

/** The bytes of a part: a draft written out, encoded bytes as they are. */
export function derEncode(part: DerPart): Uint8Array {
  if (!(part instanceof DerDraft)) return part;
  const out = new Uint8Array(part.length);
  writeParts(out, 0, [part]);
  return out;
}

/** SEQUENCE of already-encoded elements. */
export const seq = (...parts: DerPart[]): Uint8Array => tlv(0x30, ...parts);

/** SET of already-encoded elements, in the order given (use {@link setOf} for DER SET OF). */
export const set = (...parts: DerPart[]): Uint8Array => tlv(0x31, ...parts);

/** OCTET STRING. */
export const octets = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);

/** The DER NULL. */
export const NULL: Uint8Array = Uint8Array.of(0x05, 0x00);

/** DER SET OF: elements sorted by their encodings (X.690 §11.6). */
export function setOf(elements: Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort((a, b) => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  return set(...sorted);
}

/** OBJECT IDENTIFIER from dotted form (each OID encoded once; every call gets its own copy). */
export function encodeOid(oid: string): Uint8Array {
  let der = oidCache.get(oid);
  if (!der) {
    der = encodeOidUncached(oid);
    if (oidCache.size < 1024) oidCache.set(oid, der);
  }
  return der.slice();
}
const oidCache = new Map<string, Uint8Array>();

function encodeOidUncached(oid: string): Uint8Array {
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
  return tlv(0x06, Uint8Array.from(body));
}

/** INTEGER from a non-negative number or bigint. */
export function encodeInt(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) throw new ArgumentError('bad-argument', 'negative INTEGER');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** AlgorithmIdentifier with optional (already encoded) parameters. */
export function algorithmId(oid: string, params?: Uint8Array): Uint8Array {
  return params ? seq(encodeOid(oid), params) : seq(encodeOid(oid));
}
