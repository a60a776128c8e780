/** The message oracle ../shared/vectors/expected.json: case shape and the verify options a case implies. */
import { TrustList, type VerifyMessageOptions } from '../../src/index.js';
import { readShared, readSharedJson } from './vectors.js';

/** One case of expected.json (fields used by the tests; see the file's own description). */
export interface ExpectedCase {
  id: string;
  file: string;
  format: 'mime' | 'cms-der' | 'cms-pem';
  operation: string;
  cmsType: string;
  content?: string;
  trust: string[];
  trustEmbedded?: { sha256: string }[];
  intermediates: string[];
  crls: string[];
  at: string | null;
  legacy?: boolean;
  ambiguous?: boolean;
  identity: {
    p12?: string;
    password?: string;
    cert?: string;
    key?: string | null;
    secretKey?: string;
    kek?: string;
    kekId?: string;
  } | null;
  expect: {
    decrypts?: boolean | null;
    signatureValid: boolean | null;
    chainValid: boolean | null;
    signers?: string[];
    plaintextSha256?: string;
    failure?: string;
    recipientIdentifier?: { subjectKeyIdentifier: string };
    recipientMatchesCert?: boolean;
  };
  layers?: { path?: string; type?: string; signatureValid?: boolean; contentCipher?: string; outputSha256?: string }[];
}

export function expectedCases(): ExpectedCase[] {
  return readSharedJson<{ cases: ExpectedCase[] }>('expected.json').cases;
}

/** verifyMessage options for a case: its trust anchors, intermediates, CRLs, validation time and legacy flag. */
export function verifyOptionsFor(
  c: Pick<ExpectedCase, 'trust' | 'intermediates' | 'crls' | 'at' | 'legacy'>,
): VerifyMessageOptions {
  const trust = new TrustList();
  for (const t of c.trust) trust.addBytes(readShared(t));
  return {
    trust,
    allowWeak: c.legacy ?? false,
    certificates: c.intermediates.map((f) => readShared(f)),
    crls: c.crls.map((f) => readShared(f)),
    ...(c.at ? { at: new Date(c.at) } : {}),
  };
}
