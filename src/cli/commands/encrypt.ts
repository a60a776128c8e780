/** `smimekit encrypt`: S/MIME encryption to recipients and, always, the sender. */
import { readAll, trustFromFlags } from '../common-flags.js';
import { isContentCipherName } from '../../cms/content-cipher.js';
import { encryptMessage, type EncryptMessageOptions } from '../../smime/encrypt.js';
import { flagBool, flagList, flagString, requireFlag, UsageError } from '../args.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../run.js';

const USAGE = [
  'smimekit encrypt --to CERT... --from CERT (--trust FILE... [--certs FILE...] [--crl FILE...] | --no-validate)',
  '                 [--cipher aes-256-gcm|aes-128-gcm|aes-256-cbc|aes-128-cbc] [--oaep|--pkcs1] [--in FILE] [--out FILE]',
].join('\n');

const CIPHERS = ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-128-cbc'];

export const encryptCommand: Command = {
  summary: 'encrypt a message to its recipients and the sender (EnvelopedData / AuthEnvelopedData)',
  spec: {
    usage: USAGE,
    flags: {
      to: 'repeat',
      from: 'string',
      trust: 'repeat',
      certs: 'repeat',
      crl: 'repeat',
      'no-validate': 'boolean',
      cipher: 'string',
      oaep: 'boolean',
      pkcs1: 'boolean',
      in: 'string',
      out: 'string',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const to = flagList(args, 'to');
    if (to.length === 0) throw new UsageError('at least one --to CERT is required');
    const from = requireFlag(args, 'from');
    const noValidate = flagBool(args, 'no-validate');
    const trustFiles = flagList(args, 'trust');
    if (noValidate && trustFiles.length) throw new UsageError('--no-validate and --trust exclude each other');
    if (!noValidate && trustFiles.length === 0) throw new UsageError('--trust FILE is required to validate the certificates (or pass --no-validate explicitly)');
    const cipher = flagString(args, 'cipher');
    if (cipher !== undefined && (!CIPHERS.includes(cipher) || !isContentCipherName(cipher))) {
      throw new UsageError(`--cipher must be one of ${CIPHERS.join(', ')}, not "${cipher}"`);
    }
    if (flagBool(args, 'oaep') && flagBool(args, 'pkcs1')) throw new UsageError('--oaep and --pkcs1 exclude each other');

    const options: EncryptMessageOptions = {
      recipients: await Promise.all(to.map((p) => readInput(io, p))),
      sender: await readInput(io, from),
      validate: !noValidate,
    };
    if (cipher !== undefined && isContentCipherName(cipher)) options.cipher = cipher;
    if (flagBool(args, 'oaep')) options.keyTransport = 'rsa-oaep';
    if (flagBool(args, 'pkcs1')) options.keyTransport = 'rsa-pkcs1';
    if (!noValidate) {
      options.trust = await trustFromFlags(args, io);
      options.intermediates = await readAll(args, io, 'certs');
      options.crls = await readAll(args, io, 'crl');
      options.at = io.now();
    }
    const result = await encryptMessage(await readInput(io, flagString(args, 'in')), options);
    await writeOutput(io, flagString(args, 'out'), result.message);
    // Interoperability notes for the person sending (exit 0: these are not errors).
    for (const w of result.warnings) io.stderr(`warning ${w.code}: ${w.message}\n`);
  },
};
