/**
 * `composeMessage`: the one call a mail client makes to send S/MIME mail the
 * way Exchange/Outlook do. It writes the RFC 5322 headers (Bcc never), finds
 * every recipient's certificate in the address books, always encrypts to the
 * sender too, applies the tenant policy (`SmimePolicy`), and forks the
 * message for Bcc recipients so an encrypted copy never reveals them.
 */
import { certificateDer } from '../util/certificate-input.js';
import { ArgumentError } from '../errors.js';
import { bytesEqual, concatBytes, fromLatin1, toBytes, type BytesLike } from '../util/bytes.js';
import type { CertificateDirectory } from '../directory/types.js';
import type { CertificateFallback } from '../directory/select.js';
import type { TrustList } from '../trust/trust-list.js';
import type { RevocationOptions, RevocationSetting } from '../trust/options.js';
import { assertSenderCertificate, senderMissing } from './sender-certificate.js';
import { signMessage, type SmimeSigner } from './sign.js';
import { encryptMessage, type EncryptionParty, type EncryptionWarning } from './encrypt.js';
import type { CapabilitiesInput } from './capabilities.js';
import {
  assertAllResolved,
  resolveRecipients,
  type ResolveRecipientsOptions,
  type ResolveRecipientsResult,
} from './resolve.js';
import { resolvePolicy, type BccForking, type ResolvedSmimePolicy, type SmimePolicy } from './policy.js';
import { buildHeaders, contentEntity, type EnvelopeAddresses } from './compose-headers.js';
import type { HeaderProtectionOptions } from './header-protection.js';

/** The message to compose: addresses, subject and body, as a mail client holds them. */
export interface MailEnvelope extends EnvelopeAddresses {
  /**
   * The body: a MIME entity (its header block has a Content-Type; only Content-*
   * headers and MIME-Version allowed) or plain text (UTF-8; a string or bytes).
   */
  content: string | BytesLike;
}

/** Options of `composeMessage`. */
export interface ComposeOptions {
  /** The sender: certificate, private key, chain (what `loadIdentity` returns). Needed to sign; its certificate is the sender's encryption certificate unless `encryptionCertificate`. */
  identity?: SmimeSigner;
  /** The sender's encryption certificate when it differs from the signing one (also announced as SMIMEEncryptionKeyPreference). */
  encryptionCertificate?: BytesLike;
  /** What the sender's own mail client can decrypt (default unknown: AES-CBC unless the policy fixes the cipher). */
  senderCapabilities?: CapabilitiesInput;
  /** Address books searched for recipients' certificates (needed to encrypt). */
  directory?: CertificateDirectory | readonly CertificateDirectory[];
  /** Trust anchors (default `policy.trust`, the tenant SST). Needed to encrypt. */
  trust?: TrustList;
  policy?: SmimePolicy;
  /** Default `policy.alwaysSign` (else false). */
  sign?: boolean;
  /** Default `policy.alwaysEncrypt` (else false). With neither sign nor encrypt the plain message is returned. */
  encrypt?: boolean;
  /** Validation time (default now). */
  at?: Date;
  signal?: AbortSignal;
  /** Extra untrusted CA certificates for path building. */
  intermediates?: readonly (BytesLike | string)[];
  crls?: readonly (BytesLike | string)[];
  /** Accept SHA-1-signed certificates and short RSA keys (default false). */
  allowWeak?: boolean;
  /**
   * Online revocation sources for the recipients' and sender's certificates (e.g. `{ online: true }`); the mode
   * comes from the policy (docs/revocation.md).
   */
  revocation?: Omit<RevocationOptions, 'mode'>;
  /** Per-directory time limit, ms (default 10 000). */
  directoryTimeoutMs?: number;
  /** When `userCertificate` values stand in for `userSMIMECertificate` (see `resolveRecipients`). */
  fallback?: CertificateFallback;
  /**
   * RFC 9788 header protection (docs/header-protection.md): the header fields are signed and encrypted with the
   * body; encrypted copies carry an obscured Subject (`[...]`) outside. Default off.
   */
  headerProtection?: boolean | HeaderProtectionOptions;
}

/** One message to hand to the MTA. */
export interface ComposedMessage {
  /** The full RFC 5322 message, CRLF line endings. */
  message: Uint8Array;
  /** SMTP MAIL FROM / RCPT TO for this copy. Distribution lists stay list addresses (the MTA expands them). */
  envelope: { from: string; to: string[] };
  /** `main` (To/Cc, or everyone) or a Bcc fork. */
  kind: 'main' | 'bcc';
  /** Addresses whose certificates it is encrypted to, list members and the sender included; empty when not encrypted. */
  encryptedTo: string[];
}

/** Result of `composeMessage`. */
export interface ComposeResult {
  messages: ComposedMessage[];
  /** How every encryption recipient was resolved (empty when not encrypting). */
  recipients: ResolveRecipientsResult;
  /** Interoperability warnings of the encryption (deduplicated). */
  warnings: EncryptionWarning[];
  signed: boolean;
  encrypted: boolean;
}

/** One copy to produce: its SMTP recipients and the addresses to encrypt it to. */
export interface MessageCopyPlan {
  kind: 'main' | 'bcc';
  rcptTo: string[];
  encryptTo: string[];
}

/**
 * The copies a message is sent as. Not encrypted (`mode` null): one message to
 * everyone. Encrypted: `none` → one message to everyone, encrypted to everyone;
 * `all-bcc` → the main message (To/Cc) and one for all Bcc recipients;
 * `per-recipient` → the main message and one per Bcc recipient. The main
 * message is left out when there is no To/Cc recipient. Addresses must already
 * be deduplicated, with Bcc addresses that are also To/Cc removed.
 */
export function planMessageCopies(
  visible: readonly string[],
  bcc: readonly string[],
  mode: BccForking | null,
): MessageCopyPlan[] {
  const everyone = [...visible, ...bcc];
  if (everyone.length === 0) throw new ArgumentError('bad-argument', 'the message has no recipient (to, cc or bcc)');
  if (mode === null) return [{ kind: 'main', rcptTo: everyone, encryptTo: [] }];
  if (mode === 'none' || bcc.length === 0) return [{ kind: 'main', rcptTo: everyone, encryptTo: everyone }];
  const plans: MessageCopyPlan[] = visible.length
    ? [{ kind: 'main', rcptTo: [...visible], encryptTo: [...visible] }]
    : [];
  if (mode === 'all-bcc') plans.push({ kind: 'bcc', rcptTo: [...bcc], encryptTo: [...bcc] });
  else for (const b of bcc) plans.push({ kind: 'bcc', rcptTo: [b], encryptTo: [b] });
  return plans;
}

interface Context {
  options: ComposeOptions;
  policy: ResolvedSmimePolicy;
  from: string;
  trust?: TrustList;
}

/** The policy's revocation mode, with the caller's online sources. */
function revocationSetting(options: ComposeOptions, policy: ResolvedSmimePolicy): RevocationSetting {
  return options.revocation ? { ...options.revocation, mode: policy.revocation } : policy.revocation;
}

/** The sender's encryption certificate, validated as any recipient's is (the sender must read Sent Items). */
async function senderCertificate(ctx: Context): Promise<Uint8Array> {
  const { options, policy, from } = ctx;
  const input = options.encryptionCertificate ?? options.identity?.certificate;
  if (!input)
    throw senderMissing(from, 'has no certificate to encrypt to (the sender must be able to read the message)');
  const certificate = certificateDer(input, 'sender encryption certificate');
  await assertSenderCertificate(certificate, from, {
    trust: ctx.trust!,
    intermediates: [
      ...(options.intermediates ?? []),
      ...(options.identity?.chain ?? []).map((c, i) => certificateDer(c, `identity chain certificate #${i + 1}`)),
    ],
    crls: options.crls ?? [],
    revocation: revocationSetting(options, policy),
    ...(options.at ? { at: options.at } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
  });
  return certificate;
}

/** Resolves each copy's recipients separately (no copy can depend on another's), then refuses if anyone is missing. */
async function resolveCopies(ctx: Context, plans: readonly MessageCopyPlan[]): Promise<ResolveRecipientsResult[]> {
  const { options, policy } = ctx;
  if (!options.directory)
    throw new ArgumentError('bad-argument', "encrypting needs options.directory to find the recipients' certificates");
  const resolveOptions: ResolveRecipientsOptions = {
    directory: options.directory,
    trust: ctx.trust!,
    revocation: revocationSetting(options, policy),
    secondaryAddresses: policy.useSecondaryProxies,
    groupExpansionTimeoutMs: Math.max(1, policy.groupExpansionTimeoutMs),
    ...(options.at ? { at: options.at } : {}),
    ...(options.intermediates ? { intermediates: options.intermediates } : {}),
    ...(options.crls ? { crls: options.crls } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.directoryTimeoutMs !== undefined ? { timeoutMs: options.directoryTimeoutMs } : {}),
    ...(options.fallback ? { fallback: options.fallback } : {}),
  };
  const results: ResolveRecipientsResult[] = [];
  for (const plan of plans) results.push(await resolveRecipients(plan.encryptTo, resolveOptions));
  assertAllResolved(merge(results));
  return results;
}

function merge(results: readonly ResolveRecipientsResult[]): ResolveRecipientsResult {
  return {
    recipients: results.flatMap((r) => r.recipients),
    groups: results.flatMap((r) => r.groups),
    missing: [...new Set(results.flatMap((r) => r.missing))],
  };
}

/** Signs `message`; `protect`: with header protection, for the encryption that follows when `encrypting`. */
function sign(ctx: Context, message: Uint8Array, protect?: { encrypting: boolean }): Promise<Uint8Array> {
  const { options, policy } = ctx;
  const hp = options.headerProtection;
  return signMessage(message, {
    ...(protect && hp ? { headerProtection: { ...(hp === true ? {} : hp), forEncryption: protect.encrypting } } : {}),
    signer: options.identity!,
    detached: policy.clearSign,
    ...(policy.signingAlgorithm !== 'auto' ? { digest: policy.signingAlgorithm } : {}),
    includeCertificates: policy.includeCertificates,
    ...(policy.includeCapabilities ? {} : { capabilities: false as const }),
    ...(options.encryptionCertificate
      ? { encryptionCertificate: toBytes(options.encryptionCertificate, 'encryptionCertificate') }
      : {}),
    allowWeak: options.allowWeak ?? false,
  });
}

/** Encrypts one copy to its resolved recipients (each certificate once) and the sender. */
async function encryptCopy(
  ctx: Context,
  content: Uint8Array,
  resolved: ResolveRecipientsResult,
  sender: Uint8Array,
  protect: boolean,
) {
  const { options, policy } = ctx;
  const parties: EncryptionParty[] = [];
  for (const r of resolved.recipients) {
    if (!r.certificate || parties.some((p) => bytesEqual(p.certificate as Uint8Array, r.certificate!))) continue;
    const capabilities = r.chosen?.candidate.capabilities?.map((c) => c.oid);
    parties.push({ address: r.address, certificate: r.certificate, ...(capabilities?.length ? { capabilities } : {}) });
  }
  const result = await encryptMessage(content, {
    recipients: parties,
    sender: {
      address: ctx.from,
      certificate: sender,
      ...(options.senderCapabilities ? { capabilities: options.senderCapabilities } : {}),
    },
    // resolveRecipients validated every recipient (with their published chains), senderCertificate the sender.
    validate: false,
    ...(policy.encryptionAlgorithm !== 'auto' ? { cipher: policy.encryptionAlgorithm } : {}),
    ...(policy.useKeyIdentifier ? { recipientIdentifier: 'subjectKeyIdentifier' as const } : {}),
    ...(options.allowWeak !== undefined ? { allowWeak: options.allowWeak } : {}),
    // Signed content got its header protection when it was signed.
    ...(protect && options.headerProtection ? { headerProtection: options.headerProtection } : {}),
  });
  const encryptedTo = [...new Set([...result.recipients.filter((r) => !r.sender).map((r) => r.address!), ctx.from])];
  return { message: result.message, warnings: result.warnings, encryptedTo };
}

/**
 * Composes a message ready for SMTP: headers, body, and the policy's S/MIME
 * protection, as one message or as Bcc forks (`policy.bccForking`).
 *
 * - Bcc addresses never appear in any header; they are in `envelope.to` only.
 * - Encrypted mail is always encrypted to the sender too, whose certificate
 *   must be valid (`sender-certificate-missing` otherwise).
 * - Every recipient is resolved through `directory` (distribution lists
 *   expanded: every member's certificate is used, while the envelope keeps the
 *   list address); anyone without a usable certificate fails the whole call
 *   with `recipient-certificate-missing` naming all of them. Nobody is dropped.
 * - Signed and encrypted: encrypt(sign(content)); with `tripleWrap`,
 *   sign(encrypt(sign(content))). Signed only: one message for everyone.
 * - Neither signed nor encrypted: the plain message, one copy for everyone.
 *
 * @throws CertificateMissingError `sender-certificate-missing`, `recipient-certificate-missing`
 * @throws ArgumentError `bad-argument`, `bad-address`, `bad-policy`
 * @example
 * ```ts
 * const { messages } = await composeMessage(
 *   { from: 'me@contoso.com', to: ['bob@contoso.com'], bcc: ['audit@contoso.com'], subject: 'Figures', content: 'See attached.' },
 *   { identity: me, directory: [gal, contacts], policy, sign: true, encrypt: true },
 * );
 * for (const m of messages) await smtp.send(m.envelope, m.message);
 * ```
 */
export async function composeMessage(envelope: MailEnvelope, options: ComposeOptions = {}): Promise<ComposeResult> {
  const policy = resolvePolicy(options.policy);
  const signing = options.sign ?? policy.alwaysSign;
  const encrypting = options.encrypt ?? policy.alwaysEncrypt;
  const headers = buildHeaders(envelope);
  const { from, visible, bcc } = headers;
  const ctx: Context = {
    options,
    policy,
    from,
    ...((options.trust ?? policy.trust) ? { trust: options.trust ?? policy.trust! } : {}),
  };
  if (signing && (!options.identity?.certificate || !options.identity.privateKey))
    throw senderMissing(from, 'has no signing identity (certificate and private key)');
  if (encrypting && !ctx.trust)
    throw new ArgumentError('bad-argument', 'encrypting needs a trust list (options.trust or policy.trust)');
  const plans = planMessageCopies(visible, bcc, encrypting ? policy.bccForking : null);
  const senderCert = encrypting ? await senderCertificate(ctx) : undefined;
  const resolved = encrypting ? await resolveCopies(ctx, plans) : [];

  let content = concatBytes(fromLatin1(headers.text), contentEntity(envelope.content));
  if (signing) content = await sign(ctx, content, { encrypting });
  const messages: ComposedMessage[] = [];
  const warnings = new Map<string, EncryptionWarning>();
  for (const [i, plan] of plans.entries()) {
    const copy: ComposedMessage = {
      message: content,
      envelope: { from, to: plan.rcptTo },
      kind: plan.kind,
      encryptedTo: [],
    };
    if (encrypting) {
      const encrypted = await encryptCopy(ctx, content, resolved[i]!, senderCert!, !signing);
      copy.message = signing && policy.tripleWrap ? await sign(ctx, encrypted.message) : encrypted.message;
      copy.encryptedTo = encrypted.encryptedTo;
      for (const w of encrypted.warnings) warnings.set(`${w.code}\u0000${w.message}`, w);
    }
    messages.push(copy);
  }
  return {
    messages,
    recipients: merge(resolved),
    warnings: [...warnings.values()],
    signed: signing,
    encrypted: encrypting,
  };
}
