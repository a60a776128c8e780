/** `smimekit/x509`: see docs/architecture.md for what this layer does. */
export * from './x509/index.js';
