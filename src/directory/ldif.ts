/**
 * LDIF (RFC 2849) reading: directory exports (`ldifde -f`, `ldapsearch -LLL`), so an address book can
 * be built from an export of the GAL. Text and bytes only: URL values (`attr:< file://…`) are refused.
 * The writers (records an admin loads with `ldapmodify` / `ldifde -i`) are in ldif-write.ts.
 */
import { FormatError, LimitError } from '../errors.js';
import { fromBase64, toBytes, utf8, type BytesLike } from '../util/bytes.js';

/** An attribute value: a string, or bytes for binary (`;binary`, certificates) and non-text base64 values. */
export type LdifValue = string | Uint8Array;

/** `changetype:` values (RFC 2849). */
export type LdifChangeType = 'add' | 'delete' | 'modify' | 'modrdn' | 'moddn';

/** One `add:` / `delete:` / `replace:` / `increment:` block of a modify record. */
export interface LdifModification {
  operation: 'add' | 'delete' | 'replace' | 'increment';
  /** Parsed records: lower-case name without options. Formatting: written as given (e.g. `userSMIMECertificate;binary`). */
  attribute: string;
  values: LdifValue[];
}

/** One LDIF record. */
export interface LdifRecord {
  dn: string;
  /** 1-based line of its `dn:` line. */
  line: number;
  /** Set for change records (`ldifde -f` writes `add` on every entry). */
  changetype?: LdifChangeType;
  /** Values by lower-case attribute name without options (`userCertificate;binary` → `usercertificate`), in file order; also modrdn fields. */
  attributes: Map<string, LdifValue[]>;
  /** The modifications of a `modify` record, in order. */
  changes?: LdifModification[];
  /** `control:` lines of a change record, as written. */
  controls?: string[];
}

/** Bounds on `parseLdif` input; crossing one is a `LimitError` `limit-exceeded` (`details.limit` names it). */
export interface LdifOptions {
  /** Largest input: bytes, or UTF-16 code units for a string (default 128 MiB). */
  maxBytes?: number;
  /** Most records (default 500,000). */
  maxRecords?: number;
  /** Most attribute values in one record (default 100,000: large distribution lists). */
  maxValuesPerRecord?: number;
  /** Longest line, after unfolding (default 4 MiB). */
  maxLineLength?: number;
}

/** The limits `parseLdif` applies when none are given. */
export const DEFAULT_LDIF_LIMITS: Readonly<Required<LdifOptions>> = Object.freeze({
  maxBytes: 128 << 20,
  maxRecords: 500_000,
  maxValuesPerRecord: 100_000,
  maxLineLength: 4 << 20,
});

// Attributes whose base64 values stay bytes even when they happen to decode as UTF-8 text.
const BINARY_ATTRIBUTES: ReadonlySet<string> = new Set(
  [
    'userCertificate',
    'userSMIMECertificate',
    'cACertificate',
    'certificateRevocationList',
    'authorityRevocationList',
    'deltaRevocationList',
    'crossCertificatePair',
    'userPKCS12',
    'jpegPhoto',
    'thumbnailPhoto',
    'photo',
    'audio',
    'objectGUID',
    'objectSid',
    'sIDHistory',
    'msExchMailboxGuid',
    'msExchMasterAccountSid',
  ].map((a) => a.toLowerCase()),
);
const CHANGE_TYPES: ReadonlySet<string> = new Set(['add', 'delete', 'modify', 'modrdn', 'moddn']);
/** Shared with the writers, as are `DESCRIPTION` and `preview`. */
export const MOD_OPERATIONS: ReadonlySet<string> = new Set(['add', 'delete', 'replace', 'increment']);
// Non-LDIF blocks plain `ldapsearch` (without -LLL) prints: the result trailer and search references.
const LDAPSEARCH_BLOCKS: ReadonlySet<string> = new Set(['search', 'result', 'ref']);
// RFC 2849 AttributeDescription: a name or an OID, then ;options. Underscores are tolerated (some exports).
export const DESCRIPTION = /^([A-Za-z][A-Za-z0-9_-]*|\d+(?:\.\d+)*)((?:;[A-Za-z0-9_-]+)*)$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const preview = (text: string, max = 40): string =>
  (text.length > max ? `${text.slice(0, max)}…` : text).replace(/[\x00-\x1f\x7f]/g, '?');

function malformed(message: string, line: number): FormatError {
  return new FormatError('malformed-ldif', `LDIF line ${line}: ${message}`, { details: { line } });
}

function limitExceeded(limit: keyof LdifOptions, value: number, line?: number): LimitError {
  const details = line === undefined ? { limit, value } : { limit, value, line };
  return new LimitError(
    'limit-exceeded',
    `LDIF ${line === undefined ? '' : `line ${line}: `}${limit} of ${value} exceeded`,
    { details },
  );
}

/** The input as text: UTF-8, or UTF-16 with a BOM (`ldifde -u` writes UTF-16LE). */
function decodeInput(input: string | BytesLike, maxBytes: number): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes) throw limitExceeded('maxBytes', maxBytes);
    return input.replace(/^\uFEFF/, '');
  }
  const bytes = toBytes(input, 'LDIF input');
  if (bytes.length > maxBytes) throw limitExceeded('maxBytes', maxBytes);
  const encoding =
    bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    const lossy = new TextDecoder(encoding).decode(bytes);
    const line = lossy.slice(0, Math.max(0, lossy.indexOf('\uFFFD'))).split('\n').length;
    throw malformed(`the input is not ${encoding.toUpperCase()} text`, line);
  }
}

type LogicalLine = { text: string; line: number };

/** Unfolds continuation lines (a line starting with one space continues the previous one); CRLF or LF. */
function* logicalLines(text: string, maxLineLength: number): Generator<LogicalLine> {
  let pending: LogicalLine | undefined;
  let start = 0;
  for (let n = 1; start <= text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let raw = text.slice(start, text[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
    if (raw.length > maxLineLength) throw limitExceeded('maxLineLength', maxLineLength, n);
    if (raw.startsWith(' ')) {
      if (pending && pending.text !== '') {
        if (pending.text.length + raw.length - 1 > maxLineLength)
          throw limitExceeded('maxLineLength', maxLineLength, pending.line);
        pending.text += raw.slice(1);
        continue;
      }
      if (raw.trim() !== '')
        throw malformed('a continuation line (starting with a space) with no line before it to continue', n);
      raw = ''; // whitespace-only lines between records count as blank
    }
    if (pending) yield pending;
    pending = { text: raw, line: n };
  }
  if (pending) yield pending;
}

interface ParsedLine {
  /** Lower-case attribute name without options. */
  name: string;
  options: string[];
  kind: 'text' | 'base64' | 'url';
  rest: string;
}

function splitLine(text: string, line: number): ParsedLine {
  const colon = text.indexOf(':');
  if (colon <= 0) throw malformed(`expected "attribute: value", found "${preview(text)}"`, line);
  const m = DESCRIPTION.exec(text.slice(0, colon));
  if (!m) throw malformed(`"${preview(text.slice(0, colon))}" is not an attribute name`, line);
  const marker = text[colon + 1];
  const kind = marker === ':' ? 'base64' : marker === '<' ? 'url' : 'text';
  const rest = text.slice(colon + (kind === 'text' ? 1 : 2)).replace(/^ +/, '');
  return { name: m[1]!.toLowerCase(), options: m[2]!.toLowerCase().split(';').filter(Boolean), kind, rest };
}

/** Valid UTF-8 without control characters (tab and line breaks allowed) reads as text. */
function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text) ? undefined : text;
}

function decodeValue(p: ParsedLine, line: number): LdifValue {
  if (p.kind === 'url') {
    throw new FormatError(
      'unsupported-ldif-url',
      `LDIF line ${line}: "${p.name}:< ${preview(p.rest)}" takes its value from a URL; smimekit reads no files or URLs, so write the value inline ("${p.name}:: BASE64")`,
      {
        details: { line, url: preview(p.rest, 200) },
      },
    );
  }
  if (p.kind === 'text') return p.rest;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(p.rest);
  } catch {
    throw malformed(`the value of "${p.name}::" is not valid base64`, line);
  }
  if (p.options.includes('binary') || BINARY_ATTRIBUTES.has(p.name)) return bytes;
  return asText(bytes) ?? bytes;
}

/** The record-by-record state of one parse. */
class LdifReader {
  readonly records: LdifRecord[] = [];
  private current: LdifRecord | undefined;
  private spec: LdifModification | undefined;
  private values = 0;
  private skipping = false;
  private versionSeen = false;

  constructor(private readonly limits: Required<LdifOptions>) {}

  line(text: string, n: number): void {
    if (text === '') return this.endRecord();
    if (text.startsWith('#') || this.skipping) return;
    if (text === '-') {
      if (!this.spec) throw malformed('"-" outside a modify block', n);
      return void (this.spec = undefined);
    }
    const p = splitLine(text, n);
    if (this.current) this.inRecord(this.current, p, n);
    else this.startRecord(p, n);
  }

  endRecord(): void {
    // A missing "-" after the last modify block is tolerated, as ldapmodify does.
    this.current = undefined;
    this.spec = undefined;
    this.skipping = false;
  }

  private startRecord(p: ParsedLine, n: number): void {
    if (p.name === 'version' && p.kind === 'text') {
      if (this.versionSeen || this.records.length > 0) throw malformed('"version:" may only be the first line', n);
      if (p.rest.trim() !== '1')
        throw malformed(`LDIF version "${preview(p.rest)}" is not supported (only version 1)`, n);
      this.versionSeen = true;
      return;
    }
    if (LDAPSEARCH_BLOCKS.has(p.name)) {
      this.skipping = true;
      return;
    }
    if (p.name !== 'dn') throw malformed(`a record must start with "dn:", not "${p.name}:"`, n);
    if (this.records.length >= this.limits.maxRecords) throw limitExceeded('maxRecords', this.limits.maxRecords, n);
    const value = decodeValue(p, n);
    const dn = typeof value === 'string' ? value : asText(value);
    if (dn === undefined) throw malformed('the base64 DN is not UTF-8 text', n);
    this.current = { dn, line: n, attributes: new Map() };
    this.records.push(this.current);
    this.values = 0;
  }

  private inRecord(r: LdifRecord, p: ParsedLine, n: number): void {
    if (p.name === 'dn') throw malformed('"dn:" inside a record (records are separated by a blank line)', n);
    const fresh = r.attributes.size === 0 && !r.changes;
    if (p.name === 'control' && fresh && !r.changetype) {
      (r.controls ??= []).push(String(decodeValue(p, n)));
      return;
    }
    if (p.name === 'changetype') {
      const type = String(decodeValue(p, n)).trim().toLowerCase();
      if (r.changetype || !fresh) throw malformed('"changetype:" must directly follow "dn:"', n);
      if (!CHANGE_TYPES.has(type)) throw malformed(`unknown changetype "${preview(type)}"`, n);
      r.changetype = type as LdifChangeType;
      if (type === 'modify') r.changes = [];
      return;
    }
    if (++this.values > this.limits.maxValuesPerRecord)
      throw limitExceeded('maxValuesPerRecord', this.limits.maxValuesPerRecord, n);
    if (r.changetype === 'delete') throw malformed('a delete record has no further lines', n);
    if (r.changes) return this.modifyLine(r.changes, p, n);
    const value = decodeValue(p, n);
    const list = r.attributes.get(p.name);
    if (list) list.push(value);
    else r.attributes.set(p.name, [value]);
  }

  private modifyLine(changes: LdifModification[], p: ParsedLine, n: number): void {
    if (!this.spec) {
      const m = p.kind === 'text' ? DESCRIPTION.exec(p.rest.trim()) : null;
      if (!MOD_OPERATIONS.has(p.name) || !m)
        throw malformed(
          `expected "add: ATTR", "delete: ATTR", "replace: ATTR" or "increment: ATTR" in a modify record, found "${p.name}:"`,
          n,
        );
      this.spec = { operation: p.name as LdifModification['operation'], attribute: m[1]!.toLowerCase(), values: [] };
      changes.push(this.spec);
      return;
    }
    if (p.name !== this.spec.attribute)
      throw malformed(
        `"${p.name}:" inside the "${this.spec.operation}: ${this.spec.attribute}" block (missing "-"?)`,
        n,
      );
    this.spec.values.push(decodeValue(p, n));
  }
}

/**
 * Parses LDIF content and change records: `ldifde -f` exports (CRLF, `changetype: add` on every
 * record, folded base64, UTF-16 with `-u`), `ldapsearch -LLL` output (plain `ldapsearch` too: its
 * `search:`/`result:` trailer and `ref:` blocks are skipped), and `ldapmodify` input. Attribute
 * names are case-insensitive and options are dropped (`userCertificate;binary` is `usercertificate`).
 * Base64 values stay bytes for `;binary` and known binary attributes, or when they are not UTF-8 text.
 *
 * @throws FormatError `malformed-ldif` (`details.line`), `unsupported-ldif-url` for `attr:< URL`;
 *   LimitError `limit-exceeded` (`details.limit`, `details.value`)
 *
 * @example
 * ```ts
 * for (const r of parseLdif(exportText)) console.log(r.dn, r.attributes.get('mail'));
 * ```
 */
export function parseLdif(input: string | BytesLike, options: LdifOptions = {}): LdifRecord[] {
  const limits = { ...DEFAULT_LDIF_LIMITS, ...options };
  const reader = new LdifReader(limits);
  for (const l of logicalLines(decodeInput(input, limits.maxBytes), limits.maxLineLength)) reader.line(l.text, l.line);
  reader.endRecord();
  return reader.records;
}

/** A value as text (bytes decoded as UTF-8, invalid sequences replaced). */
export function ldifText(value: LdifValue): string {
  return typeof value === 'string' ? value : new TextDecoder().decode(value);
}

/** A value as bytes (text encoded as UTF-8): how binary attributes are read whatever form they came in. */
export function ldifBytes(value: LdifValue): Uint8Array {
  return typeof value === 'string' ? utf8(value) : value;
}
