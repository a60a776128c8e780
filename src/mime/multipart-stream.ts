/**
 * A streamed `multipart/signed` body split at its delimiters (RFC 2046 §5.1.1, RFC 1847 §2.1) without holding the
 * signed part: its bytes pass on as they arrive, exactly what `entityBytes` of the part gives on a buffer (the
 * line break before a delimiter, LF or CRLF, belongs to the delimiter). The signature part is collected, bounded,
 * as it was received: a binary one (AS2) must not have its line ends touched.
 */
import { FormatError, LimitError } from '../errors.js';
import { concatBytes, fromLatin1 } from '../util/bytes.js';
import { iterateBytes } from '../util/byte-source.js';
import { MAX_BOUNDARY_LENGTH } from './entity.js';

/** Largest signature part read into memory (a SignedData with a long chain is a few tens of KiB). */
const MAX_SIGNATURE_PART = 16 * 1024 * 1024;

/** Longest line a delimiter can be on (RFC 5322 §2.1.1): a longer "delimiter" is content. */
const MAX_LINE = 998;

/** The two parts of a streamed multipart/signed. */
export interface SplitMultipartSigned {
  /** The signed part, as it passes. Read it to its end before awaiting `signaturePart`. */
  signedPart: AsyncGenerator<Uint8Array>;
  /** The signature part (header section and body), once the signed part has been read. */
  signaturePart: Promise<Uint8Array>;
}

type State = 'preamble' | 'signed' | 'signature' | 'epilogue';

/** What the splitter found at the front of its buffer. */
type Scan =
  | { kind: 'delimiter'; at: number; close: boolean; lineEnd: number }
  | { kind: 'content'; upTo: number }
  | { kind: 'need-more' };

/**
 * Splits a multipart/signed body as it was received, delimiters found as `parseMime` finds them (after an LF, a CR
 * before it optional). Exactly two parts are required (`malformed-smime` otherwise); a missing close delimiter ends
 * the signature part at the end of the input, as `parseMime` reads it.
 *
 * @throws (through the generator) FormatError `malformed-smime`; LimitError `limit-exceeded`
 *   (`maxSignaturePart`).
 */
export function splitMultipartSigned(body: AsyncIterable<Uint8Array>, boundary: string): SplitMultipartSigned {
  const splitter = new Splitter(fromLatin1(`\n--${boundary}`));
  let resolve!: (part: Uint8Array) => void;
  let reject!: (e: unknown) => void;
  const signaturePart = new Promise<Uint8Array>((res, rej) => ((resolve = res), (reject = rej)));
  signaturePart.catch(() => undefined);
  async function* signedPart(): AsyncGenerator<Uint8Array> {
    try {
      // As parseMime reads it: a boundary too long for a delimiter line never occurs (and is not searched for).
      if (boundary.length > MAX_BOUNDARY_LENGTH)
        throw malformed(
          `the multipart/signed has no part: its boundary is longer than ${MAX_BOUNDARY_LENGTH} characters, more than a delimiter line holds`,
        );
      yield* splitter.run(iterateBytes(body));
      resolve(splitter.signature());
    } catch (e) {
      reject(e);
      throw e;
    }
  }
  return { signedPart: signedPart(), signaturePart };
}

class Splitter {
  // A line start: an LF that is not content, in front of the buffer, so that a delimiter on the very first line,
  // or right after another delimiter line (whose LF is consumed with it), looks like every other one.
  private buffer: Uint8Array = LF;
  private virtualLf = true;
  private state: State = 'preamble';
  private readonly signatureParts: Uint8Array[] = [];
  private signatureLength = 0;

  constructor(private readonly delimiter: Uint8Array) {}

  /** Yields the signed part's bytes; collects the signature part. */
  async *run(source: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
    let eof = false;
    while (this.state !== 'epilogue') {
      const scan = this.scan(eof);
      if (scan.kind === 'content') {
        const out = this.take(scan.upTo);
        if (this.state === 'signed') {
          if (out.length) yield out;
        } else this.keep(out);
      } else if (scan.kind === 'delimiter') {
        const out = this.take(scan.at);
        if (this.state === 'signed') {
          if (out.length) yield out;
        } else this.keep(out);
        this.take(scan.lineEnd - scan.at);
        this.advance(scan.close);
        this.lineStart();
      } else if (eof) {
        this.end();
      } else {
        const next = await source.next();
        if (next.done) eof = true;
        else this.buffer = this.buffer.length ? concatBytes(this.buffer, next.value) : next.value;
      }
    }
    // The epilogue is read, not kept: the caller's verdict needs the source consumed to its end.
    for (let next = await source.next(); !next.done; next = await source.next());
  }

  signature(): Uint8Array {
    return concatBytes(...this.signatureParts);
  }

  /** The next thing at the front of the buffer. */
  private scan(eof: boolean): Scan {
    const { buffer, delimiter } = this;
    const found = indexOf(buffer, delimiter);
    if (found < 0) {
      // Everything but a tail that could begin a delimiter (with the CR that may come before its LF) is content.
      // Usually there is no such tail, so the next chunk is scanned where it lies instead of being copied behind
      // the rest of this one.
      let tail = delimiterPrefixAtEnd(buffer, delimiter);
      if (buffer[buffer.length - tail - 1] === 0x0d) tail++;
      const upTo = eof ? buffer.length : buffer.length - tail;
      return upTo > 0 ? { kind: 'content', upTo } : { kind: 'need-more' };
    }
    // The CR of a CRLF before the delimiter belongs to it too.
    const at = found > 0 && buffer[found - 1] === 0x0d ? found - 1 : found;
    if (at > 0) return { kind: 'content', upTo: at };
    const after = found + delimiter.length;
    const close = buffer[after] === 0x2d && buffer[after + 1] === 0x2d;
    const nl = buffer.indexOf(0x0a, after);
    if (nl < 0) {
      // The last line, without a line end: a delimiter when only padding follows (a cut close delimiter is a
      // delimiter that opens one more part, as parseMime reads it).
      if (eof && paddingToEnd(buffer, close ? after + 2 : after))
        return { kind: 'delimiter', at: 0, close, lineEnd: buffer.length };
      if (!eof && buffer.length <= after + MAX_LINE) return { kind: 'need-more' };
      return { kind: 'content', upTo: found + 1 }; // a line that never ends is no delimiter
    }
    // Only transport padding (spaces, tabs) may follow the boundary (or its closing "--") before the line end.
    const from = close ? after + 2 : after;
    const lineBreak = buffer[nl - 1] === 0x0d && nl - 1 >= from ? nl - 1 : nl;
    let padding = true;
    for (let i = from; padding && i < lineBreak; i++) padding = buffer[i] === 0x20 || buffer[i] === 0x09;
    // Not a delimiter: step past its line break, so the same spot is not found again.
    return padding ? { kind: 'delimiter', at: 0, close, lineEnd: nl + 1 } : { kind: 'content', upTo: found + 1 };
  }

  /** The first `n` bytes of the buffer, as a view (signed-part bytes pass on without a copy); never the virtual LF. */
  private take(n: number): Uint8Array {
    const out = this.buffer.subarray(this.virtualLf && n > 0 ? 1 : 0, n);
    if (n > 0) this.virtualLf = false;
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Past a delimiter line: the next line starts here. */
  private lineStart(): void {
    this.buffer = concatBytes(LF, this.buffer);
    this.virtualLf = true;
  }

  /** Keeps signature-part bytes (bounded; copied, so that no input chunk stays referenced); preamble bytes are dropped. */
  private keep(view: Uint8Array): void {
    if (this.state !== 'signature' || view.length === 0) return;
    const bytes = view.slice();
    this.signatureLength += bytes.length;
    if (this.signatureLength > MAX_SIGNATURE_PART)
      throw new LimitError('limit-exceeded', `the signature part is longer than ${MAX_SIGNATURE_PART} bytes`, {
        details: { limit: 'maxSignaturePart', value: MAX_SIGNATURE_PART },
      });
    this.signatureParts.push(bytes);
  }

  /** A delimiter line: on to the next part. */
  private advance(close: boolean): void {
    if (this.state === 'preamble') {
      if (close) throw malformed('the multipart/signed has no part before its close delimiter');
      this.state = 'signed';
    } else if (this.state === 'signed') {
      if (close)
        throw malformed(
          'the multipart/signed has 1 part; it must have exactly two (the signed part and the signature)',
        );
      this.state = 'signature';
    } else {
      if (!close)
        throw malformed(
          'the multipart/signed has more than two parts; it must have exactly two (the signed part and the signature)',
        );
      this.state = 'epilogue';
    }
  }

  /** The input ended before the close delimiter. */
  private end(): void {
    if (this.state === 'signature') {
      this.keep(this.take(this.buffer.length));
      this.state = 'epilogue';
      return;
    }
    throw malformed(
      this.state === 'preamble'
        ? 'the multipart/signed has no part (its boundary never occurs)'
        : 'the multipart/signed ends inside its signed part: the signature part is missing',
    );
  }
}

/** Spaces and tabs, then at most one CR, to the end (a delimiter on the last line, as parseMime reads it). */
function paddingToEnd(buffer: Uint8Array, from: number): boolean {
  let i = from;
  while (i < buffer.length && (buffer[i] === 0x20 || buffer[i] === 0x09)) i++;
  if (buffer[i] === 0x0d) i++;
  return i >= buffer.length;
}

const LF = Uint8Array.of(0x0a);

function malformed(message: string): FormatError {
  return new FormatError('malformed-smime', message);
}

/** The length of the longest proper prefix of `delimiter` that `buffer` ends with (0 when none). */
function delimiterPrefixAtEnd(buffer: Uint8Array, delimiter: Uint8Array): number {
  const first = delimiter[0]!;
  for (let from = Math.max(0, buffer.length - delimiter.length + 1); from < buffer.length; from++) {
    if (buffer[from] !== first) continue;
    let j = 1;
    while (from + j < buffer.length && buffer[from + j] === delimiter[j]) j++;
    if (from + j === buffer.length) return buffer.length - from;
  }
  return 0;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  for (
    let i = haystack.indexOf(first);
    i >= 0 && i + needle.length <= haystack.length;
    i = haystack.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
