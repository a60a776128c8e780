/**
 * The one DER writer: enough for everything smimekit encodes by hand
 * (single-byte identifiers, definite lengths). PKI.js is not used for writing
 * because it encodes AES-GCM into EnvelopedData, which OpenSSL refuses.
 */
import { ArgumentError, FormatError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';

/** A TLV with a one-byte identifier around the concatenated parts. */
export function tlv(identifier: number, ...parts: Uint8Array[]): Uint8Array {
  const content = parts.length === 1 ? parts[0]! : concatBytes(...parts);
  const n = content.length;
  const header: number[] = [identifier];
  if (n < 0x80) header.push(n);
  else {
    const lenBytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) lenBytes.unshift(v & 0xff);
    header.push(0x80 | lenBytes.length, ...lenBytes);
  }
  const out = new Uint8Array(header.length + n);
  out.set(header);
  out.set(content, header.length);
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

/** OBJECT IDENTIFIER from dotted form. */
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
