/**
 * The one DER writer: enough for everything smimekit encodes by hand
 * (single-byte identifiers, definite lengths). PKI.js is not used for writing
 * because it encodes AES-GCM into EnvelopedData, which OpenSSL refuses.
 */
import { ArgumentError, FormatError } from '../errors.js';

/** A TLV with a one-byte identifier around the concatenated parts (written straight into the result). */
export function tlv(identifier: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  let lenBytes = 0;
  if (n >= 0x80) for (let v = n; v > 0; v = Math.floor(v / 256)) lenBytes++;
  const headerLength = 2 + lenBytes;
  const out = new Uint8Array(headerLength + n);
  out[0] = identifier;
  if (lenBytes === 0) out[1] = n;
  else {
    out[1] = 0x80 | lenBytes;
    for (let i = lenBytes, v = n; i > 0; i--, v = Math.floor(v / 256)) out[1 + i] = v & 0xff;
  }
  let at = headerLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** SEQUENCE of already-encoded elements. */
export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts);

/** SET of already-encoded elements, in the order given (use {@link setOf} for DER SET OF). */
export const set = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, ...parts);

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
