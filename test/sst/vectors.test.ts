import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkSstEntries,
  createSst,
  describeSstEntry,
  getSstProperty,
  parseSst,
  serializeSst,
  sstEnhancedKeyUsage,
  sstFriendlyName,
  SstPropertyId,
  type SstStore,
} from '../../src/sst.js';
import { toHex } from '../../src/util/bytes.js';
import { readCertificate } from '../../src/x509/index.js';
import { describeVectors, readShared, readSharedJson, sharedPath } from '../helpers/vectors.js';

interface ExpectedEntry {
  type: 'cert' | 'crl';
  offset: number;
  length: number;
  sha1: string;
  propertyIds: number[];
  subjectCN?: string;
  subject?: string;
  issuer?: string;
  friendlyName?: string;
}
interface ExpectedFile {
  size: number;
  sha256: string;
  certificates: number;
  crls: number;
  ctls: number;
  elementsIncludingEndMarker: number;
  propertyIdCounts: Record<string, number>;
  zeroLengthPropertyCounts: Record<string, number>;
  bytesAfterEndMarker: number;
  certsRejectedByStrictDerParser: Array<{ index: number; sha1: string }>;
  firstEntries: ExpectedEntry[];
  lastEntrySha1: string | null;
}

const sha1Hex = (d: Uint8Array) => createHash('sha1').update(d).digest('hex');

describeVectors('SST: real and synthetic files in ../shared/vectors/sst', () => {
  const expected = readSharedJson<{ files: Record<string, ExpectedFile> }>('sst', 'expected.json').files;
  const files = readdirSync(sharedPath('sst')).filter((f) => f.endsWith('.sst'));

  it('has an oracle entry for every .sst file', () => {
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, exp] of Object.entries(expected)) {
    describe(name, () => {
      const bytes = readShared('sst', name);
      const store = parseSst(bytes);

      it('is the file the oracle describes', () => {
        expect(bytes.length).toBe(exp.size);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(exp.sha256);
      });

      it('has the stated counts of certificates, CRLs, CTLs and elements', () => {
        expect(store.certificates.length).toBe(exp.certificates);
        expect(store.crls.length).toBe(exp.crls);
        expect(store.ctls.length).toBe(exp.ctls);
        const all = [...store.certificates, ...store.crls, ...store.ctls];
        const elements = all.reduce((n, e) => n + 1 + e.properties.length, 1);
        expect(elements).toBe(exp.elementsIncludingEndMarker);
        expect(store.trailingBytes?.length ?? 0).toBe(exp.bytesAfterEndMarker);
      });

      it('has the stated property id counts, zero-length values included', () => {
        const counts: Record<string, number> = {};
        const zero: Record<string, number> = {};
        for (const e of [...store.certificates, ...store.crls]) {
          for (const p of e.properties) {
            counts[p.id] = (counts[p.id] ?? 0) + 1;
            if (p.value.length === 0) zero[p.id] = (zero[p.id] ?? 0) + 1;
          }
        }
        expect(counts).toEqual(exp.propertyIdCounts);
        expect(zero).toEqual(exp.zeroLengthPropertyCounts);
      });

      it('has the stated first entries: offsets, SHA-1s, properties, subjects, friendly names', () => {
        const ordered = [...store.certificates, ...store.crls].sort((a, b) => a.position! - b.position!);
        exp.firstEntries.forEach((e, i) => {
          const entry = ordered[i]!;
          expect(entry.kind).toBe(e.type === 'cert' ? 'certificate' : 'crl');
          expect(entry.offset).toBe(e.offset);
          expect(entry.der.length).toBe(e.length);
          expect(sha1Hex(entry.der)).toBe(e.sha1);
          expect(entry.properties.map((p) => p.id)).toEqual(e.propertyIds);
          const d = describeSstEntry(entry, i);
          if (e.subject) expect(d.subject).toBe(e.subject);
          if (e.issuer) expect(d.issuer).toBe(e.issuer);
          if (e.friendlyName) expect(sstFriendlyName(entry)).toBe(e.friendlyName);
        });
        const last = ordered[ordered.length - 1];
        expect(last ? sha1Hex(last.der) : null).toBe(exp.lastEntrySha1);
      });

      it('re-serializes byte-identically', () => {
        const out = serializeSst(store);
        expect(out.length).toBe(bytes.length);
        expect(Buffer.compare(Buffer.from(out), Buffer.from(bytes))).toBe(0);
      });

      it('reports exactly the entries a strict DER parser rejects, and still loads', () => {
        const notDer = checkSstEntries(store)
          .filter((p) => p.code === 'not-der' || p.code === 'malformed-certificate')
          .map((p) => ({ index: p.index, sha1: p.sha1 }));
        expect(notDer).toEqual(exp.certsRejectedByStrictDerParser);
        // Stored SHA-1 properties match the content in every real file.
        expect(checkSstEntries(store).filter((p) => p.code === 'stored-hash-mismatch')).toEqual([]);
      });
    });
  }

  it('createSst writes the properties Windows wrote for every root in the AuthRoot store', () => {
    const real = parseSst(readShared('sst', 'certutil-generateSSTFromWU-root.sst'));
    const created = createSst(
      real.certificates.map((e) => ({
        certificate: e.der,
        friendlyName: sstFriendlyName(e)!,
        ...(sstEnhancedKeyUsage(e) ? { enhancedKeyUsage: sstEnhancedKeyUsage(e)! } : {}),
      })),
    );
    expect(created.certificates.length).toBe(507);
    let withoutSki = 0;
    created.certificates.forEach((mine, i) => {
      const theirs = real.certificates[i]!;
      expect(mine.der).toEqual(theirs.der);
      for (const id of [
        SstPropertyId.FRIENDLY_NAME,
        SstPropertyId.ENHKEY_USAGE,
        SstPropertyId.KEY_IDENTIFIER,
        SstPropertyId.SUBJECT_NAME_MD5_HASH,
        SstPropertyId.SHA1_HASH,
      ]) {
        const a = getSstProperty(mine, id);
        const b = getSstProperty(theirs, id);
        expect(a && toHex(a), `${i} property ${id}`).toBe(b && toHex(b));
      }
      // Windows' property order varies between groups (149 orderings in this file); SHA-1 comes last in all of them.
      expect(mine.properties.at(-1)!.id).toBe(SstPropertyId.SHA1_HASH);
      expect(theirs.properties.at(-1)!.id).toBe(SstPropertyId.SHA1_HASH);
      if (!readCertificate(mine.der).subjectKeyIdentifier) withoutSki++;
    });
    expect(withoutSki).toBeGreaterThan(0); // the key-identifier fallback (SHA-1 of the SPKI) was exercised
  });

  it('createSst reproduces the synthetic store layout for a certificate and a CRL', () => {
    const real = parseSst(readShared('sst', 'synthetic-mixed.sst'));
    const [alice] = real.certificates;
    const created: SstStore = createSst(
      [{ certificate: alice!.der, friendlyName: sstFriendlyName(alice!)!, enhancedKeyUsage: ['1.3.6.1.5.5.7.3.4'] }],
      {
        crls: [real.crls[0]!.der],
      },
    );
    expect(sstFriendlyName(created.certificates[0]!)).toBe('Alice ✓ S/MIME (synthetic)');
    for (const id of [
      SstPropertyId.FRIENDLY_NAME,
      SstPropertyId.ENHKEY_USAGE,
      SstPropertyId.KEY_IDENTIFIER,
      SstPropertyId.SHA1_HASH,
    ]) {
      expect(toHex(getSstProperty(created.certificates[0]!, id)!)).toBe(toHex(getSstProperty(alice!, id)!));
    }
    expect(created.crls[0]!.properties).toEqual(
      real.crls[0]!.properties.map((p) => ({ id: p.id, value: new Uint8Array(p.value) })),
    );
    const again = parseSst(serializeSst(created));
    expect(again.certificates.length).toBe(1);
    expect(again.crls.length).toBe(1);
  });
});
