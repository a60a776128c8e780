/**
 * The few MIME steps PKI.js and node-forge leave to their users (neither writes or reads S/MIME's MIME layer),
 * done here with Buffer operations so that they cost next to nothing: wrapping DER as base64 pkcs7-mime or as the
 * signature part of a multipart/signed, and the reverse. Enough for the messages of this bench, not a MIME parser.
 */
import { randomBytes } from 'node:crypto';

const CRLF = '\r\n';

/** Base64 in 76-character lines. */
function base64Lines(der) {
  const b64 = Buffer.from(der.buffer ?? der, der.byteOffset ?? 0, der.byteLength ?? der.length).toString('base64');
  const lines = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(CRLF);
}

/** `multipart/signed` around a MIME entity and its detached signature (DER). */
export function multipartSigned(entity, signatureDer) {
  const boundary = `----bench${randomBytes(12).toString('hex')}`;
  return Buffer.concat([
    Buffer.from(
      `MIME-Version: 1.0${CRLF}Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; ` +
        `boundary="${boundary}"${CRLF}${CRLF}This is an S/MIME signed message${CRLF}${CRLF}--${boundary}${CRLF}`,
    ),
    entity,
    Buffer.from(
      `${CRLF}--${boundary}${CRLF}Content-Type: application/pkcs7-signature; name="smime.p7s"${CRLF}` +
        `Content-Transfer-Encoding: base64${CRLF}Content-Disposition: attachment; filename="smime.p7s"${CRLF}${CRLF}` +
        `${base64Lines(signatureDer)}${CRLF}${CRLF}--${boundary}--${CRLF}`,
    ),
  ]);
}

/** `application/pkcs7-mime` (base64) around a DER CMS object. */
export function pkcs7Mime(der, smimeType) {
  return Buffer.from(
    `MIME-Version: 1.0${CRLF}Content-Disposition: attachment; filename="smime.p7m"${CRLF}` +
      `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"${CRLF}` +
      `Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(der)}${CRLF}`,
  );
}

/** Offset of the body: after the first empty line (CRLF or LF line ends). */
function bodyStart(buf, from = 0) {
  for (let i = buf.indexOf(0x0a, from); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  throw new Error('no header/body separator');
}

/** The DER inside a base64 `application/pkcs7-mime` message. */
export function readPkcs7Mime(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Buffer.from(buf.subarray(bodyStart(buf)).toString('latin1'), 'base64');
}

/** The signed entity (exact bytes) and the signature (DER) of a `multipart/signed` message. */
export function splitMultipartSigned(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = buf.subarray(0, bodyStart(buf)).toString('latin1');
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(head)?.[1];
  if (!boundary) throw new Error('no multipart boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const first = buf.indexOf(delimiter);
  const start = buf.indexOf(0x0a, first) + 1;
  const second = buf.indexOf(delimiter, start);
  // The line break before a delimiter belongs to it (RFC 2046).
  const end = buf[second - 2] === 0x0d && buf[second - 1] === 0x0a ? second - 2 : second - 1;
  const content = buf.subarray(start, end);
  const sigBody = bodyStart(buf, second);
  const close = buf.indexOf(delimiter, sigBody);
  return { content, signature: Buffer.from(buf.subarray(sigBody, close).toString('latin1'), 'base64') };
}
