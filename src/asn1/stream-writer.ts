/**
 * BER pieces for streaming output: what a writer emits when it cannot know a length in advance.
 *
 * The form written for streamed content is the one `openssl cms -stream` writes, which every CMS reader accepts:
 *
 * ```
 * 24 80                      OCTET STRING, constructed, indefinite length (or A0 80 for [0] IMPLICIT)
 *    04 82 10 00 <4096 bytes>   primitive OCTET STRING chunks with definite lengths, all of `chunkSize` bytes
 *    04 82 10 00 <4096 bytes>
 *    04 81 9C <156 bytes>       ... but the last, which is shorter (never empty)
 * 00 00                      end-of-contents
 * ```
 *
 * Empty content is `24 80 00 00`. The enclosing SEQUENCEs and `[0]` wrappers are opened with
 * {@link berIndefiniteHeader} and closed with {@link END_OF_CONTENTS}.
 */
import { ArgumentError } from '../errors.js';

/** The end-of-contents octets that close an indefinite-length element. */
export const END_OF_CONTENTS: Uint8Array = Uint8Array.of(0x00, 0x00);

/** Default content size of the chunks of a streamed OCTET STRING: 4096 bytes, as `openssl cms -stream` writes. */
export const DEFAULT_OCTET_CHUNK_SIZE = 4096;

/**
 * The header of a constructed element with indefinite length: the one-byte `identifier` then 0x80. Close it with
 * {@link END_OF_CONTENTS}. `identifier` must have the constructed bit (0x20) and a low tag number (< 31).
 */
export function berIndefiniteHeader(identifier: number): Uint8Array {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 0xff || (identifier & 0x1f) === 0x1f) {
    throw new ArgumentError('bad-argument', `not a one-byte ASN.1 identifier: ${identifier}`);
  }
  if ((identifier & 0x20) === 0) {
    throw new ArgumentError('bad-argument', 'an indefinite length needs a constructed identifier');
  }
  return Uint8Array.of(identifier, 0x80);
}

/** Bytes of a definite length field for `length`. */
function lengthOctets(length: number): number {
  if (length < 0x80) return 1;
  let n = 1;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Writes a definite length field ending just before `end`; returns where it starts. */
function writeLengthBefore(out: Uint8Array, end: number, length: number): number {
  if (length < 0x80) {
    out[end - 1] = length;
    return end - 1;
  }
  let at = end;
  for (let v = length; v > 0; v = Math.floor(v / 256)) out[--at] = v & 0xff;
  out[at - 1] = 0x80 | (end - at);
  return at - 1;
}

/**
 * The identifier and definite length octets of an element of `length` content bytes, for writing a large primitive
 * value (one huge OCTET STRING) without copying it: write this header, then the content.
 */
export function berDefiniteHeader(identifier: number, length: number): Uint8Array {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 0xff || (identifier & 0x1f) === 0x1f) {
    throw new ArgumentError('bad-argument', `not a one-byte ASN.1 identifier: ${identifier}`);
  }
  if (!Number.isSafeInteger(length) || length < 0) throw new ArgumentError('bad-argument', `bad length ${length}`);
  const out = new Uint8Array(1 + lengthOctets(length));
  writeLengthBefore(out, out.length, length);
  out[0] = identifier;
  return out;
}

/** One primitive OCTET STRING (0x04, definite length) around `bytes` (copied). */
export function octetStringChunk(bytes: Uint8Array): Uint8Array {
  const header = 1 + lengthOctets(bytes.length);
  const out = new Uint8Array(header + bytes.length);
  writeLengthBefore(out, header, bytes.length);
  out[0] = 0x04;
  out.set(bytes, header);
  return out;
}

/** Options of {@link ChunkedOctetWriter} and {@link chunkedOctetString}. */
export interface ChunkedOctetOptions {
  /** Content bytes per chunk (every chunk but the last); default {@link DEFAULT_OCTET_CHUNK_SIZE}. */
  chunkSize?: number;
  /** Identifier of the outer constructed string: 0x24 (OCTET STRING, the default) or 0xA0 for `[0] IMPLICIT`. */
  identifier?: number;
}

/**
 * Turns content given in pieces of any size into a constructed, indefinite-length OCTET STRING of fixed-size
 * chunks (the form in the module documentation), synchronously: `start()` once, `write()` per piece, `end()` once;
 * each returns the encoded bytes ready to send (possibly none). Each chunk is built in place, copied once.
 */
export class ChunkedOctetWriter {
  readonly #chunkSize: number;
  readonly #identifier: number;
  /** Room reserved before the pending content for the longest header. */
  readonly #headerRoom: number;
  #pending: Uint8Array;
  #filled = 0;
  #state: 'new' | 'open' | 'ended' = 'new';

  constructor(options: ChunkedOctetOptions = {}) {
    const chunkSize = options.chunkSize ?? DEFAULT_OCTET_CHUNK_SIZE;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new ArgumentError('bad-argument', `bad OCTET STRING chunk size ${chunkSize}`);
    }
    this.#chunkSize = chunkSize;
    this.#identifier = options.identifier ?? 0x24;
    berIndefiniteHeader(this.#identifier); // validates
    this.#headerRoom = 1 + lengthOctets(chunkSize);
    this.#pending = new Uint8Array(this.#headerRoom + chunkSize);
  }

  /** The opening header (`24 80` or `A0 80`). */
  start(): Uint8Array {
    if (this.#state !== 'new') throw new ArgumentError('bad-argument', 'ChunkedOctetWriter.start called twice');
    this.#state = 'open';
    return berIndefiniteHeader(this.#identifier);
  }

  /** Adds content; returns the chunks it completed (each a complete `04 len content` TLV, in order). */
  write(bytes: Uint8Array): Uint8Array[] {
    if (this.#state !== 'open') throw new ArgumentError('bad-argument', 'ChunkedOctetWriter.write outside start/end');
    const out: Uint8Array[] = [];
    const size = this.#chunkSize;
    const room = this.#headerRoom;
    let offset = 0;
    while (offset < bytes.length) {
      const take = Math.min(size - this.#filled, bytes.length - offset);
      this.#pending.set(bytes.subarray(offset, offset + take), room + this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === size) out.push(this.#flush());
    }
    return out;
  }

  /** Ends the string: the last, shorter chunk (if any) and the end-of-contents octets. */
  end(): Uint8Array[] {
    if (this.#state !== 'open') throw new ArgumentError('bad-argument', 'ChunkedOctetWriter.end outside start/end');
    this.#state = 'ended';
    const out = this.#filled > 0 ? [this.#flush()] : [];
    out.push(END_OF_CONTENTS.slice());
    return out;
  }

  /** The pending chunk as a TLV (a view of its own buffer); starts a new buffer. */
  #flush(): Uint8Array {
    const buf = this.#pending;
    const end = this.#headerRoom + this.#filled;
    const at = writeLengthBefore(buf, this.#headerRoom, this.#filled) - 1;
    buf[at] = 0x04;
    this.#pending = new Uint8Array(this.#headerRoom + this.#chunkSize);
    this.#filled = 0;
    return buf.subarray(at, end);
  }
}

/**
 * The constructed, indefinite-length OCTET STRING (see the module documentation) of the content `source` yields,
 * as encoded pieces: the header, one piece per chunk, the end-of-contents.
 */
export async function* chunkedOctetString(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ChunkedOctetOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const writer = new ChunkedOctetWriter(options);
  yield writer.start();
  for await (const piece of source) yield* writer.write(piece);
  yield* writer.end();
}
