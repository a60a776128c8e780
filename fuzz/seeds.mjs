/**
 * Seeds: every file in vectors/ and ../shared/vectors/ (when that folder exists), classified by content
 * (and extension where content is not enough) into kinds the targets ask for, plus inputs made with the
 * library itself from the test PKI (signed, encrypted, compressed messages; LDIF exports;
 * userSMIMECertificate values; SST stores; PKCS#12 files without a MAC; LDAP answers).
 *
 * Generated seeds are deterministic: the library's random source is replaced by a seeded one while they
 * are made (AES keys and IVs, PKCS#1 v1.5 padding, PKCS#12 salts), and only deterministic signature
 * schemes are used (RSA PKCS#1 v1.5, Ed25519), so `--seed` gives the same inputs on every run.
 */
import { webcrypto } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodeLdapAnswer } from './generators.mjs';
import { Rng, concat, encodeLength, fromLatin1, latin1, looksTextual, readTree, writeTree } from './mutate.mjs';
import { REPO_ROOT } from './targets.mjs';

/** Seed files bigger than this are left out (they would only slow mutation down). */
const MAX_SEED_FILE = 2 * 1024 * 1024;
const SKIP_EXTENSIONS = new Set(['.json', '.md', '.sh', '.txt.sig']);

/** The vector folders: vectors/ and, when present, ../shared/vectors/ (or $SMIMEKIT_SHARED_VECTORS, as the tests). */
export function vectorDirs(root = REPO_ROOT) {
  const shared = process.env.SMIMEKIT_SHARED_VECTORS ?? join(root, '..', 'shared', 'vectors');
  return [join(root, 'vectors'), shared].filter((d) => existsSync(d));
}

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) yield* files(path);
    else if (st.isFile() && st.size <= MAX_SEED_FILE && !SKIP_EXTENSIONS.has(extname(name).toLowerCase())) yield path;
  }
}

const hex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const OID = {
  data: hex('2a864886f70d010701'),
  signedData: hex('2a864886f70d010702'),
  envelopedData: hex('2a864886f70d010703'),
  authEnvelopedData: hex('2a864886f70d0109100117'),
  compressedData: hex('2a864886f70d0109100109'),
  digestedData: hex('2a864886f70d010705'),
  encryptedData: hex('2a864886f70d010706'),
  authData: hex('2a864886f70d0109100102'),
  zlib: hex('2a864886f70d0109100308'),
  pkcs8ShroudedKeyBag: hex('2a864886f70d010c0a0102'),
};
const sameBytes = (a, b) => a && b && a.length === b.length && a.every((v, i) => v === b[i]);

/** What a DER input is, from its outline. */
function derKind(bytes) {
  const tree = readTree(bytes);
  const top = tree?.[0];
  if (!top?.children?.length) return tree ? 'der' : null;
  const [a, b, c] = top.children;
  const isOid = (n) => n && n.cls === 0 && n.tag === 6;
  if (
    isOid(a) &&
    Object.entries(OID).some(([k, o]) => k !== 'zlib' && k !== 'pkcs8ShroudedKeyBag' && sameBytes(a.content, o))
  )
    return 'der-cms';
  if (a?.tag === 2 && a.cls === 0 && a.content?.length === 1 && a.content[0] === 3 && b?.children) return 'der-pfx';
  if (a?.tag === 2 && a.cls === 0 && b?.tag === 16 && c?.cls === 0 && c?.tag === 4) return 'der-pkcs8';
  if (a?.tag === 16 && a.children?.[0]?.tag === 6 && b?.cls === 0 && b.tag === 4 && !c) return 'der-pkcs8'; // EncryptedPrivateKeyInfo
  if (a?.tag === 16 && b?.tag === 16 && c?.tag === 3 && a.children) {
    const first = a.children[0];
    // TBSCertificate starts with [0] version or the serial; TBSCertList with the version 1 or the signature AlgId.
    if (
      first?.cls === 2 ||
      (first?.tag === 2 && a.children[1]?.tag === 16 && a.children[2]?.tag === 16 && a.children[3]?.tag === 16)
    )
      return 'der-cert';
    return 'der-crl';
  }
  if (a?.tag === 2 && a.cls === 0 && b?.tag === 2) return 'der-pkcs8'; // PKCS#1 RSAPrivateKey
  if (a?.tag === 2 && a.cls === 0 && b?.tag === 4) return 'der-pkcs8'; // SEC1 ECPrivateKey
  return 'der';
}

const PEM_KINDS = [
  [/CERTIFICATE/, 'pem-cert'],
  [/CRL/, 'pem-crl'],
  [/PRIVATE KEY|EC PARAMETERS/, 'pem-key'],
  [/PKCS7|CMS/, 'pem-cms'],
  [/PKCS12|PKCS #12|PFX/, 'pem-pfx'],
];

function pemBlocks(text) {
  const out = [];
  const re = /-----BEGIN ([^-\r\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m; (m = re.exec(text));) {
    const body = m[2].replace(/^[A-Za-z-]+:.*\r?\n/gm, '').replace(/\s/g, '');
    out.push({ label: m[1], der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return out;
}

const looksLikeMime = (text) => /^[!-9;-~]+:/.test(text) && /^content-type:/im.test(text.slice(0, 64 * 1024));

/** Base64 of DER with CRLF every 76 characters. */
function base64Lines(bytes, width = 76) {
  const s = Buffer.from(bytes).toString('base64');
  const lines = [];
  for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  return lines.join('\r\n');
}

/** A CMS ContentInfo as an application/pkcs7-mime message. */
function pkcs7Mime(der, smimeType = 'signed-data') {
  return fromLatin1(
    `From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: seed\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=${smimeType}; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7m\r\n\r\n${base64Lines(der)}\r\n`,
  );
}

/**
 * Classifies one file: a list of `{ kind, bytes }` (a PEM file also yields the DER of its blocks; a CMS
 * file also yields itself wrapped as an S/MIME message).
 */
function classify(bytes, name = '') {
  const ext = extname(name).toLowerCase();
  const out = [];
  const add = (kind, b = bytes) => out.push({ kind, bytes: b });
  if (bytes.length >= 8 && latin1(bytes.subarray(0, 8)) === '\0\0\0\0CERT') {
    add('sst');
    return out;
  }
  if (looksTextual(bytes)) {
    const text = latin1(bytes);
    if (looksLikeMime(text)) add('mime');
    else if (/^(\uFEFF)?(#.*\r?\n)*(dn|version):/i.test(text)) add('ldif');
    if (text.includes('-----BEGIN ')) {
      const blocks = pemBlocks(text);
      add('pem');
      const kinds = new Set();
      for (const { label, der } of blocks) {
        const kind = PEM_KINDS.find(([re]) => re.test(label))?.[1];
        if (kind) kinds.add(kind);
        const dk = derKind(der);
        if (dk) add(kind === 'pem-pfx' ? 'der-pfx' : kind === 'pem-key' ? 'der-pkcs8' : dk, der);
      }
      for (const k of kinds) add(k);
    } else if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length > 64) {
      // Bare base64 (a .p7m saved as text, an LDAP value): the DER inside.
      const der = new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'base64'));
      const dk = derKind(der);
      if (dk) add(dk, der);
    }
    return out;
  }
  let kind = derKind(bytes);
  if (['.p12', '.pfx'].includes(ext)) kind = 'der-pfx';
  else if (['.key', '.pri'].includes(ext) && kind) kind = 'der-pkcs8';
  else if (ext === '.crl' && kind) kind = 'der-crl';
  if (!kind) {
    if (['.p12', '.pfx', '.crt', '.cer', '.crl', '.p7m', '.p7s', '.p7b', '.bin', '.sig', '.env'].includes(ext))
      add('der');
    return out;
  }
  add(kind);
  if (kind === 'der-cms') {
    const t = readTree(bytes)?.[0]?.children?.[0]?.content;
    const type = sameBytes(t, OID.envelopedData)
      ? 'enveloped-data'
      : sameBytes(t, OID.authEnvelopedData)
        ? 'authEnveloped-data'
        : sameBytes(t, OID.compressedData)
          ? 'compressed-data'
          : 'signed-data';
    add('mime', pkcs7Mime(bytes, type));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Seeds made with the library
// ---------------------------------------------------------------------------------------------------

const tlv = (tag, content) => concat([Uint8Array.of(tag), encodeLength(content.length), content]);
const seq = (...p) => tlv(0x30, concat(p));

/** A CompressedData ContentInfo (zlib), made here because smimekit exports no writer for it. */
function compressedData(content) {
  const encap = seq(tlv(0x06, OID.data), tlv(0xa0, tlv(0x04, new Uint8Array(deflateSync(content)))));
  return seq(
    tlv(0x06, OID.compressedData),
    tlv(0xa0, seq(tlv(0x02, Uint8Array.of(0)), seq(tlv(0x06, OID.zlib)), encap)),
  );
}

/** The PFX without its MacData (so that mutations of the bags are not stopped by the MAC). */
function withoutMac(pfx) {
  const tree = readTree(pfx);
  if (!tree?.[0]?.children || tree[0].children.length < 3) return null;
  tree[0].children.length = 2;
  return writeTree(tree);
}

/** The EncryptedPrivateKeyInfo of every pkcs8ShroudedKeyBag in a PFX (without MAC: the bags are plain DER). */
function shroudedKeys(pfx) {
  const out = [];
  const walk = (nodes) => {
    for (const n of nodes ?? []) {
      if (
        n.children?.[0]?.tag === 6 &&
        sameBytes(n.children[0].content, OID.pkcs8ShroudedKeyBag) &&
        n.children[1]?.children?.[0]
      )
        out.push(writeTree([n.children[1].children[0]]));
      walk(n.children);
    }
  };
  walk(readTree(pfx));
  return out;
}

const PLAIN = fromLatin1(
  'From: rsa.user@example.test\r\nTo: p256.user@example.test\r\nSubject: Quarterly figures\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="mixed-1"\r\n\r\n--mixed-1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello =C3=A9\r\nFrom the desk of Alice\r\n--mixed-1\r\nContent-Type: text/csv; name=figures.csv\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=figures.csv\r\n\r\nUTEsUTIKMSwyCg==\r\n--mixed-1--\r\n',
);

/** Runs `make` with the library's random source replaced by a seeded one. */
async function deterministic(lib, seed, make) {
  const rng = new Rng(`seeds:${seed}`);
  lib.root.setCryptoBackend({
    subtle: webcrypto.subtle,
    getRandomValues: (array) => {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.u32() & 0xff;
      return array;
    },
    randomUUID: () => webcrypto.randomUUID(),
  });
  try {
    return await make();
  } finally {
    lib.root.setCryptoBackend(webcrypto);
  }
}

/** Seeds made with the library from the test PKI: `{ kind, name, bytes }`. Failures are reported, not fatal. */
async function generatedSeeds(ctx, log = () => {}) {
  const { lib, identities, file } = ctx;
  const { rsa, ed25519, p256 } = identities;
  const out = [];
  const attempt = async (name, kind, make) => {
    try {
      const made = await deterministic(lib, name, make);
      for (const bytes of Array.isArray(made) ? made : [made])
        if (bytes) out.push({ name: `generated:${name}`, kind, bytes });
    } catch (e) {
      log(`seed ${name} not made: ${e?.code ?? ''} ${e?.message ?? e}`);
    }
  };
  const signingTime = new Date('2026-05-01T00:00:00Z');
  const signer = (id) => ({ certificate: id.certificate, privateKey: id.privateKey, chain: id.chain });
  const sign = (msg, id, options = {}) =>
    lib.root.signMessage(msg, {
      signer: signer(id),
      signingTime,
      boundary: 'signed-boundary-1',
      includeCertificates: 'chain',
      ...options,
    });
  const encrypt = async (msg, recipients, options = {}) =>
    (
      await lib.root.encryptMessage(msg, {
        recipients: recipients.map((r) => r.certificate),
        validate: false,
        includeSender: false,
        keyTransport: 'rsa-pkcs1',
        ...options,
      })
    ).message;

  // Messages: plain, signed (detached and opaque), encrypted (CBC and GCM), signed then encrypted, compressed.
  await attempt('plain', 'mime', () => PLAIN);
  await attempt('signed-detached', 'mime', () => sign(PLAIN, rsa));
  await attempt('signed-opaque', 'mime', () => sign(PLAIN, rsa, { detached: false }));
  await attempt('signed-sha512', 'mime', () => sign(PLAIN, rsa, { digest: 'sha512' }));
  await attempt('signed-ed25519', 'mime', () => sign(PLAIN, ed25519, { digest: 'sha512' }));
  await attempt('encrypted-cbc', 'mime', () => encrypt(PLAIN, [rsa], { cipher: 'aes-128-cbc' }));
  await attempt('encrypted-gcm', 'mime', () => encrypt(PLAIN, [rsa], { cipher: 'aes-256-gcm' }));
  await attempt('encrypted-ski', 'mime', () =>
    encrypt(PLAIN, [rsa], { cipher: 'aes-256-cbc', recipientIdentifier: 'subjectKeyIdentifier' }),
  );
  await attempt('signed-then-encrypted', 'mime', async () =>
    encrypt(await sign(PLAIN, rsa), [rsa], { cipher: 'aes-256-gcm' }),
  );
  await attempt('encrypted-then-signed', 'mime', async () =>
    sign(await encrypt(PLAIN, [rsa], { cipher: 'aes-128-cbc' }), rsa, { detached: false }),
  );
  await attempt('triple-wrapped', 'mime', async () =>
    sign(await encrypt(await sign(PLAIN, rsa), [rsa], { cipher: 'aes-128-gcm' }), ed25519, { digest: 'sha512' }),
  );
  await attempt('compressed', 'mime', () => pkcs7Mime(compressedData(PLAIN), 'compressed-data'));
  await attempt('compressed-signed', 'mime', async () =>
    pkcs7Mime(compressedData(await sign(PLAIN, rsa)), 'compressed-data'),
  );
  await attempt('compressed-1mib-zeros', 'mime', () =>
    pkcs7Mime(compressedData(new Uint8Array(1 << 20)), 'compressed-data'),
  );
  await attempt('signed-compressed', 'mime', async () =>
    sign(pkcs7Mime(compressedData(PLAIN), 'compressed-data'), rsa),
  );

  // PKCS#12: exported with both schemes, with and without MAC; the encrypted PKCS#8 inside.
  for (const [name, id] of [
    ['rsa', rsa],
    ['p256', p256],
    ['ed25519', ed25519],
  ]) {
    for (const algorithm of ['aes-256-cbc', 'legacy']) {
      await attempt(`p12-${name}-${algorithm}`, 'der-pfx', async () => {
        const pfx = await lib.root.exportPkcs12(
          { certificate: id.certificate, privateKey: id.privateKey, chain: id.chain },
          'test',
          { algorithm, iterations: 1, mac: { iterations: 1 } },
        );
        const bare = withoutMac(pfx);
        return [pfx, bare];
      });
    }
  }
  for (const name of ['ee-rsa.p12', 'ee-p256.p12', 'ee-ed25519.p12', 'ee-p384.p12', 'ee-rsa-pss.p12']) {
    await attempt(`nomac-${name}`, 'der-pfx', () => withoutMac(file(name)));
  }
  const p12s = out.filter((s) => s.kind === 'der-pfx').map((s) => s.bytes);
  for (const [i, pfx] of p12s.entries())
    for (const key of shroudedKeys(pfx))
      out.push({ name: `generated:shrouded-key-${i}`, kind: 'der-pkcs8', bytes: key });

  // Directory material: userSMIMECertificate values, LDIF, SST, LDAP answers.
  const values = [];
  await attempt('user-smime-signed-data', 'der-cms', async () => {
    const v = await lib.directory.buildUserSmimeCertificate(
      { certificate: rsa.certificate, privateKey: rsa.privateKey, chain: rsa.chain },
      { signingTime },
    );
    values.push(v);
    return v;
  });
  await attempt('user-smime-settings', 'settings', () => {
    const v = lib.directory.buildOutlookSecuritySettings({
      signCertificate: rsa.certificate,
      keyExchangeCertificate: rsa.certificate,
      chain: rsa.chain,
      displayName: 'RSA User',
      defaultSettings: 1,
      messageFormats: 3,
    });
    values.push(v);
    return v;
  });
  await attempt('user-smime-settings-hashes', 'settings', () =>
    lib.directory.buildOutlookSecuritySettings({
      signSha1Hash: new Uint8Array(20).fill(1),
      keyExchangeCertificate: p256.certificate,
      displayName: 'é',
    }),
  );
  const person = (dn, mail, extra) => ({
    dn,
    attributes: [
      ['objectClass', 'person'],
      ['mail', mail],
      ['proxyAddresses', `SMTP:${mail}`],
      ['proxyAddresses', `smtp:alias.${mail}`],
      ...extra,
    ],
  });
  const people = [
    person('CN=RSA User,DC=contoso,DC=com', 'rsa.user@example.test', [
      ['userCertificate;binary', rsa.certificate],
      ...values.map((v) => ['userSMIMECertificate;binary', v]),
    ]),
    person('CN=P256 User,DC=contoso,DC=com', 'p256.user@example.test', [['userCertificate;binary', p256.certificate]]),
    person('CN=No Cert,DC=contoso,DC=com', 'nocert@example.test', []),
  ];
  const group = {
    dn: 'CN=Team,DC=contoso,DC=com',
    attributes: [
      ['objectClass', 'group'],
      ['mail', 'team@example.test'],
      ['member', people[0].dn],
      ['member', people[1].dn],
      ['member', 'CN=Gone,DC=contoso,DC=com'],
    ],
  };
  await attempt('ldif-gal', 'ldif', () => {
    const entries = [...people, group].map(({ dn, attributes }) => {
      const map = new Map();
      for (const [k, v] of attributes) map.set(k, [...(map.get(k) ?? []), v]);
      return lib.directory.formatLdifEntry(dn, map);
    });
    return fromLatin1(Buffer.from(`version: 1\n\n${entries.join('\n')}`, 'utf8').toString('latin1'));
  });
  await attempt('ldif-modify', 'ldif', () =>
    values.map((v) => fromLatin1(lib.directory.userSmimeCertificateLdif('CN=RSA User,DC=contoso,DC=com', v))),
  );
  await attempt('sst-chain', 'sst', () =>
    lib.root.serializeSst(lib.root.createSst([rsa.certificate, ...rsa.chain], { crls: ctx.crls, md5Hash: true })),
  );
  await attempt('ldap-person', 'ldap', () => encodeLdapAnswer([people[0]]));
  await attempt('ldap-all', 'ldap', () => encodeLdapAnswer([...people, group]));
  await attempt('ldap-group', 'ldap', () =>
    encodeLdapAnswer([{ ...group, attributes: [['mail', 'rsa.user@example.test'], ...group.attributes] }, ...people]),
  );
  return out;
}

/**
 * All seeds by kind: `Map<kind, { name, bytes }[]>`. `dirs` defaults to `vectorDirs()`; `ctx` (from
 * `createContext`) adds the generated seeds.
 */
export async function loadSeeds({ dirs = vectorDirs(), ctx, log = () => {} } = {}) {
  const byKind = new Map();
  const push = (kind, name, bytes) => {
    if (!byKind.has(kind)) byKind.set(kind, []);
    byKind.get(kind).push({ name, bytes });
  };
  for (const dir of dirs) {
    for (const path of files(dir)) {
      const bytes = new Uint8Array(readFileSync(path));
      const name = relative(REPO_ROOT, path);
      for (const { kind, bytes: b } of classify(bytes, path)) push(kind, name, b);
    }
  }
  if (ctx) {
    for (const { kind, name, bytes } of await generatedSeeds(ctx, log)) {
      push(kind, name, bytes);
      // A generated CMS value is also a message seed (wrapped as application/pkcs7-mime), and so on.
      if (kind.startsWith('der-'))
        for (const c of classify(bytes, name)) if (c.kind !== kind) push(c.kind, name, c.bytes);
    }
  }
  return byKind;
}
