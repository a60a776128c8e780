/**
 * A pull reader for BER over a byte stream, for CMS messages too large to hold in memory (streaming SignedData,
 * EnvelopedData, AuthEnvelopedData). It reads what `openssl cms -stream` writes (indefinite lengths, the content as a
 * constructed OCTET STRING of primitive chunks) as well as the all-definite form with one huge primitive OCTET STRING.
 *
 * The caller walks the structure: {@link BerStreamReader.readHeader} opens an element, the small parts
 * (certificates, RecipientInfos, SignerInfos) come whole from {@link BerStreamReader.readElement} as bytes that
 * `derParse` accepts, the content comes piece by piece from {@link BerStreamReader.octetStringChunks}, and
 * {@link BerStreamReader.endElement} closes an element (consuming its end-of-contents octets, or checking that a
 * definite one was read to its end). Definite lengths of enclosing elements are enforced: no element may run past
 * its parent's end.
 *
 * The file is long (one class over 600 lines) because the buffer management, the open-element stack and the
 * error paths belong together: split apart, each piece would need the others' private state.
 *
 * Memory: the reader holds at most the source chunk it is working in (plus a few header bytes gathered across
 * chunks), and whatever `readElement` / `readContent` are asked to return, which is capped by `maxElementLength`.
 *
 * @example
 * ```ts
 * const r = new BerStreamReader(stream);
 * const contentInfo = await r.readHeader();            // SEQUENCE
 * const contentType = derOid(derParse(await r.readElement()));
 * const explicit = await r.readHeader();               // [0]
 * const signedData = await r.readHeader();             // SEQUENCE
 * // ... version, digestAlgorithms with readElement, encapContentInfo with readHeader ...
 * for await (const piece of r.octetStringChunks(await r.readHeader())) hash.update(piece);
 * // ... peekHeader() for the optional [0] certificates / [1] crls, readElement for each ...
 * await r.endElement(signedData); await r.endElement(explicit); await r.endElement(contentInfo);
 * if (!(await r.atEnd())) throw new Error('trailing data');
 * ```
 */
import { ArgumentError, type FormatError, LimitError } from '../errors.js';
import { MAX_DEPTH, derError } from './read.js';

/** One BER identifier and length, as read from the stream. */
export interface BerHeader {
  /** Class bits: 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  readonly constructed: boolean;
  /** Tag number (16 for SEQUENCE, 0 for `[0]`). */
  readonly tag: number;
  /** Content length; `undefined` for the indefinite form. */
  readonly length: number | undefined;
  /** Bytes of identifier and length octets. */
  readonly headerLength: number;
  /** Absolute offset of the identifier octet in the stream. */
  readonly offset: number;
}

/** Options of {@link BerStreamReader}. */
export interface BerStreamReaderOptions {
  /** Cap on the bytes `readElement` / `readContent` buffer and return (default 64 MiB). */
  maxElementLength?: number;
  /** Deepest nesting of open elements (and of indefinite elements inside `readElement`); default 64. */
  maxDepth?: number;
  /** Aborting rejects the pending and every later call with the signal's reason and cancels the source. */
  signal?: AbortSignal;
}

/** What {@link BerStreamReader} reads: a stream or (async) iterable of byte chunks, or one byte array. */
export type BerSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

/** Default {@link BerStreamReaderOptions.maxElementLength}: 64 MiB. */
export const DEFAULT_MAX_ELEMENT_LENGTH = 64 * 1024 * 1024;

/** An element opened with `readHeader` and not yet ended. */
interface OpenElement {
  readonly header: BerHeader;
  /** Absolute offset after the content; undefined when indefinite. */
  readonly end: number | undefined;
  /** The nearest definite end among this element and its ancestors (Infinity when there is none). */
  readonly limit: number;
}

/** Longest header the reader accepts: identifier with 4 tag-number octets, a length with 8 length octets. */
const MAX_HEADER = 1 + 4 + 1 + 8;

/**
 * Parses the identifier and length octets at `bytes[at..end)`. Returns the header, or, when the bytes end before the
 * header does, the negated number of further bytes needed at least. `offset` is the absolute offset of `bytes[at]`.
 */
function parseHeaderAt(bytes: Uint8Array, at: number, end: number, offset: number): BerHeader | number {
  let p = at;
  if (p >= end) return -1;
  const first = bytes[p++]!;
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (p >= end) return -1;
      if (i >= 4) throw derError('ASN.1 tag number too large', offset + (p - at));
      const b = bytes[p++]!;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (p >= end) return -1;
  const lenByte = bytes[p++]!;
  let length: number | undefined;
  if (lenByte === 0x80) {
    if (!constructed) throw derError('indefinite length on a primitive ASN.1 value', offset);
    length = undefined;
  } else if (lenByte < 0x80) {
    length = lenByte;
  } else {
    const count = lenByte & 0x7f;
    if (count > 8) throw derError('ASN.1 length field too large', offset + (p - 1 - at));
    if (end - p < count) return -(count - (end - p));
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[p++]!;
    if (length > Number.MAX_SAFE_INTEGER) throw derError('ASN.1 length beyond 2^53', offset);
  }
  return { cls, constructed, tag, length, headerLength: p - at, offset };
}

function isReadableStream(source: unknown): source is ReadableStream<Uint8Array> {
  return source != null && typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}

/**
 * Reads BER from a `ReadableStream<Uint8Array>`, an (async) iterable of byte chunks or one byte array, one element
 * at a time. See the module documentation for the walk; every method rejects with `FormatError` (`malformed-der`, with the offset) on
 * malformed or truncated input, `LimitError` (`limit-exceeded`) over a configured bound, and passes the source's own
 * errors through unchanged. After an error the reader's state is undefined: cancel it.
 */
export class BerStreamReader {
  /** Unread chunks; the first may be a view into a partly consumed source chunk. */
  #queue: Uint8Array[] = [];
  #buffered = 0;
  #position = 0;
  #eof = false;
  readonly #read: () => Promise<{ done?: boolean; value?: unknown }>;
  readonly #cancelSource: (reason: unknown) => Promise<void>;
  readonly #stack: OpenElement[] = [];
  /** Headers whose element was completed by readContent / octetStringChunks / readEndOfContents. */
  readonly #closed = new WeakSet<BerHeader>();
  readonly #maxElementLength: number;
  readonly #maxDepth: number;
  readonly #signal: AbortSignal | undefined;
  readonly #scratch = new Uint8Array(MAX_HEADER + 2);

  constructor(source: BerSource, options: BerStreamReaderOptions = {}) {
    this.#maxElementLength = options.maxElementLength ?? DEFAULT_MAX_ELEMENT_LENGTH;
    this.#maxDepth = options.maxDepth ?? MAX_DEPTH;
    this.#signal = options.signal;
    if (isReadableStream(source)) {
      const reader = source.getReader();
      this.#read = () => reader.read();
      this.#cancelSource = (reason) => reader.cancel(reason);
    } else if (source instanceof Uint8Array) {
      let done = false;
      this.#read = async () => (done ? { done: true } : ((done = true), { done: false, value: source }));
      this.#cancelSource = async () => undefined;
    } else if (source && typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
      const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      this.#read = () => iterator.next();
      this.#cancelSource = async (reason) => {
        await iterator.return?.(reason);
      };
    } else {
      const iterator = (source as Iterable<Uint8Array>)?.[Symbol.iterator]?.();
      if (!iterator) {
        throw new ArgumentError('bad-argument', 'BerStreamReader needs a ReadableStream or an iterable of byte chunks');
      }
      this.#read = async () => iterator.next();
      this.#cancelSource = async () => {
        iterator.return?.();
      };
    }
    this.#signal?.addEventListener('abort', () => void this.cancel(this.#signal?.reason).catch(() => undefined), {
      once: true,
    });
  }

  /** Absolute offset of the next unread byte. */
  get position(): number {
    return this.#position;
  }

  /** How many elements opened with `readHeader` are not yet ended. */
  get depth(): number {
    return this.#stack.length;
  }

  // ---- input management ------------------------------------------------------------------------------------------

  /** Pulls one more chunk from the source (empty chunks are skipped); sets #eof at its end. */
  async #pullChunk(): Promise<void> {
    const signal = this.#signal;
    if (signal?.aborted) throw signal.reason;
    if (this.#eof) return;
    for (;;) {
      const next = signal ? await raceAbort(this.#read(), signal) : await this.#read();
      if (next.done) {
        this.#eof = true;
        return;
      }
      const chunk: unknown = next.value;
      if (!(chunk instanceof Uint8Array)) {
        throw new ArgumentError(
          'bad-argument',
          'BerStreamReader: the source yielded something other than a Uint8Array',
        );
      }
      if (chunk.length === 0) continue;
      this.#queue.push(chunk);
      this.#buffered += chunk.length;
      return;
    }
  }

  /** Buffers until at least `n` bytes are unread or the input ends; true when `n` bytes are there. */
  async #fill(n: number): Promise<boolean> {
    if (this.#signal?.aborted) throw this.#signal.reason;
    while (this.#buffered < n && !this.#eof) await this.#pullChunk();
    return this.#buffered >= n;
  }

  /** The first `n` (≤ buffered, ≤ scratch size) unread bytes as one view: no copy when they sit in one chunk. */
  #peek(n: number): Uint8Array {
    const head = this.#queue[0];
    if (head && head.length >= n) return head;
    const out = this.#scratch;
    let at = 0;
    for (const chunk of this.#queue) {
      const take = Math.min(n - at, chunk.length);
      out.set(chunk.subarray(0, take), at);
      at += take;
      if (at === n) break;
    }
    return out.subarray(0, at);
  }

  /** Drops `n` (≤ buffered) unread bytes. */
  #consume(n: number): void {
    this.#buffered -= n;
    this.#position += n;
    while (n > 0) {
      const head = this.#queue[0]!;
      if (n >= head.length) {
        this.#queue.shift();
        n -= head.length;
      } else {
        this.#queue[0] = head.subarray(n);
        n = 0;
      }
    }
  }

  /** True when the next two unread bytes, already buffered, are 00 00. */
  #eocAhead(): boolean {
    const head = this.#queue[0]!;
    if (head.length >= 2) return head[0] === 0 && head[1] === 0;
    return head[0] === 0 && this.#queue[1]![0] === 0;
  }

  /** True when the next two unread bytes are 00 00 (buffers them). */
  async #atEndOfContents(): Promise<boolean> {
    if (this.#buffered < 2 && !(await this.#fill(2))) return false;
    return this.#eocAhead();
  }

  /** The next header when its bytes are buffered (not consumed), else null. */
  #headerAhead(): BerHeader | null {
    if (this.#buffered === 0) return null;
    const head = this.#queue[0]!;
    const view =
      head.length >= MAX_HEADER || head.length === this.#buffered
        ? head
        : this.#peek(Math.min(this.#buffered, MAX_HEADER));
    const result = parseHeaderAt(view, 0, Math.min(view.length, MAX_HEADER), this.#position);
    return typeof result === 'number' ? null : result;
  }

  /** Parses the next header without consuming it; undefined when the input has ended. */
  async #parseNext(): Promise<BerHeader | undefined> {
    for (;;) {
      const header = this.#headerAhead();
      if (header) return header;
      if (this.#signal?.aborted) throw this.#signal.reason;
      if (this.#eof) {
        if (this.#buffered === 0) return undefined;
        throw derError('truncated ASN.1 header', this.#position);
      }
      await this.#pullChunk();
    }
  }

  // ---- element bookkeeping ---------------------------------------------------------------------------------------

  #top(): OpenElement | undefined {
    return this.#stack[this.#stack.length - 1];
  }

  #pop(header: BerHeader): void {
    this.#stack.pop();
    this.#closed.add(header);
  }

  /** Throws unless `header` is the innermost open element and none of its content was consumed yet. */
  #requireFresh(header: BerHeader, what: string): OpenElement {
    const top = this.#top();
    if (!top || top.header !== header || this.#position !== header.offset + header.headerLength) {
      throw new ArgumentError('bad-argument', `${what}: call it right after readHeader returned this header`);
    }
    return top;
  }

  /** Checks that another element may start here (not at the parent's end, not at its end-of-contents, depth). */
  async #checkChildStart(extraDepth: number): Promise<OpenElement | undefined> {
    const top = this.#top();
    if (top) {
      this.#requireConstructed(top);
      if (top.end !== undefined && this.#position >= top.end) {
        throw derError(`no more elements inside the element at offset ${top.header.offset}`, this.#position);
      }
      if (top.end === undefined && (this.#buffered >= 2 ? this.#eocAhead() : await this.#atEndOfContents())) {
        throw derError('unexpected end-of-contents where an element was expected', this.#position);
      }
    }
    this.#checkDepth(extraDepth);
    return top;
  }

  /** Children can only be read inside a constructed element: the content of a primitive one is not a header. */
  #requireConstructed(top: OpenElement): void {
    if (!top.header.constructed) {
      throw new ArgumentError(
        'bad-argument',
        'the innermost open element is primitive: read its content with readContent or octetStringChunks',
      );
    }
  }

  #checkDepth(extraDepth: number): void {
    if (this.#stack.length + extraDepth > this.#maxDepth) {
      throw new LimitError('limit-exceeded', `ASN.1 nesting deeper than ${this.#maxDepth}`, {
        offset: this.#position,
        details: { limit: 'asn1-depth', value: this.#maxDepth },
      });
    }
  }

  /** Consumes the header just parsed and opens its element, checking it fits in the enclosing one. */
  #open(header: BerHeader, parent: OpenElement | undefined): BerHeader {
    const limit = parent?.limit ?? Infinity;
    const contentStart = header.offset + header.headerLength;
    if (contentStart > limit || (header.length !== undefined && contentStart + header.length > limit)) {
      throw derError('ASN.1 element runs past the end of its enclosing element', header.offset);
    }
    this.#consume(header.headerLength);
    const end = header.length === undefined ? undefined : contentStart + header.length;
    this.#stack.push({ header, end, limit: end ?? limit });
    return header;
  }

  // ---- public API ------------------------------------------------------------------------------------------------

  /**
   * The next header without consuming it. `undefined` when there is no next element here: at the end of the input,
   * at the end of the innermost open definite element, or at the end-of-contents octets of the innermost open
   * indefinite one — so a loop over optional or repeated children stops by itself, and `endElement` follows.
   */
  async peekHeader(): Promise<BerHeader | undefined> {
    const top = this.#top();
    if (top) {
      this.#requireConstructed(top);
      if (top.end !== undefined && this.#position >= top.end) return undefined;
      if (top.end === undefined && (await this.#atEndOfContents())) return undefined;
    }
    return this.#parseNext();
  }

  /**
   * Reads a header and opens its element (end it with `endElement`, or read its content with `readContent` /
   * `octetStringChunks`, which end it). `malformed-der` at the end of the input, at the end of the enclosing
   * element, on a bad header (more than 8 length octets, a length over 2^53, an indefinite primitive) or when the
   * declared length runs past the enclosing element's end.
   */
  async readHeader(): Promise<BerHeader> {
    const top = await this.#checkChildStart(1);
    const header = this.#headerAhead() ?? (await this.#parseNext());
    if (!header) throw derError('end of input where an ASN.1 element was expected', this.#position);
    return this.#open(header, top);
  }

  /**
   * When the next two bytes are the end-of-contents octets 00 00, consumes them and returns true; otherwise false.
   * Inside an open indefinite element this ends that element (a later `endElement` for it is a no-op); inside an
   * open definite element it is always false (end-of-contents octets cannot occur there).
   */
  async readEndOfContents(): Promise<boolean> {
    const top = this.#top();
    if (top?.end !== undefined) return false;
    if (!(await this.#atEndOfContents())) return false;
    if (top && this.#position + 2 > top.limit) {
      throw derError('ASN.1 element runs past the end of its enclosing element', this.#position);
    }
    this.#consume(2);
    if (top) this.#pop(top.header);
    return true;
  }

  /**
   * Reads one whole element, header included, exactly the bytes received (BER allowed inside), as a fresh array
   * that `derParse` accepts. For certificates, RecipientInfos, SignerInfos and other small parts. Over the reader's
   * `maxElementLength` (the default `maxLength`): `LimitError` `limit-exceeded` with `details.limit`
   * `'maxElementLength'`; over a smaller `maxLength` (a field's own bound): `FormatError` `malformed-der`. Raised
   * before the bytes are buffered when the length is definite.
   */
  async readElement(maxLength: number = this.#maxElementLength): Promise<Uint8Array> {
    await this.#checkChildStart(0);
    return this.#collect(false, maxLength);
  }

  /**
   * Reads the content of the element whose header `readHeader` just returned, and ends it: for a definite length
   * exactly `length` bytes; for an indefinite one everything up to the matching end-of-contents, which is consumed
   * but not returned (the children's encodings, as received). Bounded by `maxLength` like `readElement`.
   */
  async readContent(header: BerHeader, maxLength: number = this.#maxElementLength): Promise<Uint8Array> {
    this.#requireFresh(header, 'readContent');
    let content: Uint8Array;
    if (header.length === undefined) {
      content = await this.#collect(true, maxLength);
    } else {
      if (header.length > maxLength) throw this.#tooLong(maxLength, header.offset);
      content = await this.#collect(true, maxLength, header.length);
    }
    this.#pop(header);
    return content;
  }

  /**
   * Streams the content octets of the OCTET STRING (or `[n] IMPLICIT OCTET STRING`; the caller checks the outer tag)
   * whose header `readHeader` just returned, and ends it: primitive, constructed definite, constructed indefinite,
   * nested constructed. Pieces are yielded as they arrive, as views into the source's chunks (never empty, never
   * copied); a piece stays valid after the next one is requested. `malformed-der` for a piece that is not a
   * universal OCTET STRING, for truncation, or for lengths that run past their parent. Run the iteration to its end:
   * leaving it early leaves the reader in the middle of the string.
   */
  async *octetStringChunks(header: BerHeader): AsyncGenerator<Uint8Array, void, undefined> {
    this.#requireFresh(header, 'octetStringChunks');
    let piece: BerHeader | undefined = header.constructed ? undefined : header;
    for (;;) {
      if (!piece) {
        // Inside a constructed string (the innermost open element): its end, or its next piece.
        const top = this.#top()!;
        const atEnd =
          top.end !== undefined
            ? this.#position >= top.end
            : this.#buffered >= 2
              ? this.#eocAhead()
              : await this.#atEndOfContents();
        if (atEnd) {
          if (top.end === undefined) {
            if (this.#position + 2 > top.limit) {
              throw derError('ASN.1 element runs past the end of its enclosing element', this.#position);
            }
            this.#consume(2);
          }
          this.#pop(top.header);
          if (top.header === header) return;
          continue;
        }
        this.#checkDepth(1);
        const next = this.#headerAhead() ?? (await this.#parseNext());
        if (!next) throw derError('truncated constructed OCTET STRING', this.#position);
        if (next.cls !== 0 || next.tag !== 4) {
          throw derError('constructed OCTET STRING contains a non-OCTET STRING', next.offset);
        }
        this.#open(next, top);
        if (next.constructed) continue;
        piece = next;
      }
      // A primitive piece: its content as it arrives.
      let remaining = piece.length!;
      while (remaining > 0) {
        if (this.#buffered === 0) {
          await this.#pullChunk();
          if (this.#buffered === 0) throw derError('truncated OCTET STRING', this.#position);
        }
        const head = this.#queue[0]!;
        const view = remaining >= head.length ? head : head.subarray(0, remaining);
        this.#consume(view.length);
        remaining -= view.length;
        yield view;
      }
      this.#pop(piece);
      if (piece === header) return;
      piece = undefined;
    }
  }

  /**
   * Ends an element opened with `readHeader`: for an indefinite one, requires and consumes its end-of-contents;
   * for a definite one, checks that exactly its length was consumed (`malformed-der` otherwise). A no-op for an
   * element already ended by `readContent`, `octetStringChunks` or `readEndOfContents`. Elements opened inside it
   * must be ended first (`ArgumentError` otherwise).
   */
  async endElement(header: BerHeader): Promise<void> {
    if (this.#closed.has(header)) return;
    const top = this.#top();
    if (!top || top.header !== header) {
      const open = this.#stack.some((e) => e.header === header);
      throw new ArgumentError(
        'bad-argument',
        open
          ? 'endElement: an element inside this one is still open; end it first'
          : 'endElement: this header was not opened by readHeader of this reader',
      );
    }
    if (top.end === undefined) {
      if (await this.readEndOfContents()) return;
      if (this.#buffered < 2 && this.#eof) {
        throw derError('indefinite-length ASN.1 value without end-of-contents', header.offset);
      }
      throw derError('expected end-of-contents: unexpected element at the end of a constructed value', this.#position);
    }
    if (this.#position !== top.end) {
      throw derError(`${top.end - this.#position} unread bytes at the end of an ASN.1 element`, this.#position);
    }
    this.#pop(header);
  }

  /** True when the input has ended (every byte consumed); false when more bytes follow. Use it to refuse trailing data. */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill(1));
  }

  /** Cancels the source and drops what is buffered; later reads see the end of the input. */
  async cancel(reason?: unknown): Promise<void> {
    const wasEof = this.#eof;
    this.#eof = true;
    this.#queue = [];
    this.#buffered = 0;
    if (!wasEof) await this.#cancelSource(reason);
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  #tooLong(maxLength: number, offset: number): FormatError | LimitError {
    // A cap below the reader's own is the caller's bound for a small field (an OID, a version): a length past it is
    // a broken structure, as derParse says of a buffered one, not a limit to raise.
    if (maxLength < this.#maxElementLength) {
      return derError(`ASN.1 element longer than the ${maxLength} bytes this field can hold`, offset);
    }
    return new LimitError('limit-exceeded', `ASN.1 element longer than ${maxLength} bytes`, {
      offset,
      details: { limit: 'maxElementLength', value: maxLength },
    });
  }

  /**
   * Moves bytes from the input into one fresh buffer. `content` false: one element (header included); `content`
   * true: the content of the innermost open element, `exact` bytes when definite, else up to its end-of-contents
   * (consumed, not returned). Only indefinite elements are walked; definite ones are taken whole (derParse checks
   * their insides later).
   */
  async #collect(content: boolean, maxLength: number, exact?: number): Promise<Uint8Array> {
    const start = this.#position;
    const top = this.#top();
    // Reading the content of `top` itself: bounded by its parent (its own `limit` is its end when definite).
    const parentLimit = content ? (top?.end === undefined ? top?.limit : top.end) : top?.limit;
    const limit = parentLimit ?? Infinity;
    const cap = content && exact === undefined ? maxLength + 2 : maxLength;
    let buf = new Uint8Array(0);
    let len = 0;
    const need = async (n: number): Promise<void> => {
      if (n <= len) return;
      if (n > cap) throw this.#tooLong(maxLength, start);
      if (start + n > limit) throw derError('ASN.1 element runs past the end of its enclosing element', start);
      while (len < n) {
        if (this.#buffered === 0) {
          await this.#pullChunk();
          if (this.#buffered === 0) throw derError('truncated ASN.1 value', this.#position);
          continue;
        }
        const head = this.#queue[0]!;
        const take = Math.min(n - len, head.length);
        if (len + take > buf.length) {
          const grown = new Uint8Array(Math.min(n, Math.max(len + take, buf.length * 2, 1024)));
          grown.set(buf.subarray(0, len));
          buf = grown;
        }
        buf.set(take === head.length ? head : head.subarray(0, take), len);
        len += take;
        this.#consume(take);
      }
    };
    const finish = (n: number): Uint8Array => (n === buf.length ? buf : buf.slice(0, n));

    if (exact !== undefined) {
      await need(exact);
      return finish(exact);
    }
    let open = content ? 1 : 0;
    let cursor = 0;
    const baseDepth = this.#stack.length;
    do {
      if (open > 0) {
        await need(cursor + 2);
        if (buf[cursor] === 0 && buf[cursor + 1] === 0) {
          cursor += 2;
          open--;
          continue;
        }
      }
      let header: BerHeader;
      for (;;) {
        const result = parseHeaderAt(buf, cursor, len, start + cursor);
        if (typeof result !== 'number') {
          header = result;
          break;
        }
        await need(len - result);
      }
      cursor += header.headerLength;
      if (header.length === undefined) {
        open++;
        if (baseDepth + open > this.#maxDepth) {
          throw new LimitError('limit-exceeded', `ASN.1 nesting deeper than ${this.#maxDepth}`, {
            offset: header.offset,
            details: { limit: 'asn1-depth', value: this.#maxDepth },
          });
        }
      } else {
        cursor += header.length;
        await need(cursor);
      }
    } while (open > 0);
    return finish(content ? cursor - 2 : cursor);
  }
}

/** Resolves or rejects with `work`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  const reason = (): unknown => signal.reason;
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
