// The one tsup configuration every package extends. tsup is unmaintained upstream; keeping the
// build options here (and nowhere else) makes a later move to its successor a one-file change.
import { defineConfig, type Options } from 'tsup';

export function packageConfig(entry: Record<string, string>, extra: Partial<Options> = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    // Declarations resolve sibling packages through their published types, not their sources.
    dts: { compilerOptions: { customConditions: [], noEmit: false, allowImportingTsExtensions: false } },
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...extra,
  });
}
