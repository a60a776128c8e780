/** `smimekit/asn1`: see docs/architecture.md for what this layer does. */
export * from './asn1/index.js';
