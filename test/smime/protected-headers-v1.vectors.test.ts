/**
 * The older `protected-headers="v1"` scheme on real third-party mail: the LAMPS sample messages of the notmuch
 * corpus (../shared/vectors/notmuch, SOURCES.md "notmuch/"), Alice to Bob, signed, signed and encrypted,
 * encrypted with a legacy display part. Read as Bob with the sample CA as the only trust anchor (valid to 2052).
 */
import { beforeAll, expect, it } from 'vitest';
import { loadIdentity, type Identity } from '../../src/crypto/identity.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { readMessage } from '../../src/smime/read.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { verifyReportToJson, verifyReportToText } from '../../src/smime/report.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { fromLatin1, latin1 } from '../../src/util/bytes.js';
import { describeVectors, readShared } from '../helpers/vectors.js';

const corpus = (name: string) => readShared('notmuch', 'corpora', 'protected-headers', `${name}.eml`);
const ALICE = 'Alice Lovelace <alice@smime.example>';
const BOB = 'Bob Babbage <bob@smime.example>';
const FOOCORP = 'The FooCorp contract';
const BARCORP = "BarCorp contract signed, let's go!";

/** The protected header fields of each sample, in the order its payload writes them. */
const protectedOf = (date: string, subject: string, id: string): [string, string][] => [
  ['From', ALICE],
  ['To', BOB],
  ['Date', date],
  ['Subject', subject],
  ['Message-ID', `<${id}@protected-headers.example>`],
];

describeVectors('protected-headers="v1": the notmuch LAMPS samples', () => {
  let bob: Identity;
  let trust: TrustList;
  beforeAll(async () => {
    bob = await loadIdentity(readShared('notmuch', 'smime', 'bob.p12'), '');
    trust = new TrustList();
    trust.addBytes(readShared('notmuch', 'smime', 'ca.crt'));
  });
  const read = (m: Uint8Array) => readMessage(m, { identities: [bob], trust });
  const shownBody = (display: Uint8Array) => latin1(decodedBody(parseMime(display)));

  for (const [name, date] of [
    ['smime-onepart-signed', 'Tue, 26 Nov 2019 20:06:00 -0400'],
    ['smime-multipart-signed', 'Tue, 26 Nov 2019 20:03:00 -0400'],
  ] as const) {
    it(`${name}: signed only, the protected fields are trusted and match the outer ones`, async () => {
      const fields = protectedOf(date, FOOCORP, name);
      for (const result of [await verifyMessage(corpus(name), { trust }), await read(corpus(name))]) {
        expect(result.ok).toBe(true);
        expect(result.warnings).toEqual([]);
        const { display, ...hp } = result.headerProtection!;
        expect(hp).toEqual({
          format: 'protected-headers-v1',
          hp: 'clear',
          scheme: 'signed-only',
          trusted: true,
          protectedBy: { signature: true, encryption: false },
          protectedHeaders: fields,
          hpOuter: [],
          confidential: [],
          outerMismatches: [],
          displayHeaders: fields,
          legacyDisplayRemoved: false,
        });
        const shown = parseMime(display);
        expect(shown.headers.find((h) => h.name === 'Subject')?.value).toBe(FOOCORP);
        expect(shownBody(display).startsWith('Bob, we need to cancel this contract.\r\n')).toBe(true);
      }
    });
  }

  it('verify prints and serialises the format', async () => {
    const report = await verifyMessage(corpus('smime-multipart-signed'), { trust });
    expect(verifyReportToText(report)).toContain(
      '\nheader protection: signed-only (protected-headers="v1", a scheme older than RFC 9788), the protected header fields are displayed\n',
    );
    const json = verifyReportToJson(report) as { headerProtection: { format: string; displayLength: number } };
    expect(json.headerProtection.format).toBe('protected-headers-v1');
    expect(json.headerProtection.displayLength).toBe(report.headerProtection!.display.length);
  });

  for (const [name, date, legacy] of [
    ['smime-sign+enc', 'Wed, 27 Nov 2019 01:15:00 -0700', false],
    ['smime-sign+enc+legacy-disp', 'Wed, 27 Nov 2019 01:24:00 -0700', true],
    ['smime-enc+legacy-disp', 'Wed, 27 Nov 2019 01:27:00 -0700', true],
  ] as const) {
    it(`${name}: the real Subject instead of "...", not a mismatch${legacy ? ', the legacy display part removed' : ''}`, async () => {
      const signed = name.includes('sign');
      const r = await read(corpus(name));
      expect([r.ok, r.encrypted, r.problems]).toEqual([true, true, []]);
      // 3DES without a signature is malleable: the only warning of the encrypted-only sample.
      expect(r.warnings.map((w) => w.code)).toEqual(signed ? [] : ['unauthenticated-encryption']);
      const fields = protectedOf(date, BARCORP, name);
      const { display, ...hp } = r.headerProtection!;
      expect(hp).toEqual({
        format: 'protected-headers-v1',
        hp: 'cipher',
        scheme: 'encrypted',
        trusted: true,
        protectedBy: { signature: signed, encryption: true },
        protectedHeaders: fields,
        hpOuter: [],
        confidential: ['Subject'],
        outerMismatches: [],
        displayHeaders: fields,
        legacyDisplayRemoved: legacy,
      });
      // The content is the payload as decrypted (and verified), legacy display part included.
      expect(latin1(r.content).includes(`\r\n\r\nSubject: ${BARCORP}\r\n`)).toBe(legacy);
      const shown = parseMime(display);
      expect(shown.headers.find((h) => h.name === 'Subject')?.value).toBe(BARCORP);
      expect(shown.contentType.mediaType).toBe('text/plain');
      const body = shownBody(display);
      expect(body.startsWith('Hi Bob!\r\n\r\nI just signed the contract with BarCorp')).toBe(true);
      expect(body).toContain(`(this is the '${name}' message)`);
    });
  }

  it('a From changed outside a signed sample is a header-mismatch; the protected From is displayed', async () => {
    const tampered = fromLatin1(
      latin1(corpus('smime-multipart-signed')).replace(`From: ${ALICE}`, 'From: Alice Lovelace <alice@evil.example>'),
    );
    const report = await verifyMessage(tampered, { trust });
    expect(report.warnings).toEqual([
      {
        code: 'header-mismatch',
        message: `the outer From header is "Alice Lovelace <alice@evil.example>" but the protected header says "${ALICE}": changed in transit or by an attacker (show the protected value)`,
      },
    ]);
    const hp = report.headerProtection!;
    expect(hp.outerMismatches).toEqual([
      { name: 'From', protected: [ALICE], outer: ['Alice Lovelace <alice@evil.example>'] },
    ]);
    expect(hp.displayHeaders[0]).toEqual(['From', ALICE]);
    // As for any signed message, the outer From must also be the signer's (the signature itself is intact).
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code)).toEqual(['sender-mismatch']);
    expect(report.signers.map((s) => s.signatureValid)).toEqual([true]);
  });

  it('an outer Subject changed on an encrypted sample is still only the expected obscuring when a placeholder', async () => {
    const text = latin1(corpus('smime-sign+enc'));
    const bracketed = await read(fromLatin1(text.replace('\nSubject: ...', '\nSubject: [...]')));
    expect([bracketed.headerProtection!.confidential, bracketed.warnings]).toEqual([['Subject'], []]);
    const changed = await read(fromLatin1(text.replace('\nSubject: ...', '\nSubject: Invoice')));
    expect(changed.headerProtection!.confidential).toEqual([]);
    expect(changed.headerProtection!.outerMismatches).toEqual([
      { name: 'Subject', protected: [BARCORP], outer: ['Invoice'] },
    ]);
    expect(changed.warnings.map((w) => [w.layer, w.code])).toEqual([[1, 'header-mismatch']]);
  });

  it('a signature that does not verify: not trusted, the outer header fields are displayed', async () => {
    // The protected Subject inside the signed part changed: the signature no longer covers what is there.
    const text = latin1(corpus('smime-multipart-signed'));
    const inner = text.indexOf(`Subject: ${FOOCORP}`, text.indexOf('--179'));
    const forged = fromLatin1(`${text.slice(0, inner)}Subject: The FooCorp contract is off${text.slice(inner + 29)}`);
    const report = await verifyMessage(forged, { trust });
    expect(report.ok).toBe(false);
    const hp = report.headerProtection!;
    expect([hp.format, hp.trusted, hp.protectedBy, hp.outerMismatches]).toEqual([
      'protected-headers-v1',
      false,
      { signature: false, encryption: false },
      [],
    ]);
    expect(hp.protectedHeaders[3]).toEqual(['Subject', 'The FooCorp contract is off']);
    expect(hp.displayHeaders.find(([n]) => n === 'Subject')).toEqual(['Subject', FOOCORP]);
    expect(parseMime(hp.display).headers.find((h) => h.name === 'Subject')?.value).toBe(FOOCORP);
    expect(report.warnings.filter((w) => w.code === 'header-mismatch')).toEqual([]);
  });
});
