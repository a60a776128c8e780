import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createSst,
  decodeFiletime,
  decodeSstProperty,
  encodeFiletime,
  loadCertificates,
  parseSst,
  serializeSst,
  sstDisallowedAfter,
  SstPropertyId,
} from '../../src/sst.js';
import { FormatError, SmimeError } from '../../src/errors.js';
import { toBase64 } from '../../src/util/bytes.js';
import { decodePem } from '../../src/util/pem.js';
import { tempDir } from '../helpers/cli.js';
import { describeVectors, projectVectorPath, readShared } from '../helpers/vectors.js';

const rootPem = readFileSync(projectVectorPath('chains', 'root.pem'), 'utf8');
const interPem = readFileSync(projectVectorPath('chains', 'intermediate.pem'), 'utf8');
const crlPem = readFileSync(projectVectorPath('chains', 'intermediate.crl.pem'), 'utf8');
const rootDer = decodePem(rootPem)[0]!.der;
const crlDer = decodePem(crlPem)[0]!.der;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SmimeError);
    return (e as SmimeError).code;
  }
  return 'no error';
}

describe('loadCertificates: format detection', () => {
  it('PEM bundle with certificates, a CRL and an ignored key', () => {
    const key = readFileSync(projectVectorPath('chains', 'root.key'), 'utf8');
    const r = loadCertificates(`some text\n${rootPem}${key}${interPem}${crlPem}`);
    expect(r.format).toBe('pem');
    expect(r.certificates).toEqual([rootDer, decodePem(interPem)[0]!.der]);
    expect(r.crls).toEqual([crlDer]);
    expect(r.ignored).toEqual(['PRIVATE KEY']);
  });
  it('DER certificate and DER CRL', () => {
    expect(loadCertificates(rootDer)).toMatchObject({ format: 'der-certificate', certificates: [rootDer], crls: [] });
    expect(loadCertificates(crlDer)).toMatchObject({ format: 'der-crl', certificates: [], crls: [crlDer] });
  });
  it('PKCS#7 certs-only made by OpenSSL, DER and PEM', () => {
    const dir = tempDir();
    const bundle = join(dir, 'b.pem');
    writeFileSync(bundle, rootPem + interPem);
    execFileSync('openssl', [
      'crl2pkcs7',
      '-certfile',
      bundle,
      '-in',
      projectVectorPath('chains', 'intermediate.crl.pem'),
      '-outform',
      'DER',
      '-out',
      join(dir, 'b.p7b'),
    ]);
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', bundle, '-out', join(dir, 'b.p7c')]);
    const der = loadCertificates(readFileSync(join(dir, 'b.p7b')));
    expect(der.format).toBe('pkcs7');
    expect(der.certificates).toHaveLength(2);
    expect(der.crls).toEqual([crlDer]);
    const pem = loadCertificates(readFileSync(join(dir, 'b.p7c')));
    expect(pem.format).toBe('pem');
    expect(pem.certificates.map((c) => c.length)).toEqual(der.certificates.map((c) => c.length));
  });
  it('OpenSSL TRUSTED CERTIFICATE (certificate followed by trust settings)', () => {
    const r = loadCertificates(readFileSync(projectVectorPath('chains', 'root-trust-email.pem')));
    expect(r.certificates).toEqual([rootDer]);
  });
  it('SST, and base64 text of an SST (CAPICOM Store.Export)', () => {
    const sst = serializeSst(createSst([rootPem], { crls: [crlPem] }));
    expect(loadCertificates(sst)).toMatchObject({ format: 'sst', certificates: [rootDer], crls: [crlDer] });
    expect(loadCertificates(toBase64(sst)).format).toBe('base64-sst');
    expect(loadCertificates(new TextEncoder().encode(toBase64(rootDer))).format).toBe('base64-der');
  });
  it('garbage gets a typed error, never a crash', () => {
    expect(code(() => loadCertificates(new Uint8Array()))).toBe('unsupported-format');
    expect(code(() => loadCertificates(Uint8Array.of(1, 2, 3)))).toBe('unsupported-format');
    expect(code(() => loadCertificates(Uint8Array.of(0x30, 0x05, 1)))).toBe('malformed-der');
    expect(code(() => loadCertificates('-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----'))).toBe(
      'malformed-pem',
    );
    expect(code(() => loadCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n'))).toBe('malformed-pem');
    expect(code(() => loadCertificates(42 as unknown as Uint8Array))).toBe('bad-argument');
  });
});

describe('createSst', () => {
  it('writes friendly name with NUL counted, EKU, key identifier, subject MD5, disallowed date, SHA-1 last', () => {
    const when = new Date('2030-01-02T03:04:05Z');
    const store = createSst([
      { certificate: rootPem, friendlyName: 'Root ✓', enhancedKeyUsage: ['1.3.6.1.5.5.7.3.4'], disallowedAfter: when },
    ]);
    const [entry] = store.certificates;
    expect(entry!.properties.map((p) => p.id)).toEqual([11, 9, 20, 29, 104, 3]);
    expect(entry!.properties[0]!.value.length).toBe(('Root ✓'.length + 1) * 2);
    expect(decodeSstProperty(entry!.properties[1]!).value).toEqual({ type: 'oids', oids: ['1.3.6.1.5.5.7.3.4'] });
    expect(sstDisallowedAfter(entry!)).toEqual(when);
    const sha1 = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1'], {
      input: rootPem,
      encoding: 'utf8',
    });
    expect(decodeSstProperty(entry!.properties[5]!).value).toEqual({
      type: 'bytes',
      hex: sha1.split('=')[1]!.trim().replace(/:/g, '').toLowerCase(),
    });
    const ski = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectKeyIdentifier'], {
      input: rootPem,
      encoding: 'utf8',
    });
    expect(decodeSstProperty(entry!.properties[2]!).value).toEqual({
      type: 'bytes',
      hex: ski.split('\n')[1]!.trim().replace(/:/g, '').toLowerCase(),
    });
  });
  it('reports which input is bad', () => {
    expect(() => createSst([rootPem, Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)])).toThrow(/certificate 2/);
    expect(code(() => createSst([rootPem], { crls: [rootPem] }))).toBe('malformed-crl');
    expect(code(() => createSst('x' as unknown as []))).toBe('bad-argument');
  });
  it('does not alter the caller’s bytes', () => {
    const copy = rootDer.slice();
    const store = createSst([rootDer]);
    store.certificates[0]!.der[0] = 0;
    expect(rootDer).toEqual(copy);
  });
});

describe('property values', () => {
  it('FILETIME round trip and zero-length = no date', () => {
    const d = new Date('2018-01-31T00:00:00Z');
    expect(Array.from(encodeFiletime(d))).toEqual([0x00, 0x00, 0xdc, 0x6f, 0x26, 0x9a, 0xd3, 0x01]);
    expect(decodeFiletime(encodeFiletime(d))).toEqual(d);
    expect(decodeFiletime(new Uint8Array())).toBeNull();
  });
  it('bad values decode raw with an error instead of throwing', () => {
    const odd = decodeSstProperty({ id: SstPropertyId.FRIENDLY_NAME, value: Uint8Array.of(0x41) });
    expect(odd.error).toMatch(/odd length/);
    expect(odd.value).toEqual({ type: 'raw', hex: '41' });
    expect(decodeSstProperty({ id: SstPropertyId.ENHKEY_USAGE, value: Uint8Array.of(0x30, 0x05) }).error).toBeDefined();
    expect(decodeSstProperty({ id: SstPropertyId.KEY_PROV_INFO, value: new Uint8Array(28).fill(0xff) }).error).toMatch(
      /outside/,
    );
    expect(decodeSstProperty({ id: 0x8001, value: Uint8Array.of(0xde, 0xad) })).toEqual({
      id: 0x8001,
      name: 'USER_0x8001',
      value: { type: 'raw', hex: 'dead' },
    });
  });
  it('KEY_PROV_INFO with names', () => {
    const name = (s: string) => Array.from(s + '\0').flatMap((c) => [c.charCodeAt(0), 0]);
    const container = name('le-1234');
    const provider = name('Microsoft Software Key Storage Provider');
    const head = new Uint8Array(28);
    const v = new DataView(head.buffer);
    v.setUint32(0, 28, true);
    v.setUint32(4, 28 + container.length, true);
    v.setUint32(24, 1, true);
    const value = Uint8Array.from([...head, ...container, ...provider]);
    expect(decodeSstProperty({ id: SstPropertyId.KEY_PROV_INFO, value }).value).toEqual({
      type: 'key-provider',
      container: 'le-1234',
      provider: 'Microsoft Software Key Storage Provider',
      providerType: 0,
      flags: 0,
      keySpec: 1,
    });
  });
});

describeVectors('AuthRoot property decoding', () => {
  it('decodes every property of the real AuthRoot store without errors', () => {
    const store = parseSst(readShared('sst', 'certutil-generateSSTFromWU-root.sst'));
    let filetimes = 0;
    for (const e of store.certificates) {
      for (const p of e.properties) {
        const d = decodeSstProperty(p);
        expect(d.error, `${d.name}`).toBeUndefined();
        if (d.value.type === 'filetime' && d.value.date) {
          filetimes++;
          expect(d.value.date.getUTCFullYear()).toBeGreaterThan(2000);
        }
      }
    }
    expect(filetimes).toBeGreaterThan(400);
  });
  it('FormatError carries the offset for a corrupted real file', () => {
    const bytes = readShared('sst', 'wu-pinrules.sst').slice();
    new DataView(bytes.buffer).setUint32(40 + 4, 2, true); // encoding type of the first certificate element
    try {
      parseSst(bytes);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).code).toBe('sst-bad-encoding-type');
      expect((e as FormatError).offset).toBe(40);
    }
  });
});
