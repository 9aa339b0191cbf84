import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** What identifies an installed file cheaply for a cache key (a tool, a GRUB module): path, size, mtime, inode. */
export async function fileStamp(path: string): Promise<string> {
  const info = await stat(path);
  return `${path}:${info.size}:${info.mtimeMs}:${info.ino}`;
}

/** fileStamp of every entry of a directory (not recursive), sorted: e.g. a GRUB platform directory. */
export async function directoryStamp(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map((n) => fileStamp(join(dir, n))));
}
