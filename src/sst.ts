/**
 * `smimekit/sst`: see docs/architecture.md for what this layer does.
 *
 * @module smimekit/sst
 */
export * from './sst/index.js';
