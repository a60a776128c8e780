/**
 * RFC 9788 header protection in the streaming readers (`verifyMessageStream`, `readMessageStream`): the
 * Cryptographic Payload's header section is captured as the content passes (bounded: the body is never held) and
 * read by `readHeaderProtection` under the buffered readers' trust rule, once the verdict is final. The display
 * message needs the whole body, so a streamed result carries only the header section to show over the streamed
 * content (`displayHead`), in a type of its own so it cannot be taken for the buffered `display`.
 */
import { concatBytes } from '../util/bytes.js';
import type { MimeParseOptions } from '../mime/entity.js';
import type { MimeHeader } from '../mime/headers.js';
import {
  headerProtectionToJson,
  readHeaderProtection,
  type HeaderProtectionFinding,
  type HeaderProtectionResult,
} from './header-protection-read.js';
import { signatureVouches, type ReadVerification } from './read-checks.js';
import type { MessageLayer } from './read.js';

/** `headerProtection` of a streamed reader: `HeaderProtectionResult` without the body-dependent fields. */
export interface StreamHeaderProtectionResult extends Omit<HeaderProtectionResult, 'display' | 'legacyDisplayRemoved'> {
  /**
   * The header section to show over the streamed content, ending with its blank line: `displayHeaders` as
   * written (the outer ones when not `trusted`) and the payload's `Content-*` fields. Not a message: the body is
   * the content stream, which still holds the legacy display element when the sender added one (a text part
   * marked `hp-legacy-display="1"`; `removeLegacyDisplay` from `smimekit/mime` removes it).
   */
  displayHead: Uint8Array;
}

/**
 * Header protection of a streamed payload: `payloadHead` is its header section (as `HeadCapture` keeps it),
 * `outer` the header section outside every layer, `vouched` what the streamed reader checked around it. Call it
 * only with the final verdict.
 */
export function streamedHeaderProtection(
  outer: readonly MimeHeader[] | undefined,
  payloadHead: Uint8Array,
  vouched: { signature: boolean; encryption: boolean },
  limits?: MimeParseOptions,
): { result?: StreamHeaderProtectionResult; warnings: HeaderProtectionFinding[] } {
  const found = readHeaderProtection(outer, payloadHead, vouched, limits);
  if (!found.result) return { warnings: found.warnings };
  // The payload read has no body: `display` is its header section, nothing was removed from a body.
  const { display, legacyDisplayRemoved: _none, ...rest } = found.result;
  void _none;
  return { result: { ...rest, displayHead: display }, warnings: found.warnings };
}

/**
 * `readMessage`'s header protection of the innermost content (`payload.head`: its header section): trusted when
 * it was decrypted or a signature verifies over the whole message.
 */
export function payloadProtection(
  layers: readonly MessageLayer[],
  verifications: readonly ReadVerification[],
  payload: { rootHeaders: readonly MimeHeader[]; head: Uint8Array },
  limits: MimeParseOptions | undefined,
): ReturnType<typeof streamedHeaderProtection> {
  const vouched = {
    signature: signatureVouches(verifications),
    encryption: layers.some((l) => l.type === 'enveloped'),
  };
  return streamedHeaderProtection(payload.rootHeaders, payload.head, vouched, limits);
}

/** `headerProtection` of a buffered or a streamed result as plain JSON (no bytes: their length). */
export function headerProtectionJson(hp: HeaderProtectionResult | StreamHeaderProtectionResult): unknown {
  if ('display' in hp) return headerProtectionToJson(hp);
  const { displayHead, ...rest } = hp;
  return { ...rest, displayHeadLength: displayHead.length };
}

/** Longest payload header section kept (the MIME header limit of a streamed entity is 256 KiB too). */
const MAX_HEAD = 256 * 1024;

/** Keeps the header section of the content passing by (for the sender check and header protection), bounded. */
export class HeadCapture {
  private readonly parts: Uint8Array[] = [];
  private length = 0;
  private done = false;
  add(chunk: Uint8Array): void {
    if (this.done) return;
    const take = chunk.subarray(0, Math.min(chunk.length, MAX_HEAD - this.length));
    this.parts.push(take.slice());
    this.length += take.length;
    const all = concatBytes(...this.parts);
    const end = findBlankLine(all);
    if (end >= 0 || this.length >= MAX_HEAD) {
      this.done = true;
      this.parts.splice(0, this.parts.length, end >= 0 ? all.subarray(0, end) : all);
    }
  }
  bytes(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

function findBlankLine(bytes: Uint8Array): number {
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) {
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}
