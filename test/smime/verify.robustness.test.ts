/** Hostile input: verifyMessage only ever throws SmimeError, and a changed signed byte never verifies. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SmimeError } from '../../src/errors.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { parseMime, walkEntities } from '../../src/mime/entity.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { chainFile, identity } from '../cms/fixtures.js';
import { describeVectors, readShared } from '../helpers/vectors.js';
import { expectedCases, verifyOptionsFor } from '../helpers/expected-cases.js';

describe('verifyMessage robustness', () => {
  let trust: TrustList;
  let detached: Uint8Array;
  let opaque: Uint8Array;
  beforeAll(async () => {
    trust = TrustList.fromBytes(readFileSync(chainFile('root.pem')));
    const id = await identity('ee-p256');
    const msg =
      'From: p256.user@example.test\r\nTo: b@example.test\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nhello world, this is signed\r\n';
    detached = await signMessage(msg, { signer: id });
    opaque = await signMessage(msg, { signer: id, detached: false });
  });

  it('a From header that is not the signer’s address fails (sender-mismatch), a warning with allowSenderMismatch', async () => {
    // Issue #14: the From header is checked by default (it used to be a from-mismatch warning).
    const other = new TextDecoder()
      .decode(detached)
      .replace('From: p256.user@example.test', 'From: someone@example.test');
    const report = await verifyMessage(other, { trust });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code)).toEqual(['sender-mismatch']);
    const relaxed = await verifyMessage(other, { trust, allowSenderMismatch: true });
    expect(relaxed.ok).toBe(true);
    expect(relaxed.warnings.map((w) => w.code)).toContain('sender-mismatch');
    expect((await verifyMessage(other, { trust, from: 'someone@example.test' })).problems[0]!.code).toBe(
      'email-mismatch',
    );
  });

  it('random byte changes: only SmimeError, and a change inside the signed part is never ok', async () => {
    const signedPart = parseMime(detached).children[0]!;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: detached.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const bytes = detached.slice();
          bytes[at]! ^= xor;
          try {
            const report = await verifyMessage(bytes, { trust });
            const inside = at >= signedPart.bodyStart && at < signedPart.end;
            // CR/LF changes can be undone by canonicalization; everything else in the body must break the signature.
            if (inside && detached[at] !== 0x0d && detached[at] !== 0x0a && bytes[at] !== 0x0d && bytes[at] !== 0x0a)
              expect(report.ok).toBe(false);
          } catch (e) {
            expect(e).toBeInstanceOf(SmimeError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random truncations and garbage in opaque messages: only SmimeError, never other content', async () => {
    const original = (await verifyMessage(opaque, { trust })).content;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: opaque.length - 1 }),
        fc.uint8Array({ maxLength: 40 }),
        async (cut, junk) => {
          const bytes = new Uint8Array([...opaque.subarray(0, cut), ...junk]);
          try {
            const report = await verifyMessage(bytes, { trust });
            // Base64 is malleable (padding, unused trailing bits): if it still verifies, the signed bytes are unchanged.
            if (report.ok) expect(report.content).toEqual(original);
          } catch (e) {
            expect(e).toBeInstanceOf(SmimeError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Real third-party messages (../shared/vectors) that verify with ok: true, mutated one byte at a time. */
describeVectors('verifyMessage robustness: mutated third-party messages', () => {
  const PICKS = [
    'thunderbird/smime/alice.dsig.SHA256.multipart',
    'thunderbird/smime/alice.sig.SHA512.opaque',
    'thunderbird/smime/alice.plain.dsig.SHA256.multipart.dave.sig.SHA256.opaque',
    'thunderbird/browser-smime/alice.dsig.SHA256.multipart.in.mixed',
    'notmuch/corpora/protected-headers/smime-multipart-signed',
    'rfc4134/4.8',
    'mimekit/thunderbird-signed',
  ];
  const cases = expectedCases().filter((c) => PICKS.includes(c.id));

  it('finds the picked vectors', () => expect(cases.map((c) => c.id).sort()).toEqual([...PICKS].sort()));

  for (const c of cases) {
    it(`${c.id}: byte changes give only SmimeError, quickly, and never ok inside the signed bytes`, async () => {
      const original = readShared(c.file);
      const options = verifyOptionsFor(c);
      const baseline = await verifyMessage(original, options);
      expect(baseline.ok).toBe(true);
      // The bytes the outermost detached signature covers (opaque messages: base64, checked through the content).
      const detachedSigned = [...walkEntities(parseMime(original))].find(
        (e) => e.contentType.mediaType === 'multipart/signed',
      )?.children[0];
      const isLineBreak = (b: number) => b === 0x0d || b === 0x0a;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: original.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          async (at, xor) => {
            const bytes = original.slice();
            bytes[at]! ^= xor;
            const started = Date.now();
            try {
              const report = await verifyMessage(bytes, options);
              const inside = detachedSigned !== undefined && at >= detachedSigned.start && at < detachedSigned.end;
              if (inside && !isLineBreak(original[at]!) && !isLineBreak(bytes[at]!)) expect(report.ok).toBe(false);
              // Wherever the change is, a report that is ok shows exactly the originally signed content.
              if (report.ok) expect(report.content).toEqual(baseline.content);
            } catch (e) {
              expect(e).toBeInstanceOf(SmimeError);
            }
            expect(Date.now() - started).toBeLessThan(5000);
          },
        ),
        // The large Thunderbird message (JPEG attachment) takes ~0.2 s per run.
        { numRuns: original.length > 50_000 ? 25 : 120 },
      );
    }, 120_000);
  }
});
