/** How an encoding departs from DER while still being readable BER. */
import { TAG, derChildren, derContent, derRead, type DerNode } from '../asn1/index.js';

/**
 * Ways the encoding departs from DER while still being readable BER (what
 * strict parsers such as pyca/cryptography refuse). Empty when strict DER.
 */
export function derViolations(der: Uint8Array): string[] {
  const issues: string[] = [];
  const walk = (node: DerNode, parentIsExtension: boolean, index: number) => {
    if (node.indefinite) issues.push(`indefinite length at offset ${node.start}`);
    if (node.nonMinimalLength) issues.push(`non-minimal length at offset ${node.start}`);
    if (node.cls === 0 && node.tag === TAG.BOOLEAN) {
      const c = derContent(node);
      if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) issues.push(`BOOLEAN not 00/FF at offset ${node.start}`);
      else if (parentIsExtension && index === 1 && c[0] === 0)
        issues.push(`Extension.critical FALSE encoded explicitly (a DEFAULT value) at offset ${node.start}`);
    }
    if (node.cls === 0 && node.tag === TAG.INTEGER) {
      const c = derContent(node);
      if (c.length === 0) issues.push(`empty INTEGER at offset ${node.start}`);
      else if (c.length > 1 && ((c[0] === 0 && (c[1]! & 0x80) === 0) || (c[0] === 0xff && (c[1]! & 0x80) !== 0))) {
        issues.push(`non-minimal INTEGER at offset ${node.start}`);
      }
    }
    if (!node.constructed) return;
    const kids = derChildren(node);
    const isExtension =
      node.cls === 0 &&
      node.tag === TAG.SEQUENCE &&
      kids.length === 3 &&
      kids[0]!.cls === 0 &&
      kids[0]!.tag === TAG.OID &&
      kids[2]!.tag === TAG.OCTET_STRING;
    kids.forEach((k, i) => walk(k, isExtension, i));
  };
  walk(derRead(der, 0), false, 0);
  return issues;
}
