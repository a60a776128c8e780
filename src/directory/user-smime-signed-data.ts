/**
 * The SignedData form of a `userSMIMECertificate` value (what Outlook's "Publish to GAL" writes): the
 * certificates, the signer, signingTime, SMIMECapabilities and the encryption-key preferences (RFC 8551's
 * and Microsoft's) naming the encryption certificate.
 */
import { FormatError } from '../errors.js';
import { fromHex, toHex } from '../util/bytes.js';
import { looksLikePem } from '../util/pem.js';
import {
  ATTRIBUTE,
  decodeCapabilities,
  decodeEncryptionKeyPreference,
  decodeTimeValue,
  singleValue,
  type CmsAttribute,
} from '../cms/attributes.js';
import { parseSignedData, type SignerIdentifier } from '../cms/signed-data.js';
import { findSignerCertificate } from '../cms/signer-lookup.js';
import { TAG, derParse, derChildren, derContent, derBytes, derIsUniversal } from '../asn1/index.js';
import type { UserSmimeCertificate } from './user-smime-certificate.js';
import {
  certificateAt,
  distinct,
  fail,
  guarded,
  tryReadCertificate,
  type ParsedCertificate,
} from './user-smime-decode.js';

/** Microsoft's encryption-key preference attribute (szOID_MICROSOFT_Encryption_Key_Preference), value IssuerAndSerialNumber. */
export const MS_ENCRYPTION_KEY_PREFERENCE = '1.3.6.1.4.1.311.16.4';

/** Decodes a value whose first byte is 0x30 (a ContentInfo with SignedData). */
export function parseSignedDataForm(bytes: Uint8Array): UserSmimeCertificate {
  guarded('SignedData', () => derParse(bytes)); // nothing may follow the ContentInfo
  // parseSignedData reads anything with PEM armour text in it as PEM, not as the DER it is.
  if (looksLikePem(bytes)) throw fail('the DER value contains PEM armour text', 0);
  if (!(tryReadCertificate(bytes) instanceof Error))
    throw fail('the value is a bare certificate, not a SignedData (it belongs in userCertificate)', 0);
  const sd = guarded('SignedData', () => parseSignedData(bytes));
  const certs = distinct(
    sd.certificates.map((der, i) => certificateAt(der, der.byteOffset - bytes.byteOffset, `certificate ${i}`)),
  );
  const out: UserSmimeCertificate = { format: 'signed-data', certificates: certs.map((c) => c.der) };
  const si = sd.signerInfos[0];
  if (!si) return out; // certs-only (degenerate) SignedData
  const signer = findSignerCertificate(si.sid, certs);
  if (signer) out.signingCertificate = signer.der;
  guarded('signed attributes', () => readSignedAttributes(si.signedAttributes ?? [], certs, out));
  return out;
}

function readSignedAttributes(attrs: CmsAttribute[], certs: ParsedCertificate[], out: UserSmimeCertificate): void {
  const time = singleValue(attrs, ATTRIBUTE.signingTime);
  if (time) out.signingTime = decodeTimeValue(time);
  const caps = singleValue(attrs, ATTRIBUTE.smimeCapabilities);
  if (caps) out.capabilities = decodeCapabilities(caps);
  // RFC 8551's attribute first; Outlook writes Microsoft's alongside, naming the same certificate.
  const preferred = preferenceIdentifiers(attrs)
    .map((sid) => findSignerCertificate(sid, certs))
    .find((c) => c !== undefined);
  if (preferred) out.encryptionCertificate = preferred.der;
}

/** The encryption-key preferences as SignerIdentifiers, so the CMS signer lookup can resolve them. */
function preferenceIdentifiers(attrs: CmsAttribute[]): SignerIdentifier[] {
  const out: SignerIdentifier[] = [];
  const rfc = singleValue(attrs, ATTRIBUTE.smimeEncryptionKeyPreference);
  if (rfc) {
    const p = decodeEncryptionKeyPreference(rfc);
    if (p.issuerDer && p.serialHex)
      out.push({
        type: 'issuerAndSerialNumber',
        issuer: p.issuerDer,
        serialNumber: fromHex(p.serialHex),
        serialHex: p.serialHex,
      });
    else if (p.keyId) out.push({ type: 'subjectKeyIdentifier', keyIdentifier: p.keyId });
  }
  const ms = singleValue(attrs, MS_ENCRYPTION_KEY_PREFERENCE);
  if (ms) {
    const [issuer, serial] = derChildren(derParse(ms));
    const valid = issuer && serial && derIsUniversal(issuer, TAG.SEQUENCE) && derIsUniversal(serial, TAG.INTEGER);
    if (!valid)
      throw new FormatError('malformed-cms', 'the Microsoft encryption-key preference is not an IssuerAndSerialNumber');
    const serialNumber = derContent(serial);
    out.push({ type: 'issuerAndSerialNumber', issuer: derBytes(issuer), serialNumber, serialHex: toHex(serialNumber) });
  }
  return out;
}
