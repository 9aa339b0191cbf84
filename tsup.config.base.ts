// The one tsup configuration every package extends. tsup is unmaintained upstream; keeping the
// build options here (and nowhere else) makes a later move to its successor a one-file change.
import { dirname, join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * zod's messages in English only, in a bundled bin: zod's namespace re-exports all its 64 locales
 * (`z.locales`), so no bundler can drop them, and they were two thirds of the code a bin parses at
 * each start. Nothing here switches zod's locale; in the bundle `z.locales` holds `en` alone.
 */
const zodEnglishOnly: EsbuildPlugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)
        ? { path: join(args.resolveDir, '../locales/en.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

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

/**
 * A bin built to start fast: the entries bundled with every dependency (this repository's
 * packages and third-party ones alike) into `dist/bin/`, so a run parses a few files instead of
 * resolving and compiling hundreds of modules (execa and zod alone are ~200), and zod's unused
 * locales are tree-shaken away. `external` lists what cannot be bundled (native addons). The
 * library build keeps its dependencies external (one zod, one execa for a program importing
 * several packages) and must not clean `dist/bin/`: `clean: ['!bin/**']` there.
 */
export function binConfig(entry: Record<string, string>, external: string[] = []) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    outDir: 'dist/bin',
    dts: false,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    noExternal: [/.*/],
    external,
    esbuildPlugins: [zodEnglishOnly],
    // Bundled CommonJS dependencies (execa's cross-spawn, ...) call require() for Node's modules.
    banner: {
      js: "import { createRequire as __bundledRequire } from 'node:module';\nconst require = __bundledRequire(import.meta.url);",
    },
  });
}
