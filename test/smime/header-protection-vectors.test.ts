/**
 * The RFC 9788 example payloads of vectors/rfc9788 (reconstructed: see its README.md) read through readMessage as
 * a client receives them: each payload, byte for byte, inside the layers it came out of (an envelope; a signature
 * and an envelope for the signed-and-encrypted one), under the outer header section its HP-Outer records
 * describe. What is checked is what the RFC says a reader must show (expected.json).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '../../src/cms/enveloped-create.js';
import { createSignedData } from '../../src/cms/signer.js';
import { toCrlf } from '../../src/mime/canonical.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { pkcs7MimeHead } from '../../src/smime/encrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { OPAQUE_SIGNED_HEAD } from '../../src/smime/sign.js';
import type { TrustList } from '../../src/trust/trust-list.js';
import { base64Bytes, concatBytes, fromLatin1, latin1 } from '../../src/util/bytes.js';
import { issueUser, PKI_AT as AT, trustListFromChains, type IssuedUser } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';
import { projectVectorPath } from '../helpers/vectors.js';

interface Expectation {
  file: string;
  rfc: string;
  outer: Record<string, string>;
  hp: 'clear' | 'cipher';
  display: Record<string, string>;
  confidential: string[];
  legacyDisplayRemoved: boolean;
  bodyText?: string;
  bodyIncludes?: string[];
  bodyExcludes?: string[];
}

const { vectors } = JSON.parse(readFileSync(projectVectorPath('rfc9788', 'expected.json'), 'utf8')) as {
  vectors: Expectation[];
};
const dir = tempDir();
let alice: IssuedUser;
let bob: IssuedUser;
let trust: TrustList;

beforeAll(async () => {
  // The signed example is from alice@smime.example (the RFC 9216 name): a test certificate for that address.
  alice = await issueUser(dir, { name: 'Alice', email: 'alice@smime.example' });
  bob = await issueUser(dir, { name: 'Bob', email: 'bob@smime.example', newKey: true });
  trust = trustListFromChains({ intermediates: true });
});

/** The outer header section the payload's HP-Outer records describe (what the sender left outside). */
function outerSection(payload: Uint8Array): string {
  return parseMime(payload)
    .headers.filter((h) => h.name.toLowerCase() === 'hp-outer')
    .map((h) => `${h.value}\r\n`)
    .join('');
}

/** `payload` inside the layers of its example: signed (opaque) when the file name says so, then encrypted. */
async function wrap(file: string, payload: Uint8Array, outer: string): Promise<Uint8Array> {
  let inner = payload;
  if (file.includes('signed')) {
    const cms = await createSignedData(payload, {
      signers: [{ certificate: alice.certificate, privateKey: alice.privateKey, digest: 'sha256', chain: alice.chain }],
      signingTime: AT,
    });
    inner = concatBytes(OPAQUE_SIGNED_HEAD, base64Bytes(cms, 76));
  }
  const envelope = await createEnvelope(inner, [{ certificate: bob.certificate }], { cipher: 'aes-256-gcm' });
  return concatBytes(
    fromLatin1(`${outer}MIME-Version: 1.0\r\n`),
    pkcs7MimeHead(envelope.contentType),
    base64Bytes(envelope.der, 76),
  );
}

describe('RFC 9788 examples read as the RFC says', () => {
  for (const v of vectors) {
    it(`${v.file} (${v.rfc})`, async () => {
      const payload = toCrlf(readFileSync(projectVectorPath('rfc9788', v.file)));
      const outer = outerSection(payload);
      for (const [name, value] of Object.entries(v.outer)) expect(outer).toContain(`${name}: ${value}\r\n`);
      const message = await wrap(v.file, payload, outer);
      const read = await readMessage(message, { identities: [bob.identity], trust, at: AT });
      expect(read.encrypted).toBe(true);
      expect(read.problems).toEqual([]);
      expect(read.warnings).toEqual([]);
      // The content is the payload exactly as the RFC prints it.
      expect(latin1(read.content)).toBe(latin1(payload));
      const hp = read.headerProtection!;
      expect([hp.hp, hp.trusted, hp.outerMismatches]).toEqual([v.hp, true, []]);
      expect(hp.protectedBy).toEqual({ signature: v.file.includes('signed'), encryption: true });
      for (const [name, value] of Object.entries(v.display))
        expect(hp.displayHeaders.find(([n]) => n === name)).toEqual([name, value]);
      expect(hp.confidential).toEqual(v.confidential);
      expect(hp.legacyDisplayRemoved).toBe(v.legacyDisplayRemoved);
      const shown = parseMime(hp.display);
      expect(shown.headers.find((h) => h.name === 'Subject')?.value).toBe(v.display.Subject);
      const body = latin1(decodedBody(shown));
      if (v.bodyText !== undefined) expect(body).toBe(v.bodyText);
      for (const s of v.bodyIncludes ?? []) expect(body).toContain(s);
      for (const s of v.bodyExcludes ?? []) expect(body).not.toContain(s);

      // The same message with its outer Subject rewritten on the way: reported, the protected one still shown.
      const changed = await wrap(v.file, payload, outer.replace('Subject: [...]', 'Subject: Invoice'));
      const tampered = await readMessage(changed, { identities: [bob.identity], trust, at: AT });
      expect(tampered.headerProtection!.outerMismatches).toEqual([
        { name: 'Subject', protected: [v.display.Subject], outer: ['Invoice'], recorded: ['[...]'] },
      ]);
      expect(tampered.warnings.map((w) => w.code)).toEqual(['header-mismatch']);
      expect(tampered.headerProtection!.displayHeaders.find(([n]) => n === 'Subject')).toEqual([
        'Subject',
        v.display.Subject,
      ]);
    });
  }
});
