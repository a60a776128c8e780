/** vitest setup file: the folders a test file made with `tempDir` are removed when the file ends. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

afterAll(removeTempDirs);
