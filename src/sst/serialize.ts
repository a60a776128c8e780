/** Writer for serialized certificate stores; inverse of `parseSst`. */
import { ArgumentError } from '../errors.js';
import { SST_HEADER } from './parse.js';
import { SST_CONTEXT_ID, type SstEntry, type SstStore } from './types.js';

const KIND_ORDER = { certificate: 0, crl: 1, ctl: 2 } as const;

function checkEntry(entry: SstEntry, index: number): void {
  if (!(entry.der instanceof Uint8Array) || entry.der.length === 0) {
    throw new ArgumentError('bad-argument', `entry ${index} (${entry.kind}) has no DER bytes`);
  }
  for (const p of entry.properties) {
    if (!Number.isInteger(p.id) || p.id < 1 || p.id > 0xffff || (p.id >= 32 && p.id <= 63)) {
      throw new ArgumentError(
        'bad-argument',
        `entry ${index} has property id ${p.id}, which is not a valid property id (1-31, 64-65535)`,
      );
    }
    if (!(p.value instanceof Uint8Array))
      throw new ArgumentError('bad-argument', `entry ${index} property ${p.id} has no byte value`);
  }
}

/**
 * Orders groups for writing: entries read from a file keep their original
 * interleaving (by `position`); new ones follow as Windows writes them —
 * certificates, then CRLs, then CTLs.
 */
function orderedEntries(store: SstStore): SstEntry[] {
  const all = [...store.certificates, ...store.crls, ...store.ctls];
  all.forEach((e, i) => {
    if (!(e.kind in KIND_ORDER))
      throw new ArgumentError('bad-argument', `entry ${i} has unknown kind "${String(e.kind)}"`);
    checkEntry(e, i);
  });
  return all
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => {
      const pa = a.entry.position ?? Infinity;
      const pb = b.entry.position ?? Infinity;
      if (pa !== pb) return pa - pb;
      const ka = KIND_ORDER[a.entry.kind] - KIND_ORDER[b.entry.kind];
      return ka !== 0 ? ka : a.index - b.index;
    })
    .map((x) => x.entry);
}

/**
 * Serializes a store. For a store returned by `parseSst` (and not modified)
 * the output is byte-identical to the parsed file, trailing bytes included.
 *
 * @example
 * ```ts
 * const store = parseSst(bytes);
 * store.certificates = store.certificates.filter((c) => keep(c));
 * await writeFile('out.sst', serializeSst(store));
 * ```
 */
export function serializeSst(store: SstStore): Uint8Array {
  const entries = orderedEntries(store);
  let size = SST_HEADER.length + 12 + (store.trailingBytes?.length ?? 0);
  for (const e of entries) {
    size += 12 + e.der.length;
    for (const p of e.properties) size += 12 + p.value.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(SST_HEADER, 0);
  let pos = SST_HEADER.length;
  const element = (id: number, value: Uint8Array) => {
    view.setUint32(pos, id, true);
    view.setUint32(pos + 4, 1, true);
    view.setUint32(pos + 8, value.length, true);
    out.set(value, pos + 12);
    pos += 12 + value.length;
  };
  for (const e of entries) {
    for (const p of e.properties) element(p.id, p.value);
    element(SST_CONTEXT_ID[e.kind], e.der);
  }
  pos += 12; // end marker: 12 zero bytes, already zero
  if (store.trailingBytes) out.set(store.trailingBytes, pos);
  return out;
}
