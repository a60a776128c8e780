/** `--header-protection` and its settings, shared by `sign`, `encrypt` and `compose` (RFC 9788, docs/header-protection.md). */
import type { SignHeaderProtectionOptions } from '../smime/header-protection.js';
import { flagBool, flagString, UsageError, type FlagKind, type ParsedArgs } from './args.js';

/** The flags, for a command's `flags`. */
export const HEADER_PROTECTION_FLAGS: Record<string, FlagKind> = {
  'header-protection': 'boolean',
  hcp: 'string',
  'no-legacy-display': 'boolean',
};

/** Their `--help` lines. */
export const HEADER_PROTECTION_DESCRIBE: Record<string, string> = {
  'header-protection':
    'protect the header fields (Subject, From, To, Date...) inside the signature or encryption (RFC 9788)',
  hcp: 'baseline|shy|none  what an encrypted message hides outside (default baseline: Subject becomes [...])',
  'no-legacy-display':
    'do not repeat the hidden fields at the top of the text for clients without header protection support',
};

const POLICIES = ['baseline', 'shy', 'none'] as const;

/** The `headerProtection` option the flags ask for, or undefined without `--header-protection`. */
export function headerProtectionFromFlags(
  args: ParsedArgs,
  forEncryption = false,
): SignHeaderProtectionOptions | undefined {
  const hcp = flagString(args, 'hcp');
  const noLegacy = flagBool(args, 'no-legacy-display');
  if (!flagBool(args, 'header-protection')) {
    if (hcp !== undefined || noLegacy || forEncryption)
      throw new UsageError('--hcp, --no-legacy-display and --for-encryption go with --header-protection');
    return undefined;
  }
  if (hcp !== undefined && !(POLICIES as readonly string[]).includes(hcp))
    throw new UsageError(`--hcp must be baseline, shy or none, not "${hcp}"`);
  const options: SignHeaderProtectionOptions = {};
  if (hcp !== undefined) options.policy = hcp as (typeof POLICIES)[number];
  if (noLegacy) options.legacyDisplay = false;
  if (forEncryption) options.forEncryption = true;
  return options;
}
