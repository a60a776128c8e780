/** `smimekit decrypt`: opens an S/MIME encrypted message with the recipient's identity. */
import { decryptMessage } from '../../smime/decrypt.js';
import { flagBool, flagString, UsageError } from '../args.js';
import { IDENTITY_DESCRIBE, IDENTITY_FLAGS, IDENTITY_USAGE, loadIdentityFromFlags } from '../identity-flags.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

export const decryptCommand: Command = {
  summary: 'decrypt an S/MIME message (writes the decrypted MIME entity)',
  spec: {
    usage: [
      `smimekit decrypt ${IDENTITY_USAGE} [--try-all] [--require-authenticated] [--allow-legacy-gcm] [--in FILE] [--out FILE]`,
      '  Content that neither AES-GCM nor a signature over all of it protects gets the warning',
      '  unauthenticated-encryption on standard error (refused, exit 1, with --require-authenticated).',
    ].join('\n'),
    flags: {
      ...IDENTITY_FLAGS,
      'try-all': 'boolean',
      'require-authenticated': 'boolean',
      'allow-legacy-gcm': 'boolean',
      in: 'string',
      out: 'string',
    },
    describe: {
      ...IDENTITY_DESCRIBE,
      'try-all': 'try the key on every recipient, also when none names its certificate (instead of not-recipient)',
      'require-authenticated':
        'refuse content that neither AES-GCM nor a signature over all of it protects (unauthenticated-encryption, exit 1)',
      'allow-legacy-gcm': 'read AES-GCM with a nonce other than 12 bytes or a 4- or 8-byte tag (legacy-gcm-parameters)',
      in: 'FILE  the encrypted message (default: standard input)',
      out: 'FILE  where the decrypted MIME entity goes (default: standard output); nothing is written on failure',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const identity = await loadIdentityFromFlags(args, io);
    const input = await readInput(io, flagString(args, 'in'));
    const result = await decryptMessage(input, {
      identity,
      tryAllRecipients: flagBool(args, 'try-all'),
      requireAuthenticated: flagBool(args, 'require-authenticated'),
      allowLegacyGcm: flagBool(args, 'allow-legacy-gcm'),
    });
    if (!result.authenticated) {
      io.stderr(
        `warning unauthenticated-encryption: the message is encrypted with ${result.cipher}, which does not protect its integrity, and its content carries no signature over all of it: it may have been modified in transit (check it with smimekit read)\n`,
      );
    }
    await writeOutput(io, flagString(args, 'out'), result.content);
  },
};
