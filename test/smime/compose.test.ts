/**
 * composeMessage with real certificates, a MemoryDirectory and OpenSSL as the independent reader:
 * Bcc forking (Bcc never written), the sender always included, nobody dropped, lists, and each
 * SmimePolicy field changing the output the way its Set-SmimeConfig parameter says.
 * (Headers, body entity and copy planning without crypto: compose-headers.test.ts.)
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateMissingError, CryptoError } from '../../src/errors.js';
import { toBase64 } from '../../src/util/bytes.js';
import { parseContentInfo } from '../../src/cms/content-info.js';
import { parseSignedData, type SignedData } from '../../src/cms/signed-data.js';
import { DEFAULT_CAPABILITIES } from '../../src/cms/attributes.js';
import { decodedBody, parseMime } from '../../src/mime/entity.js';
import { MemoryDirectory } from '../../src/directory/memory.js';
import { buildUserSmimeCertificate } from '../../src/directory/user-smime-certificate-build.js';
import type { CertificateDirectory, DirectoryEntry } from '../../src/directory/types.js';
import { TrustList } from '../../src/trust/trust-list.js';
import { readMessage } from '../../src/smime/read.js';
import { composeMessage, type ComposeOptions, type MailEnvelope } from '../../src/smime/compose.js';
import { policyFromJson } from '../../src/smime/policy-json.js';
import type { SmimePolicy } from '../../src/smime/policy.js';
import { certDer, chainFile, openssl } from '../cms/fixtures.js';
import { chainsIntermediate, chainsSst, issueUser, PKI_AT as AT, type IssuedUser } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('smimekit-compose-');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const head = (m: Uint8Array): string => text(m).split('\r\n\r\n')[0]!;
const intermediate = chainsIntermediate().certificate;

const u: Record<string, IssuedUser> = {};
let gal: MemoryDirectory;
let contacts: MemoryDirectory;
let trust: TrustList;

beforeAll(async () => {
  trust = TrustList.fromCertificates([certDer('root.pem')]);
  const people: [string, string, 'rsa' | 'p256'][] = [
    ['alice', 'alice@contoso.test', 'rsa'],
    ['bob', 'bob@contoso.test', 'rsa'],
    ['carol', 'carol@contoso.test', 'p256'],
    ['dave', 'dave@contoso.test', 'rsa'],
    ['erin', 'erin@contoso.test', 'rsa'],
    ['grace', 'grace@contoso.test', 'rsa'],
    ['henry', 'henry@contoso.test', 'rsa'],
    ['ivy', 'ivy@fabrikam.test', 'rsa'],
  ];
  for (const [name, email, keyType] of people) u[name] = await issueUser(dir, { name, email, keyType, newKey: true });
  gal = new MemoryDirectory({ name: 'GAL' });
  for (const n of ['alice', 'bob', 'carol', 'dave', 'erin', 'grace'])
    gal.add({ mail: u[n]!.email, userCertificate: [u[n]!.certificate] });
  gal.add({
    mail: 'henry@contoso.test',
    proxyAddresses: ['SMTP:henry@contoso.test', 'smtp:hank@contoso.test'],
    userCertificate: [u.henry!.certificate],
  });
  gal.add({ mail: 'frank@contoso.test' }); // no certificate
  gal.add({ mail: 'revoked.user@example.test', userCertificate: [certDer('bad-revoked.pem')] });
  gal.addGroup({ mail: 'team@contoso.test', members: ['bob@contoso.test', 'carol@contoso.test'] });
  // An external contact who published SMIMECapabilities (AES-GCM, RSAES-OAEP) with her certificate.
  contacts = new MemoryDirectory({ name: 'Contacts' });
  contacts.add({ mail: 'ivy@fabrikam.test', userSMIMECertificate: [await buildUserSmimeCertificate(u.ivy!.identity)] });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const user = (n: string): IssuedUser => u[n]!;
const options = (extra: ComposeOptions = {}): ComposeOptions => ({
  identity: user('alice').identity,
  directory: gal,
  trust,
  at: AT,
  intermediates: [intermediate],
  ...extra,
});
const envelope = (extra: Partial<MailEnvelope> = {}): MailEnvelope => ({
  from: 'Alice Example <alice@contoso.test>',
  to: ['bob@contoso.test'],
  subject: 'Figures',
  content: 'The figures are attached.\r\n',
  date: AT,
  ...extra,
});
const read = (m: Uint8Array, reader: string) =>
  readMessage(m, { identities: [user(reader).identity], trust, at: AT, intermediates: [intermediate] });
const layers = async (m: Uint8Array, reader = 'alice') => (await read(m, reader)).layers.map((l) => l.type);

function opensslDecrypt(m: Uint8Array, reader: string): { status: number | null; out: string; stderr: string } {
  const file = join(dir, `in-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, m);
  const r = openssl(['cms', '-decrypt', '-in', file, '-recip', user(reader).certFile, '-inkey', user(reader).keyFile]);
  return { status: r.status, out: r.stdout.toString('latin1'), stderr: r.stderr };
}

function cmsPrint(m: Uint8Array): string {
  const file = join(dir, `print-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, m);
  const r = openssl(['cms', '-cmsout', '-print', '-in', file]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.toString();
}

/** The SignedData of a signed message (either form). */
function signedDataOf(m: Uint8Array): SignedData {
  const e = parseMime(m);
  const body = e.contentType.mediaType === 'multipart/signed' ? decodedBody(e.children[1]!) : decodedBody(e);
  return parseSignedData(parseContentInfo(body).der);
}

async function rejects(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error & { code?: string; details?: Record<string, unknown> };
}

describe('composeMessage end to end', () => {
  it('signed and encrypted to two recipients: both and the sender read it with smimekit and OpenSSL', async () => {
    const r = await composeMessage(
      envelope({ to: ['bob@contoso.test'], cc: ['carol@contoso.test'] }),
      options({ sign: true, encrypt: true }),
    );
    expect(r.messages).toHaveLength(1);
    const [m] = r.messages;
    expect(m!.envelope).toEqual({ from: 'alice@contoso.test', to: ['bob@contoso.test', 'carol@contoso.test'] });
    expect(m!.encryptedTo).toEqual(['bob@contoso.test', 'carol@contoso.test', 'alice@contoso.test']);
    expect(head(m!.message)).toMatch(
      /^From: Alice Example <alice@contoso\.test>\r\nTo: bob@contoso\.test\r\nCc: carol@contoso\.test\r\nSubject: Figures\r\n/,
    );
    expect(head(m!.message)).toMatch(/Content-Type: application\/pkcs7-mime; smime-type=enveloped-data/);
    expect(r.recipients.missing).toEqual([]);
    expect(r.warnings.map((w) => w.code)).toContain('ecdh-recipient-mixed'); // carol is P-256
    for (const reader of ['bob', 'carol', 'alice']) {
      const got = await read(m!.message, reader);
      expect(got.ok, reader).toBe(true);
      expect(got.layers.map((l) => l.type)).toEqual(['enveloped', 'signed']);
      expect(text(got.content)).toContain('The figures are attached.');
      const dec = opensslDecrypt(m!.message, reader);
      expect(dec.status, `${reader}: ${dec.stderr}`).toBe(0);
      const inner = join(dir, `inner-${reader}.eml`);
      writeFileSync(inner, dec.out, 'latin1');
      const v = openssl([
        'cms',
        '-verify',
        '-in',
        inner,
        '-CAfile',
        chainFile('root.pem'),
        '-attime',
        String(AT.getTime() / 1000),
      ]);
      expect(v.status, v.stderr).toBe(0);
      expect(v.stdout.toString()).toContain('The figures are attached.');
    }
  });

  it('a sender without a certificate gets sender-certificate-missing', async () => {
    const e = await rejects(
      composeMessage(envelope({ from: 'frank@contoso.test' }), { directory: gal, trust, at: AT, encrypt: true }),
    );
    expect(e).toBeInstanceOf(CertificateMissingError);
    expect(e.code).toBe('sender-certificate-missing');
    expect(e.details).toMatchObject({ address: 'frank@contoso.test' });
    const sign = await rejects(composeMessage(envelope({ from: 'frank@contoso.test' }), { sign: true }));
    expect(sign.code).toBe('sender-certificate-missing');
    // A certificate for another address is not the sender's.
    const other = await rejects(composeMessage(envelope({ from: 'frank@contoso.test' }), options({ encrypt: true })));
    expect(other.code).toBe('sender-certificate-missing');
    expect(JSON.stringify(other.details!.problems)).toContain('email-mismatch');
  });

  it('recipients without a usable certificate: recipient-certificate-missing naming every one, Bcc included', async () => {
    const e = await rejects(
      composeMessage(
        envelope({
          to: ['bob@contoso.test', 'frank@contoso.test'],
          cc: ['nobody@contoso.test'],
          bcc: ['revoked.user@example.test', 'dave@contoso.test'],
        }),
        options({ encrypt: true, crls: [certDer('intermediate.crl.pem')] }),
      ),
    );
    expect(e).toBeInstanceOf(CertificateMissingError);
    expect(e.code).toBe('recipient-certificate-missing');
    expect(e.details!.addresses).toEqual(['frank@contoso.test', 'nobody@contoso.test', 'revoked.user@example.test']);
    expect(e.message).toMatch(/revoked/);
  });

  it('neither signed nor encrypted: the plain message, one copy, Bcc in the envelope only', async () => {
    const r = await composeMessage(envelope({ bcc: ['dave@contoso.test'] }), options());
    expect([r.signed, r.encrypted]).toEqual([false, false]);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]!.envelope.to).toEqual(['bob@contoso.test', 'dave@contoso.test']);
    expect(text(r.messages[0]!.message)).not.toContain('dave@');
    expect(text(r.messages[0]!.message)).toMatch(
      /MIME-Version: 1\.0\r\nContent-Type: text\/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nThe figures are attached\.\r\n$/,
    );
  });

  it('signed only: one message for everyone, Bcc recipients in the envelope only', async () => {
    const r = await composeMessage(
      envelope({ bcc: ['dave@contoso.test', 'erin@contoso.test'] }),
      options({ sign: true }),
    );
    expect(r.messages.map((m) => [m.kind, m.envelope.to, m.encryptedTo])).toEqual([
      ['main', ['bob@contoso.test', 'dave@contoso.test', 'erin@contoso.test'], []],
    ]);
    expect(text(r.messages[0]!.message)).not.toMatch(/dave@|erin@|^bcc:/im);
    expect((await read(r.messages[0]!.message, 'bob')).ok).toBe(true);
  });

  it('a distribution list: the envelope keeps the list, the encryption covers every member', async () => {
    const r = await composeMessage(envelope({ to: ['team@contoso.test'] }), options({ encrypt: true }));
    const [m] = r.messages;
    expect(m!.envelope.to).toEqual(['team@contoso.test']);
    expect(m!.encryptedTo.sort()).toEqual(['alice@contoso.test', 'bob@contoso.test', 'carol@contoso.test']);
    expect(r.recipients.groups.map((g) => [g.address, g.members])).toEqual([
      ['team@contoso.test', ['bob@contoso.test', 'carol@contoso.test']],
    ]);
    for (const reader of ['bob', 'carol']) expect(text((await read(m!.message, reader)).content)).toContain('figures');
    expect(head(m!.message)).toContain('To: team@contoso.test');
  });
});

describe('Bcc forking (OWABCCEncryptedEmailForking)', () => {
  const bcc = ['dave@contoso.test', 'erin@contoso.test', 'grace@contoso.test'];
  const compose = (bccForking: SmimePolicy['bccForking']) =>
    composeMessage(
      envelope({ to: ['bob@contoso.test'], cc: ['carol@contoso.test'], bcc }),
      options({ sign: true, encrypt: true, policy: { bccForking } }),
    );
  const noBccAnywhere = (m: Uint8Array) => {
    expect(head(m)).not.toMatch(/^bcc:/im);
    for (const b of bcc) expect(text(m)).not.toContain(b);
  };
  const notRecipient = async (m: Uint8Array, reader: string) => {
    const e = await rejects(read(m, reader));
    expect(e).toBeInstanceOf(CryptoError);
    expect(e.code).toBe('not-recipient');
  };

  it('per-recipient (0, the default): N+1 messages, each Bcc copy readable only by its recipient and the sender', async () => {
    const r = await compose('per-recipient');
    expect(r.messages.map((m) => [m.kind, m.envelope.to])).toEqual([
      ['main', ['bob@contoso.test', 'carol@contoso.test']],
      ...bcc.map((b) => ['bcc', [b]]),
    ]);
    expect(r.messages.map((m) => m.encryptedTo)).toEqual([
      ['bob@contoso.test', 'carol@contoso.test', 'alice@contoso.test'],
      ...bcc.map((b) => [b, 'alice@contoso.test']),
    ]);
    for (const m of r.messages) {
      noBccAnywhere(m.message);
      expect(head(m.message)).toMatch(/\r\nTo: bob@contoso\.test\r\nCc: carol@contoso\.test\r\n/); // every copy shows the visible recipients
      expect((await read(m.message, 'alice')).ok).toBe(true);
    }
    for (const [i, b] of bcc.entries()) {
      const copy = r.messages[i + 1]!.message;
      expect((await read(copy, b.split('@')[0]!)).ok).toBe(true);
      await notRecipient(copy, 'bob');
      await notRecipient(copy, bcc[(i + 1) % 3]!.split('@')[0]!);
      await notRecipient(r.messages[0]!.message, b.split('@')[0]!);
    }
    expect(opensslDecrypt(r.messages[2]!.message, 'erin').status).toBe(0);
    expect(opensslDecrypt(r.messages[2]!.message, 'dave').status).not.toBe(0);
  });

  it('all-bcc (1): the main message and one for all Bcc recipients', async () => {
    const r = await compose('all-bcc');
    expect(r.messages.map((m) => [m.kind, m.envelope.to])).toEqual([
      ['main', ['bob@contoso.test', 'carol@contoso.test']],
      ['bcc', bcc],
    ]);
    for (const m of r.messages) noBccAnywhere(m.message);
    for (const b of ['dave', 'erin', 'grace', 'alice']) expect((await read(r.messages[1]!.message, b)).ok).toBe(true);
    await notRecipient(r.messages[1]!.message, 'bob');
    await notRecipient(r.messages[0]!.message, 'dave');
  });

  it('none (2): one message encrypted to everyone; Bcc recipients in its envelope, still never in a header', async () => {
    const r = await compose('none');
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]!.envelope.to).toEqual(['bob@contoso.test', 'carol@contoso.test', ...bcc]);
    noBccAnywhere(r.messages[0]!.message);
    for (const who of ['bob', 'carol', 'dave', 'erin', 'grace', 'alice'])
      expect((await read(r.messages[0]!.message, who)).ok, who).toBe(true);
  });

  it('a Bcc recipient also in To is not forked (nobody is dropped)', async () => {
    const r = await composeMessage(
      envelope({ to: ['bob@contoso.test'], bcc: ['bob@contoso.test', 'dave@contoso.test'] }),
      options({ encrypt: true }),
    );
    expect(r.messages.map((m) => m.envelope.to)).toEqual([['bob@contoso.test'], ['dave@contoso.test']]);
  });
});

describe('each policy field changes the output', () => {
  it('alwaysSign / alwaysEncrypt are the defaults of sign / encrypt; explicit options win', async () => {
    const policy: SmimePolicy = { alwaysSign: true, alwaysEncrypt: true };
    const both = await composeMessage(envelope(), options({ policy }));
    expect([both.signed, both.encrypted]).toEqual([true, true]);
    expect(await layers(both.messages[0]!.message)).toEqual(['enveloped', 'signed']);
    const signOnly = await composeMessage(envelope(), options({ policy, encrypt: false }));
    expect(await layers(signOnly.messages[0]!.message)).toEqual(['signed']);
    const plain = await composeMessage(envelope(), options());
    expect([plain.signed, plain.encrypted]).toEqual([false, false]);
  });

  it('clearSign: multipart/signed, or opaque application/pkcs7-mime signed-data', async () => {
    const clear = await composeMessage(envelope(), options({ sign: true }));
    expect(head(clear.messages[0]!.message)).toMatch(
      /Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256/,
    );
    const opaque = await composeMessage(envelope(), options({ sign: true, policy: { clearSign: false } }));
    expect(head(opaque.messages[0]!.message)).toMatch(/Content-Type: application\/pkcs7-mime; smime-type=signed-data/);
    expect(await layers(opaque.messages[0]!.message)).toEqual(['signed']);
    expect((await read(opaque.messages[0]!.message, 'bob')).layers[0]).toMatchObject({
      type: 'signed',
      form: 'opaque',
      ok: true,
    });
  });

  it('signingAlgorithm: micalg and the SignerInfo digest (from OWASigningAlgorithms too)', async () => {
    for (const [policy, micalg, oid] of [
      [{ signingAlgorithm: 'sha384' }, 'sha-384', '2.16.840.1.101.3.4.2.2'],
      [policyFromJson({ OWASigningAlgorithms: '800E' }), 'sha-512', '2.16.840.1.101.3.4.2.3'],
      [{}, 'sha-256', '2.16.840.1.101.3.4.2.1'],
    ] as [SmimePolicy, string, string][]) {
      const m = (await composeMessage(envelope(), options({ sign: true, policy }))).messages[0]!.message;
      expect(head(m)).toContain(`micalg=${micalg}`);
      expect(signedDataOf(m).signerInfos[0]!.digestAlgorithm.oid).toBe(oid);
      expect((await read(m, 'bob')).ok).toBe(true);
    }
  });

  it('includeCertificates: none, signer, chain, chain-with-root', async () => {
    const root = certDer('root.pem');
    const identity = { ...user('alice').identity, chain: [intermediate, root] };
    const counts: Record<string, number> = {};
    for (const inclusion of ['none', 'signer', 'chain', 'chain-with-root'] as const) {
      const m = (
        await composeMessage(envelope(), options({ identity, sign: true, policy: { includeCertificates: inclusion } }))
      ).messages[0]!.message;
      counts[inclusion] = signedDataOf(m).certificates.length;
    }
    expect(counts).toEqual({ none: 0, signer: 1, chain: 2, 'chain-with-root': 3 });
    const fromExchange = policyFromJson({
      OWASignedEmailCertificateInclusion: true,
      OWAIncludeCertificateChainWithoutRootCertificate: false,
      OWAIncludeCertificateChainAndRootCertificate: false,
    });
    const m = (await composeMessage(envelope(), options({ identity, sign: true, policy: fromExchange }))).messages[0]!
      .message;
    expect(signedDataOf(m).certificates).toEqual([user('alice').certificate]);
  });

  it('includeCapabilities: the SMIMECapabilities signed attribute on or off', async () => {
    const capabilityAttribute = async (includeCapabilities: boolean) => {
      const m = (await composeMessage(envelope(), options({ sign: true, policy: { includeCapabilities } })))
        .messages[0]!.message;
      return signedDataOf(m).signerInfos[0]!.signedAttributes!.some((a) => a.oid === '1.2.840.113549.1.9.15');
    };
    expect(await capabilityAttribute(true)).toBe(true);
    expect(await capabilityAttribute(false)).toBe(false);
  });

  it('tripleWrap: signed(enveloped(signed)), readable by OpenSSL', async () => {
    const m = (await composeMessage(envelope(), options({ sign: true, encrypt: true, policy: { tripleWrap: true } })))
      .messages[0]!.message;
    expect(head(m)).toMatch(/multipart\/signed/);
    const got = await read(m, 'bob');
    expect(got.layers.map((l) => l.type)).toEqual(['signed', 'enveloped', 'signed']);
    expect(got.ok).toBe(true);
    expect(
      await layers(
        (await composeMessage(envelope(), options({ sign: true, encrypt: true, policy: { tripleWrap: false } })))
          .messages[0]!.message,
      ),
    ).toEqual(['enveloped', 'signed']);
    const outer = join(dir, 'triple.eml');
    writeFileSync(outer, m);
    const v = openssl([
      'cms',
      '-verify',
      '-in',
      outer,
      '-CAfile',
      chainFile('root.pem'),
      '-attime',
      String(AT.getTime() / 1000),
    ]);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.toString()).toMatch(/smime-type=enveloped-data/);
  });

  it('useKeyIdentifier: subjectKeyIdentifier RecipientInfos instead of issuerAndSerialNumber', async () => {
    const ski = (await composeMessage(envelope(), options({ encrypt: true, policy: { useKeyIdentifier: true } })))
      .messages[0]!.message;
    const printed = cmsPrint(ski);
    expect(printed.match(/d\.subjectKeyIdentifier/g)).toHaveLength(2); // bob and alice
    expect(printed).not.toContain('d.issuerAndSerialNumber');
    expect(opensslDecrypt(ski, 'bob').status).toBe(0);
    expect((await read(ski, 'alice')).encrypted).toBe(true);
    const isn = cmsPrint((await composeMessage(envelope(), options({ encrypt: true }))).messages[0]!.message);
    expect(isn.match(/d\.issuerAndSerialNumber/g)).toHaveLength(2);
    expect(isn).not.toContain('d.subjectKeyIdentifier');
  });

  it('encryptionAlgorithm: GCM gives AuthEnvelopedData, CBC EnvelopedData; auto is AES-256-CBC while capabilities are unknown', async () => {
    const cipherOf = async (policy: SmimePolicy) => {
      const r = await composeMessage(envelope(), options({ encrypt: true, policy }));
      const layer = (await read(r.messages[0]!.message, 'bob')).layers[0]!;
      return {
        header: /smime-type=([\w-]+)/.exec(head(r.messages[0]!.message))![1],
        layer,
        warnings: r.warnings.map((w) => w.code),
      };
    };
    const gcm = await cipherOf(policyFromJson({ OWAEncryptionAlgorithms: '6610,2.16.840.1.101.3.4.1.46' }));
    expect(gcm.header).toBe('authEnveloped-data');
    expect(gcm.layer).toMatchObject({
      type: 'enveloped',
      envelopeType: 'authEnvelopedData',
      cipher: 'aes-256-gcm',
      authenticated: true,
    });
    expect(gcm.warnings).toContain('auth-enveloped-limited-interop');
    const cbc = await cipherOf({ encryptionAlgorithm: 'aes-128-cbc' });
    expect(cbc.header).toBe('enveloped-data');
    expect(cbc.layer).toMatchObject({ envelopeType: 'envelopedData', cipher: 'aes-128-cbc' });
    expect((await cipherOf({})).layer).toMatchObject({ cipher: 'aes-256-cbc' });
  });

  it("encryptionAlgorithm auto follows the capabilities recipients published (and the sender's), unless the policy fixes it", async () => {
    const senderCapabilities = DEFAULT_CAPABILITIES.map((c) => c.oid);
    const compose = (extra: ComposeOptions) =>
      composeMessage(
        envelope({ to: ['ivy@fabrikam.test'] }),
        options({ directory: [gal, contacts], encrypt: true, ...extra }),
      );
    const cipher = async (r: Awaited<ReturnType<typeof compose>>) =>
      ((await read(r.messages[0]!.message, 'ivy')).layers[0] as { cipher: string }).cipher;
    const all = await compose({ senderCapabilities });
    expect(await cipher(all)).toBe('aes-256-gcm');
    expect(all.warnings.find((w) => w.code === 'oaep-limited-interop')!.message).toContain('ivy@fabrikam.test'); // OAEP for ivy only
    expect(opensslDecrypt(all.messages[0]!.message, 'alice').status).toBe(0);
    expect(await cipher(await compose({}))).toBe('aes-256-cbc'); // the sender's capabilities unknown
    expect(await cipher(await compose({ senderCapabilities, policy: { encryptionAlgorithm: 'aes-128-cbc' } }))).toBe(
      'aes-128-cbc',
    );
  });

  it('revocation: prefer refuses a revoked recipient, disableCrlCheck accepts it, checkCrlOnSend needs CRLs', async () => {
    const crls = [certDer('root.crl.pem'), certDer('intermediate.crl.pem')];
    const to = envelope({ to: ['revoked.user@example.test'] });
    const prefer = await rejects(composeMessage(to, options({ encrypt: true, crls })));
    expect(prefer.code).toBe('recipient-certificate-missing');
    const off = await composeMessage(
      to,
      options({ encrypt: true, crls, policy: policyFromJson({ OWADisableCRLCheck: true }) }),
    );
    expect(off.messages[0]!.encryptedTo).toContain('revoked.user@example.test');
    const requireNoCrl = await rejects(
      composeMessage(envelope(), options({ encrypt: true, policy: { checkCrlOnSend: true } })),
    );
    expect(requireNoCrl.code).toBe('sender-certificate-missing');
    expect(JSON.stringify(requireNoCrl.details!.problems)).toContain('revocation-unknown');
    const requireWithCrls = await composeMessage(
      envelope(),
      options({ encrypt: true, crls, policy: { checkCrlOnSend: true } }),
    );
    expect(requireWithCrls.messages[0]!.encryptedTo).toEqual(['bob@contoso.test', 'alice@contoso.test']);
  });

  it('useSecondaryProxies: a secondary smtp: address finds its entry only when on', async () => {
    const to = envelope({ to: ['hank@contoso.test'] });
    const on = await composeMessage(to, options({ encrypt: true }));
    expect(on.messages[0]!.envelope.to).toEqual(['hank@contoso.test']);
    expect((await read(on.messages[0]!.message, 'henry')).encrypted).toBe(true);
    const off = await rejects(composeMessage(to, options({ encrypt: true, policy: { useSecondaryProxies: false } })));
    expect(off.code).toBe('recipient-certificate-missing');
    expect(off.details!.addresses).toEqual(['hank@contoso.test']);
  });

  it('groupExpansionTimeoutMs: a list that cannot be expanded in time is refused, never skipped', async () => {
    const slow: CertificateDirectory = {
      name: 'slow',
      lookup: (a, o) => gal.lookup(a, o),
      members: (g: DirectoryEntry, o) =>
        new Promise((resolve, reject) => {
          const t = setTimeout(() => resolve(gal.members(g, o)), 2000);
          o?.signal?.addEventListener('abort', () => (clearTimeout(t), reject(o.signal!.reason)), { once: true });
        }),
    };
    const e = await rejects(
      composeMessage(
        envelope({ to: ['team@contoso.test'] }),
        options({ directory: slow, encrypt: true, policy: { groupExpansionTimeoutMs: 50 } }),
      ),
    );
    expect(e.code).toBe('recipient-certificate-missing');
    expect(e.details!.addresses).toEqual(['team@contoso.test']);
    expect(e.message).toMatch(/directory-timeout/);
  });

  it('trust comes from the policy (SMIMECertificateIssuingCA) when not given', async () => {
    const policy = policyFromJson({ SMIMECertificateIssuingCA: toBase64(chainsSst()), OWAAlwaysEncrypt: true });
    const r = await composeMessage(envelope(), {
      identity: user('alice').identity,
      directory: gal,
      at: AT,
      intermediates: [intermediate],
      policy,
    });
    expect(r.encrypted).toBe(true);
    const e = await rejects(
      composeMessage(envelope(), { identity: user('alice').identity, directory: gal, at: AT, encrypt: true }),
    );
    expect(e.code).toBe('bad-argument');
  });
});
