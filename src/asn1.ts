/**
 * `smimekit/asn1`: see docs/architecture.md for what this layer does.
 *
 * @module smimekit/asn1
 */
export * from './asn1/index.js';
