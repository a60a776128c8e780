/**
 * Builders of the "expensive inputs" of issue #14 (defect 4), cheap to make: a CompressedData whose zlib stream
 * expands far beyond its size, a SignedData with thousands of SignerInfos, and an SST with hundreds of thousands
 * of tiny elements. Used by test/security/limits.test.ts (and by hand, to measure their cost).
 */
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { derChildren, derRead, encodeInt, encodeOid, algorithmId, octets, seq, tlv } from '../../src/asn1/index.js';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo } from '../../src/cms/content-info.js';
import { ZLIB_COMPRESS } from '../../src/cms/compressed.js';
import { concatBytes } from '../../src/util/bytes.js';

const MiB = 1024 * 1024;

/**
 * A zlib stream that inflates to `mib` MiB of zeros, made without holding the output: one raw deflate chunk of
 * 1 MiB of zeros (full flush: byte-aligned, not final, no back-reference outside itself) repeated, then an empty
 * final stored block and the Adler-32 of the zeros. About 1 KiB per MiB (zlib's best ratio, ~1000:1).
 */
export function zlibBomb(mib: number): Uint8Array {
  const chunk = deflateRawSync(new Uint8Array(MiB), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
  const total = mib * MiB;
  // Adler-32 of n zero bytes: a stays 1, b = n mod 65521.
  const b = total % 65521;
  const adler = Uint8Array.of(b >>> 8, b & 0xff, 0, 1);
  return concatBytes(
    Uint8Array.of(0x78, 0xda),
    ...Array.from({ length: mib }, () => chunk),
    Uint8Array.of(0x01, 0x00, 0x00, 0xff, 0xff),
    adler,
  );
}

/** A CompressedData ContentInfo (DER) around an already-compressed zlib stream. */
export function compressedDataOf(zlib: Uint8Array): Uint8Array {
  const encap = seq(encodeOid(CONTENT_TYPE.data), tlv(0xa0, octets(zlib)));
  return encodeContentInfo(CONTENT_TYPE.compressedData, seq(encodeInt(0), algorithmId(ZLIB_COMPRESS), encap));
}

/** `application/pkcs7-mime; smime-type=compressed-data` around a CompressedData (base64). */
export function compressedMessage(cms: Uint8Array): Uint8Array {
  const b64 = Buffer.from(cms).toString('base64').replace(/.{76}/g, '$&\r\n');
  return new TextEncoder().encode(
    'MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`,
  );
}

/**
 * The SignedData ContentInfo `signedData` with its SignerInfos SET replaced by `count` copies of its first
 * SignerInfo (each a valid signature: the cost of verifying them all is the point).
 */
export function withSignerCopies(signedData: Uint8Array, count: number): Uint8Array {
  const sd = derRead(parseContentInfo(signedData).content, 0);
  const kids = derChildren(sd);
  const signerSet = kids[kids.length - 1]!;
  const first = derChildren(signerSet)[0]!;
  const one = first.buf.subarray(first.start, first.end);
  const signers = tlv(0x31, concatBytes(...Array.from({ length: count }, () => one)));
  const head = kids.slice(0, -1).map((k) => k.buf.subarray(k.start, k.end));
  return encodeContentInfo(CONTENT_TYPE.signedData, seq(...head, signers));
}

/**
 * An SST of `count` certificate elements of two bytes each (`30 00`) and the end marker: 14 bytes an element,
 * so 199,000 elements make the 2.8 MB store of the issue.
 */
export function sstOfTinyElements(count: number): Uint8Array {
  const out = new Uint8Array(8 + count * 14 + 12);
  out.set([0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const p = 8 + i * 14;
    view.setUint32(p, 32, true);
    view.setUint32(p + 4, 1, true);
    view.setUint32(p + 8, 2, true);
    out[p + 12] = 0x30;
  }
  return out;
}
