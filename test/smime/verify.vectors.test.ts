/**
 * Every signed message / SignedData of ../shared/vectors (expected.json, operation
 * "verify", cmsType signedData) verifies with the stated result, signers and output,
 * with the stated validation time and trust anchors. Tampered variants fail with
 * the right code. Prints a pass table.
 */
import { afterAll, expect, it } from 'vitest';
import { verifyMessage, verifySignedContent } from '../../src/smime/verify.js';
import type { VerifyReport } from '../../src/smime/report.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { toHex } from '../../src/util/bytes.js';
import { sha256 } from '../../src/util/hash.js';
import { type ExpectedCase, VECTOR_RELAXATIONS, verifyOptionsFor } from '../helpers/expected-cases.js';
import { describeVectors, readShared, readSharedJson } from '../helpers/vectors.js';

type Case = ExpectedCase;

/** Our code for each failure reason of expected.json. */
const FAILURE_CODES: Record<string, string[]> = {
  tampered: ['digest-mismatch', 'bad-signature'],
  'content-mismatch': ['content-mismatch'],
  'bad-signature': ['bad-signature'],
  'no-content': ['no-content'],
  expired: ['expired'],
  'not-yet-valid': ['not-yet-valid'],
  revoked: ['revoked'],
  'key-usage': ['bad-key-usage'],
  'ext-key-usage': ['bad-eku'],
  'untrusted-root': ['untrusted-root'],
  'no-trust-anchor': ['untrusted-root'],
  'chain-signature-failure': ['bad-signature'],
};

const table: string[] = [];

describeVectors('shared vectors: signed messages verify as expected.json says', () => {
  const all = readSharedJson<{ cases: Case[] }>('expected.json').cases;
  const cases = all.filter((c) => c.operation === 'verify' && c.cmsType === 'signedData');

  it('covers the signed vectors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
  });

  afterAll(() => {
    console.log(`\nshared signed vectors (${table.length}):\n${table.join('\n')}`);
  });

  for (const c of cases) {
    it(c.id, async () => {
      const bytes = readShared(c.file);
      const options = verifyOptionsFor(c);
      const { trust } = options;
      if (c.trustEmbedded?.length) {
        // Anchors taken from the certificates inside the message, chosen by SHA-256.
        const wanted = c.trustEmbedded.map((t) => t.sha256);
        const certs =
          c.format === 'mime'
            ? (await verifyMessage(bytes, { ...options, trust: new TrustList() })).layers.flatMap((l) => l.certificates)
            : parseSignedData(bytes).certificates;
        for (const cert of certs) if (wanted.includes(toHex(sha256(cert)))) trust.add(cert);
        expect(trust.size).toBe(wanted.length);
      }
      let report: VerifyReport;
      try {
        report =
          c.format === 'mime'
            ? await verifyMessage(bytes, options)
            : await verifySignedContent(bytes, {
                ...options,
                ...(c.content ? { content: readShared(c.content) } : {}),
              });
      } catch (e) {
        table.push(`FAIL  ${c.id}: threw ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`);
        throw e;
      }
      const sigValid = report.signers.length > 0 && report.signers.every((s) => s.signatureValid);
      const chainValid = report.signers.every((s) => s.chain?.valid === true);
      const signers = report.signers.map((s) => s.email ?? s.commonName ?? '?');
      const codes = report.problems.map((p) => p.code);
      const line = `${c.id}: signature ${sigValid} (expected ${c.expect.signatureValid}), chain ${c.trust.length || c.trustEmbedded?.length ? chainValid : 'n/a'} (expected ${c.expect.chainValid}), signers ${signers.join(',')}${codes.length ? `, codes ${[...new Set(codes)].join(',')}` : ''}`;
      try {
        expect(sigValid).toBe(c.expect.signatureValid);
        if (c.expect.chainValid !== null) expect(chainValid).toBe(c.expect.chainValid);
        if (c.expect.signers)
          expect(signers.map((s) => s.toLowerCase())).toEqual(c.expect.signers.map((s) => s.toLowerCase()));
        if (c.expect.plaintextSha256 && sigValid) expect(toHex(sha256(report.content))).toBe(c.expect.plaintextSha256);
        if (c.expect.failure) {
          const wanted = FAILURE_CODES[c.expect.failure];
          expect(wanted, `no code mapping for ${c.expect.failure}`).toBeDefined();
          expect(
            codes.some((code) => wanted!.includes(code)),
            `codes ${codes.join(',')} for ${c.expect.failure}`,
          ).toBe(true);
        }
        if (c.layers && c.format === 'mime') {
          expect(report.layers.length).toBe(c.layers.length);
          c.layers.forEach((l, i) => {
            expect(report.layers[i]!.path, `layer ${i} path`).toBe(l.path);
            if (l.outputSha256) expect(toHex(sha256(report.layers[i]!.content)), `layer ${i}`).toBe(l.outputSha256);
          });
        }
        expect(report.ok).toBe(c.expect.signatureValid === true && c.expect.chainValid === true);
        table.push(`pass  ${line}`);
      } catch (e) {
        table.push(`FAIL  ${line}`);
        throw e;
      }
    });
  }
});

/**
 * Issue #14: the sender check and full coverage are defaults. The few vectors whose From header is not their
 * signer's address, or whose layout is a signed part among unsigned ones, are verified above with the relaxing
 * option (VECTOR_RELAXATIONS says why for each); here they must fail with exactly that code without it, and the
 * option must turn the failure into a warning and nothing else.
 */
describeVectors('shared vectors: sender-mismatch and partially-signed are failures by default', () => {
  const all = readSharedJson<{ cases: Case[] }>('expected.json').cases;
  for (const [id, relax] of Object.entries(VECTOR_RELAXATIONS)) {
    it(`${id}: ${relax.code} (${relax.why})`, async () => {
      const c = all.find((x) => x.id === id);
      expect(c, id).toBeDefined();
      const bytes = readShared(c!.file);
      const strict = await verifyMessage(bytes, verifyOptionsFor(c!, { strict: true }));
      const relaxed = await verifyMessage(bytes, verifyOptionsFor(c!));
      expect(strict.ok).toBe(false);
      expect(strict.problems.map((p) => p.code)).toContain(relax.code);
      expect(relaxed.problems.map((p) => p.code)).not.toContain(relax.code);
      expect(relaxed.warnings.map((w) => w.code)).toContain(relax.code);
      // The relaxation changes that code only.
      expect(strict.problems.filter((p) => p.code !== relax.code)).toEqual(relaxed.problems);
    });
  }
});

/** Flips the case of the first ASCII letter at or after `from` inside [from, to). */
function flipLetter(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const out = bytes.slice();
  for (let i = from; i < to; i++) {
    const c = out[i]!;
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
      out[i] = c ^ 0x20;
      return out;
    }
  }
  throw new Error('no letter to flip');
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (
    let i = hay.indexOf(needle[0]!);
    i >= 0 && i + needle.length <= hay.length;
    i = hay.indexOf(needle[0]!, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describeVectors('shared vectors: tampered variants of every valid signed vector fail', () => {
  const all = readSharedJson<{ cases: Case[] }>('expected.json').cases;
  const valid = all.filter(
    (c) =>
      c.operation === 'verify' && c.cmsType === 'signedData' && c.expect.signatureValid === true && !c.id.includes('#'),
  );
  for (const c of valid) {
    it(`${c.id} (tampered)`, async () => {
      const bytes = readShared(c.file);
      const options = {
        trust: new TrustList(),
        allowWeak: true,
        certificates: c.intermediates.map((f) => readShared(f)),
      };
      let report: VerifyReport;
      if (c.format === 'mime') {
        const { parseMime, decodedBody } = await import('../../src/mime/entity.js');
        const { toBase64Lines, concatBytes, fromLatin1 } = await import('../../src/util/bytes.js');
        const root = parseMime(bytes);
        const layerPath = (await verifyMessage(bytes, options)).layers[0]!.path;
        let entity = root;
        for (const n of layerPath.split('/').filter(Boolean)) entity = entity.children[Number(n) - 1]!;
        if (entity.contentType.mediaType === 'multipart/signed') {
          const part = entity.children[0]!;
          report = await verifyMessage(flipLetter(bytes, part.bodyStart, part.end), options);
        } else {
          const der = decodedBody(entity);
          const content = parseSignedData(der).content!;
          const at = indexOfBytes(der, content.subarray(0, Math.min(32, content.length)));
          expect(at).toBeGreaterThan(0);
          const tampered = flipLetter(der, at, der.length);
          report = await verifyMessage(
            concatBytes(
              bytes.subarray(0, entity.bodyStart),
              fromLatin1(`${toBase64Lines(tampered)}\r\n`),
              bytes.subarray(entity.end),
            ),
            options,
          );
        }
      } else {
        const der = c.format === 'cms-pem' ? parseSignedData(bytes) && bytes : bytes;
        if (c.content) {
          const content = readShared(c.content);
          report = await verifySignedContent(der, { ...options, content: flipLetter(content, 0, content.length) });
        } else {
          const content = parseSignedData(der).content!;
          const at = indexOfBytes(der, content.subarray(0, Math.min(4, content.length)));
          expect(at).toBeGreaterThan(0);
          report = await verifySignedContent(flipLetter(der, at, der.length), options);
        }
      }
      expect(report.signers[0]!.signatureValid).toBe(false);
      expect(report.ok).toBe(false);
      expect(['digest-mismatch', 'bad-signature']).toContain(report.signers[0]!.problems[0]!.code);
    });
  }
});
