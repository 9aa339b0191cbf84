import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ancestors, safeRelativePath } from './safe-path.js';
import type { RpmFile } from './types.js';

/**
 * The host paths of the regular files that may be created empty before their contents arrive,
 * with their directories made (and added to `madeDirs`). Left out, to be handled in payload order
 * as before: hard-link members (created by link()), ghosts, unsafe paths, and anything below a
 * symlink the package lists, so nothing is ever created through a link.
 */
export function placeholderPaths(root: string, files: readonly RpmFile[], hardlinked: ReadonlyMap<number, unknown>, madeDirs: Set<string>): string[] {
  const relative = (path: string) => {
    try {
      return safeRelativePath(path);
    } catch {
      return undefined;
    }
  };
  const symlinks = new Set(files.filter((f) => f.type === 'symlink').map((f) => relative(f.path)));
  const paths: string[] = [];
  files.forEach((file, index) => {
    if (file.type !== 'file' || file.ghost || hardlinked.has(index)) return;
    const rel = relative(file.path);
    if (rel === undefined || ancestors(rel).some((up) => symlinks.has(up))) return;
    const abs = join(root, rel);
    const parent = dirname(abs);
    if (!madeDirs.has(parent)) {
      try {
        mkdirSync(parent, { recursive: true });
      } catch {
        return;
      }
      madeDirs.add(parent);
    }
    paths.push(abs);
  });
  return paths;
}
