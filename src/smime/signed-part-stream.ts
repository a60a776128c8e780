/**
 * The signed part of a streamed multipart/signed, digested the way `verifyMessage` reads it: in canonical form (bare
 * LF → CRLF), and for a binary part also as received, because RFC 8551 asks for canonical form but a binary part
 * (AS2 transport, or `Content-Transfer-Encoding: binary`) is signed as it is. A binary part streams on as received
 * (converting a PDF's or a ZIP's LF bytes would corrupt it); any other part in canonical form.
 */
import { createStreamDigest, type StreamDigest, type StreamDigestName } from '../crypto/digest-stream.js';
import { getHeader, parseHeaderBlock } from '../mime/headers.js';
import { CrlfConverter } from '../mime/stream.js';
import { GrowingBytes } from '../util/bytes.js';

/** Longest header section looked at for the part's Content-Transfer-Encoding (the buffered reader has no other cap). */
const MAX_PART_HEAD = 1024 * 1024;

interface SignedPartDigests {
  /** Whether the part is binary: passed on and also digested as received. */
  binary: boolean;
  /** The digests of the canonical form. */
  canonical: Map<StreamDigestName, Uint8Array>;
  /** The digests of the bytes as received: only for a binary part that had bare LFs (else they equal `canonical`). */
  asReceived?: Map<StreamDigestName, Uint8Array>;
}

export interface DigestedSignedPart {
  /** The part as it should be shown: canonical, or as received when binary. */
  chunks: AsyncGenerator<Uint8Array>;
  /** The digests, once `chunks` has ended. */
  digests(): SignedPartDigests;
}

/**
 * Where the header section of `b` ends (after its blank line), or -1 while it has not ended. `from`: where to look
 * again (what was looked at before, less the two bytes a blank line may have begun with), so gathering stays linear.
 */
function headEnd(b: Uint8Array, from = 0): number {
  if (b[0] === 0x0a) return 1;
  if (b[0] === 0x0d && b[1] === 0x0a) return 2;
  for (let i = b.indexOf(0x0a, from); i >= 0 && i + 1 < b.length; i = b.indexOf(0x0a, i + 1)) {
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** True when the header section in `head` declares `Content-Transfer-Encoding: binary`. */
function declaresBinary(head: Uint8Array): boolean {
  const cte = getHeader(parseHeaderBlock(head), 'content-transfer-encoding');
  return cte !== undefined && /^\s*binary\s*$/i.test(cte);
}

/**
 * Digests the signed part as it streams. `binaryTransport`: the message travels as binary (AS2), so the part is
 * binary whatever its headers say.
 */
export function digestSignedPart(
  part: AsyncIterable<Uint8Array>,
  names: readonly StreamDigestName[],
  binaryTransport: boolean,
): DigestedSignedPart {
  const canonical = new Map(names.map((name) => [name, createStreamDigest(name)] as const));
  let asReceived: Map<StreamDigestName, StreamDigest> | undefined;
  let binary = binaryTransport;
  let ended = false;

  async function* withHead(): AsyncGenerator<Uint8Array> {
    const input = part[Symbol.asyncIterator]();
    let done = false;
    try {
      const held = new GrowingBytes();
      let looked = 0;
      // Read on until the part's header section is whole, to learn its transfer encoding before passing anything on.
      while (!binary) {
        const end = headEnd(held.view(), Math.max(0, looked - 2));
        looked = held.length;
        if (end >= 0 || held.length > MAX_PART_HEAD) {
          if (end >= 0) binary = declaresBinary(held.view().subarray(0, end));
          break;
        }
        const next = await input.next();
        if (next.done) {
          done = true;
          binary = declaresBinary(held.view()); // all header, as parseMime reads a part without a blank line
          break;
        }
        held.append(next.value);
      }
      if (held.length > 0) yield held.view();
      while (!done) {
        const next = await input.next();
        if (next.done) done = true;
        else yield next.value;
      }
    } finally {
      if (!done) await input.return?.(undefined); // stopped early: let the input go
    }
  }

  async function* chunks(): AsyncGenerator<Uint8Array> {
    const converter = new CrlfConverter();
    for await (const chunk of withHead()) {
      const converted = converter.convert(chunk);
      // Up to the first bare LF both forms are the same bytes: the digests as received start from a copy there.
      if (binary && converted !== chunk && !asReceived)
        asReceived = new Map([...canonical].map(([name, d]) => [name, d.copy()] as const));
      for (const d of canonical.values()) d.update(converted);
      if (asReceived) for (const d of asReceived.values()) d.update(chunk);
      yield binary ? chunk : converted;
    }
    ended = true;
  }

  let result: SignedPartDigests | undefined;
  return {
    chunks: chunks(),
    digests() {
      if (!ended) throw new Error('the signed part has not been read to its end');
      const final = (m: Map<StreamDigestName, StreamDigest>) =>
        new Map([...m].map(([name, d]) => [name, d.digest()] as const));
      result ??= { binary, canonical: final(canonical), ...(asReceived ? { asReceived: final(asReceived) } : {}) };
      return result;
    },
  };
}
