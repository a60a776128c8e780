/**
 * smimekit in-process, through its buffered API (`signMessage`, `verifyMessage`, `encryptMessage`,
 * `decryptMessage`, `readMessage`, `parseSst`, `TrustList` + `validateCertificate`). Inputs are in memory before
 * the clock starts; each measurement runs in its own `node` process (see bench/lib/child.mjs).
 */
import { readFileSync } from 'node:fs';
import { DECRYPTOR, PASSWORD, RECIPIENTS, SIGNER } from '../lib/material.mjs';
import { inputKind } from '../lib/ops.mjs';

const lib = () => import('../../dist/index.js');

/** The identities and certificates every operation uses, loaded once per process. */
async function parties(m) {
  if (m.cache.smimekit) return m.cache.smimekit;
  const sk = await lib();
  const signer = await loadIdentity(sk, m, SIGNER);
  const reader = await loadIdentity(sk, m, DECRYPTOR);
  const recipients = RECIPIENTS.map((u) => readFileSync(m.user(u).cert));
  const trust = sk.TrustList.fromBytes(readFileSync(m.root.cert));
  m.cache.smimekit = { sk, signer, reader, recipients, trust };
  return m.cache.smimekit;
}

async function loadIdentity(sk, m, u) {
  // The PKCS#12 written by `openssl pkcs12 -export` holds the intermediate too: the signer's chain.
  return sk.loadIdentity(readFileSync(m.user(u).p12), PASSWORD);
}

export function encryptOptions(p, cipher) {
  // Three RecipientInfos, as for every implementation: smimekit always adds the sender, so the sender is one of
  // the recipients (one RecipientInfo each). Certificates are not validated while encrypting (no peer does);
  // validation is measured on its own (chain-*).
  return { recipients: p.recipients, sender: p.recipients[0], validate: false, cipher };
}

function assertOk(what, ok, detail) {
  if (!ok) throw new Error(`${what} did not succeed: ${JSON.stringify(detail)?.slice(0, 400)}`);
}

export default {
  name: 'smimekit',
  label: 'smimekit',
  kind: 'in-process',
  supports: () => true,
  async prepare(op, size, m) {
    // Trust operations load no identity first: chain-cold must find the code cold.
    const p = op.startsWith('sst-') || op.startsWith('chain-') ? { sk: await lib() } : await parties(m);
    const state = { p };
    if (op.startsWith('sst-')) state.bytes = readFileSync(m.anchorsSst);
    else if (op === 'chain-cold' || op === 'chain-warm') {
      state.anchors = readFileSync(m.anchorsPem);
      state.leaf = readFileSync(m.user(SIGNER).cert);
      state.inter = readFileSync(m.inter.cert);
      if (op === 'chain-warm') state.trust = p.sk.TrustList.fromBytes(state.anchors);
    } else {
      const kind = inputKind(op);
      state.bytes = readFileSync(kind ? m.input(kind, size) : m.message(size));
    }
    return state;
  },
  async run(op, _size, m, s) {
    const { sk, signer, reader, trust } = s.p;
    switch (op) {
      case 'sign':
        return (await sk.signMessage(s.bytes, { signer })).length;
      case 'verify': {
        const report = await sk.verifyMessage(s.bytes, { trust });
        assertOk('verify', report.ok, report.problems);
        return report.content?.length ?? 0;
      }
      case 'encrypt-cbc':
      case 'encrypt-gcm': {
        const cipher = op === 'encrypt-cbc' ? 'aes-256-cbc' : 'aes-256-gcm';
        return (await sk.encryptMessage(s.bytes, encryptOptions(s.p, cipher))).message.length;
      }
      case 'decrypt-cbc':
      case 'decrypt-gcm':
        return (await sk.decryptMessage(s.bytes, { identity: reader })).content.length;
      case 'sign+encrypt': {
        const signed = await sk.signMessage(s.bytes, { signer });
        return (await sk.encryptMessage(signed, encryptOptions(s.p, 'aes-256-cbc'))).message.length;
      }
      case 'decrypt+verify': {
        const read = await sk.readMessage(s.bytes, { identities: [reader], trust });
        assertOk('read', read.ok, read.problems ?? read);
        return read.content.length;
      }
      case 'sst-parse':
        return sk.parseSst(s.bytes).certificates.length;
      case 'sst-load':
        return sk.TrustList.fromBytes(s.bytes).size ?? 1;
      case 'chain-cold':
      case 'chain-warm': {
        const anchors = s.trust ?? sk.TrustList.fromBytes(s.anchors);
        const report = await sk.validateCertificate(s.leaf, {
          trust: anchors,
          intermediates: [s.inter],
          purpose: 'sign',
          email: m.user(SIGNER).email,
        });
        assertOk('validate', report.valid, report.problems);
        return 1;
      }
      default:
        throw new Error(`smimekit: no operation ${op}`);
    }
  },
};
