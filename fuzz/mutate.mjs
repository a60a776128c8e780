/**
 * Mutators of the fuzzer: a seeded random source, byte-level mutations (AFL "havoc" style), DER-aware
 * mutations that re-encode a parsed ASN.1 tree (so the lengths stay right and the parser gets past the
 * outer layers) or corrupt its length fields on purpose, text mutations for MIME/LDIF/PEM, mutations of
 * the DER inside base64 regions (the CMS of an S/MIME message, the body of a PEM block), and mutations
 * of the two little-endian TLV formats (SST elements, Outlook security settings).
 *
 * Every function here is pure apart from the `Rng` it is given: one seed, one sequence of inputs.
 */
import { createHash } from 'node:crypto';

/** Largest input a mutation may produce; bigger results are cut back to this. */
const MAX_INPUT = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Random source
// ---------------------------------------------------------------------------------------------------

/** sfc32, seeded from the SHA-256 of a text: small, fast and the same on every platform. */
export class Rng {
  constructor(seed) {
    const h = createHash('sha256').update(String(seed)).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12) | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** 0 ≤ n < max. */
  int(max) {
    return max <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * max);
  }

  /** lo ≤ n ≤ hi. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  chance(p) {
    return this.u32() / 4294967296 < p;
  }

  pick(list) {
    return list[this.int(list.length)];
  }

  /** Small numbers much more often than large ones: 1..max, log-uniform. */
  small(max) {
    return Math.max(1, Math.min(max, Math.floor(Math.exp(Math.log(max + 1) * (this.u32() / 4294967296)))));
  }

  bytes(n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** A 31-bit number to seed something else (fast-check) from this sequence. */
  seed() {
    return this.u32() & 0x7fffffff;
  }
}

// ---------------------------------------------------------------------------------------------------
// Bytes and text helpers
// ---------------------------------------------------------------------------------------------------

export function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `list.splice(start, deleteCount, ...items)` without spreading `items` into arguments (a big list overflows the stack). */
function spliceIn(list, start, deleteCount, items) {
  const tail = list.slice(start + deleteCount);
  list.length = start;
  for (const x of items) list.push(x);
  for (const x of tail) list.push(x);
}

export const latin1 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
export const fromLatin1 = (text) => new Uint8Array(Buffer.from(text, 'latin1'));
const cap = (bytes) => (bytes.length > MAX_INPUT ? bytes.subarray(0, MAX_INPUT) : bytes);

/** Mostly printable ASCII (MIME, PEM, LDIF, base64) rather than binary. */
export function looksTextual(bytes) {
  const n = Math.min(bytes.length, 512);
  if (n === 0) return false;
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  }
  return printable / n > 0.9;
}

const INTERESTING_8 = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x1f, 0x20, 0x30, 0x31, 0x3f, 0x40, 0x64];
const INTERESTING_32 = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
];

// ---------------------------------------------------------------------------------------------------
// DER/BER: a tolerant reader into a tree that can be edited and written back
// ---------------------------------------------------------------------------------------------------

const UNIVERSAL = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8: 12,
  SEQUENCE: 16,
  SET: 17,
};

/**
 * One TLV header at `pos`, or null. `length` is -1 for the indefinite form. Lengths are not checked
 * against the buffer here; `readTree` does that.
 */
function readHeader(buf, pos, end = buf.length) {
  if (pos >= end) return null;
  const first = buf[pos];
  let at = pos + 1;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (at >= end || i > 4) return null;
      const b = buf[at++];
      tag = tag * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
  }
  if (at >= end) return null;
  const lengthStart = at;
  const lb = buf[at++];
  let length;
  if (lb < 0x80) length = lb;
  else if (lb === 0x80) length = -1;
  else {
    const n = lb & 0x7f;
    if (n > 4 || at + n > end) return null;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[at++];
  }
  return { cls: first >> 6, constructed: (first & 0x20) !== 0, tag, lengthStart, lengthAt: at, length };
}

/**
 * Reads `buf` as a sequence of TLVs into nodes: `{ tagBytes, constructed, cls, tag, children?, content?,
 * indefinite, wrapsDer }`. Primitive OCTET STRINGs and BIT STRINGs whose content is itself DER get
 * `children` too (`wrapsDer`), so mutations reach certificates inside PKCS#12 bags, extension values,
 * encapsulated content. Returns null when the bytes are not (mostly) DER.
 */
export function readTree(buf, budget = { nodes: 20000 }) {
  const nodes = [];
  const ok = readSeq(buf, 0, buf.length, 0, nodes, budget);
  return ok === buf.length && nodes.length > 0 ? nodes : null;
}

function readSeq(buf, pos, end, depth, out, budget) {
  while (pos < end) {
    if (budget.nodes-- <= 0 || depth > 80) return -1;
    if (buf[pos] === 0 && buf[pos + 1] === 0 && depth > 0 && out.eoc) return pos;
    const h = readHeader(buf, pos, end);
    if (!h) return -1;
    const node = {
      tagBytes: buf.slice(pos, h.lengthStart),
      cls: h.cls,
      constructed: h.constructed,
      tag: h.tag,
      indefinite: h.length === -1,
    };
    if (h.length === -1) {
      if (!h.constructed) return -1;
      const kids = [];
      kids.eoc = true;
      const stop = readSeq(buf, h.lengthAt, end, depth + 1, kids, budget);
      if (stop < 0 || buf[stop] !== 0 || buf[stop + 1] !== 0) return -1;
      delete kids.eoc;
      node.children = kids;
      out.push(node);
      pos = stop + 2;
      continue;
    }
    const cEnd = h.lengthAt + h.length;
    if (cEnd > end) return -1;
    if (h.constructed) {
      const kids = [];
      if (readSeq(buf, h.lengthAt, cEnd, depth + 1, kids, budget) !== cEnd) return -1;
      node.children = kids;
    } else {
      node.content = buf.slice(h.lengthAt, cEnd);
      const wrapOffset = h.cls === 0 && h.tag === UNIVERSAL.BIT_STRING ? 1 : 0;
      if (
        h.cls === 0 &&
        (h.tag === UNIVERSAL.OCTET_STRING || (h.tag === UNIVERSAL.BIT_STRING && node.content[0] === 0)) &&
        node.content.length > wrapOffset + 1 &&
        (node.content[wrapOffset] & 0x20) !== 0
      ) {
        const inner = [];
        const sub = node.content.subarray(wrapOffset);
        if (readSeq(sub, 0, sub.length, depth + 1, inner, budget) === sub.length && inner.length > 0) {
          node.children = inner;
          node.wrapsDer = true;
          node.prefix = wrapOffset ? node.content.slice(0, 1) : new Uint8Array(0);
          delete node.content;
        }
      }
    }
    out.push(node);
    pos = cEnd;
  }
  return pos;
}

/** DER length octets for n (minimal), or a chosen hostile form. */
export function encodeLength(n, mode = 'min') {
  if (mode === 'long' || (n >= 0x80 && mode === 'min')) {
    const bytes = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    if (mode === 'long') bytes.unshift(0); // a non-minimal long form (leading zero octet)
    return Uint8Array.of(0x80 | bytes.length, ...bytes);
  }
  return Uint8Array.of(n);
}

/** Writes nodes back. Lengths are recomputed unless a node carries `rawLength` (a deliberate lie). */
export function writeTree(nodes) {
  return concat(nodes.map(writeNode));
}

function writeNode(node) {
  let content;
  if (node.children) {
    const inner = writeTree(node.children);
    content = node.wrapsDer ? concat([node.prefix, inner]) : inner;
  } else content = node.content ?? new Uint8Array(0);
  const tag = node.tagBytes;
  if (node.indefinite && (node.children || node.tagBytes[0] & 0x20)) {
    const t = Uint8Array.from(tag);
    t[0] |= 0x20;
    return concat([t, Uint8Array.of(0x80), content, Uint8Array.of(0, 0)]);
  }
  const length = node.rawLength ?? encodeLength(content.length, node.longLength ? 'long' : 'min');
  return concat([tag, length, content]);
}

/** Every node of a tree, depth first, with its parent list and index. */
function flatten(nodes, out = [], depth = 0) {
  nodes.forEach((node, index) => {
    out.push({ node, parent: nodes, index, depth });
    if (node.children) flatten(node.children, out, depth + 1);
  });
  return out;
}

const clone = (node) => structuredClone(node);

function tagByte(cls, constructed, tag) {
  return Uint8Array.of((cls << 6) | (constructed ? 0x20 : 0) | tag);
}

/** A hostile length field: indefinite on a primitive, 2^32-1, 9-octet, one too long, one too short, zero. */
function hostileLength(rng, actual) {
  switch (rng.int(10)) {
    case 0:
      return Uint8Array.of(0x80);
    case 1:
      return Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xff);
    case 2:
      return Uint8Array.of(0x88, 0, 0, 0, 1, 0, 0, 0, 0);
    case 3:
      return encodeLength(actual + rng.range(1, 3));
    case 4:
      return encodeLength(Math.max(0, actual - rng.range(1, 3)));
    case 5:
      return Uint8Array.of(0);
    case 6:
      return Uint8Array.of(0xff);
    case 7:
      return Uint8Array.of(0x84, 0x7f, 0xff, 0xff, 0xff);
    case 8:
      return Uint8Array.of(0x81, rng.int(0x80)); // non-minimal short length
    default:
      return encodeLength(actual, 'long');
  }
}

const INTERESTING_INTEGERS = [
  [],
  [0],
  [0x80],
  [0xff],
  [0, 1],
  [0, 0x80],
  [0xff, 0x7f],
  [0x7f, 0xff, 0xff, 0xff],
  [0x80, 0, 0, 0, 0, 0, 0, 0, 0],
  [0x01, 0, 0, 0, 0, 0, 0, 0, 0],
];

const INTERESTING_OIDS = [
  [],
  [0x80],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
  [0x2b, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
  [0x80, 0x01],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x09],
  [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e],
  [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
  [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
  [0x2b, 0x65, 0x70],
  [0x55, 0x1d, 0x11],
  [0x55, 0x1d, 0x13],
  [0x55, 0x1d, 0x1e],
];

const INTERESTING_TIMES = [
  '000101000000Z',
  '491231235959Z',
  '500101000000Z',
  '991399999999Z',
  '20260101000000Z',
  '99991231235959Z',
  '20260101000000.123456789Z',
  '2026010100Z',
  '20260101000000+0100',
  '',
  'Z',
  '9',
];

const INTERESTING_TAGS = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x1e, 0x30, 0x31, 0x80, 0x81, 0x82, 0x86, 0x87,
  0xa0, 0xa1, 0xa2, 0xa3, 0x24, 0x23, 0x00, 0x1f, 0xff,
];

/** A primitive content worth trying in place of another. */
function hostileContent(rng, node) {
  if (node.cls === 0 && node.tag === UNIVERSAL.INTEGER && rng.chance(0.7)) {
    const v = rng.pick(INTERESTING_INTEGERS);
    return rng.chance(0.1) ? concat([Uint8Array.of(0x01), rng.bytes(rng.pick([64, 513, 2048]))]) : Uint8Array.from(v);
  }
  if (node.cls === 0 && node.tag === UNIVERSAL.OID && rng.chance(0.7))
    return Uint8Array.from(rng.pick(INTERESTING_OIDS));
  if (node.cls === 0 && (node.tag === 23 || node.tag === 24) && rng.chance(0.7))
    return fromLatin1(rng.pick(INTERESTING_TIMES));
  if (node.cls === 0 && node.tag === UNIVERSAL.BIT_STRING && rng.chance(0.5)) {
    const c = Uint8Array.from(node.content ?? [0]);
    if (c.length === 0) return Uint8Array.of(rng.int(256));
    c[0] = rng.pick([0, 1, 7, 8, 0x80, 0xff]);
    return c;
  }
  if (node.cls === 0 && node.tag === UNIVERSAL.BOOLEAN)
    return Uint8Array.from(rng.pick([[], [0], [1], [0xff], [0, 0]]));
  switch (rng.int(6)) {
    case 0:
      return new Uint8Array(0);
    case 1:
      return rng.bytes(rng.small(64));
    case 2:
      return new Uint8Array(rng.pick([1, 127, 128, 255, 256, 65536])).fill(rng.pick(INTERESTING_8));
    case 3: {
      const c = Uint8Array.from(node.content ?? []);
      if (c.length) c[rng.int(c.length)] ^= 1 << rng.int(8);
      return c;
    }
    case 4:
      return fromLatin1(rng.pick(['a@b', '\u0000', 'é', '%s%n', 'x'.repeat(300), '*', 'CN=a,CN=b', '..', '\uffff']));
    default:
      return rng.bytes(rng.range(1, 8));
  }
}

/**
 * One structural mutation of a DER input; null when it does not parse as DER. `donor` (another input of
 * the corpus) provides nodes to splice in.
 */
function mutateDer(rng, bytes, donor) {
  const tree = readTree(bytes);
  if (!tree) return null;
  const all = flatten(tree);
  const pick = () => all[rng.int(all.length)];
  const op = rng.int(16);
  const target = pick();
  const { node, parent, index } = target;
  switch (op) {
    case 0: // new content for a primitive (or a constructed node made primitive)
      delete node.children;
      delete node.wrapsDer;
      node.content = hostileContent(rng, node);
      break;
    case 1: {
      // another tag (keeps the content)
      const t = rng.pick(INTERESTING_TAGS);
      node.tagBytes = rng.chance(0.1) ? Uint8Array.of(0x1f | (t & 0xe0), 0x81, 0x80, 0x01) : Uint8Array.of(t);
      if (node.children && !(t & 0x20) && !node.wrapsDer) node.tagBytes[0] |= 0x20;
      break;
    }
    case 2:
      if (parent.length > 1 || rng.chance(0.3)) parent.splice(index, 1);
      else spliceIn(parent, index, 1, node.children ?? []);
      break;
    case 3: {
      // repetition: the same node many times
      const n = rng.pick([2, 3, 17, 100, 1000, 5000]);
      const size = writeNode(node).length;
      const times = Math.max(1, Math.min(n, Math.floor(MAX_INPUT / 2 / Math.max(1, size))));
      spliceIn(
        parent,
        index,
        0,
        Array.from({ length: times }, () => clone(node)),
      );
      break;
    }
    case 4: {
      if (parent.length < 2) break;
      const j = rng.int(parent.length);
      [parent[index], parent[j]] = [parent[j], parent[index]];
      break;
    }
    case 5: {
      // nesting: wrap in SEQUENCE / [0] / SET / constructed OCTET STRING, a few or very many levels
      const size = writeNode(node).length;
      const levels = Math.max(
        1,
        Math.min(rng.pick([1, 1, 2, 3, 31, 33, 63, 65, 129, 300, 2000]), Math.floor((8 << 20) / (size + 8))),
      );
      const wrapTag = rng.pick([0x30, 0xa0, 0x31, 0x24, 0xa3]);
      let wrapped = node;
      for (let i = 0; i < levels; i++)
        wrapped = {
          tagBytes: Uint8Array.of(wrapTag),
          constructed: true,
          cls: wrapTag >> 6,
          tag: wrapTag & 0x1f,
          children: [wrapped],
        };
      parent[index] = wrapped;
      break;
    }
    case 6: {
      // splice: a node of another input in place of this one, or beside it
      const other = donor ? readTree(donor) : null;
      const pool = other ? flatten(other) : all;
      const graft = clone(pool[rng.int(pool.length)].node);
      if (rng.chance(0.5)) parent[index] = graft;
      else parent.splice(index + rng.int(2), 0, graft);
      break;
    }
    case 7: // indefinite length (BER) where DER wants definite
      if (node.children || node.constructed) node.indefinite = !node.indefinite;
      else node.longLength = true;
      break;
    case 8: // a length that lies (the parents stay consistent with it)
      node.rawLength = hostileLength(rng, writeNode(node).length);
      break;
    case 9: {
      // a primitive OCTET STRING split into BER chunks, possibly nested
      if (node.children && !node.wrapsDer) break;
      const content = node.wrapsDer
        ? concat([node.prefix, writeTree(node.children)])
        : (node.content ?? new Uint8Array(0));
      const chunk = rng.pick([1, 2, 7, 64, 1000]);
      const kids = [];
      for (let at = 0; at < content.length || kids.length === 0; at += chunk) {
        kids.push({
          tagBytes: Uint8Array.of(rng.chance(0.9) ? 0x04 : 0x24),
          cls: 0,
          constructed: false,
          tag: 4,
          content: content.slice(at, at + chunk),
        });
        if (at + chunk >= content.length) break;
      }
      parent[index] = {
        tagBytes: Uint8Array.of(0x24),
        cls: 0,
        constructed: true,
        tag: 4,
        indefinite: rng.chance(0.5),
        children: kids,
      };
      break;
    }
    case 10: {
      // an extra child of a random kind
      const host = all.filter((e) => e.node.children);
      if (!host.length) break;
      const h = host[rng.int(host.length)].node;
      const t = rng.pick(INTERESTING_TAGS);
      const extra = {
        tagBytes: Uint8Array.of(t & 0xdf),
        cls: t >> 6,
        constructed: false,
        tag: t & 0x1f,
        content: rng.bytes(rng.small(16)),
      };
      extra.content = hostileContent(rng, extra);
      h.children.splice(rng.int(h.children.length + 1), 0, extra);
      break;
    }
    case 11: {
      // a copy of a sibling subtree deep inside itself (recursion in the grammar)
      if (!node.children || !node.children.length) break;
      const inner = flatten(node.children);
      const spot = inner[rng.int(inner.length)];
      spot.parent.splice(spot.index, 0, clone(node));
      break;
    }
    case 12: {
      // the wrapped DER of an OCTET STRING/BIT STRING unwrapped, or a node wrapped in an OCTET STRING
      if (node.wrapsDer) {
        node.content = concat([node.prefix, writeTree(node.children)]);
        node.content[rng.int(node.content.length)] ^= 0xff;
        delete node.children;
        delete node.wrapsDer;
      } else
        parent[index] = { tagBytes: Uint8Array.of(0x04), cls: 0, constructed: false, tag: 4, content: writeNode(node) };
      break;
    }
    case 13: // emptied
      if (node.children) node.children = [];
      else node.content = new Uint8Array(0);
      break;
    case 14: {
      // several small mutations of the same kind
      for (let i = rng.range(2, 6); i > 0; i--) {
        const t = pick().node;
        if (!t.children) t.content = hostileContent(rng, t);
      }
      break;
    }
    default: {
      // trailing data after the outer TLV, or a second TLV
      tree.push(
        rng.chance(0.5)
          ? clone(tree[0])
          : {
              tagBytes: Uint8Array.of(rng.pick([0, 0x30, 0x05])),
              cls: 0,
              constructed: false,
              tag: 0,
              content: rng.bytes(rng.int(4)),
            },
      );
    }
  }
  return cap(writeTree(tree));
}

/** Corrupts one length field in place (the parents are not fixed up): the raw-bytes view of op 8. */
function corruptLength(rng, bytes) {
  const heads = [];
  const walk = (pos, end, depth) => {
    while (pos < end && heads.length < 5000 && depth < 40) {
      const h = readHeader(bytes, pos, end);
      if (!h) return;
      heads.push(h);
      if (h.length < 0) return;
      const cEnd = h.lengthAt + h.length;
      if (cEnd > end) return;
      if (h.constructed) walk(h.lengthAt, cEnd, depth + 1);
      pos = cEnd;
    }
  };
  walk(0, bytes.length, 0);
  if (!heads.length) return null;
  const h = heads[rng.int(heads.length)];
  const replacement = hostileLength(rng, h.length < 0 ? 0 : h.length);
  return cap(concat([bytes.subarray(0, h.lengthStart), replacement, bytes.subarray(h.lengthAt)]));
}

// ---------------------------------------------------------------------------------------------------
// Byte-level havoc
// ---------------------------------------------------------------------------------------------------

/** One byte-level mutation (bit flip, interesting value, arithmetic, insert, delete, repeat, copy, splice). */
function mutateBytes(rng, bytes, donor, dictionary = []) {
  const b = bytes;
  const n = b.length;
  const at = () => rng.int(Math.max(1, n));
  switch (rng.int(13)) {
    case 0: {
      if (!n) break;
      const out = Uint8Array.from(b);
      for (let i = rng.small(8); i > 0; i--) {
        const p = at();
        out[p] ^= 1 << rng.int(8);
      }
      return out;
    }
    case 1: {
      if (!n) break;
      const out = Uint8Array.from(b);
      out[at()] = rng.pick(INTERESTING_8);
      return out;
    }
    case 2: {
      if (n < 4) break;
      const out = Uint8Array.from(b);
      const p = rng.int(n - 3);
      const v = rng.pick(INTERESTING_32);
      const view = new DataView(out.buffer);
      if (rng.chance(0.5)) view.setUint32(p, v >>> 0, true);
      else view.setUint32(p, v >>> 0, false);
      return out;
    }
    case 3: {
      if (!n) break;
      const out = Uint8Array.from(b);
      const p = at();
      out[p] = (out[p] + (rng.chance(0.5) ? 1 : -1) * rng.range(1, 35)) & 0xff;
      return out;
    }
    case 4: {
      const p = rng.int(n + 1);
      const ins = rng.chance(0.5)
        ? rng.bytes(rng.small(32))
        : new Uint8Array(rng.small(1024)).fill(rng.pick(INTERESTING_8));
      return cap(concat([b.subarray(0, p), ins, b.subarray(p)]));
    }
    case 5: {
      if (n < 2) break;
      const p = at();
      const len = Math.min(n - p, rng.small(Math.max(1, n >> 2)));
      return concat([b.subarray(0, p), b.subarray(p + len)]);
    }
    case 6: {
      // repetition of a range
      if (!n) break;
      const p = at();
      const len = Math.min(n - p, rng.small(256));
      const times = rng.pick([2, 3, 10, 100, 1000]);
      const chunk = b.subarray(p, p + len);
      const parts = [b.subarray(0, p + len)];
      for (let i = 1; i < times && len * i < MAX_INPUT / 2; i++) parts.push(chunk);
      parts.push(b.subarray(p + len));
      return cap(concat(parts));
    }
    case 7: {
      // copy a range over another place
      if (n < 2) break;
      const from = at();
      const len = Math.min(n - from, rng.small(128));
      const to = rng.int(n - len + 1);
      const out = Uint8Array.from(b);
      out.set(b.subarray(from, from + len), to);
      return out;
    }
    case 8: {
      // splice: head of this input, tail of another
      if (!donor || !donor.length) break;
      const p = rng.int(n + 1);
      const q = rng.int(donor.length + 1);
      return cap(concat([b.subarray(0, p), donor.subarray(q)]));
    }
    case 9: {
      // insert a chunk of another input
      if (!donor || !donor.length) break;
      const q = rng.int(donor.length);
      const len = Math.min(donor.length - q, rng.small(4096));
      const p = rng.int(n + 1);
      return cap(concat([b.subarray(0, p), donor.subarray(q, q + len), b.subarray(p)]));
    }
    case 10:
      if (!n) break;
      return b.subarray(0, rng.int(n));
    case 11: {
      if (!dictionary.length) break;
      const token = fromLatin1(rng.pick(dictionary));
      const p = rng.int(n + 1);
      if (rng.chance(0.5)) return cap(concat([b.subarray(0, p), token, b.subarray(p)]));
      return cap(concat([b.subarray(0, p), token, b.subarray(Math.min(n, p + token.length))]));
    }
    default:
      return cap(concat([b, rng.bytes(rng.small(64))]));
  }
  return cap(concat([b, Uint8Array.of(rng.int(256))]));
}

// ---------------------------------------------------------------------------------------------------
// Text: MIME, PEM, LDIF
// ---------------------------------------------------------------------------------------------------

/** Tokens inserted by text mutations (an AFL-style dictionary for MIME, PEM and LDIF). */
const TEXT_DICTIONARY = [
  '\r\n',
  '\n',
  '\r',
  '\r\n\r\n',
  '--',
  '--\r\n',
  ': ',
  ';',
  '"',
  '\\',
  '=',
  '=\r\n',
  '=?',
  '?=',
  '=?utf-8?B?',
  '=?iso-8859-1?Q?',
  '=?x-unknown?Q?=FF=FE?=',
  ' boundary=',
  ' boundary=""',
  ' boundary*0="a"; boundary*1="b"',
  " boundary*=utf-8''%FF",
  'Content-Type: multipart/mixed; boundary="x"\r\n',
  'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s"\r\n',
  'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n',
  'Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n',
  'Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n',
  'Content-Type: application/pkcs7-signature\r\n',
  'Content-Type: message/rfc822\r\n',
  'Content-Type: text/plain; charset=utf-16\r\n',
  'Content-Transfer-Encoding: base64\r\n',
  'Content-Transfer-Encoding: quoted-printable\r\n',
  'Content-Transfer-Encoding: binary\r\n',
  'Content-Transfer-Encoding: x-uuencode\r\n',
  'Content-Disposition: attachment; filename=smime.p7m\r\n',
  'MIME-Version: 1.0\r\n',
  'From: a@example.com\r\n',
  'From: "x" <a@b>, <c@d>\r\n',
  'Sender: ceo@example.com\r\n',
  '\t',
  ' ',
  '\u0000',
  '\u00ff',
  '-----BEGIN CERTIFICATE-----\n',
  '-----END CERTIFICATE-----\n',
  '-----BEGIN PKCS7-----\n',
  '-----BEGIN X509 CRL-----\n',
  '-----BEGIN PRIVATE KEY-----\n',
  '-----BEGIN ENCRYPTED PRIVATE KEY-----\n',
  '-----BEGIN RSA PRIVATE KEY-----\n',
  'Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n',
  'dn: ',
  'dn:: ',
  'version: 1\n',
  'changetype: modify\n',
  'changetype: add\n',
  'replace: userSMIMECertificate\n',
  '-\n',
  'userCertificate;binary:: ',
  'userSMIMECertificate;binary:: ',
  'userCertificate:< file:///etc/passwd\n',
  'mail: ',
  'proxyAddresses: SMTP:',
  'member: ',
  'objectClass: group\n',
  '\n ',
  '#',
  '::',
  ':<',
  'AAAA',
  '====',
  'MII',
  'x'.repeat(1000),
  '\uFEFF',
];

/** Base64 regions: runs of base64 lines (an S/MIME body, a PEM block, an LDIF `::` value). */
function base64Regions(text) {
  const out = [];
  const re = /(?:^|\n)((?:[A-Za-z0-9+/]{4,}={0,2}\r?\n(?: ?[A-Za-z0-9+/]*={0,2}\r?\n)*)|(?:[A-Za-z0-9+/=]{40,}))/g;
  for (let m; (m = re.exec(text)) && out.length < 64;) {
    const body = m[1];
    const start = m.index + m[0].length - body.length;
    if (body.replace(/\s/g, '').length >= 16) out.push({ start, end: start + body.length });
  }
  return out;
}

function wrapBase64(b64, lineLength, eol) {
  if (!lineLength) return b64;
  const lines = [];
  for (let i = 0; i < b64.length; i += lineLength) lines.push(b64.slice(i, i + lineLength));
  return lines.join(eol) + eol;
}

/**
 * Decodes one base64 region, mutates the bytes inside (DER-aware when they are DER) and puts them back
 * with the same line length and line ending. This is what reaches the CMS of a message.
 */
function mutateBase64Region(rng, bytes, donor, inner) {
  const text = latin1(bytes);
  const regions = base64Regions(text);
  if (!regions.length) return null;
  const r = rng.pick(regions);
  const region = text.slice(r.start, r.end);
  const firstLine = region.split('\n')[0].replace(/\r$/, '');
  const eol = region.includes('\r\n') ? '\r\n' : '\n';
  const lineLength = region.includes('\n') ? firstLine.length : 0;
  const decoded = new Uint8Array(Buffer.from(region.replace(/[\s]/g, ''), 'base64'));
  let donorDecoded;
  if (donor && looksTextual(donor)) {
    const dt = latin1(donor);
    const dr = base64Regions(dt);
    if (dr.length) {
      const x = rng.pick(dr);
      donorDecoded = new Uint8Array(Buffer.from(dt.slice(x.start, x.end).replace(/\s/g, ''), 'base64'));
    }
  }
  const mutated = inner(rng, decoded, donorDecoded ?? donor);
  if (!mutated) return null;
  const b64 = Buffer.from(mutated).toString('base64');
  const replaced = rng.chance(0.05) ? b64.replace(/=+$/, '') : b64;
  return cap(fromLatin1(text.slice(0, r.start) + wrapBase64(replaced, lineLength, eol) + text.slice(r.end)));
}

/** One line-oriented or token mutation of text. */
function mutateText(rng, bytes, donor) {
  const text = latin1(bytes);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const i = rng.int(lines.length);
  switch (rng.int(12)) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      spliceIn(
        lines,
        i,
        0,
        Array.from(
          { length: Math.min(rng.pick([1, 2, 50, 5000]), Math.floor(MAX_INPUT / (lines[i].length + 2))) },
          () => lines[i],
        ),
      );
      break;
    case 2: {
      const j = rng.int(lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      break;
    }
    case 3:
      lines.splice(i, 0, rng.pick(TEXT_DICTIONARY).replace(/\r?\n$/, ''));
      break;
    case 4: {
      // header value games: a boundary changed, a parameter dropped or doubled
      const m = /boundary="?([^";\r\n]+)"?/i.exec(text);
      if (!m) return mutateBytes(rng, bytes, donor, TEXT_DICTIONARY);
      const b = m[1];
      const variants = [
        '',
        b + ' ',
        b.slice(0, -1),
        b + b,
        '-'.repeat(71),
        'x'.repeat(100000),
        b.toUpperCase(),
        '"',
        b + '--',
        b.slice(1),
      ];
      const v = rng.pick(variants);
      const parts = rng.chance(0.5) ? text.split(b) : null;
      // Every occurrence replaced, unless that would grow the text past the input limit (or the string limit).
      if (parts && text.length + (parts.length - 1) * v.length <= MAX_INPUT) return cap(fromLatin1(parts.join(v)));
      return cap(fromLatin1(text.replace(b, v)));
    }
    case 5: {
      // the closing delimiter removed or a delimiter doubled
      const delims = lines.map((l, k) => (l.startsWith('--') ? k : -1)).filter((k) => k >= 0);
      if (!delims.length) break;
      const k = rng.pick(delims);
      if (rng.chance(0.5)) lines.splice(k, 1);
      else lines.splice(k, 0, lines[k], '');
      break;
    }
    case 6: // line endings changed throughout
      return fromLatin1(
        rng.chance(0.5) ? text.replace(/\r\n/g, '\n') : text.replace(/\r?\n/g, rng.pick(['\r\n', '\r', '\n\r'])),
      );
    case 7: // header folding
      if (lines[i].length > 4) {
        const p = rng.range(1, lines[i].length - 1);
        lines[i] = lines[i].slice(0, p) + eol + rng.pick([' ', '\t', '  ']) + lines[i].slice(p);
      }
      break;
    case 8: // a very long line
      if (text.length < MAX_INPUT)
        lines[i] = lines[i] + rng.pick(['a', '=', ' ', '\t', 'A']).repeat(rng.pick([998, 1001, 65536, 1 << 20]));
      break;
    case 9: {
      // lines of another input
      if (!donor || !looksTextual(donor)) break;
      const other = latin1(donor).split(/\r?\n/);
      const from = rng.int(other.length);
      spliceIn(lines, i, rng.int(3), other.slice(from, from + rng.small(200)));
      break;
    }
    case 10: {
      // a part nested into itself: the lines between two delimiters repeated as a nested multipart
      const m = /boundary="?([^";\r\n]+)"?/i.exec(text);
      const levels = rng.pick([1, 2, 33, 200]);
      let body = lines.slice(i).join(eol);
      for (let k = 0; k < levels; k++) {
        const bd = `n${k}${m ? m[1] : ''}`;
        body = `Content-Type: multipart/mixed; boundary="${bd}"${eol}${eol}--${bd}${eol}${body}${eol}--${bd}--${eol}`;
      }
      spliceIn(lines, i, lines.length - i, body.split(eol));
      break;
    }
    default:
      return mutateBytes(rng, bytes, donor, TEXT_DICTIONARY);
  }
  // Bounded before joining: a join past V8's string limit throws.
  let total = 0;
  let keep = 0;
  while (keep < lines.length && total <= MAX_INPUT) total += lines[keep++].length + eol.length;
  return cap(fromLatin1(lines.slice(0, keep).join(eol)));
}

// ---------------------------------------------------------------------------------------------------
// Little-endian TLV formats
// ---------------------------------------------------------------------------------------------------

/** SST: `00000000 'CERT'`, then elements of id (u32), encoding (u32), length (u32), data. */
function mutateSst(rng, bytes) {
  if (bytes.length < 8 || latin1(bytes.subarray(4, 8)) !== 'CERT') return null;
  const elements = [];
  let at = 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (at + 12 <= bytes.length && elements.length < 5000) {
    const len = view.getUint32(at + 8, true);
    const end = Math.min(bytes.length, at + 12 + len);
    elements.push({ id: view.getUint32(at, true), enc: view.getUint32(at + 4, true), data: bytes.slice(at + 12, end) });
    at = end;
  }
  const tail = bytes.slice(at);
  if (!elements.length) return null;
  const k = rng.int(elements.length);
  const e = elements[k];
  let lie;
  switch (rng.int(7)) {
    case 0:
      e.id = rng.pick([0, 1, 2, 3, 4, 11, 20, 32, 33, 34, 0x7fffffff, 0xffffffff]);
      break;
    case 1:
      e.enc = rng.pick([0, 1, 2, 0x10001, 0xffffffff]);
      break;
    case 2:
      lie = rng.pick([0, 1, e.data.length + 1, e.data.length - 1, 0x7fffffff, 0xffffffff]) >>> 0;
      break;
    case 3: {
      const times = rng.pick([2, 10, 1000, 20000, 250000]);
      const size = e.data.length + 12;
      const n = Math.max(1, Math.min(times, Math.floor(MAX_INPUT / size)));
      spliceIn(
        elements,
        k,
        0,
        Array.from({ length: n }, () => ({ ...e })),
      );
      break;
    }
    case 4:
      elements.splice(k, 1);
      break;
    case 5: {
      const m = mutateDer(rng, e.data) ?? mutateBytes(rng, e.data);
      e.data = m;
      break;
    }
    default:
      [elements[k], elements[elements.length - 1]] = [elements[elements.length - 1], elements[k]];
  }
  const parts = [bytes.subarray(0, 8)];
  for (const el of elements) {
    const h = new Uint8Array(12);
    const hv = new DataView(h.buffer);
    hv.setUint32(0, el.id >>> 0, true);
    hv.setUint32(4, el.enc >>> 0, true);
    hv.setUint32(8, el === e && lie !== undefined ? lie : el.data.length, true);
    parts.push(h, el.data);
  }
  parts.push(tail);
  return cap(concat(parts));
}

/** Outlook security settings (a `userSMIMECertificate` value): tag (u16), length (u16, header included), data. */
function mutateSettings(rng, bytes) {
  if (bytes.length < 4 || bytes[0] === 0x30) return null;
  const settings = [];
  for (let at = 0; at + 4 <= bytes.length && settings.length < 2000;) {
    const len = bytes[at + 2] | (bytes[at + 3] << 8);
    if (len < 4) break;
    settings.push({ tag: bytes[at] | (bytes[at + 1] << 8), data: bytes.slice(at + 4, at + len) });
    at += len;
  }
  if (!settings.length) return null;
  const k = rng.int(settings.length);
  const s = settings[k];
  let lie;
  switch (rng.int(6)) {
    case 0:
      s.tag = rng.pick([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 0x20, 0x21, 0x22, 0xffff]);
      break;
    case 1:
      lie = rng.pick([0, 3, 4, s.data.length + 3, s.data.length + 5, 0xffff]);
      break;
    case 2:
      spliceIn(
        settings,
        k,
        0,
        Array.from({ length: rng.pick([2, 50, 500]) }, () => ({ ...s })),
      );
      break;
    case 3:
      settings.splice(k, 1);
      break;
    case 4:
      s.data = (mutateDer(rng, s.data) ?? mutateBytes(rng, s.data)).subarray(0, 0xfffb);
      break;
    default:
      s.data = rng.bytes(rng.pick([0, 1, 4, 20, 21]));
  }
  return cap(
    concat(
      settings.flatMap((x) => {
        const len = x === s && lie !== undefined ? lie : Math.min(0xffff, x.data.length + 4);
        return [Uint8Array.of(x.tag & 0xff, x.tag >> 8, len & 0xff, len >> 8), x.data];
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------
// The mutation stack
// ---------------------------------------------------------------------------------------------------

/** A binary mutation: DER-aware most of the time when the input is DER. */
function binaryOnce(rng, bytes, donor) {
  const r = rng.int(10);
  if (r < 5) {
    const m = mutateDer(rng, bytes, donor);
    if (m) return m;
  } else if (r < 6) {
    const m = corruptLength(rng, bytes);
    if (m) return m;
  } else if (r < 7) {
    const m = mutateSst(rng, bytes) ?? mutateSettings(rng, bytes);
    if (m) return m;
  }
  return mutateBytes(rng, bytes, donor);
}

/**
 * Mutates an input by a stack of 1..N mutations chosen by what the input is (text with base64 regions,
 * other text, DER, SST, Outlook TLV, anything else). `donor` is another corpus input for splicing.
 */
export function mutate(rng, input, donor) {
  let out = input;
  const stack = rng.small(rng.chance(0.8) ? 3 : 12);
  for (let i = 0; i < stack; i++) {
    let next = null;
    if (looksTextual(out)) {
      const r = rng.int(10);
      if (r < 5) next = mutateBase64Region(rng, out, donor, (rr, inner, d) => binaryOnce(rr, inner, d));
      else if (r < 9) next = mutateText(rng, out, donor);
    }
    out = next ?? binaryOnce(rng, out, donor);
    if (out.length > MAX_INPUT) out = out.subarray(0, MAX_INPUT);
  }
  return out;
}
