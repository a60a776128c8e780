/**
 * Creating SignedData (RFC 5652 §5) for S/MIME: the signed attributes, one
 * SignerInfo per signer and the certificate set, all DER-encoded here. How each
 * key type signs is in signing-schemes.ts.
 */
import { ArgumentError } from '../errors.js';
import { concatBytes, fromHex, toBytes, toHex, type BytesLike } from '../util/bytes.js';
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
import { tlv, seq, encodeOid, algorithmId } from '../asn1/index.js';

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

function certificateSet(signers: readonly CmsSigner[], extra: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  const add = (der: Uint8Array) => {
    const key = toHex(sha256(der));
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
  if (!options?.signers?.length) throw new ArgumentError('bad-argument', 'createSignedData needs at least one signer');
  const contentType = options.contentType ?? CONTENT_TYPE.data;
  const signingTime = options.signingTime === undefined ? new Date() : options.signingTime;
  const context: SigningContext = {
    data,
    contentType,
    signingTime,
    allowWeak: options.allowWeak ?? false,
    digestCache: new Map(),
  };
  const signerInfos: Uint8Array[] = [];
  const digestAlgs = new Set<SigningDigest>();
  let anyV3 = false;

  for (const signer of options.signers) {
    const si = await encodeSignerInfo(signer, context);
    digestAlgs.add(si.digest);
    if (si.version === 3) anyV3 = true;
    signerInfos.push(si.der);
  }

  const certs = certificateSet(options.signers, options.certificates ?? []);
  const sdVersion = anyV3 || contentType !== CONTENT_TYPE.data ? 3 : 1;
  const encap = options.detached
    ? seq(encodeOid(contentType))
    : seq(encodeOid(contentType), tlv(0xa0, tlv(0x04, data)));
  const signedData = seq(
    integerDer(Uint8Array.of(sdVersion)),
    encodeSetOf([...digestAlgs].map((d) => algorithmId(DIGEST_INFO[d].oid))),
    encap,
    ...(certs.length ? [tlv(0xa0, concatBytes(...certs))] : []),
    encodeSetOf(signerInfos),
  );
  return encodeContentInfo(CONTENT_TYPE.signedData, signedData);
}

/** What every SignerInfo of one SignedData shares. */
interface SigningContext {
  data: Uint8Array;
  contentType: string;
  signingTime: Date | null;
  allowWeak: boolean;
  /** The content's digest per algorithm, computed once however many signers use it. */
  digestCache: Map<SigningDigest, Uint8Array>;
}

/** One SignerInfo (version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier) and the digest it used. */
async function encodeSignerInfo(
  signer: CmsSigner,
  context: SigningContext,
): Promise<{ der: Uint8Array; version: number; digest: SigningDigest }> {
  const key = signer.privateKey instanceof Uint8Array ? normalizePkcs8(signer.privateKey) : signer.privateKey;
  const requested = chooseSigningDigest(key, signer.digest);
  const info = readCertificate(signer.certificate);
  const scheme = await schemeFor(key, requested, signer.pss ?? false, context.allowWeak);
  let md = context.digestCache.get(scheme.digest);
  if (!md) {
    md = await digestBytes(DIGEST_INFO[scheme.digest].webcrypto, context.data);
    context.digestCache.set(scheme.digest, md);
  }
  const serial = fromHex(info.serialHex);
  const signedAttrs = encodeSetOf(signedAttributes(signer, info, serial, md, context));
  const signature = await scheme.sign(signedAttrs);

  let version = 1;
  let sid: Uint8Array;
  if (signer.identifier === 'subjectKeyIdentifier') {
    if (!info.subjectKeyIdentifier)
      throw new ArgumentError('bad-argument', 'the signer certificate has no subjectKeyIdentifier');
    sid = tlv(0x80, info.subjectKeyIdentifier);
    version = 3;
  } else sid = seq(info.issuer.der, tlv(0x02, serial));
  const implicitAttrs = signedAttrs.slice();
  implicitAttrs[0] = 0xa0;
  const der = seq(
    integerDer(Uint8Array.of(version)),
    sid,
    algorithmId(DIGEST_INFO[scheme.digest].oid),
    implicitAttrs,
    scheme.algorithm,
    tlv(0x04, signature),
  );
  return { der, version, digest: scheme.digest };
}

/** The signed attributes, in the order written: contentType, messageDigest, signingTime, S/MIME and ESS attributes, then the caller's. */
function signedAttributes(
  signer: CmsSigner,
  info: Certificate,
  serial: Uint8Array,
  md: Uint8Array,
  context: SigningContext,
): Uint8Array[] {
  const { contentType, signingTime } = context;
  const attrs: Uint8Array[] = [
    encodeAttribute(ATTRIBUTE.contentType, encodeOid(contentType)),
    encodeAttribute(ATTRIBUTE.messageDigest, tlv(0x04, md)),
  ];
  if (signingTime) attrs.push(encodeAttribute(ATTRIBUTE.signingTime, encodeTime(signingTime)));
  const caps = signer.capabilities === undefined ? DEFAULT_CAPABILITIES : signer.capabilities;
  if (caps) attrs.push(encodeAttribute(ATTRIBUTE.smimeCapabilities, encodeCapabilities(caps)));
  const encCert =
    signer.encryptionCertificate === undefined
      ? canEncrypt(info)
        ? signer.certificate
        : undefined
      : signer.encryptionCertificate || undefined;
  if (encCert) {
    const encInfo = encCert === signer.certificate ? info : readCertificate(encCert);
    attrs.push(
      encodeAttribute(
        ATTRIBUTE.smimeEncryptionKeyPreference,
        encodeEncryptionKeyPreference(encInfo.issuer.der, fromHex(encInfo.serialHex)),
      ),
    );
  }
  if (signer.signingCertificateV2 !== false) {
    attrs.push(
      encodeAttribute(
        ATTRIBUTE.signingCertificateV2,
        encodeSigningCertificateV2(sha256(signer.certificate), info.issuer.der, serial),
      ),
    );
  }
  for (const a of signer.extraSignedAttributes ?? []) attrs.push(a);
  return attrs;
}
