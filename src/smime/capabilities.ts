/**
 * SMIMECapabilities (RFC 8551 §2.5.2): what a correspondent says it can
 * decrypt, and the interoperability rules smimekit derives from it when
 * choosing the content cipher and the RSA key transport per message.
 */
import { FormatError } from '../errors.js';
import { toBytes, type BytesLike } from '../util/bytes.js';
import { encodeOaepParams } from '../crypto/rsa-oaep.js';
import { CONTENT_CIPHERS, type ContentCipherName } from '../cms/content-cipher.js';
import { RSAES_OAEP } from '../cms/recipient-parse.js';
import type { KeyTransport } from '../cms/recipient-encode.js';
import { derParse, derBytes, derSequence, derOid, seq, algorithmId } from '../asn1/index.js';

/** Capability OIDs smimekit looks at. */
export const CAPABILITY = {
  aes128Cbc: CONTENT_CIPHERS['aes-128-cbc'].oid,
  aes192Cbc: CONTENT_CIPHERS['aes-192-cbc'].oid,
  aes256Cbc: CONTENT_CIPHERS['aes-256-cbc'].oid,
  aes128Gcm: CONTENT_CIPHERS['aes-128-gcm'].oid,
  aes192Gcm: CONTENT_CIPHERS['aes-192-gcm'].oid,
  aes256Gcm: CONTENT_CIPHERS['aes-256-gcm'].oid,
  rsaesOaep: RSAES_OAEP,
  desEde3Cbc: '1.2.840.113549.3.7',
  rc2Cbc: '1.2.840.113549.3.2',
} as const;

/** One SMIMECapability: an OID and its optional parameters (DER). */
export interface SmimeCapability {
  capability: string;
  parameters?: Uint8Array;
}

/**
 * What callers may hand over as a correspondent's capabilities: the DER of
 * an SMIMECapabilities attribute value (`SEQUENCE OF SMIMECapability`), the
 * parsed list, or plain OIDs. Order is the sender's preference.
 */
export type CapabilitiesInput = BytesLike | readonly (SmimeCapability | string)[];

/**
 * Parses the DER of an SMIMECapabilities value.
 *
 * @throws FormatError `malformed-capabilities`
 */
export function parseSmimeCapabilities(der: BytesLike): SmimeCapability[] {
  const bytes = toBytes(der, 'SMIMECapabilities');
  try {
    return derSequence(derParse(bytes), 'SMIMECapabilities').map((cap) => {
      const [id, params] = derSequence(cap, 'SMIMECapability', 1);
      const out: SmimeCapability = { capability: derOid(id) };
      if (params) out.parameters = derBytes(params).slice();
      return out;
    });
  } catch (e) {
    throw new FormatError('malformed-capabilities', `not an SMIMECapabilities value: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The capability OIDs of any accepted input form. */
export function capabilityOids(input: CapabilitiesInput): Set<string> {
  if (Array.isArray(input))
    return new Set(input.map((c: SmimeCapability | string) => (typeof c === 'string' ? c : c.capability)));
  return new Set(parseSmimeCapabilities(input as BytesLike).map((c) => c.capability));
}

/**
 * DER SMIMECapabilities of what smimekit can decrypt, strongest first (for
 * the signed attribute of outgoing signed mail): AES-256/128-GCM,
 * AES-256/192/128-CBC, RSAES-OAEP (SHA-256).
 */
export function encodeSmimeCapabilities(): Uint8Array {
  return seq(
    algorithmId(CAPABILITY.aes256Gcm),
    algorithmId(CAPABILITY.aes128Gcm),
    algorithmId(CAPABILITY.aes256Cbc),
    algorithmId(CAPABILITY.aes192Cbc),
    algorithmId(CAPABILITY.aes128Cbc),
    algorithmId(CAPABILITY.rsaesOaep, encodeOaepParams({ hash: 'SHA-256' })),
  );
}

/**
 * The content cipher for a message: AES-256-GCM only when every recipient's
 * capabilities are known and include it (gpgsm 2.2 and NSS 3.87 cannot read
 * AuthEnvelopedData), AES-256-CBC otherwise.
 */
export function chooseContentCipher(recipients: readonly (Set<string> | undefined)[]): ContentCipherName {
  const allGcm = recipients.length > 0 && recipients.every((caps) => caps?.has(CAPABILITY.aes256Gcm) === true);
  return allGcm ? 'aes-256-gcm' : 'aes-256-cbc';
}

/** RSA key transport for one recipient: OAEP only when it advertises RSAES-OAEP, PKCS#1 v1.5 otherwise. */
export function chooseKeyTransport(capabilities: Set<string> | undefined): KeyTransport {
  return capabilities?.has(CAPABILITY.rsaesOaep) ? 'rsa-oaep' : 'rsa-pkcs1';
}
