import { parseOptions } from './parse-options.js';
import { extractPackage, type ExtractResult } from './extract-package.js';
import { extractOptionsSchema, type ExtractOptions } from './extract-options.js';
import type { RpmSource } from './open-source.js';

export { extractOptionsSchema, type ExtractOptions } from './extract-options.js';
export type { ExtractResult } from './extract-package.js';

/**
 * Extracts a package into `directory`. Without `merge` the directory must not exist (or be empty):
 * the tree is written to a temporary sibling and renamed into place only when every digest
 * matched. With `merge` it is staged inside the directory and then moved into the existing tree,
 * following the tree's own symlinks (e.g. /lib -> usr/lib) as a chroot would.
 */
export async function extractRpm(
  source: RpmSource,
  directory: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  return extractPackage(source, directory, parseOptions(extractOptionsSchema, options, 'extract'));
}
