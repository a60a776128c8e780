/**
 * Creating SignedData (RFC 5652 §5) for S/MIME: RSA PKCS#1 v1.5, RSA-PSS
 * (MGF1 with the message digest, salt = digest length), ECDSA P-256/384/521
 * and Ed25519 (RFC 8419: SHA-512 message digest, pure Ed25519 over the signed
 * attributes). Everything is DER-encoded here, the signature made with WebCrypto.
 */
import { DEFAULT_MIN_RSA_BITS } from '../crypto/policy.js';
import { AlgorithmError, ArgumentError, FormatError } from '../errors.js';
import { concatBytes, fromHex, toArrayBuffer, toBytes, toHex, type BytesLike } from '../util/bytes.js';
import { sha256 } from '../util/hash/sha256.js';
import { readCertificate, type Certificate } from '../x509/index.js';
import { OID } from '../crypto/algorithms.js';
import { getSubtle } from '../crypto/engine.js';
import { normalizePkcs8, rsaPkcs1ToPkcs8, type LoadedPrivateKey } from '../crypto/private-key.js';
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
import { TAG, derParse, derChildren, derContent, derIsUniversal, tlv, seq, NULL, encodeOid, algorithmId } from '../asn1/index.js';

/** Digests smimekit signs with. */
export type SigningDigest = 'sha256' | 'sha384' | 'sha512';

export const SIGNING_DIGESTS: readonly SigningDigest[] = ['sha256', 'sha384', 'sha512'];

const DIGEST_INFO: Record<SigningDigest, { webcrypto: 'SHA-256' | 'SHA-384' | 'SHA-512'; oid: string; length: number; micalg: string }> = {
  sha256: { webcrypto: 'SHA-256', oid: OID.sha256, length: 32, micalg: 'sha-256' },
  sha384: { webcrypto: 'SHA-384', oid: OID.sha384, length: 48, micalg: 'sha-384' },
  sha512: { webcrypto: 'SHA-512', oid: OID.sha512, length: 64, micalg: 'sha-512' },
};

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
  /** Message digest (default sha256). Ed25519 always uses sha512 (RFC 8419 §3). */
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

interface Scheme {
  /** SignerInfo.signatureAlgorithm DER. */
  algorithm: Uint8Array;
  digest: SigningDigest;
  sign(data: Uint8Array): Promise<Uint8Array>;
}


function integerDer(value: Uint8Array): Uint8Array {
  let v = value;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  if (v.length === 0 || (v[0]! & 0x80) !== 0) v = concatBytes(Uint8Array.of(0), v);
  return tlv(0x02, v);
}

/** WebCrypto's r||s ECDSA output → DER ECDSA-Sig-Value. */
function p1363ToDer(sig: Uint8Array): Uint8Array {
  const half = sig.length / 2;
  return seq(integerDer(sig.subarray(0, half)), integerDer(sig.subarray(half)));
}

/** An id-RSASSA-PSS PKCS#8 rewritten as rsaEncryption: WebCrypto implementations refuse the former. */
function pssKeyAsRsa(pkcs8: Uint8Array): Uint8Array {
  const root = derParse(pkcs8);
  const kids = derChildren(root);
  const inner = kids[2];
  if (!inner || !derIsUniversal(inner, TAG.OCTET_STRING)) throw new FormatError('bad-key', 'malformed PKCS#8 key');
  return rsaPkcs1ToPkcs8(derContent(inner));
}

const ECDSA_OID: Record<SigningDigest, string> = {
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};

/** RSASSA-PSS-params: hash, MGF1 with the same hash, salt = digest length (RFC 4055 §3.1; trailer field default). */
export function encodePssParameters(digest: SigningDigest): Uint8Array {
  const d = DIGEST_INFO[digest];
  const hash = algorithmId(d.oid);
  return seq(tlv(0xa0, hash), tlv(0xa1, algorithmId(OID.mgf1, hash)), tlv(0xa2, integerDer(Uint8Array.of(d.length))));
}

async function schemeFor(key: LoadedPrivateKey, requested: SigningDigest, pss: boolean, allowWeak: boolean): Promise<Scheme> {
  const subtle = getSubtle();
  const importFailed = (e: unknown) => new FormatError('bad-key', `the private key cannot be used for signing: ${(e as Error).message}`, { cause: e });
  switch (key.type) {
    case 'rsa':
    case 'rsa-pss': {
      // New signatures follow the same policy verifiers apply: short RSA keys only on explicit request.
      if (!allowWeak && key.bits < DEFAULT_MIN_RSA_BITS) {
        throw new AlgorithmError('weak-algorithm', `refusing to sign with a ${key.bits}-bit RSA key (at least ${DEFAULT_MIN_RSA_BITS} bits; allowWeak to override)`);
      }
      const d = DIGEST_INFO[requested];
      const usePss = pss || key.type === 'rsa-pss';
      const pkcs8 = key.type === 'rsa-pss' ? pssKeyAsRsa(key.pkcs8) : key.pkcs8;
      let ck: CryptoKey;
      try {
        ck = await subtle.importKey('pkcs8', toArrayBuffer(pkcs8), { name: usePss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: d.webcrypto }, false, ['sign']);
      } catch (e) {
        throw importFailed(e);
      }
      return {
        // rsaEncryption (with NULL) is what OpenSSL, Outlook and Thunderbird write for PKCS#1 v1.5 in CMS.
        algorithm: usePss ? algorithmId(OID.rsassaPss, encodePssParameters(requested)) : algorithmId(OID.rsaEncryption, NULL),
        digest: requested,
        sign: async (data) =>
          new Uint8Array(await subtle.sign(usePss ? { name: 'RSA-PSS', saltLength: d.length } : { name: 'RSASSA-PKCS1-v1_5' }, ck, toArrayBuffer(data))),
      };
    }
    case 'ec': {
      let ck: CryptoKey;
      try {
        ck = await subtle.importKey('pkcs8', toArrayBuffer(key.pkcs8), { name: 'ECDSA', namedCurve: key.curve! }, false, ['sign']);
      } catch (e) {
        throw importFailed(e);
      }
      const hash = DIGEST_INFO[requested].webcrypto;
      return {
        algorithm: algorithmId(ECDSA_OID[requested]),
        digest: requested,
        sign: async (data) => p1363ToDer(new Uint8Array(await subtle.sign({ name: 'ECDSA', hash }, ck, toArrayBuffer(data)))),
      };
    }
    case 'ed25519': {
      let ck: CryptoKey;
      try {
        ck = await subtle.importKey('pkcs8', toArrayBuffer(key.pkcs8), { name: 'Ed25519' }, false, ['sign']);
      } catch (e) {
        throw importFailed(e);
      }
      return {
        algorithm: algorithmId(OID.ed25519),
        digest: 'sha512', // RFC 8419 §3: SHA-512 when signed attributes are present
        sign: async (data) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, ck, toArrayBuffer(data))),
      };
    }
    default:
      throw new AlgorithmError('unsupported-algorithm', `${key.type} keys cannot sign S/MIME messages with smimekit`);
  }
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
  const digestCache = new Map<SigningDigest, Uint8Array>();
  const signerInfos: Uint8Array[] = [];
  const digestAlgs = new Set<SigningDigest>();
  let anyV3 = false;

  for (const signer of options.signers) {
    const requested = signer.digest ?? 'sha256';
    if (!SIGNING_DIGESTS.includes(requested)) throw new ArgumentError('bad-argument', `digest must be one of ${SIGNING_DIGESTS.join(', ')}, not "${String(requested)}"`);
    const key = signer.privateKey instanceof Uint8Array ? normalizePkcs8(signer.privateKey) : signer.privateKey;
    const info = readCertificate(signer.certificate);
    const scheme = await schemeFor(key, requested, signer.pss ?? false, options.allowWeak ?? false);
    digestAlgs.add(scheme.digest);
    let md = digestCache.get(scheme.digest);
    if (!md) {
      md = await digestBytes(DIGEST_INFO[scheme.digest].webcrypto, data);
      digestCache.set(scheme.digest, md);
    }
    const serial = fromHex(info.serialHex);
    const attrs: Uint8Array[] = [encodeAttribute(ATTRIBUTE.contentType, encodeOid(contentType)), encodeAttribute(ATTRIBUTE.messageDigest, tlv(0x04, md))];
    if (signingTime) attrs.push(encodeAttribute(ATTRIBUTE.signingTime, encodeTime(signingTime)));
    const caps = signer.capabilities === undefined ? DEFAULT_CAPABILITIES : signer.capabilities;
    if (caps) attrs.push(encodeAttribute(ATTRIBUTE.smimeCapabilities, encodeCapabilities(caps)));
    const encCert = signer.encryptionCertificate === undefined ? (canEncrypt(info) ? signer.certificate : undefined) : signer.encryptionCertificate || undefined;
    if (encCert) {
      const encInfo = encCert === signer.certificate ? info : readCertificate(encCert);
      attrs.push(encodeAttribute(ATTRIBUTE.smimeEncryptionKeyPreference, encodeEncryptionKeyPreference(encInfo.issuer.der, fromHex(encInfo.serialHex))));
    }
    if (signer.signingCertificateV2 !== false) {
      attrs.push(encodeAttribute(ATTRIBUTE.signingCertificateV2, encodeSigningCertificateV2(sha256(signer.certificate), info.issuer.der, serial)));
    }
    for (const a of signer.extraSignedAttributes ?? []) attrs.push(a);
    const signedAttrs = encodeSetOf(attrs);
    const signature = await scheme.sign(signedAttrs);

    let version = 1;
    let sid: Uint8Array;
    if (signer.identifier === 'subjectKeyIdentifier') {
      if (!info.subjectKeyIdentifier) throw new ArgumentError('bad-argument', 'the signer certificate has no subjectKeyIdentifier');
      sid = tlv(0x80, info.subjectKeyIdentifier);
      version = 3;
      anyV3 = true;
    } else sid = seq(info.issuer.der, tlv(0x02, serial));
    const implicitAttrs = signedAttrs.slice();
    implicitAttrs[0] = 0xa0;
    signerInfos.push(
      seq(integerDer(Uint8Array.of(version)), sid, algorithmId(DIGEST_INFO[scheme.digest].oid), implicitAttrs, scheme.algorithm, tlv(0x04, signature)),
    );
  }

  const certs = certificateSet(options.signers, options.certificates ?? []);
  const sdVersion = anyV3 || contentType !== CONTENT_TYPE.data ? 3 : 1;
  const encap = options.detached ? seq(encodeOid(contentType)) : seq(encodeOid(contentType), tlv(0xa0, tlv(0x04, data)));
  const signedData = seq(
    integerDer(Uint8Array.of(sdVersion)),
    encodeSetOf([...digestAlgs].map((d) => algorithmId(DIGEST_INFO[d].oid))),
    encap,
    ...(certs.length ? [tlv(0xa0, concatBytes(...certs))] : []),
    encodeSetOf(signerInfos),
  );
  return encodeContentInfo(CONTENT_TYPE.signedData, signedData);
}
