/**
 * Every signed MIME message of ../shared/vectors (Outlook, Thunderbird, Bouncy Castle, AS2 over HTTP...) gives the
 * same verdict through verifyMessageStream as through verifyMessage, in odd-sized chunks: ok, the problem and warning
 * codes, and each signer's signature; and readMessageStream as readMessage (which threw `malformed-mime` for an
 * opaque signature with no content, where the others report `no-content`). Every encrypted vector with a key
 * decrypts to the same bytes (or the same error code) through decryptMessageStream and readMessageStream. Found this way: the stream put a binary (AS2) signature part into CRLF form,
 * which then no longer parsed; it could not check a signature without signed attributes (RSA PKCS#1 v1.5 and DSA
 * sign the hash, which the stream has); and it did not say `content-mismatch` for a failed detached signature whose
 * SignedData carries other content.
 */
import { expect, it } from 'vitest';
import { verifyMessage } from '../../src/smime/verify.js';
import { verifyMessageStream } from '../../src/smime/verify-stream.js';
import { readMessage } from '../../src/smime/read.js';
import { readMessageStream } from '../../src/smime/read-stream.js';
import { decryptMessage, type DecryptionIdentity } from '../../src/smime/decrypt.js';
import { decryptMessageStream } from '../../src/smime/decrypt-stream.js';
import { loadIdentity } from '../../src/crypto/identity.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { decodePem } from '../../src/util/pem.js';
import { concatBytes } from '../../src/util/bytes.js';
import { SmimeError } from '../../src/errors.js';
import { type ExpectedCase, verifyOptionsFor } from '../helpers/expected-cases.js';
import { describeVectors, readShared, readSharedJson } from '../helpers/vectors.js';

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

interface Report {
  ok: boolean;
  problems: { code: string; message: string; signer?: number }[];
  warnings: { code: string }[];
  signers: { signatureValid: boolean; layer: number }[];
  layers: unknown[];
}

/**
 * What both readers must agree on. The stream verifies the top-level signature only (a nested one is content), so
 * for a message with nested signed layers only the outer layer's signers are compared. A signer whose digest
 * algorithm the stream did not compute (neither micalg nor SHA-256) is `no-content` there, where the buffered reader
 * names the failure (`digest-mismatch`): both fail, and that pair is set aside (docs/streaming.md).
 */
function verdicts(buffered: Report, streamed: Report): [unknown, unknown] {
  const outer = (r: Report) => r.signers.map((x, i) => [x, i] as const).filter(([x]) => x.layer === 0);
  const nested = buffered.layers.length > 1;
  const notStreamed = new Set(
    streamed.problems
      .filter((p) => p.code === 'no-content' && /was streamed with/.test(p.message))
      .map((p) => p.signer),
  );
  const of = (r: Report, setAside: string[]) => ({
    ...(nested ? {} : { ok: r.ok, warnings: r.warnings.map((w) => w.code).sort() }),
    signatures: outer(r).map(([x]) => x.signatureValid),
    problems: r.problems
      .filter((p) => (p.signer === undefined ? !nested : r.signers[p.signer]?.layer === 0))
      .filter((p) => !(notStreamed.has(p.signer) && setAside.includes(p.code)))
      .map((p) => `${p.code}${p.signer === undefined ? '' : `#${p.signer}`}`)
      .sort(),
  });
  return [of(buffered, ['digest-mismatch', 'unsupported-algorithm']), of(streamed, ['no-content'])];
}

describeVectors('shared vectors: verifyMessageStream agrees with verifyMessage', () => {
  const cases = readSharedJson<{ cases: ExpectedCase[] }>('expected.json').cases.filter(
    (c) => c.operation === 'verify' && c.cmsType === 'signedData' && c.format === 'mime',
  );

  it('covers the signed MIME vectors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of cases) {
    it(c.id, async () => {
      const bytes = readShared(c.file);
      const buffered = await verifyMessage(bytes, verifyOptionsFor(c)).catch((e: unknown) => e);
      let streamed: Report | unknown;
      try {
        const { stream, report } = await verifyMessageStream(chunked(bytes, 997), verifyOptionsFor(c));
        await stream.pipeTo(new WritableStream()).catch(() => undefined);
        streamed = { ...(await report), layers: [] };
      } catch (e) {
        streamed = e;
      }
      if (buffered instanceof SmimeError) {
        expect((streamed as SmimeError).code, c.id).toBe(buffered.code);
        return;
      }
      const b = buffered as Report & { layers: { path: string }[] };
      // The stream verifies the top-level signature only: a message signed deeper down is not its case.
      if (b.layers[0]?.path !== '/') {
        expect(streamed, c.id).toBeInstanceOf(SmimeError);
        return;
      }
      const [expected, actual] = verdicts(b, streamed as Report);
      expect(actual, c.id).toEqual(expected);
    });

    it(`${c.id} (readMessage)`, async () => {
      const bytes = readShared(c.file);
      const outcome = (r: { ok: boolean; problems: { code: string; message: string }[] }) => ({
        ok: r.ok,
        problems: r.problems,
      });
      const buffered = await readMessage(bytes, verifyOptionsFor(c)).then(outcome, (e: unknown) => e);
      let streamed: ReturnType<typeof outcome> | unknown;
      try {
        const { stream, result } = await readMessageStream(chunked(bytes, 997), verifyOptionsFor(c));
        await stream.pipeTo(new WritableStream()).catch(() => undefined);
        streamed = outcome(await result);
      } catch (e) {
        streamed = e;
      }
      if (buffered instanceof SmimeError) {
        expect((streamed as SmimeError).code, c.id).toBe(buffered.code);
        return;
      }
      // The set-aside of verdicts(): a digest the stream did not compute is no-content there, digest-mismatch here.
      const b = buffered as ReturnType<typeof outcome>;
      const s = streamed as ReturnType<typeof outcome>;
      const notStreamed = s.problems.some((p) => p.code === 'no-content' && /was streamed with/.test(p.message));
      const codes = (r: ReturnType<typeof outcome>, aside: string[]) =>
        r.problems.map((p) => p.code).filter((code) => !(notStreamed && aside.includes(code)));
      expect(s.ok, c.id).toBe(b.ok);
      expect(new Set(codes(s, ['no-content'])), c.id).toEqual(new Set(codes(b, ['digest-mismatch'])));
    });
  }
});

async function identityFor(c: ExpectedCase): Promise<DecryptionIdentity> {
  const id = c.identity!;
  if (id.p12) return loadIdentity(readShared(id.p12), id.password ?? '');
  const cert = readShared(id.cert!);
  const der = cert[0] === 0x30 ? cert : decodePem(cert).find((b) => b.label === 'CERTIFICATE')!.der;
  return { certificate: der, privateKey: (await loadPrivateKey(readShared(id.key!))).pkcs8 };
}

async function drained(stream: ReadableStream<Uint8Array>): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  } catch {
    return undefined; // an error ends the stream: nothing it gave counts
  }
  return concatBytes(...chunks);
}

describeVectors('shared vectors: decryptMessageStream and readMessageStream agree with the buffered functions', () => {
  const cases = readSharedJson<{ cases: ExpectedCase[] }>('expected.json').cases.filter(
    (c) => c.operation.startsWith('decrypt') && c.cmsType !== 'encryptedData' && !!(c.identity?.p12 ?? c.identity?.key),
  );

  it('covers the encrypted vectors with a key', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  for (const c of cases) {
    it(c.id, async () => {
      const identity = await identityFor(c);
      const bytes = readShared(c.file);
      // Found this way: a lone signature part was not-smime streamed, not-enveloped buffered.
      const buffered = await decryptMessage(bytes, { identity }).then(
        (r) => r.content,
        (e: unknown) => e,
      );
      let streamed: Uint8Array | undefined | unknown;
      try {
        const opened = await decryptMessageStream(chunked(bytes, 997), { identity });
        streamed = await drained(opened.stream);
        await opened.result;
      } catch (e) {
        streamed = e;
      }
      if (buffered instanceof SmimeError) expect((streamed as SmimeError).code, c.id).toBe(buffered.code);
      else expect(streamed, c.id).toEqual(buffered);

      const options = { ...verifyOptionsFor(c), identities: [identity] };
      const read = await readMessage(bytes, options).catch((e: unknown) => e);
      let readStreamed: unknown;
      try {
        const opened = await readMessageStream(chunked(bytes, 997), options);
        const content = await drained(opened.stream);
        const r = await opened.result;
        readStreamed = {
          ok: r.ok,
          problems: r.problems.map((p) => p.code).sort(),
          content: r.ok ? content : undefined,
        };
      } catch (e) {
        readStreamed = e;
      }
      if (read instanceof SmimeError) {
        expect((readStreamed as SmimeError).code, c.id).toBe(read.code);
        return;
      }
      const r = read as Awaited<ReturnType<typeof readMessage>>;
      expect(readStreamed, c.id).toEqual({
        ok: r.ok,
        problems: r.problems.map((p) => p.code).sort(),
        content: r.ok ? r.content : undefined,
      });
    });
  }
});
