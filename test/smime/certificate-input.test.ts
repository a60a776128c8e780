/** Every API that takes a certificate accepts PEM, DER and certificate objects alike, and says so when given an address. */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { X509Certificate } from '@peculiar/x509';
import { beforeAll, expect, it } from 'vitest';
import { SmimeError } from '../../src/errors.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { chainFile, identity, type TestIdentity, AT } from '../cms/fixtures.js';

let rsa: TestIdentity;
let trust: TrustList;
beforeAll(async () => {
  rsa = await identity('ee-rsa');
  trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
});

const MESSAGE = 'From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: s\r\n\r\nHello.\r\n';

it('signMessage takes the signer certificate as PEM, DER or an @peculiar/x509 certificate', async () => {
  const pem = readFileSync(chainFile('ee-rsa.pem'), 'utf8');
  const peculiar = new X509Certificate(rsa.certificate.slice().buffer);
  for (const certificate of [pem, new TextEncoder().encode(pem), rsa.certificate, peculiar]) {
    const signed = await signMessage(MESSAGE, {
      signer: { certificate, privateKey: rsa.privateKey, chain: [readFileSync(chainFile('intermediate.pem'), 'utf8')] },
    });
    const report = await verifyMessage(signed, { trust, at: AT });
    expect(report.ok, report.problems.map((p) => p.code).join()).toBe(true);
  }
});

it('an address where a certificate is expected is an error that says so, in sign and encrypt', async () => {
  const sign = (await signMessage(MESSAGE, {
    signer: { certificate: 'rsa.user@example.test', privateKey: rsa.privateKey },
  }).catch((e: unknown) => e)) as SmimeError;
  expect(sign.code).toBe('bad-argument');
  expect(sign.message).toMatch(/e-mail address, not a certificate/);
  const enc = (await encryptMessage(MESSAGE, {
    recipients: ['p256.user@example.test'],
    sender: rsa.certificate,
    trust,
    at: AT,
  }).catch((e: unknown) => e)) as SmimeError;
  expect(enc.code).toBe('bad-argument');
  expect(enc.message).toMatch(/p256\.user@example\.test" is an e-mail address/);
  const garbage = (await encryptMessage(MESSAGE, {
    recipients: [Uint8Array.of(1, 2, 3)],
    sender: rsa.certificate,
    trust,
    at: AT,
  }).catch((e: unknown) => e)) as SmimeError;
  // Bytes that are no certificate are a format error (their content is wrong, not the call).
  expect(garbage.code).toBe('not-der');
});
