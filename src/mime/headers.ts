/** RFC 5322 / RFC 2045 header fields: parsing with raw bytes kept, parameters (RFC 2231), encoded words (RFC 2047). */
import { FormatError } from '../errors.js';
import { fromBase64, latin1 } from '../util/bytes.js';

/** One header field: its name, its unfolded value and its exact bytes. */
export interface MimeHeader {
  /** Field name as written (case preserved); empty for a line that is not a field (an mbox `From ` line, garbage). */
  name: string;
  /** Unfolded value (CRLF/LF + WSP removed), leading whitespace trimmed; bytes read as Latin-1 so nothing is lost. */
  value: string;
  /** The exact bytes of the field, folding and line ending included. */
  raw: Uint8Array;
}

/** A parsed Content-Type (`parseContentType`). */
export interface ContentType {
  /** Lower-cased `type/subtype`, e.g. `multipart/signed`. */
  mediaType: string;
  /** Lower-cased type, e.g. `multipart`. */
  type: string;
  /** Lower-cased subtype, e.g. `signed`. */
  subtype: string;
  /** Parameters with lower-cased names; RFC 2231 continuations and charsets decoded. */
  params: Record<string, string>;
}

/** Splits a header block into fields. `bytes` must be exactly the header section (without the blank line). */
export function parseHeaderBlock(bytes: Uint8Array): MimeHeader[] {
  const headers: MimeHeader[] = [];
  let start = 0;
  let pos = 0;
  const n = bytes.length;
  while (pos < n) {
    // Find the end of this physical line.
    let eol = pos;
    while (eol < n && bytes[eol] !== 0x0a) eol++;
    const next = eol < n ? eol + 1 : n;
    const continues = next < n && (bytes[next] === 0x20 || bytes[next] === 0x09);
    if (!continues) {
      const raw = bytes.subarray(start, next);
      const text = latin1(raw);
      const colon = text.indexOf(':');
      const name = colon > 0 ? text.slice(0, colon).trimEnd() : '';
      if (name === '' || /\s/.test(name)) {
        // Not a field (e.g. mbox "From " line or garbage): keep it so the bytes survive, with an empty name.
        if (text.trim() !== '') headers.push({ name: '', value: text.replace(/\r?\n$/, ''), raw });
      } else {
        // Unfolded only when folded (a line break before the last character); trim() takes the final CRLF.
        const rest = text.slice(colon + 1);
        const folded = rest.indexOf('\n') < rest.length - 1 && rest.includes('\n');
        const value = (folded ? rest.replace(/\r?\n(?=[ \t])/g, '') : rest).trim();
        headers.push({ name, value, raw });
      }
      start = next;
    }
    pos = next;
  }
  return headers;
}

/** First header with this name (case-insensitive). */
export function getHeader(headers: readonly MimeHeader[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

const TOKEN = /^[^\s()<>@,;:\\"/[\]?=]+/;

/**
 * Parses `type/subtype; a=b; c="d"` (RFC 2045 §5.1) including RFC 2231 extended parameters. An absent value is
 * `text/plain; charset=us-ascii` (RFC 2045 §5.2); an unreadable one is `text/plain` with the parameters that could
 * be read. Never throws.
 */
export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { mediaType: 'text/plain', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' } };
  const { head, params } = parseParameterized(value);
  const m = /^\s*([^/\s;]+)\s*\/\s*([^\s;]+)/.exec(head);
  if (!m) return { mediaType: 'text/plain', type: 'text', subtype: 'plain', params };
  const type = m[1]!.toLowerCase();
  const subtype = m[2]!.toLowerCase();
  return { mediaType: `${type}/${subtype}`, type, subtype, params };
}

/**
 * Splits any parameterized header value (`Content-Disposition: attachment; filename="a.pdf"`) into its head and its
 * parameters: names lower-cased, quoted strings unescaped, RFC 2231 continuations and charsets decoded.
 */
export function parseParameterized(value: string): { head: string; params: Record<string, string> } {
  const semicolon = findUnquoted(value, ';');
  const head = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  const raw: Array<[string, string]> = [];
  let rest = semicolon < 0 ? '' : value.slice(semicolon + 1);
  while (rest.trim() !== '') {
    rest = rest.replace(/^[\s;]+/, '');
    const nm = TOKEN.exec(rest);
    if (!nm) break;
    const name = nm[0].toLowerCase();
    rest = rest.slice(nm[0].length).replace(/^\s*/, '');
    if (rest[0] !== '=') {
      rest = rest.slice(Math.max(0, findUnquoted(rest, ';')));
      if (!rest.startsWith(';')) break;
      continue;
    }
    rest = rest.slice(1).replace(/^\s*/, '');
    let val: string;
    if (rest[0] === '"') {
      // Slices between escapes, joined once: a megabyte-long quoted value must not be built a character at a time.
      const pieces: string[] = [];
      let i = 1;
      let start = 1;
      while (i < rest.length && rest[i] !== '"') {
        if (rest[i] === '\\' && i + 1 < rest.length) {
          pieces.push(rest.slice(start, i));
          start = i + 1;
          i += 2;
        } else i++;
      }
      pieces.push(rest.slice(start, i));
      val = pieces.join('');
      rest = rest.slice(i + 1);
    } else {
      const end = findUnquoted(rest, ';');
      val = (end < 0 ? rest : rest.slice(0, end)).trim();
      rest = end < 0 ? '' : rest.slice(end);
    }
    raw.push([name, val]);
  }
  return { head, params: decodeRfc2231(raw) };
}

function findUnquoted(text: string, ch: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ch && !quoted) return i;
  }
  return -1;
}

function decodeRfc2231(raw: Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = new Map<string, Array<{ index: number; value: string; encoded: boolean }>>();
  for (const [name, value] of raw) {
    const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(name);
    if (!m || (m[2] === undefined && m[3] === undefined)) {
      if (!(name in out)) out[name] = value;
      continue;
    }
    const list = parts.get(m[1]!) ?? [];
    list.push({ index: Number(m[2] ?? 0), value, encoded: m[3] === '*' });
    parts.set(m[1]!, list);
  }
  for (const [name, list] of parts) {
    list.sort((a, b) => a.index - b.index);
    let charset = 'us-ascii';
    // One buffer for all the pieces (each character is at most one byte), filled with plain loops: a value can be
    // a megabyte long.
    const bytes = new Uint8Array(list.reduce((n, p) => n + p.value.length, 0));
    let length = 0;
    list.forEach((p, i) => {
      let v = p.value;
      if (p.encoded && i === 0) {
        const m = /^([^']*)'[^']*'(.*)$/.exec(v);
        if (m) {
          charset = m[1] || 'us-ascii';
          v = m[2]!;
        }
      }
      for (let j = 0; j < v.length; j++) {
        const high = p.encoded && v.charCodeAt(j) === 0x25 ? hexValue(v.charCodeAt(j + 1)) : -1;
        const low = high >= 0 ? hexValue(v.charCodeAt(j + 2)) : -1;
        if (low >= 0) {
          bytes[length++] = (high << 4) | low;
          j += 2;
        } else bytes[length++] = v.charCodeAt(j) & 0xff;
      }
    });
    out[name] = decodeCharset(bytes.subarray(0, length), charset);
  }
  return out;
}

/** The value of a hexadecimal digit's character code, or -1 (also for NaN past the end of a string). */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** Decodes bytes in a named charset; unknown charsets fall back to Latin-1 rather than failing. */
function decodeCharset(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.trim().toLowerCase() || 'us-ascii').decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

/** Decodes RFC 2047 encoded words (`=?utf-8?B?...?=`) for display. Header bytes are read as Latin-1 first. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=/g, (whole, charset: string, enc: string, text: string) => {
      try {
        let bytes: Uint8Array;
        if (enc.toUpperCase() === 'B') bytes = fromBase64(text);
        else {
          const s = text
            .replace(/_/g, ' ')
            .replace(/=([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
          bytes = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
        }
        return decodeCharset(bytes, charset);
      } catch (e) {
        if (e instanceof FormatError) return whole;
        throw e;
      }
    });
}

/** Extracts bare addresses from an address-list header value (`"Name" <a@b>, c@d`). */
export function parseAddresses(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  // Drop quoted display names and comments before looking for addresses.
  const cleaned = value.replace(/"(?:[^"\\]|\\.)*"/g, '').replace(/\([^)]*\)/g, '');
  for (const part of cleaned.split(',')) {
    const angle = /<([^>]+)>/.exec(part);
    const addr = (angle ? angle[1]! : part).trim();
    if (/^[^\s@]+@[^\s@]+$/.test(addr)) out.push(addr);
  }
  return out;
}
