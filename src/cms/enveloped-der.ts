/**
 * Small DER writing/reading helpers shared by the EnvelopedData,
 * AuthEnvelopedData, RecipientInfo and CompressedData code. Writing is done by
 * hand (PKI.js writes AES-GCM into EnvelopedData, which OpenSSL refuses);
 * reading goes through the bounds-checked reader of `src/util/der.ts`.
 */
import { octetStringValue } from './octets.js';
import { FormatError, SmimeError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import { encodeOid, encodeTlv } from '../util/der.js';
import { derAlgorithm, derBytes, derChildren, derContent, derIsContext, derParse } from '../util/der-element.js';
import type { DerNode } from '../util/der-element.js';

export type { DerNode };

/** A TLV with a one-byte identifier around the concatenated parts. */
export function tlv(identifier: number, ...parts: Uint8Array[]): Uint8Array {
  return encodeTlv(identifier, parts.length === 1 ? parts[0]! : concatBytes(...parts));
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts);
export const set = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, ...parts);
export const octets = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
export const oid = (dotted: string): Uint8Array => encodeOid(dotted);
export const NULL = Uint8Array.of(0x05, 0x00);

/** DER INTEGER of a small non-negative number. */
export function int(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** AlgorithmIdentifier with optional (already encoded) parameters. */
export function algorithmId(dotted: string, params?: Uint8Array): Uint8Array {
  return params ? seq(oid(dotted), params) : seq(oid(dotted));
}

/** DER SET OF: elements sorted by their encodings (X.690 §11.6). */
export function setOf(elements: Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort((a, b) => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  return set(...sorted);
}

/**
 * Content of an OCTET STRING (or an IMPLICIT-tagged one), primitive or
 * constructed (BER chunks, as OpenSSL and Outlook stream large messages).
 * Joins iteratively: a 150 MB message can have 150 000 chunks.
 */
export function octetsOf(node: DerNode | undefined, what: string): Uint8Array {
  if (!node) throw malformed(`${what} is missing`);
  const { buf, cs, ce, ...rest } = node;
  return octetStringValue(buf, { ...rest, contentStart: cs, contentEnd: ce, nonMinimalLength: false });
}

export function malformed(message: string, cause?: unknown): FormatError {
  return new FormatError('malformed-cms', message, cause === undefined ? undefined : { cause });
}

/** Runs a parser, turning low-level DER errors into `malformed-cms` (typed smimekit errors other than DER ones pass through). */
export function parsing<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SmimeError && e.code !== 'malformed-der') throw e;
    throw malformed(`${what}: ${(e as Error).message}`, e);
  }
}

/** A parsed AlgorithmIdentifier: OID, parameters node, and the exact encoding. */
export interface ParsedAlgorithm {
  oid: string;
  params: DerNode | undefined;
  der: Uint8Array;
}

export function parseAlgorithm(node: DerNode | undefined, what = 'AlgorithmIdentifier'): ParsedAlgorithm {
  const { oid: o, params } = derAlgorithm(node, what);
  return { oid: o, params, der: derBytes(node!) };
}

export { derBytes, derChildren, derContent, derIsContext, derParse };
