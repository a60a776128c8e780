/** OCTET STRING values that may be BER-constructed (chunked), as streamed CMS from OpenSSL and Outlook is. */
import { FormatError, LimitError, SmimeError } from '../errors.js';
import { derOctets, type DerNode } from '../asn1/index.js';

/**
 * Joins the pieces of a primitive or constructed (possibly nested) OCTET
 * STRING, counting pieces against `budget.nodes`, with the CMS layer's codes.
 *
 * @throws {FormatError} `malformed-cms`; {LimitError} `cms-limit-exceeded`
 */
export function octetStringValue(
  node: DerNode,
  budget: { nodes: number; maxNodes?: number } = { nodes: Number.MAX_SAFE_INTEGER },
): Uint8Array {
  try {
    return derOctets(node, 'OCTET STRING', { budget });
  } catch (e) {
    if (e instanceof LimitError) {
      throw new LimitError('cms-limit-exceeded', 'the OCTET STRING has more pieces than the configured maxNodes', {
        offset: node.start,
        details: { limit: 'maxNodes', ...(budget.maxNodes !== undefined ? { value: budget.maxNodes } : {}) },
      });
    }
    if (e instanceof SmimeError && e.code === 'malformed-der') {
      throw new FormatError('malformed-cms', e.message, { offset: (e as FormatError).offset });
    }
    throw e;
  }
}
