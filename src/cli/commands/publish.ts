/**
 * `smimekit publish`: the `userSMIMECertificate` value Outlook's "Publish to
 * GAL" writes (a signed CMS blob with the certificate, its chain and the
 * SMIMECapabilities), as DER, or as the LDIF change record that puts it on a
 * directory entry with `ldapmodify`.
 */
import { buildUserSmimeCertificate } from '../../directory/user-smime-certificate-build.js';
import { userSmimeCertificateLdif } from '../../directory/ldif-write.js';
import { loadCertificates } from '../../sst/load.js';
import { bytesEqual } from '../../util/bytes.js';
import { flagBool, flagList, flagString, UsageError } from '../args.js';
import { IDENTITY_DESCRIBE, IDENTITY_FLAGS, PASSWORD_USAGE, loadIdentityFromFlags } from '../identity-flags.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

const USAGE = `smimekit publish (--p12 FILE | --cert FILE --key FILE) ${PASSWORD_USAGE} [--chain FILE...] [--ldif DN [--add]] [--out FILE]`;

export const publishCommand: Command = {
  summary: 'write the userSMIMECertificate value to publish (DER), or its LDIF for ldapmodify',
  spec: {
    usage: USAGE,
    flags: { ...IDENTITY_FLAGS, chain: 'repeat', ldif: 'string', add: 'boolean', out: 'string' },
    describe: {
      ...IDENTITY_DESCRIBE,
      chain: "FILE  CA certificates to include (PEM, DER, PKCS#7, SST), after the identity's own chain",
      ldif: 'DN  write the LDIF change record for ldapmodify -f instead of the DER value',
      add: "with --ldif: add the value instead of replacing the entry's values",
      out: 'FILE  where the value goes (default: standard output)',
    },
  },
  async run(args, io: CliIo) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    const dn = flagString(args, 'ldif');
    if (dn !== undefined && dn.trim() === '') throw new UsageError('--ldif needs the DN of the entry to modify');
    if (flagBool(args, 'add') && dn === undefined) throw new UsageError('--add is used only with --ldif DN');
    const identity = await loadIdentityFromFlags(args, io);
    // The identity's own chain (PKCS#12 extras, PEM bundle), then --chain, each certificate once.
    const chain = [...identity.chain];
    for (const path of flagList(args, 'chain')) {
      for (const der of loadCertificates(await readInput(io, path)).certificates)
        if (!chain.some((c) => bytesEqual(c, der))) chain.push(der);
    }
    const value = await buildUserSmimeCertificate(
      { certificate: identity.certificate, privateKey: identity.privateKey, chain },
      { chain, signingTime: io.now() },
    );
    const out = flagString(args, 'out');
    if (dn === undefined) await writeOutput(io, out, value);
    else
      await writeOutput(
        io,
        out,
        userSmimeCertificateLdif(dn, value, { mode: flagBool(args, 'add') ? 'add' : 'replace' }),
      );
  },
};
