import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The base images in a cache directory (none if it does not exist). */
export async function cachedBaseImages(cacheDir: string): Promise<string[]> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.ext4')).map((n) => join(cacheDir, n));
}
