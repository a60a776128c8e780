/**
 * RFC 9788 header protection when composing: the `headerProtection` option of `signMessage`, `encryptMessage` and
 * `composeMessage`. The MIME work (copying the header fields inside, the header confidentiality policy, HP-Outer,
 * the legacy display element) is src/mime/header-protection.ts; this file decides where it happens. The
 * protected header fields must sit in the Cryptographic Payload, the innermost entity: for signed-then-encrypted
 * mail they are added when signing (marked `hp="cipher"`, the outer header section already obscured), never to
 * the signed entity afterwards (that would break the signature).
 */
import { ArgumentError } from '../errors.js';
import { CONTENT_TYPE } from '../cms/content-info.js';
import { parseSignedData } from '../cms/signed-data.js';
import type { CmsLimits } from '../cms/limits.js';
import { canonicalizeEntity } from '../mime/canonical.js';
import { decodedBody, parseMime, type MimeEntity } from '../mime/entity.js';
import type { MimeHeader } from '../mime/headers.js';
import {
  headerConfidentialityPolicy,
  type HeaderConfidentialityPolicy,
  type HeaderConfidentialityPolicyName,
} from '../mime/header-policy.js';
import { protectHeaders, type ProtectHeadersOptions } from '../mime/header-protection.js';
import { classifyEntity } from './classify.js';
import { cmsOfEntity } from './read-cms.js';

/** Header protection settings (RFC 9788); `headerProtection: true` is all defaults. */
export interface HeaderProtectionOptions {
  /**
   * The Header Confidentiality Policy of encrypted messages: `baseline` (default, the RFC's `hcp_baseline`:
   * Subject becomes `[...]`, Keywords and Comments are removed outside), `shy` (`hcp_shy`: also no display
   * names on From/To/Cc and the Date in UTC outside), `none` (`hcp_no_confidentiality`), or a function
   * `(name, value) => outer value | null`. Signed-only messages hide nothing.
   */
  policy?: HeaderConfidentialityPolicyName | HeaderConfidentialityPolicy;
  /**
   * Encrypted messages: write the header fields the policy hides (e.g. the real Subject) at the top of the main
   * body parts as a legacy display element, for recipients whose client decrypts but does not support header
   * protection (Outlook, most clients today). Clients that support it remove it. Default true.
   */
  legacyDisplay?: boolean;
}

/** `signMessage`'s header protection settings. */
export interface SignHeaderProtectionOptions extends HeaderProtectionOptions {
  /**
   * The signed message is going to be encrypted (`encryptMessage` with `headerProtection`): the payload is marked
   * `hp="cipher"`, the policy obscures the outer header section now and records it inside (HP-Outer), and the
   * legacy display element is added. Default false: `hp="clear"`, nothing hidden. Do not send such a message
   * without encrypting it: its real Subject is then readable inside the signature.
   */
  forEncryption?: boolean;
}

/**
 * The MIME-level options for an option value; undefined when header protection is off.
 *
 * @throws {ArgumentError} `bad-argument` for a value that is no option, or an unknown policy
 */
function headerProtectionSettings(
  option: boolean | SignHeaderProtectionOptions | undefined,
  hp: 'clear' | 'cipher',
): ProtectHeadersOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (typeof option !== 'object' || option === null))
    throw new ArgumentError('bad-argument', 'headerProtection must be true, false or an options object');
  const settings = option === true ? {} : option;
  const p = settings.policy;
  if (p !== undefined && typeof p !== 'function' && p !== 'baseline' && p !== 'shy' && p !== 'none')
    throw new ArgumentError(
      'bad-argument',
      `unknown header confidentiality policy "${String(p)}" (baseline, shy, none)`,
    );
  return { hp, policy: headerConfidentialityPolicy(p), legacyDisplay: settings.legacyDisplay ?? true };
}

/** What signing and encrypting work on: the outer header section (a whole message) and the body entity. */
interface SplitContent {
  outerHeaders?: MimeHeader[] | undefined;
  entity: Uint8Array;
}

function protect(
  split: SplitContent,
  settings: ProtectHeadersOptions,
): { outerHeaders: MimeHeader[]; entity: Uint8Array } {
  if (!split.outerHeaders)
    throw new ArgumentError(
      'bad-argument',
      'header protection needs a whole message (From, To, Subject, ...), not a bare MIME entity',
    );
  const protectedMessage = protectHeaders(split.outerHeaders, split.entity, settings);
  return { outerHeaders: protectedMessage.outerHeaders, entity: protectedMessage.payload };
}

/** `signMessage`'s settings: `hp="cipher"` with `forEncryption`, else `hp="clear"`. */
export function signingSettings(
  option: boolean | SignHeaderProtectionOptions | undefined,
): ProtectHeadersOptions | undefined {
  const forEncryption = typeof option === 'object' && option !== null && option.forEncryption === true;
  return headerProtectionSettings(option, forEncryption ? 'cipher' : 'clear');
}

/** `encryptMessage`'s settings: always `hp="cipher"`. */
export function encryptionSettings(
  option: boolean | HeaderProtectionOptions | undefined,
): ProtectHeadersOptions | undefined {
  return headerProtectionSettings(option, 'cipher');
}

/**
 * `signMessage` with `headerProtection`: the canonical entity becomes the Cryptographic Payload (`hp="clear"`,
 * or `hp="cipher"` with `forEncryption`), canonical again after the legacy display element was added.
 */
export function protectForSigning(
  split: SplitContent,
  option: boolean | SignHeaderProtectionOptions | undefined,
): SplitContent {
  const settings = signingSettings(option);
  if (!settings) return split;
  const out = protect(split, settings);
  return { outerHeaders: out.outerHeaders, entity: canonicalizeEntity(out.entity) };
}

/** The `hp` value of the payload inside a signed entity (multipart/signed or opaque signed-data), if it is one. */
function signedPayloadHp(entity: MimeEntity, limits: CmsLimits | undefined): string | undefined | null {
  const type = classifyEntity(entity);
  if (type?.form === 'multipart-signed') return entity.children[0]?.contentType.params.hp ?? null;
  if (type?.form !== 'pkcs7-mime' || cmsOfEntity(entity).contentType !== CONTENT_TYPE.signedData) return undefined;
  const content = parseSignedData(decodedBody(entity), limits).content;
  return content && content.length > 0 ? (parseMime(content).contentType.params.hp ?? null) : null;
}

/**
 * `encryptMessage` with `headerProtection`. Unsigned content becomes the Cryptographic Payload (`hp="cipher"`,
 * policy, HP-Outer, legacy display). Signed content cannot change any more: it is encrypted as it is when its
 * payload already says `hp="cipher"` (signed with `headerProtection: { forEncryption: true }`), and refused
 * otherwise, so no message leaves with a header protection it does not have.
 *
 * @throws {ArgumentError} `bad-argument`
 */
export function protectForEncryption(
  split: SplitContent,
  option: boolean | HeaderProtectionOptions | undefined,
  limits?: CmsLimits,
): SplitContent {
  const settings = encryptionSettings(option);
  if (!settings) return split;
  const hp = signedPayloadHp(parseMime(split.entity), limits);
  if (hp === undefined) return protect(split, settings);
  if (hp !== null && hp.trim().toLowerCase() === 'cipher') return split;
  throw new ArgumentError(
    'bad-argument',
    `the message is already signed ${hp === null ? 'without header protection' : `with hp="${hp}"`}: its headers can no longer be protected for encryption; sign it with headerProtection: { forEncryption: true } (or use composeMessage)`,
  );
}
