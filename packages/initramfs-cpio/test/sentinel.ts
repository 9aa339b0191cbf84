import { chmod, lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';

/**
 * A work directory holding a host file (`sentinel`, 0644) and an empty host directory (`outside`)
 * that hostile archives aim at; `target` is where they are extracted. `check()` asserts that
 * nothing outside `target` changed: the sentinel's content, mode and link count, the empty
 * directory, and the work directory's listing (no stray staging directory either; `others` are
 * names the caller put there itself).
 */
export async function sentinelWorkDir(
  work: string,
  others: readonly string[] = [],
): Promise<{ target: string; sentinel: string; outside: string; check(): Promise<void> }> {
  await mkdir(work, { recursive: true });
  const sentinel = join(work, 'sentinel');
  const outside = join(work, 'outside');
  await writeFile(sentinel, 'sentinel\n');
  await chmod(sentinel, 0o644);
  await mkdir(outside);
  return {
    target: join(work, 'target'),
    sentinel,
    outside,
    async check() {
      const stats = await lstat(sentinel);
      expect({
        content: await readFile(sentinel, 'utf8'),
        mode: (stats.mode & 0o7777).toString(8),
        nlink: stats.nlink,
        type: stats.isFile(),
      }).toEqual({
        content: 'sentinel\n',
        mode: '644',
        nlink: 1,
        type: true,
      });
      expect(await readdir(outside)).toEqual([]);
      expect((await readdir(work)).filter((name) => name !== 'target').sort()).toEqual(
        ['outside', 'sentinel', ...others].sort(),
      );
    },
  };
}
