import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The newest mtime (whole seconds) in a tree: a deterministic stand-in for a missing SOURCE_DATE_EPOCH. */
export async function newestMtime(root: string): Promise<number> {
  let newest = Math.floor((await lstat(root)).mtimeMs / 1000);
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      newest = Math.max(newest, Math.floor((await lstat(path)).mtimeMs / 1000));
      if (entry.isDirectory()) pending.push(path);
    }
  }
  return newest;
}
