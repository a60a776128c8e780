/** DER input is never mistaken for PEM because its content quotes a PEM block (a signed message may carry one). */
import { expect, it } from 'vitest';
import { createSignedData } from '../../src/cms/signer.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { parseContentInfo } from '../../src/cms/content-info.js';
import { encodePem, looksLikePem } from '../../src/util/pem.js';
import { identity } from '../cms/fixtures.js';

it('a DER SignedData whose content holds a PEM PKCS7 block parses as itself, not as the quoted message', async () => {
  const rsa = await identity('ee-rsa');
  const p256 = await identity('ee-p256');
  const quoted = await createSignedData(new TextEncoder().encode('the quoted message'), {
    signers: [{ certificate: p256.certificate, privateKey: p256.privateKey }],
  });
  const content = new TextEncoder().encode(`Look at this:\n${encodePem('PKCS7', quoted)}`);
  const outer = await createSignedData(content, {
    signers: [{ certificate: rsa.certificate, privateKey: rsa.privateKey }],
  });
  expect(looksLikePem(outer)).toBe(false);
  const sd = parseSignedData(outer);
  expect(sd.content).toEqual(content);
  expect(sd.certificates[0]).toEqual(rsa.certificate);
  expect(parseContentInfo(outer).der).toEqual(outer);
  // Real PEM still reads as PEM.
  expect(looksLikePem(new TextEncoder().encode(encodePem('PKCS7', outer)))).toBe(true);
});

it('the same PEM array decodes once; changed in place, it is decoded again (no stale certificate)', async () => {
  const { certificateDer } = await import('../../src/util/certificate-input.js');
  const { chainFile } = await import('../cms/fixtures.js');
  const { readFileSync } = await import('node:fs');
  const pem = readFileSync(chainFile('ee-rsa.pem'));
  const other = readFileSync(chainFile('ee-p256.pem'));
  const first = certificateDer(pem);
  expect(certificateDer(pem)).toBe(first);
  // A fresh array with the same text is decoded on its own, to equal bytes.
  expect(certificateDer(Buffer.from(pem))).not.toBe(first);
  expect(certificateDer(Buffer.from(pem))).toEqual(first);
  // The caller reuses its buffer for another certificate: the cache must notice.
  const reused = Buffer.alloc(Math.max(pem.length, other.length), 0x0a);
  pem.copy(reused);
  const before = certificateDer(reused);
  reused.fill(0x0a);
  other.copy(reused);
  const after = certificateDer(reused);
  expect(after).not.toEqual(before);
  expect(after).toEqual(certificateDer(other));
});
