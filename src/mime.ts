/** `smimekit/mime`: see docs/architecture.md for what this layer does. */
export * from './mime/index.js';
