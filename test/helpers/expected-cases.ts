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

/**
 * Vectors whose validity expected.json states but whose From header (or MIME layout) smimekit's defaults refuse
 * on purpose (issue #14): expected.json is third-party truth about the *signatures*, so these cases are verified
 * with the relaxing option, and `verify.vectors.test.ts` checks that without it they fail with exactly `code`.
 */
export const VECTOR_RELAXATIONS: Record<
  string,
  { options: Pick<VerifyMessageOptions, 'allowSenderMismatch' | 'allowPartial'>; code: string; why: string }
> = {
  'rfc4134/4.8': {
    options: { allowSenderMismatch: true },
    code: 'sender-mismatch',
    why: 'RFC 4134 writes From: aliceDss@examples.com; the certificate is for AliceDSS@example.com (other domain, other case)',
  },
  'rfc4134/4.9': {
    options: { allowSenderMismatch: true },
    code: 'sender-mismatch',
    why: 'as 4.8: the sample From is not the certificate address',
  },
  'thunderbird/browser-smime/alice.dsig.SHA256.multipart.in.mixed': {
    options: { allowPartial: true },
    code: 'partially-signed',
    why: 'built to be a signed part inside multipart/mixed with an unsigned part (Thunderbird shows it as partly signed)',
  },
  'thunderbird/browser-smime/alice.dsig.SHA256.multipart.in.mixed.with.header': {
    options: { allowPartial: true },
    code: 'partially-signed',
    why: 'a signed part between two unsigned parts, on purpose',
  },
  'bouncycastle/bc-java-mail-smime/validator.noEmail': {
    options: { allowSenderMismatch: true },
    code: 'sender-mismatch',
    why: "Bouncy Castle's test of a signer certificate without any e-mail address (its validator flags it too)",
  },
  'bouncycastle/bc-java-mail-smime/extra-nl': {
    options: { allowSenderMismatch: true },
    code: 'sender-mismatch',
    why: 'signed with a test@example.com certificate, From: martijn@djigzo.com (a test message, re-signed)',
  },
  'bouncycastle/bc-java-mail-smime/multi-alternative': {
    options: { allowSenderMismatch: true },
    code: 'sender-mismatch',
    why: 'From: edifact@ and a certificate for EDIFACT@: local parts are compared exactly (RFC 8550 §3, RFC 5321)',
  },
  'bouncycastle/bc-java-mail-smime/basicAS2': {
    options: { allowSenderMismatch: true },
    code: 'sender-mismatch',
    why: 'AS2 (EDIINT over HTTP): From is a contact address, the certificate names no e-mail address',
  },
  'bouncycastle/bc-java-mail-smime/rawAS2': {
    options: { allowSenderMismatch: true },
    code: 'sender-mismatch',
    why: 'AS2: From parcuri@btrade.com, the certificate is for opensystems@stercomm.com',
  },
};

/**
 * verifyMessage options for a case: its trust anchors, intermediates, CRLs, validation time and legacy flag, and
 * its entry of `VECTOR_RELAXATIONS` unless `strict`.
 */
export function verifyOptionsFor(
  c: Pick<ExpectedCase, 'trust' | 'intermediates' | 'crls' | 'at' | 'legacy'> & { id?: string },
  { strict = false }: { strict?: boolean } = {},
): VerifyMessageOptions {
  const trust = new TrustList();
  for (const t of c.trust) trust.addBytes(readShared(t));
  return {
    trust,
    allowWeak: c.legacy ?? false,
    certificates: c.intermediates.map((f) => readShared(f)),
    crls: c.crls.map((f) => readShared(f)),
    ...(c.at ? { at: new Date(c.at) } : {}),
    ...(!strict && c.id !== undefined ? (VECTOR_RELAXATIONS[c.id]?.options ?? {}) : {}),
  };
}
