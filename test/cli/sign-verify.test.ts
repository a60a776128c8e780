/** `smimekit sign` / `smimekit verify`: flags, exit codes, the one-line error contract, interop with OpenSSL. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, errorCode, tempDir } from '../helpers/cli.js';
import { chainFile, openssl, opensslVerifyMime } from '../cms/fixtures.js';
import { describeVectors, sharedPath } from '../helpers/vectors.js';

const dir = tempDir();
const msgFile = join(dir, 'msg.eml');
writeFileSync(
  msgFile,
  'From: rsa.user@example.test\nTo: bob@example.test\nSubject: cli\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nHallo Welt – ü\n',
);
const root = chainFile('root.pem');
/** The same message from another user of vectors/chains: verify compares From with the signer (sender-mismatch). */
function msgFileFrom(address: string): string {
  const file = join(dir, `msg-${address}.eml`);
  writeFileSync(
    file,
    readFileSync(msgFile, 'latin1').replace('From: rsa.user@example.test', `From: ${address}`),
    'latin1',
  );
  return file;
}

describe('smimekit sign', () => {
  it('signs with a PKCS#12 (detached), OpenSSL and smimekit verify it, --out gets the signed bytes', async () => {
    const out = join(dir, 'signed.eml');
    const r = await cli([
      'sign',
      '--p12',
      chainFile('ee-rsa.p12'),
      '--password',
      'test',
      '--in',
      msgFile,
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const signed = readFileSync(out);
    expect(signed.toString('latin1')).toMatch(
      /Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256;/,
    );
    const theirs = opensslVerifyMime(dir, signed);
    expect(theirs.stderr).toContain('Verification successful');

    const content = join(dir, 'content.eml');
    const v = await cli(['verify', '--trust', root, '--in', out, '--out', content, '--from', 'rsa.user@example.test']);
    expect(v.code, v.stderr).toBe(0);
    // The report is on stderr; with --out FILE nothing goes to stdout.
    expect(v.stderr).toMatch(/^VERIFIED/);
    expect(v.stderr).toContain('rsa.user@example.test');
    expect(v.stdout).toBe('');
    expect(new Uint8Array(readFileSync(content))).toEqual(new Uint8Array(theirs.stdout));
    // Without --out the verified content is the output, as with openssl cms -verify.
    const piped = await cli(['verify', '--trust', root, '--in', out]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdoutBytes).toEqual(new Uint8Array(theirs.stdout));
  });

  it('signs opaque with --cert (a PEM bundle: signer, then chain)/--key, --digest sha384, stdin → stdout', async () => {
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(
      bundle,
      readFileSync(chainFile('ee-p384.pem'), 'latin1') + readFileSync(chainFile('intermediate.pem'), 'latin1'),
    );
    const r = await cli(
      ['sign', '--cert', bundle, '--key', chainFile('ee-p384.key'), '--opaque', '--digest', 'sha384'],
      readFileSync(msgFileFrom('p384.user@example.test')),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"');
    const theirs = opensslVerifyMime(dir, r.stdoutBytes);
    expect(theirs.stderr).toContain('Verification successful');
    const v = await cli(['verify', '--trust', root, '--json'], r.stdoutBytes);
    expect(v.code, v.stderr).toBe(0);
    const json = JSON.parse(v.stdout);
    expect(json.ok).toBe(true);
    expect(json.signers[0].algorithms.digest).toBe('SHA-384');
    expect(json.layers[0].kind).toBe('opaque');
  });

  it('--pss signs with RSASSA-PSS', async () => {
    const r = await cli([
      'sign',
      '--p12',
      chainFile('ee-rsa.p12'),
      '--password',
      'test',
      '--pss',
      '--digest',
      'sha512',
      '--in',
      msgFile,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(opensslVerifyMime(dir, r.stdoutBytes).stderr).toContain('Verification successful');
    const v = await cli(['verify', '--trust', root, '--json'], r.stdoutBytes);
    expect(JSON.parse(v.stdout).signers[0].algorithms.signature).toBe('RSASSA-PSS');
  });

  it('--digest other than sha256/384/512 is a usage error', async () => {
    const r = await cli([
      'sign',
      '--p12',
      chainFile('ee-rsa.p12'),
      '--password',
      'test',
      '--digest',
      'md5',
      '--in',
      msgFile,
    ]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('usage');
  });

  it('a key that does not match the certificate is key-mismatch (exit 2)', async () => {
    const r = await cli([
      'sign',
      '--cert',
      chainFile('ee-rsa.pem'),
      '--key',
      chainFile('ee-p256.key'),
      '--in',
      msgFile,
    ]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('key-mismatch');
  });

  it('no identity is a usage error; a wrong password is bad-password', async () => {
    expect(errorCode(await cli(['sign', '--in', msgFile]))).toBe('usage');
    const r = await cli(['sign', '--p12', chainFile('ee-rsa.p12'), '--password', 'nope', '--in', msgFile]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('bad-password');
  });
});

describe('smimekit verify', () => {
  async function signed(): Promise<Uint8Array> {
    const from = msgFileFrom('p256.user@example.test');
    return (await cli(['sign', '--p12', chainFile('ee-p256.p12'), '--password', 'test', '--in', from])).stdoutBytes;
  }

  it('a tampered message exits 1 with the report on stderr, nothing on stdout, and one error line', async () => {
    const text = Buffer.from(await signed())
      .toString('latin1')
      .replace('Hallo', 'Hello');
    const v = await cli(['verify', '--trust', root], text);
    expect(v.code).toBe(1);
    expect(errorCode(v)).toBe('digest-mismatch');
    expect(v.stdout).toBe('');
    expect(v.stderr).toMatch(/^NOT VERIFIED/);
    expect(v.stderr).toContain('problem digest-mismatch');
  });

  it('--from with another address exits 1 email-mismatch; --out is not written', async () => {
    const out = join(dir, 'never.eml');
    const v = await cli(['verify', '--trust', root, '--from', 'mallory@example.test', '--out', out], await signed());
    expect(v.code).toBe(1);
    expect(errorCode(v)).toBe('email-mismatch');
    expect(() => readFileSync(out)).toThrow();
  });

  it('an untrusted signer exits 1 (signature valid, chain not)', async () => {
    const v = await cli(['verify', '--trust', chainFile('untrusted-root.pem'), '--json'], await signed());
    expect(v.code).toBe(1);
    const json = JSON.parse(v.stdout);
    expect(json.signers[0].signatureValid).toBe(true);
    expect(json.signers[0].chainValid).toBe(false);
    expect(errorCode(v)).toBe(json.problems[0].code);
  });

  it('--out - writes the signed content to stdout instead of the report', async () => {
    const v = await cli(['verify', '--trust', root, '--out', '-'], await signed());
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(
      /^Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHallo Welt =E2=80=93 =C3=BC\r\n$/,
    );
  });

  it('verifies a bare DER SignedData (OpenSSL -nodetach)', async () => {
    const data = join(dir, 'data.txt');
    writeFileSync(data, 'binary content\n');
    const r = openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-outform',
      'DER',
      '-in',
      data,
      '-signer',
      chainFile('ee-rsa.pem'),
      '-inkey',
      chainFile('ee-rsa.key'),
      '-certfile',
      chainFile('intermediate.pem'),
    ]);
    const v = await cli(['verify', '--trust', root, '--out', '-'], new Uint8Array(r.stdout));
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toBe('binary content\n');
  });

  it('usage and input errors exit 2', async () => {
    expect(errorCode(await cli(['verify'], 'x'))).toBe('usage');
    expect(errorCode(await cli(['verify', '--trust', root, '--at', 'yesterday'], 'x'))).toBe('usage');
    const unsigned = await cli(['verify', '--trust', root], 'Content-Type: text/plain\r\n\r\nhi\r\n');
    expect(unsigned.code).toBe(2);
    expect(errorCode(unsigned)).toBe('not-signed');
    const missing = await cli(['verify', '--trust', join(dir, 'nope.pem')], 'x');
    expect(missing.code).toBe(2);
    expect(errorCode(missing)).toBe('unreadable-input');
  });
});

describeVectors('smimekit verify on shared vectors', () => {
  it('an expired, SHA-1 Thunderbird message: exit 1 now, exit 0 with --at and --allow-weak', async () => {
    const args = [
      'verify',
      '--trust',
      sharedPath('mimekit/StartComCertificationAuthority.crt'),
      '--certs',
      sharedPath('mimekit/StartComClass1PrimaryIntermediateClientCA.crt'),
      '--in',
      sharedPath('mimekit/thunderbird-signed.txt'),
    ];
    const now = await cli([...args, '--allow-weak']);
    expect(now.code).toBe(1);
    expect(errorCode(now)).toBe('expired');
    const weak = await cli([...args, '--at', '2013-11-02T20:28:04Z']);
    expect(weak.code).toBe(1);
    expect(errorCode(weak)).toBe('weak-algorithm');
    const ok = await cli([...args, '--at', '2013-11-02T20:28:04Z', '--allow-weak', '--from', 'fejj@gnome.org']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Content-Type'); // the verified content, on stdout
    // read keeps old mail readable on request too: weak-algorithm without --allow-weak, exit 0 with it.
    const readArgs = ['read', ...args.slice(1), '--at', '2013-11-02T20:28:04Z'];
    const readWeak = await cli(readArgs);
    expect(readWeak.code).toBe(1);
    expect(errorCode(readWeak)).toBe('weak-algorithm');
    expect(readWeak.stdout).toBe('');
    const readOk = await cli([...readArgs, '--allow-weak']);
    expect(readOk.code, readOk.stderr).toBe(0);
    expect(readOk.stdoutBytes).toEqual(ok.stdoutBytes);
  });

  it('--json with --out - is a usage error: standard output carries the report', async () => {
    const r = await cli(
      ['verify', '--trust', sharedPath('mimekit/StartComCertificationAuthority.crt'), '--json', '--out', '-'],
      'x',
    );
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('usage');
  });
});

describe('a bare detached signature with --content (verifyDetached)', () => {
  it('an `openssl cms -sign -binary -outform DER` .p7s verifies against its content; changed content fails', async () => {
    const content = join(dir, 'report.pdf');
    writeFileSync(
      content,
      Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256),
    ); // binary: no canonicalisation
    const sig = join(dir, 'report.pdf.p7s');
    const made = openssl([
      'cms',
      '-sign',
      '-binary',
      '-outform',
      'DER',
      '-in',
      content,
      '-signer',
      chainFile('ee-rsa.pem'),
      '-inkey',
      chainFile('ee-rsa.key'),
      '-certfile',
      chainFile('intermediate.pem'),
      '-out',
      sig,
    ]);
    expect(made.status, made.stderr).toBe(0);
    const ok = await cli(['verify', '--trust', root, '--at', '2026-06-01', '--in', sig, '--content', content]);
    expect(ok.code, ok.stderr).toBe(0);
    const changed = join(dir, 'report-changed.pdf');
    const bytes = readFileSync(content);
    bytes[100]! ^= 1;
    writeFileSync(changed, bytes);
    const bad = await cli(['verify', '--trust', root, '--at', '2026-06-01', '--in', sig, '--content', changed]);
    expect(bad.code).toBe(1);
    expect(errorCode(bad)).toBe('digest-mismatch');
    const usage = await cli(['verify', '--trust', root, '--content', content], readFileSync(sig));
    expect(errorCode(usage)).toBe('usage');
  });

  it('verifyDetached in the API gives the same verdict', async () => {
    const { verifyDetached } = await import('../../src/smime/verify.js');
    const { TrustList } = await import('../../src/trust/trust-list.js');
    const trust = TrustList.fromBytes(readFileSync(root));
    const at = new Date('2026-06-01T00:00:00Z');
    const report = await verifyDetached(
      readFileSync(join(dir, 'report.pdf')),
      readFileSync(join(dir, 'report.pdf.p7s')),
      { trust, at },
    );
    expect(report.ok, report.problems.map((p) => p.code).join()).toBe(true);
  });
});
