/**
 * The sender check of `verifyMessage` and `readMessage` (issue #14): the addresses a message claims to be from
 * (`From`, and `Sender` when present) against the signer certificates' addresses. A valid signature by
 * mallory@ on a message whose From says ceo@ is a signature, not a signed message from ceo@.
 *
 * - Header copies: the header section outside the signature (what every client displays), and each signed
 *   copy inside it (RFC 9788 header protection: the signed entity's own From/Sender, or the headers of a
 *   message/rfc822 wrapper that is the signed entity). Every copy is checked.
 * - A copy is covered when one signer whose signature verifies has every address of the copy (all `From`
 *   headers and all `Sender` headers of that header section) among its certificate's addresses.
 * - Certificate addresses: the rfc822Name subjectAltNames; the subject's emailAddress only when there is none
 *   (RFC 8550 §3). Local part exact, domain ASCII case-insensitive; no IDNA or Unicode mapping.
 */
import { SmimeError } from '../errors.js';
import type { SmimeErrorCode } from '../error-codes.js';
import { headerSection } from '../mime/entity.js';
import { parseContentType, parseHeaderBlock, type MimeHeader } from '../mime/headers.js';
import { decodeTransferEncoding } from '../mime/transfer-encoding.js';
import { parseCertificate } from '../x509/index.js';
import { emailsMatch } from '../trust/smime-rules.js';
import type { SignedLayer, SignerReport } from './report.js';

/** Largest header section read for a signed copy (the section, not the body). */
const MAX_HEADER_BYTES = 256 * 1024;

/** One copy of the sender headers: where it is, the addresses read, and the parts that were not addresses. */
export interface SenderCopy {
  /** Where the copy is, for messages: `the From/Sender header`, `the From/Sender header signed at /`. */
  where: string;
  addresses: string[];
  unreadable: string[];
}

/** A signer as the check sees it. */
export interface SenderSigner {
  /** Signer certificate (DER). */
  certificate?: Uint8Array;
  /** Only when there is no certificate (a custom verifier): the signer's one address. */
  email?: string;
  signatureValid: boolean;
}

/** The findings of the check (report-level). */
export interface SenderFindings {
  problems: { code: SmimeErrorCode; message: string }[];
  warnings: { code: SmimeErrorCode; message: string }[];
}

/** Comments and quoted display names removed, then split on commas (RFC 5322 address lists, groups tolerated). */
function addressList(value: string): { addresses: string[]; unreadable: string[] } {
  const cleaned = value.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
  const addresses: string[] = [];
  const unreadable: string[] = [];
  for (let part of cleaned.split(',')) {
    // Group syntax: `name: a@b, c@d;` — the display name before ':' and the closing ';' carry no address.
    part = part
      .replace(/^[^<>@]*:/, '')
      .replace(/;\s*$/, '')
      .trim();
    if (part === '' || part === '""') continue;
    const angle = /<([^<>]*)>\s*$/.exec(part);
    const addr = (angle ? angle[1]! : part).trim();
    if (/^[^\s@<>]+@[^\s@<>]+$/.test(addr)) addresses.push(addr);
    else unreadable.push(part);
  }
  return { addresses, unreadable };
}

/** Every From and Sender field of a header section; `undefined` when it has neither. */
export function senderCopy(headers: readonly MimeHeader[], where: string): SenderCopy | undefined {
  const fields = headers.filter((h) => /^(from|sender)$/i.test(h.name));
  if (fields.length === 0) return undefined;
  const copy: SenderCopy = { where, addresses: [], unreadable: [] };
  for (const f of fields) {
    const { addresses, unreadable } = addressList(f.value);
    copy.addresses.push(...addresses);
    copy.unreadable.push(...unreadable);
    if (addresses.length === 0 && unreadable.length === 0) copy.unreadable.push(`(empty ${f.name})`);
  }
  return copy;
}

function headersOf(bytes: Uint8Array): { headers: MimeHeader[]; bodyStart: number } | undefined {
  const split = headerSection(bytes.subarray(0, Math.min(bytes.length, MAX_HEADER_BYTES)));
  if (!split) return undefined;
  return { headers: parseHeaderBlock(bytes.subarray(0, split.headerEnd)), bodyStart: split.bodyStart };
}

/**
 * The signed copy of the sender headers in a signed layer's content (the exact bytes the signature covers):
 * the entity's own From/Sender (RFC 9788), else those of a message/rfc822 wrapper that is the signed entity.
 */
export function signedSenderCopy(content: Uint8Array, where: string): SenderCopy | undefined {
  const top = headersOf(content);
  if (!top) return undefined;
  const own = senderCopy(top.headers, where);
  if (own) return own;
  const type = parseContentType(top.headers.find((h) => /^content-type$/i.test(h.name))?.value);
  if (type.mediaType !== 'message/rfc822') return undefined;
  try {
    const encoding = top.headers.find((h) => /^content-transfer-encoding$/i.test(h.name))?.value;
    const inner = headersOf(decodeTransferEncoding(content.subarray(top.bodyStart), encoding));
    return inner ? senderCopy(inner.headers, `${where} (message/rfc822)`) : undefined;
  } catch (e) {
    if (e instanceof SmimeError) return undefined;
    throw e;
  }
}

/**
 * True when the signed layer at `path` signs the message itself: a layer found at the message's top level (also
 * a signed part of a list-wrapped message, `/1`), or the whole content of such a layer (signed-in-signed,
 * `/signed`; unwrapped, `/signed/enveloped`). Not a part inside a signed layer's content (`/signed/2`: a signed
 * part someone pasted into their own message) and not an attached message (`/2/rfc822`): their signers vouch for
 * that part, not for the message's From.
 */
function signsTheMessage(path: string): boolean {
  let insideSignature = false;
  for (const step of path.split('/')) {
    if (step === 'rfc822') return false;
    if (step === 'signed' || step === 'opaque') insideSignature = true;
    else if (/^\d+$/.test(step) && insideSignature) return false;
  }
  return true;
}

/**
 * The signed layers that sign the message itself (`signsTheMessage`): their signers and the signed copies of the
 * sender headers in their content.
 */
export function messageSignedLayers(
  layers: readonly SignedLayer[],
  signers: readonly SignerReport[],
): { copies: SenderCopy[]; signers: SenderSigner[] } {
  const own = layers.filter((l) => signsTheMessage(l.path));
  const copies = own.flatMap((l) => {
    const copy = signedSenderCopy(l.content, `the From/Sender header signed at ${l.path}`);
    return copy ? [copy] : [];
  });
  return {
    copies,
    signers: own.flatMap((l) =>
      l.signers.map((i) => {
        const s = signers[i]!;
        return { signatureValid: s.signatureValid, ...(s.certificate ? { certificate: s.certificate } : {}) };
      }),
    ),
  };
}

function signerAddresses(s: SenderSigner): string[] {
  if (!s.certificate) return s.email !== undefined ? [s.email] : [];
  try {
    return [...parseCertificate(s.certificate).smimeAddresses];
  } catch (e) {
    if (e instanceof SmimeError) return [];
    throw e;
  }
}

function covers(addresses: readonly string[], copy: SenderCopy): boolean {
  return copy.unreadable.length === 0 && copy.addresses.every((a) => addresses.some((c) => emailsMatch(c, a)));
}

/**
 * Checks every copy of the sender headers against the signers. Nothing is reported when no signature verifies
 * (the signature problems say enough); `sender-missing` (a warning) when no copy exists, unless the caller named
 * the expected sender (`from`, checked as `email-mismatch` by the trust layer).
 */
export function checkSender(
  copies: readonly SenderCopy[],
  signers: readonly SenderSigner[],
  options: { allowMismatch: boolean; from?: string | undefined },
): SenderFindings {
  const out: SenderFindings = { problems: [], warnings: [] };
  const valid = signers.filter((s) => s.signatureValid).map(signerAddresses);
  if (valid.length === 0) return out;
  if (copies.length === 0) {
    if (options.from === undefined)
      out.warnings.push({
        code: 'sender-missing',
        message: 'the message has no From or Sender header: no sender address could be compared with the signer',
      });
    return out;
  }
  const certified = [...new Set(valid.flat())];
  for (const copy of copies) {
    if (valid.some((addresses) => covers(addresses, copy))) continue;
    const claimed = [...copy.addresses, ...copy.unreadable.map((u) => `unreadable "${u}"`)].join(', ');
    const message = `${copy.where} says ${claimed}, but no signer whose signature verifies has a certificate for ${copy.addresses.length > 1 ? 'all of them' : 'it'} (signer addresses: ${certified.join(', ') || 'none'})`;
    (options.allowMismatch ? out.warnings : out.problems).push({ code: 'sender-mismatch', message });
  }
  return out;
}
