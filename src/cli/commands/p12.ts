/**
 * `smimekit p12`: packs a certificate, its private key and CA chain into a
 * password-protected PKCS#12 file (library: `exportPkcs12`), OpenSSL 3's
 * layout by default, or 3DES with a SHA-1 MAC for old Windows (`--legacy`).
 */
import { ArgumentError } from '../../errors.js';
import { exportPkcs12 } from '../../crypto/pkcs12-export.js';
import { loadPrivateKey } from '../../crypto/private-key.js';
import { loadCertificates } from '../../sst/load.js';
import { flagBool, flagList, flagString, requireFlag, UsageError, type ParsedArgs } from '../args.js';
import { canPrompt, readSecretEnv, readSecretFile } from '../identity-flags.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

const PASSWORD_FLAGS = ['password', 'password-file', 'password-env'];

const USAGE =
  'smimekit p12 --cert FILE --key FILE [--chain FILE...] [--password PW | --password-file FILE | --password-env NAME]\n' +
  '             [--friendly-name NAME] [--legacy] --out FILE';

/**
 * The password of the new file. Unlike the identity commands there is no default: a file must not get
 * an empty password by accident (`--password ""` asks for one on purpose).
 */
async function exportPassword(args: ParsedArgs, io: CliIo): Promise<string> {
  const file = flagString(args, 'password-file');
  if (file !== undefined) return readSecretFile(io, file);
  const env = flagString(args, 'password-env');
  if (env !== undefined) return readSecretEnv(env, 'password-env');
  return flagString(args, 'password')!;
}

/** On a terminal: the new file's password, typed twice; an empty one is refused (it must be asked for with a flag). */
async function promptNewPassword(io: CliIo, out: string): Promise<string> {
  const password = await io.promptSecret!(`Password for ${out}: `);
  if (password === '') throw new UsageError('an empty password is not accepted at the prompt; use --password ""');
  if ((await io.promptSecret!('Repeat the password: ')) !== password)
    throw new UsageError('the two passwords differ; nothing was written');
  return password;
}

/** Every certificate in the files (PEM bundles, DER, PKCS#7, SST), in order. */
async function certificatesIn(io: CliIo, paths: string[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const path of paths) out.push(...loadCertificates(await readInput(io, path)).certificates);
  return out;
}

export const p12Command: Command = {
  summary: 'write a PKCS#12 (.p12 / .pfx) file from a certificate, its private key and CA chain',
  spec: {
    usage: USAGE,
    flags: {
      cert: 'string',
      key: 'string',
      chain: 'repeat',
      password: 'string',
      'password-file': 'string',
      'password-env': 'string',
      'friendly-name': 'string',
      legacy: 'boolean',
      out: 'string',
    },
    describe: {
      cert: 'FILE  the certificate (PEM, DER or PKCS#7; in a bundle the first certificate, the rest is its chain)',
      key: 'FILE  its private key (PEM or DER: PKCS#8, PKCS#1, SEC1; an encrypted key is opened with the same password)',
      chain: 'FILE  CA certificates to include (PEM bundle, DER, PKCS#7 or SST); repeatable',
      password:
        'PW  the password of the new file (shows in the process list: prefer --password-file or --password-env; on a terminal, leave all three out to be asked twice)',
      'password-file': 'FILE  the password: the first line of FILE',
      'password-env': 'NAME  the password from the environment variable NAME',
      'friendly-name': 'NAME  the name Windows and Keychain show for the key and certificate',
      legacy: '3DES and a SHA-1 MAC, for Windows before 10 (1709) / Server 2016 (default: AES-256-CBC, SHA-256)',
      out: 'FILE  where to write the .p12 (- for standard output)',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    // Usage is checked before any file (the password file included) is read.
    const certPath = requireFlag(args, 'cert');
    const keyPath = requireFlag(args, 'key');
    const out = requireFlag(args, 'out');
    const given = PASSWORD_FLAGS.filter((f) => args.flags.has(f));
    if (given.length === 0 && !canPrompt(io, args))
      throw new UsageError(
        'a password for the PKCS#12 file is required: --password PW | --password-file FILE | --password-env NAME',
      );
    if (given.length > 1) throw new UsageError(`use only one of ${given.map((f) => `--${f}`).join(', ')}`);
    const password = given.length === 0 ? await promptNewPassword(io, out) : await exportPassword(args, io);

    const [certificate, ...bundled] = await certificatesIn(io, [certPath]);
    if (!certificate) throw new ArgumentError('no-certificates', `${certPath} contains no certificate`);
    const privateKey = await loadPrivateKey(await readInput(io, keyPath), password);
    const chain = [...bundled, ...(await certificatesIn(io, flagList(args, 'chain')))];
    const p12 = await exportPkcs12({ certificate, privateKey, chain }, password, {
      friendlyName: flagString(args, 'friendly-name'),
      algorithm: flagBool(args, 'legacy') ? 'legacy' : 'aes-256-cbc',
    });
    await writeOutput(io, out, p12);
  },
};
