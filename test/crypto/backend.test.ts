/** The WebCrypto backend is pluggable: the whole flow runs on @peculiar/webcrypto instead of the runtime's. */
import { Crypto } from '@peculiar/webcrypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  getCrypto,
  loadCertificates,
  setCryptoBackend,
  signMessage,
  TrustList,
  validateCertificate,
  verifyMessage,
} from '../../src/index.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { projectVectorPath } from '../helpers/vectors.js';

const original = getCrypto();
afterAll(() => setCryptoBackend(original));

describe('setCryptoBackend(@peculiar/webcrypto)', () => {
  it('validates, signs and verifies through the installed backend', async () => {
    const peculiar = new Crypto() as unknown as globalThis.Crypto;
    let calls = 0;
    const counting = new Proxy(peculiar.subtle, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    setCryptoBackend({
      subtle: counting,
      getRandomValues: (a: never) => peculiar.getRandomValues(a),
      randomUUID: () => peculiar.randomUUID(),
    } as unknown as globalThis.Crypto);
    const trust = TrustList.fromBytes(readFileSync(projectVectorPath('chains', 'root.pem')));
    const intermediates = [readFileSync(projectVectorPath('chains', 'intermediate.pem'))];
    const report = await validateCertificate(readFileSync(projectVectorPath('chains', 'ee-rsa.pem')), {
      trust,
      intermediates,
      at: new Date('2026-06-01T00:00:00Z'),
    });
    expect(report.valid).toBe(true);
    const signer = await loadIdentity(readFileSync(projectVectorPath('chains', 'ee-rsa.p12')), 'test');
    const signed = await signMessage(new TextEncoder().encode('Content-Type: text/plain\r\n\r\nhello\r\n'), {
      signer: { ...signer, chain: [...signer.chain, ...loadCertificates(intermediates[0]!).certificates] },
    });
    const verified = await verifyMessage(signed, { trust, at: new Date('2026-06-01T00:00:00Z') });
    expect(verified.signers[0]!.signatureValid).toBe(true);
    expect(calls).toBeGreaterThan(3);
  });
});
