/** `smimekit sign`: S/MIME signing (multipart/signed or opaque) with a PKCS#12 or certificate + key. */
import { SIGNING_DIGESTS, type SigningDigest } from '../../cms/signer.js';
import { signMessage } from '../../smime/sign.js';
import { signMessageStream } from '../../smime/sign-stream.js';
import { openMessageInput, STREAM_DESCRIBE, withProgress, writeStaged } from '../streaming.js';
import { decodePem, looksLikePem } from '../../util/pem.js';
import { flagBool, flagString, UsageError, type ParsedArgs } from '../args.js';
import { describeCommon } from '../common-flags.js';
import { IDENTITY_DESCRIBE, IDENTITY_FLAGS, IDENTITY_USAGE, loadIdentityFromFlags } from '../identity-flags.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import { SmimeError } from '../../errors.js';
import type { SignMessageOptions } from '../../smime/sign.js';
import type { Command } from '../command.js';
import {
  HEADER_PROTECTION_DESCRIBE,
  HEADER_PROTECTION_FLAGS,
  headerProtectionFromFlags,
} from '../header-protection-flags.js';

const USAGE = `smimekit sign ${IDENTITY_USAGE} [--opaque] [--digest auto|sha256|sha384|sha512] [--pss] [--header-protection [--for-encryption]] [--stream] [--quiet] [--in FILE] [--out FILE]`;

export const signCommand: Command = {
  summary: 'sign a message (multipart/signed, or opaque with --opaque)',
  spec: {
    usage: USAGE,
    flags: {
      ...IDENTITY_FLAGS,
      opaque: 'boolean',
      digest: 'string',
      pss: 'boolean',
      ...HEADER_PROTECTION_FLAGS,
      'for-encryption': 'boolean',
      stream: 'boolean',
      quiet: 'boolean',
      in: 'string',
      out: 'string',
    },
    describe: {
      ...IDENTITY_DESCRIBE,
      opaque: 'write application/pkcs7-mime; smime-type=signed-data instead of multipart/signed',
      digest:
        'auto|sha256|sha384|sha512  the digest algorithm (default auto: sha384 for P-384 keys, sha512 for P-521 and Ed25519, else sha256)',
      pss: 'sign with RSASSA-PSS (RSA keys)',
      ...HEADER_PROTECTION_DESCRIBE,
      'for-encryption':
        'with --header-protection: the signed message will be encrypted next (smimekit encrypt --header-protection), so hide what the policy hides now',
      ...STREAM_DESCRIBE,
      in: 'FILE  the MIME entity or RFC 5322 message to sign (default: standard input)',
      ...describeCommon('out'),
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const named = (flagString(args, 'digest') ?? 'auto').toLowerCase().replace('-', '');
    if (named !== 'auto' && !SIGNING_DIGESTS.includes(named as SigningDigest))
      throw new UsageError(`--digest must be auto, sha256, sha384 or sha512, not "${flagString(args, 'digest')}"`);
    // auto: the key decides (signMessage's default); Ed25519 with another explicit digest is bad-argument there.
    const digest = named === 'auto' ? undefined : (named as SigningDigest);
    // Flags are checked before any file is read, so usage errors come first.
    if (!flagString(args, 'p12') && (!flagString(args, 'cert') || !flagString(args, 'key')))
      throw new UsageError(`an identity is required: ${IDENTITY_USAGE}`);
    const headerProtection = headerProtectionFromFlags(args, flagBool(args, 'for-encryption'));
    const identity = await loadIdentityFromFlags(args, io);
    let chain = identity.chain;
    const certPath = flagString(args, 'cert');
    if (certPath !== undefined && chain.length === 0) {
      // A PEM bundle given to --cert: the certificates after the signer's are its chain.
      const bytes = await readInput(io, certPath);
      if (looksLikePem(bytes))
        chain = decodePem(bytes)
          .filter((b) => b.label === 'CERTIFICATE')
          .slice(1)
          .map((b) => b.der);
    }
    const options = {
      signer: { certificate: identity.certificate, privateKey: identity.privateKey, chain },
      detached: !flagBool(args, 'opaque'),
      ...(digest ? { digest } : {}),
      pss: flagBool(args, 'pss'),
      ...(headerProtection ? { headerProtection } : {}),
    };
    const input = await openMessageInput(args, io, flagString(args, 'in'));
    if (!('bytes' in input)) {
      await signStreamed(args, io, input, options);
      return;
    }
    const signed = await signMessage(input.bytes, options);
    await writeOutput(io, flagString(args, 'out'), signed);
  },
};

/**
 * Signs a streamed input. A file (which can be read twice) is first signed with its body kept as it is, as
 * `signMessage` and `openssl cms -sign -stream` write a 7-bit body; if the body turns out not to be 7-bit, the staged
 * output is dropped and the file signed again with the body re-encoded. Standard input is re-encoded from the start.
 */
async function signStreamed(
  args: ParsedArgs,
  io: CliIo,
  input: { stream: ReadableStream<Uint8Array>; size?: number },
  options: SignMessageOptions,
): Promise<void> {
  const path = flagString(args, 'in');
  const out = flagString(args, 'out');
  const rereadable = path !== undefined && path !== '-' && input.size !== undefined && options.detached !== false;
  if (rereadable) {
    try {
      const kept = await signMessageStream(withProgress(args, io, input, 'signing'), {
        ...options,
        bodyEncoding: 'keep',
      });
      await writeStaged(io, out, kept);
      return;
    } catch (e) {
      if (!(e instanceof SmimeError && e.code === 'content-not-7bit' && e.details.sevenBit?.body === 'kept')) throw e;
      if (io.streams!.stderrIsTerminal && !flagBool(args, 'quiet'))
        io.stderr(`${e.message.split(';')[0]}: signing again with the body re-encoded\n`);
    }
    input = await io.streams!.openInput(path);
  }
  const signed = await signMessageStream(withProgress(args, io, input, 'signing'), options);
  await writeStaged(io, out, signed);
}
