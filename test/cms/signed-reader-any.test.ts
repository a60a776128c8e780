/**
 * PKCS#7 v1.5 `content ANY`: a SignedData of another type than id-data whose eContent is a structure, not an OCTET
 * STRING (RFC 5652 §5.2.1 keeps reading it). The signature covers the contents octets; the streamed reader gives the
 * same content and digests as `parseSignedData`, and id-data stays an OCTET STRING only. Both readers also refuse
 * an eContent `[0]` that holds no value or more than one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createSignedData } from '../../src/cms/signer.js';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { verifySignedData } from '../../src/cms/verify-signed-data.js';
import { openSignedDataStream } from '../../src/cms/stream/signed-reader.js';
import { CONTENT_TYPE } from '../../src/cms/content-info.js';
import { bytesEqual, fromLatin1 } from '../../src/util/bytes.js';
import { chunked, collect } from '../helpers/streams.js';
import { AT, identity, type TestIdentity } from './fixtures.js';

let alice: TestIdentity;
beforeAll(async () => {
  alice = await identity('ee-rsa');
});

/** An INTEGER and a UTF8String: the children of the SEQUENCE the content becomes. */
const STRUCTURE = Uint8Array.of(0x02, 0x01, 0x05, 0x0c, 0x05, ...fromLatin1('hello'));
/** id-ct-TSTInfo: a type other than data, whose content PKCS#7 would have carried as ANY. */
const OTHER_TYPE = '1.2.840.113549.1.9.16.1.4';

/** Signs `STRUCTURE` as eContent of `contentType`, then re-tags its OCTET STRING as a SEQUENCE (contents unchanged). */
async function asAny(contentType: string): Promise<Uint8Array> {
  const der = await createSignedData(STRUCTURE, {
    signers: [{ certificate: alice.certificate, privateKey: alice.privateKey, chain: alice.chain }],
    contentType,
    detached: false,
    signingTime: AT,
  });
  const octets = Buffer.from(der).indexOf(Buffer.from([0x04, STRUCTURE.length, ...STRUCTURE]));
  expect(octets).toBeGreaterThan(0);
  const copy = der.slice();
  copy[octets] = 0x30;
  return copy;
}

describe('openSignedDataStream: PKCS#7 content ANY', () => {
  it('a structure as eContent of another type streams as its contents octets and verifies, as when buffered', async () => {
    const der = await asAny(OTHER_TYPE);
    const buffered = parseSignedData(der);
    expect(bytesEqual(buffered.content!, STRUCTURE)).toBe(true);
    expect((await verifySignedData(buffered))[0]?.signatureValid).toBe(true);
    for (const sizes of [[1], [3, 7], [65536]]) {
      const opened = await openSignedDataStream(chunked(der, sizes));
      expect(opened.contentType).toBe(OTHER_TYPE);
      expect(bytesEqual(await collect(opened.content), STRUCTURE)).toBe(true);
      const { signedData, contentDigests, contentLength } = await opened.result;
      expect(contentLength).toBe(STRUCTURE.length);
      const checks = await verifySignedData(signedData, { contentDigests });
      expect(checks[0]?.signatureValid, JSON.stringify(checks[0]?.problems)).toBe(true);
    }
  });

  it('id-data content that is not an OCTET STRING is malformed-cms, streamed as buffered', async () => {
    const der = await asAny(CONTENT_TYPE.data);
    expect(() => parseSignedData(der)).toThrow(expect.objectContaining({ code: 'malformed-cms' }));
    await expect(openSignedDataStream(chunked(der, [5]))).rejects.toMatchObject({
      code: 'malformed-cms',
      message: expect.stringMatching(/eContent of id-data is not an OCTET STRING/),
    });
  });
});

/** What the streamed reader says of `der` read to its end: 'ok' or the error code. */
async function streamed(der: Uint8Array): Promise<string> {
  try {
    const opened = await openSignedDataStream(chunked(der, [1]));
    opened.result.catch(() => undefined);
    await collect(opened.content);
    await opened.result;
    return 'ok';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('eContent [0] holds exactly one value, streamed as buffered', () => {
  it('an empty [0] (the OCTET STRING after it), or two values in it: malformed-cms from both readers', async () => {
    const content = fromLatin1('hello');
    const der = await createSignedData(content, {
      signers: [{ certificate: alice.certificate, privateKey: alice.privateKey, chain: alice.chain }],
      detached: false,
      signingTime: AT,
    });
    const wrapped = Buffer.from([0xa0, 0x07, 0x04, 0x05, ...content]);
    const at = Buffer.from(der).indexOf(wrapped);
    expect(at).toBeGreaterThan(0);
    expect(await streamed(der)).toBe('ok');
    // What the streaming property test found: [0]'s length made 0 leaves it empty and the content after it.
    const empty = der.slice();
    empty[at + 1] = 0;
    // The same seven bytes as two OCTET STRINGs: '' and 'llo'.
    const two = der.slice();
    two.set([0x04, 0x00, 0x04, 0x03, ...fromLatin1('llo')], at + 2);
    for (const bad of [empty, two]) {
      expect(() => parseSignedData(bad)).toThrow(expect.objectContaining({ code: 'malformed-cms' }));
      expect(await streamed(bad)).toBe('malformed-cms');
    }
  });
});
