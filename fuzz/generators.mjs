/**
 * Structure-aware generators (fast-check arbitraries): ASN.1 trees with hostile lengths, nesting and tags,
 * skeletons of the structures smimekit reads (ContentInfo, Certificate, CRL, PFX, PKCS#8) filled with
 * random subtrees, MIME entities with hostile boundaries, nesting and encodings, LDIF, SST stores, Outlook
 * security settings and LDAP answers. `generate(kind, rng)` draws one input, reproducibly from the `Rng`.
 */
import fc from 'fast-check';
import { concat, encodeLength, fromLatin1 } from './mutate.mjs';

// ---------------------------------------------------------------------------------------------------
// ASN.1
// ---------------------------------------------------------------------------------------------------

/** Object identifiers the parsers look for, in DER content form. */
const OIDS = {
  data: '2a864886f70d010701',
  signedData: '2a864886f70d010702',
  envelopedData: '2a864886f70d010703',
  digestedData: '2a864886f70d010705',
  encryptedData: '2a864886f70d010706',
  authEnvelopedData: '2a864886f70d0109100117',
  compressedData: '2a864886f70d0109100109',
  rsaEncryption: '2a864886f70d010101',
  rsaesOaep: '2a864886f70d010107',
  rsassaPss: '2a864886f70d01010a',
  sha256WithRsa: '2a864886f70d01010b',
  ecPublicKey: '2a8648ce3d0201',
  prime256v1: '2a8648ce3d030107',
  ecdsaSha256: '2a8648ce3d040302',
  ed25519: '2b6570',
  x25519: '2b656e',
  sha1: '2b0e03021a',
  sha256: '608648016503040201',
  sha512: '608648016503040203',
  aes128Cbc: '608648016503040102',
  aes256Cbc: '60864801650304012a',
  aes128Gcm: '608648016503040106',
  aes256Gcm: '60864801650304012e',
  desEde3Cbc: '2a864886f70d0307',
  rc2Cbc: '2a864886f70d0302',
  zlib: '2a864886f70d0109100308',
  contentType: '2a864886f70d010903',
  messageDigest: '2a864886f70d010904',
  signingTime: '2a864886f70d010905',
  smimeCapabilities: '2a864886f70d01090f',
  emailAddress: '2a864886f70d010901',
  commonName: '550403',
  subjectAltName: '551d11',
  basicConstraints: '551d13',
  keyUsage: '551d0f',
  extKeyUsage: '551d25',
  nameConstraints: '551d1e',
  crlDistributionPoints: '551d1f',
  authorityKeyIdentifier: '551d23',
  subjectKeyIdentifier: '551d0e',
  crlNumber: '551d14',
  pbes2: '2a864886f70d01050d',
  pbkdf2: '2a864886f70d01050c',
  hmacSha256: '2a864886f70d0209',
  pbeSha3Des: '2a864886f70d010c0103',
  pbeSha40Rc2: '2a864886f70d010c0106',
  keyBag: '2a864886f70d010c0a0101',
  pkcs8ShroudedKeyBag: '2a864886f70d010c0a0102',
  certBag: '2a864886f70d010c0a0103',
  x509Certificate: '2a864886f70d01091601',
  friendlyName: '2a864886f70d010914',
  localKeyId: '2a864886f70d010915',
  msEncryptionKeyPreference: '2b0601040182371003',
};
const OID_LIST = Object.values(OIDS).map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

const tlv = (tag, content, length) => concat([Uint8Array.of(tag), length ?? encodeLength(content.length), content]);

/** `inner` wrapped in `levels` TLVs of `tag` (written in one pass: no quadratic copying). */
function nest(inner, levels, tag, indefinite) {
  const heads = [];
  let size = inner.length;
  for (let i = 0; i < levels; i++) {
    const head = indefinite ? Uint8Array.of(tag | 0x20, 0x80) : concat([Uint8Array.of(tag), encodeLength(size)]);
    heads.push(head);
    size += head.length + (indefinite ? 2 : 0);
  }
  const tails = indefinite ? Array.from({ length: levels }, () => Uint8Array.of(0, 0)) : [];
  return concat([...heads.reverse(), inner, ...tails]);
}

/** How a node's length is written: mostly right, sometimes hostile. */
const lengthMode = fc.oneof(
  { weight: 20, arbitrary: fc.constant('min') },
  { weight: 2, arbitrary: fc.constant('long') },
  { weight: 2, arbitrary: fc.constant('indefinite') },
  { weight: 1, arbitrary: fc.constant('too-long') },
  { weight: 1, arbitrary: fc.constant('too-short') },
  { weight: 1, arbitrary: fc.constant('huge') },
);

function withLength(tag, content, mode) {
  switch (mode) {
    case 'long':
      return concat([Uint8Array.of(tag), encodeLength(content.length, 'long'), content]);
    case 'indefinite':
      return concat([Uint8Array.of(tag | 0x20), Uint8Array.of(0x80), content, Uint8Array.of(0, 0)]);
    case 'too-long':
      return concat([Uint8Array.of(tag), encodeLength(content.length + 1), content]);
    case 'too-short':
      return concat([Uint8Array.of(tag), encodeLength(Math.max(0, content.length - 1)), content]);
    case 'huge':
      return concat([Uint8Array.of(tag), Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xf0), content]);
    default:
      return tlv(tag, content);
  }
}

const primitiveContent = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(...OID_LIST),
  fc.constantFrom(
    new Uint8Array(0),
    Uint8Array.of(0),
    Uint8Array.of(0x80),
    Uint8Array.of(0xff, 0xff),
    Uint8Array.of(0, 0, 0),
  ),
  fc.constantFrom('491231235959Z', '20500101000000Z', 'alice@example.test', 'CN=x', '', '\u0000').map(fromLatin1),
);

const PRIMITIVE_TAGS = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x1e, 0x80, 0x81, 0x82, 0x86, 0x87, 0x88,
];
const CONSTRUCTED_TAGS = [0x30, 0x31, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0x24, 0x23, 0x2c];

/** A random ASN.1 tree, written with the chosen length forms. */
const asn1Tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: tie('primitive') },
    { weight: 2, arbitrary: tie('constructed') },
    { weight: 1, arbitrary: tie('deep') },
  ),
  primitive: fc
    .tuple(fc.constantFrom(...PRIMITIVE_TAGS), primitiveContent, lengthMode)
    .map(([tag, content, mode]) => withLength(tag, content, mode === 'indefinite' ? 'min' : mode)),
  constructed: fc
    .tuple(fc.constantFrom(...CONSTRUCTED_TAGS), fc.array(tie('node'), { maxLength: 6 }), lengthMode)
    .map(([tag, kids, mode]) => withLength(tag, concat(kids), mode)),
  // Nesting past the reader's 64 levels, or just under it.
  deep: fc
    .tuple(fc.constantFrom(1, 8, 63, 64, 65, 200, 5000), fc.constantFrom(0x30, 0xa0, 0x24, 0x31), fc.boolean())
    .map(([levels, tag, indefinite]) => nest(Uint8Array.of(0x05, 0x00), levels, tag, indefinite)),
})).node;

const seq = (...parts) => tlv(0x30, concat(parts));
const oid = (hex) => tlv(0x06, Uint8Array.from(Buffer.from(hex, 'hex')));
const explicit = (n, inner) => tlv(0xa0 + n, inner);
const int = (n) => tlv(0x02, Uint8Array.of(n));
const octets = (b) => tlv(0x04, b);
const anyOid = fc.constantFrom(...Object.values(OIDS)).map(oid);
const algId = fc.tuple(anyOid, fc.option(asn1Tree, { nil: undefined })).map(([o, p]) => seq(o, p ?? new Uint8Array(0)));
const maybe = (arb) => fc.option(arb, { nil: new Uint8Array(0), freq: 3 });

const time = fc
  .constantFrom('250101000000Z', '491231235959Z', '20500101000000Z', '000000000000Z', '2501010000Z')
  .map((t) => tlv(t.length > 13 ? 0x18 : 0x17, fromLatin1(t)));
const name = fc
  .array(
    fc.tuple(
      fc.constantFrom(OIDS.commonName, OIDS.emailAddress, '550406', '55040a'),
      fc.constantFrom(0x0c, 0x13, 0x16, 0x1e, 0x04),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 4 },
  )
  .map((rdns) => seq(...rdns.map(([o, tag, v]) => tlv(0x31, seq(oid(o), tlv(tag, fromLatin1(v)))))));
const extension = fc
  .tuple(
    fc.constantFrom(
      OIDS.subjectAltName,
      OIDS.basicConstraints,
      OIDS.keyUsage,
      OIDS.extKeyUsage,
      OIDS.nameConstraints,
      OIDS.crlDistributionPoints,
      OIDS.authorityKeyIdentifier,
      OIDS.subjectKeyIdentifier,
      OIDS.crlNumber,
      '551d20',
      '551d04',
    ),
    fc.boolean(),
    asn1Tree,
  )
  .map(([o, critical, value]) =>
    seq(oid(o), critical ? tlv(0x01, Uint8Array.of(0xff)) : new Uint8Array(0), octets(value)),
  );

/** A Certificate: the right outline, random parts. */
const certificateSkeleton = fc
  .tuple(
    fc.constantFrom(0, 1, 2, 3),
    asn1Tree,
    algId,
    name,
    time,
    time,
    name,
    algId,
    fc.array(extension, { maxLength: 5 }),
    fc.uint8Array({ maxLength: 70 }),
  )
  .map(([version, serial, sig, issuer, nb, na, subject, spkiAlg, exts, signature]) =>
    seq(
      seq(
        explicit(0, int(version)),
        serial,
        sig,
        issuer,
        seq(nb, na),
        subject,
        seq(spkiAlg, tlv(0x03, concat([Uint8Array.of(0), signature]))),
        explicit(3, seq(...exts)),
      ),
      sig,
      tlv(0x03, concat([Uint8Array.of(0), signature])),
    ),
  );

/** A CertificateList. */
const crlSkeleton = fc
  .tuple(
    algId,
    name,
    time,
    maybe(time),
    fc.array(fc.tuple(asn1Tree, time, maybe(fc.constant(seq()))), { maxLength: 5 }),
    fc.array(extension, { maxLength: 3 }),
  )
  .map(([sig, issuer, thisUpdate, nextUpdate, revoked, exts]) =>
    seq(
      seq(
        int(1),
        sig,
        issuer,
        thisUpdate,
        nextUpdate,
        seq(...revoked.map(([s, t, e]) => seq(s, t, e))),
        explicit(0, seq(...exts)),
      ),
      sig,
      tlv(0x03, Uint8Array.of(0, 1, 2)),
    ),
  );

const recipientInfo = fc
  .tuple(
    fc.constantFrom(0, 2, 3, 4),
    fc.oneof(
      certificateSkeleton.map((c) => seq(seq(), c)),
      asn1Tree,
    ),
    algId,
    fc.uint8Array({ maxLength: 300 }),
  )
  .map(([version, rid, alg, key]) => seq(int(version), rid, alg, octets(key)));
const signerInfo = fc
  .tuple(
    fc.constantFrom(1, 3),
    asn1Tree,
    algId,
    maybe(
      fc
        .array(
          fc.tuple(anyOid, asn1Tree).map(([o, v]) => seq(o, tlv(0x31, v))),
          { maxLength: 4 },
        )
        .map((a) => explicit(0, concat(a))),
    ),
    algId,
    fc.uint8Array({ maxLength: 300 }),
  )
  .map(([v, sid, digest, attrs, sigAlg, sig]) => seq(int(v), sid, digest, attrs, sigAlg, octets(sig)));

/** ContentInfo with SignedData / EnvelopedData / AuthEnvelopedData / CompressedData / Data inside. */
const contentInfoSkeleton = fc.oneof(
  fc
    .tuple(
      fc.array(algId, { maxLength: 3 }),
      fc.option(fc.oneof(asn1Tree, fc.uint8Array({ maxLength: 100 }).map(octets)), { nil: undefined }),
      fc.array(certificateSkeleton, { maxLength: 3 }),
      maybe(crlSkeleton),
      fc.array(signerInfo, { maxLength: 3 }),
    )
    .map(([digests, content, certs, crl, signers]) =>
      seq(
        oid(OIDS.signedData),
        explicit(
          0,
          seq(
            int(1),
            tlv(0x31, concat(digests)),
            seq(oid(OIDS.data), content ? explicit(0, content) : new Uint8Array(0)),
            explicit(0, concat(certs)),
            crl.length ? explicit(1, crl) : crl,
            tlv(0x31, concat(signers)),
          ),
        ),
      ),
    ),
  fc
    .tuple(
      fc.constantFrom(OIDS.envelopedData, OIDS.authEnvelopedData),
      fc.array(recipientInfo, { maxLength: 3 }),
      algId,
      fc.uint8Array({ maxLength: 200 }),
      fc.boolean(),
    )
    .map(([type, ris, alg, body, mac]) =>
      seq(
        oid(type),
        explicit(
          0,
          seq(
            int(0),
            tlv(0x31, concat(ris)),
            seq(oid(OIDS.data), alg, tlv(0x80, body)),
            mac ? octets(new Uint8Array(16)) : new Uint8Array(0),
          ),
        ),
      ),
    ),
  fc
    .tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean())
    .map(([body, zlibHeader]) =>
      seq(
        oid(OIDS.compressedData),
        explicit(
          0,
          seq(
            int(0),
            seq(oid(OIDS.zlib)),
            seq(oid(OIDS.data), explicit(0, octets(zlibHeader ? concat([Uint8Array.of(0x78, 0x9c), body]) : body))),
          ),
        ),
      ),
    ),
  asn1Tree.map((t) => seq(oid(OIDS.data), explicit(0, t))),
);

/** PKCS#8 PrivateKeyInfo / EncryptedPrivateKeyInfo. */
const pkcs8Skeleton = fc.oneof(
  fc.tuple(algId, asn1Tree).map(([alg, key]) => seq(int(0), alg, octets(key))),
  fc
    .tuple(
      fc.constantFrom(1, 2048, 0, 0x7fffffff, 10_000_001),
      fc.uint8Array({ maxLength: 16 }),
      fc.constantFrom(OIDS.aes256Cbc, OIDS.desEde3Cbc, OIDS.rc2Cbc, '00'),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([iterations, salt, cipher, body]) =>
      seq(
        seq(
          oid(OIDS.pbes2),
          seq(
            seq(
              oid(OIDS.pbkdf2),
              seq(
                octets(salt),
                tlv(0x02, Uint8Array.from(Buffer.from(iterations.toString(16).padStart(8, '0'), 'hex'))),
                seq(oid(OIDS.hmacSha256)),
              ),
            ),
            seq(oid(cipher), octets(new Uint8Array(16))),
          ),
        ),
        octets(body),
      ),
    ),
);

/** A PFX around random SafeContents. */
const pfxSkeleton = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom(OIDS.keyBag, OIDS.pkcs8ShroudedKeyBag, OIDS.certBag),
        fc.oneof(
          certificateSkeleton.map((c) => seq(oid(OIDS.x509Certificate), explicit(0, octets(c)))),
          pkcs8Skeleton,
          asn1Tree,
        ),
      ),
      { maxLength: 4 },
    ),
    fc.boolean(),
    fc.constantFrom(1, 2048, 1_000_001),
  )
  .map(([bags, mac, iterations]) => {
    const safe = seq(...bags.map(([t, v]) => seq(oid(t), explicit(0, v))));
    const authSafe = seq(seq(oid(OIDS.data), explicit(0, octets(safe))));
    const macData = mac
      ? seq(
          seq(seq(oid(OIDS.sha256)), octets(new Uint8Array(32))),
          octets(new Uint8Array(8)),
          tlv(0x02, Uint8Array.from(Buffer.from(iterations.toString(16).padStart(8, '0'), 'hex'))),
        )
      : new Uint8Array(0);
    return seq(int(3), seq(oid(OIDS.data), explicit(0, octets(authSafe))), macData);
  });

/** Any DER input for a DER target. */
const derInput = fc.oneof(
  { weight: 2, arbitrary: asn1Tree },
  { weight: 1, arbitrary: certificateSkeleton },
  { weight: 1, arbitrary: crlSkeleton },
  { weight: 2, arbitrary: contentInfoSkeleton },
  { weight: 1, arbitrary: pkcs8Skeleton },
  { weight: 1, arbitrary: pfxSkeleton },
);

// ---------------------------------------------------------------------------------------------------
// Text wrappers: base64, PEM
// ---------------------------------------------------------------------------------------------------

const b64 = (bytes, width = 64, eol = '\r\n') => {
  const s = Buffer.from(bytes).toString('base64');
  if (!width) return s;
  const lines = [];
  for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  return lines.join(eol);
};

const pemInput = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'CERTIFICATE',
          'X509 CRL',
          'PKCS7',
          'CMS',
          'PRIVATE KEY',
          'ENCRYPTED PRIVATE KEY',
          'RSA PRIVATE KEY',
          'EC PRIVATE KEY',
          'EC PARAMETERS',
          'TRUSTED CERTIFICATE',
          'X',
          '',
        ),
        derInput,
        fc.constantFrom(64, 76, 0, 1),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    fc.constantFrom('', 'junk before\n', '\uFEFF'),
  )
  .map(([blocks, preamble]) =>
    fromLatin1(
      preamble +
        blocks
          .map(
            ([label, der, width, eol, mismatched]) =>
              `-----BEGIN ${label}-----${eol}${label.includes('RSA') && mismatched ? `Proc-Type: 4,ENCRYPTED${eol}DEK-Info: DES-EDE3-CBC,0011223344556677${eol}${eol}` : ''}${b64(der, width, eol)}${eol}-----END ${mismatched ? 'OTHER' : label}-----${eol}`,
          )
          .join(''),
    ),
  );

// ---------------------------------------------------------------------------------------------------
// MIME
// ---------------------------------------------------------------------------------------------------

const hostileBoundary = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '--',
      'a b',
      'x'.repeat(71),
      'x'.repeat(5000),
      '"',
      'b"; boundary="c',
      'é',
      '\u0000',
      '=_',
      'b\r\n',
    ),
  },
);

const mediaType = fc.constantFrom(
  'text/plain',
  'text/html; charset=utf-8',
  'application/octet-stream',
  'application/pkcs7-mime; smime-type=signed-data; name=smime.p7m',
  'application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m',
  'application/pkcs7-mime; smime-type=authEnveloped-data',
  'application/pkcs7-mime; smime-type=compressed-data',
  'application/x-pkcs7-mime',
  'application/pkcs7-mime; smime-type=certs-only',
  'application/pkcs7-signature; name=smime.p7s',
  'application/octet-stream; name=smime.p7m',
  'message/rfc822',
  'text/rfc822-headers',
  '',
  ';;;',
);
const encoding = fc.constantFrom(
  'base64',
  'quoted-printable',
  '7bit',
  '8bit',
  'binary',
  'x-uuencode',
  'BASE64',
  'garbage',
  '',
);
const eolArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('\r\n') },
  { weight: 2, arbitrary: fc.constant('\n') },
  { weight: 1, arbitrary: fc.constant('\r') },
);
const extraHeaders = fc.array(
  fc.constantFrom(
    'From: alice@example.test',
    'From: "Mallory" <mallory@evil.test>, ceo@example.test',
    'Sender: ceo@example.test',
    'To: bob@example.test',
    'Subject: =?utf-8?B?w6k=?= =?iso-8859-1?Q?=E9?=',
    'Subject: =?x?Q?=ZZ?=',
    'MIME-Version: 1.0',
    "Content-Disposition: attachment; filename*=utf-8''%E9.p7m",
    'X-Long: ' + 'a'.repeat(2000),
    ' folded continuation',
    'No-Colon-Line',
    ': empty name',
  ),
  { maxLength: 4 },
);

function encodeBody(bytes, cte, eol) {
  switch (cte.toLowerCase()) {
    case 'base64':
      return b64(bytes, 76, eol);
    case 'quoted-printable':
      return Buffer.from(bytes)
        .toString('latin1')
        .replace(/[^\x20-\x3c\x3e-\x7e]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
    default:
      return Buffer.from(bytes).toString('latin1');
  }
}

/** A MIME entity tree: multiparts (signed included) with hostile boundaries, nesting, encodings. */
const mimeEntity = fc.letrec((tie) => ({
  entity: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: tie('leaf') },
    { weight: 2, arbitrary: tie('multipart') },
    { weight: 1, arbitrary: tie('deep') },
  ),
  leaf: fc
    .tuple(
      mediaType,
      encoding,
      extraHeaders,
      fc.oneof(derInput, fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 }).map(fromLatin1)),
      eolArb,
    )
    .map(([type, cte, headers, body, eol]) => {
      const head = [
        ...(type ? [`Content-Type: ${type}`] : []),
        ...(cte ? [`Content-Transfer-Encoding: ${cte}`] : []),
        ...headers,
      ];
      return head.join(eol) + eol + eol + encodeBody(body, cte, eol);
    }),
  multipart: fc
    .tuple(
      fc.constantFrom(
        'mixed',
        'signed; protocol="application/pkcs7-signature"; micalg=sha-256',
        'signed; protocol="application/x-pkcs7-signature"',
        'alternative',
        'related',
        'signed',
        'report',
      ),
      hostileBoundary,
      fc.array(tie('entity'), { maxLength: 4 }),
      fc.record({
        preamble: fc.boolean(),
        epilogue: fc.boolean(),
        close: fc.boolean(),
        padding: fc.constantFrom('', ' ', '\t  '),
        quoted: fc.boolean(),
        rfc2231: fc.boolean(),
      }),
      eolArb,
    )
    .map(([sub, boundary, parts, o, eol]) => {
      const param = o.rfc2231
        ? `boundary*0="${boundary.slice(0, 10)}"; boundary*1="${boundary.slice(10)}"`
        : o.quoted
          ? `boundary="${boundary}"`
          : `boundary=${boundary}`;
      let s = `Content-Type: multipart/${sub}; ${param}${eol}${eol}`;
      if (o.preamble) s += `preamble --${boundary}x${eol}`;
      for (const p of parts) s += `--${boundary}${o.padding}${eol}${p}${eol}`;
      if (o.close) s += `--${boundary}--${o.padding}${eol}`;
      if (o.epilogue) s += `epilogue${eol}--${boundary}${eol}`;
      return s;
    }),
  deep: fc
    .tuple(fc.constantFrom(2, 31, 33, 100, 300), fc.constantFrom('mixed', 'signed'), fc.boolean())
    .map(([levels, sub, rfc822]) => {
      let inner = 'Content-Type: text/plain\r\n\r\nhello';
      for (let i = 0; i < levels; i++) {
        inner =
          rfc822 && i % 2
            ? `Content-Type: message/rfc822\r\n\r\n${inner}`
            : `Content-Type: multipart/${sub}; boundary="b${i}"\r\n\r\n--b${i}\r\n${inner}\r\n--b${i}--\r\n`;
      }
      return inner;
    }),
})).entity;

/** A whole message: top-level headers, then an entity. */
const mimeMessage = fc
  .tuple(
    fc.constantFrom(
      'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n',
      'From: rsa.user@example.test\r\n',
      '',
    ),
    mimeEntity,
  )
  .map(([top, entity]) => fromLatin1(top + entity));

// ---------------------------------------------------------------------------------------------------
// LDIF, SST, Outlook settings, LDAP answers
// ---------------------------------------------------------------------------------------------------

const ldifValue = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => `: ${s}`),
  fc.oneof(derInput, fc.uint8Array({ maxLength: 64 })).map((b) => `:: ${Buffer.from(b).toString('base64')}`),
  fc.constantFrom(
    ':< file:///etc/passwd',
    ':< http://example.test/x',
    '::',
    ':: !!!',
    ':',
    ': \u0000',
    ':: ' + 'A'.repeat(10000),
  ),
);
const ldifAttribute = fc.constantFrom(
  'mail',
  'proxyAddresses',
  'objectClass',
  'userCertificate;binary',
  'userSMIMECertificate;binary',
  'userCertificate',
  'userSMIMECertificate',
  'member',
  'cn',
  'displayName',
  'changetype',
  'x-',
  '',
  ' ',
  'dn',
);

const ldifInput = fc
  .tuple(
    fc.constantFrom('', 'version: 1\n', 'version: 2\n', '\uFEFF', '# comment\n'),
    fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom('CN=Bob,DC=contoso,DC=com', 'cn=x', '', 'CN=a\\,b'), fc.string({ maxLength: 30 })),
        fc.array(fc.tuple(ldifAttribute, ldifValue), { maxLength: 8 }),
        fc.constantFrom(
          '',
          'changetype: add\n',
          'changetype: modify\nreplace: mail\nmail: a@b\n-\n',
          'changetype: delete\n',
          'changetype: moddn\nnewrdn: cn=y\ndeleteoldrdn: 1\n',
        ),
      ),
      { maxLength: 4 },
    ),
    fc.constantFrom(76, 2, 0),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([head, records, fold, eol]) => {
    const line = (l) => {
      if (!fold || l.length <= fold) return l;
      const out = [l.slice(0, fold)];
      for (let i = fold; i < l.length; i += fold - 1) out.push(' ' + l.slice(i, i + fold - 1));
      return out.join(eol);
    };
    const text =
      head +
      records
        .map(([dn, attrs, change]) =>
          [line(`dn: ${dn}`), ...change.split('\n').filter(Boolean), ...attrs.map(([a, v]) => line(a + v))].join(eol),
        )
        .join(eol + eol);
    return fromLatin1(Buffer.from(text, 'utf8').toString('latin1'));
  });

const sstInput = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom(0, 2, 3, 4, 9, 11, 20, 32, 33, 34, 104, 126, 0xffffffff),
        fc.constantFrom(1, 0, 2, 0x10001),
        fc.oneof(
          certificateSkeleton,
          crlSkeleton,
          fc.uint8Array({ maxLength: 40 }),
          fc.string({ maxLength: 10 }).map((s) => new Uint8Array(Buffer.from(s + '\0', 'utf16le'))),
        ),
        fc.option(fc.constantFrom(0, 0xffffffff, 0x7fffffff, 1), { nil: undefined }),
      ),
      { maxLength: 6 },
    ),
    fc.constantFrom('end', 'none', 'early'),
  )
  .map(([elements, ending]) => {
    const parts = [Uint8Array.of(0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54)];
    elements.forEach(([id, enc, data, lie], i) => {
      const h = new Uint8Array(12);
      const v = new DataView(h.buffer);
      v.setUint32(0, id >>> 0, true);
      v.setUint32(4, enc >>> 0, true);
      v.setUint32(8, lie ?? data.length, true);
      parts.push(h, data);
      if (ending === 'early' && i === 0) parts.push(new Uint8Array(12));
    });
    if (ending === 'end') parts.push(new Uint8Array(12));
    return concat(parts);
  });

const settingsInput = fc
  .array(
    fc.tuple(
      fc.constantFrom(1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 0x20, 0x21, 0x22, 0x23, 0x24, 0xffff),
      fc.oneof(
        certificateSkeleton,
        fc.uint8Array({ maxLength: 24 }),
        fc.constantFrom(Uint8Array.of(1, 0, 0, 0), new Uint8Array(20)),
      ),
      fc.option(fc.constantFrom(0, 3, 4, 0xffff), { nil: undefined }),
    ),
    { maxLength: 8 },
  )
  .map((settings) =>
    concat(
      settings.flatMap(([tag, data, lie]) => {
        const len = lie ?? Math.min(0xffff, data.length + 4);
        return [Uint8Array.of(tag & 0xff, tag >> 8, len & 0xff, len >> 8), data.subarray(0, 0xfffb)];
      }),
    ),
  );

/**
 * LDAP answers, framed so that every byte string decodes: records of `code (u8), length (u16 BE), value`.
 * Code 0 starts an entry (the value is its DN); other codes name an attribute (`LDAP_ATTRIBUTES`).
 */
const LDAP_ATTRIBUTES = [
  'dn',
  'mail',
  'proxyAddresses',
  'objectClass',
  'userCertificate;binary',
  'userSMIMECertificate;binary',
  'userCertificate',
  'userSMIMECertificate',
  'displayName',
  'cn',
  'member',
  'uniqueMember',
  'MAIL',
  'userCertificate;binary;x',
];

export function encodeLdapAnswer(entries) {
  const parts = [];
  for (const { dn, attributes } of entries) {
    parts.push(record(0, fromLatin1(Buffer.from(dn, 'utf8').toString('latin1'))));
    for (const [name, value] of attributes) {
      const code = Math.max(1, LDAP_ATTRIBUTES.indexOf(name));
      parts.push(record(code, typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'utf8')) : value));
    }
  }
  return concat(parts);
}

function record(code, value) {
  const v = value.subarray(0, 0xffff);
  return concat([Uint8Array.of(code, v.length >> 8, v.length & 0xff), v]);
}

/** The inverse of `encodeLdapAnswer`, total: any bytes give some entries (ldapts' `Entry` shape). */
export function decodeLdapAnswer(bytes) {
  const entries = [];
  let current;
  for (let at = 0; at < bytes.length;) {
    const code = bytes[at];
    const len = ((bytes[at + 1] ?? 0) << 8) | (bytes[at + 2] ?? 0);
    const value = bytes.subarray(at + 3, at + 3 + len);
    at += 3 + len;
    const name = LDAP_ATTRIBUTES[code % LDAP_ATTRIBUTES.length];
    if (name === 'dn' || !current) {
      current = { dn: Buffer.from(value).toString('utf8') };
      entries.push(current);
      if (name === 'dn') continue;
    }
    const binary = name.toLowerCase().includes('certificate');
    const v = binary ? Buffer.from(value) : Buffer.from(value).toString('utf8');
    const prev = current[name];
    current[name] = prev === undefined ? (code & 0x80 ? [v] : v) : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return entries;
}

const ldapAnswerInput = fc
  .array(
    fc.tuple(
      fc.constantFrom('CN=Bob,DC=contoso,DC=com', 'CN=Team,DC=contoso,DC=com', ''),
      fc.array(
        fc.oneof(
          fc.tuple(
            fc.constantFrom('mail', 'proxyAddresses', 'MAIL'),
            fc.constantFrom(
              'bob@contoso.com',
              'SMTP:bob@contoso.com',
              'smtp:robert@contoso.com',
              'x400:c=us',
              'bob@',
              '',
              'BOB@CONTOSO.COM',
            ),
          ),
          fc.tuple(fc.constantFrom('objectClass'), fc.constantFrom('person', 'group', 'groupOfNames', 'user')),
          fc.tuple(
            fc.constantFrom('member', 'uniqueMember'),
            fc.constantFrom('CN=Bob,DC=contoso,DC=com', 'bob@contoso.com', ''),
          ),
          fc.tuple(
            fc.constantFrom(
              'userCertificate;binary',
              'userSMIMECertificate;binary',
              'userCertificate',
              'userSMIMECertificate',
            ),
            fc.oneof(derInput, settingsInput, fc.uint8Array({ maxLength: 32 })),
          ),
        ),
        { maxLength: 8 },
      ),
    ),
    { maxLength: 3 },
  )
  .map((entries) =>
    encodeLdapAnswer(
      entries.map(([dn, attributes]) => ({ dn, attributes: [['mail', 'bob@contoso.com'], ...attributes] })),
    ),
  );

// ---------------------------------------------------------------------------------------------------

const ARBITRARIES = {
  der: derInput,
  pem: pemInput,
  mime: mimeMessage,
  ldif: ldifInput,
  sst: sstInput,
  settings: settingsInput,
  ldap: ldapAnswerInput,
};

/** One generated input of `kind`, drawn reproducibly from `rng`. */
export function generate(kind, rng) {
  const arb = ARBITRARIES[kind];
  if (!arb) throw new Error(`unknown generator ${kind}`);
  const [value] = fc.sample(arb, { seed: rng.seed(), numRuns: 1 });
  return typeof value === 'string' ? fromLatin1(value) : value;
}
