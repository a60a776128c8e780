/**
 * Finding the certificate a SignerInfo names (RFC 5652 §5.3 SignerIdentifier:
 * issuerAndSerialNumber or subjectKeyIdentifier) among the certificates a
 * message carries, and the DSA parameters its key inherits from them.
 */
import { fromHex, toHex, bytesEqual } from '../util/bytes.js';
import { sha1 } from '../util/hash.js';
import { namesEqual, parseDistinguishedNameDer, readCertificate, type Certificate } from '../x509/index.js';
import { OID } from '../crypto/algorithms.js';
import type { SignerIdentifier } from './signed-data.js';
import { TAG, derParse, derChildren, derIsUniversal, decodeInteger } from '../asn1/index.js';

/** A certificate the message or the caller supplied, as DER and decoded. */
export interface CandidateCert {
  der: Uint8Array;
  info: Certificate;
}

/** Whether two DER Names are the same name. */
export function namesMatch(a: Uint8Array, b: Uint8Array): boolean {
  if (bytesEqual(a, b)) return true;
  // Different string types / case for the same name (RFC 5280 §7.1, simplified).
  try {
    return namesEqual(parseDistinguishedNameDer(a), parseDistinguishedNameDer(b));
  } catch {
    return false;
  }
}

/** RFC 5280 §4.2.1.2 method 1 (SHA-1 of the subjectPublicKey), used when a certificate has no SKI extension. */
export function keyIdentifierOf(info: Certificate): Uint8Array {
  return info.subjectKeyIdentifier ?? sha1(info.publicKey);
}

/** Serial numbers compared as (signed) INTEGER values: `00ff` is 255, `ff` is -1 (RFC 5280 §4.1.2.2). */
export function serialsEqual(a: string, b: string): boolean {
  if (a.length === 0 || b.length === 0) return false;
  try {
    return decodeInteger(fromHex(a)) === decodeInteger(fromHex(b));
  } catch {
    return false;
  }
}

/**
 * Every certificate among `candidates` that a SignerIdentifier names, best match first (issuer DER bytes equal
 * before names equal only after normalization; the SKI extension before computed key identifiers). Several
 * certificates can carry the same identifier with different keys: the caller picks the one whose key verifies.
 */
export function findSignerCertificates<T extends { info: Certificate }>(
  sid: SignerIdentifier,
  candidates: readonly T[],
): T[] {
  const out: T[] = [];
  const add = (c: T) => {
    if (!out.includes(c)) out.push(c);
  };
  if (sid.type === 'issuerAndSerialNumber') {
    const serial = candidates.filter((c) => serialsEqual(c.info.serialHex, sid.serialHex));
    serial.filter((c) => bytesEqual(c.info.issuer.der, sid.issuer)).forEach(add);
    serial.filter((c) => namesMatch(c.info.issuer.der, sid.issuer)).forEach(add);
    return out;
  }
  candidates
    .filter((c) => c.info.subjectKeyIdentifier && bytesEqual(c.info.subjectKeyIdentifier, sid.keyIdentifier))
    .forEach(add);
  candidates.filter((c) => bytesEqual(keyIdentifierOf(c.info), sid.keyIdentifier)).forEach(add);
  // Some Microsoft clients identify keys by SHA-1 of the whole SPKI.
  candidates.filter((c) => bytesEqual(sha1(c.info.spki), sid.keyIdentifier)).forEach(add);
  return out;
}

/** Finds the certificate a SignerIdentifier names among `candidates` (the best match; see `findSignerCertificates`). */
export function findSignerCertificate<T extends { info: Certificate }>(
  sid: SignerIdentifier,
  candidates: readonly T[],
): T | undefined {
  return findSignerCertificates(sid, candidates)[0];
}

/** Decodes certificates to look signers up in, skipping duplicates and unreadable ones. */
export function parseCandidates(certs: readonly Uint8Array[]): CandidateCert[] {
  const out: CandidateCert[] = [];
  const seen = new Set<string>();
  for (const der of certs) {
    try {
      const info = readCertificate(der); // its fingerprint is the SHA-256 of der, computed once
      if (seen.has(info.fingerprint)) continue;
      seen.add(info.fingerprint);
      out.push({ der, info });
    } catch {
      // An unreadable certificate in the message must not prevent verification by the others.
    }
  }
  return out;
}

/**
 * DSA keys may inherit domain parameters from their issuer (RFC 3279 §2.3.2), which may inherit them in turn:
 * walk up the certificates the message carries until a DSA key with parameters (bounded, cycle-safe).
 */
export function inheritedDsaParameters(
  signer: CandidateCert,
  candidates: readonly CandidateCert[],
): Uint8Array | undefined {
  if (signer.info.publicKeyAlgorithm !== OID.dsa) return undefined;
  let current = signer;
  const seen = new Set<CandidateCert>([signer]);
  for (let depth = 0; depth < 8; depth++) {
    const issuer = candidates.find(
      (c) =>
        !seen.has(c) &&
        namesMatch(c.info.subject.der, current.info.issuer.der) &&
        c.info.publicKeyAlgorithm === OID.dsa,
    );
    if (!issuer) return undefined;
    const params = dsaParametersOf(issuer.info.spki);
    if (params) return params;
    seen.add(issuer);
    current = issuer;
  }
  return undefined;
}

function dsaParametersOf(spki: Uint8Array): Uint8Array | undefined {
  try {
    const algNode = derChildren(derParse(spki))[0]!;
    const params = derChildren(algNode)[1];
    return params && derIsUniversal(params, TAG.SEQUENCE) ? spki.subarray(params.start, params.end) : undefined;
  } catch {
    return undefined;
  }
}

/** Short text naming a SignerIdentifier. */
export function describeSid(sid: SignerIdentifier): string {
  if (sid.type === 'subjectKeyIdentifier') return `subjectKeyIdentifier ${toHex(sid.keyIdentifier)}`;
  let issuer = '?';
  try {
    issuer = parseDistinguishedNameDer(sid.issuer).text;
  } catch {
    // keep '?'
  }
  return `issuer ${issuer}, serial ${sid.serialHex}`;
}
