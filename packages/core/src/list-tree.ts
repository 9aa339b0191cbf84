import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every path under `root`, relative and sorted, never descending into symlinked directories
 * (`readdir`'s recursive mode does, which listed merged-/usr's `/bin/x` beside `/usr/bin/x`).
 * Synchronous on purpose: a root filesystem is tens of thousands of tiny calls.
 */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    for (const dirent of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      out.push(path);
      if (dirent.isDirectory()) walk(path);
    }
  };
  walk('');
  return out.sort();
}
