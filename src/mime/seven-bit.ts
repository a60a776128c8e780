/**
 * The 7-bit check of a streamed body, chunk by chunk: what a detached signature needs of a body it writes as it
 * is. One pass per chunk, eight bytes at a time: only the words holding a byte below 0x0e (line ends, NUL, a few
 * rare controls) are looked at byte by byte, about one pair per line of text. Native searches per line, one for
 * each rule and one for the line ends, cost more than the signature's digest.
 */
import { visitControlBytes } from '../util/native-buffer.js';

/** What `sevenBitCheckStream` found wrong. */
export interface SevenBitFinding {
  /**
   * 8-bit data, a NUL, a line over 998 octets, a line beginning `From `, a CR that does not end a line, or (in a
   * body whose line ends are not brought to CRLF) a LF without its CR.
   */
  reason: '8bit' | 'nul' | 'long-line' | 'from-line' | 'bare-cr' | 'bare-lf';
  /** Offset in the stream as given (before line ends are brought to CRLF). */
  offset: number;
}

/** Longest line in octets, without its CRLF (RFC 5322 §2.1.1). */
const MAX_LINE = 998;

const FROM = [0x46, 0x72, 0x6f, 0x6d, 0x20];

/**
 * A scanner for one stream. `scan` takes the chunks in order and returns the first finding in the stream (the one
 * at the lowest offset) once it is certain; `finish` ends the stream; after a finding nothing more is returned.
 * A LF ends a line whether or not a CR comes before it: with `lfOnly: 'convert'` the caller brings the body to CRLF
 * (`bareLf` says whether the last chunk needs it), with `'finding'` a LF alone is `bare-lf`.
 */
export class SevenBitScanner {
  /** The last chunk scanned holds a LF without a CR before it. */
  bareLf = false;
  private offset = 0;
  /** Octets of the current line in earlier chunks (its CR not counted). */
  private carried = 0;
  /** Start of the current line in the chunk being scanned (negative: it began in an earlier one). */
  private lineStart = 0;
  /** How much of `From ` the current line has begun with; -1 once it cannot. */
  private fromMatched = 0;
  /** The previous chunk ended with a CR. */
  private pendingCr = false;
  private found: SevenBitFinding | undefined;
  private reported = false;

  constructor(private readonly lfOnly: 'convert' | 'finding' = 'convert') {}

  scan(b: Uint8Array): SevenBitFinding | undefined {
    this.bareLf = false;
    if (b.length === 0) return undefined;
    this.lineStart = 0;
    if (this.pendingCr && b[0] !== 0x0a) this.note('bare-cr', -1);
    if (this.fromMatched >= 0 && this.fromMatched < FROM.length) this.matchFrom(b, 0);
    const high = visitControlBytes(b, b.length, (from, to) => {
      for (let i = from; i < to; i++) if (b[i]! < 0x0e) this.control(b, i);
    });
    if (high & 0x80) {
      let i = 0;
      while (b[i]! < 0x80) i++;
      this.note('8bit', i);
    }
    // The line going on into the next chunk: a CR at the very end may yet be its line end, and is not counted.
    this.pendingCr = b[b.length - 1] === 0x0d;
    const counted = b.length - this.lineStart - (this.pendingCr ? 1 : 0);
    if (this.carried + counted > MAX_LINE) this.note('long-line', this.lineStart + MAX_LINE - this.carried);
    this.carried += counted;
    this.offset += b.length;
    return this.report();
  }

  /** The end of the stream: a CR left pending by the last chunk ends no line. */
  finish(): SevenBitFinding | undefined {
    if (this.pendingCr) this.note('bare-cr', -1);
    return this.report();
  }

  /** The finding, the first time it is known (the scan goes on after it, for `bareLf`). */
  private report(): SevenBitFinding | undefined {
    if (!this.found || this.reported) return undefined;
    this.reported = true;
    return this.found;
  }

  /**
   * Keeps the finding at the lowest offset (`at` is relative to the chunk being scanned); at the same byte, what
   * the byte itself is (8-bit, NUL) rather than the line it makes too long.
   */
  private note(reason: SevenBitFinding['reason'], at: number): void {
    const offset = this.offset + at;
    if (this.reported) return;
    const own = reason === '8bit' || reason === 'nul';
    if (!this.found || offset < this.found.offset || (offset === this.found.offset && own))
      this.found = { reason, offset };
  }

  /** A byte below 0x0e at `i`: NUL, CR, LF, or a control that needs nothing. */
  private control(b: Uint8Array, i: number): void {
    const c = b[i]!;
    if (c === 0x0a) this.lineEnd(b, i);
    else if (c === 0x0d) {
      if (i + 1 < b.length && b[i + 1] !== 0x0a) this.note('bare-cr', i);
    } else if (c === 0) this.note('nul', i);
  }

  private lineEnd(b: Uint8Array, lf: number): void {
    const cr = lf > 0 ? b[lf - 1] === 0x0d : this.pendingCr;
    if (!cr) {
      if (this.lfOnly === 'finding') this.note('bare-lf', lf);
      else this.bareLf = true;
    }
    // The octets of the line: those in earlier chunks and those here, its CR not counted.
    const here = lf - this.lineStart - (cr && lf > 0 ? 1 : 0);
    if (this.carried + here > MAX_LINE) this.note('long-line', this.lineStart + MAX_LINE - this.carried);
    this.carried = 0;
    this.lineStart = lf + 1;
    this.fromMatched = 0;
    this.matchFrom(b, lf + 1);
  }

  /** Goes on matching `From ` at the beginning of the current line, from `at` to at most the chunk's end. */
  private matchFrom(b: Uint8Array, at: number): void {
    let m = this.fromMatched;
    const begun = m;
    for (let i = at; m >= 0 && m < FROM.length && i < b.length; i++) m = b[i] === FROM[m] ? m + 1 : -1;
    if (m === FROM.length && begun < FROM.length) this.note('from-line', at - begun);
    this.fromMatched = m;
  }
}
