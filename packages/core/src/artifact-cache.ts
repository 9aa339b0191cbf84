import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leastRecentlyUsed } from './least-recently-used.js';
import { writeAtomically } from './write-atomically.js';

/** Entries of one kind kept in a cache directory (the most recently used); older ones are deleted. */
const KEEP_PER_KIND = 8;

export interface CachedArtifact<T> {
  result: T;
  /** True when `output` was copied from the cache instead of built. */
  cached: boolean;
}

/**
 * Makes the file `output` with `build`, or copies it from `cacheDir` when an earlier build made
 * it from the same `key`. The key must name every input of the file (contents, options, tool
 * versions): a cached copy is then the same bytes a build would write, so caching never changes
 * an output. `build`'s result (JSON) is kept beside the file and returned on a hit. Without a
 * `cacheDir` it only builds. The cache is a convenience: failing to write it never fails a build.
 */
export async function cachedArtifact<T>(
  cacheDir: string | undefined,
  kind: string,
  key: unknown,
  output: string,
  build: () => Promise<T>,
): Promise<CachedArtifact<T>> {
  if (cacheDir === undefined) return { result: await build(), cached: false };
  const name = `${kind}-${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32)}`;
  const file = join(cacheDir, name);
  const meta = `${file}.json`;
  const hit = await readMeta<T>(meta);
  if (hit !== undefined) {
    try {
      await rm(output, { force: true });
      await copyFile(file, output);
      const now = new Date();
      await utimes(meta, now, now);
      return { result: (hit.result ?? undefined) as T, cached: true };
    } catch {
      // A half-deleted entry: build instead.
    }
  }
  const result = await build();
  try {
    await mkdir(cacheDir, { recursive: true });
    // The file first, its result last: an entry counts only once both are complete.
    await writeAtomically(file, (temp) => copyFile(output, temp));
    // `null` stands for a build that returns nothing (JSON has no undefined).
    await writeAtomically(meta, (temp) => writeFile(temp, JSON.stringify({ result: result ?? null })));
    await prune(cacheDir, kind);
  } catch {
    // Read-only or full cache directory: the build itself succeeded.
  }
  return { result, cached: false };
}

async function readMeta<T>(path: string): Promise<{ result: T } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { result: T };
    return 'result' in parsed ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the KEEP_PER_KIND most recently used entries of `kind` (by their result file's mtime). */
async function prune(cacheDir: string, kind: string): Promise<void> {
  const metas = (await readdir(cacheDir))
    .filter((n) => n.startsWith(`${kind}-`) && n.endsWith('.json'))
    .map((n) => join(cacheDir, n));
  for (const meta of await leastRecentlyUsed(metas, KEEP_PER_KIND)) {
    await rm(meta, { force: true });
    await rm(meta.slice(0, -'.json'.length), { force: true });
  }
}
