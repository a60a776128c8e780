/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)-(c), §6.1.4 (g)).
 * Instead of computing intersections of permitted subtrees, the state keeps
 * each CA's permitted list: a name must fall inside every list that has
 * subtrees of its type (which is the same as the intersection) and outside
 * every excluded subtree.
 */
import { bytesEqual } from '../util/bytes.js';
import type { Certificate, GeneralSubtree, NameConstraints } from '../x509/index.js';
import { asciiLower, emailAddressesInName, generalNameText, nameWithin, type GeneralName } from '../x509/index.js';
import { TAG, derParse, derChildren, derContent, derIsUniversal, decodeOid } from '../asn1/index.js';

export class NameConstraintState {
  private readonly permitted: GeneralSubtree[][] = [];
  private readonly excluded: GeneralSubtree[] = [];

  add(nc: NameConstraints): void {
    if (nc.permitted.length > 0) this.permitted.push(nc.permitted);
    this.excluded.push(...nc.excluded);
  }

  get empty(): boolean {
    return this.permitted.length === 0 && this.excluded.length === 0;
  }

  /** The names of `cert` that name constraints apply to (subject, its e-mail addresses, SANs, SmtpUTF8 mailboxes). */
  private static namesOf(cert: Certificate): GeneralName[] {
    const names: GeneralName[] = [];
    if (cert.subject.rdns.length > 0) names.push({ type: 'directory', name: cert.subject });
    for (const email of emailAddressesInName(cert.subject)) names.push({ type: 'rfc822', value: email });
    for (const n of cert.subjectAltNames ?? []) {
      names.push(n);
      // RFC 9598 §6: rfc822Name constraints apply to SmtpUTF8Mailbox too (unreadable ones always violate).
      if (n.type === 'other' && n.tag === 0) {
        const mailbox = smtpUtf8Mailbox(n.der);
        if (mailbox !== undefined) names.push({ type: 'rfc822', value: mailbox });
      }
    }
    return names;
  }

  /** The work of checking `cert`: its names × every subtree held (an upper bound of the comparisons made). */
  comparisons(cert: Certificate): number {
    if (this.empty) return 0;
    const subtrees = this.excluded.length + this.permitted.reduce((sum, list) => sum + list.length, 0);
    return NameConstraintState.namesOf(cert).length * subtrees;
  }

  /** The first violation for this certificate's subject and alternative names, or `undefined`. */
  check(cert: Certificate): string | undefined {
    if (this.empty) return undefined;
    const names = NameConstraintState.namesOf(cert);
    for (const name of names) {
      for (const st of this.excluded) {
        if (sameType(st.base, name) && matches(st.base, name) !== false) {
          return `${generalNameText(name)} is inside the excluded subtree ${generalNameText(st.base)}`;
        }
      }
      for (const list of this.permitted) {
        const relevant = list.filter((st) => sameType(st.base, name));
        if (relevant.length > 0 && !relevant.some((st) => matches(st.base, name) === true)) {
          return `${generalNameText(name)} is outside the permitted subtrees (${relevant.map((s) => generalNameText(s.base)).join(', ')})`;
        }
      }
    }
    return undefined;
  }
}

const OID_SMTP_UTF8_MAILBOX = '1.3.6.1.5.5.7.8.9';

/**
 * The address in an otherName SmtpUTF8Mailbox (RFC 9598), with the domain converted to its A-label
 * form as §6 requires for constraint checks; '' when it is that type but unreadable; undefined for
 * other otherNames.
 */
function smtpUtf8Mailbox(der: Uint8Array): string | undefined {
  try {
    const root = derParse(der);
    const [typeId, value] = derChildren(root);
    if (!typeId || !derIsUniversal(typeId, TAG.OID) || decodeOid(derContent(typeId)) !== OID_SMTP_UTF8_MAILBOX)
      return undefined;
    try {
      const inner = value ? derChildren(value)[0] : undefined;
      if (!inner || !derIsUniversal(inner, TAG.UTF8String)) return '';
      const text = new TextDecoder('utf-8', { fatal: true }).decode(derContent(inner));
      const at = text.lastIndexOf('@');
      if (at < 1) return '';
      const domain = text.slice(at + 1);
      if (domain === '' || /[\s/?#@:\\[\]%]/.test(domain)) return ''; // the URL parser would check only part of it

      const ascii = /^[\x00-\x7f]*$/.test(domain) ? domain : new URL(`http://${domain}`).hostname;
      return `${text.slice(0, at)}@${ascii}`;
    } catch {
      return '';
    }
  } catch {
    return undefined;
  }
}

function sameType(a: GeneralName, b: GeneralName): boolean {
  if (a.type !== b.type) return false;
  return a.type !== 'other' || a.tag === (b as typeof a).tag;
}

/** true = inside, false = outside, undefined = cannot be decided (treated as a violation both ways). */
function matches(base: GeneralName, name: GeneralName): boolean | undefined {
  switch (base.type) {
    case 'directory':
      return nameWithin((name as typeof base).name, base.name);
    case 'rfc822':
      return emailMatches(base.value, (name as typeof base).value);
    case 'dns':
      return dnsMatches(base.value, (name as typeof base).value);
    case 'uri': {
      const host = uriHost((name as typeof base).value);
      if (host === undefined) return undefined;
      return hostMatches(base.value, host);
    }
    case 'ip':
      return ipMatches(base.bytes, (name as typeof base).bytes);
    default:
      return bytesEqual(base.der, (name as typeof base).der) ? true : undefined;
  }
}

function emailMatches(constraint: string, address: string): boolean | undefined {
  const at = address.lastIndexOf('@');
  if (at < 1) return undefined;
  const local = address.slice(0, at);
  const domain = asciiLower(address.slice(at + 1));
  const c = asciiLower(constraint);
  if (constraint.includes('@')) {
    const cat = constraint.lastIndexOf('@');
    return constraint.slice(0, cat) === local && asciiLower(constraint.slice(cat + 1)) === domain;
  }
  if (c.startsWith('.')) return domain.endsWith(c);
  return domain === c;
}

function dnsMatches(constraint: string, name: string): boolean {
  const c = asciiLower(constraint).replace(/\.$/, '');
  const n = asciiLower(name).replace(/\.$/, '');
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c);
  return n === c || n.endsWith(`.${c}`);
}

function hostMatches(constraint: string, host: string): boolean {
  const c = asciiLower(constraint);
  const h = asciiLower(host);
  if (c.startsWith('.')) return h.endsWith(c);
  return h === c;
}

function uriHost(uri: string): string | undefined {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(uri);
  const host = m?.[1];
  return host ? host : undefined;
}

function ipMatches(constraint: Uint8Array, address: Uint8Array): boolean {
  if (constraint.length !== address.length * 2) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i]!;
    if ((address[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}
