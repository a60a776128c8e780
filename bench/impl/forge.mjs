/**
 * node-forge in-process (pure JavaScript: its own RSA, SHA-256 and AES), used the way its README shows:
 * `pkcs7.createSignedData` + `sign({ detached: true })`, `createEnvelopedData` + `addRecipient` + `encrypt`,
 * `messageFromAsn1` + `findRecipient` + `decrypt`, and `pki.createCaStore` + `pki.verifyCertificateChain`. Its input
 * is a binary string (made in `prepare`, untimed); the MIME layer is bench/lib/mime.mjs.
 *
 * node-forge cannot verify PKCS#7 signatures (`p7.verify()` throws "not yet implemented") and has no AES-GCM
 * content encryption or AuthEnvelopedData: those operations are marked unsupported.
 */
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { DECRYPTOR, RECIPIENTS, SIGNER } from '../lib/material.mjs';
import { inputKind } from '../lib/ops.mjs';
import { multipartSigned, pkcs7Mime, readPkcs7Mime } from '../lib/mime.mjs';

const { pki, pkcs7, asn1, util } = forge;
const NO_VERIFY = 'node-forge has no PKCS#7 signature verification (p7.verify() throws "not yet implemented")';
const latin1 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
const pemCerts = (text) =>
  [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0]);

function parties(m) {
  if (m.cache.forge) return m.cache.forge;
  const signer = m.user(SIGNER);
  const reader = m.user(DECRYPTOR);
  m.cache.forge = {
    signerCert: pki.certificateFromPem(readFileSync(signer.cert, 'latin1')),
    signerKey: pki.privateKeyFromPem(readFileSync(signer.key, 'latin1')),
    inter: pki.certificateFromPem(readFileSync(m.inter.cert, 'latin1')),
    recipients: RECIPIENTS.map((u) => pki.certificateFromPem(readFileSync(m.user(u).cert, 'latin1'))),
    readerCert: pki.certificateFromPem(readFileSync(reader.cert, 'latin1')),
    readerKey: pki.privateKeyFromPem(readFileSync(reader.key, 'latin1')),
  };
  return m.cache.forge;
}

/** Detached signature over a binary string; returns the multipart/signed message. */
function sign(p, entity) {
  const p7 = pkcs7.createSignedData();
  p7.content = util.createBuffer(entity);
  p7.addCertificate(p.signerCert);
  p7.addCertificate(p.inter);
  p7.addSigner({
    key: p.signerKey,
    certificate: p.signerCert,
    digestAlgorithm: pki.oids.sha256,
    authenticatedAttributes: [
      { type: pki.oids.contentType, value: pki.oids.data },
      { type: pki.oids.messageDigest },
      { type: pki.oids.signingTime },
    ],
  });
  p7.sign({ detached: true });
  const der = asn1.toDer(p7.toAsn1()).getBytes();
  return multipartSigned(Buffer.from(entity, 'latin1'), Buffer.from(der, 'latin1'));
}

function encrypt(p, entity) {
  const p7 = pkcs7.createEnvelopedData();
  for (const cert of p.recipients) p7.addRecipient(cert);
  p7.content = util.createBuffer(entity);
  p7.encrypt(undefined, pki.oids['aes256-CBC']);
  return pkcs7Mime(Buffer.from(asn1.toDer(p7.toAsn1()).getBytes(), 'latin1'), 'enveloped-data');
}

function decrypt(p, derString) {
  const p7 = pkcs7.messageFromAsn1(asn1.fromDer(derString));
  const recipient = p7.findRecipient(p.readerCert);
  if (!recipient) throw new Error('node-forge: no RecipientInfo for the reader');
  p7.decrypt(recipient, p.readerKey);
  const content = p7.content.bytes();
  if (!content.slice(0, 1024).includes('Subject: bench')) throw new Error('node-forge: decryption gave no message');
  return content;
}

function validate(store, chain) {
  // Throws on failure; returns true when the chain verifies.
  if (pki.verifyCertificateChain(store, chain) !== true) throw new Error('node-forge: chain not verified');
}

export default {
  name: 'forge',
  label: 'node-forge',
  kind: 'in-process',
  supports(op) {
    if (op === 'verify' || op === 'decrypt+verify') return NO_VERIFY;
    if (op === 'encrypt-gcm' || op === 'decrypt-gcm')
      return 'node-forge has no AES-GCM in PKCS#7 (nor AuthEnvelopedData)';
    if (op.startsWith('sst-')) return 'node-forge cannot read SST (Microsoft serialized certificate store) files';
    return true;
  },
  async prepare(op, size, m) {
    if (op === 'chain-cold' || op === 'chain-warm') {
      const state = {
        anchors: readFileSync(m.anchorsPem, 'latin1'),
        leaf: readFileSync(m.user(SIGNER).cert, 'latin1'),
        inter: readFileSync(m.inter.cert, 'latin1'),
      };
      if (op === 'chain-warm') {
        state.store = pki.createCaStore(pemCerts(state.anchors));
        state.chain = [pki.certificateFromPem(state.leaf), pki.certificateFromPem(state.inter)];
      }
      return state;
    }
    const p = parties(m);
    const kind = inputKind(op);
    const bytes = readFileSync(kind ? m.input(kind, size) : m.message(size));
    // The encrypted input is OpenSSL's (RSA PKCS#1 v1.5, AES-256-CBC): node-forge reads it; base64 decoding is timed.
    return { p, bytes, text: kind ? undefined : latin1(bytes) };
  },
  async run(op, _size, _m, s) {
    switch (op) {
      case 'sign':
        return sign(s.p, s.text).length;
      case 'encrypt-cbc':
        return encrypt(s.p, s.text).length;
      case 'decrypt-cbc':
        return decrypt(s.p, latin1(readPkcs7Mime(s.bytes))).length;
      case 'sign+encrypt':
        return encrypt(s.p, latin1(sign(s.p, s.text))).length;
      case 'chain-cold': {
        const store = pki.createCaStore(pemCerts(s.anchors));
        validate(store, [pki.certificateFromPem(s.leaf), pki.certificateFromPem(s.inter)]);
        return 1;
      }
      case 'chain-warm':
        validate(s.store, s.chain);
        return 1;
      default:
        throw new Error(`node-forge: no operation ${op}`);
    }
  },
};
