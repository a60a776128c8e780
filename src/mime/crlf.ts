/**
 * Bare LF → CRLF, and bodies kept unconverted until they are written. Signing a 25 MB body with bare LFs used to
 * convert it into a buffer of its own and then copy that into the signed message: two fresh buffers of the
 * message's size, which on a virtual machine cost more in page faults than the whole signature. A deferred body
 * is converted in small blocks for the digest and straight into the output for writing.
 */
import { joinPieces } from '../util/bytes.js';
import { forEachLf, lineSearch } from '../util/native-buffer.js';

/** A body whose bare LFs become CRLF when it is written. */
interface CrlfBody {
  /** The body as it is (bare LFs and CRLFs mixed). */
  readonly crlfOf: Uint8Array;
  /** Its length once converted. */
  readonly length: number;
}

/** A piece of a canonical entity: bytes as they are, or a body still to be brought to CRLF. */
export type EntityPiece = Uint8Array | CrlfBody;

/** The LFs without a CR before them (`lastWasCr`: the bytes before these, in a stream, ended with one). */
export function bareLfCount(bytes: Uint8Array, lastWasCr = false): number {
  let bare = 0;
  forEachLf(bytes, (i) => {
    if (i === 0 ? !lastWasCr : bytes[i - 1] !== 0x0d) bare++;
  });
  return bare;
}

/** True when some LF has no CR before it (stops at the first). */
export function hasBareLf(bytes: Uint8Array): boolean {
  let bare = false;
  forEachLf(bytes, (i) => (bare = i === 0 || bytes[i - 1] !== 0x0d));
  return bare;
}

/** Writes `[from, to)` of `bytes` with CRLF line ends into `out` at `offset`; returns the offset after it. */
function writeCrlfRange(bytes: Uint8Array, from: number, to: number, out: Uint8Array, offset: number): number {
  let n = offset;
  let copied = from;
  const s = lineSearch(bytes);
  for (let i = s.indexOf(0x0a, from); i >= 0 && i < to; i = s.indexOf(0x0a, i + 1)) {
    if (i > 0 && bytes[i - 1] === 0x0d) continue;
    out.set(bytes.subarray(copied, i), n);
    n += i - copied;
    out[n++] = 0x0d;
    copied = i;
  }
  out.set(bytes.subarray(copied, to), n);
  return n + to - copied;
}

/** Bare LF → CRLF (existing CRLF kept). Returns the input itself when already canonical. */
export function toCrlf(bytes: Uint8Array): Uint8Array {
  const bare = bareLfCount(bytes);
  if (bare === 0) return bytes;
  const out = new Uint8Array(bytes.length + bare);
  writeCrlfRange(bytes, 0, bytes.length, out, 0);
  return out;
}

/** `body` to be converted when written; the bytes themselves when they have no bare LF. */
export function deferCrlf(body: Uint8Array): EntityPiece {
  const bare = bareLfCount(body);
  return bare === 0 ? body : { crlfOf: body, length: body.length + bare };
}

/** Bytes of the input converted per block for the digest: small enough to stay in memory already in use. */
const DIGEST_BLOCK = 64 * 1024;
let scratch: Uint8Array | undefined;

/**
 * Hands `update` the pieces' bytes in order, converting deferred bodies a block at a time into one scratch buffer
 * that is reused: `update` must consume each view before it returns (a hash does).
 */
export function feedPieces(pieces: readonly EntityPiece[], update: (bytes: Uint8Array) => void): void {
  for (const piece of pieces) {
    if (piece instanceof Uint8Array) {
      update(piece);
      continue;
    }
    const body = piece.crlfOf;
    scratch ??= new Uint8Array(DIGEST_BLOCK * 2);
    for (let from = 0; from < body.length; from += DIGEST_BLOCK) {
      const to = Math.min(body.length, from + DIGEST_BLOCK);
      update(scratch.subarray(0, writeCrlfRange(body, from, to, scratch, 0)));
    }
  }
}

/** The pieces as one array, deferred bodies converted in place: the one copy of the whole. */
export function flattenPieces(pieces: readonly EntityPiece[]): Uint8Array {
  if (pieces.every((p) => p instanceof Uint8Array)) return joinPieces(pieces);
  const out = new Uint8Array(pieces.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    if (piece instanceof Uint8Array) {
      out.set(piece, offset);
      offset += piece.length;
    } else offset = writeCrlfRange(piece.crlfOf, 0, piece.crlfOf.length, out, offset);
  }
  return out;
}
