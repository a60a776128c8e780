/**
 * RFC 9788: Header Confidentiality Policies (HCP). An HCP decides, for each non-structural header field of an
 * encrypted message, what its outer (unencrypted) copy says: the same value, an obscured one, or nothing.
 * The protected copy inside the Cryptographic Payload always keeps the real value.
 */
import { parseAddresses } from './headers.js';

/** A header field as a name and its unfolded value. */
export type HeaderField = readonly [name: string, value: string];

/**
 * An HCP (RFC 9788): `hcp(name, value)` returns the value the outer header section carries for this field —
 * `value` itself (not confidential), another value (obscured), or `null` (removed from the outer section).
 */
export type HeaderConfidentialityPolicy = (name: string, value: string) => string | null;

/** The policies RFC 9788 names: `none` is hcp_no_confidentiality, `baseline` hcp_baseline, `shy` hcp_shy. */
export type HeaderConfidentialityPolicyName = 'none' | 'baseline' | 'shy';

/**
 * User-facing header fields (the RFC 9788 / RFC 9787 term): what a mail client shows a person. Only these go
 * into a legacy display element, and only these are compared when they appear outside alone.
 */
export const USER_FACING_FIELDS: readonly string[] = [
  'Subject',
  'From',
  'To',
  'Cc',
  'Date',
  'Reply-To',
  'Followup-To',
  'Sender',
  'Resent-From',
  'Resent-To',
  'Resent-Cc',
  'Resent-Date',
  'Resent-Sender',
];

const USER_FACING = new Set(USER_FACING_FIELDS.map((n) => n.toLowerCase()));

/** True for a user-facing header field name (case-insensitive). */
export function isUserFacingField(name: string): boolean {
  return USER_FACING.has(name.toLowerCase());
}

/**
 * Structural header fields (`Content-*`, `MIME-Version`) describe the MIME part they sit on, not the message:
 * they are neither protected nor subject to an HCP (RFC 9788).
 */
export function isStructuralField(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('content-') || lower === 'mime-version';
}

/** The value an obscured Subject carries outside (RFC 9788). */
export const OBSCURED_SUBJECT = '[...]';

/** `hcp_no_confidentiality` (RFC 9788): every field keeps its value outside. */
export const hcpNoConfidentiality: HeaderConfidentialityPolicy = (_name, value) => value;

/**
 * `hcp_baseline` (RFC 9788), the RFC's recommended default: Subject becomes `[...]`, Keywords and
 * Comments are removed, everything else (From, To, Cc, Date, Message-ID, ...) stays as it is so the message
 * is still delivered and threaded.
 */
export const hcpBaseline: HeaderConfidentialityPolicy = (name, value) => {
  const lower = name.toLowerCase();
  if (lower === 'subject') return OBSCURED_SUBJECT;
  if (lower === 'keywords' || lower === 'comments') return null;
  return value;
};

/**
 * `hcp_shy` (RFC 9788): `hcp_baseline`, and also the display names dropped from From, To and Cc (only
 * the addresses stay outside) and the Date moved to UTC (the sender's time zone stays inside). A value it
 * cannot read is left as it is rather than rewritten on a guess.
 */
export const hcpShy: HeaderConfidentialityPolicy = (name, value) => {
  const lower = name.toLowerCase();
  if (lower === 'from' || lower === 'to' || lower === 'cc') return addressesOnly(value) ?? value;
  if (lower === 'date') return utcDate(value) ?? value;
  return hcpBaseline(name, value);
};

/** The policy for an option value (default `baseline`). */
export function headerConfidentialityPolicy(
  policy: HeaderConfidentialityPolicyName | HeaderConfidentialityPolicy | undefined,
): HeaderConfidentialityPolicy {
  if (typeof policy === 'function') return policy;
  if (policy === 'none') return hcpNoConfidentiality;
  if (policy === 'shy') return hcpShy;
  return hcpBaseline;
}

/** `a@b, c@d` for an address list with display names; undefined when some item is not a plain mailbox. */
function addressesOnly(value: string): string | undefined {
  const items = splitList(value).filter((s) => s.trim() !== '');
  const addresses = parseAddresses(value);
  // Groups, comments-only items and other syntax: leave the field as it is.
  if (items.length === 0 || addresses.length !== items.length || /[:;]/.test(value.replace(/"[^"]*"/g, '')))
    return undefined;
  return addresses.join(', ');
}

/** An address list split at the commas outside quoted strings and angle brackets (one pass). */
function splitList(value: string): string[] {
  const items: string[] = [];
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '<' || c === '>')) angle = c === '<';
    else if (c === ',' && !quoted && !angle) {
      items.push(value.slice(start, i));
      start = i + 1;
    }
  }
  items.push(value.slice(start));
  return items;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const ZONES: Record<string, number> = {
  UT: 0,
  GMT: 0,
  Z: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
};
const two = (n: number): string => String(n).padStart(2, '0');

/** An RFC 5322 date-time rewritten in UTC (`+0000`); undefined when it cannot be read. */
function utcDate(value: string): string | undefined {
  const m =
    /^\s*(?:[A-Za-z]{3}\s*,\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,3})?\s*(?:\(.*\))?\s*$/.exec(
      value,
    );
  const month = m ? MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase()) : -1;
  if (!m || month < 0) return undefined;
  let year = Number(m[3]);
  if (m[3]!.length < 4) year += year < 50 ? 2000 : 1900;
  const zone = m[7] ?? '+0000';
  let offset: number;
  if (/^[+-]\d{4}$/.test(zone)) {
    const sign = zone[0] === '-' ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  } else offset = (ZONES[zone.toUpperCase()] ?? 0) * 60;
  const local = Date.UTC(year, month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  const d = new Date(local - offset * 60_000);
  if (Number.isNaN(d.getTime())) return undefined;
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}
