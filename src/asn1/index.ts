/**
 * smimekit's ASN.1 layer: one node type, a reader, typed accessors and a
 * small writer. Every other layer reads and writes DER through this module.
 */
export * from './read.js';
export * from './values.js';
export * from './write.js';
export * from './stream-reader.js';
export * from './stream-writer.js';
