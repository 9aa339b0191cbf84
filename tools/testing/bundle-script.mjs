// Bundles a test script and everything it imports (sources via the `@distroforge/source` condition, as
// vitest resolves them) into one file in a fresh world-readable temp directory, so another user can
// run it wherever the checkout lives (a clone under a mode-700 home hides node_modules from it).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'tsup';

/** Returns the bundle's path and a function that removes it. */
export async function bundleScript(entry) {
  const dir = await mkdtemp(join(tmpdir(), 'distroforge-bundle-'));
  await chmod(dir, 0o755);
  const name = basename(entry).replace(/\.[cm]?[jt]s$/, '');
  await build({
    config: false,
    entry: { [name]: entry },
    outDir: dir,
    outExtension: () => ({ js: '.mjs' }),
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    noExternal: [/./],
    dts: false,
    sourcemap: false,
    splitting: false,
    silent: true,
    // CommonJS dependencies (execa's cross-spawn) call require(), which an ES module lacks.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    esbuildOptions: (options) => {
      options.conditions = ['@distroforge/source'];
    },
  });
  const file = join(dir, `${name}.mjs`);
  await chmod(file, 0o644);
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
