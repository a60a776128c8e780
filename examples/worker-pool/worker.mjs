/**
 * One worker of the pool (pool.mjs): loads the identity and the trust list once, then signs and encrypts every
 * message it is sent. Runs in a `worker_threads` Worker; everything it needs comes in `workerData`.
 */
import { parentPort, workerData } from 'node:worker_threads';

const { loadIdentity, loadCertificates, signMessage, encryptMessage, TrustList } = await import(
  workerData.moduleUrl ?? 'smimekit'
);

// Once per worker: decrypting the PKCS#12 and importing the key are the expensive part of a first message.
const identity = await loadIdentity(workerData.p12, workerData.password);
const signer = { ...identity, chain: [...identity.chain, ...(workerData.chain ?? [])] };
const trust = workerData.trust ? TrustList.fromBytes(workerData.trust) : undefined;

// A recipient certificate arrives as a fresh copy with every job; handing smimekit the same array for the same
// certificate lets it reuse what it derived from it (decoded certificate, public key, validation result).
const known = new Map();
function canonical(der) {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let same = known.get(key);
  if (!same) {
    if (known.size >= 10_000) known.clear();
    known.set(key, (same = der));
  }
  return same;
}

parentPort.on('message', async ({ id, message, recipients, from }) => {
  try {
    const signed = await signMessage(message, { signer });
    const encrypted = await encryptMessage(signed, {
      recipients: recipients.map((der, i) => ({ certificate: canonical(der), address: from?.[i] })),
      sender: { certificate: identity.certificate },
      ...(trust ? { trust } : { validate: false }),
    });
    parentPort.postMessage({ id, message: encrypted.message }, [encrypted.message.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: { name: e?.name, code: e?.code, message: String(e?.message ?? e) } });
  }
});
parentPort.postMessage({ ready: true });
