/**
 * asn1js / PKI.js side of the ASN.1 differential test. Produces the same
 * parser-neutral shapes as smimekit-adapter.ts (types imported from there,
 * types only). Normalisation of asn1js quirks, applied here and nowhere else:
 *
 * - tag class: asn1js numbers classes 1..4 (universal..private); mapped to 0..3.
 * - indefinite length: asn1js keeps the end-of-contents octets as a trailing
 *   `EndOfContent` child of the constructed block; it is dropped (smimekit never
 *   reports it as a child), and the node's length includes the 00 00 on both sides.
 * - constructed OCTET STRING / BIT STRING: asn1js exposes the pieces as
 *   children (`valueBlock.value`) like any constructed type: walked as such.
 * - primitive OCTET STRING / BIT STRING: asn1js speculatively parses their
 *   content as embedded BER and stores it in `valueBlock.value`; that is turned
 *   off (`parseEmbedded: false`) and primitives are always leaves.
 * - BIT STRING: asn1js splits the unused-bits octet off (`valueBlock.unusedBits`
 *   + `valueHexView`); the content compared is unusedBits octet + valueHexView,
 *   and it is checked against the raw octets.
 * - high tag numbers (>= 31): asn1js decodes them into `tagNumber` when the
 *   identifier is at most 9 octets, else sets `isHexOnly` (tagNumber -1); then
 *   the tag is reported as -1.
 * - offsets: asn1js has no offset field; `valueBeforeDecodeView` is a view into
 *   the input (parsed with `copyInput: false`), so start = view.byteOffset - input.byteOffset.
 * - limits: asn1js' defaults (10 000 nodes, 16 MiB) are raised so real messages parse.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type {
  NameAtv,
  NormalizedCertificate,
  NormalizedCms,
  NormalizedCrl,
  NormalizedRecipient,
  NormalizedSigner,
  TreeNode,
} from './smimekit-adapter.js';

const hex = (b: Uint8Array | ArrayBuffer): string => {
  const u = b instanceof Uint8Array ? b : new Uint8Array(b);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
};

const LIMITS = { maxNodes: 50_000_000, maxContentLength: 1 << 30, maxDepth: 200 } as const;

/** asn1js.fromBER with raised limits; throws on error. `parseEmbedded` false for trees, true (asn1js default) for PKI.js. */
function asn1jsParse(bytes: Uint8Array, parseEmbedded = false): { result: asn1js.AsnType; consumed: number } {
  const opts = { ...LIMITS, copyInput: false, parseEmbedded } as Parameters<typeof asn1js.fromBER>[1];
  const r = asn1js.fromBER(bytes, opts);
  if (r.offset === -1) throw new Error(`asn1js: ${r.result.error || 'parse error'}`);
  return { result: r.result, consumed: r.offset };
}

/** Raw-vs-typed content mismatches asn1js showed while walking (reported by the test, not fatal). */
export interface Asn1jsQuirk {
  start: number;
  what: string;
}

/** asn1js' tree of the first TLV in `bytes`, normalised (see the file comment). */
export function asn1jsTree(bytes: Uint8Array, quirks: Asn1jsQuirk[] = []): TreeNode {
  const { result } = asn1jsParse(bytes);
  const walk = (b: any): TreeNode => {
    const view: Uint8Array = b.valueBeforeDecodeView;
    if (view.buffer !== bytes.buffer) throw new Error('asn1js copied the input; offsets unavailable');
    const start = view.byteOffset - bytes.byteOffset;
    const headerLength = b.idBlock.blockLength + b.lenBlock.blockLength;
    const node: TreeNode = {
      cls: b.idBlock.tagClass - 1,
      tag: b.idBlock.isHexOnly ? -1 : b.idBlock.tagNumber,
      constructed: !!b.idBlock.isConstructed,
      start,
      length: view.byteLength,
      headerLength,
      indefinite: !!b.lenBlock.isIndefiniteForm,
    };
    if (node.constructed) {
      let kids: any[] = Array.isArray(b.valueBlock.value) ? b.valueBlock.value : [];
      const last = kids[kids.length - 1];
      if (
        node.indefinite &&
        last &&
        last.idBlock.tagClass === 1 &&
        last.idBlock.tagNumber === 0 &&
        !last.idBlock.isConstructed
      )
        kids = kids.slice(0, -1);
      node.children = kids.map(walk);
    } else {
      const raw = view.subarray(headerLength);
      node.content = raw;
      const vb = b.valueBlock;
      let typed: Uint8Array | undefined;
      if (b instanceof asn1js.BitString && raw.length > 0) typed = Uint8Array.of(vb.unusedBits, ...vb.valueHexView);
      else if (vb && vb.valueHexView instanceof Uint8Array && !(b instanceof asn1js.BitString)) typed = vb.valueHexView;
      if (typed && hex(typed) !== hex(raw))
        quirks.push({
          start,
          what: `typed value ${hex(typed).slice(0, 40)} differs from raw content ${hex(raw).slice(0, 40)}`,
        });
    }
    return node;
  };
  return walk(result);
}

// ---------------------------------------------------------------------------
// Fields through PKI.js

/** Directory-string tags whose text smimekit and this adapter both decode; anything else is compared as #hex. */
const STRING_TAGS = new Set([12, 18, 19, 20, 22, 26, 28, 30]);

function atvValue(v: any): string {
  const id = v?.idBlock;
  if (
    id &&
    id.tagClass === 1 &&
    !id.isConstructed &&
    STRING_TAGS.has(id.tagNumber) &&
    typeof v.valueBlock?.value === 'string'
  )
    return v.valueBlock.value;
  return `#${hex(v.valueBeforeDecodeView)}`;
}

function nameAtvs(n: pkijs.RelativeDistinguishedNames): NameAtv[] {
  return n.typesAndValues.map((a) => ({ oid: a.type, value: atvValue(a.value) }));
}

function timeIso(t: pkijs.Time | undefined): string {
  const d = t?.value;
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : 'invalid';
}

/** BIT STRING → mask with bit n (first, most significant bit = 0) at 1 << n, first 4 content octets. */
function bitMask(bits: asn1js.BitString): number {
  const v = bits.valueBlock.valueHexView;
  let mask = 0;
  for (let i = 0; i < v.length && i < 4; i++)
    for (let b = 0; b < 8; b++) if (v[i]! & (0x80 >> b)) mask |= 1 << (i * 8 + b);
  return mask >>> 0;
}

function schemaOf(der: Uint8Array): any {
  return asn1jsParse(der, true).result;
}

/** PKI.js Certificate, normalised like smimekitCertificateFields. */
export function pkijsCertificateFields(der: Uint8Array): NormalizedCertificate {
  const c = new pkijs.Certificate({ schema: schemaOf(der) });
  const serialInt = c.serialNumber;
  const out: NormalizedCertificate = {
    version: c.version + 1,
    serialHex: hex(serialInt.valueBlock.valueHexView),
    serialValue: serialInt.toBigInt().toString(),
    issuer: nameAtvs(c.issuer),
    subject: nameAtvs(c.subject),
    notBefore: timeIso(c.notBefore),
    notAfter: timeIso(c.notAfter),
    signatureAlgorithm: c.signatureAlgorithm.algorithmId,
    spkiAlgorithm: c.subjectPublicKeyInfo.algorithm.algorithmId,
    extensions: (c.extensions ?? []).map((e) => ({ oid: e.extnID, critical: e.critical })),
    rfc822Names: [],
  };
  for (const e of c.extensions ?? []) {
    const pv: any = e.parsedValue;
    if (pv?.parsingError) throw new Error(`PKI.js: ${pv.parsingError}`);
    switch (e.extnID) {
      case '2.5.29.17':
        out.rfc822Names = (pv as pkijs.AltName).altNames.filter((g) => g.type === 1).map((g) => String(g.value));
        break;
      case '2.5.29.15':
        if (!(pv instanceof asn1js.BitString)) throw new Error('PKI.js: keyUsage is not a BIT STRING');
        out.keyUsage = bitMask(pv);
        break;
      case '2.5.29.37':
        out.extKeyUsage = [...(pv as pkijs.ExtKeyUsage).keyPurposes];
        break;
      case '2.5.29.19': {
        const bc = pv as pkijs.BasicConstraints;
        out.basicConstraints = { ca: !!bc.cA };
        if (bc.pathLenConstraint !== undefined) {
          const p = bc.pathLenConstraint;
          out.basicConstraints.pathLength = typeof p === 'number' ? p : Number((p as asn1js.Integer).toBigInt());
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function signedHex(v: bigint): string {
  return v < 0n ? `-${(-v).toString(16)}` : v.toString(16);
}

/** PKI.js CertificateRevocationList, normalised like smimekitCrlFields. */
export function pkijsCrlFields(der: Uint8Array): NormalizedCrl {
  const c = new pkijs.CertificateRevocationList({ schema: schemaOf(der) });
  const out: NormalizedCrl = {
    issuer: nameAtvs(c.issuer),
    thisUpdate: timeIso(c.thisUpdate),
    revoked: (c.revokedCertificates ?? []).map((r) => signedHex(r.userCertificate.toBigInt())),
  };
  if (c.nextUpdate) out.nextUpdate = timeIso(c.nextUpdate);
  return out;
}

function iasText(ias: pkijs.IssuerAndSerialNumber): string {
  return `ias:${hex(ias.issuer.valueBeforeDecode)}:${hex(ias.serialNumber.valueBlock.valueHexView)}`;
}

function octetsText(o: any): string {
  // An OCTET STRING (possibly a constructed one, or an implicitly tagged [0] block).
  if (o instanceof asn1js.OctetString) return hex(o.getValue());
  const vb = o?.valueBlock;
  if (vb?.valueHexView instanceof Uint8Array && !o.idBlock?.isConstructed) return hex(vb.valueHexView);
  if (Array.isArray(vb?.value)) return vb.value.map((p: any) => octetsText(p)).join('');
  return '?';
}

/** PKI.js ContentInfo → SignedData / EnvelopedData, normalised like smimekitCmsFields. */
export function pkijsCmsFields(der: Uint8Array): NormalizedCms {
  const ci = new pkijs.ContentInfo({ schema: schemaOf(der) });
  const out: NormalizedCms = { contentType: ci.contentType };
  if (ci.contentType === '1.2.840.113549.1.7.2') {
    const sd = new pkijs.SignedData({ schema: ci.content });
    out.version = sd.version;
    out.digestAlgorithms = sd.digestAlgorithms.map((a) => a.algorithmId);
    out.eContentType = sd.encapContentInfo.eContentType;
    out.certificates = (sd.certificates ?? []).filter((c) => c instanceof pkijs.Certificate).length;
    out.crls = (sd.crls ?? []).filter((c) => c instanceof pkijs.CertificateRevocationList).length;
    out.signers = sd.signerInfos.map((si): NormalizedSigner => ({
      version: si.version,
      sid: si.sid instanceof pkijs.IssuerAndSerialNumber ? iasText(si.sid) : `ski:${octetsText(si.sid)}`,
      digestAlgorithm: si.digestAlgorithm.algorithmId,
      signatureAlgorithm: si.signatureAlgorithm.algorithmId,
      signedAttributes: (si.signedAttrs?.attributes ?? []).map((a) => a.type),
      unsignedAttributes: (si.unsignedAttrs?.attributes ?? []).map((a) => a.type),
    }));
  } else if (ci.contentType === '1.2.840.113549.1.7.3') {
    const env = new pkijs.EnvelopedData({ schema: ci.content });
    out.version = env.version;
    out.encryptedContentType = env.encryptedContentInfo.contentType;
    out.contentEncryptionAlgorithm = env.encryptedContentInfo.contentEncryptionAlgorithm.algorithmId;
    out.recipients = env.recipientInfos.map((ri): NormalizedRecipient => {
      const v: any = ri.value;
      switch (ri.variant) {
        case 1:
          return {
            type: 'ktri',
            rid: v.rid instanceof pkijs.IssuerAndSerialNumber ? iasText(v.rid) : `ski:${octetsText(v.rid)}`,
            keyEncryptionAlgorithm: v.keyEncryptionAlgorithm.algorithmId,
          };
        case 2:
          return {
            type: 'kari',
            rid: (v as pkijs.KeyAgreeRecipientInfo).recipientEncryptedKeys.encryptedKeys
              .map((k) =>
                k.rid.variant === 1
                  ? iasText(k.rid.value as pkijs.IssuerAndSerialNumber)
                  : `ski:${octetsText((k.rid.value as pkijs.RecipientKeyIdentifier).subjectKeyIdentifier)}`,
              )
              .join(','),
            keyEncryptionAlgorithm: v.keyEncryptionAlgorithm.algorithmId,
          };
        case 3:
          return {
            type: 'kekri',
            rid: `kek:${octetsText((v as pkijs.KEKRecipientInfo).kekid.keyIdentifier)}`,
            keyEncryptionAlgorithm: v.keyEncryptionAlgorithm.algorithmId,
          };
        case 4:
          return { type: 'pwri', rid: '', keyEncryptionAlgorithm: '' };
        case 5:
          return { type: 'ori', rid: '', keyEncryptionAlgorithm: '' };
        default:
          return { type: 'unknown', rid: '', keyEncryptionAlgorithm: '' };
      }
    });
  }
  return out;
}
