/** `smimekit decrypt`: opens an S/MIME encrypted message with the recipient's identity. */
import { decryptMessage } from '../../smime/decrypt.js';
import { decryptMessageStream } from '../../smime/decrypt-stream.js';
import { openMessageInput, STREAM_DESCRIBE, withProgress, writeStaged } from '../streaming.js';
import { flagBool, flagString, UsageError } from '../args.js';
import { IDENTITY_DESCRIBE, IDENTITY_FLAGS, IDENTITY_USAGE, loadIdentityFromFlags } from '../identity-flags.js';
import { writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

export const decryptCommand: Command = {
  summary: 'decrypt an S/MIME message (writes the decrypted MIME entity)',
  spec: {
    usage: [
      `smimekit decrypt ${IDENTITY_USAGE} [--try-all] [--require-authenticated] [--allow-legacy-gcm] [--stream] [--quiet] [--in FILE] [--out FILE]`,
      '  Content that neither AES-GCM nor a signature over all of it protects gets the warning',
      '  unauthenticated-encryption on standard error (refused, exit 1, with --require-authenticated).',
    ].join('\n'),
    flags: {
      ...IDENTITY_FLAGS,
      'try-all': 'boolean',
      'require-authenticated': 'boolean',
      'allow-legacy-gcm': 'boolean',
      stream: 'boolean',
      quiet: 'boolean',
      in: 'string',
      out: 'string',
    },
    describe: {
      ...IDENTITY_DESCRIBE,
      'try-all': 'try the key on every recipient, also when none names its certificate (instead of not-recipient)',
      'require-authenticated':
        'refuse content that neither AES-GCM nor a signature over all of it protects (unauthenticated-encryption, exit 1)',
      'allow-legacy-gcm': 'read AES-GCM with a nonce other than 12 bytes or a 4- or 8-byte tag (legacy-gcm-parameters)',
      ...STREAM_DESCRIBE,
      in: 'FILE  the encrypted message (default: standard input)',
      out: 'FILE  where the decrypted MIME entity goes (default: standard output); nothing is written on failure',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const identity = await loadIdentityFromFlags(args, io);
    const input = await openMessageInput(args, io, flagString(args, 'in'));
    if (!('bytes' in input)) {
      if (flagBool(args, 'try-all'))
        throw new UsageError('--try-all needs the whole message in memory (trial decryption): not with --stream');
      const opened = await decryptMessageStream(withProgress(args, io, input, 'decrypting'), {
        identity,
        requireAuthenticated: flagBool(args, 'require-authenticated'),
        allowLegacyGcm: flagBool(args, 'allow-legacy-gcm'),
      });
      // The decrypted entity itself, as the buffered command writes it (not the outer headers).
      await writeStaged(io, flagString(args, 'out'), opened.stream);
      const done = await opened.result;
      if (!done.authenticated) warnUnauthenticated(io, done.cipher);
      return;
    }
    const result = await decryptMessage(input.bytes, {
      identity,
      tryAllRecipients: flagBool(args, 'try-all'),
      requireAuthenticated: flagBool(args, 'require-authenticated'),
      allowLegacyGcm: flagBool(args, 'allow-legacy-gcm'),
    });
    if (!result.authenticated) warnUnauthenticated(io, result.cipher);
    await writeOutput(io, flagString(args, 'out'), result.content);
  },
};

function warnUnauthenticated(io: CliIo, cipher: string): void {
  io.stderr(
    `warning unauthenticated-encryption: the message is encrypted with ${cipher}, which does not protect its integrity, and its content carries no signature over all of it: it may have been modified in transit (check it with smimekit read)\n`,
  );
}
