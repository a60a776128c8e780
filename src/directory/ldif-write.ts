/**
 * LDIF (RFC 2849) writing: the records an admin loads with `ldapmodify` / `ldifde -i` to publish a
 * certificate, and content records for exports or `ldapadd`. Values that are not a SAFE-STRING are
 * written in base64; lines are folded at 76 columns. Reading is in ldif.ts.
 */
import { ArgumentError } from '../errors.js';
import { toBase64, toBytes, utf8, type BytesLike } from '../util/bytes.js';
import { DESCRIPTION, MOD_OPERATIONS, preview, type LdifModification, type LdifValue } from './ldif.js';

// RFC 2849 SAFE-STRING: such a value is written as it is, anything else in base64.
const SAFE_STRING = /^(?:[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*)?$/;

/** Options of the LDIF writers. */
export interface LdifFormatOptions {
  /** Line ending (default `\n`; `ldifde -i` and `ldapmodify` read both). */
  lineEnding?: '\n' | '\r\n';
}

/** Attribute values to write, by attribute description as written (`userCertificate;binary`). */
export type LdifAttributes =
  Readonly<Record<string, LdifValue | readonly LdifValue[]>> | ReadonlyMap<string, LdifValue | readonly LdifValue[]>;

// `instanceof Map` alone would narrow a ReadonlyMap to Map<any, any>.
function isMap(a: LdifAttributes): a is ReadonlyMap<string, LdifValue | readonly LdifValue[]> {
  return a instanceof Map;
}

/** Folds at 76 columns: continuation lines start with one space. */
function fold(line: string): string[] {
  if (line.length <= 76) return [line];
  const out = [line.slice(0, 76)];
  for (let i = 76; i < line.length; i += 75) out.push(` ${line.slice(i, i + 75)}`);
  return out;
}

function assertDescription(description: string): void {
  if (typeof description !== 'string' || !DESCRIPTION.test(description))
    throw new ArgumentError('bad-argument', `"${preview(String(description))}" is not an LDAP attribute description`);
}

/** `name: value` when the value is a SAFE-STRING (and does not end in a space), else `name:: base64`. */
function valueLines(description: string, value: LdifValue | BytesLike): string[] {
  assertDescription(description);
  if (typeof value === 'string' && SAFE_STRING.test(value) && !value.endsWith(' '))
    return fold(value === '' ? `${description}:` : `${description}: ${value}`);
  const bytes = typeof value === 'string' ? utf8(value) : toBytes(value, `value of ${description}`);
  return fold(`${description}:: ${toBase64(bytes)}`);
}

/** The record's text: `dn:` line, body, a line ending after each line. */
function record(dn: string, body: string[], options: LdifFormatOptions): string {
  if (typeof dn !== 'string') throw new ArgumentError('bad-argument', 'the DN must be a string');
  const eol = options.lineEnding ?? '\n';
  return [...valueLines('dn', dn), ...body].join(eol) + eol;
}

/** Options of `formatLdifEntry`. */
export interface LdifEntryFormatOptions extends LdifFormatOptions {
  /** Write `changetype: add` (what `ldifde -i` expects; `ldapadd` accepts it too). Default false. */
  changetype?: boolean;
}

/**
 * One entry as an LDIF content record, ending with a line break: join several with a blank line
 * (`entries.join('\n')`) for an export or `ldapadd -f`.
 *
 * @throws ArgumentError `bad-argument` for an attribute name that is not an attribute description
 */
export function formatLdifEntry(dn: string, attributes: LdifAttributes, options: LdifEntryFormatOptions = {}): string {
  const lines = options.changetype ? ['changetype: add'] : [];
  const pairs = isMap(attributes) ? [...attributes.entries()] : Object.entries(attributes);
  for (const [name, values] of pairs) {
    for (const v of Array.isArray(values) ? (values as readonly LdifValue[]) : [values as LdifValue])
      lines.push(...valueLines(name, v));
  }
  return record(dn, lines, options);
}

/** One modification to write: `attribute` as written (e.g. `userSMIMECertificate;binary`); no values to `delete` the whole attribute. */
export interface LdifChange {
  operation: LdifModification['operation'];
  attribute: string;
  values?: readonly (LdifValue | BytesLike)[];
}

/**
 * A `changetype: modify` record for `ldapmodify -f` / `ldifde -i`, ending with a line break.
 *
 * @throws ArgumentError `bad-argument`
 */
export function formatLdifModify(dn: string, changes: readonly LdifChange[], options: LdifFormatOptions = {}): string {
  const lines = ['changetype: modify'];
  for (const change of changes) {
    if (!MOD_OPERATIONS.has(change.operation))
      throw new ArgumentError('bad-argument', `"${String(change.operation)}" is not an LDIF modify operation`);
    assertDescription(change.attribute);
    lines.push(`${change.operation}: ${change.attribute}`);
    for (const v of change.values ?? []) lines.push(...valueLines(change.attribute, v));
    lines.push('-');
  }
  return record(dn, lines, options);
}

/** Options of `userSmimeCertificateLdif`. */
export interface CertificateLdifOptions extends LdifFormatOptions {
  /** Default `userSMIMECertificate` (what Outlook's Publish to GAL writes); `userCertificate` for a bare DER certificate. */
  attribute?: 'userSMIMECertificate' | 'userCertificate';
  /** `replace` (default: the published value becomes the only one) or `add` (keep the existing values). */
  mode?: 'replace' | 'add';
  /** Append the `;binary` option (default true: OpenLDAP requires it for userCertificate). */
  binaryOption?: boolean;
}

/**
 * The change record that publishes `value` on the entry `dn`:
 * `changetype: modify`, `replace: userSMIMECertificate;binary`, the value in base64 folded at 76 columns, `-`.
 *
 * @throws ArgumentError `bad-argument`
 *
 * @example
 * ```ts
 * const ldif = userSmimeCertificateLdif('CN=Bob,OU=Users,DC=contoso,DC=com', await buildUserSmimeCertificate(bob));
 * // ldapmodify -H ldaps://dc.contoso.com -f bob.ldif
 * ```
 */
export function userSmimeCertificateLdif(dn: string, value: BytesLike, options: CertificateLdifOptions = {}): string {
  const attribute = `${options.attribute ?? 'userSMIMECertificate'}${options.binaryOption === false ? '' : ';binary'}`;
  return formatLdifModify(
    dn,
    [{ operation: options.mode ?? 'replace', attribute, values: [toBytes(value, 'value')] }],
    options,
  );
}
