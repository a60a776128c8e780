/** `smimekit/directory`: see docs/architecture.md for what this layer does. */
export * from './directory/index.js';
