import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  /** Absolute path inside the tree (`/` is the root). */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtimeSec: number;
}

/** Every entry below `root` (the root included), sorted by path bytes, without following symlinks. */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (path: string) => {
    const st = await lstat(join(root, path));
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    out.push({ path, type, size: st.size, mtimeSec: Math.floor(st.mtimeMs / 1000) });
    if (type !== 'dir') return;
    for (const name of (await readdir(join(root, path))).sort()) await visit(path === '/' ? `/${name}` : `${path}/${name}`);
  };
  await visit('/');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}
