/**
 * A Node built-in module reached through `process.getBuiltinModule` (Node ≥ 20.16), so that no import exists for a
 * browser bundler to follow. Undefined elsewhere: browsers, older Node, runtimes that refuse.
 */
export function nodeBuiltinModule(id: string): unknown {
  try {
    const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    return runtime?.getBuiltinModule?.(id);
  } catch {
    return undefined;
  }
}
