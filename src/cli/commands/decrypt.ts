/** `smimekit decrypt`: opens an S/MIME encrypted message with the recipient's identity. */
import { decryptMessage } from '../../smime/decrypt.js';
import { flagBool, flagString, UsageError } from '../args.js';
import { IDENTITY_DESCRIBE, IDENTITY_FLAGS, IDENTITY_USAGE, loadIdentityFromFlags } from '../identity-flags.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

export const decryptCommand: Command = {
  summary: 'decrypt an S/MIME message (writes the decrypted MIME entity)',
  spec: {
    usage: `smimekit decrypt ${IDENTITY_USAGE} [--try-all] [--in FILE] [--out FILE]`,
    flags: { ...IDENTITY_FLAGS, 'try-all': 'boolean', in: 'string', out: 'string' },
    describe: {
      ...IDENTITY_DESCRIBE,
      'try-all': 'try the key on every recipient, also when none names its certificate (instead of not-recipient)',
      in: 'FILE  the encrypted message (default: standard input)',
      out: 'FILE  where the decrypted MIME entity goes (default: standard output); nothing is written on failure',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const identity = await loadIdentityFromFlags(args, io);
    const input = await readInput(io, flagString(args, 'in'));
    const result = await decryptMessage(input, { identity, tryAllRecipients: flagBool(args, 'try-all') });
    await writeOutput(io, flagString(args, 'out'), result.content);
  },
};
