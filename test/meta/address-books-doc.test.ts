/** docs/address-books.md's Set-SmimeConfig table is the one the code publishes (SMIME_CONFIG_PARAMETERS). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { smimeConfigMarkdown } from '../../src/smime/policy.js';
import { SMIME_CONFIG_PARAMETERS } from '../../src/smime/smime-config-parameters.js';
import { repoRoot } from '../helpers/vectors.js';

it('the Set-SmimeConfig table in docs/address-books.md matches the code', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'address-books.md'), 'utf8');
  expect(doc).toContain(smimeConfigMarkdown().trim());
  for (const p of SMIME_CONFIG_PARAMETERS) expect(doc).toContain(`\`${p.parameter}\``);
});
