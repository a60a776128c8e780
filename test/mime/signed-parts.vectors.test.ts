/**
 * Differential test of raw-byte preservation: for every multipart/signed
 * message in ../shared/vectors, the signed part smimekit cuts out (plus its
 * detached signature) must verify with OpenSSL exactly when OpenSSL verifies
 * the whole message itself.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { decodedBody, entityBytes, parseMime, toCrlf } from '../../src/mime/index.js';
import { tempDir } from '../helpers/cli.js';
import { describeVectors, readShared, sharedPath, sharedVectorsDir } from '../helpers/vectors.js';

function mailFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'pkits' ? [] : mailFiles(p);
    return /\.(eml|message)$/.test(name) ? [p] : [];
  });
}

const opensslOk = (args: string[]) =>
  spawnSync('openssl', ['cms', '-verify', '-noverify', '-out', '/dev/null', ...args], { encoding: 'utf8' }).status ===
  0;

describeVectors('multipart/signed vectors: signed-part extraction agrees with OpenSSL', () => {
  const dir = tempDir();
  const files = mailFiles(sharedVectorsDir).filter(
    (f) => parseMime(readShared(relative(sharedPath(), f))).contentType.mediaType === 'multipart/signed',
  );

  it('finds the signed messages', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  for (const file of files) {
    const name = relative(sharedPath(), file);
    it(name, () => {
      const message = parseMime(readShared(name));
      expect(message.children.length).toBeGreaterThanOrEqual(2);
      const part = join(dir, 'part.bin');
      const sig = join(dir, 'sig.der');
      writeFileSync(part, toCrlf(entityBytes(message.children[0]!)));
      writeFileSync(sig, decodedBody(message.children[1]!));
      const ours = opensslOk(['-inform', 'DER', '-in', sig, '-content', part, '-binary']);
      // AS2 files start with HTTP headers and carry a binary signature part, which OpenSSL's MIME reader cannot take.
      const theirs = /AS2\.message$/.test(name) ? true : opensslOk(['-in', file]);
      expect(ours).toBe(theirs);
    });
  }
});
