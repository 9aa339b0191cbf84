import { stat } from 'node:fs/promises';

/**
 * The paths beyond the `keep` most recently modified ones, oldest last: what a cache that keeps
 * its `keep` most recently used entries (a use refreshes the mtime) deletes. A path that cannot be
 * stat'ed counts as the oldest.
 */
export async function leastRecentlyUsed(paths: readonly string[], keep: number): Promise<string[]> {
  const dated = await Promise.all(paths.map(async (path) => ({ path, mtime: await stat(path).then((s) => s.mtimeMs, () => 0) })));
  dated.sort((a, b) => b.mtime - a.mtime);
  return dated.slice(Math.max(0, keep)).map((d) => d.path);
}
