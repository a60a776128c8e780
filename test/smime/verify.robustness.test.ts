/** Hostile input: verifyMessage only ever throws SmimeError, and a changed signed byte never verifies. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SmimeError } from '../../src/errors.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { parseMime } from '../../src/mime/entity.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { chainFile, identity } from '../cms/fixtures.js';

describe('verifyMessage robustness', () => {
  let trust: TrustList;
  let detached: Uint8Array;
  let opaque: Uint8Array;
  beforeAll(async () => {
    trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
    const id = await identity('ee-p256');
    const msg = 'From: p256.user@example.test\r\nTo: b@example.test\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nhello world, this is signed\r\n';
    detached = await signMessage(msg, { signer: id });
    opaque = await signMessage(msg, { signer: id, detached: false });
  });

  it('a From header that is not the signer’s address is a warning without from, an error with it', async () => {
    const other = new TextDecoder().decode(detached).replace('From: p256.user@example.test', 'From: someone@example.test');
    const report = await verifyMessage(other, { trust });
    expect(report.ok).toBe(true);
    expect(report.warnings.map((w) => w.code)).toContain('from-mismatch');
    expect((await verifyMessage(other, { trust, from: 'someone@example.test' })).problems[0]!.code).toBe('email-mismatch');
  });

  it('random byte changes: only SmimeError, and a change inside the signed part is never ok', async () => {
    const signedPart = parseMime(detached).children[0]!;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: detached.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const bytes = detached.slice();
        bytes[at]! ^= xor;
        try {
          const report = await verifyMessage(bytes, { trust });
          const inside = at >= signedPart.bodyStart && at < signedPart.end;
          // CR/LF changes can be undone by canonicalization; everything else in the body must break the signature.
          if (inside && detached[at] !== 0x0d && detached[at] !== 0x0a && bytes[at] !== 0x0d && bytes[at] !== 0x0a) expect(report.ok).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(SmimeError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('random truncations and garbage in opaque messages: only SmimeError, never other content', async () => {
    const original = (await verifyMessage(opaque, { trust })).content;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: opaque.length - 1 }), fc.uint8Array({ maxLength: 40 }), async (cut, junk) => {
        const bytes = new Uint8Array([...opaque.subarray(0, cut), ...junk]);
        try {
          const report = await verifyMessage(bytes, { trust });
          // Base64 is malleable (padding, unused trailing bits): if it still verifies, the signed bytes are unchanged.
          if (report.ok) expect(report.content).toEqual(original);
        } catch (e) {
          expect(e).toBeInstanceOf(SmimeError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
