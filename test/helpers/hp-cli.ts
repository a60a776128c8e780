/**
 * What the header-protection CLI tests share: the message, Alice and Bob issued by the test PKI, the trust flags, and
 * the message commands registered in-process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptCommand } from '../../src/cli/commands/decrypt.js';
import { encryptCommand } from '../../src/cli/commands/encrypt.js';
import { readCommand } from '../../src/cli/commands/read.js';
import { signCommand } from '../../src/cli/commands/sign.js';
import { verifyCommand } from '../../src/cli/commands/verify.js';
import { registerCommand } from '../../src/cli/run.js';
import { issueUser, type IssuedUser } from './pki.js';
import { projectVectorPath } from './vectors.js';
import { tempDir } from './temp.js';

export const HP_MESSAGE =
  'From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: Quarterly figures\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <hp-cli@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe numbers are in.\r\n';

/** `--trust` (the test root) and `--certs` (its intermediate). */
export const trustArgs = (): string[] => [
  '--trust',
  projectVectorPath('chains', 'root.pem'),
  '--certs',
  projectVectorPath('chains', 'intermediate.pem'),
];

/** Registers sign, encrypt, read, verify and decrypt; issues Alice and Bob; writes `message.eml` into a new folder. */
export async function setUpHeaderProtectionCli(
  prefix: string,
): Promise<{ dir: string; alice: IssuedUser; bob: IssuedUser }> {
  for (const [name, command] of Object.entries({
    sign: signCommand,
    encrypt: encryptCommand,
    read: readCommand,
    verify: verifyCommand,
    decrypt: decryptCommand,
  }))
    registerCommand(name, command);
  const dir = tempDir(prefix);
  const alice = await issueUser(dir, { name: 'Alice', email: 'alice@example.test' });
  const bob = await issueUser(dir, { name: 'Bob', email: 'bob@example.test' });
  writeFileSync(join(dir, 'message.eml'), HP_MESSAGE);
  return { dir, alice, bob };
}
