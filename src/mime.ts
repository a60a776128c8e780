/**
 * `smimekit/mime`: MIME parsing (`parseMime`, `walkEntities`, `decodedBody`), header fields, transfer encodings and
 * the canonical form S/MIME signs. Guide with examples: docs/mime.md.
 *
 * @module smimekit/mime
 */
export * from './mime/index.js';
