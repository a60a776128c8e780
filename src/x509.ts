/**
 * `smimekit/x509`: see docs/architecture.md for what this layer does.
 *
 * @module smimekit/x509
 */
export * from './x509/index.js';
