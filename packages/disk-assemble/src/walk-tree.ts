import { compareBytewise } from '@distroforge/core';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DiskInputMissingError } from './errors.js';

export interface TreeEntry {
  /** Absolute path inside the tree (`/` is the root). */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtimeSec: number;
  /** `device:inode` on the host, to tell hard links apart (with `nlink`). */
  inode: string;
  nlink: number;
  /** The full st_mode (type and permission bits) and owner found on the host. */
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Every entry below `root` (the root included), sorted by path bytes, without following symlinks.
 * Synchronous on purpose: a root filesystem has tens of thousands of entries, and one lstat
 * through the thread pool per entry costs several times what the call itself does.
 */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = (path: string) => {
    const st = lstatSync(join(root, path));
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    out.push({
      path,
      type,
      size: st.size,
      mtimeSec: Math.floor(st.mtimeMs / 1000),
      inode: `${st.dev}:${st.ino}`,
      nlink: st.nlink,
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
    });
    if (type !== 'dir') return;
    // No order here: the listing is sorted by path bytes once, below.
    for (const name of readdirSync(join(root, path))) visit(path === '/' ? `/${name}` : `${path}/${name}`);
  };
  visit('/');
  return out.sort((a, b) => compareBytewise(a.path, b.path));
}

/** Lists a tree as walkTree does; a caller may pass one that remembers trees it knows do not change. */
export type TreeWalker = (root: string) => Promise<readonly TreeEntry[]>;

/** walkTree (or `walk`), with a missing or unreadable tree reported as DiskInputMissingError naming `what`. */
export async function readTree(
  what: string,
  directory: string,
  walk: TreeWalker = walkTree,
): Promise<readonly TreeEntry[]> {
  return walk(directory).catch((cause: unknown) => {
    throw new DiskInputMissingError(what, directory, { cause });
  });
}
