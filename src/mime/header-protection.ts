/**
 * RFC 9788 header protection at the MIME level. Composing: the message's header fields are copied into the
 * header section of the Cryptographic Payload (the entity that gets signed or encrypted), whose Content-Type says
 * `hp="clear"` (signed only) or `hp="cipher"` (encrypted); for `cipher`, a Header Confidentiality Policy rewrites
 * the outer header section and every field left outside is recorded inside as `HP-Outer: Name: value`. Reading:
 * the protected header fields, the HP-Outer records, which fields were confidential, and which outer fields differ
 * from what the protected part says they should be. The cryptography is smimekit's S/MIME layer's business.
 */
import { ArgumentError } from '../errors.js';
import { concatBytes, fromLatin1 } from '../util/bytes.js';
import { rawHeaderText } from './canonical.js';
import { parseMime, type MimeEntity } from './entity.js';
import { decodeEncodedWords, getHeader, type MimeHeader } from './headers.js';
import {
  hcpBaseline,
  isStructuralField,
  isUserFacingField,
  type HeaderConfidentialityPolicy,
  type HeaderField,
} from './header-policy.js';
import { addLegacyDisplay } from './legacy-display.js';

/** The header field that records, inside an encrypted payload, one field of the outer header section. */
export const HP_OUTER = 'HP-Outer';

/** Options of {@link protectHeaders}. */
export interface ProtectHeadersOptions {
  /** `clear` for a message that is signed only, `cipher` for one that is (or will be) encrypted. */
  hp: 'clear' | 'cipher';
  /** `cipher` only: the Header Confidentiality Policy for the outer header section (default `hcpBaseline`). */
  policy?: HeaderConfidentialityPolicy;
  /** `cipher` only: add a legacy display element when the policy hides a user-facing field (default true). */
  legacyDisplay?: boolean;
}

/** What {@link protectHeaders} produces. */
export interface ProtectedMessage {
  /** The outer header section: the original fields for `clear`, the policy's output for `cipher`. */
  outerHeaders: MimeHeader[];
  /** The Cryptographic Payload: protected header fields, HP-Outer records, Content-* with `hp`, body (CRLF). */
  payload: Uint8Array;
  /** Names of the fields the policy obscured or removed outside (empty for `clear`). */
  confidential: string[];
  /** True when a legacy display element was added to a main body part. */
  legacyDisplay: boolean;
}

/** Header fields never copied into the payload: Bcc would show every recipient who else got the message. */
const NEVER_PROTECTED = /^(bcc|resent-bcc)$/i;

const isMessageField = (h: MimeHeader): boolean =>
  h.name !== '' && !isStructuralField(h.name) && h.name.toLowerCase() !== HP_OUTER.toLowerCase();

/** `Name: value` folded at spaces so no line passes 78 columns when it can be helped, with its CRLF. */
function foldedField(name: string, value: string): string {
  const words = `${name}: ${value}`.split(' ');
  let line = words.shift()!;
  let out = '';
  for (const word of words) {
    if (line.length + 1 + word.length > 78 && line.trim() !== '') {
      out += `${line}\r\n`;
      line = ` ${word}`;
    } else line += ` ${word}`;
  }
  return `${out}${line}\r\n`;
}

const newField = (name: string, value: string): MimeHeader => ({
  name,
  value,
  raw: fromLatin1(foldedField(name, value)),
});

/** The raw Content-Type of `entity` with `hp="..."` added (text/plain when it has none). */
function withHp(entity: MimeEntity, hp: string): string {
  const fields = entity.headers.filter((h) => h.name !== '');
  const type = fields.find((h) => h.name.toLowerCase() === 'content-type');
  const others = fields.filter((h) => h !== type).map(rawHeaderText);
  const typed = type ? rawHeaderText(type).replace(/\r\n$/, '') : 'Content-Type: text/plain; charset=us-ascii';
  return `${typed};\r\n hp="${hp}"\r\n${others.join('')}`;
}

/** The HCP applied to the outer header section: the new outer fields, their HP-Outer records, what changed. */
function applyPolicy(outer: readonly MimeHeader[], policy: HeaderConfidentialityPolicy) {
  const outerHeaders: MimeHeader[] = [];
  const records: string[] = [];
  const hidden: MimeHeader[] = [];
  for (const h of outer) {
    if (!isMessageField(h)) {
      if (h.name !== '' && h.name.toLowerCase() !== HP_OUTER.toLowerCase()) outerHeaders.push(h);
      continue;
    }
    const value = policy(h.name, h.value);
    if (value !== h.value) hidden.push(h);
    if (value === null) continue;
    if (typeof value !== 'string' || /[\r\n]/.test(value))
      throw new ArgumentError(
        'bad-argument',
        `the header confidentiality policy returned no usable value for ${h.name}`,
      );
    const field = value === h.value ? h : newField(h.name, value);
    outerHeaders.push(field);
    if (!NEVER_PROTECTED.test(h.name)) records.push(`${HP_OUTER}: ${rawHeaderText(field)}`);
  }
  return { outerHeaders, records, hidden };
}

/**
 * Header protection for a message about to be signed or encrypted (RFC 9788, composing): `outerHeaders`
 * are the message's header fields outside the body entity (as `splitMessage` returns them), `entity` the body
 * entity (Content-* headers and body). Every non-structural field but Bcc is copied into the payload's header
 * section; for `cipher` the policy rewrites the outer section, each field left outside gets an HP-Outer record
 * and, unless `legacyDisplay: false`, the main body parts get a legacy display element listing the user-facing
 * fields the policy hid.
 *
 * @throws {ArgumentError} `bad-argument` when there is no header field to protect or the entity already has `hp`
 */
export function protectHeaders(
  outerHeaders: readonly MimeHeader[],
  entity: Uint8Array,
  options: ProtectHeadersOptions,
): ProtectedMessage {
  const fields = outerHeaders.filter((h) => isMessageField(h) && !NEVER_PROTECTED.test(h.name));
  if (fields.length === 0)
    throw new ArgumentError(
      'bad-argument',
      'header protection needs a whole message: there is no header field to protect',
    );
  if (parseMime(entity).contentType.params.hp !== undefined)
    throw new ArgumentError('bad-argument', 'the content already carries header protection (an hp parameter)');
  let outer = [...outerHeaders];
  let records: string[] = [];
  let hidden: MimeHeader[] = [];
  let body = entity;
  let decorated = 0;
  if (options.hp === 'cipher') {
    ({ outerHeaders: outer, records, hidden } = applyPolicy(outerHeaders, options.policy ?? hcpBaseline));
    const shown = hidden.filter((h) => isUserFacingField(h.name) && !NEVER_PROTECTED.test(h.name));
    if (options.legacyDisplay !== false && shown.length > 0)
      ({ entity: body, decorated } = addLegacyDisplay(
        entity,
        shown.map((h) => [h.name, displayValue(h.value)] as const),
      ));
  }
  const root = parseMime(body);
  const head = fields.map(rawHeaderText).join('') + records.join('') + withHp(root, options.hp);
  return {
    outerHeaders: outer,
    payload: concatBytes(fromLatin1(`${head}\r\n`), body.subarray(root.bodyStart, root.end)),
    confidential: [...new Set(hidden.map((h) => h.name))],
    legacyDisplay: decorated > 0,
  };
}

/** What the header section of a Cryptographic Payload with header protection says. */
export interface ProtectedHeaderSection {
  /** The `hp` parameter: `clear` (signed only) or `cipher` (encrypted). */
  hp: 'clear' | 'cipher';
  /** The protected header fields (non-structural, HP-Outer excluded), in order. */
  fields: MimeHeader[];
  /** HP-Outer records: the outer header fields as the sender wrote them, name and value (`cipher` only). */
  hpOuter: HeaderField[];
}

/**
 * The protected header section of a Cryptographic Payload (RFC 9788): its root Content-Type has `hp="clear"`
 * or `hp="cipher"` (case-insensitive). Undefined without header protection (also for an unknown `hp` value).
 * HP-Outer records are read for `cipher` only; a record without a colon is ignored.
 */
export function protectedHeaderSection(payload: MimeEntity): ProtectedHeaderSection | undefined {
  const hp = payload.contentType.params.hp?.trim().toLowerCase();
  if (hp !== 'clear' && hp !== 'cipher') return undefined;
  const hpOuter: HeaderField[] = [];
  if (hp === 'cipher') {
    for (const h of payload.headers) {
      if (h.name.toLowerCase() !== HP_OUTER.toLowerCase()) continue;
      const colon = h.value.indexOf(':');
      if (colon > 0 && h.value.slice(0, colon).trim() !== '')
        hpOuter.push([h.value.slice(0, colon).trim(), h.value.slice(colon + 1).trim()]);
    }
  }
  return { hp, fields: payload.headers.filter(isMessageField), hpOuter };
}

/** Whitespace runs as one space, trimmed: folding and transport re-wrapping do not make a field different. */
const normalized = (value: string): string => value.replace(/\s+/g, ' ').trim();

/** Normalized values by lower-cased name, in order: one pass, so thousands of fields cost no more than reading them. */
function valuesByName(fields: ReadonlyArray<HeaderField>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    const list = out.get(lower);
    if (list) list.push(normalized(value));
    else out.set(lower, [normalized(value)]);
  }
  return out;
}

const asFields = (headers: readonly MimeHeader[]): HeaderField[] => headers.map((h) => [h.name, h.value] as const);

/**
 * The protected header fields that were confidential (RFC 9788): for `hp="cipher"`, those no HP-Outer
 * record repeats with the same name and value (obscured or removed outside). Names, first occurrence order.
 */
export function confidentialFields(section: ProtectedHeaderSection): string[] {
  if (section.hp !== 'cipher') return [];
  const recorded = valuesByName(section.hpOuter);
  const names = new Map<string, string>();
  for (const h of section.fields) {
    const lower = h.name.toLowerCase();
    if (!names.has(lower) && !(recorded.get(lower) ?? []).includes(normalized(h.value))) names.set(lower, h.name);
  }
  return [...names.values()];
}

/** One header field whose outer copy is not what the protected part says it should be. */
export interface HeaderMismatch {
  /** Field name, as the protected part (else the outer section) writes it. */
  name: string;
  /** Its protected values (empty: not protected). */
  protected: string[];
  /** Its values in the outer header section as received (empty: absent outside). */
  outer: string[];
  /** `hp="cipher"`: the outer values the sender recorded (HP-Outer); the outer values should equal these. */
  recorded?: string[];
}

/**
 * Outer header fields that differ from what the protected part says (changed in transit, or by an attacker).
 * `hp="clear"`: the outer values of a field must equal its protected values. `hp="cipher"`: they must equal the
 * HP-Outer records (a payload that says `cipher` but has no HP-Outer record is compared as `clear`). Fields are
 * compared when they are present outside and protected, recorded or user-facing (a field only missing outside
 * is not a mismatch); values are compared with whitespace runs collapsed. Transport fields added outside (Received, DKIM-Signature, List-Id, ...) are not.
 */
export function outerHeaderMismatches(outer: readonly MimeHeader[], section: ProtectedHeaderSection): HeaderMismatch[] {
  const inside = asFields(section.fields);
  const outside = asFields(outer.filter(isMessageField));
  const byRecords = section.hp === 'cipher' && section.hpOuter.length > 0;
  const expected = byRecords ? section.hpOuter : inside;
  const [insideValues, expectedValues, outsideValues] = [inside, expected, outside].map(valuesByName);
  const names = new Map<string, string>();
  for (const [name] of [...inside, ...expected, ...outside.filter(([n]) => isUserFacingField(n))])
    if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  const out: HeaderMismatch[] = [];
  for (const [lower, name] of names) {
    const want = expectedValues!.get(lower) ?? [];
    const got = outsideValues!.get(lower) ?? [];
    // A field only missing outside changes nothing a client shows (the protected one is displayed); a bare
    // entity verified on its own has no outer header section at all.
    if (got.length === 0 || (want.length === got.length && want.every((v, i) => v === got[i]))) continue;
    out.push({
      name,
      protected: insideValues!.get(lower) ?? [],
      outer: got,
      ...(byRecords ? { recorded: want } : {}),
    });
  }
  return out;
}

/**
 * The payload as a message to render: its header section without the HP-Outer records (the protected fields
 * are the message's header fields), with `MIME-Version` when it has none; the body as it is.
 */
export function payloadAsMessage(payload: MimeEntity): Uint8Array {
  const fields = payload.headers.filter((h) => h.name !== '' && h.name.toLowerCase() !== HP_OUTER.toLowerCase());
  const version = getHeader(payload.headers, 'mime-version') === undefined ? 'MIME-Version: 1.0\r\n' : '';
  const head = fields.map(rawHeaderText).join('') + version;
  return concatBytes(fromLatin1(`${head}\r\n`), payload.source.subarray(payload.bodyStart, payload.end));
}

/** A header value for people: raw UTF-8 (RFC 6532) read as UTF-8, then RFC 2047 encoded words decoded. */
function displayValue(value: string): string {
  let text = value;
  if (/[\x80-\xff]/.test(text)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(fromLatin1(text));
    } catch {
      // Not UTF-8: the bytes stay as Latin-1 characters.
    }
  }
  return decodeEncodedWords(text);
}

/** `[name, value]` pairs as a client shows them (raw UTF-8 and RFC 2047 encoded words decoded). */
export function displayFields(headers: readonly MimeHeader[]): HeaderField[] {
  return headers.map((h) => [h.name, displayValue(h.value)] as const);
}
