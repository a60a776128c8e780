import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPE, encodeContentInfo, parseContentInfo } from '../../src/cms/content-info.js';
import { SmimeError } from '../../src/errors.js';
import { projectVectorPath } from '../helpers/vectors.js';
import { tlv } from '../../src/asn1/index.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    expect(e).toBeInstanceOf(SmimeError);
    return (e as SmimeError).code;
  }
};

describe('ContentInfo', () => {
  it('reads OpenSSL output (DER and PEM) and round-trips our encoding', () => {
    const der = new Uint8Array(
      execFileSync('openssl', [
        'crl2pkcs7',
        '-nocrl',
        '-certfile',
        projectVectorPath('chains', 'root.pem'),
        '-outform',
        'DER',
      ]),
    );
    const ci = parseContentInfo(der);
    expect(ci.name).toBe('signedData');
    expect(ci.content[0]).toBe(0x30);
    expect(encodeContentInfo(ci.contentType, ci.content)).toEqual(der);
    const pem = execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', projectVectorPath('chains', 'root.pem')], {
      encoding: 'utf8',
    });
    expect(parseContentInfo(pem).content).toEqual(ci.content);
  });
  it('typed errors for garbage', () => {
    expect(code(() => parseContentInfo(Uint8Array.of(1, 2, 3)))).toBe('malformed-cms');
    expect(code(() => parseContentInfo(tlv(0x30, new Uint8Array())))).toBe('malformed-cms');
    expect(code(() => parseContentInfo('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'))).toBe(
      'malformed-cms',
    );
    expect(
      code(() => parseContentInfo(encodeContentInfo(CONTENT_TYPE.data, Uint8Array.of(4, 1, 0)).subarray(0, 10))),
    ).toBe('malformed-cms');
  });
});
