/**
 * smimekit side of the ASN.1 differential test (test/asn1/differential.test.ts).
 *
 * EVERY import from src/ used by the differential test lives in this file, so
 * switching to the new reader (src/asn1/index.ts) is a change here only. The
 * functions return plain, parser-neutral shapes (see the `Normalized*` types)
 * that asn1js-adapter.ts produces too.
 */
// The ASN.1 reader. This line is the whole reader switch: it was src/util/der-element.ts until that module was
// replaced by src/asn1/index.ts. Only derParse/derChildren/derBytes/derContent and the node fields cls, tag,
// constructed, start, end, indefinite and buf are used, which both modules provide.
import { derBytes, derChildren, derContent, derParse, type DerNode } from '../../src/asn1/index.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { parseCrl } from '../../src/x509/crl.js';
import { CONTENT_TYPE, parseContentInfo, parseEnvelope, parseSignedData } from '../../src/cms/index.js';
import type { RecipientIdentifier } from '../../src/cms/index.js';
import { decodedBody, parseMime, walkEntities, type MimeEntity } from '../../src/mime/index.js';
import { isSst, parseSst } from '../../src/sst/index.js';
import { decodePem } from '../../src/util/pem.js';
import { parsePkcs12 } from '../../src/crypto/pkcs12.js';

// ---------------------------------------------------------------------------
// Shapes shared with asn1js-adapter.ts

/** One TLV, parser-neutral. Offsets are relative to the first byte of the bytes given to the tree function. */
export interface TreeNode {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  tag: number;
  constructed: boolean;
  /** Offset of the identifier octet. */
  start: number;
  /** Whole encoding: identifier + length + content (+ end-of-contents octets when indefinite). */
  length: number;
  /** Identifier + length octets. */
  headerLength: number;
  indefinite: boolean;
  /** Primitive nodes: the content octets (for BIT STRING this includes the unused-bits octet). */
  content?: Uint8Array;
  /** Constructed nodes: the children, end-of-contents markers removed. */
  children?: TreeNode[];
}

/** One attribute of a Name, RDN structure flattened (PKI.js keeps no RDN grouping). */
export interface NameAtv {
  oid: string;
  /** Decoded text for directory-string types, `#<hex of the whole TLV>` otherwise. */
  value: string;
}

export interface NormalizedCertificate {
  /** 1, 2 or 3. */
  version: number;
  /** Hex of the INTEGER content octets exactly as encoded (a leading 00 is kept). */
  serialHex: string;
  /** Two's-complement value of the serial, decimal. */
  serialValue: string;
  issuer: NameAtv[];
  subject: NameAtv[];
  /** ISO 8601, or `invalid`. */
  notBefore: string;
  notAfter: string;
  signatureAlgorithm: string;
  spkiAlgorithm: string;
  extensions: { oid: string; critical: boolean }[];
  rfc822Names: string[];
  /** keyUsage bit mask, bit n of the BIT STRING = 1 << n; undefined when absent. */
  keyUsage?: number;
  extKeyUsage?: string[];
  basicConstraints?: { ca: boolean; pathLength?: number };
}

export interface NormalizedCrl {
  issuer: NameAtv[];
  thisUpdate: string;
  nextUpdate?: string;
  /** Serials of revoked certificates as signed hex of their value (`-` prefix when negative), in order. */
  revoked: string[];
}

export interface NormalizedSigner {
  version: number;
  /** `ias:<issuer Name DER hex>:<serial INTEGER content hex>` or `ski:<hex>`. */
  sid: string;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** Attribute type OIDs in encoded order ([] when absent). */
  signedAttributes: string[];
  unsignedAttributes: string[];
}

export interface NormalizedRecipient {
  type: 'ktri' | 'kari' | 'kekri' | 'pwri' | 'ori' | 'unknown';
  /** ktri: one rid; kari: the rids of every RecipientEncryptedKey joined with `,`; kekri: `kek:<keyIdentifier hex>`; others empty. */
  rid: string;
  /** ktri/kari/kekri: keyEncryptionAlgorithm OID; others empty. */
  keyEncryptionAlgorithm: string;
}

export interface NormalizedCms {
  contentType: string;
  version?: number;
  digestAlgorithms?: string[];
  eContentType?: string;
  /** Number of X.509 certificates (`Certificate` CHOICE arm) in SignedData.certificates. */
  certificates?: number;
  /** Number of X.509 CRLs (`CertificateList` CHOICE arm) in SignedData.crls. */
  crls?: number;
  signers?: NormalizedSigner[];
  recipients?: NormalizedRecipient[];
  /** EnvelopedData: encryptedContentInfo.contentType and contentEncryptionAlgorithm OID. */
  encryptedContentType?: string;
  contentEncryptionAlgorithm?: string;
}

type StructureKind = 'certificate' | 'crl' | 'cms' | 'pkcs12' | 'other';

export interface ExtractedStructure {
  kind: StructureKind;
  /** The structure's bytes (a whole TLV, possibly followed by nothing else). */
  der: Uint8Array;
  /** Human-readable provenance: file path and how it was reached. */
  origin: string;
}

// ---------------------------------------------------------------------------
// Helpers (no src/ imports below this line other than the ones above)

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function isoDate(d: Date): string {
  return Number.isNaN(d.getTime()) ? 'invalid' : d.toISOString();
}

function signedHex(v: bigint): string {
  return v < 0n ? `-${(-v).toString(16)}` : v.toString(16);
}

// ---------------------------------------------------------------------------
// Trees

/**
 * smimekit's DER/BER reader (src/asn1/index.ts) as a TreeNode
 * tree. Only the first TLV is read (`allowTrailing`); `consumed` says where it ends.
 */
export function smimekitTree(bytes: Uint8Array): TreeNode {
  const root = derParse(bytes, { allowTrailing: true });
  const walk = (n: DerNode): TreeNode => {
    const content = derContent(n);
    const node: TreeNode = {
      cls: n.cls,
      tag: n.tag,
      constructed: n.constructed,
      start: n.start,
      length: n.end - n.start,
      headerLength: content.byteOffset - n.buf.byteOffset - n.start,
      indefinite: n.indefinite,
    };
    if (n.constructed) node.children = derChildren(n).map(walk);
    else node.content = content;
    return node;
  };
  return walk(root);
}

// ---------------------------------------------------------------------------
// Fields

function flattenName(rdns: { oid: string; value: string }[][]): NameAtv[] {
  return rdns.flat().map((a) => ({ oid: a.oid, value: a.value }));
}

/** smimekit's certificate parser (src/trust/certificate.ts parseCertificate), normalised. */
export function smimekitCertificateFields(der: Uint8Array): NormalizedCertificate {
  const c = parseCertificate(der);
  const out: NormalizedCertificate = {
    version: c.version,
    serialHex: c.serialHex,
    serialValue: c.serialNumber.toString(),
    issuer: flattenName(c.issuer.rdns),
    subject: flattenName(c.subject.rdns),
    notBefore: isoDate(c.notBefore),
    notAfter: isoDate(c.notAfter),
    signatureAlgorithm: c.signatureAlgorithm.oid,
    spkiAlgorithm: c.publicKeyAlgorithm,
    extensions: c.extensions.map((e) => ({ oid: e.oid, critical: e.critical })),
    rfc822Names: (c.subjectAltNames ?? []).flatMap((g) => (g.type === 'rfc822' ? [g.value] : [])),
  };
  if (c.keyUsage !== undefined) out.keyUsage = c.keyUsage;
  if (c.extKeyUsage) out.extKeyUsage = [...c.extKeyUsage];
  if (c.basicConstraints) out.basicConstraints = { ...c.basicConstraints };
  return out;
}

/** smimekit's CRL parser (src/trust/crl.ts parseCrl), normalised. */
export function smimekitCrlFields(der: Uint8Array): NormalizedCrl {
  const c = parseCrl(der);
  const out: NormalizedCrl = {
    issuer: flattenName(c.issuer.rdns),
    thisUpdate: isoDate(c.thisUpdate),
    revoked: c.entries.map((e) => signedHex(e.serialNumber)),
  };
  if (c.nextUpdate) out.nextUpdate = isoDate(c.nextUpdate);
  return out;
}

function ridText(rid: RecipientIdentifier): string {
  if (rid.issuer && rid.serialNumber) return `ias:${hex(rid.issuer)}:${hex(rid.serialNumber)}`;
  if (rid.subjectKeyIdentifier) return `ski:${hex(rid.subjectKeyIdentifier)}`;
  return '?';
}

/**
 * smimekit's CMS parsers (parseContentInfo, parseSignedData, parseEnvelope),
 * normalised. Content types without a smimekit parser give only `contentType`.
 */
export function smimekitCmsFields(der: Uint8Array): NormalizedCms {
  const ci = parseContentInfo(der);
  const out: NormalizedCms = { contentType: ci.contentType };
  if (ci.contentType === CONTENT_TYPE.signedData) {
    const sd = parseSignedData(der);
    out.version = sd.version;
    out.digestAlgorithms = sd.digestAlgorithms.map((a) => a.oid);
    out.eContentType = sd.contentType;
    out.certificates = sd.certificates.length;
    out.crls = sd.crls.length;
    out.signers = sd.signerInfos.map((si) => ({
      version: si.version,
      sid:
        si.sid.type === 'issuerAndSerialNumber'
          ? `ias:${hex(si.sid.issuer)}:${si.sid.serialHex}`
          : `ski:${hex(si.sid.keyIdentifier)}`,
      digestAlgorithm: si.digestAlgorithm.oid,
      signatureAlgorithm: si.signatureAlgorithm.oid,
      signedAttributes: (si.signedAttributes ?? []).map((a) => a.oid),
      unsignedAttributes: (si.unsignedAttributes ?? []).map((a) => a.oid),
    }));
  } else if (ci.contentType === CONTENT_TYPE.envelopedData) {
    const env = parseEnvelope(ci);
    out.version = env.version;
    out.encryptedContentType = env.encryptedContentType;
    out.contentEncryptionAlgorithm = env.contentEncryptionAlgorithm.oid;
    out.recipients = env.recipientInfos.map((ri): NormalizedRecipient => {
      switch (ri.kind) {
        case 'ktri':
          return { type: 'ktri', rid: ridText(ri.rid), keyEncryptionAlgorithm: ri.keyEncryptionAlgorithm.oid };
        case 'kari':
          return {
            type: 'kari',
            rid: ri.recipientEncryptedKeys.map((k) => ridText(k.rid)).join(','),
            keyEncryptionAlgorithm: ri.keyEncryptionAlgorithm.oid,
          };
        case 'kekri':
          return {
            type: 'kekri',
            rid: `kek:${hex(ri.keyIdentifier)}`,
            keyEncryptionAlgorithm: ri.keyEncryptionAlgorithm.oid,
          };
        default:
          return { type: ri.kind, rid: '', keyEncryptionAlgorithm: '' };
      }
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Extraction

const SIGNED_DATA = CONTENT_TYPE.signedData;
const TRUSTED_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
const CRL_LABELS = new Set(['X509 CRL']);
const CMS_LABELS = new Set(['PKCS7', 'CMS', 'PKCS #7 SIGNED DATA']);

/** Classifies one DER/BER TLV by its shape. */
function classifyDer(der: Uint8Array): StructureKind {
  let root: DerNode;
  try {
    root = derParse(der, { allowTrailing: true });
  } catch {
    return 'other';
  }
  if (root.cls !== 0 || root.tag !== 16 || !root.constructed) return 'other';
  let kids: DerNode[];
  try {
    kids = derChildren(root);
  } catch {
    return 'other';
  }
  const [a, b] = kids;
  if (a && a.cls === 0 && a.tag === 6 && b && b.cls === 2 && b.tag === 0) return 'cms';
  if (a && a.cls === 0 && a.tag === 2 && b && b.cls === 0 && b.tag === 16) {
    try {
      const inner = derChildren(b)[0];
      if (inner && inner.cls === 0 && inner.tag === 6) return 'pkcs12';
    } catch {
      /* fall through */
    }
  }
  if (kids.length === 3 && a && a.cls === 0 && a.tag === 16 && a.constructed) {
    try {
      const tbs = derChildren(a);
      return tbs.some((k) => k.cls === 0 && (k.tag === 23 || k.tag === 24)) ? 'crl' : 'certificate';
    } catch {
      return 'other';
    }
  }
  return 'other';
}

function firstTlv(der: Uint8Array): Uint8Array {
  return derBytes(derParse(der, { allowTrailing: true }));
}

function looksLikeMime(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 8192)).toString('latin1');
  return /^(content-type|mime-version)\s*:/im.test(head);
}

/** Finds S/MIME bodies in a MIME message (pkcs7-mime / pkcs7-signature entities). */
function fromMime(bytes: Uint8Array, origin: string, out: ExtractedStructure[], depth: number): void {
  // AS2 captures start with an HTTP request line; the MIME headers follow it.
  let src = bytes;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString('latin1');
  if (/^(POST|PUT) \S+ HTTP\/1\.[01]\r?\n/.test(head)) src = bytes.subarray(head.indexOf('\n') + 1);
  let root: MimeEntity;
  try {
    root = parseMime(src);
  } catch {
    return;
  }
  let i = 0;
  for (const e of walkEntities(root)) {
    const where = `${origin} > MIME part ${i++} (${e.contentType.mediaType})`;
    const t = e.contentType.mediaType.toLowerCase();
    if (
      /^application\/(x-)?pkcs7-(mime|signature)$/.test(t) ||
      (/^application\/octet-stream$/.test(t) && /\.p7[msc]\b/i.test(JSON.stringify(e.contentType.params)))
    ) {
      let body: Uint8Array;
      try {
        body = decodedBody(e);
      } catch {
        continue;
      }
      fromBytes(body, `${where} base64/binary body`, out, depth + 1);
    }
  }
}

/** Extracts the certificates, CRLs and nested MIME/CMS of a CMS structure. */
function fromCms(der: Uint8Array, origin: string, out: ExtractedStructure[], depth: number): void {
  let ci;
  try {
    ci = parseContentInfo(der);
  } catch {
    return;
  }
  if (ci.contentType !== SIGNED_DATA) return;
  let sd;
  try {
    sd = parseSignedData(der);
  } catch {
    return;
  }
  sd.certificates.forEach((c, i) =>
    out.push({ kind: 'certificate', der: c, origin: `${origin} > SignedData.certificates[${i}]` }),
  );
  sd.crls.forEach((c, i) => out.push({ kind: 'crl', der: c, origin: `${origin} > SignedData.crls[${i}]` }));
  if (sd.content && sd.content.length > 0 && depth < 8)
    fromBytes(sd.content, `${origin} > eContent`, out, depth + 1, true);
}

/** PFX: the AuthenticatedSafe and any unencrypted SafeContents (encrypted bags cannot be opened without the password). */
function fromPkcs12(der: Uint8Array, origin: string, out: ExtractedStructure[]): void {
  try {
    const pfx = derChildren(derParse(der, { allowTrailing: true }));
    const authSafeInfo = derChildren(pfx[1]!);
    const type = authSafeInfo[0]!;
    if (hex(derContent(type)) !== '2a864886f70d010701') return; // id-data
    const octets = derChildren(authSafeInfo[1]!)[0]!;
    const authSafe = octets.constructed
      ? Buffer.concat(derChildren(octets).map((c) => derContent(c)))
      : derContent(octets);
    const bytes = new Uint8Array(authSafe);
    out.push({ kind: 'other', der: bytes, origin: `${origin} > PFX.authSafe (AuthenticatedSafe)` });
    derChildren(derParse(bytes, { allowTrailing: true })).forEach((ci, i) => {
      out.push({ kind: 'cms', der: derBytes(ci), origin: `${origin} > AuthenticatedSafe[${i}]` });
    });
  } catch {
    /* not a readable PFX: the tree comparison of the whole file still runs */
  }
}

function fromBytes(bytes: Uint8Array, origin: string, out: ExtractedStructure[], depth: number, nested = false): void {
  if (depth > 10 || bytes.length === 0) return;
  if (isSst(bytes)) {
    try {
      const store = parseSst(bytes);
      store.certificates.forEach((e, i) =>
        out.push({
          kind: 'certificate',
          der: e.der,
          origin: `${origin} > SST certificate #${i} (element at offset ${e.offset})`,
        }),
      );
      store.crls.forEach((e, i) =>
        out.push({ kind: 'crl', der: e.der, origin: `${origin} > SST CRL #${i} (element at offset ${e.offset})` }),
      );
    } catch {
      /* unreadable store: nothing to extract */
    }
    return;
  }
  if (bytes[0] === 0x30) {
    const kind = classifyDer(bytes);
    if (kind !== 'other' || !nested) {
      out.push({ kind, der: bytes, origin });
      if (kind === 'cms') fromCms(bytes, origin, out, depth);
      if (kind === 'pkcs12') fromPkcs12(bytes, origin, out);
      return;
    }
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 65536)).toString('latin1');
  if (text.includes('-----BEGIN ') && !looksLikeMime(bytes)) {
    let blocks;
    try {
      blocks = decodePem(bytes);
    } catch {
      return;
    }
    blocks.forEach((b, i) => {
      const where = `${origin} > PEM block ${i} "${b.label}"`;
      if (TRUSTED_LABELS.has(b.label)) {
        try {
          // OpenSSL's TRUSTED CERTIFICATE is the certificate followed by trust settings: take the first TLV.
          out.push({
            kind: 'certificate',
            der: b.label === 'TRUSTED CERTIFICATE' ? firstTlv(b.der) : b.der,
            origin: where,
          });
        } catch {
          out.push({ kind: 'certificate', der: b.der, origin: where });
        }
      } else if (CRL_LABELS.has(b.label)) out.push({ kind: 'crl', der: b.der, origin: where });
      else if (CMS_LABELS.has(b.label)) {
        out.push({ kind: 'cms', der: b.der, origin: where });
        fromCms(b.der, where, out, depth);
      } else if (b.label === 'PKCS12') {
        out.push({ kind: 'pkcs12', der: b.der, origin: where });
        fromPkcs12(b.der, where, out);
      }
      // Keys and parameters are not certificates, CRLs or CMS: skipped.
    });
    return;
  }
  if (looksLikeMime(bytes) || nested) fromMime(bytes, origin, out, depth);
}

/**
 * Every certificate, CRL, CMS structure (and PKCS#12 PFX) in one file,
 * including embedded ones: SST entries, SignedData certificates/CRLs, CMS in
 * MIME bodies (via smimekit's MIME parser), MIME inside encapsulated content.
 */
export function extractStructures(file: { path: string; bytes: Uint8Array }): ExtractedStructure[] {
  const out: ExtractedStructure[] = [];
  fromBytes(file.bytes, file.path, out, 0);
  return out;
}

/** The certificates of a PKCS#12 PFX (smimekit's parsePkcs12: MAC check, bag decryption), DER each. */
export async function pkcs12Certificates(der: Uint8Array, password: string): Promise<Uint8Array[]> {
  const contents = await parsePkcs12(der, password);
  return contents.certificates.map((c) => c.der);
}
