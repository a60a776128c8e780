/**
 * PKI.js (with asn1js) in-process, on Node's WebCrypto, used the way its examples use it: SignedData with signed
 * attributes (the messageDigest computed by the caller), `verify({ checkChain: true })`, EnvelopedData with
 * `addRecipientByCertificate` + `encrypt`, `decrypt`, and `CertificateChainValidationEngine`. The MIME layer,
 * which PKI.js does not have, is bench/lib/mime.mjs.
 *
 * Differences that the table notes: RSA key transport is RSA-OAEP (SHA-256) — WebCrypto has no RSAES-PKCS1-v1_5
 * and Node 20 refuses v1.5 private decryption — so PKI.js decrypts its own messages (made by PKI.js during
 * `prepare`, untimed), not OpenSSL's; asn1js refuses content over 16 MiB by default (`maxContentLength`), which
 * the bench raises for decryption; there is no AuthEnvelopedData (RFC 5083), hence no S/MIME AES-GCM.
 */
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { DECRYPTOR, RECIPIENTS, SIGNER } from '../lib/material.mjs';
import { inputKind } from '../lib/ops.mjs';
import { multipartSigned, pkcs7Mime, readPkcs7Mime, splitMultipartSigned } from '../lib/mime.mjs';

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto }));
const subtle = webcrypto.subtle;

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
};
/**
 * asn1js's defaults refuse content over 16 MiB and more than 10,000 nodes — and PKI.js writes encrypted content as
 * 1 KiB OCTET STRING pieces, so a message over about 10 MB has more nodes than that: a user decrypting large mail
 * raises both, like this.
 */
const BIG = { maxContentLength: 2 ** 31 - 1, maxNodes: 2 ** 31 - 1 };

const pemBlocks = (text) =>
  [...text.matchAll(/-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g)].map((m) => Buffer.from(m[2], 'base64'));
const ab = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
const certOf = (der) => pkijs.Certificate.fromBER(ab(der));
const readCert = (file) => certOf(pemBlocks(readFileSync(file, 'utf8'))[0]);
const readKeyDer = (file) => pemBlocks(readFileSync(file, 'utf8'))[0];

function parse(der, options) {
  const asn1 = asn1js.fromBER(ab(der), options);
  if (asn1.offset === -1) throw new Error(`asn1js: ${asn1.result.error}`);
  return new pkijs.ContentInfo({ schema: asn1.result });
}

async function parties(m) {
  if (m.cache.pkijs) return m.cache.pkijs;
  const signer = m.user(SIGNER);
  const reader = m.user(DECRYPTOR);
  m.cache.pkijs = {
    signerCert: readCert(signer.cert),
    signerKey: await subtle.importKey(
      'pkcs8',
      readKeyDer(signer.key),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    ),
    inter: readCert(m.inter.cert),
    root: readCert(m.root.cert),
    recipients: RECIPIENTS.map((u) => readCert(m.user(u).cert)),
    readerCert: readCert(reader.cert),
    readerKey: ab(readKeyDer(reader.key)),
  };
  return m.cache.pkijs;
}

async function sign(p, entity) {
  const digest = await subtle.digest('SHA-256', entity);
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: p.signerCert.issuer, serialNumber: p.signerCert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
            new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
            new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
          ],
        }),
      }),
    ],
    certificates: [p.signerCert, p.inter],
  });
  await signedData.sign(p.signerKey, 0, 'SHA-256', entity);
  const der = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) })
    .toSchema()
    .toBER(false);
  return multipartSigned(entity, new Uint8Array(der));
}

async function verify(p, message) {
  const { content, signature } = splitMultipartSigned(message);
  const signedData = new pkijs.SignedData({ schema: parse(signature).content });
  const result = await signedData.verify({
    signer: 0,
    data: ab(content),
    trustedCerts: [p.root],
    checkChain: true,
    extendedMode: true,
  });
  if (!result.signatureVerified) throw new Error(`PKI.js verify failed: ${result.message ?? result.code}`);
  return content;
}

async function encrypt(p, entity) {
  const enveloped = new pkijs.EnvelopedData();
  for (const cert of p.recipients) enveloped.addRecipientByCertificate(cert, { oaepHashAlgorithm: 'SHA-256' });
  await enveloped.encrypt({ name: 'AES-CBC', length: 256 }, ab(entity));
  const der = new pkijs.ContentInfo({ contentType: OID.envelopedData, content: enveloped.toSchema() })
    .toSchema()
    .toBER(false);
  return pkcs7Mime(new Uint8Array(der), 'enveloped-data');
}

async function decrypt(p, message) {
  const enveloped = new pkijs.EnvelopedData({ schema: parse(readPkcs7Mime(message), BIG).content });
  const serial = p.readerCert.serialNumber;
  const index = enveloped.recipientInfos.findIndex((ri) => ri.value.rid?.serialNumber?.isEqual?.(serial));
  if (index < 0) throw new Error('PKI.js: no RecipientInfo for the reader');
  const plain = new Uint8Array(
    await enveloped.decrypt(index, { recipientCertificate: p.readerCert, recipientPrivateKey: p.readerKey }),
  );
  if (!Buffer.from(plain.subarray(0, 1024)).includes('Subject: bench'))
    throw new Error('PKI.js: decryption gave no message');
  return plain;
}

/** The 400 anchors of the trust list, parsed. */
const parseAnchors = (bytes) => pemBlocks(bytes.toString('latin1')).map(certOf);

async function validate(p, anchors, leaf, inter) {
  const engine = new pkijs.CertificateChainValidationEngine({ trustedCerts: anchors, certs: [leaf, inter] });
  const result = await engine.verify();
  if (!result.result) throw new Error(`PKI.js chain validation failed: ${result.resultMessage}`);
}

export default {
  name: 'pkijs',
  label: 'PKI.js',
  kind: 'in-process',
  supports(op) {
    if (op === 'encrypt-gcm' || op === 'decrypt-gcm')
      return 'PKI.js has no AuthEnvelopedData (RFC 5083): its AES-GCM EnvelopedData is not S/MIME AES-GCM';
    if (op.startsWith('sst-')) return 'PKI.js cannot read SST (Microsoft serialized certificate store) files';
    return true;
  },
  async prepare(op, size, m) {
    if (op === 'chain-cold' || op === 'chain-warm') {
      const state = {
        anchors: readFileSync(m.anchorsPem),
        leaf: pemBlocks(readFileSync(m.user(SIGNER).cert, 'latin1'))[0],
        inter: pemBlocks(readFileSync(m.inter.cert, 'latin1'))[0],
      };
      if (op === 'chain-warm')
        state.parsed = { anchors: parseAnchors(state.anchors), leaf: certOf(state.leaf), inter: certOf(state.inter) };
      return state;
    }
    const p = await parties(m);
    const message = new Uint8Array(readFileSync(m.message(size)));
    // PKI.js cannot decrypt OpenSSL's (RSA PKCS#1 v1.5) messages on Node: it decrypts its own.
    if (op === 'decrypt-cbc') return { p, bytes: await encrypt(p, message) };
    if (op === 'decrypt+verify') return { p, bytes: await encrypt(p, await sign(p, message)) };
    const kind = inputKind(op);
    return { p, bytes: kind ? new Uint8Array(readFileSync(m.input(kind, size))) : message };
  },
  async run(op, _size, _m, s) {
    const { p } = s;
    switch (op) {
      case 'sign':
        return (await sign(p, s.bytes)).length;
      case 'verify':
        return (await verify(p, s.bytes)).length;
      case 'encrypt-cbc':
        return (await encrypt(p, s.bytes)).length;
      case 'decrypt-cbc':
        return (await decrypt(p, s.bytes)).length;
      case 'sign+encrypt':
        return (await encrypt(p, await sign(p, s.bytes))).length;
      case 'decrypt+verify':
        return (await verify(p, await decrypt(p, s.bytes))).length;
      case 'chain-cold':
        await validate(p, parseAnchors(s.anchors), certOf(s.leaf), certOf(s.inter));
        return 1;
      case 'chain-warm':
        await validate(p, s.parsed.anchors, s.parsed.leaf, s.parsed.inter);
        return 1;
      default:
        throw new Error(`PKI.js: no operation ${op}`);
    }
  },
};
