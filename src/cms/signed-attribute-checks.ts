/**
 * The signed-attribute rules of a SignerInfo (RFC 5652 §5.3–5.4, §11.4; RFC 5035): contentType and
 * messageDigest against the content, the ESS signingCertificate binding, and the informational
 * attributes (signingTime, SMIMECapabilities, SMIMEEncryptionKeyPreference).
 */
import { bytesEqual } from '../util/bytes.js';
import { digestAlgorithm, type DigestName } from '../crypto/algorithms.js';
import { digest as digestBytes } from '../crypto/verify-signature.js';
import { SmimeError } from '../errors.js';
import {
  ATTRIBUTE,
  decodeCapabilities,
  decodeEncryptionKeyPreference,
  decodeOctetsValue,
  decodeOidValue,
  decodeSigningCertificate,
  decodeTimeValue,
  singleValue,
  type CmsAttribute,
} from './attributes.js';
import { CONTENT_TYPE } from './content-info.js';
import type { SignerInfo } from './signed-data.js';
import { keyIdentifierOf, namesMatch, serialsEqual, type CandidateCert } from './signer-lookup.js';
import { problem, type SignerCheck, type SignerProblem } from './signer-check.js';

/** signingTime, SMIMECapabilities and the SMIMEEncryptionKeyPreference certificate; throws FormatError when malformed. */
export function readAttributeFacts(
  check: SignerCheck,
  attrs: CmsAttribute[],
  candidates: readonly CandidateCert[],
): void {
  const time = singleValue(attrs, ATTRIBUTE.signingTime);
  if (time) check.signingTime = decodeTimeValue(time);
  const caps = singleValue(attrs, ATTRIBUTE.smimeCapabilities);
  if (caps) check.capabilities = decodeCapabilities(caps);
  const pref = singleValue(attrs, ATTRIBUTE.smimeEncryptionKeyPreference);
  if (pref) {
    const p = decodeEncryptionKeyPreference(pref);
    const found = p.serialHex
      ? candidates.find(
          (c) => serialsEqual(c.info.serialHex, p.serialHex!) && namesMatch(c.info.issuer.der, p.issuerDer!),
        )
      : p.keyId
        ? candidates.find((c) => bytesEqual(keyIdentifierOf(c.info), p.keyId!))
        : undefined;
    if (found) check.encryptionCertificate = found.der;
  }
}

/** Content that was streamed: only its digests were kept, by algorithm. */
export interface DigestedContent {
  digests: ReadonlyMap<DigestName, Uint8Array>;
}

/**
 * The bytes the signature covers (RFC 5652 §5.4): the signed attributes, once their contentType and
 * messageDigest match the content, or else the content itself.
 */
export async function signedBytes(
  si: SignerInfo,
  contentType: string,
  content: Uint8Array | DigestedContent,
  digestName: DigestName,
  isCountersignature: boolean,
): Promise<{ data: Uint8Array } | { digested: DigestedContent } | { problem: SignerProblem }> {
  try {
    const attrs = si.signedAttributes;
    if (!attrs) {
      if (contentType !== CONTENT_TYPE.data && !isCountersignature) {
        return {
          problem: problem(
            'missing-attributes',
            'signed attributes are required when the content type is not id-data (RFC 5652 §5.3)',
          ),
        };
      }
      // The signature covers the content itself: from a stream, only its digests are left to check it with.
      if (!(content instanceof Uint8Array)) return { digested: content };
      return { data: content };
    }
    const ct = singleValue(attrs, ATTRIBUTE.contentType);
    const md = singleValue(attrs, ATTRIBUTE.messageDigest);
    if (!md || (!ct && !isCountersignature))
      return {
        problem: problem('missing-attributes', 'signed attributes lack contentType or messageDigest (RFC 5652 §5.3)'),
      };
    if (isCountersignature && ct)
      return { problem: problem('malformed-cms', 'a countersignature must not carry contentType (RFC 5652 §11.4)') };
    if (ct && decodeOidValue(ct) !== contentType) {
      return {
        problem: problem(
          'content-type-mismatch',
          `the signed contentType ${decodeOidValue(ct)} differs from the encapsulated type ${contentType}`,
        ),
      };
    }
    const actual =
      content instanceof Uint8Array ? await digestBytes(digestName, content) : content.digests.get(digestName);
    if (!actual)
      return {
        problem: problem(
          'no-content',
          `the content was streamed with ${[...(content as DigestedContent).digests.keys()].join(', ') || 'no digest'} only, not ${digestName}`,
        ),
      };
    if (!bytesEqual(actual, decodeOctetsValue(md))) {
      return {
        problem: problem(
          'digest-mismatch',
          'the content does not match the signed message digest: it was changed after signing',
        ),
      };
    }
    return { data: si.signedAttributesDer! };
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
    return { problem: problem(e.code === 'malformed-der' ? 'malformed-cms' : e.code, e.message) };
  }
}

/** The ESS signingCertificate(V2) attribute, when present, must name `signer` (an unreadable one is ignored). */
export async function checkSigningCertificate(
  si: SignerInfo,
  signer: CandidateCert,
): Promise<SignerProblem | undefined> {
  const attrs = si.signedAttributes;
  if (!attrs) return undefined;
  try {
    const v2 = singleValue(attrs, ATTRIBUTE.signingCertificateV2);
    const v1 = v2 ? undefined : singleValue(attrs, ATTRIBUTE.signingCertificate);
    const value = v2 ?? v1;
    if (!value) return undefined;
    const ess = decodeSigningCertificate(value, !!v2);
    const d = digestAlgorithm(ess.hashOid ?? '');
    if (!d) return undefined; // unknown hash: cannot check, not a failure of the signature
    const hash = await digestBytes(d.name, signer.der);
    if (!bytesEqual(hash, ess.hash)) {
      return problem(
        'signing-certificate-mismatch',
        'the signed ESS signingCertificate attribute names a different certificate than the one found',
      );
    }
  } catch (e) {
    if (e instanceof SmimeError) return undefined;
    throw e;
  }
  return undefined;
}
