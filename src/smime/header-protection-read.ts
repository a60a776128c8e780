/**
 * RFC 9788 header protection when reading: what `verifyMessage` and `readMessage` report as `headerProtection`.
 * The Cryptographic Payload (the content inside every layer) says `hp="clear"` or `hp="cipher"`; its header
 * fields are the message's real ones only when smimekit opened the layers around it — a signature that verifies
 * over the whole message, or a decryption. Then they are what a client displays (protected header fields win),
 * the outer fields that differ are reported (`header-mismatch`), and the legacy display element is removed from
 * the body to display. The older schemes (`protected-headers="v1"`, RFC 8551's `message/rfc822` wrapper) are
 * read too; `format` tells them apart. Messages with none get no `headerProtection` at all.
 */
import type { SmimeErrorCode } from '../error-codes.js';
import { FormatError } from '../errors.js';
import { concatBytes, fromLatin1 } from '../util/bytes.js';
import { rawHeaderText } from '../mime/canonical.js';
import { entityBytes, headerSection, parseMime, type MimeEntity, type MimeParseOptions } from '../mime/entity.js';
import { parseHeaderBlock, type MimeHeader } from '../mime/headers.js';
import { isStructuralField, type HeaderField } from '../mime/header-policy.js';
import {
  confidentialFields,
  displayFields,
  outerHeaderMismatches,
  payloadAsMessage,
  protectedHeaderSection,
  type HeaderMismatch,
} from '../mime/header-protection.js';
import { removeLegacyDisplay } from '../mime/legacy-display.js';
import {
  confidentialFieldsV1,
  olderProtectedPayload,
  outerMismatchesV1,
  removeLegacyDisplayPartV1,
  unprotectedOuterFields,
  type OlderProtectedPayload,
} from '../mime/protected-headers-v1.js';
import type { VerifyReport } from './report.js';

/** What a message's header protection says, and what a client should show (`headerProtection` of a result). */
export interface HeaderProtectionResult {
  /**
   * Which scheme the payload uses: `rfc9788` (an `hp` parameter); `protected-headers-v1`, the older draft scheme
   * Thunderbird, Enigmail, mutt and Delta Chat write (`protected-headers="v1"`); `rfc8551-wrapped`, a whole
   * message wrapped as `message/rfc822; forwarded="no"` (RFC 8551 §3.1). The two older ones have no HP-Outer
   * records: their `hp`, `confidential` and legacy display part are inferred by smimekit, not declared.
   */
  format: 'rfc9788' | 'protected-headers-v1' | 'rfc8551-wrapped';
  /**
   * The payload's `hp` parameter: `clear` (the sender protected the header fields of a signed-only message) or
   * `cipher` (of an encrypted one). The older formats: `cipher` when the payload was decrypted, else `clear`.
   */
  hp: 'clear' | 'cipher';
  /** `hp` in words: `signed-only` for `clear`, `encrypted` for `cipher`. */
  scheme: 'signed-only' | 'encrypted';
  /**
   * The protected header fields can be believed: a signature that verifies covers them (and the whole message),
   * or they came out of a decryption. When false (a bad signature, a signed part of a bigger message) nothing
   * protected is used: `displayHeaders` are the outer ones, and no mismatch is reported.
   */
  trusted: boolean;
  /** What stands behind the protected header fields: a signature that verifies, a decryption (not authenticated by itself). */
  protectedBy: { signature: boolean; encryption: boolean };
  /** The protected header fields (non-structural, HP-Outer excluded), unfolded values as written (encoded words kept). */
  protectedHeaders: HeaderField[];
  /** `cipher`: the HP-Outer records, the outer header fields as the sender wrote them (always empty for the older formats). */
  hpOuter: HeaderField[];
  /**
   * `cipher`: the protected fields the sender kept confidential (obscured or removed outside), e.g. `Subject`;
   * confidential in fact only when `protectedBy.encryption`. The older formats: the protected fields of a
   * decrypted payload that are absent outside or there only as a placeholder (`...`, `[...]`, `Encrypted Message`).
   */
  confidential: string[];
  /** Outer header fields that differ from what the protected part says (each one is also a `header-mismatch` warning). */
  outerMismatches: HeaderMismatch[];
  /**
   * The header fields a client shows: the protected ones when `trusted` (encoded words decoded), else the outer
   * ones. The older formats, `trusted`: the protected ones, then the outer user-facing and threading fields
   * (Message-ID, In-Reply-To, References) of names not protected.
   */
  displayHeaders: HeaderField[];
  /**
   * A legacy display element was removed from the body to display (`cipher` and `trusted` only);
   * `protected-headers-v1`: the legacy display part (the first part of the payload).
   */
  legacyDisplayRemoved: boolean;
  /**
   * The message to render: `displayHeaders` (as written) and the payload's body with the legacy display element
   * removed, CRLF. The result's `content` stays the payload as it was signed or decrypted.
   */
  display: Uint8Array;
}

/** `headerProtection` as plain JSON (the display message by its length, no bytes), for `--json` outputs. */
export function headerProtectionToJson(hp: HeaderProtectionResult): unknown {
  const { display, ...rest } = hp;
  return { ...rest, displayLength: display.length };
}

/** The scheme in words for text reports: `signed-only (hp="clear")`, `encrypted (protected-headers="v1", ...)`. */
export function headerProtectionLabel(hp: Pick<HeaderProtectionResult, 'format' | 'scheme' | 'hp'>): string {
  if (hp.format === 'rfc9788') return `${hp.scheme} (hp="${hp.hp}")`;
  const how = hp.format === 'protected-headers-v1' ? 'protected-headers="v1"' : 'message/rfc822 wrapper, RFC 8551';
  return `${hp.scheme} (${how}, a scheme older than RFC 9788)`;
}

/** A finding of the header protection check (report level). */
export interface HeaderProtectionFinding {
  code: SmimeErrorCode;
  message: string;
}

const quote = (values: readonly string[]): string =>
  values.length === 0 ? 'absent' : values.map((v) => `"${v.length > 120 ? `${v.slice(0, 117)}...` : v}"`).join(', ');

function mismatchWarning(m: HeaderMismatch): HeaderProtectionFinding {
  const inside = m.protected.length
    ? `the protected header says ${quote(m.protected)}`
    : `the message has no protected ${m.name} header`;
  const expected = !m.recorded
    ? inside
    : `${m.recorded.length ? `the sender wrote ${quote(m.recorded)} outside (HP-Outer)` : `the sender wrote no ${m.name} header outside (no HP-Outer record)`} and ${inside}`;
  return {
    code: 'header-mismatch',
    message: `the outer ${m.name} header is ${quote(m.outer)} but ${expected}: changed in transit or by an attacker (show the protected value)`,
  };
}

/** The body to display when the protected header fields cannot be used: the outer fields over the payload's body. */
function outerDisplay(outer: readonly MimeHeader[], payload: MimeEntity): Uint8Array {
  const fields = outer.filter((h) => h.name !== '' && !isStructuralField(h.name));
  const structural = payload.headers.filter((h) => h.name !== '' && isStructuralField(h.name));
  const version = structural.some((h) => h.name.toLowerCase() === 'mime-version') ? '' : 'MIME-Version: 1.0\r\n';
  const head = [...fields, ...structural].map(rawHeaderText).join('') + version;
  return concatBytes(fromLatin1(`${head}\r\n`), payload.source.subarray(payload.bodyStart, payload.end));
}

/**
 * Header protection of a payload: `outer` is the header section outside every layer (what the transport
 * carried), `payload` the content inside the last layer, `vouched` what smimekit checked around it.
 *
 * @returns the result (undefined without header protection) and the `header-mismatch` warnings
 */
export function readHeaderProtection(
  outer: readonly MimeHeader[] | undefined,
  payload: Uint8Array,
  vouched: { signature: boolean; encryption: boolean },
  limits?: MimeParseOptions,
): { result?: HeaderProtectionResult; warnings: HeaderProtectionFinding[] } {
  let root: MimeEntity;
  try {
    root = parseMime(payload, limits);
  } catch (e) {
    if (e instanceof FormatError) return { warnings: [] };
    throw e;
  }
  const section = protectedHeaderSection(root);
  if (!section) return readOlderHeaderProtection(outer, root, vouched, limits);
  const outerFields = (outer ?? []).filter((h) => h.name !== '' && !isStructuralField(h.name));
  const trusted = vouched.signature || vouched.encryption;
  const mismatches = trusted ? outerHeaderMismatches(outerFields, section) : [];
  let shown = root;
  let removed = false;
  if (trusted && section.hp === 'cipher') {
    const stripped = removeLegacyDisplay(entityBytes(root));
    removed = stripped.removed;
    if (removed) shown = parseMime(stripped.entity, limits);
  }
  const result: HeaderProtectionResult = {
    format: 'rfc9788',
    hp: section.hp,
    scheme: section.hp === 'clear' ? 'signed-only' : 'encrypted',
    trusted,
    protectedBy: { ...vouched },
    protectedHeaders: section.fields.map((h) => [h.name, h.value] as const),
    hpOuter: section.hpOuter,
    confidential: confidentialFields(section),
    outerMismatches: mismatches,
    displayHeaders: displayFields(trusted ? section.fields : outerFields),
    legacyDisplayRemoved: removed,
    display: trusted ? payloadAsMessage(shown) : outerDisplay(outerFields, root),
  };
  return { result, warnings: mismatches.map(mismatchWarning) };
}

/** The display message of a trusted v1 payload: its header section, the unprotected outer fields, its body. */
function displayV1(shown: MimeEntity, unprotected: readonly MimeHeader[]): Uint8Array {
  const fields = shown.headers.filter((h) => h.name !== '');
  const version = fields.some((h) => h.name.toLowerCase() === 'mime-version') ? '' : 'MIME-Version: 1.0\r\n';
  const head = [...fields, ...unprotected].map(rawHeaderText).join('') + version;
  return concatBytes(fromLatin1(`${head}\r\n`), shown.source.subarray(shown.bodyStart, shown.end));
}

/**
 * The older schemes, `protected-headers="v1"` and RFC 8551's wrapper (docs/header-protection.md): the same trust
 * rule as RFC 9788, but without HP-Outer records what was confidential is inferred (encrypted payloads only),
 * only protected fields are compared, and outer user-facing fields the sender did not copy inside are shown.
 */
function readOlderHeaderProtection(
  outer: readonly MimeHeader[] | undefined,
  root: MimeEntity,
  vouched: { signature: boolean; encryption: boolean },
  limits?: MimeParseOptions,
): { result?: HeaderProtectionResult; warnings: HeaderProtectionFinding[] } {
  let older: OlderProtectedPayload | undefined;
  try {
    older = olderProtectedPayload(root, limits);
  } catch (e) {
    if (e instanceof FormatError) return { warnings: [] };
    throw e;
  }
  if (!older) return { warnings: [] };
  const { format, entity, fields } = older;
  const outerFields = (outer ?? []).filter((h) => h.name !== '' && !isStructuralField(h.name));
  const trusted = vouched.signature || vouched.encryption;
  const confidential = vouched.encryption ? confidentialFieldsV1(outerFields, fields) : [];
  const mismatches = trusted ? outerMismatchesV1(outerFields, fields, confidential) : [];
  const unprotected = unprotectedOuterFields(outerFields, fields);
  const stripped =
    trusted && vouched.encryption && format === 'protected-headers-v1'
      ? removeLegacyDisplayPartV1(entity, fields, confidential)
      : undefined;
  const shown = stripped ? parseMime(stripped, limits) : entity;
  const result: HeaderProtectionResult = {
    format,
    hp: vouched.encryption ? 'cipher' : 'clear',
    scheme: vouched.encryption ? 'encrypted' : 'signed-only',
    trusted,
    protectedBy: { ...vouched },
    protectedHeaders: fields.map((h) => [h.name, h.value] as const),
    hpOuter: [],
    confidential,
    outerMismatches: mismatches,
    displayHeaders: displayFields(trusted ? [...fields, ...unprotected] : outerFields),
    legacyDisplayRemoved: stripped !== undefined,
    display: trusted ? displayV1(shown, unprotected) : outerDisplay(outerFields, entity),
  };
  return { result, warnings: mismatches.map(mismatchWarning) };
}

/** The header section of a whole message (its outer header fields), without parsing its body. */
function outerHeadersOf(message: Uint8Array): MimeHeader[] {
  const split = headerSection(message);
  return split ? parseHeaderBlock(message.subarray(0, split.headerEnd)) : [];
}

/**
 * `verifyMessage`'s header protection: the payload is the verified content; its header fields are believed when
 * one signature covers the whole message and every signature of the layer that covers the payload verifies.
 * Adds `headerProtection` and the `header-mismatch` warnings to the report.
 */
export function verifyHeaderProtection(
  report: VerifyReport,
  message: Uint8Array,
  limits?: MimeParseOptions,
): VerifyReport {
  const layer = report.layers.find((l) => l.content === report.content) ?? report.layers[report.layers.length - 1];
  const signature =
    report.coverage.complete &&
    layer !== undefined &&
    layer.signers.length > 0 &&
    layer.signers.every((i) => report.signers[i]?.signatureValid === true);
  const found = readHeaderProtection(outerHeadersOf(message), report.content, { signature, encryption: false }, limits);
  if (!found.result) return report;
  report.warnings.push(...found.warnings);
  return { ...report, headerProtection: found.result };
}
