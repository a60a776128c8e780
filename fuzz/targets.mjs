/**
 * Fuzz targets: one per parser or entry point of smimekit that takes outside bytes. Each target runs the
 * BUILT library (dist/), so the fuzzer tests what ships.
 *
 * A target is `{ name, about, seedKinds, generators, run }`:
 * - `seedKinds`: which seed files it gets (`seeds.mjs` classifies every vector: `mime`, `pem-cert`,
 *   `der-cms`, ...);
 * - `generators`: which structure-aware generators of `generators.mjs` make fresh inputs for it;
 * - `run(bytes, ctx)`: feeds the input to the library and returns an outcome label for the report ('ok',
 *   'ok:enveloped', ...). Whatever it throws is judged by the oracle in `engine.mjs`: a `SmimeError` is an
 *   outcome (its code), anything else is a finding.
 *
 * `createContext` loads the library and what the targets need (identities, trust list) once per worker.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeLdapAnswer } from './generators.mjs';
import { latin1 } from './mutate.mjs';

/** The repository root (fuzz/..). */
export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** Imports every entry point of the built library from `distDir`. */
async function loadLibrary(distDir = join(REPO_ROOT, 'dist')) {
  const entry = async (name) => import(pathToFileURL(join(resolve(distDir), `${name}.js`)).href);
  const [root, x509, mime, sst, trust, directory, ldap] = await Promise.all(
    ['index', 'x509', 'mime', 'sst', 'trust', 'directory', 'ldap'].map(entry),
  );
  return { root, x509, mime, sst, trust, directory, ldap };
}

/**
 * The library and the material the targets use: the test PKI of vectors/chains (identities with password
 * `test`, the root as the trust list, the intermediate, the manifest's validation time).
 */
export async function createContext({ distDir, vectorsDir = join(REPO_ROOT, 'vectors') } = {}) {
  const lib = await loadLibrary(distDir);
  const chains = join(vectorsDir, 'chains');
  const file = (name) => new Uint8Array(readFileSync(join(chains, name)));
  const manifest = JSON.parse(readFileSync(join(chains, 'manifest.json'), 'utf8'));
  const identity = (name) => lib.root.loadIdentity(file(name), 'test');
  const [rsa, p256, ed25519] = await Promise.all([
    identity('ee-rsa.p12'),
    identity('ee-p256.p12'),
    identity('ee-ed25519.p12'),
  ]);
  const trust = lib.root.TrustList.fromBytes(file('root.pem'));
  return {
    lib,
    SmimeError: lib.root.SmimeError,
    identities: { rsa, p256, ed25519 },
    trust,
    intermediates: [file('intermediate.pem')],
    crls: [file('root.crl.pem'), file('intermediate.crl.pem')],
    at: new Date(manifest.validationTime),
    file,
  };
}

const text = (bytes) => latin1(bytes);
/** How a report came out, as a short label: `report:ok`, `report:signature-invalid`, ... */
const problemLabel = (prefix, ok, problems) => `${prefix}:${ok ? 'ok' : (problems?.[0]?.code ?? 'not-ok')}`;

/** Every target. The order is the order of the report. */
/** Encrypted messages only: the others stop at `not-smime` / `not-enveloped` at once. */
const encryptedSeed = (bytes) =>
  /enveloped-data|authEnveloped-data|smime\.p7m/i.test(latin1(bytes.subarray(0, 64 * 1024)));

export const TARGETS = [
  {
    name: 'sst',
    about:
      'parseSst, then what a trust-list import does with the store: checkSstEntries, describeSstEntry, TrustList.fromSst',
    seedKinds: ['sst'],
    generators: ['sst'],
    run(bytes, { lib }) {
      const store = lib.root.parseSst(bytes);
      lib.sst.checkSstEntries(store);
      const entries = [...store.certificates, ...store.crls, ...store.ctls];
      entries.slice(0, 2000).forEach((e, i) => lib.sst.describeSstEntry(e, i));
      lib.root.TrustList.fromSst(store);
      return `ok:${Math.min(store.certificates.length, 3)}${store.certificates.length > 3 ? '+' : ''}-certificates`;
    },
  },
  {
    name: 'bundles',
    about: 'loadCertificates on PEM, DER, PKCS#7 and SST bundles (bytes, and PEM/base64 given as text)',
    seedKinds: ['sst', 'pem', 'der-cert', 'der-cms', 'der-crl', 'der'],
    generators: ['pem', 'der', 'sst'],
    run(bytes, { lib }) {
      const loaded = lib.root.loadCertificates(bytes);
      if (bytes.length && bytes[0] !== 0x30 && bytes[0] !== 0) lib.root.loadCertificates(text(bytes));
      return `ok:${loaded.format ?? 'loaded'}`;
    },
  },
  {
    name: 'certificate',
    about: 'readCertificate / parseCertificate, every decoded field, then validateCertificate against the test PKI',
    seedKinds: ['der-cert', 'pem-cert'],
    generators: ['der', 'pem'],
    async run(bytes, { lib, trust, intermediates, at }) {
      const cert = lib.root.readCertificate(bytes);
      void cert.emailAddresses;
      void cert.fingerprints;
      cert.toString();
      if (cert.problem) throw cert.problem;
      const parsed = lib.root.parseCertificate(bytes);
      lib.x509.describeCertificate(parsed);
      lib.x509.derViolations(parsed.der);
      const report = await lib.root.validateCertificate(parsed, { trust, intermediates, at, purpose: 'any' });
      return problemLabel('validation', report.valid, report.problems);
    },
  },
  {
    name: 'crl',
    about: 'parseCrl (smimekit/x509) on DER and PEM CRLs',
    seedKinds: ['der-crl', 'pem-crl'],
    generators: ['der', 'pem'],
    run(bytes, { lib }) {
      const crl = lib.x509.parseCrl(bytes);
      crl.entries.forEach((e) => lib.x509.reasonName(e.reason));
      return `ok:${crl.entries.length ? 'entries' : 'empty'}${crl.unsupportedCriticalExtension ? ':critical' : ''}`;
    },
  },
  {
    name: 'pkcs8',
    about: 'loadPrivateKey (PKCS#8 DER/PEM, encrypted PKCS#8 with password "test", PKCS#1, SEC1, OpenSSL DEK-Info PEM)',
    seedKinds: ['der-pkcs8', 'pem-key'],
    generators: ['der', 'pem'],
    async run(bytes, { lib }) {
      const key = await lib.root.loadPrivateKey(bytes, 'test');
      return `ok:${key.type}`;
    },
  },
  {
    name: 'pkcs12',
    about: 'parsePkcs12 and loadIdentity with password "test" (allowMissingMac, so mutations reach the bags)',
    seedKinds: ['der-pfx', 'pem-pfx'],
    generators: ['der'],
    async run(bytes, { lib }) {
      const contents = await lib.root.parsePkcs12(bytes, 'test', { allowMissingMac: true });
      const identity = await lib.root.loadIdentity(bytes, 'test', { allowMissingMac: true });
      return `ok:${contents.macVerified ? 'mac' : 'no-mac'}:${identity.keyType}`;
    },
  },
  {
    name: 'mime',
    about:
      'parseMime (smimekit/mime), walking every entity: headers, parameters, encoded words, addresses, decoded bodies, canonical form',
    seedKinds: ['mime'],
    generators: ['mime'],
    run(bytes, { lib }) {
      const m = lib.mime;
      const root = m.parseMime(bytes);
      let parts = 0;
      for (const entity of m.walkEntities(root)) {
        if (++parts > 2000) break;
        for (const h of entity.headers.slice(0, 50)) {
          const name = (h.name ?? '').toLowerCase();
          if (name === 'content-type') m.parseContentType(h.value);
          else if (name === 'from' || name === 'to' || name === 'sender' || name === 'cc') m.parseAddresses(h.value);
          else if (name === 'subject') m.decodeEncodedWords(h.value);
        }
        m.decodedBody(entity);
      }
      m.canonicalizeEntity(bytes);
      m.splitMessage(bytes);
      return `ok:${parts > 1 ? 'multipart' : 'single'}`;
    },
  },
  {
    name: 'verify',
    about: 'verifyMessage with the test trust list, intermediates and CRLs at the manifest time',
    seedKinds: ['mime'],
    generators: ['mime'],
    async run(bytes, { lib, trust, intermediates, crls, at }) {
      const report = await lib.root.verifyMessage(bytes, { trust, intermediates, crls, at });
      lib.root.verifyReportToJson(report);
      lib.root.verifyReportToText(report);
      return problemLabel('report', report.ok, report.problems);
    },
  },
  {
    name: 'decrypt',
    about: 'decryptMessage with a real identity of vectors/chains (RSA, and P-256 for inputs whose length is odd)',
    seedKinds: ['mime'],
    seedFilter: encryptedSeed,
    generators: ['mime'],
    async run(bytes, { lib, identities }) {
      const identity = bytes.length % 2 ? identities.p256 : identities.rsa;
      const result = await lib.root.decryptMessage(bytes, { identity, tryAllRecipients: true });
      return `ok:${result.envelopeType}:${result.authenticated ? 'authenticated' : 'unauthenticated'}`;
    },
  },
  {
    name: 'read',
    about: 'readMessage with both identities and the trust list: every layer (enveloped, signed, compressed) walked',
    seedKinds: ['mime'],
    generators: ['mime'],
    async run(bytes, { lib, identities, trust, intermediates, at }) {
      const result = await lib.root.readMessage(bytes, {
        identities: [identities.rsa, identities.p256],
        trust,
        intermediates,
        at,
      });
      return `${result.ok ? 'ok' : 'not-ok'}:${result.layers.map((l) => l.type).join('+') || 'plain'}`;
    },
  },
  {
    name: 'verify-stream',
    about:
      'verifyMessageStream on the input in pieces (sizes from its length): its content stream closes cleanly only with an ok report',
    seedKinds: ['mime'],
    generators: ['mime'],
    async run(bytes, ctx) {
      const { lib, trust, intermediates, crls, at } = ctx;
      const { stream, report } = await lib.root.verifyMessageStream(pieces(bytes), { trust, intermediates, crls, at });
      const closed = await readToEnd(stream, ctx);
      const r = await report;
      if (closed && !r.ok)
        throw new Error('verifyMessageStream closed its content cleanly with a report that is not ok');
      if (!closed && r.ok) throw new Error('verifyMessageStream errored its content with an ok report');
      return problemLabel('report', r.ok, r.problems);
    },
  },
  {
    name: 'decrypt-stream',
    about: 'decryptMessageStream on the input in pieces: a content stream that closes cleanly comes with a result',
    seedKinds: ['mime'],
    seedFilter: encryptedSeed,
    generators: ['mime'],
    async run(bytes, ctx) {
      const { lib, identities } = ctx;
      const identity = bytes.length % 2 ? identities.p256 : identities.rsa;
      const { stream, result } = await lib.root.decryptMessageStream(pieces(bytes), { identity });
      result.catch(() => undefined);
      const closed = await readToEnd(stream, ctx);
      // Errored content: the result must reject too (with that error, the outcome).
      const r = await result;
      if (!closed) throw new Error('decryptMessageStream errored its content but its result resolved');
      return `ok:${r.envelopeType}:${r.authenticated ? 'authenticated' : 'unauthenticated'}`;
    },
  },
  {
    name: 'read-stream',
    about:
      'readMessageStream on the input in pieces with both identities: its content stream closes cleanly only with an ok result',
    seedKinds: ['mime'],
    generators: ['mime'],
    async run(bytes, ctx) {
      const { lib, identities, trust, intermediates, at } = ctx;
      const { stream, result } = await lib.root.readMessageStream(pieces(bytes), {
        identities: [identities.rsa, identities.p256],
        trust,
        intermediates,
        at,
      });
      result.catch(() => undefined);
      const closed = await readToEnd(stream, ctx);
      const r = await result;
      if (closed && !r.ok) throw new Error('readMessageStream closed its content cleanly with a result that is not ok');
      return `${r.ok ? 'ok' : 'not-ok'}:${r.layers.map((l) => l.type).join('+') || 'plain'}`;
    },
  },
  {
    name: 'ldif',
    about:
      'parseLdif (smimekit/directory) and MemoryDirectory.load of the same bytes (LDIF, certificates, userSMIMECertificate: auto-detected)',
    seedKinds: ['ldif'],
    generators: ['ldif'],
    async run(bytes, { lib }) {
      const records = lib.directory.parseLdif(bytes);
      const directory = new lib.root.MemoryDirectory();
      const result = directory.load(bytes);
      for (const entry of result.added.slice(0, 20)) {
        if (entry.address) await directory.lookup(entry.address);
        if (entry.kind === 'group') directory.expandMembers(entry);
      }
      return `ok:${records.length ? 'records' : 'empty'}:${result.format}`;
    },
  },
  {
    name: 'user-smime-certificate',
    about:
      'parseUserSmimeCertificate and verifyUserSmimeCertificate on userSMIMECertificate values (CMS SignedData and Outlook TLV)',
    seedKinds: ['der-cms', 'settings'],
    generators: ['settings', 'der'],
    async run(bytes, { lib }) {
      const parsed = lib.directory.parseUserSmimeCertificate(bytes);
      const checked = await lib.directory.verifyUserSmimeCertificate(bytes);
      return `ok:${parsed.format}:${checked.signed ? (checked.signatureValid ? 'valid' : 'invalid') : 'unsigned'}`;
    },
  },
  {
    name: 'ldap-answers',
    about:
      'LDAP search answers handed to the directory layer: LdapDirectory.lookup/members over a stubbed connection (its toEntry/candidatesFromAttributes path), each value also through parseUserSmimeCertificate/parseCertificate (whose errors candidatesFromAttributes swallows), then resolveCertificate over the entries',
    seedKinds: ['ldap'],
    generators: ['ldap'],
    async run(bytes, ctx) {
      const { lib, trust, intermediates, at } = ctx;
      const answer = decodeLdapAnswer(bytes);
      // A value that candidatesFromAttributes would report as unreadable must still fail with a SmimeError.
      for (const entry of answer) {
        for (const [name, value] of Object.entries(entry)) {
          if (!/certificate/i.test(name)) continue;
          for (const v of Array.isArray(value) ? value : [value]) {
            const bytesOf = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
            guard(ctx, () =>
              /smime/i.test(name)
                ? lib.directory.parseUserSmimeCertificate(bytesOf)
                : lib.root.parseCertificate(bytesOf),
            );
          }
        }
      }
      const directory = stubbedLdapDirectory(lib, answer);
      const mails = answer.flatMap((e) => [e.mail, e.MAIL].flat().filter((m) => typeof m === 'string'));
      const address = mails.find((m) => /^[^@\s]+@[^@\s]+$/.test(m)) ?? 'bob@contoso.com';
      const entries = await directory.lookup(address);
      for (const entry of entries) if (entry.kind === 'group') await directory.members(entry);
      const resolved = await lib.root.resolveCertificate(address, { directory, trust, intermediates, at });
      return `ok:${entries.length ? 'found' : 'none'}:${resolved.certificate ? 'resolved' : 'unresolved'}`;
    },
  },
];

/** The input as pieces of one size that follows from its length (1 to 4,099 bytes), so a replay cuts it alike. */
function pieces(bytes) {
  const size = 1 + ((bytes.length * 7919) % 4099);
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

/**
 * Reads a stream to its end: true when it closed, false when it errored with a SmimeError (anything else is
 * rethrown: a finding).
 */
async function readToEnd(stream, { SmimeError }) {
  const reader = stream.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read());
    return true;
  } catch (e) {
    if (e instanceof SmimeError) return false;
    throw e;
  }
}

/** Runs `step`; a SmimeError is fine (the value is unreadable), anything else is rethrown for the oracle. */
function guard({ SmimeError }, step) {
  try {
    step();
  } catch (e) {
    if (!(e instanceof SmimeError)) throw e;
  }
}

/**
 * An LdapDirectory whose connection answers every search with `answer` (ldapts `Entry` objects: `dn`, then
 * attribute name → string | Buffer | array), so lookups run the real entry mapping without a server.
 */
function stubbedLdapDirectory(lib, answer) {
  const directory = new lib.ldap.LdapDirectory({
    url: 'ldap://fuzz.invalid',
    baseDn: 'DC=contoso,DC=com',
    timeoutMs: 1000,
  });
  const client = {
    search: async (base, options) => ({
      searchEntries: options?.scope === 'base' ? answer.filter((e) => e.dn === base).slice(0, 1) : answer,
    }),
  };
  // `connection` is private in the TypeScript source; the built class keeps it as a plain property.
  Object.defineProperty(directory, 'connection', {
    value: { run: async (_what, _signal, operation) => operation(client), close: async () => {} },
  });
  return directory;
}
