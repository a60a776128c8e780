/** `smimekit/sst`: see docs/architecture.md for what this layer does. */
export * from './sst/index.js';
