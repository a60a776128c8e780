/**
 * Creating SignedData (RFC 5652 §5) for S/MIME: the signed attributes, one
 * SignerInfo per signer and the certificate set, all DER-encoded here. How each
 * key type signs is in signing-schemes.ts.
 */
import { ArgumentError } from '../errors.js';
import { fromHex, toBytes, toHex, type BytesLike } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { readCertificate, type Certificate } from '../x509/index.js';
import { OID } from '../crypto/algorithms.js';
import { normalizePkcs8, type LoadedPrivateKey } from '../crypto/private-key.js';
import { digest as digestBytes } from '../crypto/verify-signature.js';
import {
  ATTRIBUTE,
  DEFAULT_CAPABILITIES,
  encodeAttribute,
  encodeCapabilities,
  encodeEncryptionKeyPreference,
  encodeSetOf,
  encodeSigningCertificateV2,
  encodeTime,
  type CapabilityEntry,
} from './attributes.js';
import { CONTENT_TYPE, encodeContentInfo } from './content-info.js';
import { chooseSigningDigest, DIGEST_INFO, integerDer, schemeFor, type SigningDigest } from './signing-schemes.js';
import { tlv, draft, derEncode, derRead, encodeOid, algorithmId, type DerDraft, type DerPart } from '../asn1/index.js';

export type { SigningDigest } from './signing-schemes.js';

export const SIGNING_DIGESTS: readonly SigningDigest[] = ['sha256', 'sha384', 'sha512'];

/** The RFC 8551 §3.5.3.2 `micalg` name of a digest. */
export function micalgName(digest: SigningDigest): string {
  return DIGEST_INFO[digest].micalg;
}

/** Everything needed to sign as one person. */
export interface CmsSigner {
  /** The signer's certificate, DER. */
  certificate: Uint8Array;
  /** Unencrypted PKCS#8 DER, or a key from `loadPrivateKey`. */
  privateKey: Uint8Array | LoadedPrivateKey;
  /** CA certificates of the signer's chain (DER), any order; self-signed roots are left out unless `includeRoot`. */
  chain?: readonly Uint8Array[];
  /**
   * Message digest. Default by key: sha384 for P-384, sha512 for P-521 and Ed25519, sha256 otherwise
   * (`defaultSigningDigest`). Ed25519 takes sha512 only (RFC 8419): another digest is `bad-argument`.
   */
  digest?: SigningDigest;
  /** RSA keys: sign with RSASSA-PSS instead of PKCS#1 v1.5 (always PSS for id-RSASSA-PSS keys). */
  pss?: boolean;
  /** How the SignerInfo names the certificate (default issuerAndSerialNumber, what every client reads). */
  identifier?: 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
  /** Which certificates go into the message (default `chain`: signer + chain without the root). */
  includeCertificates?: 'none' | 'signer' | 'chain' | 'chain-with-root';
  /** SMIMECapabilities to announce (default DEFAULT_CAPABILITIES); `false` leaves the attribute out. */
  capabilities?: readonly CapabilityEntry[] | false;
  /**
   * Certificate correspondents should encrypt to (SMIMEEncryptionKeyPreference). Default: the signing
   * certificate when its key can encrypt (RSA, EC); `false` leaves the attribute out.
   */
  encryptionCertificate?: Uint8Array | false;
  /** Add ESS signingCertificateV2 (default true). */
  signingCertificateV2?: boolean;
  /** Extra signed attributes, each a DER Attribute SEQUENCE. */
  extraSignedAttributes?: readonly Uint8Array[];
}

export interface CreateSignedDataOptions {
  signers: readonly CmsSigner[];
  /** Leave the content out of the SignedData (multipart/signed). Default false. */
  detached?: boolean;
  /** eContentType (default id-data). */
  contentType?: string;
  /** signingTime value; default now; `null` leaves it out. */
  signingTime?: Date | null;
  /** Additional certificates to carry (DER). */
  certificates?: readonly Uint8Array[];
  /** Allow signing with RSA keys under 2048 bits (refused by default: `weak-algorithm`). */
  allowWeak?: boolean;
}

function isSelfSigned(info: Certificate): boolean {
  return info.issuer.text === info.subject.text;
}

/** True for key types a correspondent can encrypt to. */
function canEncrypt(info: Certificate): boolean {
  return info.publicKeyAlgorithm === OID.rsaEncryption || info.publicKeyAlgorithm === OID.ecPublicKey;
}

/** Hex SHA-256 of a certificate's DER: the certificate model's (computed once per certificate) when it decodes. */
function fingerprintOf(der: Uint8Array): string {
  try {
    return readCertificate(der).fingerprint;
  } catch {
    return toHex(sha256(der));
  }
}

function certificateSet(signers: readonly CmsSigner[], extra: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  const add = (der: Uint8Array) => {
    const key = fingerprintOf(der);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(der);
    }
  };
  for (const s of signers) {
    const mode = s.includeCertificates ?? 'chain';
    if (mode === 'none') continue;
    add(s.certificate);
    if (mode === 'signer') continue;
    for (const c of s.chain ?? []) {
      if (mode === 'chain' && isSelfSigned(readCertificate(c))) continue;
      add(c);
    }
  }
  for (const c of extra) add(c);
  return out;
}

/**
 * Creates a CMS SignedData ContentInfo (DER) over `content`.
 *
 * @throws {ArgumentError} `bad-argument` for unusable options
 * @throws {AlgorithmError} `unsupported-algorithm` for key types that cannot sign
 * @example
 * ```ts
 * const p7s = await createSignedData(canonicalEntity, {
 *   signers: [{ certificate, privateKey, chain, digest: 'sha256' }],
 *   detached: true,
 * });
 * ```
 */
export async function createSignedData(content: BytesLike, options: CreateSignedDataOptions): Promise<Uint8Array> {
  const data = toBytes(content, 'content');
  const prepared = await prepareSignedData(options);
  const digests = new Map<SigningDigest, Uint8Array>();
  for (const d of prepared.digests) digests.set(d, await digestBytes(DIGEST_INFO[d].webcrypto, data));
  return prepared.finish(digests, options.detached ? {} : { content: data });
}

/**
 * A SignedData whose signers are checked and whose header fields are known before the content is read: what the
 * streaming writers need (the digests come from the stream), and what `createSignedData` uses on a buffer.
 */
export interface PreparedSignedData {
  /** The digests the signers need, each computed once over the content. */
  digests: SigningDigest[];
  /** DER of the SignedData fields before encapContentInfo: version and digestAlgorithms. */
  version: Uint8Array;
  digestAlgorithms: Uint8Array;
  /** DER of the `[0] IMPLICIT` certificate set (empty when no certificate is carried). */
  certificates: Uint8Array;
  /**
   * Signs the content digests. Returns the whole DER ContentInfo (with `content` encapsulated when given), or with
   * `signerInfosOnly` just the DER SET OF SignerInfo.
   */
  finish(
    digests: ReadonlyMap<SigningDigest, Uint8Array>,
    options?: { content?: Uint8Array; signerInfosOnly?: boolean },
  ): Promise<Uint8Array>;
}

/**
 * Checks the signers (keys, digests, weak-key policy) and fixes everything a SignedData states before its content.
 *
 * @throws {ArgumentError} `bad-argument`; {AlgorithmError} `unsupported-algorithm`, `weak-algorithm`
 */
export async function prepareSignedData(options: CreateSignedDataOptions): Promise<PreparedSignedData> {
  if (!options?.signers?.length) throw new ArgumentError('bad-argument', 'createSignedData needs at least one signer');
  const contentType = options.contentType ?? CONTENT_TYPE.data;
  const signingTime = options.signingTime === undefined ? new Date() : options.signingTime;
  const allowWeak = options.allowWeak ?? false;
  const prepared: PreparedSigner[] = [];
  for (const signer of options.signers) prepared.push(await prepareSigner(signer, allowWeak));
  const digests = [...new Set(prepared.map((p) => p.scheme.digest))];
  const anyV3 = options.signers.some((s) => s.identifier === 'subjectKeyIdentifier');
  const certs = certificateSet(options.signers, options.certificates ?? []);
  const sdVersion = anyV3 || contentType !== CONTENT_TYPE.data ? 3 : 1;
  const version = integerDer(Uint8Array.of(sdVersion));
  const digestAlgorithms = encodeSetOf(digests.map((d) => algorithmId(DIGEST_INFO[d].oid)));
  // Drafts, written once into the ContentInfo by finish (no copy of the certificates per nesting level).
  const certificates: DerPart = certs.length ? draft(0xa0, ...certs) : new Uint8Array(0);
  return {
    digests,
    version,
    digestAlgorithms,
    get certificates() {
      return derEncode(certificates);
    },
    async finish(contentDigests, finishOptions = {}) {
      const signerInfos: DerDraft[] = [];
      for (const p of prepared) {
        const md = contentDigests.get(p.scheme.digest);
        if (!md) throw new ArgumentError('bad-argument', `the ${p.scheme.digest} digest of the content is missing`);
        signerInfos.push(await encodeSignerInfo(p, md, contentType, signingTime));
      }
      // DER SET OF sorts by encoding: several signers are written out to be sorted, one stays a draft.
      const signerInfoSet: DerPart =
        signerInfos.length === 1 ? draft(0x31, signerInfos[0]!) : encodeSetOf(signerInfos.map(derEncode));
      if (finishOptions.signerInfosOnly) return derEncode(signerInfoSet);
      const { content } = finishOptions;
      const oid = encodeOid(contentType);
      const encap = content ? draft(0x30, oid, draft(0xa0, draft(0x04, content))) : draft(0x30, oid);
      const signedData = draft(0x30, version, digestAlgorithms, encap, certificates, signerInfoSet);
      return encodeContentInfo(CONTENT_TYPE.signedData, signedData);
    },
  };
}

/** A signer whose key, certificate and signature scheme have been checked. */
interface PreparedSigner {
  signer: CmsSigner;
  info: Certificate;
  scheme: Awaited<ReturnType<typeof schemeFor>>;
}

async function prepareSigner(signer: CmsSigner, allowWeak: boolean): Promise<PreparedSigner> {
  const key = signer.privateKey instanceof Uint8Array ? normalizePkcs8(signer.privateKey) : signer.privateKey;
  const requested = chooseSigningDigest(key, signer.digest);
  const info = readCertificate(signer.certificate);
  const scheme = await schemeFor(key, requested, signer.pss ?? false, allowWeak);
  if (signer.identifier === 'subjectKeyIdentifier' && !info.subjectKeyIdentifier)
    throw new ArgumentError('bad-argument', 'the signer certificate has no subjectKeyIdentifier');
  return { signer, info, scheme };
}

/** One SignerInfo (version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier) over a content digest. */
async function encodeSignerInfo(
  prepared: PreparedSigner,
  md: Uint8Array,
  contentType: string,
  signingTime: Date | null,
): Promise<DerDraft> {
  const { signer, info, scheme } = prepared;
  const serial = fromHex(info.serialHex);
  const signedAttrs = encodeSetOf(signedAttributes(signer, info, serial, md, contentType, signingTime));
  const signature = await scheme.sign(signedAttrs);
  let version = 1;
  let sid: DerPart;
  if (signer.identifier === 'subjectKeyIdentifier') {
    sid = draft(0x80, info.subjectKeyIdentifier!);
    version = 3;
  } else sid = draft(0x30, info.issuer.der, draft(0x02, serial));
  // The same attributes as [0] IMPLICIT: their content under another identifier.
  const implicitAttrs = draft(0xa0, signedAttrs.subarray(derRead(signedAttrs, 0).contentStart));
  return draft(
    0x30,
    integerDer(Uint8Array.of(version)),
    sid,
    algorithmId(DIGEST_INFO[scheme.digest].oid),
    implicitAttrs,
    scheme.algorithm,
    draft(0x04, signature),
  );
}

/** The signed attributes, in the order written: contentType, messageDigest, signingTime, S/MIME and ESS attributes, then the caller's. */
function signedAttributes(
  signer: CmsSigner,
  info: Certificate,
  serial: Uint8Array,
  md: Uint8Array,
  contentType: string,
  signingTime: Date | null,
): Uint8Array[] {
  const attrs: Uint8Array[] = [
    encodeAttribute(ATTRIBUTE.contentType, encodeOid(contentType)),
    encodeAttribute(ATTRIBUTE.messageDigest, tlv(0x04, md)),
  ];
  if (signingTime) attrs.push(encodeAttribute(ATTRIBUTE.signingTime, encodeTime(signingTime)));
  const caps = signer.capabilities === undefined ? DEFAULT_CAPABILITIES : signer.capabilities;
  if (caps) attrs.push(caps === DEFAULT_CAPABILITIES ? defaultCapabilitiesAttribute() : capabilitiesAttribute(caps));
  const encCert =
    signer.encryptionCertificate === undefined
      ? canEncrypt(info)
        ? signer.certificate
        : undefined
      : signer.encryptionCertificate || undefined;
  if (encCert) {
    attrs.push(encryptionKeyPreferenceAttribute(encCert === signer.certificate ? info : readCertificate(encCert)));
  }
  if (signer.signingCertificateV2 !== false) attrs.push(signingCertificateV2Attribute(info, serial));
  for (const a of signer.extraSignedAttributes ?? []) attrs.push(a);
  return attrs;
}

// The attributes that depend only on the certificate (or nothing), encoded once: a gateway signs with one identity.
const encryptionKeyPreferences = new WeakMap<Certificate, Uint8Array>();
const signingCertificates = new WeakMap<Certificate, Uint8Array>();
let defaultCapabilities: Uint8Array | undefined;

function capabilitiesAttribute(caps: readonly CapabilityEntry[]): Uint8Array {
  return encodeAttribute(ATTRIBUTE.smimeCapabilities, encodeCapabilities(caps));
}

function defaultCapabilitiesAttribute(): Uint8Array {
  return (defaultCapabilities ??= capabilitiesAttribute(DEFAULT_CAPABILITIES));
}

function encryptionKeyPreferenceAttribute(cert: Certificate): Uint8Array {
  let der = encryptionKeyPreferences.get(cert);
  if (!der) {
    const value = encodeEncryptionKeyPreference(cert.issuer.der, fromHex(cert.serialHex));
    encryptionKeyPreferences.set(cert, (der = encodeAttribute(ATTRIBUTE.smimeEncryptionKeyPreference, value)));
  }
  return der;
}

function signingCertificateV2Attribute(cert: Certificate, serial: Uint8Array): Uint8Array {
  let der = signingCertificates.get(cert);
  if (!der) {
    const value = encodeSigningCertificateV2(fromHex(cert.fingerprint), cert.issuer.der, serial);
    signingCertificates.set(cert, (der = encodeAttribute(ATTRIBUTE.signingCertificateV2, value)));
  }
  return der;
}
