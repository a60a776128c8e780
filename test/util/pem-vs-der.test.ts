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
