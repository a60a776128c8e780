/**
 * Issue #14, defect 1 — sender spoofing. A valid signature by mallory@ on a message whose From says ceo@ is not a
 * verified message from ceo@: verifyMessage, readMessage, `smimekit verify` and `smimekit read` compare every
 * From (and Sender) address with the signer certificate's addresses (rfc822Name SANs; the subject emailAddress
 * only without them) and fail with `sender-mismatch`; `allowSenderMismatch` / `--allow-sender-mismatch` turn it
 * into a warning.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSignedData, type CmsSigner } from '../../src/cms/signer.js';
import { loadPrivateKey } from '../../src/crypto/private-key.js';
import { encryptMessage } from '../../src/smime/encrypt.js';
import { readMessage } from '../../src/smime/read.js';
import { signMessage } from '../../src/smime/sign.js';
import { verifyMessage } from '../../src/smime/verify.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { fromLatin1, latin1, toBase64Lines } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { chainsIntermediate, issueUser, trustListFromChains, type IssuedUser } from '../helpers/pki.js';
import { chainFile, openssl } from '../cms/fixtures.js';

const dir = tempDir();
const root = chainFile('root.pem');

/** A message from `from` (a whole RFC 5322 message: From stays outside the signature when signed). */
const message = (from: string, extra = '') =>
  `From: ${from}\r\nTo: bob@example.test\r\nSubject: wire the money\r\n${extra}Content-Type: text/plain\r\n\r\nPlease wire 10,000 EUR today.\r\n`;

/**
 * A user issued by the chains' intermediate with a subject emailAddress (which `issueUser`'s `openssl ca` drops)
 * and the given rfc822Name SANs.
 */
async function userWithSubjectEmail(name: string, subjectEmail: string, sans: string[]): Promise<CmsSigner> {
  const ca = chainsIntermediate();
  const stem = join(dir, name);
  const ext = [
    '[ee]',
    'basicConstraints = CA:FALSE',
    'keyUsage = critical,digitalSignature,nonRepudiation,keyEncipherment',
    'extendedKeyUsage = emailProtection',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    ...(sans.length ? [`subjectAltName = ${sans.map((s) => `email:${s}`).join(',')}`] : []),
  ].join('\n');
  writeFileSync(`${stem}.ext`, `${ext}\n`);
  for (const args of [
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${stem}.key`],
    ['req', '-new', '-key', `${stem}.key`, '-subj', `/CN=${name}/emailAddress=${subjectEmail}`, '-out', `${stem}.csr`],
    [
      'x509',
      '-req',
      '-in',
      `${stem}.csr`,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-set_serial',
      `0x${Date.now().toString(16)}${name.length}`,
    ],
  ]) {
    const extra =
      args[0] === 'x509'
        ? ['-days', '3650', '-sha256', '-extfile', `${stem}.ext`, '-extensions', 'ee', '-out', `${stem}.pem`]
        : [];
    const r = openssl([...args, ...extra]);
    expect(r.status, r.stderr).toBe(0);
  }
  return {
    certificate: decodePem(readFileSync(`${stem}.pem`))[0]!.der,
    privateKey: await loadPrivateKey(readFileSync(`${stem}.key`)),
    chain: [ca.certificate],
  };
}

/** `outerHeaders` + multipart/signed over `entity` (CRLF, signed as is) by every signer in `signers`. */
async function multipartSigned(outerHeaders: string, entity: string, signers: CmsSigner[]): Promise<string> {
  const sig = await createSignedData(fromLatin1(entity), { signers, detached: true });
  return (
    `${outerHeaders}MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="SIG"\r\n\r\n` +
    `--SIG\r\n${entity}\r\n--SIG\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\n\r\n${toBase64Lines(sig)}\r\n--SIG--\r\n`
  );
}

const codes = (list: { code: string }[]) => list.map((p) => p.code);

describe('sender check (issue #14, defect 1)', () => {
  let trust: TrustList;
  let mallory: IssuedUser;
  let ceo: IssuedUser;
  let both: IssuedUser;
  let spoofed: Uint8Array;
  beforeAll(async () => {
    trust = trustListFromChains();
    mallory = await issueUser(dir, { name: 'Mallory', email: 'mallory@example.test', keyType: 'p256', newKey: true });
    ceo = await issueUser(dir, { name: 'CEO', email: 'ceo@example.test', keyType: 'p256', newKey: true });
    both = await issueUser(dir, {
      name: 'CEO office',
      emails: ['ceo@example.test', 'assistant@example.test'],
      keyType: 'p256',
      newKey: true,
    });
    // Mallory's own, perfectly valid certificate and signature, on a message that says it is from the CEO.
    spoofed = await signMessage(message('Chief Executive <ceo@example.test>'), { signer: mallory.identity });
  }, 120_000);

  it('mallory signing a message From: ceo@ is not verified: sender-mismatch, signature and chain valid', async () => {
    const report = await verifyMessage(spoofed, { trust });
    expect(report.ok).toBe(false);
    expect(codes(report.problems)).toEqual(['sender-mismatch']);
    expect(report.problems[0]!.message).toContain('ceo@example.test');
    expect(report.problems[0]!.message).toContain('mallory@example.test');
    expect(report.signers[0]!.signatureValid).toBe(true);
    expect(report.signers[0]!.chain!.valid).toBe(true);
  });

  it('allowSenderMismatch makes it a warning (and the report ok)', async () => {
    const report = await verifyMessage(spoofed, { trust, allowSenderMismatch: true });
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(codes(report.warnings)).toContain('sender-mismatch');
  });

  it('the real sender passes; the domain is compared case-insensitively, the local part exactly', async () => {
    const own = await verifyMessage(await signMessage(message('ceo@example.test'), { signer: ceo.identity }), {
      trust,
    });
    expect(own.ok, JSON.stringify(own.problems)).toBe(true);
    expect(own.warnings).toEqual([]);
    const domain = await signMessage(message('CEO <ceo@Example.TEST>'), { signer: ceo.identity });
    expect((await verifyMessage(domain, { trust })).ok).toBe(true);
    const local = await signMessage(message('CEO@example.test'), { signer: ceo.identity });
    expect(codes((await verifyMessage(local, { trust })).problems)).toEqual(['sender-mismatch']);
  });

  it('every From address and the Sender address must be covered by one signer', async () => {
    const twoFrom = message('ceo@example.test, assistant@example.test');
    expect(
      codes((await verifyMessage(await signMessage(twoFrom, { signer: ceo.identity }), { trust })).problems),
    ).toEqual(['sender-mismatch']);
    expect((await verifyMessage(await signMessage(twoFrom, { signer: both.identity }), { trust })).ok).toBe(true);
    const sender = message('ceo@example.test', 'Sender: assistant@example.test\r\n');
    expect(
      codes((await verifyMessage(await signMessage(sender, { signer: ceo.identity }), { trust })).problems),
    ).toEqual(['sender-mismatch']);
    expect((await verifyMessage(await signMessage(sender, { signer: both.identity }), { trust })).ok).toBe(true);
  });

  it('a second From header field, or one without a readable address, is not skipped', async () => {
    const second = message('ceo@example.test', 'From: boss@example.test\r\n');
    expect(
      codes((await verifyMessage(await signMessage(second, { signer: ceo.identity }), { trust })).problems),
    ).toEqual(['sender-mismatch']);
    const garbage = message('ceo@example.test', 'Sender: the boss (trust me)\r\n');
    expect(
      codes((await verifyMessage(await signMessage(garbage, { signer: ceo.identity }), { trust })).problems),
    ).toEqual(['sender-mismatch']);
    const emptyGroup = message('undisclosed-senders:;');
    expect(
      codes((await verifyMessage(await signMessage(emptyGroup, { signer: ceo.identity }), { trust })).problems),
    ).toEqual(['sender-mismatch']);
  });

  it('a message with no From and no Sender is verified with the warning sender-missing', async () => {
    const bare = await signMessage('Content-Type: text/plain\r\n\r\nno headers\r\n', { signer: ceo.identity });
    const report = await verifyMessage(bare, { trust });
    expect(report.ok).toBe(true);
    expect(codes(report.warnings)).toEqual(['sender-missing']);
    // With `from` the caller named the sender: the signer is checked against it, and nothing is missing.
    const named = await verifyMessage(bare, { trust, from: 'ceo@example.test' });
    expect(named.ok).toBe(true);
    expect(named.warnings).toEqual([]);
    expect(codes((await verifyMessage(bare, { trust, from: 'boss@example.test' })).problems)).toEqual([
      'email-mismatch',
    ]);
  });

  it('one of several signers whose signature verifies is enough; a signer of an attached message is not', async () => {
    const entity = 'Content-Type: text/plain\r\n\r\nco-signed\r\n';
    const cosigned = await multipartSigned('From: ceo@example.test\r\n', entity, [mallory.identity, ceo.identity]);
    const report = await verifyMessage(cosigned, { trust });
    // SignerInfos are a SET: sorted by their DER, not in the order given.
    expect(report.signers.map((s) => s.email).sort()).toEqual(['ceo@example.test', 'mallory@example.test']);
    expect(report.ok, JSON.stringify(report.problems)).toBe(true);
    // Mallory forwards a message the CEO really signed, inside her own signed message "From: ceo@".
    const ceoSigned = latin1(await signMessage(message('ceo@example.test'), { signer: ceo.identity }));
    const forward = `Content-Type: multipart/mixed; boundary="FWD"\r\n\r\n--FWD\r\nContent-Type: text/plain\r\n\r\nsee below, and wire it to my account\r\n--FWD\r\nContent-Type: message/rfc822\r\n\r\n${ceoSigned}\r\n--FWD--\r\n`;
    const wrapped = await multipartSigned('From: ceo@example.test\r\n', forward, [mallory.identity]);
    const fwd = await verifyMessage(wrapped, { trust });
    expect(fwd.layers.map((l) => l.path)).toEqual(['/', '/signed/2/rfc822']);
    expect(fwd.signers.map((s) => s.email)).toEqual(['mallory@example.test', 'ceo@example.test']);
    expect(codes(fwd.problems)).toEqual(['sender-mismatch']);
  });

  it('a signed part pasted inside the signed content does not vouch for the message', async () => {
    // Mallory pastes an entity the CEO really signed (inline, not as an attachment) under her own text.
    const ceoEntity = latin1(
      await signMessage('Content-Type: text/plain\r\n\r\nApproved.\r\n', { signer: ceo.identity }),
    );
    const pasted = `Content-Type: multipart/mixed; boundary="P"\r\n\r\n--P\r\nContent-Type: text/plain\r\n\r\nwire it to my account\r\n--P\r\n${ceoEntity}\r\n--P--\r\n`;
    const report = await verifyMessage(
      await multipartSigned('From: ceo@example.test\r\n', pasted, [mallory.identity]),
      {
        trust,
      },
    );
    expect(report.layers.map((l) => l.path)).toEqual(['/', '/signed/2']);
    expect(report.signers.every((s) => s.signatureValid)).toBe(true);
    expect(report.coverage.complete).toBe(true);
    expect(codes(report.problems)).toEqual(['sender-mismatch']);
  });

  it('certificate addresses: the rfc822Name SANs; the subject emailAddress only when there is none', async () => {
    const sanAndSubject = await userWithSubjectEmail('san-and-subject', 'ceo@example.test', ['mallory@example.test']);
    const subjectOnly = await userWithSubjectEmail('subject-only', 'ceo@example.test', []);
    expect(parseCertificate(sanAndSubject.certificate).smimeAddresses).toEqual(['mallory@example.test']);
    // Certificate.emailAddresses (address books) still lists both.
    expect(parseCertificate(sanAndSubject.certificate).emailAddresses).toEqual([
      'mallory@example.test',
      'ceo@example.test',
    ]);
    expect(parseCertificate(subjectOnly.certificate).smimeAddresses).toEqual(['ceo@example.test']);
    // An explicit expected address (`from`, `validateCertificate`'s `email`) reads the certificate the same way.
    const explicit = await verifyMessage(await signMessage(message('ceo@example.test'), { signer: sanAndSubject }), {
      trust,
      from: 'ceo@example.test',
      allowSenderMismatch: true,
    });
    expect(codes(explicit.problems)).toContain('email-mismatch');
    const viaSubject = await verifyMessage(await signMessage(message('ceo@example.test'), { signer: sanAndSubject }), {
      trust,
    });
    expect(codes(viaSubject.problems)).toEqual(['sender-mismatch']);
    const onlySubject = await verifyMessage(await signMessage(message('ceo@example.test'), { signer: subjectOnly }), {
      trust,
    });
    expect(onlySubject.ok, JSON.stringify(onlySubject.problems)).toBe(true);
  });

  describe('header protection (RFC 9788): the signed copy counts, and so does the copy outside', () => {
    const inner = (from: string) =>
      `Content-Type: text/plain; charset=us-ascii; hp="clear"\r\nFrom: ${from}\r\nSubject: contract\r\n\r\nBob, cancel the contract.\r\n`;

    it('the signed From is checked: a matching outer From does not hide a spoofed signed one', async () => {
      const msg = await multipartSigned('From: mallory@example.test\r\n', inner('ceo@example.test'), [
        mallory.identity,
      ]);
      const report = await verifyMessage(msg, { trust });
      expect(codes(report.problems)).toEqual(['sender-mismatch']);
      expect(report.problems[0]!.message).toContain('signed at /');
    });

    it('the outer From is checked too: what a client without header protection displays', async () => {
      const msg = await multipartSigned('From: ceo@example.test\r\n', inner('mallory@example.test'), [
        mallory.identity,
      ]);
      expect(codes((await verifyMessage(msg, { trust })).problems)).toEqual(['sender-mismatch']);
    });

    it('without an outer From the signed copy is the one compared', async () => {
      const ok = await multipartSigned('', inner('mallory@example.test'), [mallory.identity]);
      const report = await verifyMessage(ok, { trust });
      expect(report.ok, JSON.stringify(report.problems)).toBe(true);
      expect(report.warnings).toEqual([]);
      const bad = await multipartSigned('', inner('ceo@example.test'), [mallory.identity]);
      expect(codes((await verifyMessage(bad, { trust })).problems)).toEqual(['sender-mismatch']);
    });

    it('a message/rfc822 wrapper as the signed entity: its From counts', async () => {
      const wrapper = (from: string) =>
        `Content-Type: message/rfc822\r\n\r\nFrom: ${from}\r\nSubject: wrapped\r\nContent-Type: text/plain\r\n\r\nwrapped body\r\n`;
      const good = await multipartSigned('', wrapper('mallory@example.test'), [mallory.identity]);
      expect((await verifyMessage(good, { trust })).ok).toBe(true);
      const bad = await multipartSigned('', wrapper('ceo@example.test'), [mallory.identity]);
      expect(codes((await verifyMessage(bad, { trust })).problems)).toEqual(['sender-mismatch']);
    });
  });

  it('`from` keeps its meaning (every signer must be for it: email-mismatch), and the From header is still checked', async () => {
    const wrongFrom = await verifyMessage(spoofed, { trust, from: 'ceo@example.test' });
    expect(codes(wrongFrom.problems)).toEqual(['email-mismatch', 'sender-mismatch']);
    const rightFrom = await verifyMessage(spoofed, { trust, from: 'mallory@example.test' });
    expect(codes(rightFrom.problems)).toEqual(['sender-mismatch']);
    const relaxed = await verifyMessage(spoofed, { trust, from: 'mallory@example.test', allowSenderMismatch: true });
    expect(relaxed.ok).toBe(true);
  });

  it('a tampered message reports the signature problem, not a sender problem', async () => {
    const tampered = latin1(spoofed).replace('10,000', '90,000');
    const report = await verifyMessage(tampered, { trust });
    expect(codes(report.problems)).toEqual(['digest-mismatch']);
  });

  describe('readMessage: the From outside the encryption against the signer inside', () => {
    let signedThenEncrypted: Uint8Array;
    beforeAll(async () => {
      const signed = await signMessage(message('ceo@example.test'), { signer: mallory.identity });
      ({ message: signedThenEncrypted } = await encryptMessage(signed, {
        recipients: [{ address: 'ceo@example.test', certificate: ceo.certificate }],
        sender: { address: 'mallory@example.test', certificate: mallory.certificate },
        validate: false,
      }));
      expect(latin1(signedThenEncrypted)).toMatch(/^From: ceo@example\.test\r\n/);
    });

    it('sender-mismatch makes the result not ok; allowSenderMismatch makes it a warning', async () => {
      const read = await readMessage(signedThenEncrypted, { trust, identities: [ceo.identity] });
      expect(read.ok).toBe(false);
      expect(read.problems.map((p) => p.code)).toEqual(['sender-mismatch']);
      expect(read.problems[0]!.layer).toBe(1); // the signed layer inside the envelope
      const relaxed = await readMessage(signedThenEncrypted, {
        trust,
        identities: [ceo.identity],
        allowSenderMismatch: true,
      });
      expect(relaxed.ok).toBe(true);
      expect(relaxed.warnings.map((w) => w.code)).toEqual(['sender-mismatch']);
    });

    it('a plain signed message too', async () => {
      const read = await readMessage(spoofed, { trust });
      expect(read.problems.map((p) => p.code)).toEqual(['sender-mismatch']);
      const own = await readMessage(await signMessage(message('ceo@example.test'), { signer: ceo.identity }), {
        trust,
      });
      expect(own.ok, JSON.stringify(own.problems)).toBe(true);
      expect(own.warnings).toEqual([]);
    });
  });

  describe('command line', () => {
    let spoofedFile: string;
    beforeAll(() => {
      spoofedFile = join(dir, 'spoofed.eml');
      writeFileSync(spoofedFile, spoofed);
    });

    it('smimekit verify exits 1 with error sender-mismatch and writes nothing', async () => {
      const v = await cli(['verify', '--trust', root, '--in', spoofedFile]);
      expect(v.code).toBe(1);
      expect(errorCode(v)).toBe('sender-mismatch');
      expect(v.stdout).toBe('');
      expect(v.stderr).toMatch(/^NOT VERIFIED/);
    });

    it('--json lists the problem; --allow-sender-mismatch exits 0 with a warning line', async () => {
      const json = await cli(['verify', '--trust', root, '--json', '--in', spoofedFile]);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout).problems.map((p: { code: string }) => p.code)).toEqual(['sender-mismatch']);
      const relaxed = await cli(['verify', '--trust', root, '--allow-sender-mismatch', '--in', spoofedFile]);
      expect(relaxed.code, relaxed.stderr).toBe(0);
      expect(relaxed.stderr).toMatch(/^VERIFIED/);
      expect(relaxed.stderr).toMatch(/^warning sender-mismatch: /m);
      expect(relaxed.stdout).toContain('Please wire');
    });

    it('smimekit read: exit 1 error sender-mismatch; --allow-sender-mismatch exit 0 with a warning line', async () => {
      const r = await cli(['read', '--trust', root, '--in', spoofedFile]);
      expect(r.code).toBe(1);
      expect(errorCode(r)).toBe('sender-mismatch');
      expect(r.stdout).toBe('');
      const relaxed = await cli(['read', '--trust', root, '--allow-sender-mismatch', '--in', spoofedFile]);
      expect(relaxed.code, relaxed.stderr).toBe(0);
      expect(relaxed.stderr).toMatch(/^warning sender-mismatch: /m);
      expect(relaxed.stdout).toContain('Please wire');
    });
  });
});
