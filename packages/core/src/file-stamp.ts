import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What identifies an installed file cheaply for a cache key (a tool, a GRUB module): its path and
 * the device, inode, size, mtime and ctime of what it resolves to. Replacing or upgrading the file
 * changes it; what the file prints or holds is then derived from the stamp, not keyed separately.
 */
export async function fileStamp(path: string): Promise<string> {
  return statStamp(path, await stat(path));
}

/** fileStamp from a stat the caller already made. */
export function statStamp(path: string, info: Stats): string {
  return `${path}:${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/** fileStamp of every entry of a directory (not recursive), sorted: e.g. a GRUB platform directory. */
export async function directoryStamp(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map((n) => fileStamp(join(dir, n))));
}
