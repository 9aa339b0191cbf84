import { stat } from 'node:fs/promises';

/** The paths by their mtime, most recent first (a cache's use refreshes it); a path that cannot be stat'ed counts as the oldest. */
export async function byRecentUse(paths: readonly string[]): Promise<string[]> {
  const dated = await Promise.all(
    paths.map(async (path) => ({
      path,
      mtime: await stat(path).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    })),
  );
  return dated.sort((a, b) => b.mtime - a.mtime).map((d) => d.path);
}

/**
 * The paths beyond the `keep` most recently modified ones, oldest last: what a cache that keeps
 * its `keep` most recently used entries (a use refreshes the mtime) deletes.
 */
export async function leastRecentlyUsed(paths: readonly string[], keep: number): Promise<string[]> {
  return (await byRecentUse(paths)).slice(Math.max(0, keep));
}
