/** CMS-level checks on the shared RFC 4134 / Bouncy Castle vectors: countersignatures, SKI signers, BER, DSA parameter inheritance. */
import { expect, it } from 'vitest';
import { parseSignedData } from '../../src/cms/signed-data.js';
import { verifySignedData } from '../../src/cms/verify-signed-data.js';
import { latin1 } from '../../src/util/bytes.js';
import { describeVectors, readShared } from '../helpers/vectors.js';

describeVectors('CMS SignedData vectors', () => {
  it('RFC 4134 §4.4: main signature and the countersignature (by AliceRSA, certificate supplied) verify', async () => {
    const sd = parseSignedData(readShared('rfc4134/4.4.bin'));
    const [main] = await verifySignedData(sd, {
      allowWeak: true,
      certificates: [readShared('rfc4134/AliceRSASignByCarl.cer')],
    });
    expect(main!.signatureValid).toBe(true);
    expect(main!.signingTime).toEqual(new Date('2003-05-14T15:39:00Z'));
    expect(main!.countersignatures).toHaveLength(1);
    expect(main!.countersignatures![0]!.signatureValid).toBe(true);
    // Tampering with the countersigned signature value breaks the countersignature.
    sd.signerInfos[0]!.signature[0]! ^= 1;
    const [tampered] = await verifySignedData(sd, {
      allowWeak: true,
      certificates: [readShared('rfc4134/AliceRSASignByCarl.cer')],
    });
    expect(tampered!.countersignatures![0]!.problems[0]!.code).toBe('digest-mismatch');
  });

  it('Bouncy Castle counterSig: SKI-identified signer with a valid countersignature', async () => {
    const sd = parseSignedData(readShared('bouncycastle/bc-csharp-cms-sigs/counterSig.p7m'));
    const [r] = await verifySignedData(sd, { allowWeak: true });
    expect(r!.signatureValid).toBe(true);
    expect(r!.countersignatures?.every((c) => c.signatureValid)).toBe(true);
  });

  it('RFC 4134 §4.5 (BER, indefinite lengths, chunked content) and §4.7 (SKI signer)', async () => {
    const ber = parseSignedData(readShared('rfc4134/4.5.bin'));
    expect(latin1(ber.content!)).toBe('This is some sample content.');
    expect((await verifySignedData(ber, { allowWeak: true }))[0]!.signatureValid).toBe(true);
    const ski = parseSignedData(readShared('rfc4134/4.7.bin'));
    expect(ski.signerInfos[0]!.sid.type).toBe('subjectKeyIdentifier');
    expect((await verifySignedData(ski, { allowWeak: true }))[0]!.signatureValid).toBe(true);
  });

  it('RFC 4134 §4.6: Diane’s DSA key inherits its parameters from CarlDSS', async () => {
    const sd = parseSignedData(readShared('rfc4134/4.6.bin'));
    const withIssuer = await verifySignedData(sd, {
      allowWeak: true,
      certificates: [readShared('rfc4134/CarlDSSSelf.cer')],
    });
    expect(withIssuer.map((r) => r.signatureValid)).toEqual([true, true]);
  });

  it('DSA and SHA-1 are weak-algorithm without allowWeak', async () => {
    const [r] = await verifySignedData(parseSignedData(readShared('rfc4134/4.1.bin')));
    expect(r!.problems[0]!.code).toBe('weak-algorithm');
  });

  it('the S/MIME report lists countersignatures', async () => {
    const { verifySignedContent } = await import('../../src/smime/verify.js');
    const { TrustList } = await import('../../src/trust/trust-list.js');
    const report = await verifySignedContent(readShared('bouncycastle/bc-csharp-cms-sigs/counterSig.p7m'), {
      trust: new TrustList(),
      allowWeak: true,
    });
    expect(report.signers[0]!.countersignatures?.length).toBeGreaterThan(0);
    expect(report.signers[0]!.countersignatures!.every((c) => c.signatureValid)).toBe(true);
  });
});
