// Runs inside the browser page: the whole S/MIME flow on the browser's own WebCrypto.
import * as m from './index.js';
import * as mime from './mime.js';

globalThis.smimekitScenario = async (i) => {
  const u8 = (a) => new Uint8Array(a);
  const at = new Date('2026-06-01T00:00:00Z');
  const trust = m.TrustList.fromSst(m.parseSst(u8(i.sst)));
  const intermediates = m.loadCertificates(u8(i.intermediate)).certificates;
  const withChain = async (p12) => {
    const id = await m.loadIdentity(u8(p12), 'test');
    return { ...id, chain: [...id.chain, ...intermediates] };
  };
  const alice = await withChain(i.aliceP12);
  const bob = await withChain(i.bobP12);
  const valid = await m.validateCertificate(alice.certificate, {
    trust,
    intermediates,
    at,
    email: 'rsa.user@example.test',
  });
  const expired = await m.validateCertificate(u8(i.expired), { trust, intermediates, at });
  const signed = await m.signMessage(new TextEncoder().encode(i.message), { signer: alice });
  const verified = await m.verifyMessage(signed, { trust, at, from: 'rsa.user@example.test' });
  const sealed = await m.encryptMessage(signed, {
    recipients: [{ address: 'p256.user@example.test', certificate: bob.certificate }],
    sender: { address: 'rsa.user@example.test', certificate: alice.certificate },
    trust,
    intermediates,
    at,
  });
  const text = (r) => new TextDecoder().decode(mime.decodedBody(mime.parseMime(r.content)));
  const byBob = await m.readMessage(sealed.message, { identities: [bob], trust, at });
  const byAlice = await m.readMessage(sealed.message, { identities: [alice], trust, at });
  let noSender = '';
  try {
    await m.encryptMessage(signed, { recipients: [bob.certificate], trust, at });
  } catch (e) {
    noSender = e.code;
  }
  return {
    userAgent: navigator.userAgent,
    valid: valid.valid,
    expiredCodes: expired.problems.map((p) => p.code),
    verified: verified.ok,
    cipher: sealed.cipher,
    bobOk: byBob.ok,
    bobText: text(byBob),
    aliceOk: byAlice.ok,
    aliceText: text(byAlice),
    noSender,
    signed: Array.from(signed),
    sealed: Array.from(sealed.message),
  };
};
