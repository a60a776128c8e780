/**
 * `smimekit/directory`: see docs/architecture.md for what this layer does.
 *
 * @module smimekit/directory
 */
export * from './directory/index.js';
