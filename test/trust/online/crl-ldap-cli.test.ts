/**
 * `ldap://` CRL distribution points read from a real slapd through `ldapCrlFetcher`, and `--online` on the CLI
 * (validate, verify) against a real HTTP server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapCrlFetcher, parseLdapCrlUrl } from '../../../src/directory/ldap-crl.js';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import { verifyCommand } from '../../../src/cli/commands/verify.js';
import { registerCommand } from '../../../src/cli/run.js';
import { MemoryRevocationCache } from '../../../src/trust/online/cache.js';
import { TrustList } from '../../../src/trust/trust-list.js';
import { validateCertificate } from '../../../src/trust/validate.js';
import { signMessage } from '../../../src/smime/sign.js';
import { toBase64Lines } from '../../../src/util/bytes.js';
import { cli, errorCode } from '../../helpers/cli.js';
import { issueUser, makeCa, type TestCa } from '../../helpers/pki.js';
import { startHttpServer, type TestHttpServer } from '../../helpers/http-server.js';
import { describeWithSlapd, startSlapd, type PlainSlapd } from '../../helpers/slapd.js';
import { tempDir } from '../../helpers/temp.js';
import { makeCrl, revoke } from '../../helpers/crl-ca.js';

describe('LDAP CRL URLs', () => {
  it('splits RFC 4516 URLs and refuses what cannot be fetched', () => {
    expect(
      parseLdapCrlUrl(
        'ldap://dc1.contoso.test:389/CN=Contoso%20CA,CN=CDP,DC=contoso,DC=test?certificateRevocationList?base?objectClass=cRLDistributionPoint',
      ),
    ).toEqual({
      server: 'ldap://dc1.contoso.test:389',
      dn: 'CN=Contoso CA,CN=CDP,DC=contoso,DC=test',
      attributes: ['certificateRevocationList;binary'],
    });
    expect(parseLdapCrlUrl('LDAPS://h/cn=x').attributes).toEqual([
      'certificateRevocationList;binary',
      'authorityRevocationList;binary',
      'deltaRevocationList;binary',
    ]);
    for (const bad of ['ldap:///CN=Contoso%20CA,DC=contoso', 'ldap://host/', 'http://host/cn=x', 'ldap://host/%zz'])
      expect(() => parseLdapCrlUrl(bad), bad).toThrow(expect.objectContaining({ code: 'directory-bad-response' }));
  });
});

describeWithSlapd('CRL distribution points on a real slapd', () => {
  let dir: string;
  let slapd: PlainSlapd;
  let ca: TestCa;

  beforeAll(async () => {
    dir = tempDir('smimekit-crlldap-');
    ca = makeCa(dir, 'LDAP CRL CA');
    await issueUser(dir, { name: 'seed', email: 'seed@example.test', keyType: 'p256', issuer: ca }); // creates the CA database
    slapd = await startSlapd({ tls: false });
  }, 60_000);
  afterAll(async () => {
    await slapd?.dispose();
  });

  it('reads the CRL an ldap:// distribution point names, and finds revoked and good certificates', async () => {
    const dn = `cn=LDAP CRL CA,${slapd.baseDn}`;
    const cdp = `URI:ldap://127.0.0.1:${slapd.port}/${encodeURIComponent(dn)}?certificateRevocationList;binary`;
    const good = await issueUser(dir, {
      name: 'ldapgood',
      email: 'g@example.test',
      keyType: 'p256',
      issuer: ca,
      extensions: [`crlDistributionPoints = ${cdp}`],
    });
    const bad = await issueUser(dir, {
      name: 'ldaprevoked',
      email: 'r@example.test',
      keyType: 'p256',
      issuer: ca,
      extensions: [`crlDistributionPoints = ${cdp}`],
    });
    revoke(dir, ca, bad.certFile);
    const crl = makeCrl(dir, ca);
    await slapd.ldapAdd(
      `dn: ${dn}\nobjectClass: cRLDistributionPoint\ncn: LDAP CRL CA\ncertificateRevocationList;binary:: ${toBase64Lines(crl, 76, '\n ')}\n`,
    );
    const trust = TrustList.fromCertificates([ca.certificate]);
    const revocation = { online: true, ldap: ldapCrlFetcher(), cache: new MemoryRevocationCache(), timeoutMs: 3000 };
    const ok = await validateCertificate(good.certificate, { trust, purpose: 'any', revocation });
    expect(ok.revocation[0]).toMatchObject({ status: 'good', source: 'crl' });
    expect(ok.revocation[0]!.crls![0]).toMatchObject({ origin: 'fetched', url: cdp.slice(4) });
    const revoked = await validateCertificate(bad.certificate, { trust, purpose: 'any', revocation });
    expect(revoked.problems.map((p) => p.code)).toEqual(['revoked']);
    // Without an LDAP fetcher the distribution point is skipped, saying why.
    const noLdap = await validateCertificate(bad.certificate, {
      trust,
      purpose: 'any',
      revocation: { online: true, cache: new MemoryRevocationCache() },
    });
    expect(noLdap.revocation[0]!.attempts).toEqual([
      expect.objectContaining({ kind: 'crl', code: 'unsupported-format' }),
    ]);
    // A distribution point on a server that is down: directory-unreachable, within the time limit.
    await slapd.stop();
    try {
      const down = await validateCertificate(good.certificate, {
        trust,
        purpose: 'any',
        revocation: { ...revocation, cache: new MemoryRevocationCache() },
      });
      expect(down.revocation[0]!.attempts).toEqual([
        expect.objectContaining({ kind: 'crl', code: 'directory-unreachable' }),
      ]);
    } finally {
      await slapd.start();
    }
  });
});

describe('--online on the CLI', () => {
  let dir: string;
  let http: TestHttpServer;
  let ca: TestCa;

  beforeAll(async () => {
    registerCommand('validate', validateCommand);
    registerCommand('verify', verifyCommand);
    dir = tempDir('smimekit-online-cli-');
    http = await startHttpServer();
    ca = makeCa(dir, 'CLI Online CA');
  }, 60_000);
  afterAll(async () => {
    await http?.close();
  });

  it('validate --online reports where each status came from; without it nothing is downloaded', async () => {
    const cdp = `crlDistributionPoints = URI:${http.origin}/cli.crl`;
    const good = await issueUser(dir, {
      name: 'cligood',
      email: 'good@example.test',
      keyType: 'p256',
      issuer: ca,
      extensions: [cdp],
    });
    const bad = await issueUser(dir, {
      name: 'clirevoked',
      email: 'bad@example.test',
      keyType: 'p256',
      issuer: ca,
      extensions: [cdp],
    });
    revoke(dir, ca, bad.certFile);
    http.routes.set('/cli.crl', { body: makeCrl(dir, ca) });
    const base = ['validate', '--trust', ca.certFile, '--purpose', 'any'];

    const offline = await cli([...base, '--cert', good.certFile]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(http.total()).toBe(0);
    expect(offline.stdout).toMatch(/\[0\] unknown: /);

    const online = await cli([...base, '--cert', good.certFile, '--online', '--json']);
    expect(online.code, online.stderr).toBe(0);
    const json = JSON.parse(online.stdout) as {
      revocation: { status: string; source: string; crls: { origin: string; url: string }[] }[];
    };
    expect(json.revocation[0]).toMatchObject({
      status: 'good',
      source: 'crl',
      crls: [{ origin: 'fetched', url: `${http.origin}/cli.crl` }],
    });

    const text = await cli([...base, '--cert', bad.certFile, '--online', '--online-timeout', '2000']);
    expect(text.code).toBe(1);
    expect(errorCode(text)).toBe('revoked');
    expect(text.stdout).toMatch(new RegExp(`\\[0\\] revoked: CRL ${http.origin}/cli.crl`));

    const usage = await cli([...base, '--cert', good.certFile, '--online-timeout', '2000']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--online-timeout goes with --online/);
  });

  it('verify --online refuses a message whose signer was revoked, and accepts it offline with a warning', async () => {
    const cdp = `crlDistributionPoints = URI:${http.origin}/verify.crl`;
    const signer = await issueUser(dir, {
      name: 'clisigner',
      email: 'signer@example.test',
      keyType: 'p256',
      issuer: ca,
      extensions: [cdp],
    });
    revoke(dir, ca, signer.certFile);
    http.routes.set('/verify.crl', { body: makeCrl(dir, ca) });
    const message = await signMessage(
      new TextEncoder().encode(
        'From: signer@example.test\r\nTo: x@example.test\r\nSubject: hi\r\nContent-Type: text/plain\r\n\r\nhello\r\n',
      ),
      { signer: signer.identity },
    );
    const file = join(dir, 'signed.eml');
    writeFileSync(file, message);
    const offline = await cli(['verify', '--trust', ca.certFile, '--in', file]);
    expect(offline.code, offline.stderr).toBe(0);
    const online = await cli(['verify', '--trust', ca.certFile, '--in', file, '--online']);
    expect(online.code).toBe(1);
    expect(errorCode(online)).toBe('revoked');
  });
});
