/**
 * `signMessage`: S/MIME signing of a MIME entity or a whole RFC 5322 message
 * (RFC 8551 §3.5). The entity is canonicalized first (CRLF, 8-bit bodies
 * re-encoded) so relays cannot break the signature; then it is wrapped as
 * `multipart/signed` (detached, readable without S/MIME support) or
 * `application/pkcs7-mime; smime-type=signed-data` (opaque).
 */
import { ArgumentError } from '../errors.js';
import { certificateDer, type CertificateInput } from '../util/certificate-input.js';
import { base64Bytes, concatBytes, fromLatin1, toBytes, toHex, utf8, type BytesLike } from '../util/bytes.js';
import { randomBytes } from '../crypto/engine.js';
import { assertKeyMatchesCertificate } from '../crypto/key-match.js';
import { normalizePkcs8, type LoadedPrivateKey } from '../crypto/private-key.js';
import { createSignedData, micalgName, type CmsSigner, type SigningDigest } from '../cms/signer.js';
import { chooseSigningDigest } from '../cms/signing-schemes.js';
import type { CapabilityEntry } from '../cms/attributes.js';
import { joinMessage, looksLikeMessage, signingPieces, toCrlf } from '../mime/canonical.js';
import { feedPieces, flattenPieces, type EntityPiece } from '../mime/crlf.js';
import { startDetachedSignature } from '../cms/stream/signed-writer.js';
import { parseMime, type MimeEntity } from '../mime/entity.js';
import type { MimeHeader } from '../mime/headers.js';
import { protectForSigning, type SignHeaderProtectionOptions } from './header-protection.js';

/** The signing identity: what `loadIdentity` returns fits. */
export interface SmimeSigner {
  /** Signer certificate: DER, PEM, or a certificate object carrying its DER. */
  certificate: CertificateInput;
  /** Unencrypted PKCS#8 DER, or a key from `loadPrivateKey`. */
  privateKey: Uint8Array | LoadedPrivateKey;
  /** CA certificates of the signer (DER); the root is left out of the message unless `includeCertificates: 'chain-with-root'`. */
  chain?: readonly CertificateInput[];
}

export interface SignMessageOptions {
  signer: SmimeSigner;
  /** multipart/signed (default true) or opaque application/pkcs7-mime. */
  detached?: boolean;
  /**
   * Message digest: sha256, sha384, sha512. Default by key: sha384 for P-384, sha512 for P-521 and Ed25519
   * (RFC 5753, RFC 8419), sha256 for RSA and P-256. Ed25519 takes sha512 only: another digest is `bad-argument`.
   */
  digest?: SigningDigest;
  /** RSA keys: RSASSA-PSS (MGF1 with the digest, salt = digest length) instead of PKCS#1 v1.5. */
  pss?: boolean;
  /** Certificates to include (default `chain`: signer + chain without the root). */
  includeCertificates?: 'none' | 'signer' | 'chain' | 'chain-with-root';
  /** SMIMECapabilities to announce (default: what smimekit can decrypt, strongest first); `false` to omit. */
  capabilities?: readonly CapabilityEntry[] | false;
  /** SMIMEEncryptionKeyPreference certificate (default: the signing certificate when it can encrypt); `false` to omit. */
  encryptionCertificate?: CertificateInput | false;
  /** signingTime (default now); `null` to omit. */
  signingTime?: Date | null;
  /** Boundary for multipart/signed (default: fresh random). Must not occur in the content. */
  boundary?: string;
  /** Allow signing with an RSA key under 2048 bits (refused by default: `weak-algorithm`). */
  allowWeak?: boolean;
  /**
   * RFC 9788 header protection (docs/header-protection.md): the message's header fields are signed too, inside
   * the signed entity (`hp="clear"`). Default off. Needs a whole message.
   */
  headerProtection?: boolean | SignHeaderProtectionOptions;
}

/** `signMessage` input that is plain text without any header gets a text/plain entity. */
function hasHeaders(e: MimeEntity): boolean {
  return e.headers.some((h) => h.name !== '') && e.bodyStart > e.start;
}

function containsBoundary(data: Uint8Array, boundary: string): boolean {
  const needle = fromLatin1(`--${boundary}`);
  for (
    let i = data.indexOf(needle[0]!);
    i >= 0 && i + needle.length <= data.length;
    i = data.indexOf(needle[0]!, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && data[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

/**
 * Prepares the entity to sign: outer headers (if a whole message) and the canonical inner entity, as pieces (a
 * body that needs no change stays a view of the input: a large message is not copied before it is hashed).
 */
function prepareEntity(input: Uint8Array): { outerHeaders: MimeHeader[] | undefined; pieces: EntityPiece[] } {
  if (input.length === 0) throw new ArgumentError('bad-argument', 'nothing to sign: the message is empty');
  const root = parseMime(input);
  if (!hasHeaders(root)) {
    // Bare text: give it the headers RFC 2045 would assume, with the right charset.
    const ascii = input.every((b) => b < 0x80);
    const inner = concatBytes(
      fromLatin1(`Content-Type: text/plain; charset=${ascii ? 'us-ascii' : 'utf-8'}\r\n\r\n`),
      toCrlf(input),
    );
    return signingPieces(parseMime(inner), false);
  }
  return signingPieces(root, looksLikeMessage(root));
}

/** A fresh random multipart boundary (128 bits: it cannot occur in content by chance). */
export function newBoundary(): string {
  return `----=_smimekit_${toHex(randomBytes(16))}`;
}

/** The caller's boundary when it is a valid one (RFC 2046 §5.1.1). */
export function checkBoundary(boundary: string | undefined): string | undefined {
  if (boundary !== undefined && !/^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/.test(boundary))
    throw new ArgumentError('bad-argument', `"${boundary}" is not a valid MIME boundary`);
  return boundary;
}

/** multipart/signed header section, preamble and first delimiter: the signed entity follows. */
export function multipartSignedHead(digest: SigningDigest, boundary: string): Uint8Array {
  return fromLatin1(
    `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalgName(digest)};\r\n boundary="${boundary}"\r\n` +
      `\r\nThis is an S/MIME signed message\r\n\r\n--${boundary}\r\n`,
  );
}

/** The delimiter after the signed entity and the signature part's headers: its base64 body follows. */
export function signaturePartHead(boundary: string): Uint8Array {
  return fromLatin1(
    `\r\n--${boundary}\r\n` +
      'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n' +
      'Content-Transfer-Encoding: base64\r\n' +
      'Content-Disposition: attachment; filename="smime.p7s"\r\n' +
      'Content-Description: S/MIME Cryptographic Signature\r\n\r\n',
  );
}

/** The close delimiter of a multipart/signed. */
export function multipartSignedEnd(boundary: string): Uint8Array {
  return fromLatin1(`\r\n--${boundary}--\r\n`);
}

/** Header section of an opaque signed message: its base64 SignedData follows. */
export const OPAQUE_SIGNED_HEAD: Uint8Array = fromLatin1(
  'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\r\n' +
    'Content-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="smime.p7m"\r\n' +
    'Content-Description: S/MIME Cryptographic Signature\r\n\r\n',
);

/** A signer checked and turned into CMS terms: what `signMessage` and `signMessageStream` share. */
export interface PreparedMessageSigner {
  detached: boolean;
  /** The digest actually used (the key's default when the caller named none): `micalg` names it. */
  digest: SigningDigest;
  cmsOptions: { signers: CmsSigner[]; allowWeak: boolean; signingTime?: Date | null };
}

/**
 * Checks the options (the key belongs to the certificate, the digest suits the key) and builds the CMS signer.
 *
 * @throws {CryptoError} `key-mismatch`; {ArgumentError} `bad-argument`
 */
export async function prepareMessageSigner(options: SignMessageOptions): Promise<PreparedMessageSigner> {
  if (!options?.signer?.certificate || !options.signer.privateKey)
    throw new ArgumentError('bad-argument', 'signMessage needs options.signer with certificate and privateKey');
  const key =
    options.signer.privateKey instanceof Uint8Array
      ? normalizePkcs8(options.signer.privateKey)
      : options.signer.privateKey;
  // The key decides when the caller does not (SHA-384 for P-384, ...); micalg names the digest actually used.
  const digest = chooseSigningDigest(key, options.digest);
  // PEM, DER or a certificate object, as every API that takes a certificate accepts.
  const certificate = certificateDer(options.signer.certificate, 'signer certificate');
  await assertKeyMatchesCertificate(key, certificate);
  const signer: CmsSigner = { certificate, privateKey: key, digest, pss: options.pss ?? false };
  if (options.signer.chain)
    signer.chain = options.signer.chain.map((c, i) => certificateDer(c, `signer chain certificate #${i + 1}`));
  if (options.includeCertificates) signer.includeCertificates = options.includeCertificates;
  if (options.capabilities !== undefined) signer.capabilities = options.capabilities;
  if (options.encryptionCertificate !== undefined)
    signer.encryptionCertificate =
      options.encryptionCertificate === false
        ? false
        : certificateDer(options.encryptionCertificate, 'encryption certificate');
  return {
    detached: options.detached ?? true,
    digest,
    cmsOptions: {
      signers: [signer],
      allowWeak: options.allowWeak ?? false,
      ...(options.signingTime !== undefined ? { signingTime: options.signingTime } : {}),
    },
  };
}

/**
 * Signs a MIME entity or a whole RFC 5322 message. For a whole message the
 * transport headers (From, To, Subject, Date, Message-ID, ...) stay outside
 * and the body entity with its `Content-*` headers is signed.
 *
 * @returns the signed message (or entity), CRLF line endings.
 * @throws {CryptoError} `key-mismatch` when the key does not belong to the certificate
 * @throws {ArgumentError} `bad-argument` for unusable options
 * @example
 * ```ts
 * const identity = await loadIdentity(p12Bytes, 'password');
 * const signed = await signMessage(emlBytes, { signer: identity, digest: 'sha256' });
 * const opaque = await signMessage(emlBytes, { signer: identity, detached: false });
 * ```
 */
export async function signMessage(mime: BytesLike | string, options: SignMessageOptions): Promise<Uint8Array> {
  const prepared = await prepareMessageSigner(options);
  const input = typeof mime === 'string' ? utf8(mime) : toBytes(mime, 'message');
  let { outerHeaders, pieces } = prepareEntity(input);
  if (options.headerProtection) {
    const whole = protectForSigning({ outerHeaders, entity: flattenPieces(pieces) }, options.headerProtection);
    ({ outerHeaders } = whole);
    pieces = [whole.entity];
  }
  const { detached, digest } = prepared;
  let cms: Uint8Array;
  if (detached) {
    // The digest is taken over the pieces as they are: the entity is written once, into the output.
    const signature = await startDetachedSignature(prepared.cmsOptions);
    feedPieces(pieces, (bytes) => signature.update(bytes));
    cms = await signature.finish();
  } else cms = await createSignedData(flattenPieces(pieces), { ...prepared.cmsOptions, detached });

  // The output is assembled in one copy: the outer header section (a whole message) goes in front of the rest.
  const outer = outerHeaders ? joinMessage(outerHeaders, new Uint8Array(0)) : new Uint8Array(0);
  if (!detached) return base64Bytes(cms, 76, [outer, OPAQUE_SIGNED_HEAD]);
  // A generated boundary holds 128 random bits: only a caller's own can occur in the content.
  const boundary = checkBoundary(options.boundary) ?? newBoundary();
  if (options.boundary !== undefined && containsBoundary(flattenPieces(pieces), boundary))
    throw new ArgumentError('bad-argument', 'the boundary occurs in the content');
  return flattenPieces([
    outer,
    multipartSignedHead(digest, boundary),
    ...pieces,
    signaturePartHead(boundary),
    base64Bytes(cms, 76),
    multipartSignedEnd(boundary),
  ]);
}
