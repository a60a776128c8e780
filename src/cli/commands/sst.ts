/** `smimekit sst list|create|add|remove|export`. */
import { ArgumentError } from '../../errors.js';
import { createSst, type SstCertificateInput } from '../../sst/create.js';
import { describeSstEntry, type SstEntryDescription } from '../../sst/describe.js';
import { loadCertificates, type LoadedCertificates } from '../../sst/load.js';
import { parseSst } from '../../sst/parse.js';
import { serializeSst } from '../../sst/serialize.js';
import type { SstEntry, SstStore } from '../../sst/types.js';
import { fromHex } from '../../util/bytes.js';
import { encodePem } from '../../util/pem.js';
import { flagBool, flagList, flagString, requireFlag, UsageError, type ParsedArgs } from '../args.js';
import { readInput, writeOutput, type CliIo } from '../io.js';
import type { Command } from '../command.js';

async function loadFile(io: CliIo, path: string): Promise<LoadedCertificates> {
  return loadCertificates(await readInput(io, path));
}

/** A loaded file as a store: SSTs keep their properties, other formats get none. */
function asStore(loaded: LoadedCertificates): SstStore {
  if (loaded.sst) return loaded.sst;
  return {
    certificates: loaded.certificates.map((der) => ({ kind: 'certificate', der, properties: [] })),
    crls: loaded.crls.map((der) => ({ kind: 'crl', der, properties: [] })),
    ctls: [],
  };
}

/** Entries are numbered across the listing: certificates, then CRLs, then CTLs (the numbers `--index` takes). */
function describeStore(store: SstStore) {
  const crlBase = store.certificates.length;
  const ctlBase = crlBase + store.crls.length;
  return {
    certificates: store.certificates.map((e, i) => describeSstEntry(e, i)),
    crls: store.crls.map((e, i) => describeSstEntry(e, crlBase + i)),
    ctls: store.ctls.map((e, i) => describeSstEntry(e, ctlBase + i)),
  };
}

function textEntry(d: SstEntryDescription): string {
  const lines: string[] = [];
  if (d.kind === 'certificate') {
    lines.push(`[${d.index}] ${d.subject ?? '(unparsable certificate)'}`);
    if (d.friendlyName !== undefined) lines.push(`    friendly name: ${d.friendlyName}`);
    if (d.issuer !== undefined) lines.push(`    issuer:        ${d.issuer}`);
    if (d.serialNumber !== undefined) lines.push(`    serial:        ${d.serialNumber}`);
    if (d.notBefore !== undefined) lines.push(`    valid:         ${d.notBefore} .. ${d.notAfter}`);
  } else {
    lines.push(`[${d.index}] ${d.kind.toUpperCase()} ${d.issuer ? `issued by ${d.issuer}` : ''}`.trimEnd());
    if (d.thisUpdate)
      lines.push(
        `    this update:   ${d.thisUpdate}${d.nextUpdate ? `, next update ${d.nextUpdate}` : ', no next update'}`,
      );
    if (d.revokedCount !== undefined) lines.push(`    revoked:       ${d.revokedCount} serial(s)`);
  }
  lines.push(`    SHA-1:         ${d.sha1}`, `    SHA-256:       ${d.sha256}`);
  const props = d.properties.filter((p) => p.id !== 11).map((p) => `${p.name}(${p.id})`);
  if (props.length > 0) lines.push(`    properties:    ${props.join(', ')}`);
  for (const p of d.problems) lines.push(`    warning ${p.code}: ${p.message}`);
  return lines.join('\n');
}

const list: Command = {
  summary: 'list the certificates and CRLs of an SST (or PEM/DER/PKCS#7) file',
  spec: {
    usage: 'smimekit sst list FILE [--json]',
    flags: { json: 'boolean' },
    describe: { json: 'print the listing as JSON' },
  },
  async run(args, io) {
    const [path, ...extra] = args.positionals;
    if (!path || extra.length > 0) throw new UsageError('sst list takes exactly one FILE');
    const loaded = await loadFile(io, path);
    const store = asStore(loaded);
    const described = describeStore(store);
    if (flagBool(args, 'json')) {
      io.stdout(
        `${JSON.stringify({ file: path, format: loaded.format, ...described, trailingBytes: store.trailingBytes?.length ?? 0, ignored: loaded.ignored }, null, 2)}\n`,
      );
      return;
    }
    const out: string[] = [
      `${path}: ${loaded.format}, ${store.certificates.length} certificate(s), ${store.crls.length} CRL(s)${store.ctls.length ? `, ${store.ctls.length} CTL(s)` : ''}`,
    ];
    for (const d of [...described.certificates, ...described.crls, ...described.ctls]) out.push(textEntry(d));
    if (store.trailingBytes?.length)
      out.push(`note: ${store.trailingBytes.length} byte(s) follow the end marker (kept when rewriting)`);
    io.stdout(`${out.join('\n')}\n`);
  },
};

/** Per-certificate inputs from `--friendly-name` (i-th name for the i-th certificate) and `--eku` (all). */
function certificateInputs(ders: Uint8Array[], args: ParsedArgs): SstCertificateInput[] {
  const names = flagList(args, 'friendly-name');
  if (names.length > ders.length)
    throw new UsageError(`${names.length} --friendly-name values for ${ders.length} certificate(s)`);
  const eku = flagList(args, 'eku');
  for (const oid of eku)
    if (!/^\d+(\.\d+)+$/.test(oid))
      throw new UsageError(`--eku ${oid} is not a dotted OID (emailProtection is 1.3.6.1.5.5.7.3.4)`);
  return ders.map((certificate, i) => ({
    certificate,
    ...(names[i] !== undefined ? { friendlyName: names[i] } : {}),
    ...(eku.length > 0 ? { enhancedKeyUsage: eku } : {}),
  }));
}

/** `--help` lines of the flags `sst create` and `sst add` share. */
const ADD_DESCRIBE: Record<string, string> = {
  'friendly-name': 'NAME  the friendly name of a certificate: the i-th name goes to the i-th certificate',
  eku: 'OID  restrict every certificate to this extended key usage (S/MIME: 1.3.6.1.5.5.7.3.4)',
  crl: 'FILE  CRLs to add (PEM or DER)',
};

async function collect(io: CliIo, paths: string[], what: 'certificates' | 'crls'): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const p of paths) out.push(...(await loadFile(io, p))[what]);
  return out;
}

const create: Command = {
  summary: 'create an SST from certificate files (PEM, DER, PKCS#7, SST)',
  spec: {
    usage: 'smimekit sst create --out FILE [--friendly-name NAME]... [--eku OID]... [--crl FILE]... CERT...',
    flags: { out: 'string', 'friendly-name': 'repeat', eku: 'repeat', crl: 'repeat' },
    describe: { out: 'FILE  the SST file to write (required)', ...ADD_DESCRIBE },
  },
  async run(args, io) {
    const out = requireFlag(args, 'out');
    if (args.positionals.length === 0) throw new UsageError('sst create needs at least one CERT file');
    const ders = await collect(io, args.positionals, 'certificates');
    if (ders.length === 0) throw new ArgumentError('no-certificates', 'the given files contain no certificates');
    const crls = [
      ...(await collect(io, flagList(args, 'crl'), 'crls')),
      ...(await collect(io, args.positionals, 'crls')),
    ];
    const store = createSst(certificateInputs(ders, args), { crls });
    await io.writeFile(out, serializeSst(store));
    io.stderr(`wrote ${out}: ${store.certificates.length} certificate(s), ${store.crls.length} CRL(s)\n`);
  },
};

const add: Command = {
  summary: 'add certificates (and CRLs) to an SST, skipping ones already present',
  spec: {
    usage: 'smimekit sst add STORE [--out FILE] [--friendly-name NAME]... [--eku OID]... [--crl FILE]... CERT...',
    flags: { out: 'string', 'friendly-name': 'repeat', eku: 'repeat', crl: 'repeat' },
    describe: { out: 'FILE  write the result here instead of changing STORE in place', ...ADD_DESCRIBE },
  },
  async run(args, io) {
    const [storePath, ...certPaths] = args.positionals;
    if (!storePath || (certPaths.length === 0 && flagList(args, 'crl').length === 0))
      throw new UsageError('sst add needs STORE and at least one CERT or --crl');
    const store = parseSst(await io.readFile(storePath));
    const ders = await collect(io, certPaths, 'certificates');
    const crls = [...(await collect(io, flagList(args, 'crl'), 'crls')), ...(await collect(io, certPaths, 'crls'))];
    const additions = createSst(certificateInputs(ders, args), { crls });
    const known = new Set([...store.certificates, ...store.crls].map((e) => describeSstEntry(e, 0).sha1));
    let added = 0;
    let skipped = 0;
    for (const entry of [...additions.certificates, ...additions.crls]) {
      const sha1 = describeSstEntry(entry, 0).sha1;
      if (known.has(sha1)) {
        skipped++;
        continue;
      }
      known.add(sha1);
      (entry.kind === 'crl' ? store.crls : store.certificates).push(entry);
      added++;
    }
    await io.writeFile(flagString(args, 'out') ?? storePath, serializeSst(store));
    io.stderr(`added ${added}, skipped ${skipped} already present\n`);
  },
};

/** Entry selection shared by remove/export: `--sha1`, `--subject` (substring, case-insensitive), `--index`. */
function selector(args: ParsedArgs): ((entry: SstEntry, index: number) => boolean) | undefined {
  const sha1s = flagList(args, 'sha1').map((h) => {
    const clean = h.replace(/[\s:]/g, '').toLowerCase();
    if (clean.length !== 40) throw new UsageError(`--sha1 ${h} is not a 40-digit SHA-1 thumbprint`);
    fromHex(clean);
    return clean;
  });
  const subjects = flagList(args, 'subject').map((s) => s.toLowerCase());
  const indexes = flagList(args, 'index').map((s) => {
    if (!/^\d+$/.test(s)) throw new UsageError(`--index ${s} is not a number`);
    return Number(s);
  });
  if (sha1s.length + subjects.length + indexes.length === 0) return undefined;
  return (entry, index) => {
    const d = describeSstEntry(entry, index);
    return (
      sha1s.includes(d.sha1) ||
      indexes.includes(index) ||
      subjects.some(
        (s) =>
          (d.subject ?? d.issuer ?? '').toLowerCase().includes(s) || (d.friendlyName ?? '').toLowerCase().includes(s),
      )
    );
  };
}

const SELECT_FLAGS = { sha1: 'repeat', subject: 'repeat', index: 'repeat' } as const;

/** `--help` lines of `SELECT_FLAGS`. */
const SELECT_DESCRIBE: Record<string, string> = {
  sha1: 'HEX  the entry with this SHA-1 thumbprint',
  subject: 'TEXT  entries whose subject (issuer for CRLs) or friendly name contains TEXT, ignoring case',
  index: 'N  the entry numbered N by sst list (certificates first, then CRLs)',
};

const remove: Command = {
  summary: 'remove entries from an SST by thumbprint, subject or index',
  spec: {
    usage: 'smimekit sst remove STORE (--sha1 HEX | --subject TEXT | --index N)... [--out FILE]',
    flags: { out: 'string', ...SELECT_FLAGS },
    describe: { out: 'FILE  write the result here instead of changing STORE in place', ...SELECT_DESCRIBE },
  },
  async run(args, io) {
    const [storePath, ...extra] = args.positionals;
    if (!storePath || extra.length > 0) throw new UsageError('sst remove takes exactly one STORE');
    const match = selector(args);
    if (!match) throw new UsageError('sst remove needs --sha1, --subject or --index');
    const store = parseSst(await io.readFile(storePath));
    const before = store.certificates.length + store.crls.length;
    const crlBase = store.certificates.length;
    store.certificates = store.certificates.filter((e, i) => !match(e, i));
    store.crls = store.crls.filter((e, i) => !match(e, crlBase + i));
    const removed = before - store.certificates.length - store.crls.length;
    if (removed === 0) throw new ArgumentError('no-match', 'no entry matches the selection; nothing was changed');
    await io.writeFile(flagString(args, 'out') ?? storePath, serializeSst(store));
    io.stderr(`removed ${removed} entr${removed === 1 ? 'y' : 'ies'}\n`);
  },
};

const exportCommand: Command = {
  summary: 'export certificates and CRLs of an SST as PEM (or one as DER)',
  spec: {
    usage: 'smimekit sst export STORE [--pem | --der] [--sha1 HEX | --subject TEXT | --index N]... [--out FILE]',
    flags: { out: 'string', pem: 'boolean', der: 'boolean', ...SELECT_FLAGS },
    describe: {
      out: 'FILE  where the output goes (default: standard output)',
      pem: 'write PEM (the default)',
      der: 'write exactly one entry as DER',
      ...SELECT_DESCRIBE,
    },
  },
  async run(args, io) {
    const [storePath, ...extra] = args.positionals;
    if (!storePath || extra.length > 0) throw new UsageError('sst export takes exactly one STORE');
    if (flagBool(args, 'pem') && flagBool(args, 'der')) throw new UsageError('--pem and --der exclude each other');
    const store = asStore(await loadFile(io, storePath));
    const match = selector(args) ?? (() => true);
    const certs = store.certificates.filter(match);
    const crls = store.crls.filter((e, i) => match(e, store.certificates.length + i));
    if (certs.length + crls.length === 0) throw new ArgumentError('no-match', 'no entry matches the selection');
    if (flagBool(args, 'der')) {
      if (certs.length + crls.length !== 1)
        throw new UsageError(
          `--der writes exactly one entry; ${certs.length + crls.length} match (select one with --sha1 or --index)`,
        );
      await writeOutput(io, flagString(args, 'out'), (certs[0] ?? crls[0])!.der);
      return;
    }
    const pem = [
      ...certs.map((e) => encodePem('CERTIFICATE', e.der)),
      ...crls.map((e) => encodePem('X509 CRL', e.der)),
    ].join('');
    await writeOutput(io, flagString(args, 'out'), pem);
  },
};

export const sstCommands: Record<string, Command> = {
  'sst list': list,
  'sst create': create,
  'sst add': add,
  'sst remove': remove,
  'sst export': exportCommand,
};
