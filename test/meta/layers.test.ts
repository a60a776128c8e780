/**
 * Architecture rules from the design card: lower layers never import higher
 * ones, and library code stays runtime-agnostic (no Node built-ins, no Buffer)
 * outside the CLI.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

// node/ (files as streams, GC pacing: `smimekit/node`) and nodemailer/ (the `smimekit/nodemailer` plugin) are
// Node-only and sit on the facade; the CLI may use them, never the reverse.
const LAYERS = [
  'util',
  'x509',
  'sst',
  'crypto',
  'cms',
  'mime',
  'trust',
  'directory',
  'smime',
  'node',
  'nodemailer',
  'cli',
];
// errors.ts, util/ and asn1/ are the foundation every layer stands on.
const rank = (layer: string) => (layer === 'errors.ts' || layer === 'asn1' ? 0 : LAYERS.indexOf(layer));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const src = join(repoRoot, 'src');
const all = files(src).map((p) => ({ path: relative(src, p), text: readFileSync(p, 'utf8') }));

describe('layering', () => {
  it('no module imports a higher layer', () => {
    const violations: string[] = [];
    for (const f of all) {
      const layer = f.path.split('/')[0]!;
      if (!f.path.includes('/')) continue; // entry points (index.ts and the sub-path entries) may import any layer
      for (const m of f.text.matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(src, join(src, f.path, '..', m[1]!)).split('/')[0]!;
        const targetLayer = target.endsWith('.js') ? target.replace(/\.js$/, '.ts') : target;
        if (targetLayer === 'index.ts') violations.push(`${f.path} imports the package root`);
        else if (rank(targetLayer) > rank(layer))
          violations.push(`${f.path} (${layer}) imports ${m[1]} (${targetLayer})`);
      }
    }
    expect(violations).toEqual([]);
  });

  // Node-only adapters, published behind sub-path exports (smimekit/ldap, smimekit/nodemailer, smimekit/node), never
  // from the root entry.
  const NODE_ONLY = new Set([
    'node.ts',
    'node/files.ts',
    'node/gc-pacer.ts',
    'ldap.ts',
    'directory/ldap.ts',
    'directory/ldap-connection.ts',
    'directory/ldap-crl.ts',
    'nodemailer.ts',
    'nodemailer/plugin.ts',
  ]);

  it('library code outside src/cli and the Node-only adapters uses no Node built-ins, no ldapts and no Buffer', () => {
    const offenders = all
      .filter((f) => !f.path.startsWith('cli/') && !NODE_ONLY.has(f.path))
      .filter((f) => /from '(node:|ldapts)|require\(|\bBuffer\./.test(f.text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('nodemailer is imported as types only (smimekit does not depend on it at run time)', () => {
    const offenders = all
      .filter((f) =>
        [...f.text.matchAll(/^(import|export)\s[^;]*?from '(nodemailer[^']*)'/gm)].some(
          (m) => !/^(import|export) type\s/.test(m[0]),
        ),
      )
      .map((f) => f.path);
    expect(offenders).toEqual([]);
    expect(all.some((f) => /^import type [^;]* from 'nodemailer\//m.test(f.text))).toBe(true);
  });
});

describe('one ASN.1 layer', () => {
  it('only src/asn1 reads or writes TLVs: no other DER module, node type or TLV reader exists', () => {
    const offenders = all
      .filter((f) => !f.path.startsWith('asn1/'))
      .flatMap((f) => {
        const code = f.text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '').replace(/^(import|export)\s[^;]*;$/gm, '');
        const hits: string[] = [];
        if (/from '[^']*\/(der|der-element|enveloped-der|x509-lite)\.js'/.test(code))
          hits.push('imports a removed DER module');
        if (/\b(interface|type|class)\s+\w*(DerNode|Asn1Node|TlvNode|BerNode)\b/.test(code))
          hits.push('declares its own ASN.1 node type');
        if (/\bfunction\s+(read|parse|decode|encode)(Tlv|Der|Ber|Asn1)(Node|Length|Header)?\s*\(/.test(code))
          hits.push('defines its own TLV reader or writer');
        return hits.map((h) => `${f.path}: ${h}`);
      });
    expect(offenders).toEqual([]);
  });

  it('only src/x509 decodes certificates: the other layers use its Certificate model', () => {
    const decoders = all.filter(
      (f) => !f.path.startsWith('x509/') && /\bTBSCertificate\b/.test(f.text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')),
    );
    expect(decoders.map((f) => f.path)).toEqual([]);
  });
});

describe('entry points', () => {
  it('the root entry never reaches a Node-only adapter through its imports', () => {
    const byPath = new Map(all.map((f) => [f.path, f.text]));
    const seen = new Set<string>();
    const visit = (path: string): void => {
      if (seen.has(path)) return;
      seen.add(path);
      for (const m of (byPath.get(path) ?? '').matchAll(/from '(\.[^']+)'/g))
        visit(relative(src, join(src, path, '..', m[1]!)).replace(/\.js$/, '.ts'));
    };
    visit('index.ts');
    expect(
      [...seen].filter(
        (p) =>
          p === 'directory/ldap.ts' ||
          p === 'directory/ldap-crl.ts' ||
          p === 'directory/ldap-connection.ts' ||
          p === 'ldap.ts' ||
          p.startsWith('cli/') ||
          p === 'nodemailer.ts' ||
          p.startsWith('nodemailer/') ||
          p === 'node.ts' ||
          p.startsWith('node/'),
      ),
    ).toEqual([]);
    expect(seen.size).toBeGreaterThan(50);
  });
});
