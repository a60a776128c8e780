/** OCTET STRING values that may be BER-constructed (chunked), as streamed CMS from OpenSSL and Outlook is. */
import { FormatError, LimitError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import { TAG, contentOf, readNode, type DerNode } from '../util/der.js';

/**
 * Joins the pieces of a primitive or constructed (possibly nested) OCTET
 * STRING. Iterates over chunks (a 150 MB message can have 150 000) and counts
 * them against `budget.nodes`.
 *
 * @throws {FormatError} `malformed-cms`; {LimitError} `cms-limit-exceeded`
 */
export function octetStringValue(bytes: Uint8Array, node: DerNode, budget: { nodes: number } = { nodes: Number.MAX_SAFE_INTEGER }): Uint8Array {
  if (!node.constructed) return contentOf(bytes, node);
  const pieces: Uint8Array[] = [];
  const walk = (n: DerNode, depth: number) => {
    if (depth > 8) throw new FormatError('malformed-cms', 'constructed OCTET STRING nested too deeply', { offset: n.start });
    let pos = n.contentStart;
    while (pos < n.contentEnd) {
      const child = readNode(bytes, pos, n.contentEnd);
      if (--budget.nodes < 0) throw new LimitError('cms-limit-exceeded', 'the OCTET STRING has more pieces than the configured maxNodes');
      if (child.cls !== 0 || child.tag !== TAG.OCTET_STRING) {
        throw new FormatError('malformed-cms', 'constructed OCTET STRING contains a non-OCTET STRING', { offset: child.start });
      }
      if (child.constructed) walk(child, depth + 1);
      else pieces.push(contentOf(bytes, child));
      pos = child.end;
    }
  };
  walk(node, 0);
  return pieces.length === 1 ? pieces[0]! : concatBytes(...pieces);
}
