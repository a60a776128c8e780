// smimekit webmail: reads and writes S/MIME mail in the browser, on the built library (dist/) and the browser's
// WebCrypto. Nothing is sent anywhere: files are read with the File API, results are shown and offered as downloads.
import {
  MemoryDirectory,
  SmimeError,
  TrustList,
  composeMessage,
  isSst,
  loadIdentity,
  parseCertificate,
  parseSst,
  readMessage,
} from '/dist/index.js';
import { decodeEncodedWords, decodedBody, header, parseAddresses, parseMime, parseParameterized } from '/dist/mime.js';
import { describeSstEntry } from '/dist/sst.js';

/** What to do about a problem code (after docs/trust.md and docs/errors.md). */
const ADVICE = {
  // Certificate validation.
  expired:
    'Get a current certificate from the sender. For old mail, validate at the time you received it, never at the time the message claims.',
  'not-yet-valid': 'Check this computer’s clock. A certificate from the future is suspicious.',
  'untrusted-root':
    'The chain does not reach the trust list. Add the issuing CA (or its root) to the tenant SST if your organisation trusts it; otherwise do not trust the sender.',
  'bad-signature':
    'A signature does not verify: the message or a certificate was altered, or a certificate is not from the issuer it names. Do not trust it.',
  'unsupported-algorithm':
    'Nothing can be done here. Ask the sender for a certificate or message with common algorithms.',
  'not-ca':
    'An end-entity certificate acts as an issuer: usually an attack or a misissued certificate. Do not trust it.',
  'path-length': 'The CA hierarchy violates its own constraints. Contact the CA.',
  'bad-key-usage':
    'The certificate’s key usage does not allow this (signing or encryption). Many people have separate signing and encryption certificates: use the right one.',
  'bad-eku':
    'The certificate was issued for another purpose, such as TLS. Ask for an S/MIME (secure e-mail) certificate.',
  'email-mismatch':
    'The address is not in the signer’s certificate: the sender used someone else’s certificate, or the address changed. Treat the message as not from that address.',
  'name-constraints': 'The CA is not allowed to issue for that name. Do not trust it.',
  policy: 'The CA’s certificate policies do not meet the requirement.',
  revoked: 'The certificate was revoked. Do not trust it; ask for the replacement certificate.',
  'revocation-unknown': 'Supply current CRLs (in the SST) to know whether the certificate was revoked.',
  'weak-algorithm': 'SHA-1, MD5, DSA or a short RSA key: acceptable only for old mail. Ask for a modern certificate.',
  'unknown-critical-extension':
    'The certificate is meant for a profile this library cannot check. It must not be accepted.',
  'anchor-not-trusted-for-purpose':
    'The trust list does not enable this CA for secure e-mail. Use an SST in which the anchor is enabled for Secure Email.',
  // Signatures and messages.
  'digest-mismatch':
    'The content was changed after it was signed, by a relay or an attacker. Do not rely on it; ask the sender to send it again.',
  'content-mismatch': 'The signature covers other content than the one shown. Do not rely on it.',
  'missing-attributes': 'The signature’s signed attributes are incomplete: treat the message as not signed.',
  'content-type-mismatch': 'The signature’s attributes are inconsistent: treat the message as not signed.',
  'signing-certificate-mismatch':
    'The certificate in the message is not the one the signer named: treat the message as not signed.',
  'no-content': 'A detached signature without the content it covers: nothing can be verified.',
  'no-signers': 'The message carries certificates but no signature: it is not signed.',
  'sender-certificate-missing':
    'The sender’s certificate is missing or unusable: a signed message must carry it, and your own .p12 must be valid to send encrypted mail.',
  'from-mismatch':
    'The From address is not in the signer’s certificate: the message may claim to come from someone else.',
  'partially-signed':
    'Only part of the message is signed (a mailing list may have added a footer). Trust the signed part only.',
  'micalg-mismatch':
    'The declared digest algorithm differs from the one used. Usually harmless; the signature itself was checked.',
  'wrong-digest-algorithm':
    'An Ed25519 signature that does not use SHA-512 (RFC 8419): not a valid S/MIME signature. Treat the message as not signed.',
  'pkcs12-mac-missing':
    'This .p12 has no integrity check (MAC): nothing shows it was not altered. Export it again with a password-protected MAC.',
  'legacy-gcm-parameters':
    'The message uses AES-GCM with an unusual nonce or a short tag; it is refused unless legacy GCM is allowed.',
  'not-smime':
    'Plain mail: anyone could have written or changed it on the way, whatever the From line says. Do not send secrets in reply without encryption.',
  // Encryption warnings (the message was written; some mail clients may not open it).
  'ecdh-recipient-mixed':
    'Thunderbird (NSS) cannot open a message that mixes EC and RSA recipients. If RSA recipients use Thunderbird, send them a separate message.',
  'ecdh-not-readable-by-nss': 'Thunderbird (NSS) cannot open ECDH-encrypted mail; Outlook and OpenSSL can.',
  'oaep-limited-interop': 'Some older mail clients cannot open RSA-OAEP; check that every recipient can.',
  'auth-enveloped-limited-interop':
    'Some older mail clients cannot open AES-GCM (AuthEnvelopedData); check that every recipient can.',
  // Errors.
  'bad-password': 'Check the password of the .p12 file.',
  'password-required': 'This .p12 file needs a password.',
  'bad-pkcs12': 'The file is not a readable PKCS#12 identity (.p12 / .pfx).',
  'not-recipient':
    'The message was not encrypted to the identity you loaded. Load the .p12 of the person it was sent to.',
  'decryption-failed':
    'The message could not be decrypted: it was damaged or tampered with on the way, or the key does not fit.',
  'recipient-certificate-missing': 'Pick a valid certificate for every recipient: nothing is ever sent unencrypted.',
  'unsupported-format': 'The file is in none of the formats expected here.',
  'malformed-mime': 'The file is not a readable e-mail message.',
  'malformed-smime': 'The S/MIME structure of the message is incomplete or damaged.',
  'malformed-cms': 'The encrypted or signed part of the message is damaged.',
  'bad-address': 'An e-mail address cannot be used as written.',
};

function adviceFor(code) {
  if (ADVICE[code]) return ADVICE[code];
  if (code.startsWith('sst-')) return 'The trust list is not a valid SST file. Export it again from Exchange Online.';
  return undefined;
}

const $ = (id) => document.getElementById(id);

/** An element with text and children; text is always set as text, never parsed as HTML. */
function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  const { text, className, ...attributes } = options;
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

const bytesOf = async (file) => new Uint8Array(await file.arrayBuffer());
const fileOf = (input) => input.files?.[0];
const utc = (date) => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
const colonHex = (hex) => hex.toUpperCase().match(/../g).join(':');

function commonName(name) {
  for (const rdn of name.rdns) for (const a of rdn) if (a.oid === '2.5.4.3') return a.value;
  return name.text;
}

/** Text of a body part in its declared charset (UTF-8 when unknown), with the line breaks of the platform. */
function decodeText(entity) {
  const bytes = decodedBody(entity);
  let decoder;
  try {
    decoder = new TextDecoder(entity.contentType.params.charset || 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(bytes).replace(/\r\n/g, '\n');
}

/** Object URLs of the downloads on screen, released when they are replaced. */
const objectUrls = { message: [], reply: [] };
function downloadLink(group, bytes, name, type, label = name) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  objectUrls[group].push(url);
  return el('a', { href: url, download: name, text: label });
}
function releaseUrls(group) {
  for (const url of objectUrls[group].splice(0)) URL.revokeObjectURL(url);
}

function clear(...ids) {
  for (const id of ids) $(id).replaceChildren();
}

function problemItem(code, message, kind = 'problem') {
  const advice = adviceFor(code);
  return el(
    'li',
    { className: kind, 'data-code': code },
    kind === 'warning' ? 'Warning ' : undefined,
    el('code', { text: code }),
    ' ',
    el('span', { text: message }),
    advice ? el('p', { className: 'advice', text: `What to do: ${advice}` }) : undefined,
  );
}

/** A list of problems (or warnings); an empty fragment when there are none. */
function findings(items, kind = 'problem', label = undefined) {
  if (items.length === 0) return document.createDocumentFragment();
  return el(
    'ul',
    { className: 'problems', 'aria-label': label },
    ...items.map((p) => problemItem(p.code, p.message, kind)),
  );
}

function showError(container, error, context) {
  container.replaceChildren();
  if (error instanceof SmimeError)
    container.append(
      el('p', { text: `${context}.` }),
      el('ul', { className: 'problems' }, problemItem(error.code, error.message)),
    );
  else container.append(el('p', { text: `${context}: ${error instanceof Error ? error.message : String(error)}` }));
}

/** A problem the page itself finds (missing input): shown as a sentence, without a code. */
class PageError extends Error {}

/** A library error with what the page was doing when it happened. */
class ContextError extends Error {}
const rethrowAs = (context) => (cause) => {
  throw new ContextError(context, { cause });
};

// ---------------------------------------------------------------------------------------------------------------
// Loading the trust list and the identity.

/** The tenant trust list: an SST (with friendly names), or PEM / DER / PKCS#7 certificates. */
async function loadTrust() {
  const file = fileOf($('trust'));
  if (!file) return { list: new TrustList(), names: new Map(), file: undefined };
  const bytes = await bytesOf(file);
  const names = new Map();
  if (!isSst(bytes)) return { list: TrustList.fromBytes(bytes), names, file: file.name };
  const store = parseSst(bytes);
  store.certificates.forEach((entry, i) => {
    const d = describeSstEntry(entry, i);
    if (d.friendlyName) names.set(d.sha256, d.friendlyName);
  });
  return { list: TrustList.fromSst(store), names, file: file.name };
}

async function loadIdentityInput() {
  const file = fileOf($('identity'));
  if (!file) return undefined;
  const identity = await loadIdentity(await bytesOf(file), $('password').value);
  const certificate = parseCertificate(identity.certificate);
  return { ...identity, parsed: certificate, address: certificate.emailAddresses[0] };
}

function describeLoaded(trust, identity) {
  const list = $('loaded');
  list.replaceChildren();
  if (!trust.file)
    list.append(el('li', { className: 'warn', text: 'No trust list: no signer can be trusted. Add the tenant SST.' }));
  else {
    const anchors = trust.list.anchors.map(
      (a) => trust.names.get(a.certificate.fingerprint) ?? commonName(a.certificate.subject),
    );
    const skipped = trust.list.skipped.length ? `; ${trust.list.skipped.length} unreadable entries left out` : '';
    list.append(
      el('li', {
        text: `Trust list ${trust.file}: ${anchors.length} trust anchor${anchors.length === 1 ? '' : 's'} (${anchors.join(', ')})${skipped}`,
      }),
    );
  }
  if (identity)
    list.append(
      el('li', {
        text: `Your identity: ${commonName(identity.parsed.subject)}${identity.address ? ` <${identity.address}>` : ''} (${identity.keyType}${identity.curve ? ` ${identity.curve}` : ` ${identity.bits} bits`})`,
      }),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Opening a message.

/** Session of the last opened message: what a reply needs. */
let session;

async function openMessage(event) {
  event.preventDefault();
  const button = $('open-button');
  button.disabled = true;
  clear('open-error', 'loaded');
  $('message-view').hidden = true;
  $('report-view').hidden = true;
  $('reply-view').hidden = true;
  session = undefined;
  try {
    const file = fileOf($('message'));
    if (!file) throw new PageError('Pick a message (.eml) first');
    const bytes = await bytesOf(file);
    const trust = await loadTrust().catch(rethrowAs('The trust list could not be read'));
    const identity = await loadIdentityInput().catch(rethrowAs('Your .p12 could not be opened'));
    describeLoaded(trust, identity);
    const outer = parseMime(bytes);
    const from = parseAddresses(header(outer, 'from'))[0];
    let result;
    try {
      result = await readMessage(bytes, {
        identities: identity ? [identity] : [],
        trust: trust.list,
        ...(from ? { from } : {}),
      });
    } catch (e) {
      // readMessage needs an identity for an encrypted layer and says so with bad-argument.
      if (!identity && e instanceof SmimeError && e.code === 'bad-argument')
        throw new PageError('This message is encrypted: add your .p12 and its password to read it');
      throw e;
    }
    showMessage(outer, result, trust);
    session = { identity, trust, outer, result };
    prepareReply(outer);
  } catch (e) {
    if (e instanceof ContextError) showError($('open-error'), e.cause, e.message);
    else if (e instanceof PageError) $('open-error').replaceChildren(el('p', { text: `${e.message}.` }));
    else showError($('open-error'), e, 'The message could not be opened');
  } finally {
    button.disabled = false;
    finished('opened');
  }
}

/** Counts finished actions on <body data-opened / data-replied>: a hook for scripts and tests to wait on. */
function finished(action) {
  document.body.dataset[action] = String(Number(document.body.dataset[action] ?? 0) + 1);
}

function showMessage(outer, result, trust) {
  releaseUrls('message');
  const inner = parseMime(result.content);
  showStatus(result);
  showHeaders(outer, inner);
  showContent(inner);
  showLayers(result);
  clear('problems');
  if (result.problems.length === 0) $('problems').append(el('li', { text: 'None.' }));
  for (const p of result.problems) $('problems').append(problemItem(p.code, p.message));
  showReport(result, trust);
  $('message-view').hidden = false;
}

function showStatus(result) {
  const signers = reports(result).flatMap((r) => r.signers);
  const envelope = result.layers.find((l) => l.type === 'enveloped');
  const who = signers.map((s) => s.email ?? s.commonName ?? s.subject ?? 'unknown signer').join(', ');
  let headline;
  let tone;
  if (result.unprotected) [headline, tone] = ['Not protected: neither signed nor encrypted', 'warn'];
  else if (result.signed && result.ok)
    [headline, tone] = [`Signed and verified${result.encrypted ? ', and decrypted' : ''}`, 'ok'];
  else if (result.signed) [headline, tone] = ['Signature NOT verified', 'bad'];
  else [headline, tone] = ['Encrypted but not signed: the sender is not authenticated', 'warn'];
  $('status').className = `status ${tone}`;
  $('status-headline').textContent = headline;

  const details = $('status-details');
  details.replaceChildren();
  const item = (label, text) => details.append(el('li', {}, el('strong', { text: `${label}: ` }), text));
  if (!result.signed) item('Signature', 'none');
  else if (result.ok) item('Signature', `valid, signer certificate trusted (${who})`);
  else item('Signature', `not verified (${[...new Set(result.problems.map((p) => p.code))].join(', ')})`);
  if (!envelope) item('Encryption', 'none: the message travelled readable');
  else
    item(
      'Encryption',
      `${envelope.cipher} (${envelope.envelopeType}), decrypted with your key; ${
        envelope.authenticated
          ? 'authenticated encryption: the ciphertext cannot be altered unnoticed'
          : 'the encryption alone does not protect integrity'
      }${envelope.legacyCipher ? '; a weak legacy cipher' : ''}`,
    );
  item(
    'Sender',
    result.signed && result.ok ? `authenticated as ${who}` : 'not authenticated: the From line is only a claim',
  );
}

/** The verify reports of the signed layers (each report once, with the first layer it covers). */
function reports(result) {
  return result.layers.flatMap((l) => (l.type === 'signed' && l.report ? [l.report] : []));
}

function showHeaders(outer, inner) {
  const list = $('headers');
  list.replaceChildren();
  for (const name of ['From', 'To', 'Cc', 'Subject', 'Date']) {
    const value = header(outer, name) ?? header(inner, name);
    if (value === undefined && name === 'Cc') continue;
    list.append(
      el('dt', { text: name }),
      el('dd', { text: value === undefined ? '(none)' : decodeEncodedWords(value), 'data-header': name.toLowerCase() }),
    );
  }
}

/** The text body (the first text/plain part that is not an attachment) and the attachments. */
function showContent(inner) {
  const parts = { text: undefined, attachments: [] };
  collectParts(inner, parts);
  $('body').textContent = parts.text ?? '(no text part)';
  const list = $('attachments');
  list.replaceChildren();
  if (parts.attachments.length === 0) list.append(el('li', { text: 'None.' }));
  for (const a of parts.attachments)
    list.append(
      el(
        'li',
        {},
        // Downloaded as opaque bytes: an attachment is never rendered in this page's origin.
        downloadLink('message', a.bytes, a.name, 'application/octet-stream'),
        ` (${a.type}, ${a.bytes.length} bytes)`,
      ),
    );
}

function collectParts(entity, parts) {
  const type = entity.contentType;
  if (type.type === 'multipart') {
    for (const child of entity.children) collectParts(child, parts);
    return;
  }
  const disposition = header(entity, 'content-disposition');
  const dispo = disposition ? parseParameterized(disposition) : undefined;
  const filename = dispo?.params.filename ?? type.params.name;
  const isAttachment = dispo?.head.toLowerCase() === 'attachment' || filename !== undefined;
  if (!isAttachment && type.mediaType === 'text/plain' && parts.text === undefined) {
    parts.text = decodeText(entity);
    return;
  }
  const n = parts.attachments.length + 1;
  const fallback = type.mediaType === 'message/rfc822' ? `attached-message-${n}.eml` : `part-${n}.${type.subtype}`;
  parts.attachments.push({
    name: safeFileName(filename ? decodeEncodedWords(filename) : fallback),
    type: type.mediaType,
    bytes: decodedBody(entity),
  });
}

function safeFileName(name) {
  const base = name
    .split(/[\\/]/)
    .pop()
    .replace(/[\x00-\x1f\x7f]/g, '')
    .trim();
  return base === '' || base === '.' || base === '..' ? 'attachment.bin' : base;
}

function showLayers(result) {
  const list = $('layers');
  list.replaceChildren();
  if (result.layers.length === 0) list.append(el('li', { text: 'None: plain mail.' }));
  for (const layer of result.layers) {
    let text;
    if (layer.type === 'enveloped')
      text = `Encrypted (${layer.envelopeType}, ${layer.cipher}${layer.authenticated ? ', authenticated' : ''}), recipient found by ${layer.recipient.matchedBy}, key ${layer.recipient.keyManagement}`;
    else if (layer.type === 'signed')
      text = `Signed (${layer.form === 'detached' ? 'multipart/signed, readable without S/MIME' : 'opaque'}): ${layer.ok ? 'verified' : 'not verified'}`;
    else text = 'Compressed';
    list.append(el('li', { text, 'data-layer': layer.type }));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The validation report: each signer's chain, certificate by certificate.

function showReport(result, trust) {
  const container = $('report');
  container.replaceChildren();
  const all = reports(result);
  if (all.length === 0) {
    $('report-view').hidden = true;
    return;
  }
  let n = 0;
  for (const report of all) {
    report.signers.forEach((signer) => {
      const carried = report.layers[signer.layer]?.certificates ?? [];
      container.append(signerView(signer, ++n, carried, trust));
    });
    container.append(findings(report.warnings, 'warning'));
  }
  $('report-view').hidden = false;
}

function signerView(signer, n, carried, trust) {
  const who = signer.email ?? signer.commonName ?? signer.subject ?? '(certificate not found)';
  const article = el('article', { className: 'signer', 'aria-labelledby': `signer-${n}` });
  article.append(el('h3', { id: `signer-${n}`, text: `Signer ${n}: ${who}` }));
  const facts = el('dl', { className: 'facts' });
  const fact = (name, value) => facts.append(el('dt', { text: name }), el('dd', { text: value }));
  fact(
    'Signature',
    `${signer.signatureValid ? 'valid' : 'INVALID'} (${signer.algorithms.signature}, ${signer.algorithms.digest})`,
  );
  if (signer.signingTime) fact('Signed at', `${utc(signer.signingTime)} (claimed by the sender, not proven)`);
  fact('Certificate chain', signer.chain ? (signer.chain.valid ? 'valid' : 'NOT valid') : 'not validated');
  article.append(facts);

  // SignerReport.problems lists the signature's problems, then the chain's (already shown per certificate).
  const chainCount = signer.chain?.problems.length ?? 0;
  const own = signer.problems.slice(0, signer.problems.length - chainCount);
  article.append(findings(own, 'problem', 'Signature problems'));
  if (signer.chain) article.append(chainView(signer.chain, carried, trust));
  return article;
}

/** Where a path certificate came from: the trust list, the message, or elsewhere. */
function sourceOf(element, carried, trust) {
  if (element.anchor && trust.list.find(element.certificate)) {
    const name = trust.names.get(element.fingerprint);
    return [
      'sst',
      `trust anchor from the trust list${trust.file ? ` ${trust.file}` : ''}${name ? ` (“${name}”)` : ''}`,
    ];
  }
  const der = element.certificate.der;
  if (carried.some((c) => c.length === der.length && c.every((b, i) => b === der[i])))
    return ['message', 'carried in the message (not trusted by itself)'];
  return ['other', 'found outside the message and the trust list'];
}

function chainView(chain, carried, trust) {
  const wrapper = el('div', { className: 'chain-wrapper' });
  const list = el('ol', { className: 'chain', 'aria-label': 'Certificate chain, signer first' });
  chain.path.forEach((element, index) => {
    const [source, sourceText] = sourceOf(element, carried, trust);
    const problems = chain.problems.filter((p) => p.certificate?.index === index);
    const warnings = chain.warnings.filter((w) => w.certificate?.index === index);
    const role = index === 0 ? 'Signer certificate' : element.anchor ? 'Trust anchor' : 'Intermediate CA';
    const facts = el('dl', { className: 'facts' });
    const fact = (name, value, attr) => facts.append(el('dt', { text: name }), el('dd', { text: value, ...attr }));
    fact('Subject', element.subject);
    fact('Issuer', element.issuer);
    fact('Valid', `${utc(element.notBefore)} to ${utc(element.notAfter)}`);
    fact('SHA-256', colonHex(element.fingerprint), {
      className: 'fingerprint',
      'data-fingerprint': element.fingerprint,
    });
    fact('Serial', element.serialNumber);
    fact('Trust source', sourceText, { 'data-source': source });
    list.append(
      el(
        'li',
        {
          className: `cert ${problems.length ? 'cert-bad' : 'cert-ok'}`,
          'data-source': source,
          'data-index': String(index),
        },
        el('h4', { text: `${role}: ${commonName(element.certificate.subject)}` }),
        facts,
        findings(problems),
        findings(warnings, 'warning'),
      ),
    );
  });
  const last = chain.path.at(-1);
  if (last && !last.anchor)
    list.append(
      el(
        'li',
        { className: 'cert cert-missing', 'data-source': 'missing' },
        el('h4', { text: `Issuer not found: ${last.issuer}` }),
        el('p', { text: 'Neither the trust list nor the message holds a trusted issuer for this certificate.' }),
      ),
    );
  wrapper.append(list);
  const general = (items) => items.filter((p) => p.certificate === undefined);
  wrapper.append(
    findings(general(chain.problems), 'problem', 'Path problems'),
    findings(general(chain.warnings), 'warning'),
  );
  return wrapper;
}

// ---------------------------------------------------------------------------------------------------------------
// Replying: signed with the loaded .p12, encrypted to the picked certificates and to the sender.

function prepareReply(outer) {
  const subject = decodeEncodedWords(header(outer, 'subject') ?? '');
  $('reply-subject').value = /^re:/i.test(subject) ? subject : `Re: ${subject}`.trim();
  clear('reply-output', 'reply-error');
  releaseUrls('reply');
  $('reply-view').hidden = false;
}

async function composeReply(event) {
  event.preventDefault();
  const button = $('reply-button');
  button.disabled = true;
  clear('reply-output', 'reply-error');
  releaseUrls('reply');
  try {
    const identity = session?.identity;
    if (!identity) throw new PageError('Open a message with your .p12 loaded first: the reply is signed with it');
    if (!identity.address) throw new PageError('Your certificate has no e-mail address to send from');
    const files = [...($('recipients').files ?? [])];
    if (files.length === 0) throw new PageError('Pick the certificate of at least one recipient');

    // The picked files become a small address book: one entry per end-entity certificate, filed under its
    // addresses; CA certificates in the files serve as the chain.
    const directory = new MemoryDirectory({ name: 'picked certificates' });
    const to = [];
    for (const file of files) {
      const loaded = directory.load(await bytesOf(file), { format: 'certificates' });
      for (const entry of loaded.added) if (entry.address && !to.includes(entry.address)) to.push(entry.address);
      for (const skip of loaded.skipped)
        if (skip.code !== 'ca-certificate') throw new PageError(`${file.name}: ${skip.item}: ${skip.reason}`);
    }
    if (to.length === 0) throw new PageError('The picked files hold no end-entity certificate with an e-mail address');

    // Certificates the opened message carried help build the recipients' chains.
    const intermediates = reports(session.result).flatMap((r) => r.layers.flatMap((l) => l.certificates));
    const messageId = header(session.outer, 'message-id');
    const threading =
      messageId && /^<[\x21-\x7e]+>$/.test(messageId) ? { 'In-Reply-To': messageId, References: messageId } : undefined;
    const result = await composeMessage(
      {
        from: { name: commonName(identity.parsed.subject), address: identity.address },
        to,
        subject: $('reply-subject').value,
        content: $('reply-text').value,
        ...(threading ? { headers: threading } : {}),
      },
      { identity, directory, trust: session.trust.list, intermediates, sign: true, encrypt: true },
    );
    const out = $('reply-output');
    for (const m of result.messages) {
      out.append(
        el(
          'p',
          {},
          downloadLink('reply', m.message, 'reply.eml', 'message/rfc822', 'Download reply.eml'),
          ` — signed by ${identity.address}, encrypted to ${m.encryptedTo.join(', ')} (${m.message.length} bytes)`,
        ),
      );
    }
    out.append(findings(result.warnings, 'warning'));
  } catch (e) {
    if (e instanceof PageError) $('reply-error').replaceChildren(el('p', { text: `${e.message}.` }));
    else showError($('reply-error'), e, 'The reply could not be created');
  } finally {
    button.disabled = false;
    finished('replied');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Drag and drop: each dropped file goes into the input its extension names.

const TARGETS = [
  [/\.eml$/i, 'message'],
  [/\.sst$/i, 'trust'],
  [/\.(p12|pfx)$/i, 'identity'],
];

function onDrop(event) {
  event.preventDefault();
  $('drop').classList.remove('over');
  const placed = [];
  for (const file of event.dataTransfer?.files ?? []) {
    const target = TARGETS.find(([pattern]) => pattern.test(file.name))?.[1];
    if (!target) {
      placed.push(`${file.name}: not an .eml, .sst or .p12 (use the fields below)`);
      continue;
    }
    const transfer = new DataTransfer();
    transfer.items.add(file);
    $(target).files = transfer.files;
    placed.push(`${file.name} → ${document.querySelector(`label[for="${target}"]`).textContent}`);
  }
  $('drop-help').textContent = placed.join('; ');
}

// A file dropped beside the drop zone must not make the browser navigate away from the page.
for (const type of ['dragover', 'drop']) document.addEventListener(type, (e) => e.preventDefault());
$('drop').addEventListener('dragover', () => $('drop').classList.add('over'));
$('drop').addEventListener('dragleave', () => $('drop').classList.remove('over'));
$('drop').addEventListener('drop', onDrop);
$('open-form').addEventListener('submit', (e) => void openMessage(e));
$('reply-form').addEventListener('submit', (e) => void composeReply(e));
document.body.dataset.ready = 'true';
