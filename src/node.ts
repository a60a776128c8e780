/**
 * `smimekit/node` (Node only): files as Web Streams for the streaming functions, and garbage-collection pacing
 * that keeps a long stream's memory flat. What the `smimekit` CLI uses for `--stream`. Kept out of the root entry so
 * browser builds never pull it in. See docs/streaming.md.
 *
 * @example
 * ```ts
 * import { readMessageStream } from 'smimekit';
 * import { openFileStream, writeStreamToFile } from 'smimekit/node';
 *
 * const { stream: input } = await openFileStream('archive.p7m.eml', { collectGarbage: true });
 * const { stream, result } = await readMessageStream(input, { identities: [bob], trust });
 * await writeStreamToFile(stream, 'archive.eml'); // renamed into place only if every check passed
 * console.log((await result).ok);
 * ```
 *
 * @module smimekit/node
 */
export {
  openFileStream,
  stageFile,
  writeStreamToFile,
  type FileStream,
  type FileStreamOptions,
  type StagedFile,
} from './node/files.js';
export { gcPacer } from './node/gc-pacer.js';
