/**
 * Reader for Microsoft serialized certificate stores (`CertSaveStore` with
 * CERT_STORE_SAVE_AS_STORE). Layout and the choices made here: docs/sst.md.
 */
import { FormatError, LimitError } from '../errors.js';
import { toBytes, type BytesLike } from '../util/bytes.js';
import {
  SST_CONTEXT_ID,
  type SstContextKind,
  type SstEntry,
  type SstLimits,
  type SstProperty,
  type SstStore,
} from './types.js';

export const SST_HEADER = Uint8Array.of(0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54);
const ELEMENT_HEADER = 12;

/**
 * Defaults sized for real stores with headroom: Windows Update's full root store (certutil -generateSSTFromWU,
 * 507 certificates) has 4,390 elements, so 20,000 elements leave room for a store four times larger while a
 * hostile file of tiny elements stays under a second to list (docs/security.md).
 */
export const DEFAULT_SST_LIMITS: Required<SstLimits> = {
  maxFileSize: 64 * 1024 * 1024,
  maxElementSize: 16 * 1024 * 1024,
  maxElements: 20_000,
};

const KIND_BY_ID: Record<number, SstContextKind> = {
  [SST_CONTEXT_ID.certificate]: 'certificate',
  [SST_CONTEXT_ID.crl]: 'crl',
  [SST_CONTEXT_ID.ctl]: 'ctl',
};

/** True when the bytes start with the serialized-store header `00000000 'CERT'`. */
export function isSst(bytes: BytesLike): boolean {
  const b = toBytes(bytes);
  return b.length >= 8 && SST_HEADER.every((v, i) => b[i] === v);
}

/** What non-SST bytes look like, to make the bad-magic error useful. */
function describeNonSst(b: Uint8Array): string {
  const head = String.fromCharCode(...b.subarray(0, 64));
  if (head.includes('-----BEGIN')) return ' (this looks like PEM text; use loadCertificates())';
  if (b[0] === 0x30) return ' (this looks like DER/PKCS#7; use loadCertificates())';
  if (b.length >= 8 && b[4] === 1 && b[5] === 0 && b[6] === 0 && b[7] === 0 && b[1] === 0) {
    return ' (this looks like a single serialized element without the store header)';
  }
  return '';
}

/**
 * Parses a serialized certificate store.
 *
 * Properties are attached to the context element that follows them. Entries
 * keep their raw bytes and properties exactly, so `serializeSst(parseSst(b))`
 * returns `b`. Certificates are not decoded here (see `describeSstEntry`),
 * so one malformed certificate never makes the store unreadable.
 *
 * @throws {FormatError} codes `sst-truncated-header`, `sst-bad-magic`,
 *   `sst-truncated-element`, `sst-element-overrun`, `sst-bad-encoding-type`,
 *   `sst-bad-element-id`, `sst-bad-end-marker`, `sst-empty-context`,
 *   `sst-unsupported-element`, `sst-missing-end-marker`, `sst-dangling-properties`
 * @throws {LimitError} code `sst-limit-exceeded`
 *
 * @example
 * ```ts
 * const store = parseSst(await readFile('trusted.sst'));
 * console.log(store.certificates.length);
 * ```
 */
export function parseSst(input: BytesLike, limits: SstLimits = {}): SstStore {
  const bytes = toBytes(input, 'SST bytes');
  const lim = { ...DEFAULT_SST_LIMITS, ...limits };
  checkStoreHeader(bytes, lim);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const store: SstStore = { certificates: [], crls: [], ctls: [] };
  let pending: SstProperty[] = [];
  let pendingOffset = 0;
  let position = 0;
  let elements = 0;
  let pos = 8;
  for (;;) {
    const element = readElement(bytes, view, pos, ++elements, lim);
    if (!element) {
      pos += ELEMENT_HEADER; // the end marker
      break;
    }
    const { id, value } = element;
    const kind = KIND_BY_ID[id];
    if (kind) {
      if (value.length === 0)
        throw new FormatError('sst-empty-context', `${kind} element with no bytes`, { offset: pos });
      const entry: SstEntry = { kind, der: value, properties: pending, position: position++, offset: pos };
      if (kind === 'certificate') store.certificates.push(entry);
      else if (kind === 'crl') store.crls.push(entry);
      else store.ctls.push(entry);
      pending = [];
    } else if (id >= 35 && id <= 63) {
      throw new FormatError(
        'sst-unsupported-element',
        `element id ${id} is a reserved file element that smimekit does not support`,
        { offset: pos },
      );
    } else {
      if (pending.length === 0) pendingOffset = pos;
      pending.push({ id, value });
    }
    pos += ELEMENT_HEADER + value.length;
  }
  if (pending.length > 0) {
    throw new FormatError(
      'sst-dangling-properties',
      `${pending.length} property element(s) are not followed by a certificate, CRL or CTL`,
      {
        offset: pendingOffset,
      },
    );
  }
  if (pos < bytes.length) store.trailingBytes = bytes.subarray(pos);
  return store;
}

/** File size limit and the 8-byte store header. */
function checkStoreHeader(bytes: Uint8Array, lim: Required<SstLimits>): void {
  if (bytes.length > lim.maxFileSize) {
    throw new LimitError(
      'sst-limit-exceeded',
      `SST file of ${bytes.length} bytes exceeds the limit of ${lim.maxFileSize} bytes`,
      {
        offset: 0,
        details: { limit: 'maxFileSize', value: lim.maxFileSize },
      },
    );
  }
  if (bytes.length < 8) {
    throw new FormatError('sst-truncated-header', `SST file is ${bytes.length} bytes, shorter than its 8-byte header`, {
      offset: 0,
    });
  }
  if (!isSst(bytes)) {
    throw new FormatError(
      'sst-bad-magic',
      `not a serialized certificate store: the first 8 bytes are not 00000000 "CERT"${describeNonSst(bytes)}`,
      {
        offset: 0,
      },
    );
  }
}

/**
 * Reads and checks the element at `pos` (the `elementNumber`th of the file): its id and value, or
 * undefined for the end marker.
 */
function readElement(
  bytes: Uint8Array,
  view: DataView,
  pos: number,
  elementNumber: number,
  lim: Required<SstLimits>,
): { id: number; value: Uint8Array } | undefined {
  const remaining = bytes.length - pos;
  if (remaining === 0) {
    throw new FormatError('sst-missing-end-marker', 'SST file ends without its end marker (truncated?)', {
      offset: pos,
    });
  }
  if (remaining < ELEMENT_HEADER) {
    throw new FormatError(
      'sst-truncated-element',
      `only ${remaining} bytes left where a 12-byte element header should start`,
      { offset: pos },
    );
  }
  if (elementNumber > lim.maxElements) {
    throw new LimitError('sst-limit-exceeded', `SST file has more than ${lim.maxElements} elements`, {
      offset: pos,
      details: { limit: 'maxElements', value: lim.maxElements },
    });
  }
  const id = view.getUint32(pos, true);
  const encoding = view.getUint32(pos + 4, true);
  const length = view.getUint32(pos + 8, true);
  if (id === 0) {
    if (encoding !== 0 || length !== 0) {
      throw new FormatError(
        'sst-bad-end-marker',
        `element id 0 (end marker) has encoding type ${encoding} and length ${length}; both must be 0`,
        {
          offset: pos,
        },
      );
    }
    return undefined;
  }
  checkElementHeader(id, encoding, length, remaining - ELEMENT_HEADER, pos, lim);
  return { id, value: bytes.subarray(pos + ELEMENT_HEADER, pos + ELEMENT_HEADER + length) };
}

/** Length (against what is left and the limit), encoding type and id range of a non-end element. */
function checkElementHeader(
  id: number,
  encoding: number,
  length: number,
  available: number,
  pos: number,
  lim: Required<SstLimits>,
): void {
  // Compare against what is left instead of adding, so a huge length cannot wrap or allocate.
  if (length > available) {
    throw new FormatError(
      'sst-element-overrun',
      `element id ${id} declares ${length} bytes but only ${available} remain in the file`,
      {
        offset: pos,
        details: { id, length, available },
      },
    );
  }
  if (length > lim.maxElementSize) {
    throw new LimitError(
      'sst-limit-exceeded',
      `element id ${id} of ${length} bytes exceeds the limit of ${lim.maxElementSize} bytes`,
      {
        offset: pos,
        details: { limit: 'maxElementSize', value: lim.maxElementSize },
      },
    );
  }
  if (encoding !== 1) {
    throw new FormatError(
      'sst-bad-encoding-type',
      `element id ${id} has encoding type ${encoding}; only 1 (X509_ASN_ENCODING) is valid`,
      {
        offset: pos,
        details: { id, encoding },
      },
    );
  }
  if (id > 0xffff) {
    throw new FormatError(
      'sst-bad-element-id',
      `element id ${id} is out of range (at most 65535); the file is probably corrupt`,
      { offset: pos },
    );
  }
}
