/**
 * The RFC 5322 side of `composeMessage`: mailboxes, the header block
 * (encoded-words for non-ASCII subjects and display names, RFC 2047; folded
 * address lists), and the body entity. Bcc is read but never written.
 */
import { ArgumentError } from '../errors.js';
import { concatBytes, fromLatin1, toBase64, toBytes, toHex, utf8, type BytesLike } from '../util/bytes.js';
import { randomBytes } from '../crypto/engine.js';
import { canonicalizeEntity, isSevenBitSafe, toCrlf } from '../mime/canonical.js';
import { parseMime } from '../mime/entity.js';
import { getHeader } from '../mime/headers.js';
import { encodeQuotedPrintableBytes } from '../mime/transfer-encoding.js';
import { assertAddress, normalizeAddress } from '../directory/address.js';

/** A mailbox: `a@b.example`, `Name <a@b.example>`, `"Last, First" <a@b.example>`, or its parts. */
export type MailAddress = string | { name?: string; address: string };

/** Everything of a message but its body (`MailEnvelope` adds the content). */
export interface EnvelopeAddresses {
  from: MailAddress;
  to?: MailAddress | readonly MailAddress[];
  cc?: MailAddress | readonly MailAddress[];
  /** Bcc recipients: in SMTP envelopes only, never in any header. */
  bcc?: MailAddress | readonly MailAddress[];
  /** Non-ASCII is written as RFC 2047 encoded-words. */
  subject?: string;
  /** Date header (default now). */
  date?: Date;
  /** Message-ID, with or without angle brackets (default: random, at the From domain). */
  messageId?: string;
  /** More header fields (ASCII values); From/To/Cc/Bcc/Subject/Date/Message-ID/MIME-Version/Content-* are refused. */
  headers?: Readonly<Record<string, string>>;
}

/** What `buildHeaders` produces. */
export interface MessageHeaders {
  /** The header block, each field ending in CRLF (no blank line after it). */
  text: string;
  /** The From address (SMTP MAIL FROM). */
  from: string;
  /** To and Cc addresses, deduplicated, in order. */
  visible: string[];
  /** Bcc addresses, deduplicated, without those already in To/Cc. */
  bcc: string[];
  /** The Message-ID, with angle brackets. */
  messageId: string;
}

interface Mailbox {
  name?: string;
  address: string;
}

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const ADDRESS = /^[^\s<>()[\]\\,;:"@]+@[^\s<>()[\]\\,;:"@]+$/;

function mailbox(input: MailAddress, field: string): Mailbox {
  let name: string | undefined;
  let address: string;
  if (typeof input === 'string') {
    const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<>"]*?))\s*<([^<>]*)>\s*$/.exec(input);
    if (m) {
      name = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
      address = m[3]!.trim();
    } else address = input.trim();
  } else if (typeof input === 'object' && input !== null && typeof input.address === 'string') {
    name = input.name;
    address = input.address.trim();
  } else throw new ArgumentError('bad-argument', `${field}: not an address`);
  assertAddress(address);
  // Only addresses that can be written into a header unquoted, in ASCII (no RFC 6532 headers here).
  if (!ADDRESS.test(address) || !/^[\x21-\x7e]+$/.test(address))
    throw new ArgumentError('bad-address', `${field}: "${address.slice(0, 80)}" cannot be written in a header`, {
      details: { address: address.slice(0, 256) },
    });
  if (name !== undefined && (typeof name !== 'string' || CONTROL.test(name)))
    throw new ArgumentError('bad-argument', `${field}: the display name has control characters`);
  const trimmed = name?.trim();
  return trimmed ? { name: trimmed, address } : { address };
}

const list = (v: MailAddress | readonly MailAddress[] | undefined, field: string): Mailbox[] =>
  (v === undefined ? [] : Array.isArray(v) ? (v as readonly MailAddress[]) : [v as MailAddress]).map((a) =>
    mailbox(a, field),
  );

/** RFC 2047 B encoded-words, split on character boundaries; each word at most 72 characters. */
function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (utf8(chunk + ch).length > 42) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${toBase64(utf8(w))}?=`).join('\r\n ');
}

const needsEncoding = (text: string): boolean => !/^[\x20-\x7e\t]*$/.test(text) || text.includes('=?');

/** An unstructured field value (Subject). */
function unstructured(text: string, field: string): string {
  if (typeof text !== 'string' || CONTROL.test(text))
    throw new ArgumentError('bad-argument', `${field} must be text without line breaks or control characters`);
  return needsEncoding(text) || text.length > 900 ? encodedWords(text) : text;
}

/** A display name: an atom phrase as it is, otherwise a quoted string, or encoded-words when not ASCII. */
function phrase(name: string): string {
  if (needsEncoding(name)) return encodedWords(name);
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name;
  return `"${name.replace(/[\\"]/g, '\\$&')}"`;
}

const formatMailbox = (m: Mailbox): string => (m.name ? `${phrase(m.name)} <${m.address}>` : m.address);

/** `Name: a, b, c` folded before an item that would pass 78 characters. */
function addressField(name: string, boxes: readonly Mailbox[]): string {
  let line = `${name}:`;
  let out = '';
  boxes.map(formatMailbox).forEach((item, i) => {
    const piece = (i ? ', ' : ' ') + item;
    if (i && line.length + piece.length > 78) {
      out += `${line},\r\n`;
      line = ` ${item}`;
    } else line += piece;
  });
  return `${out}${line}\r\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time in UTC. */
function rfc5322Date(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime()))
    throw new ArgumentError('bad-argument', 'date must be a valid Date');
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

function messageId(given: string | undefined, from: string): string {
  if (given === undefined) return `<${toHex(randomBytes(16))}.smimekit@${from.slice(from.lastIndexOf('@') + 1)}>`;
  const bare = typeof given === 'string' ? given.trim().replace(/^<(.*)>$/, '$1') : '';
  if (!/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(bare) || /[<>\s]/.test(bare))
    throw new ArgumentError('bad-argument', `messageId "${String(given).slice(0, 80)}" is not id-left@id-right`);
  return `<${bare}>`;
}

const OWN_FIELDS = /^(from|to|cc|bcc|subject|date|message-id|mime-version|content-.*)$/i;

function extraFields(headers: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(headers ?? {})
    .map(([name, value]) => {
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name))
        throw new ArgumentError('bad-argument', `"${name.slice(0, 80)}" is not a header field name`);
      if (OWN_FIELDS.test(name))
        throw new ArgumentError(
          'bad-argument',
          `header ${name} is written by composeMessage (use the envelope fields)`,
        );
      if (typeof value !== 'string' || CONTROL.test(value) || !/^[\x20-\x7e\t]*$/.test(value))
        throw new ArgumentError('bad-argument', `header ${name} must be ASCII text without line breaks`);
      return `${name}: ${value}\r\n`;
    })
    .join('');
}

/** First occurrence of each address (local part exact, domain case-insensitive), skipping `except`. */
function unique(boxes: readonly Mailbox[], except: Set<string> = new Set()): Mailbox[] {
  const seen = new Set(except);
  return boxes.filter((b) => {
    const key = normalizeAddress(b.address);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Builds the header block: From, To, Cc, Subject, Date, Message-ID,
 * MIME-Version and the extra fields. Bcc is never written: its addresses are
 * returned for the SMTP envelope only.
 *
 * @throws ArgumentError `bad-address` (an address that is not `local@domain` or
 *   cannot be written in ASCII), `bad-argument` (line breaks or control
 *   characters anywhere, a reserved extra header, a bad date or Message-ID)
 */
export function buildHeaders(envelope: EnvelopeAddresses): MessageHeaders {
  if (!envelope || envelope.from === undefined)
    throw new ArgumentError('bad-argument', 'the envelope needs a from address');
  const from = mailbox(envelope.from, 'from');
  const to = unique(list(envelope.to, 'to'));
  const cc = unique(list(envelope.cc, 'cc'), new Set(to.map((b) => normalizeAddress(b.address))));
  const visible = [...to, ...cc];
  const bcc = unique(list(envelope.bcc, 'bcc'), new Set(visible.map((b) => normalizeAddress(b.address))));
  const id = messageId(envelope.messageId, from.address);
  let text = addressField('From', [from]);
  if (to.length) text += addressField('To', to);
  if (cc.length) text += addressField('Cc', cc);
  if (envelope.subject !== undefined) text += `Subject: ${unstructured(envelope.subject, 'subject')}\r\n`;
  text += `Date: ${rfc5322Date(envelope.date ?? new Date())}\r\nMessage-ID: ${id}\r\nMIME-Version: 1.0\r\n${extraFields(envelope.headers)}`;
  return {
    text,
    from: from.address,
    visible: visible.map((b) => b.address),
    bcc: bcc.map((b) => b.address),
    messageId: id,
  };
}

/**
 * The body entity, canonical and 7-bit safe: a MIME entity as given (only
 * Content-* headers kept; MIME-Version dropped, it is an outer header), or
 * plain UTF-8 text as text/plain (quoted-printable when not 7-bit).
 *
 * @throws ArgumentError `bad-argument` for an entity carrying message headers
 *   (From, To, Bcc, ...): those belong in the envelope
 */
export function contentEntity(content: string | BytesLike): Uint8Array {
  if (content === undefined || content === null) throw new ArgumentError('bad-argument', 'the envelope needs content');
  const bytes = toCrlf(typeof content === 'string' ? utf8(content) : toBytes(content, 'content'));
  const parsed = parseMime(bytes);
  const isEntity =
    parsed.headers.length > 0 &&
    parsed.headers.every((h) => h.name !== '') &&
    getHeader(parsed.headers, 'content-type') !== undefined;
  if (isEntity) {
    const foreign = parsed.headers.filter((h) => !/^(content-.*|mime-version)$/i.test(h.name));
    if (foreign.length)
      throw new ArgumentError(
        'bad-argument',
        `content must be a body entity: ${foreign.map((h) => h.name).join(', ')} belong in the envelope`,
      );
    const head = parsed.headers.filter((h) => !/^mime-version$/i.test(h.name)).map((h) => h.raw);
    return canonicalizeEntity(concatBytes(...head, fromLatin1('\r\n'), bytes.subarray(parsed.bodyStart)));
  }
  const ascii = bytes.every((b) => b < 0x80);
  const sevenBit = isSevenBitSafe(bytes);
  const head = `Content-Type: text/plain; charset=${ascii ? 'us-ascii' : 'utf-8'}\r\nContent-Transfer-Encoding: ${sevenBit ? '7bit' : 'quoted-printable'}\r\n\r\n`;
  return concatBytes(fromLatin1(head), sevenBit ? bytes : encodeQuotedPrintableBytes(bytes));
}
