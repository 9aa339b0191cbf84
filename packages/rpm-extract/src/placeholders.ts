import { dirname } from 'node:path';
import { makeParents } from './directories.js';
import type { RpmFile } from './types.js';

/**
 * The host paths of the regular files that may be created empty before their contents arrive,
 * with their directories made (and added to `madeDirs`). `rels` is the header's proven tree
 * (fileTree: nothing below a symlink or file, no path twice), and directories are made without
 * following links. Left out, to be handled in payload order: hard-link members (created by
 * link()), ghosts, and files whose directory cannot be made (their own member will fail typed).
 */
export function placeholderPaths(
  base: string,
  files: readonly RpmFile[],
  rels: ReadonlyArray<string | undefined>,
  hardlinked: ReadonlyMap<number, unknown>,
  madeDirs: Set<string>,
): string[] {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const paths: string[] = [];
  files.forEach((file, index) => {
    const rel = rels[index];
    if (file.type !== 'file' || rel === undefined || hardlinked.has(index)) return;
    const abs = prefix + rel;
    const parent = dirname(abs);
    if (!madeDirs.has(parent)) {
      try {
        makeParents(base, parent, madeDirs, file.path);
      } catch {
        return;
      }
    }
    paths.push(abs);
  });
  return paths;
}
